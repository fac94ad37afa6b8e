// Tests for the archive repository: keys, ingest batches, copies, find, destruction, recovery,
// verification and the audit chain, on a real SQLite index and real segment files.
#include "store/archive.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "audit/log.h"

namespace davault::store {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/davault-store-XXXXXX";
  return ::mkdtemp(tmpl);
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TempDir();
    dir_ = root_ + "/archive";
    key_.type = KeySource::Type::kKeyFile;
    key_.key_file = root_ + "/key";
    bool created = false;
    ASSERT_TRUE(Archive::Create(env_, dir_, key_, &created).ok());
    EXPECT_TRUE(created);
  }
  std::unique_ptr<Archive> OpenW() {
    auto a = Archive::Open(env_, dir_, key_, Access::kWrite, 1000);
    EXPECT_TRUE(a.ok()) << a.status().message();
    return std::move(a.value());
  }
  RecordInput Rec(Archive& a, const std::string& nkey, const std::string& raw,
                  const std::string& email) {
    RecordInput r;
    r.type = 3;
    r.natural_key = a.NaturalKeyHash(3, nkey);
    r.start_ms = 1000;
    r.raw = raw;
    r.idents.push_back({a.IdentifierHash(1, email), 1, "contacts.email"});
    return r;
  }
  // Ingests records as one file; returns the outcomes.
  std::vector<AddOutcome> Ingest(Archive& a, const std::string& name,
                                 const std::vector<std::pair<std::string, std::string>>& recs,
                                 const std::string& email) {
    FileMeta m;
    m.name = name;
    m.type = 3;
    m.content_hash = crypto::PlainHash(name);
    auto b = a.BeginIngest(m);
    EXPECT_TRUE(b.ok());
    std::vector<AddOutcome> out;
    for (const auto& [k, raw] : recs) {
      auto r = b.value()->Add(Rec(a, k, raw, email));
      EXPECT_TRUE(r.ok()) << r.status().message();
      out.push_back(r.value());
    }
    EXPECT_TRUE(b.value()->Commit(static_cast<int64_t>(recs.size())).ok());
    return out;
  }
  Env* env_ = Env::Default();
  std::string root_, dir_;
  KeySource key_;
};

TEST_F(ArchiveTest, InitRefusesToOverwriteAndCreatesKeyFile0600) {
  bool created = false;
  Status s = Archive::Create(env_, dir_, key_, &created);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("already exists"), std::string::npos);
  struct stat st;
  ASSERT_EQ(::stat(key_.key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ArchiveTest, WrongKeyAndWorldReadableKeyFileAreRefused) {
  KeySource other;
  other.type = KeySource::Type::kKeyFile;
  other.key_file = root_ + "/other-key";
  std::ofstream(other.key_file) << "not the key\n";
  ::chmod(other.key_file.c_str(), 0600);
  auto a = Archive::Open(env_, dir_, other, Access::kRead, 100);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("wrong key"), std::string::npos);
  ::chmod(other.key_file.c_str(), 0644);
  a = Archive::Open(env_, dir_, other, Access::kRead, 100);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("readable by group or others"), std::string::npos);
  KeySource none;
  a = Archive::Open(env_, dir_, none, Access::kRead, 100);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), Code::kUsage);
}

TEST_F(ArchiveTest, CopiesAreOneRecordAndVersionsShareIt) {
  auto a = OpenW();
  auto oc =
      Ingest(*a, "f1", {{"conv-1", "{\"a\":1}"}, {"conv-1", "{\"a\":1}"}, {"conv-2", "{\"b\":2}"}},
             "dana@example.com");
  EXPECT_EQ(oc[0], AddOutcome::kNew);
  EXPECT_EQ(oc[1], AddOutcome::kCopy);
  EXPECT_EQ(oc[2], AddOutcome::kNew);
  oc = Ingest(*a, "f2", {{"conv-1", "{\"a\":1, \"late\":true}"}}, "dana@example.com");
  EXPECT_EQ(oc[0], AddOutcome::kNewVersion);
  auto m = a->Find({a->IdentifierHash(1, "dana@example.com")});
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m.value().size(), 2u);
  EXPECT_EQ(m.value()[0].files, (std::vector<std::string>{"f1", "f2"}));
  auto p = a->ReadPayloads(m.value()[0].record_id);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value(), (std::vector<std::string>{"{\"a\":1}", "{\"a\":1, \"late\":true}"}));
}

// Group commit: files share the transaction and their day's segment; a file that fails
// half-way leaves nothing (no rows, no entries in the shared segment); the rest commit.
TEST_F(ArchiveTest, GroupCommitKeepsWholeFilesAndDropsAFailedOne) {
  auto a = OpenW();
  auto meta = [&](const std::string& name, int64_t scope_start) {
    FileMeta m;
    m.name = name;
    m.type = 3;
    m.content_hash = crypto::PlainHash(name);
    m.scope_start_ms = scope_start;
    m.scope_end_ms = scope_start + 3600000;
    return m;
  };
  const int64_t day1 = 20000 * 86400000LL, day2 = day1 + 86400000LL;
  {
    auto g = a->BeginIngestGroup();
    ASSERT_TRUE(g.ok()) << g.status().message();
    auto add_file = [&](const std::string& name, int64_t scope,
                        std::vector<std::pair<std::string, std::string>> recs, bool commit) {
      auto b = g.value()->BeginFile(meta(name, scope));
      ASSERT_TRUE(b.ok()) << b.status().message();
      for (const auto& [k, raw] : recs) {
        auto r = b.value()->Add(Rec(*a, k, raw, name + "@example.com"));
        ASSERT_TRUE(r.ok()) << r.status().message();
      }
      if (commit) {
        ASSERT_TRUE(b.value()->Commit(static_cast<int64_t>(recs.size())).ok());
      }
    };
    add_file("f1", day1, {{"k1", "{\"one\":1}"}, {"k2", "{\"two\":2}"}}, true);
    add_file("f2", day1 + 3600000, {{"k3", "{\"failed\":3}"}, {"k1", "{\"one\":\"v2\"}"}},
             false);  // fails half-way: its batch goes without Commit
    add_file("f3", day1 + 7200000, {{"k4", "{\"four\":4}"}}, true);
    add_file("f4", day2, {{"k5", "{\"five\":5}"}}, true);
    EXPECT_EQ(g.value()->files(), 3);
    ASSERT_TRUE(g.value()->Commit().ok());
  }
  auto stats = a->GetStats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats.value().files, 3);
  EXPECT_EQ(stats.value().records, 4);
  EXPECT_EQ(stats.value().segments, 2);  // day 1's files share one segment, day 2 has its own
  EXPECT_TRUE(a->Find({a->IdentifierHash(1, "f2@example.com")}).value().empty());
  auto m1 = a->Find({a->IdentifierHash(1, "f1@example.com")});
  ASSERT_EQ(m1.value().size(), 2u);
  auto p = a->ReadPayloads(m1.value()[0].record_id);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value(), std::vector<std::string>{"{\"one\":1}"});  // f2's version is gone too
  EXPECT_FALSE(a->HasFileNamed("f2").value());
  std::vector<std::string> problems;
  int64_t checked = 0;
  ASSERT_TRUE(a->VerifyStorage(&problems, &checked).ok());
  EXPECT_TRUE(problems.empty()) << problems.front();  // no orphan entry of f2 in the segment
  EXPECT_EQ(checked, 4);

  // A group that never commits leaves nothing behind, not even a temp segment.
  {
    auto g = a->BeginIngestGroup();
    ASSERT_TRUE(g.ok());
    auto b = g.value()->BeginFile(meta("f5", day2));
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE(b.value()->Add(Rec(*a, "k6", "{\"six\":6}", "f5@example.com")).ok());
    ASSERT_TRUE(b.value()->Commit(1).ok());
  }
  EXPECT_EQ(a->GetStats().value().records, 4);
  EXPECT_FALSE(a->HasFileNamed("f5").value());
  problems.clear();
  ASSERT_TRUE(a->VerifyStorage(&problems, &checked).ok());
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST_F(ArchiveTest, DeleteCompactsStorageAndLeavesNoCiphertextOrRows) {
  auto a = OpenW();
  Ingest(*a, "f1", {{"k1", "{\"keep\":\"AAAA\"}"}, {"k2", "{\"gone\":\"BBBB\"}"}}, "x@y.z");
  Ingest(*a, "f2", {{"k3", "{\"other\":1}"}}, "other@y.z");
  auto m = a->Find({a->IdentifierHash(1, "x@y.z")});
  ASSERT_EQ(m.value().size(), 2u);
  int64_t gone = m.value()[1].record_id;
  ASSERT_TRUE(a->Begin().ok());
  auto d = a->DeleteRecords({gone});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().records, 1);
  auto j = a->AddJournal("erase", d.value().segments, 0);
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE(a->Commit().ok());
  auto rewritten = a->CompactAndClose(j.value());
  ASSERT_TRUE(rewritten.ok()) << rewritten.status().message();
  EXPECT_EQ(rewritten.value(), 1);
  std::vector<std::string> problems;
  int64_t checked = 0;
  ASSERT_TRUE(a->VerifyStorage(&problems, &checked).ok());
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(checked, 2);
  EXPECT_EQ(a->Find({a->IdentifierHash(1, "x@y.z")}).value().size(), 1u);
  EXPECT_FALSE(a->ReadPayloads(gone).ok());
  EXPECT_EQ(a->ReadPayloads(m.value()[0].record_id).value()[0], "{\"keep\":\"AAAA\"}");
  // The WAL was truncated by the checkpoint.
  auto wal = env_->Stat(dir_ + "/index.db-wal");
  if (wal.ok()) {
    EXPECT_EQ(wal.value().size, 0u);
  }
}

TEST_F(ArchiveTest, RecoveryRemovesUnreferencedSegmentsAndTempFiles) {
  {
    auto a = OpenW();
    Ingest(*a, "f1", {{"k1", "{}"}}, "x@y.z");
  }
  // A crash after a segment was renamed into place but before its transaction committed.
  std::ofstream(dir_ + "/segments/00000000000000ff.seg") << "orphan";
  std::ofstream(dir_ + "/segments/0000000000000100.seg.tmp") << "half";
  std::ofstream(dir_ + "/tmp/abc.spool") << "spool";
  {
    auto r = Archive::Open(env_, dir_, key_, Access::kInspect, 100);
    std::vector<std::string> problems;
    int64_t n = 0;
    ASSERT_TRUE(r.value()->VerifyStorage(&problems, &n).ok());
    EXPECT_EQ(problems.size(), 3u);
    EXPECT_TRUE(r.value()->NeedsRecovery().value());
  }
  auto a = Archive::Open(env_, dir_, key_, Access::kRead, 100).value();  // even a reader recovers
  std::vector<std::string> problems;
  int64_t n = 0;
  ASSERT_TRUE(a->VerifyStorage(&problems, &n).ok());
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_FALSE(env_->Exists(dir_ + "/segments/00000000000000ff.seg"));
}

TEST_F(ArchiveTest, FlippedCiphertextByteFailsAuthenticationNamingTheRecord) {
  auto a = OpenW();
  Ingest(*a, "f1", {{"k1", "{\"v\":\"secret-1\"}"}, {"k2", "{\"v\":\"secret-2\"}"}}, "x@y.z");
  a.reset();
  std::string seg = dir_ + "/segments/0000000000000001.seg";
  std::string bytes = Slurp(seg);
  bytes[bytes.size() - 5] ^= 1;  // inside the last payload's tag
  std::ofstream(seg, std::ios::binary | std::ios::trunc) << bytes;
  auto r = Archive::Open(env_, dir_, key_, Access::kRead, 100);
  std::vector<std::string> problems;
  int64_t n = 0;
  ASSERT_TRUE(r.value()->VerifyStorage(&problems, &n).ok());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("record 2: payload fails authentication"), std::string::npos);
  EXPECT_EQ(n, 1);
}

TEST_F(ArchiveTest, NoPlaintextInTheArchiveFiles) {
  auto a = OpenW();
  Ingest(*a, "f1", {{"k1", "{\"text\":\"MARKER-PHRASE-42\"}"}}, "marker.person@example.com");
  a.reset();
  for (const char* f : {"/index.db", "/segments/0000000000000001.seg"}) {
    std::string bytes = Slurp(dir_ + f);
    EXPECT_EQ(bytes.find("MARKER-PHRASE-42"), std::string::npos) << f;
    EXPECT_EQ(bytes.find("marker.person"), std::string::npos) << f;
  }
}

TEST_F(ArchiveTest, AuditChainDetectsEditsDeletionsAndReorders) {
  auto a = OpenW();
  audit::AuditLog log(a.get());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(a->Begin().ok());
    ASSERT_TRUE(log.Append("test", "{\"n\":" + std::to_string(i) + "}").ok());
    ASSERT_TRUE(a->Commit().ok());
  }
  auto v1 = log.Verify();
  ASSERT_TRUE(v1.ok());
  EXPECT_TRUE(v1.value().problems.empty());
  a.reset();
  auto tamper = [&](const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/index.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  };
  tamper("UPDATE audit SET body = '{\"n\":9}' WHERE seq = 2");
  auto b = OpenW();
  audit::AuditLog log2(b.get());
  auto v2 = log2.Verify();
  ASSERT_TRUE(v2.ok());
  const std::vector<std::string> p2 = v2.value().problems;
  ASSERT_FALSE(p2.empty());
  EXPECT_NE(p2[0].find("audit entry 2"), std::string::npos);
  b.reset();
  tamper("DELETE FROM audit WHERE seq = 3");
  auto c = OpenW();
  audit::AuditLog log3(c.get());
  bool gap = false;
  auto v3 = log3.Verify();
  ASSERT_TRUE(v3.ok());
  const std::vector<std::string> p3 = v3.value().problems;
  for (const auto& p : p3) gap = gap || p.find("expected sequence 3") != std::string::npos;
  EXPECT_TRUE(gap);
}

}  // namespace
}  // namespace davault::store
