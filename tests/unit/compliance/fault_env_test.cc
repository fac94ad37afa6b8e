// Tests for FaultEnv: counting per kind, failing the Nth operation once or from then on, the
// messages, and torn writes.
#include "base/fault_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

namespace davault {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/davault-faultenv-XXXXXX";
  return ::mkdtemp(tmpl);
}

TEST(FaultEnv, CountsEachKind) {
  std::string dir = TempDir();
  FaultEnv env(Env::Default());
  std::string p = JoinPath(dir, "a");
  {
    auto f = env.NewWritable(p, CreateMode::kTruncate, 0600);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f.value()->Append("hello").ok());
    ASSERT_TRUE(f.value()->Append(" world").ok());
    ASSERT_TRUE(f.value()->Sync().ok());
    ASSERT_TRUE(f.value()->Close().ok());
  }
  ASSERT_TRUE(env.SyncDir(dir).ok());
  ASSERT_TRUE(env.Rename(p, p + "2").ok());
  EXPECT_EQ(ReadFileToString(&env, p + "2").value(), "hello world");
  ASSERT_TRUE(env.Remove(p + "2").ok());
  EXPECT_EQ(env.count(FaultOp::kOpen), 2);  // create + open for reading
  EXPECT_EQ(env.count(FaultOp::kWrite), 2);
  EXPECT_EQ(env.count(FaultOp::kSync), 2);  // file + directory
  EXPECT_EQ(env.count(FaultOp::kClose), 1);
  EXPECT_EQ(env.count(FaultOp::kRename), 1);
  EXPECT_EQ(env.count(FaultOp::kRemove), 1);
  EXPECT_EQ(env.count(FaultOp::kRead), 2);  // one read with data, one at the end
  EXPECT_EQ(env.count(FaultOp::kAny), 11);
  EXPECT_EQ(env.injected(), 0);
  std::filesystem::remove_all(dir);
}

TEST(FaultEnv, FailsTheNthOperationOfAKindOnce) {
  std::string dir = TempDir();
  FaultEnv env(Env::Default());
  env.Arm({FaultOp::kWrite, 2, FaultError::kEio, FaultRepeat::kOnce, TornWrite::kNone});
  auto f = env.NewWritable(JoinPath(dir, "a"), CreateMode::kTruncate, 0600);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f.value()->Append("1").ok());
  Status s = f.value()->Append("2");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kFailed);
  EXPECT_EQ(s.message(),
            "cannot write " + JoinPath(dir, "a") + ": Input/output error [injected fault]");
  EXPECT_TRUE(f.value()->Append("3").ok());
  EXPECT_EQ(env.injected(), 1);
  EXPECT_EQ(env.first_injected_message(), s.message());
  ASSERT_TRUE(f.value()->Close().ok());
  EXPECT_EQ(ReadFileToString(Env::Default(), JoinPath(dir, "a")).value(), "13");
  std::filesystem::remove_all(dir);
}

TEST(FaultEnv, PersistentFaultOfAnyKindKillsEverythingFromN) {
  std::string dir = TempDir();
  FaultEnv env(Env::Default());
  env.Arm({FaultOp::kAny, 3, FaultError::kEnospc, FaultRepeat::kPersistent, TornWrite::kNone});
  auto f = env.NewWritable(JoinPath(dir, "a"), CreateMode::kTruncate, 0600);  // 1
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f.value()->Append("x").ok());  // 2
  Status s = f.value()->Sync();              // 3
  EXPECT_NE(s.message().find("cannot fsync"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("No space left on device [injected fault]"), std::string::npos);
  EXPECT_FALSE(env.Rename(JoinPath(dir, "a"), JoinPath(dir, "b")).ok());
  EXPECT_FALSE(env.Remove(JoinPath(dir, "a")).ok());
  EXPECT_FALSE(env.OpenSequential(JoinPath(dir, "a")).ok());
  EXPECT_EQ(env.injected(), 4);
  env.Disarm();
  EXPECT_TRUE(env.Remove(JoinPath(dir, "a")).ok());
  std::filesystem::remove_all(dir);
}

TEST(FaultEnv, TornWriteLeavesHalfTheData) {
  std::string dir = TempDir();
  FaultEnv env(Env::Default());
  env.Arm({FaultOp::kWrite, 1, FaultError::kEnospc, FaultRepeat::kOnce, TornWrite::kHalf});
  {
    auto f = env.NewWritable(JoinPath(dir, "a"), CreateMode::kTruncate, 0600);
    ASSERT_TRUE(f.ok());
    EXPECT_FALSE(f.value()->Append("abcdefgh").ok());
  }
  EXPECT_EQ(ReadFileToString(Env::Default(), JoinPath(dir, "a")).value(), "abcd");
  std::filesystem::remove_all(dir);
}

TEST(FaultEnv, CountingStartsWhenArmedAndResets) {
  std::string dir = TempDir();
  FaultEnv env(Env::Default());
  EXPECT_TRUE(env.MakeDir(JoinPath(dir, "d1"), 0700).ok());
  EXPECT_TRUE(env.MakeDir(JoinPath(dir, "d2"), 0700).ok());
  env.Arm({FaultOp::kOpen, 1, FaultError::kEio, FaultRepeat::kOnce, TornWrite::kNone});
  Status s = env.MakeDir(JoinPath(dir, "d3"), 0700);
  EXPECT_EQ(s.message(), "cannot create directory " + JoinPath(dir, "d3") +
                             ": Input/output error [injected fault]");
  EXPECT_FALSE(Env::Default()->Exists(JoinPath(dir, "d3")));
  EXPECT_EQ(env.count(FaultOp::kOpen), 3);
  env.ResetCounters();
  EXPECT_EQ(env.count(FaultOp::kAny), 0);
  EXPECT_EQ(env.injected(), 0);
  EXPECT_TRUE(env.RemoveDir(JoinPath(dir, "d1")).ok());
  EXPECT_EQ(env.count(FaultOp::kRemove), 1);
  std::filesystem::remove_all(dir);
}

// The pull's downloads may run on several threads: counters and the armed fault are shared.
TEST(FaultEnv, CountsOperationsFromManyThreads) {
  std::string dir = TempDir();
  FaultEnv env(Env::Default());
  env.Arm({FaultOp::kRemove, 2500, FaultError::kEio, FaultRepeat::kOnce, TornWrite::kNone});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&env, &dir, t] {
      for (int i = 0; i < 1000; ++i)
        (void)env.Remove(JoinPath(dir, "missing-" + std::to_string(t) + "-" + std::to_string(i)));
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(env.count(FaultOp::kRemove), 4000);
  EXPECT_EQ(env.count(FaultOp::kAny), 4000);
  EXPECT_EQ(env.injected(), 1);
  EXPECT_NE(env.first_injected_message().find("[injected fault]"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace davault
