// The I/O fault loop: ingest, erase, sweep and rekey run with a failure injected at every I/O
// point in turn (N = 1, 2, 3, ... until a run no longer reaches the fault). After every run the
// result is a success or a clear error, the next command's recovery leaves an archive that
// passes verify --deep, and the archive holds exactly the state before or the state after the
// operation, never anything in between; the recovery itself is failed at every point too.
// SQLite's own I/O is not covered (see README "Testing"). DAVAULT_FAULT_VERBOSE=1 prints every
// point; DAVAULT_FAULT_TMPDIR moves the scratch archives (default /dev/shm, else /tmp).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/fault_env.h"
#include "compliance/workflows.h"
#include "crypto/crypto.h"
#include "gen/generator.h"
#include "store/archive.h"

namespace davault::compliance {
namespace {

// What a crash left for recovery, seen by a reader that does not recover (readers normally do).
Outcome PendingWork(Context& ctx) {
  Outcome o;
  auto a = store::Archive::Open(ctx.env, ctx.archive_dir, ctx.key, store::Access::kInspect,
                                ctx.lock_timeout_ms);
  if (!a.ok()) {
    o.status = a.status();
    return o;
  }
  auto pending = a.value()->NeedsRecovery();
  if (!pending.ok()) {
    o.status = pending.status();
  } else if (pending.value()) {
    o.status = Status::VerifyFailed("interrupted work is waiting for recovery");
  }
  return o;
}

namespace fs = std::filesystem;

constexpr char kPlantedEmail[] = "dana.reyes@example.test";
constexpr int64_t kGenStart = 1'793'491'200'000;  // 2026-11-01T00:00:00Z
constexpr int64_t kDay = 86'400'000;

std::string SourceDir() {
  const char* s = std::getenv("DAVAULT_SOURCE_DIR");
  return s != nullptr ? s : ".";
}

// The loop runs hundreds of short workflows; on tmpfs their fsyncs cost nothing, and what is
// tested (which state a failure leaves) does not depend on the disk.
std::string MakeTempDir() {
  std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  if (const char* t = std::getenv("DAVAULT_FAULT_TMPDIR")) base = t;
  std::string tmpl = base + "/davault-fault-XXXXXX";
  char* d = ::mkdtemp(tmpl.data());
  return d != nullptr ? d : "";
}

bool Verbose() { return std::getenv("DAVAULT_FAULT_VERBOSE") != nullptr; }

// An archive plus its key and audit anchor, all under one root so one copy moves them together.
struct Site {
  std::string root;
  std::string archive() const { return root + "/archive"; }
  std::string key() const { return root + "/key"; }
  std::string anchor() const { return root + "/anchor"; }
  std::string new_key() const { return root + "/key2"; }  // what rekey moves to
};

// Which of the site's two key files unlocks the archive (rekey moves from the first to the
// second).
enum class Key { kOld, kNew };

Context MakeContext(Env* env, const Site& site, Key key = Key::kOld) {
  Context ctx;
  ctx.env = env;
  ctx.archive_dir = site.archive();
  ctx.key.type = store::KeySource::Type::kKeyFile;
  ctx.key.key_file = key == Key::kOld ? site.key() : site.new_key();
  ctx.lock_timeout_ms = 2000;
  ctx.verbosity = Verbosity::kQuiet;
  // The anchor is outside the archive; its I/O is davault's own and so is in the loop too.
  ::setenv("DAVAULT_AUDIT_ANCHOR", site.anchor().c_str(), 1);
  return ctx;
}

// What the archive logically holds: every record with its type, times, files and payload
// digest, the counts, the suppression list size, the requests and what `find` says for the
// planted subject. Segment ids and the audit log are left out: the former are physical, the
// latter is checked by Verify.
std::string Snapshot(const Site& site, Key key = Key::kOld) {
  Context ctx = MakeContext(Env::Default(), site, key);
  auto opened =
      store::Archive::Open(Env::Default(), ctx.archive_dir, ctx.key, store::Access::kRead, 2000);
  if (!opened.ok()) return "cannot open: " + opened.status().message();
  store::Archive& a = *opened.value();
  Json snap;
  auto times = a.AllRecordTimes();
  if (!times.ok()) return "cannot list: " + times.status().message();
  Json records = Json::object();
  for (const auto& t : times.value()) {
    Json r;
    r["type"] = t.type;
    r["start"] = t.start_ms ? Json(*t.start_ms) : Json(nullptr);
    r["end"] = t.end_ms ? Json(*t.end_ms) : Json(nullptr);
    auto files = a.FilesOf(t.record_id);
    r["files"] = files.ok() ? Json(files.value()) : Json("error: " + files.status().message());
    auto payloads = a.ReadPayloads(t.record_id);
    if (payloads.ok()) {
      std::string all;
      for (const auto& p : payloads.value()) all += crypto::ToHex(crypto::PlainHash(p));
      r["payloads"] = all;
    } else {
      r["payloads"] = "error: " + payloads.status().message();
    }
    records[std::to_string(t.record_id)] = r;
  }
  snap["records"] = records;
  auto stats = a.GetStats();
  if (stats.ok()) {
    snap["files"] = stats->files;
    snap["records_count"] = stats->records;
    snap["payload_bytes"] = stats->payload_bytes;
    snap["suppressed"] = stats->suppressed_identifiers;
  }
  auto reqs = a.ListRequests();
  if (reqs.ok())
    for (const auto& r : reqs.value())
      snap["requests"][r.ref] = {{"status", r.status}, {"erased", r.erased}, {"found", r.found}};
  opened.value().reset();
  Outcome found = Find(ctx, FindOptions{{std::string("email:") + kPlantedEmail}, false});
  snap["find_planted"] = found.status.ok() ? found.result.value("count", -1) : -2;
  return snap.dump();
}

void CopySite(const Site& from, const Site& to) {
  fs::remove_all(to.root);
  fs::copy(from.root, to.root, fs::copy_options::recursive);
}

// The operation under test, run against a Context whose Env may fail.
using Operation = std::function<Outcome(Context&)>;

struct LoopResult {
  int64_t points = 0;           // runs in which the fault was reached
  int64_t failed = 0;           // of those, runs that returned an error
  int64_t before = 0;           // runs that left the before-state
  int64_t after = 0;            // runs that left the after-state
  int64_t total_ops = 0;        // I/O operations of the clean run
  std::string by_kind;          // of those, per kind
  int64_t needed_recovery = 0;  // runs that left interrupted work for recovery
};

class FaultLoop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(crypto::Init().ok());
    root_ = MakeTempDir();
    ASSERT_FALSE(root_.empty());
    // A small generated set (2 hours x 4 types x 6 records, one planted person) plus the four
    // LivePerson samples.
    gen::Options g;
    g.out_dir = root_ + "/gen";
    g.seed = 11;
    g.start_ms = kGenStart;
    g.hours = 2;
    g.records_per_file = 6;
    g.people = 20;
    g.agents = 3;
    auto plant = gen::ParsePlantSpec(std::string("name=dana,email=") + kPlantedEmail +
                                     ",phone=+44 20 7946 0461,count=2");
    ASSERT_TRUE(plant.ok()) << plant.status().message();
    g.plants.push_back(plant.value());
    auto gr = gen::Generate(g);
    ASSERT_TRUE(gr.ok()) << gr.status().message();
    for (const auto& e : fs::directory_iterator(g.out_dir)) files_.push_back(e.path().string());
    std::sort(files_.begin(), files_.end());
    ASSERT_EQ(files_.size(), 8u);
    std::string samples = SourceDir() + "/tests/data/samples/files";
    for (const auto& e : fs::directory_iterator(samples)) samples_.push_back(e.path().string());
    std::sort(samples_.begin(), samples_.end());
    ASSERT_EQ(samples_.size(), 4u);

    prepared_.root = root_ + "/prepared";
    fs::create_directories(prepared_.root);
    Context ctx = MakeContext(Env::Default(), prepared_);
    Json init;
    Status s = Init(ctx, &init);
    ASSERT_TRUE(s.ok()) << s.message();
    // Everything but the last generated file, which the ingest loop adds.
    IngestOptions in;
    in.files = samples_;
    in.files.insert(in.files.end(), files_.begin(), files_.end() - 1);
    Outcome o = Ingest(ctx, in);
    ASSERT_TRUE(o.status.ok()) << o.status.message();
    ASSERT_EQ(o.result["files_ingested"], 11);
  }
  static void TearDownTestSuite() {
    if (std::getenv("KEEP") == nullptr) fs::remove_all(root_);
  }

  // Runs op once cleanly (the after-state) and then with the fault at every I/O point.
  LoopResult RunLoop(const std::string& name, const Operation& op, FaultSpec spec) {
    LoopResult lr;
    const std::string before = Snapshot(prepared_);
    Site clean{root_ + "/" + name + "-clean"};
    CopySite(prepared_, clean);
    std::string after;
    {
      FaultEnv counting(Env::Default());
      Context ctx = MakeContext(&counting, clean);
      Outcome o = op(ctx);
      EXPECT_TRUE(o.status.ok()) << name << " (clean run): " << o.status.message();
      lr.total_ops = counting.count(FaultOp::kAny);
      for (FaultOp k : {FaultOp::kOpen, FaultOp::kRead, FaultOp::kWrite, FaultOp::kSync,
                        FaultOp::kClose, FaultOp::kRename, FaultOp::kRemove})
        lr.by_kind += (lr.by_kind.empty() ? "" : " ") + FaultOpName(k) + " " +
                      std::to_string(counting.count(k));
      after = Snapshot(clean);
    }
    EXPECT_NE(before, after) << name << ": the operation changed nothing";
    fs::remove_all(clean.root);

    Site work{root_ + "/" + name + "-work"};
    for (int64_t n = 1;; ++n) {
      CopySite(prepared_, work);
      FaultEnv env(Env::Default());
      spec.nth = n;
      env.Arm(spec);
      Outcome o;
      {
        Context ctx = MakeContext(&env, work);
        o = op(ctx);
      }
      if (env.injected() == 0) {
        EXPECT_TRUE(o.status.ok()) << name << " N=" << n << ": " << o.status.message();
        break;
      }
      ++lr.points;
      std::string at = name + " with " + FaultOpName(spec.op) + " fault at I/O point " +
                       std::to_string(n) + " (" + env.first_injected_message() + ")";
      if (!o.status.ok()) {
        ++lr.failed;
        EXPECT_FALSE(o.status.message().empty()) << at;
        EXPECT_NE(o.status.code(), Code::kVerifyFailed) << at << ": " << o.status.message();
      }
      Context clean_ctx = MakeContext(Env::Default(), work);
      // Before any writer opens it, a reader may still see unfinished work (an open journal,
      // leftover files); that is what recovery is for.
      Outcome pre = PendingWork(clean_ctx);
      if (!pre.status.ok()) ++lr.needed_recovery;
      if (Verbose())
        std::cout << "  N=" << n << " " << env.first_injected_message() << " -> "
                  << (o.status.ok() ? "ok" : o.status.message())
                  << (pre.status.ok() ? ""
                                      : " [verify before recovery: " + pre.status.message() + "]")
                  << std::endl;
      // The next writer recovers: a no-op ingest of a file the archive already holds.
      Outcome noop = Ingest(clean_ctx, IngestOptions{{samples_.front()}});
      EXPECT_TRUE(noop.status.ok()) << at << ": recovery: " << noop.status.message();
      if (noop.status.ok()) {
        EXPECT_EQ(noop.result["files_skipped"], 1) << at;
      }
      Outcome v = Verify(clean_ctx, VerifyOptions{true});
      EXPECT_TRUE(v.status.ok()) << at << ": verify --deep: " << v.status.message() << " "
                                 << v.result.dump();
      std::string now = Snapshot(work);
      if (now == before) {
        ++lr.before;
        // A run that reported success must have done the work.
        EXPECT_FALSE(o.status.ok()) << at << ": reported success but changed nothing";
      } else if (now == after) {
        ++lr.after;
      } else {
        ADD_FAILURE() << at << ": the archive holds neither the before- nor the after-state\n"
                      << "status: " << o.status.message() << "\nbefore: " << before
                      << "\nafter:  " << after << "\nnow:    " << now;
      }
      if (n > 10000) {
        ADD_FAILURE() << name << ": the loop does not end";
        break;
      }
    }
    fs::remove_all(work.root);
    std::cout << "[fault loop] " << name << " (" << FaultOpName(spec.op) << ", "
              << (spec.repeat == FaultRepeat::kOnce ? "once" : "persistent") << ", "
              << (spec.error == FaultError::kEio ? "EIO" : "ENOSPC")
              << (spec.torn == TornWrite::kHalf ? ", torn writes" : "") << "): " << lr.points
              << " I/O points covered (clean run: " << lr.total_ops << " operations: " << lr.by_kind
              << "); " << lr.failed << " runs failed cleanly, " << lr.before
              << " left the before-state, " << lr.after << " the after-state, "
              << lr.needed_recovery << " left work for recovery" << std::endl;
    return lr;
  }

  // Recovery must itself survive faults: leave op's work unfinished (the first fault point
  // after which a reader still sees unfinished work), then fail the next writer's recovery at
  // every I/O point in turn. After each, a clean recovery must reach the same logical state.
  int64_t RunRecoveryLoop(const std::string& name, const Operation& op, FaultSpec spec) {
    Site broken{root_ + "/" + name + "-broken"};
    int64_t n0 = 0;
    for (int64_t n = 1; n < 10000; ++n) {
      CopySite(prepared_, broken);
      FaultEnv env(Env::Default());
      env.Arm({FaultOp::kAny, n, FaultError::kEio, FaultRepeat::kOnce, TornWrite::kNone});
      {
        Context ctx = MakeContext(&env, broken);
        (void)op(ctx);
      }
      if (env.injected() == 0) break;
      Context clean_ctx = MakeContext(Env::Default(), broken);
      if (!PendingWork(clean_ctx).status.ok()) {
        n0 = n;
        break;
      }
    }
    EXPECT_GT(n0, 0) << name << ": no fault point leaves work for recovery";
    if (n0 == 0) return 0;
    // What a clean recovery reaches (on a copy: opening the archive at all recovers it).
    std::string expected;
    {
      Site probe{root_ + "/" + name + "-probe"};
      CopySite(broken, probe);
      expected = Snapshot(probe);
      fs::remove_all(probe.root);
    }
    Site work{root_ + "/" + name + "-recovery"};
    int64_t points = 0;
    for (int64_t m = 1;; ++m) {
      CopySite(broken, work);
      FaultEnv env(Env::Default());
      spec.nth = m;
      env.Arm(spec);
      Outcome o;
      {
        Context ctx = MakeContext(&env, work);
        o = Ingest(ctx, IngestOptions{{samples_.front()}});
      }
      if (env.injected() == 0) break;
      ++points;
      std::string at = name + " recovery with a fault at I/O point " + std::to_string(m) + " (" +
                       env.first_injected_message() + ")";
      if (!o.status.ok()) {
        EXPECT_FALSE(o.status.message().empty()) << at;
      }
      Context clean_ctx = MakeContext(Env::Default(), work);
      Outcome noop = Ingest(clean_ctx, IngestOptions{{samples_.front()}});
      EXPECT_TRUE(noop.status.ok()) << at << ": second recovery: " << noop.status.message();
      Outcome v = Verify(clean_ctx, VerifyOptions{true});
      EXPECT_TRUE(v.status.ok()) << at << ": verify --deep: " << v.status.message();
      EXPECT_EQ(Snapshot(work), expected) << at;
      if (m > 10000) {
        ADD_FAILURE() << name << ": the recovery loop does not end";
        break;
      }
    }
    fs::remove_all(work.root);
    fs::remove_all(broken.root);
    std::cout << "[fault loop] " << name << " recovery after a fault at point " << n0 << " ("
              << (spec.repeat == FaultRepeat::kOnce ? "once" : "persistent") << "): " << points
              << " I/O points covered" << std::endl;
    return points;
  }

  // Rekey changes which key opens the archive, not what it holds. After a fault at every I/O
  // point: the archive opens with the old key or (once the new one is in place) the new key,
  // holds exactly what it held, passes verify --deep, and a clean re-run of the same rekey
  // finishes it, after which only the new key opens it.
  int64_t RunRekeyLoop(FaultSpec spec) {
    const std::string before = Snapshot(prepared_);
    auto rekey = [](Context& ctx, const Site& site) {
      RekeyOptions r;
      r.new_key.type = store::KeySource::Type::kKeyFile;
      r.new_key.key_file = site.new_key();
      r.batch = 7;  // several re-wrap transactions
      return Rekey(ctx, r);
    };
    auto opens = [](const Site& site, Key key) {
      return store::Archive::Open(Env::Default(), site.archive(),
                                  MakeContext(Env::Default(), site, key).key, store::Access::kRead,
                                  2000)
          .ok();
    };
    Site work{root_ + "/rekey-work"};
    int64_t points = 0, old_key = 0, new_key = 0, both = 0;
    for (int64_t n = 1;; ++n) {
      CopySite(prepared_, work);
      FaultEnv env(Env::Default());
      spec.nth = n;
      env.Arm(spec);
      Outcome o;
      {
        Context ctx = MakeContext(&env, work);
        o = rekey(ctx, work);
      }
      if (env.injected() == 0) {
        EXPECT_TRUE(o.status.ok()) << "rekey N=" << n << ": " << o.status.message();
        break;
      }
      ++points;
      std::string at = "rekey with a fault at I/O point " + std::to_string(n) + " (" +
                       env.first_injected_message() + ")";
      if (!o.status.ok()) {
        EXPECT_FALSE(o.status.message().empty()) << at;
      }
      bool by_old = opens(work, Key::kOld), by_new = opens(work, Key::kNew);
      EXPECT_TRUE(by_old || by_new) << at << ": neither key opens the archive";
      if (by_old && by_new)
        ++both;
      else if (by_old)
        ++old_key;
      else if (by_new)
        ++new_key;
      Key k = by_old ? Key::kOld : Key::kNew;
      Context clean_ctx = MakeContext(Env::Default(), work, k);
      Outcome noop = Ingest(clean_ctx, IngestOptions{{samples_.front()}});
      EXPECT_TRUE(noop.status.ok()) << at << ": recovery: " << noop.status.message();
      Outcome v = Verify(clean_ctx, VerifyOptions{true});
      EXPECT_TRUE(v.status.ok()) << at << ": verify --deep: " << v.status.message();
      EXPECT_EQ(Snapshot(work, k), before) << at << ": the archive's content changed";
      // The same command (old key, new key), run again cleanly, finishes the job or reports
      // that it is done.
      Context rerun_ctx = MakeContext(Env::Default(), work, Key::kOld);
      Outcome again = rekey(rerun_ctx, work);
      EXPECT_TRUE(again.status.ok()) << at << ": re-run: " << again.status.message();
      EXPECT_FALSE(opens(work, Key::kOld)) << at << ": the old key still opens the archive";
      EXPECT_TRUE(opens(work, Key::kNew)) << at << ": the new key does not open the archive";
      Context new_ctx = MakeContext(Env::Default(), work, Key::kNew);
      Outcome v2 = Verify(new_ctx, VerifyOptions{true});
      EXPECT_TRUE(v2.status.ok()) << at
                                  << ": verify --deep after the re-run: " << v2.status.message();
      EXPECT_EQ(Snapshot(work, Key::kNew), before) << at << ": content after the re-run";
      if (n > 10000) {
        ADD_FAILURE() << "rekey: the loop does not end";
        break;
      }
    }
    fs::remove_all(work.root);
    std::cout << "[fault loop] rekey (" << FaultOpName(spec.op) << ", "
              << (spec.repeat == FaultRepeat::kOnce ? "once" : "persistent") << "): " << points
              << " I/O points covered; afterwards " << old_key << " opened with the old key only, "
              << both << " with either (rekey in progress), " << new_key << " with the new key only"
              << std::endl;
    return points;
  }

  static std::string root_;
  static std::vector<std::string> files_, samples_;
  static Site prepared_;
};

std::string FaultLoop::root_;
std::vector<std::string> FaultLoop::files_, FaultLoop::samples_;
Site FaultLoop::prepared_;

const FaultSpec kOnceEio{FaultOp::kAny, 1, FaultError::kEio, FaultRepeat::kOnce, TornWrite::kNone};
const FaultSpec kDeadDisk{FaultOp::kAny, 1, FaultError::kEnospc, FaultRepeat::kPersistent,
                          TornWrite::kHalf};

Operation IngestNewFile(const std::string& file) {
  return [file](Context& ctx) { return Ingest(ctx, IngestOptions{{file}}); };
}

Operation ErasePlanted() {
  return [](Context& ctx) {
    EraseOptions e;
    e.subjects = {std::string("email:") + kPlantedEmail};
    e.request = "RTBF-FAULT-1";
    return Erase(ctx, e);
  };
}

// As of 30 days and 90 minutes after the generated data begins: the 2016 samples and the
// first hour's generated records have expired, the rest has not, so some segments go whole
// and some are rewritten.
Operation SweepSome() {
  return [](Context& ctx) {
    SweepOptions s;
    s.as_of_ms = kGenStart + 30 * kDay + 90 * 60 * 1000;
    s.force = true;
    return Sweep(ctx, s);
  };
}

TEST_F(FaultLoop, IngestEveryIoPointOnce) {
  LoopResult r = RunLoop("ingest", IngestNewFile(files_.back()), kOnceEio);
  EXPECT_GT(r.points, 0);
  EXPECT_GT(r.failed, 0);
  EXPECT_GT(r.before, 0);
}

TEST_F(FaultLoop, IngestEveryIoPointDeadDisk) {
  LoopResult r = RunLoop("ingest", IngestNewFile(files_.back()), kDeadDisk);
  EXPECT_GT(r.points, 0);
  EXPECT_GT(r.before, 0);
}

TEST_F(FaultLoop, EraseEveryIoPointOnce) {
  LoopResult r = RunLoop("erase", ErasePlanted(), kOnceEio);
  EXPECT_GT(r.points, 0);
  EXPECT_GT(r.failed, 0);
  EXPECT_GT(r.after, 0);
  // Faults during compaction leave an open journal that only recovery closes: the checks
  // above are not vacuous.
  EXPECT_GT(r.needed_recovery, 0);
}

TEST_F(FaultLoop, EraseEveryIoPointDeadDisk) {
  LoopResult r = RunLoop("erase", ErasePlanted(), kDeadDisk);
  EXPECT_GT(r.points, 0);
}

TEST_F(FaultLoop, SweepEveryIoPointOnce) {
  LoopResult r = RunLoop("sweep", SweepSome(), kOnceEio);
  EXPECT_GT(r.points, 0);
  EXPECT_GT(r.failed, 0);
  EXPECT_GT(r.after, 0);
}

TEST_F(FaultLoop, SweepEveryIoPointDeadDisk) {
  LoopResult r = RunLoop("sweep", SweepSome(), kDeadDisk);
  EXPECT_GT(r.points, 0);
}

TEST_F(FaultLoop, IngestRecoveryEveryIoPoint) {
  EXPECT_GT(RunRecoveryLoop("ingest", IngestNewFile(files_.back()), kOnceEio), 0);
}

TEST_F(FaultLoop, EraseRecoveryEveryIoPoint) {
  EXPECT_GT(RunRecoveryLoop("erase", ErasePlanted(), kOnceEio), 0);
  EXPECT_GT(RunRecoveryLoop("erase", ErasePlanted(), kDeadDisk), 0);
}

TEST_F(FaultLoop, SweepRecoveryEveryIoPoint) {
  EXPECT_GT(RunRecoveryLoop("sweep", SweepSome(), kOnceEio), 0);
  EXPECT_GT(RunRecoveryLoop("sweep", SweepSome(), kDeadDisk), 0);
}

TEST_F(FaultLoop, RekeyEveryIoPointOnce) { EXPECT_GT(RunRekeyLoop(kOnceEio), 0); }

TEST_F(FaultLoop, RekeyEveryIoPointDeadDisk) { EXPECT_GT(RunRekeyLoop(kDeadDisk), 0); }

// Regression: an audit anchor that cannot be updated after the commit used to make erase and
// ingest report a plain I/O error, as if nothing had happened, although the erasure (or the
// file) was committed. The message now says what was committed, and ingest counts the file.
TEST_F(FaultLoop, AnchorFailureAfterCommitSaysWhatWasCommitted) {
  Site s{root_ + "/anchor-regression"};
  CopySite(prepared_, s);
  Context ctx = MakeContext(Env::Default(), s);
  ::setenv("DAVAULT_AUDIT_ANCHOR", (s.root + "/no-such-dir/anchor").c_str(), 1);
  Outcome i = IngestNewFile(files_.back())(ctx);
  ASSERT_FALSE(i.status.ok());
  EXPECT_NE(i.status.message().find(fs::path(files_.back()).filename().string() +
                                    " was ingested (audit entry "),
            std::string::npos)
      << i.status.message();
  EXPECT_EQ(i.result["files_ingested"], 1);
  EXPECT_GT(i.result["records_ingested"].get<int64_t>(), 0);
  Outcome e = ErasePlanted()(ctx);
  ASSERT_FALSE(e.status.ok());
  EXPECT_EQ(e.status.code(), Code::kFailed);
  EXPECT_NE(e.status.message().find("erase was committed as audit entry "), std::string::npos)
      << e.status.message();
  EXPECT_NE(e.status.message().find("but the audit anchor was not updated (cannot update audit "
                                    "anchor: cannot create " +
                                    s.root + "/no-such-dir/anchor.tmp"),
            std::string::npos)
      << e.status.message();
  // With a working anchor: the erasure and the file are there, and the archive verifies.
  Context ok_ctx = MakeContext(Env::Default(), s);
  Outcome f = Find(ok_ctx, FindOptions{{std::string("email:") + kPlantedEmail}, false});
  ASSERT_TRUE(f.status.ok()) << f.status.message();
  EXPECT_EQ(f.result["count"], 0);
  Outcome again = IngestNewFile(files_.back())(ok_ctx);
  ASSERT_TRUE(again.status.ok()) << again.status.message();
  EXPECT_EQ(again.result["files_skipped"], 1);
  Outcome v = Verify(ok_ctx, VerifyOptions{true});
  EXPECT_TRUE(v.status.ok()) << v.status.message();
  fs::remove_all(s.root);
}

// The sweep above must exercise both compaction paths: a segment that dies whole and one that
// is rewritten with its surviving entries.
TEST_F(FaultLoop, SweepDeletesSomeButNotAll) {
  Site s{root_ + "/sweep-check"};
  CopySite(prepared_, s);
  Context ctx = MakeContext(Env::Default(), s);
  Outcome o = SweepSome()(ctx);
  ASSERT_TRUE(o.status.ok()) << o.status.message();
  int64_t deleted = o.result["records_deleted"];
  int64_t kept = o.result["records_kept"];
  EXPECT_GT(deleted, 4);  // the samples and some generated records
  EXPECT_GT(kept, 0);
  EXPECT_GT(o.result["storage_files_rewritten"].get<int64_t>(), 4);
  fs::remove_all(s.root);
}

}  // namespace
}  // namespace davault::compliance
