// Tests for the POSIX Env: atomic writes, exclusive creation and the archive lock.
#include "davault/env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

namespace davault {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/davault-env-XXXXXX";
  return ::mkdtemp(tmpl);
}

TEST(Env, WriteFileAtomicallyReplacesAndLeavesNoTemp) {
  Env* env = Env::Default();
  std::string dir = TempDir();
  std::string path = JoinPath(dir, "f");
  ASSERT_TRUE(WriteFileAtomically(env, path, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(env, path, "two").ok());
  EXPECT_EQ(ReadFileToString(env, path).value(), "two");
  EXPECT_EQ(env->ListDir(dir).value().size(), 1u);
  EXPECT_EQ(env->Stat(path).value().mode, 0600u);
}

TEST(Env, ExclusiveCreateFailsOnExistingFile) {
  Env* env = Env::Default();
  std::string path = JoinPath(TempDir(), "f");
  ASSERT_TRUE(env->NewWritable(path, CreateMode::kExclusive).ok());
  auto again = env->NewWritable(path, CreateMode::kExclusive);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find(path), std::string::npos);
}

TEST(Env, SecondExclusiveLockIsBusy) {
  Env* env = Env::Default();
  std::string path = JoinPath(TempDir(), "lock");
  auto first = env->Lock(path, LockMode::kExclusive, 0);
  ASSERT_TRUE(first.ok());
  // flock locks belong to the open file description, so a second open conflicts.
  auto second = env->Lock(path, LockMode::kShared, 50);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kBusy);
  first.value().reset();
  EXPECT_TRUE(env->Lock(path, LockMode::kShared, 0).ok());
}

}  // namespace
}  // namespace davault
