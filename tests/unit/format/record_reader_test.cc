// Tests for RecordReader: framings, gzip members, truncation/corruption, hostile-input limits.
#include "format/record_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace davault::format {
namespace {

// Serves a string, at most max_read bytes per Read (short reads are legal).
class StringSource : public SequentialFile {
 public:
  explicit StringSource(std::string data, size_t max_read = SIZE_MAX)
      : data_(std::move(data)), max_read_(max_read) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min({n, max_read_, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t max_read_;
  size_t pos_ = 0;
};

class FailingSource : public SequentialFile {
 public:
  Result<size_t> Read(char*, size_t) override { return Status::Failed("disk on fire"); }
};

std::string Gzip(std::string_view data, int level = Z_BEST_COMPRESSION) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&s, data.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

struct ReadAll {
  std::vector<std::string> records;
  Status status;
};

ReadAll ReadAllRecords(std::string data, Limits limits = {}, size_t max_read = SIZE_MAX,
                       const std::string& name = "test.gz") {
  StringSource src(std::move(data), max_read);
  RecordReader reader(&src, limits, name);
  ReadAll out;
  for (;;) {
    std::string_view rec;
    Result<bool> r = reader.Next(&rec);
    if (!r.ok()) {
      out.status = r.status();
      break;
    }
    if (!r.value()) break;
    out.records.emplace_back(rec);
  }
  return out;
}

std::string SamplesDir() {
  if (const char* d = std::getenv("DAVAULT_SAMPLES_DIR")) return d;
  if (const char* src = std::getenv("DAVAULT_SOURCE_DIR")) {
    std::string in_tree = std::string(src) + "/tests/data/samples";
    if (Env::Default()->Exists(in_tree + "/README.md")) return in_tree;
  }
  return "/work/shared/samples";
}

Result<uint64_t> CountSampleRecords(const std::string& rel, std::vector<std::string>* recs) {
  std::string path = SamplesDir() + "/" + rel;
  DV_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> f, Env::Default()->OpenSequential(path));
  RecordReader reader(f.get(), Limits{}, rel);
  for (;;) {
    std::string_view rec;
    DV_ASSIGN_OR_RETURN(bool more, reader.Next(&rec));
    if (!more) break;
    if (recs) recs->emplace_back(rec);
  }
  return reader.records();
}

TEST(RecordReaderTest, SampleRecordCounts) {
  struct Case {
    const char* file;
    uint64_t records;
  } cases[] = {
      {"doc/agentActivity.json", 2},
      {"doc/webSession.json", 1},
      {"doc/engagement.json", 1},
      {"doc/survey.json", 1},
      {"files/Agent.1465992000000.1465995600000.part-00000-0.gz", 2},
      {"files/WebSession.1467291600000.1467295200000.part-00000-0.gz", 1},
      {"files/Engagement.1469466000000.1469469600000.part-00000-0.gz", 1},
      {"files/Survey.1468270800000.1468274400000.part-00000-0.gz", 1},
  };
  for (const Case& c : cases) {
    std::vector<std::string> recs;
    Result<uint64_t> n = CountSampleRecords(c.file, &recs);
    ASSERT_TRUE(n.ok()) << c.file << ": " << n.status().message();
    EXPECT_EQ(n.value(), c.records) << c.file;
    for (const std::string& r : recs) {
      EXPECT_EQ(r.front(), '{') << c.file;
      EXPECT_EQ(r.back(), '}') << c.file;
      EXPECT_NE(r.find("\"dataType\""), std::string::npos) << c.file;
    }
  }
}

TEST(RecordReaderTest, ProductionSampleRecordsAreTheLinesWithoutNewline) {
  std::vector<std::string> recs;
  ASSERT_TRUE(
      CountSampleRecords("files/Agent.1465992000000.1465995600000.part-00000-0.gz", &recs).ok());
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0], recs[1]);  // the documentation shows the same record twice
  EXPECT_EQ(recs[0].find('\n'), std::string::npos);
  EXPECT_EQ(recs[0].substr(0, 70),
            "{\"dataType\":{\"com.liveperson.dataaccess.DataTypeEnum\":\"AgentActivity\"}");
}

TEST(RecordReaderTest, CountsBytes) {
  std::string plain = "{\"a\":1}\n{\"b\":2}\n";
  std::string gz = Gzip(plain);
  StringSource src(gz);
  RecordReader reader(&src, Limits{}, "x.gz");
  std::string_view rec;
  int n = 0;
  while (reader.Next(&rec).value()) ++n;
  EXPECT_EQ(n, 2);
  EXPECT_EQ(reader.records(), 2u);
  EXPECT_EQ(reader.compressed_bytes(), gz.size());
  EXPECT_EQ(reader.inflated_bytes(), plain.size());
}

TEST(RecordReaderTest, JsonLinesConcatenatedAndPretty) {
  ReadAll r =
      ReadAllRecords("{\"a\":1}\n{\"b\":[1,2]}{\"c\":\n  {\"d\": \"x\"}\n}\r\n\n  [1,{\"e\":2}] ");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[0], "{\"a\":1}");
  EXPECT_EQ(r.records[1], "{\"b\":[1,2]}");
  EXPECT_EQ(r.records[2], "{\"c\":\n  {\"d\": \"x\"}\n}");
  EXPECT_EQ(r.records[3], "[1,{\"e\":2}]");
}

TEST(RecordReaderTest, BracketsAndQuotesInsideStrings) {
  std::string rec = R"({"a":"}\"{[","b":"\\","c":"\\\"]"})";
  ReadAll r = ReadAllRecords(rec + "\n" + rec);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0], rec);
  EXPECT_EQ(r.records[1], rec);
}

TEST(RecordReaderTest, TopLevelArrayOfRecords) {
  ReadAll r = ReadAllRecords("\xEF\xBB\xBF [\n  {\"a\": 1},\n  {\"b\": [2]} ,{\"c\":3}\n]\n");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0], "{\"a\": 1}");
  EXPECT_EQ(r.records[1], "{\"b\": [2]}");
  EXPECT_EQ(r.records[2], "{\"c\":3}");

  EXPECT_TRUE(ReadAllRecords("[]").records.empty());
  EXPECT_TRUE(ReadAllRecords("[]").status.ok());
  EXPECT_TRUE(ReadAllRecords("").status.ok());
  EXPECT_TRUE(ReadAllRecords(" \n\t").records.empty());
}

TEST(RecordReaderTest, MalformedArraysAreNotValidJson) {
  for (const char* bad : {"[{\"a\":1},]", "[{\"a\":1} {\"b\":1}]", "[{\"a\":1}", "[{\"a\":1}] {}",
                          "[1]", "[,{\"a\":1}]"}) {
    ReadAll r = ReadAllRecords(bad, Limits{}, SIZE_MAX, "arr.json");
    EXPECT_EQ(r.status.code(), Code::kFailed) << bad;
    EXPECT_NE(r.status.message().find("arr.json: record "), std::string::npos) << bad;
    EXPECT_NE(r.status.message().find("is not valid JSON"), std::string::npos) << bad;
  }
}

TEST(RecordReaderTest, NonJsonLineNamesFileAndRecordNumber) {
  ReadAll r = ReadAllRecords("{\"a\":1}\n{\"b\":2}\nsecret-value here\n", Limits{}, SIZE_MAX,
                             "Engagement.1.2.part-00000-0.gz");
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.status.code(), Code::kFailed);
  EXPECT_EQ(r.status.message(), "Engagement.1.2.part-00000-0.gz: record 3 is not valid JSON");
  EXPECT_EQ(r.status.message().find("secret"), std::string::npos);
}

TEST(RecordReaderTest, UnbalancedOrScalarRecordsAreNotValidJson) {
  for (const char* bad :
       {"{\"a\":1", "{\"a\":\"1}", "{\"a\":1]}", "{]", "}", "42", "\"s\"", "null", "{\"a\":1}}"}) {
    ReadAll r = ReadAllRecords(bad, Limits{}, SIZE_MAX, "f");
    EXPECT_EQ(r.status.code(), Code::kFailed) << bad;
    EXPECT_NE(r.status.message().find("is not valid JSON"), std::string::npos) << bad;
  }
}

TEST(RecordReaderTest, ErrorsAreSticky) {
  StringSource src("nope {\"a\":1}");
  RecordReader reader(&src, Limits{}, "f");
  std::string_view rec;
  Result<bool> first = reader.Next(&rec);
  ASSERT_FALSE(first.ok());
  Result<bool> second = reader.Next(&rec);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), first.status().message());
}

TEST(RecordReaderTest, ReadErrorsAreReported) {
  FailingSource src;
  RecordReader reader(&src, Limits{}, "broken.gz");
  std::string_view rec;
  Result<bool> r = reader.Next(&rec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailed);
  EXPECT_EQ(r.status().message(), "broken.gz: read failed: disk on fire");
}

TEST(RecordReaderTest, MultiMemberGzip) {
  std::string data = Gzip("{\"n\":1}\n") + Gzip("{\"n\":2}\n{\"n\":3}") + Gzip("\n{\"n\":4}\n");
  ReadAll r = ReadAllRecords(data);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[0], "{\"n\":1}");
  EXPECT_EQ(r.records[1], "{\"n\":2}");
  EXPECT_EQ(r.records[2], "{\"n\":3}");
  EXPECT_EQ(r.records[3], "{\"n\":4}");
  // The same with one byte per read, so every member boundary falls between reads.
  ReadAll slow = ReadAllRecords(data, Limits{}, 1);
  ASSERT_TRUE(slow.status.ok()) << slow.status.message();
  EXPECT_EQ(slow.records, r.records);
}

TEST(RecordReaderTest, RecordSplitAcrossGzipMembers) {
  std::string data = Gzip("{\"n\":[1,") + Gzip("2]}\n");
  ReadAll r = ReadAllRecords(data);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0], "{\"n\":[1,2]}");
}

TEST(RecordReaderTest, TruncatedGzip) {
  std::string data = Gzip(std::string(5000, ' ') + "{\"a\":\"" + std::string(3000, 'x') + "\"}\n");
  for (size_t cut : {size_t{1}, size_t{4}, size_t{8}, data.size() / 2, data.size() - 11}) {
    ReadAll r = ReadAllRecords(data.substr(0, data.size() - cut), Limits{}, SIZE_MAX,
                               "Survey.1.2.part-00000-0.gz");
    EXPECT_EQ(r.status.code(), Code::kFailed) << cut;
    EXPECT_EQ(r.status.exit_code(), 1);
    EXPECT_EQ(r.status.message(), "Survey.1.2.part-00000-0.gz: truncated gzip stream") << cut;
  }
  // A whole first member followed by half a second one.
  std::string two = Gzip("{\"a\":1}\n") + Gzip("{\"b\":2}\n").substr(0, 12);
  ReadAll r = ReadAllRecords(two, Limits{}, SIZE_MAX, "t.gz");
  EXPECT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.status.message(), "t.gz: truncated gzip stream");
}

TEST(RecordReaderTest, CorruptGzip) {
  std::string data = Gzip("{\"a\":\"" + std::string(10000, 'q') + "\"}\n", Z_NO_COMPRESSION);
  std::string bad_crc = data;
  bad_crc[bad_crc.size() - 6] ^= 0x55;  // CRC32 trailer
  ReadAll r = ReadAllRecords(bad_crc, Limits{}, SIZE_MAX, "c.gz");
  EXPECT_EQ(r.status.message(), "c.gz: corrupt gzip stream");

  std::string bad_body = Gzip("{\"a\":\"" + std::string(10000, 'q') + "\"}\n");
  bad_body[bad_body.size() / 2] ^= 0xff;
  bad_body[bad_body.size() / 2 + 1] ^= 0xff;
  r = ReadAllRecords(bad_body, Limits{}, SIZE_MAX, "c.gz");
  EXPECT_EQ(r.status.code(), Code::kFailed);
  EXPECT_EQ(r.status.message(), "c.gz: corrupt gzip stream");

  std::string trailing_garbage = Gzip("{\"a\":1}\n") + "garbage after the member";
  r = ReadAllRecords(trailing_garbage, Limits{}, SIZE_MAX, "c.gz");
  EXPECT_EQ(r.status.message(), "c.gz: corrupt gzip stream");

  std::string bad_header = Gzip("{\"a\":1}\n");
  bad_header[2] = 7;  // compression method other than deflate
  r = ReadAllRecords(bad_header, Limits{}, SIZE_MAX, "c.gz");
  EXPECT_EQ(r.status.message(), "c.gz: corrupt gzip stream");
}

TEST(RecordReaderTest, RecordOverSizeLimit) {
  Limits limits;
  limits.max_record_bytes = 100;
  std::string ok_rec = "{\"a\":\"" + std::string(92, 'x') + "\"}";  // exactly 100 bytes
  ASSERT_EQ(ok_rec.size(), 100u);
  ReadAll r = ReadAllRecords(ok_rec + "\n" + "{\"a\":\"" + std::string(93, 'x') + "\"}", limits,
                             SIZE_MAX, "big.json");
  EXPECT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.status.code(), Code::kFailed);
  EXPECT_EQ(r.status.message(), "big.json: record 2 exceeds the maximum record size of 100 bytes");

  // A record far larger than a read chunk is stopped while it is still being read.
  limits.max_record_bytes = 300 << 10;
  std::string huge = "{\"a\":\"" + std::string(10u << 20, 'x') + "\"}";
  r = ReadAllRecords(Gzip(huge), limits, SIZE_MAX, "huge.gz");
  EXPECT_EQ(r.status.message(),
            "huge.gz: record 1 exceeds the maximum record size of 307200 bytes");
}

TEST(RecordReaderTest, NestingOverDepthLimit) {
  auto nested = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += (i % 2 ? "[" : "{\"k\":");
    for (int i = depth - 1; i >= 0; --i) s += (i % 2 ? "]" : "}");
    return s;
  };
  ReadAll ok = ReadAllRecords(nested(256));
  ASSERT_TRUE(ok.status.ok()) << ok.status.message();
  EXPECT_EQ(ok.records.size(), 1u);

  ReadAll r = ReadAllRecords(nested(257), Limits{}, SIZE_MAX, "deep.json");
  EXPECT_EQ(r.status.code(), Code::kFailed);
  EXPECT_EQ(r.status.message(),
            "deep.json: record 1 is nested deeper than the maximum of 256 levels");

  Limits limits;
  limits.max_depth = 3;
  r = ReadAllRecords("{\"a\":[{}]}\n{\"a\":[{\"b\":[]}]}", limits, SIZE_MAX, "d");
  EXPECT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.status.message(), "d: record 2 is nested deeper than the maximum of 3 levels");

  // Brackets inside strings do not count.
  r = ReadAllRecords("{\"a\":\"" + std::string(1000, '[') + "\"}", limits);
  EXPECT_TRUE(r.status.ok()) << r.status.message();
}

TEST(RecordReaderTest, GzipBombAgainstRatioLimit) {
  // 4 MiB of one repeated record compresses far better than 10:1.
  std::string line = "{\"a\":\"" + std::string(100, 'z') + "\"}\n";
  std::string plain;
  while (plain.size() < (4u << 20)) plain += line;
  std::string gz = Gzip(plain);
  Limits limits;
  limits.max_inflate_ratio = 10;
  ReadAll r = ReadAllRecords(gz, limits, SIZE_MAX, "bomb.gz");
  EXPECT_EQ(r.status.code(), Code::kFailed);
  EXPECT_EQ(r.status.message(),
            "bomb.gz: inflated size exceeds 10 times the compressed size (possible gzip bomb)");
  // The check stops inflation early: far fewer than all records came out.
  EXPECT_LT(r.records.size(), plain.size() / line.size() / 2);

  // With the default ratio (1000) the same file is fine.
  ReadAll fine = ReadAllRecords(gz);
  ASSERT_TRUE(fine.status.ok()) << fine.status.message();
  EXPECT_EQ(fine.records.size(), plain.size() / line.size());
}

TEST(RecordReaderTest, GzipBombAgainstSizeLimit) {
  std::string plain(3u << 20, ' ');
  plain += "{}";
  Limits limits;
  limits.max_inflated_bytes = 1u << 20;
  ReadAll r = ReadAllRecords(Gzip(plain), limits, SIZE_MAX, "bomb.gz");
  EXPECT_EQ(r.status.message(),
            "bomb.gz: inflated size exceeds the maximum of 1048576 bytes (possible gzip bomb)");
}

TEST(RecordReaderTest, RecordsSplitAcrossReadChunks) {
  // Records of varied sizes so that boundaries fall everywhere relative to the 256 KiB chunks,
  // including inside strings, right after a backslash, and on the closing brace.
  std::vector<std::string> expected;
  std::string plain;
  uint32_t seed = 12345;
  auto next = [&]() {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
  };
  while (plain.size() < (1u << 20) + 1000) {
    size_t len = next() % 70000;
    std::string body;
    for (size_t i = 0; i < len; ++i) {
      uint32_t k = next() % 40;
      body += k == 0 ? "\\\"" : k == 1 ? "\\\\" : k == 2 ? "}" : k == 3 ? "[" : "a";
    }
    std::string rec = "{\"s\":\"" + body + "\",\"n\":{\"m\":[1,2,{\"x\":\"}\"}]}}";
    expected.push_back(rec);
    plain += rec;
    plain += (next() % 2) ? "\n" : "";
  }
  ReadAll plain_read = ReadAllRecords(plain);
  ASSERT_TRUE(plain_read.status.ok()) << plain_read.status.message();
  EXPECT_EQ(plain_read.records, expected);
  ReadAll gz_read = ReadAllRecords(Gzip(plain));
  ASSERT_TRUE(gz_read.status.ok()) << gz_read.status.message();
  EXPECT_EQ(gz_read.records, expected);
  ReadAll odd_reads = ReadAllRecords(plain, Limits{}, 7777);
  ASSERT_TRUE(odd_reads.status.ok()) << odd_reads.status.message();
  EXPECT_EQ(odd_reads.records, expected);

  std::string exact = "{\"s\":\"" + std::string((256u << 10) - 8, 'b') + "\"}";
  ASSERT_EQ(exact.size(), 256u << 10);
  ReadAll boundary = ReadAllRecords(exact + "\n{\"t\":1}");
  ASSERT_TRUE(boundary.status.ok()) << boundary.status.message();
  ASSERT_EQ(boundary.records.size(), 2u);
  EXPECT_EQ(boundary.records[0], exact);
  EXPECT_EQ(boundary.records[1], "{\"t\":1}");
}

TEST(RecordReaderTest, EscapeAtChunkBoundary) {
  // The backslash is the last byte of the first chunk; the escaped quote the first of the next.
  std::string prefix = "{\"s\":\"";
  std::string rec = prefix + std::string((256u << 10) - prefix.size() - 1, 'c') + "\\\"}\"}";
  ReadAll r = ReadAllRecords(rec);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0], rec);
}

}  // namespace
}  // namespace davault::format
