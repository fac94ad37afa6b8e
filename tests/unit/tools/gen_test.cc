// Tests for davault-gen: reproducibility, the samples' exact shape, framing, and an exact manifest.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#ifndef DAVAULT_GEN_PATH
#error "DAVAULT_GEN_PATH must name the davault-gen binary"
#endif

namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

constexpr int64_t kHourMs = 3'600'000;
constexpr const char* kNs = "com.liveperson.dataaccess.";

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "davault-gen-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

struct RunResult {
  int exit_code = -1;
  std::string err;
};

// Runs the built davault-gen with the given arguments.
RunResult RunGen(const TempDir& scratch, const std::vector<std::string>& args) {
  std::string cmd = Quote(DAVAULT_GEN_PATH);
  for (const std::string& a : args) cmd += " " + Quote(a);
  const std::string err_path = scratch / "stderr.txt";
  cmd += " 2>" + Quote(err_path);
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = ReadFile(err_path);
  return r;
}

// Inflates every gzip member of data; fails the test on a truncated or corrupt stream.
std::string Gunzip(const std::string& data, const std::string& what) {
  std::string out;
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  char buf[1 << 16];
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      EXPECT_EQ(inflateReset(&zs), Z_OK);  // another member follows
      continue;
    }
    if (rc != Z_OK) {
      ADD_FAILURE() << what << ": inflate failed with " << rc;
      break;
    }
  }
  inflateEnd(&zs);
  return out;
}

std::vector<std::string> Lines(const std::string& text, const std::string& what) {
  std::vector<std::string> lines;
  EXPECT_TRUE(!text.empty() && text.back() == '\n') << what << ": not \\n-terminated";
  size_t b = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n') continue;
    EXPECT_GT(i, b) << what << ": blank line";
    lines.push_back(text.substr(b, i - b));
    b = i + 1;
  }
  return lines;
}

std::vector<std::string> GzFiles(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".gz") names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

struct Record {
  std::string file;
  uint64_t index = 0;
  std::string raw;
  ojson json;
};

std::vector<Record> ReadRecords(const std::string& dir) {
  std::vector<Record> out;
  for (const std::string& name : GzFiles(dir)) {
    const auto lines = Lines(Gunzip(ReadFile(dir + "/" + name), name), name);
    for (size_t i = 0; i < lines.size(); ++i) {
      Record r{name, i, lines[i], {}};
      try {
        r.json = ojson::parse(lines[i]);
      } catch (const std::exception& e) {
        ADD_FAILURE() << name << " line " << i << ": not JSON: " << e.what();
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

nlohmann::json ReadJson(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

std::string SamplesDir() {
  const char* root = std::getenv("DAVAULT_SOURCE_DIR");
  return std::string(root != nullptr ? root : ".") + "/tests/data/samples";
}

// The body items of a record in either form.
const ojson& Items(const ojson& rec) {
  const ojson& rc = rec.at("recordCollection");
  return rc.is_array() ? rc : rc.at("array");
}
std::string BodyName(const ojson& item) { return item.at("body").begin().key(); }
const ojson& Body(const ojson& item) { return item.at("body").begin().value(); }
const ojson& Meta(const ojson& rec) {
  const ojson& m = rec.at("metaData");
  return m.contains("com.liveperson.dataaccess.MetaData")
             ? m.at("com.liveperson.dataaccess.MetaData")
             : m;
}

// ---------------------------------------------------------------------------------------------
// Key-path shapes: the set of paths, which of them are null or empty arrays, and key order.

struct Shape {
  std::set<std::string> paths;
  std::set<std::string> open_ended;  // null values and empty arrays: their inside is unknown
  std::map<std::string, std::vector<std::string>> order;
  std::set<std::string> order_conflicts;
};

bool IsUnionWrapper(const ojson& v) {
  if (!v.is_object() || v.size() != 1) return false;
  const std::string& k = v.begin().key();
  return k.rfind(kNs, 0) == 0 || k == "string" || k == "long" || k == "int" || k == "boolean" ||
         k == "double" || k == "array";
}

void Walk(const ojson& v, const std::string& path, Shape& s) {
  if (v.is_object()) {
    if (IsUnionWrapper(v)) {
      const std::string p = path + "/" + v.begin().key();
      s.paths.insert(p);
      if (v.begin().value().is_array() && v.begin().value().empty()) s.open_ended.insert(p);
      Walk(v.begin().value(), p, s);
      return;
    }
    std::vector<std::string> keys;
    for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
    auto [pos, inserted] = s.order.emplace(path, keys);
    if (!inserted && pos->second != keys) s.order_conflicts.insert(path);
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string p = path + "." + it.key();
      s.paths.insert(p);
      if (it.value().is_null()) s.open_ended.insert(p);
      Walk(it.value(), p, s);
    }
  } else if (v.is_array()) {
    for (const ojson& x : v) Walk(x, path + "[]", s);
  }
}

std::map<std::string, Shape> SectionShapes(const std::vector<ojson>& records) {
  std::map<std::string, Shape> out;
  for (const ojson& r : records) {
    for (const ojson& item : Items(r)) Walk(Body(item), "", out[BodyName(item)]);
  }
  return out;
}

std::vector<ojson> SampleRecords() {
  std::vector<ojson> out;
  for (const std::string& name : GzFiles(SamplesDir() + "/files")) {
    for (const std::string& line :
         Lines(Gunzip(ReadFile(SamplesDir() + "/files/" + name), name), name)) {
      out.push_back(ojson::parse(line));
    }
  }
  return out;
}

bool UnderOpenEnded(const std::string& p, const Shape& sample) {
  for (const std::string& q : sample.open_ended) {
    if (p.size() > q.size() && p.compare(0, q.size(), q) == 0 &&
        (p[q.size()] == '/' || p[q.size()] == '.' || p[q.size()] == '[')) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// The recount: finds each planted value by walking every parsed record, independently of the
// generator's own bookkeeping.

void StringLeaves(const ojson& v, const std::string& key,
                  std::vector<std::pair<std::string, const ojson*>>& out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& k = it.key();
      const bool wrapper = k == "string" || k == "long" || k == "int";
      StringLeaves(it.value(), wrapper ? key : k, out);
    }
  } else if (v.is_array()) {
    for (const ojson& x : v) StringLeaves(x, key, out);
  } else {
    out.emplace_back(key, &v);
  }
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string TrimLower(const std::string& s) {
  size_t b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : Lower(s.substr(b, e - b + 1));
}

std::vector<std::string> EmailsIn(std::string text) {
  for (size_t p; (p = text.find("%40")) != std::string::npos;) text.replace(p, 3, "@");
  auto local = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("._%+-", c);
  };
  auto domain = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  };
  std::vector<std::string> out;
  for (size_t at = text.find('@'); at != std::string::npos; at = text.find('@', at + 1)) {
    size_t b = at, e = at + 1;
    while (b > 0 && local(text[b - 1])) --b;
    while (e < text.size() && domain(text[e])) ++e;
    while (e > at + 1 && text[e - 1] == '.') --e;
    if (b < at && e > at + 1) out.push_back(Lower(text.substr(b, e - b)));
  }
  return out;
}

// GB national significant number of a phone-like string.
std::string Nsn(const std::string& s) {
  std::string d;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '+') d += c;
  }
  std::string r;
  if (d.rfind("+44", 0) == 0) {
    r = d.substr(3);
  } else if (d.rfind("0044", 0) == 0) {
    r = d.substr(4);
  } else if (d.rfind("0", 0) == 0) {
    r = d.substr(1);
  } else {
    return "";
  }
  if (r.rfind("0", 0) == 0) r.erase(0, 1);
  return r;
}

bool RecordHolds(const ojson& rec, const std::string& kind, const std::string& value) {
  static const std::regex kPhone(R"(\+?[0-9][0-9 ()\-]{7,}[0-9])");
  static const std::set<std::string> kAgentKeys = {"agentID", "agentId", "targetAgentId",
                                                   "agentLoginname", "agentUsername"};
  std::vector<std::pair<std::string, const ojson*>> leaves;
  StringLeaves(rec, "", leaves);
  for (const auto& [key, leaf] : leaves) {
    if (kind == "agent") {
      if (!kAgentKeys.count(key)) continue;
      if (leaf->is_string() && leaf->get<std::string>() == value) return true;
      if (leaf->is_number_integer() && std::to_string(leaf->get<int64_t>()) == value) return true;
      continue;
    }
    if (!leaf->is_string()) continue;
    const std::string& s = leaf->get_ref<const std::string&>();
    if (kind == "email") {
      for (const std::string& e : EmailsIn(s)) {
        if (e == TrimLower(value)) return true;
      }
    } else if (kind == "phone") {
      for (std::sregex_iterator it(s.begin(), s.end(), kPhone), end; it != end; ++it) {
        if (Nsn(it->str()) == Nsn(value)) return true;
      }
    } else if (kind == "marker") {
      if (s.find(value) != std::string::npos) return true;
    } else if (s == value) {
      return true;
    }
  }
  return false;
}

using Place = std::pair<std::string, uint64_t>;  // file, record

std::set<Place> Occurrences(const nlohmann::json& list) {
  std::set<Place> out;
  for (const auto& o : list) {
    EXPECT_TRUE(out.emplace(o["file"].get<std::string>(), o["record"].get<uint64_t>()).second)
        << "a record is listed twice for one identifier";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

TEST(GenTest, SameSeedGivesIdenticalBytesAndAnotherSeedDoesNot) {
  TempDir t;
  auto run = [&](const std::string& dir, const std::string& seed) {
    return RunGen(
        t, {"--out", t / dir, "--seed", seed, "--hours", "2", "--records-per-file", "6", "--parts",
            "2", "--manifest", t / (dir + ".json"), "--marker", "quiet lighthouse 5521",
            "--dup-file", "--plant", "name=dana,email=dana.reyes@example.test,phone=07700 900461"});
  };
  ASSERT_EQ(run("a", "7").exit_code, 0);
  ASSERT_EQ(run("b", "7").exit_code, 0);
  ASSERT_EQ(run("c", "8").exit_code, 0);
  const auto names = GzFiles(t / "a");
  ASSERT_EQ(names.size(), 4u * 2 * 2 + 1);  // 4 types x 2 hours x 2 parts + the duplicate
  EXPECT_EQ(GzFiles(t / "b"), names);
  EXPECT_EQ(GzFiles(t / "c"), names);  // names depend on time and parts only
  int differing = 0;
  for (const std::string& n : names) {
    EXPECT_EQ(ReadFile(t / ("a/" + n)), ReadFile(t / ("b/" + n))) << n;
    if (ReadFile(t / ("a/" + n)) != ReadFile(t / ("c/" + n))) ++differing;
  }
  EXPECT_EQ(ReadFile(t / "a.json"), ReadFile(t / "b.json"));
  EXPECT_NE(ReadFile(t / "a.json"), ReadFile(t / "c.json"));
  EXPECT_GE(differing, 16);  // every generated file; the duplicate may re-issue another file
}

TEST(GenTest, FileNamesScopesAndGzipFramingMatchTheSamples) {
  TempDir t;
  ASSERT_EQ(RunGen(t, {"--out", t / "out", "--start", "2016-07-25T13:00:00Z", "--hours", "3",
                       "--parts", "2", "--records-per-file", "4", "--manifest", t / "m.json"})
                .exit_code,
            0);
  const auto manifest = ReadJson(t / "m.json");
  const auto names = GzFiles(t / "out");
  ASSERT_EQ(names.size(), 4u * 3 * 2);
  EXPECT_EQ(manifest["files"].size(), names.size());
  const std::regex name_re(
      R"((Agent|WebSession|Engagement|Survey)\.(\d+)\.(\d+)\.part-(\d{5})-0\.gz)");
  const std::map<std::string, std::string> data_type = {{"Agent", "AgentActivity"},
                                                        {"WebSession", "WebSession"},
                                                        {"Engagement", "Engagement"},
                                                        {"Survey", "Survey"}};
  std::map<std::string, int> per_prefix;
  const int64_t first = 1469451600000;  // 2016-07-25T13:00:00Z
  for (const std::string& n : names) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(n, m, name_re)) << n;
    const int64_t start = std::stoll(m[2]), end = std::stoll(m[3]);
    EXPECT_EQ(end, start + kHourMs) << n;
    EXPECT_EQ((start - first) % kHourMs, 0) << n;
    EXPECT_TRUE(start >= first && start < first + 3 * kHourMs) << n;
    EXPECT_LE(std::stoi(m[4]), 1) << n;
    ++per_prefix[m[1]];

    // Header as the samples': gzip, deflate, no flags (so no stored name), mtime 0, OS 255.
    const std::string gz = ReadFile(t / ("out/" + n));
    ASSERT_GT(gz.size(), 18u);
    EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
    EXPECT_EQ(gz[2], 8);
    EXPECT_EQ(gz[3], 0) << n << ": FNAME or other flags set";
    EXPECT_EQ(gz.substr(4, 4), std::string(4, '\0')) << n << ": mtime not 0";
    EXPECT_EQ(static_cast<unsigned char>(gz[9]), 255);

    const std::string text = Gunzip(gz, n);
    const auto lines = Lines(text, n);
    const auto& entry = manifest["files"][n];
    EXPECT_EQ(lines.size(), 4u);
    EXPECT_EQ(entry["records"].get<size_t>(), lines.size());
    EXPECT_EQ(entry["uncompressed_bytes"].get<size_t>(), text.size());
    EXPECT_EQ(entry["compressed_bytes"].get<size_t>(), gz.size());
    EXPECT_EQ(entry["scope_start"].get<int64_t>(), start);
    EXPECT_EQ(entry["scope_end"].get<int64_t>(), end);
    for (const std::string& line : lines) {
      const ojson rec = ojson::parse(line);
      EXPECT_EQ(rec.dump(), line) << n << ": not compact JSON";
      EXPECT_EQ(rec["dataType"]["com.liveperson.dataaccess.DataTypeEnum"], data_type.at(m[1]));
      const int64_t st = Meta(rec)["startTime"]["long"].get<int64_t>();
      EXPECT_EQ(st / kHourMs * kHourMs, start) << n << ": startTime outside the scope hour";
      const ojson& et = Meta(rec)["endTime"];
      if (!et.is_null()) {
        EXPECT_GE(et["long"].get<int64_t>(), st);
      }
    }
  }
  EXPECT_EQ(per_prefix, (std::map<std::string, int>{
                            {"Agent", 6}, {"Engagement", 6}, {"Survey", 6}, {"WebSession", 6}}));
}

TEST(GenTest, EveryLineHasTheSamplesTopLevelShapeInProductionForm) {
  TempDir t;
  ASSERT_EQ(RunGen(t, {"--out", t / "out", "--hours", "2", "--records-per-file", "10"}).exit_code,
            0);
  const auto records = ReadRecords(t / "out");
  ASSERT_EQ(records.size(), 80u);
  const std::vector<std::string> top = {"dataType", "metaData", "recordCollection"};
  const std::vector<std::string> meta = {"accountId", "schemaVersion", "startTime", "endTime"};
  const std::vector<std::string> web = {"com.liveperson.dataaccess.WebSessionEngAttrsData",
                                        "com.liveperson.dataaccess.WebSessionNavigationData",
                                        "com.liveperson.dataaccess.WebSessionGoalAchievedData",
                                        "com.liveperson.dataaccess.WebSessionEligibilityData",
                                        "com.liveperson.dataaccess.WebSessionImpressionData",
                                        "com.liveperson.dataaccess.WebSessionGeoData",
                                        "com.liveperson.dataaccess.WebSessionInfoData"};
  for (const Record& r : records) {
    std::vector<std::string> keys;
    for (auto it = r.json.begin(); it != r.json.end(); ++it) keys.push_back(it.key());
    EXPECT_EQ(keys, top) << r.file;
    const ojson& md = r.json["metaData"];
    ASSERT_EQ(md.size(), 1u);
    ASSERT_TRUE(md.contains("com.liveperson.dataaccess.MetaData")) << r.file;
    keys.clear();
    for (auto it = Meta(r.json).begin(); it != Meta(r.json).end(); ++it) keys.push_back(it.key());
    EXPECT_EQ(keys, meta);
    EXPECT_EQ(Meta(r.json)["accountId"]["string"], "75555851");
    EXPECT_TRUE(Meta(r.json)["schemaVersion"].is_string());
    ASSERT_TRUE(r.json["recordCollection"].is_object());
    ASSERT_EQ(r.json["recordCollection"].size(), 1u);
    ASSERT_TRUE(r.json["recordCollection"]["array"].is_array());
    if (r.file.rfind("WebSession.", 0) == 0) {
      std::vector<std::string> sections;
      for (const ojson& item : Items(r.json)) sections.push_back(BodyName(item));
      EXPECT_EQ(sections, web);
    } else {
      EXPECT_EQ(Items(r.json).size(), 1u);
    }
  }
}

TEST(GenTest, SectionsHaveTheSamplesFieldNamesOrderAndUnionWrapping) {
  TempDir t;
  ASSERT_EQ(RunGen(t, {"--out", t / "out", "--hours", "3", "--records-per-file", "30", "--plant",
                       "name=dana,email=dana.reyes@example.test,phone=+44 20 7946 0461,"
                       "customer=CUST-4410,consumer=1a2b3c4d-0000-4000-8000-00000000aaaa",
                       "--plant", "name=ag,agent=ana.agent@example.test"})
                .exit_code,
            0);
  std::vector<ojson> generated;
  for (Record& r : ReadRecords(t / "out")) generated.push_back(std::move(r.json));
  const auto samples = SectionShapes(SampleRecords());
  const auto gen = SectionShapes(generated);
  ASSERT_EQ(samples.size(), 8u);  // agent, engagement, survey, five web-session sections
  for (const auto& [section, sample] : samples) {
    SCOPED_TRACE(section);
    ASSERT_TRUE(gen.count(section)) << "section never generated";
    const Shape& g = gen.at(section);
    for (const std::string& p : sample.paths) EXPECT_TRUE(g.paths.count(p)) << "missing " << p;
    for (const std::string& p : g.paths) {
      EXPECT_TRUE(sample.paths.count(p) || UnderOpenEnded(p, sample)) << "not in the sample: " << p;
    }
    for (const auto& [path, keys] : sample.order) {
      if (!g.order.count(path)) continue;
      EXPECT_EQ(g.order.at(path), keys) << "key order at '" << path << "'";
      EXPECT_FALSE(g.order_conflicts.count(path)) << "key order varies at '" << path << "'";
    }
  }
  for (const char* extra : {"com.liveperson.dataaccess.WebSessionGeoData",
                            "com.liveperson.dataaccess.WebSessionInfoData"}) {
    ASSERT_TRUE(gen.count(extra)) << extra;
    EXPECT_TRUE(
        gen.at(extra).paths.count(".header/com.liveperson.dataaccess.VisitorHeader.visitorId"));
  }
  const Shape& geo = gen.at("com.liveperson.dataaccess.WebSessionGeoData");
  EXPECT_EQ(geo.order.at(".geo/com.liveperson.dataaccess.Geo"),
            (std::vector<std::string>{"iPV4", "iPV6", "country", "city", "state", "org", "isp",
                                      "countryCode"}));
}

TEST(GenTest, DocumentationFormIsTheProductionFormUnwrapped) {
  TempDir t;
  const std::vector<std::string> common = {"--hours",
                                           "2",
                                           "--records-per-file",
                                           "8",
                                           "--seed",
                                           "3",
                                           "--plant",
                                           "name=v,visitor=QQQQbbbbCCCCddddEEEEff"};
  auto args = [&](const std::string& dir, const std::string& form) {
    std::vector<std::string> a = {"--out", t / dir, "--form", form};
    a.insert(a.end(), common.begin(), common.end());
    return a;
  };
  ASSERT_EQ(RunGen(t, args("prod", "production")).exit_code, 0);
  ASSERT_EQ(RunGen(t, args("doc", "doc")).exit_code, 0);
  const auto prod = ReadRecords(t / "prod");
  const auto doc = ReadRecords(t / "doc");
  ASSERT_EQ(prod.size(), doc.size());
  ASSERT_EQ(prod.size(), 64u);
  for (size_t i = 0; i < prod.size(); ++i) {
    ojson unwrapped = prod[i].json;
    unwrapped["metaData"] = Meta(prod[i].json);
    unwrapped["recordCollection"] = Items(prod[i].json);
    EXPECT_EQ(unwrapped.dump(), doc[i].raw) << doc[i].file << " line " << doc[i].index;
    EXPECT_TRUE(doc[i].json["recordCollection"].is_array());
    EXPECT_FALSE(doc[i].json["metaData"].contains("com.liveperson.dataaccess.MetaData"));
  }
  // The samples themselves obey the same rule (and so does the comparison above).
  const ojson sample_doc = ojson::parse(ReadFile(SamplesDir() + "/doc/engagement.json"));
  const auto sample_prod = SampleRecords();
  bool found = false;
  for (const ojson& r : sample_prod) {
    if (r["dataType"]["com.liveperson.dataaccess.DataTypeEnum"] != "Engagement") continue;
    ojson u = r;
    u["metaData"] = Meta(r);
    u["recordCollection"] = Items(r);
    EXPECT_EQ(u, sample_doc);
    found = true;
  }
  EXPECT_TRUE(found);
}

TEST(GenTest, ManifestMatchesAnIndependentRecount) {
  TempDir t;
  const std::string marker = "amber kestrel 7731";
  ASSERT_EQ(
      RunGen(t, {"--out",
                 t / "out",
                 "--hours",
                 "4",
                 "--parts",
                 "2",
                 "--records-per-file",
                 "9",
                 "--seed",
                 "11",
                 "--manifest",
                 t / "m.json",
                 "--marker",
                 marker,
                 "--dup-file",
                 "--plant",
                 "name=dana,email=Dana.Reyes@example.test,phone=+44 20 7946 0461,"
                 "customer=CUST-4410,consumer=1a2b3c4d-0000-4000-8000-00000000aaaa,count=6",
                 "--plant",
                 "name=ana,agent=ana.agent@example.test,count=4",
                 "--plant",
                 "name=vic,visitor=QQQQbbbbCCCCddddEEEEff,ip=2001:db8::4c1,count=5",
                 "--plant",
                 "name=raj,agent=4242424,phone=07700 900418,types=agentActivity,engagement,survey",
                 "--plant",
                 "name=exa,email=exact.person@example.test,forms=exact,count=4"})
          .exit_code,
      0);
  const auto m = ReadJson(t / "m.json");
  const auto records = ReadRecords(t / "out");

  // Files and totals.
  std::map<std::string, uint64_t> lines_per_file;
  for (const Record& r : records) ++lines_per_file[r.file];
  ASSERT_EQ(m["files"].size(), lines_per_file.size());
  std::map<std::string, uint64_t> per_type;
  for (const auto& [name, e] : m["files"].items()) {
    EXPECT_EQ(e["records"].get<uint64_t>(), lines_per_file[name]) << name;
    per_type[e["type"].get<std::string>()] += e["records"].get<uint64_t>();
  }
  for (const auto& [type, n] : per_type) EXPECT_EQ(m["totals"][type]["records"], n) << type;
  EXPECT_EQ(m["totals"]["all"]["records"].get<uint64_t>(), records.size());

  ASSERT_EQ(m["planted"].size(), 5u);
  int identifiers = 0;
  for (const auto& [name, p] : m["planted"].items()) {
    SCOPED_TRACE(name);
    const std::set<Place> person = Occurrences(p["occurrences"]);
    std::set<Place> any;
    for (const auto& ident : p["identifiers"]) {
      const std::string kind = ident["kind"], value = ident["value"];
      SCOPED_TRACE(kind + " " + value);
      ++identifiers;
      std::set<Place> found;
      std::map<std::string, uint64_t> found_per_type;
      for (const Record& r : records) {
        if (!RecordHolds(r.json, kind, value)) continue;
        found.emplace(r.file, r.index);
        ++found_per_type[m["files"][r.file]["type"].get<std::string>()];
      }
      const std::set<Place> listed = Occurrences(ident["occurrences"]);
      EXPECT_EQ(listed, found);
      if (kind == "email") {
        // structured_records: the address in PersonalInfo.contacts[].email itself, copies once.
        std::map<std::string, uint64_t> in_field;
        for (const Record& r : records) {
          if (!m["files"][r.file]["duplicate_of"].is_null()) continue;
          std::vector<std::pair<std::string, const ojson*>> leaves;
          StringLeaves(r.json, "", leaves);
          for (const auto& [key, leaf] : leaves) {
            if (key == "email" && leaf->is_string() && TrimLower(*leaf) == TrimLower(value)) {
              ++in_field[m["files"][r.file]["type"].get<std::string>()];
              break;
            }
          }
        }
        for (const auto& [type, n] : ident["structured_records"].items()) {
          EXPECT_EQ(n.get<uint64_t>(), in_field[type]) << "structured " << type;
        }
      }
      for (const auto& [type, n] : ident["records"].items()) {
        EXPECT_EQ(n.get<uint64_t>(), found_per_type[type]) << type;
      }
      any.insert(listed.begin(), listed.end());
    }
    EXPECT_EQ(person, any);
    // The marker sits in every one of the person's engagements, and nowhere else of theirs.
    std::set<Place> marker_found;
    for (const Record& r : records) {
      if (person.count({r.file, r.index}) && RecordHolds(r.json, "marker", marker)) {
        marker_found.emplace(r.file, r.index);
      }
    }
    EXPECT_EQ(Occurrences(p["marker"]["occurrences"]), marker_found);
    EXPECT_EQ(p["marker"]["records"]["engagement"], p["records"]["engagement"]);
  }
  EXPECT_GE(identifiers, 20);

  // Given identifiers land in count records of each of their types.
  const auto& dana = m["planted"]["dana"];
  EXPECT_EQ(dana["unique_records"]["webSession"], 6);
  EXPECT_EQ(dana["unique_records"]["engagement"], 6);
  EXPECT_EQ(dana["unique_records"]["survey"], 6);
  EXPECT_EQ(dana["unique_records"]["agentActivity"], 0);
  const auto& ana = m["planted"]["ana"];
  EXPECT_EQ(ana["unique_records"]["agentActivity"], 4);
  EXPECT_EQ(ana["unique_records"]["engagement"], 4);
  EXPECT_EQ(ana["unique_records"]["survey"], 0);
  EXPECT_EQ(m["planted"]["raj"]["unique_records"]["survey"], 3);  // the default count

  // forms=exact writes the address only as given.
  for (const auto& ident : m["planted"]["exa"]["identifiers"]) {
    if (ident["kind"] != "email") continue;
    for (const auto& o : ident["occurrences"]) {
      for (const auto& f : o["forms"]) {
        const std::string form = f;
        EXPECT_TRUE(form == "exact.person@example.test" || form == "exact.person%40example.test")
            << form;
      }
    }
  }
}

TEST(GenTest, PlantedPeopleDoNotCollideWithThePool) {
  TempDir t;
  ASSERT_EQ(RunGen(t, {"--out", t / "plain", "--hours", "2", "--records-per-file", "20", "--seed",
                       "5", "--types", "webSession"})
                .exit_code,
            0);
  // Take an address and a phone number the pool really uses, and plant them (differently
  // written) under the same seed: the pool must then avoid them.
  std::string email, phone;
  for (const Record& r : ReadRecords(t / "plain")) {
    const ojson& pi = Body(Items(r.json)[0]).at("engagementAttributes").at("array");
    for (const ojson& a : pi) {
      if (!a["data"].contains("com.liveperson.dataaccess.PersonalInfo")) continue;
      const ojson& c = a["data"]["com.liveperson.dataaccess.PersonalInfo"]["contacts"]["array"][0];
      if (email.empty() && c["email"].is_object()) email = c["email"]["string"];
      if (phone.empty() && c["phone"].is_object()) phone = c["phone"]["string"];
    }
  }
  ASSERT_FALSE(email.empty());
  ASSERT_FALSE(phone.empty());
  std::string upper = TrimLower(email);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_EQ(RunGen(t, {"--out", t / "planted", "--hours", "2", "--records-per-file", "20", "--seed",
                       "5", "--types", "webSession", "--manifest", t / "m.json", "--plant",
                       "name=copy,email=" + upper + ",phone=" + phone + ",count=4"})
                .exit_code,
            0);
  const auto m = ReadJson(t / "m.json");
  const auto records = ReadRecords(t / "planted");
  for (const auto& ident : m["planted"]["copy"]["identifiers"]) {
    if (ident["kind"] != "email" && ident["kind"] != "phone") continue;
    std::set<Place> found;
    for (const Record& r : records) {
      if (RecordHolds(r.json, ident["kind"], ident["value"])) found.emplace(r.file, r.index);
    }
    EXPECT_EQ(Occurrences(ident["occurrences"]), found) << ident["kind"];
    EXPECT_GE(found.size(), 1u);
    EXPECT_LE(found.size(), 4u);
  }
}

TEST(GenTest, SurveysJoinEngagementsByConversationId) {
  TempDir t;
  ASSERT_EQ(RunGen(t, {"--out", t / "out", "--hours", "3", "--records-per-file", "20", "--types",
                       "engagement,survey", "--manifest", t / "m.json", "--plant",
                       "name=dana,email=dana.reyes@example.test,count=4"})
                .exit_code,
            0);
  std::set<std::string> conversations;
  std::vector<std::string> survey_conversations;
  for (const Record& r : ReadRecords(t / "out")) {
    const ojson& body = Body(Items(r.json)[0]);
    if (body.contains("engagements")) {
      for (const ojson& e : body["engagements"]["array"]) {
        conversations.insert(
            e["com.liveperson.dataaccess.Conversation"]["conversationId"]["string"]);
      }
    } else {
      for (const ojson& s : body["surveys"]["array"]) {
        survey_conversations.push_back(s["conversationId"]["string"]);
      }
    }
  }
  ASSERT_EQ(conversations.size(), 60u);  // unique across the run
  ASSERT_EQ(survey_conversations.size(), 60u);
  const auto joined = std::count_if(survey_conversations.begin(), survey_conversations.end(),
                                    [&](const std::string& c) { return conversations.count(c); });
  EXPECT_GE(joined, 40);
  for (const std::string& c : conversations) {
    EXPECT_EQ(c.rfind("75555851", 0), 0u) << "conversationId is accountId + number";
    EXPECT_EQ(c.size(), 18u);
  }
  // Every survey of the planted person joins one of their engagements.
  const auto m = ReadJson(t / "m.json");
  for (const auto& ident : m["planted"]["dana"]["identifiers"]) {
    if (ident["kind"] != "conversation") continue;
    EXPECT_EQ(ident["records"]["engagement"], 1) << ident["value"];
    EXPECT_LE(ident["records"]["survey"].get<int>(), 4) << ident["value"];
  }
}

// The keys a de-duplicating reader uses (issue 3): unique, except in the re-issued file.
TEST(GenTest, NaturalKeysAreUniqueExceptForTheReissuedFile) {
  TempDir t;
  ASSERT_EQ(RunGen(t, {"--out", t / "out", "--hours", "3", "--records-per-file", "15", "--dup-file",
                       "--manifest", t / "m.json", "--plant",
                       "name=dana,email=dana.reyes@example.test,count=12", "--plant",
                       "name=ana,agent=ana.agent@example.test,count=6"})
                .exit_code,
            0);
  const auto m = ReadJson(t / "m.json");
  std::string dup;
  for (const auto& [name, e] : m["files"].items()) {
    if (!e["duplicate_of"].is_null()) dup = name;
  }
  ASSERT_FALSE(dup.empty());
  std::map<std::string, int> seen;
  std::set<std::string> in_dup;
  for (const Record& r : ReadRecords(t / "out")) {
    std::string key;
    const ojson& b = Body(Items(r.json)[0]);
    if (b.contains("agentSessionsData")) {
      key = "agent " +
            b["header"]["com.liveperson.dataaccess.AgentHeader"]["agentSessionId"]["string"]
                .get<std::string>();
    } else if (b.contains("engagements")) {
      key = "conversation " + b["engagements"]["array"][0]["com.liveperson.dataaccess.Conversation"]
                               ["conversationId"]["string"]
                                   .get<std::string>();
    } else if (b.contains("surveys")) {
      const ojson& s = b["surveys"]["array"][0];
      key = "survey " + std::to_string(s["id"]["long"].get<int64_t>()) + " " +
            s["conversationId"]["string"].get<std::string>();
    } else {
      key = "visit " + b["header"]["com.liveperson.dataaccess.VisitorHeader"]["visitId"]["string"]
                           .get<std::string>();
    }
    ++seen[key];
    if (r.file == dup) in_dup.insert(key);
  }
  EXPECT_EQ(seen.size(), m["totals"]["all"]["unique_records"].get<size_t>());
  for (const auto& [key, n] : seen) EXPECT_EQ(n, in_dup.count(key) ? 2 : 1) << key;
  EXPECT_EQ(in_dup.size(), m["files"][dup]["records"].get<size_t>());
}

TEST(GenTest, ContentIsVariedLikeRealData) {
  TempDir t;
  ASSERT_EQ(RunGen(t, {"--out", t / "out", "--hours", "2", "--records-per-file", "40"}).exit_code,
            0);
  int null_consumer = 0, set_consumer = 0, empty_header = 0, null_fields = 0, empty_strings = 0,
      typed_email = 0, url_email = 0, surname_email = 0, ipv6 = 0, logins = 0, logouts = 0,
      state_changes = 0, transfers = 0, min_lines = 100, max_lines = 0;
  for (const Record& r : ReadRecords(t / "out")) {
    null_fields += r.raw.find(":null") != std::string::npos ? 1 : 0;
    empty_strings += r.raw.find("{\"string\":\"\"}") != std::string::npos ? 1 : 0;
    for (const ojson& item : Items(r.json)) {
      const std::string name = BodyName(item);
      const ojson& b = Body(item);
      if (name == "com.liveperson.dataaccess.EngagementData") {
        if (b["header"]["com.liveperson.dataaccess.VisitorHeader"]["visitorId"] ==
            ojson{{"string", ""}}) {
          ++empty_header;
        }
        const ojson& c = b["engagements"]["array"][0]["com.liveperson.dataaccess.Conversation"];
        (c["consumerId"].is_null() ? null_consumer : set_consumer)++;
        const int n = static_cast<int>(c["transcripts"]["array"].size());
        min_lines = std::min(min_lines, n);
        max_lines = std::max(max_lines, n);
        transfers += static_cast<int>(c["transfers"]["array"].size());
        for (const ojson& l : c["transcripts"]["array"]) {
          if (l["type"]["string"] == "0" && !EmailsIn(l["text"]["string"]).empty()) ++typed_email;
        }
      } else if (name == "com.liveperson.dataaccess.WebSessionNavigationData") {
        for (const ojson& n : b["navigationData"]["array"]) {
          const std::string url = n["url"]["string"];
          if (url.find('?') != std::string::npos && !EmailsIn(url).empty()) ++url_email;
        }
      } else if (name == "com.liveperson.dataaccess.WebSessionEngAttrsData") {
        for (const ojson& a : b["engagementAttributes"]["array"]) {
          if (!a["data"].contains("com.liveperson.dataaccess.PersonalInfo")) continue;
          const ojson& s = a["data"]["com.liveperson.dataaccess.PersonalInfo"]["surname"];
          if (s.is_object() && !EmailsIn(s["string"]).empty()) ++surname_email;
        }
      } else if (name == "com.liveperson.dataaccess.WebSessionGeoData") {
        if (!b["geo"]["com.liveperson.dataaccess.Geo"]["iPV6"].is_null()) ++ipv6;
      } else if (name == "com.liveperson.dataaccess.AgentActivityData") {
        for (const ojson& e : b["agentSessionsData"]["array"]) {
          const int64_t type = e["type"]["long"];
          logins += type == 3;
          logouts += type == 4;
          state_changes += type == 1;
        }
      }
    }
  }
  EXPECT_GE(min_lines, 3);
  EXPECT_LE(max_lines, 30);
  EXPECT_GT(max_lines, 12);
  EXPECT_GT(null_consumer, 0);
  EXPECT_GT(set_consumer, 0);
  EXPECT_GT(empty_header, 0);
  EXPECT_GT(null_fields, 0);
  EXPECT_GT(empty_strings, 0);
  EXPECT_GT(typed_email, 0);
  EXPECT_GT(url_email, 0);
  EXPECT_GT(surname_email, 0);
  EXPECT_GT(ipv6, 0);
  EXPECT_EQ(logins, 80);  // every agent session starts with its login
  EXPECT_GT(logouts, 0);
  EXPECT_GT(state_changes, logins);
  EXPECT_GT(transfers, 0);
}

TEST(GenTest, TargetBytesAndSingleFile) {
  TempDir t;
  ASSERT_EQ(RunGen(t, {"--out", t / "one", "--types", "engagement", "--single-file",
                       "--target-bytes", "300KB", "--manifest", t / "one.json", "--dup-file"})
                .exit_code,
            0);
  const auto names = GzFiles(t / "one");
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "Engagement.1793491200000.1793494800000.part-00000-0.gz");
  EXPECT_EQ(names[1], "Engagement.1793491200000.1793494800000.part-00001-0.gz");
  const std::string text = Gunzip(ReadFile(t / ("one/" + names[0])), names[0]);
  const auto lines = Lines(text, names[0]);
  size_t longest = 0;
  for (const auto& l : lines) longest = std::max(longest, l.size() + 1);
  EXPECT_GE(text.size(), 300'000u);
  EXPECT_LT(text.size(), 300'000u + longest);
  EXPECT_EQ(Gunzip(ReadFile(t / ("one/" + names[1])), names[1]), text);
  const auto m = ReadJson(t / "one.json");
  EXPECT_EQ(m["files"][names[1]]["duplicate_of"], names[0]);
  EXPECT_EQ(m["totals"]["engagement"]["records"].get<size_t>(), 2 * lines.size());
  EXPECT_EQ(m["totals"]["engagement"]["unique_records"].get<size_t>(), lines.size());

  // Hourly layout: hours are added until the target is reached, --hours notwithstanding.
  ASSERT_EQ(RunGen(t, {"--out", t / "hourly", "--target-bytes", "0.5MB", "--hours", "1",
                       "--records-per-file", "10", "--manifest", t / "hourly.json", "--plant",
                       "name=late,email=late.person@example.test,count=5"})
                .exit_code,
            0);
  const auto h = ReadJson(t / "hourly.json");
  EXPECT_GE(h["totals"]["all"]["uncompressed_bytes"].get<uint64_t>(), 500'000u);
  EXPECT_GT(GzFiles(t / "hourly").size(), 4u);
  EXPECT_EQ(h["planted"]["late"]["unique_records"]["engagement"], 5);
}

TEST(GenTest, DupFileReissuesAPlantedFileUnderTheNextPart) {
  TempDir t;
  ASSERT_EQ(RunGen(t, {"--out", t / "out", "--hours", "2", "--parts", "3", "--records-per-file",
                       "5", "--dup-file", "--manifest", t / "m.json", "--plant",
                       "name=dana,email=dana.reyes@example.test,count=2"})
                .exit_code,
            0);
  const auto m = ReadJson(t / "m.json");
  std::string dup, original;
  for (const auto& [name, e] : m["files"].items()) {
    if (!e["duplicate_of"].is_null()) {
      EXPECT_TRUE(dup.empty());
      dup = name;
      original = e["duplicate_of"];
    }
  }
  ASSERT_FALSE(dup.empty());
  EXPECT_EQ(m["files"][dup]["part"], 3);
  EXPECT_EQ(m["files"][dup]["type"], "engagement");
  EXPECT_EQ(m["files"][dup]["scope_start"], m["files"][original]["scope_start"]);
  EXPECT_EQ(dup.substr(0, dup.find(".part-")), original.substr(0, original.find(".part-")));
  EXPECT_EQ(ReadFile(t / ("out/" + dup)), ReadFile(t / ("out/" + original)));
  std::set<uint64_t> in_original, in_dup;
  for (const auto& o : m["planted"]["dana"]["occurrences"]) {
    if (o["file"] == original) in_original.insert(o["record"].get<uint64_t>());
    if (o["file"] == dup) in_dup.insert(o["record"].get<uint64_t>());
  }
  EXPECT_FALSE(in_original.empty());
  EXPECT_EQ(in_original, in_dup);
  EXPECT_EQ(m["planted"]["dana"]["records"]["engagement"].get<size_t>(), 2 + in_dup.size());
  EXPECT_EQ(m["planted"]["dana"]["unique_records"]["engagement"], 2);
}

TEST(GenTest, BadOptionsAreUsageErrorsThatDoNotEchoValues) {
  TempDir t;
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--plant", "name=x,emial=secret.value@example.test"}, "unknown key 'emial'"},
      {{"--plant", "email=secret.value@example.test"}, "name= is required"},
      {{"--plant", "name=x,email=secret.value@example.test,types=agentActivity"},
       "none of its identifiers goes into agentActivity records"},
      {{"--plant", "name=x,email=secret.value@example.test,count=999"},
       "not enough webSession records"},
      {{"--plant", "name=x,email=secret.value@example.test", "--plant",
        "name=y,email=SECRET.value@example.test"},
       "its email is also given to an earlier --plant"},
      {{"--plant", "name=x,ip=999.1.1.1"}, "ip is not an IPv4 or IPv6 address"},
      {{"--start", "2026-11-01T00:30:00Z"}, "--start must be the start of an hour"},
      {{"--types", "agentActivity,chats"}, "unknown data type 'chats'"},
      {{"--target-bytes", "12XB"}, "unknown unit"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"--out", t / "out", "--hours", "1"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const RunResult r = RunGen(t, args);
    EXPECT_EQ(r.exit_code, 2) << c.message;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(Lower(r.err).find("secret.value"), std::string::npos) << r.err;
  }
  EXPECT_EQ(RunGen(t, {"--hours", "1"}).exit_code, 2);  // --out is required
}

}  // namespace
