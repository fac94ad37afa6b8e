// Tests for the test-only crash hook: a named point or the Nth point kills the process with
// SIGKILL; anything else, and an unset variable, does nothing.
#include "base/crash_point.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

namespace davault {
namespace {

// Each death test runs in a fresh child; CrashPoint reads the variable on first use there.
void PassPoints(const char* spec) {
  if (spec != nullptr)
    ::setenv("DAVAULT_CRASH_AT", spec, 1);
  else
    ::unsetenv("DAVAULT_CRASH_AT");
  CrashPoint("op.first");
  CrashPoint("op.second");
  CrashPoint("op.second");
  ::_exit(7);  // not killed
}

TEST(CrashPointDeathTest, NamedPointKills) {
  EXPECT_EXIT(PassPoints("op.second"), ::testing::KilledBySignal(SIGKILL), "");
}

TEST(CrashPointDeathTest, NthPointKills) {
  EXPECT_EXIT(PassPoints("any:1"), ::testing::KilledBySignal(SIGKILL), "");
  EXPECT_EXIT(PassPoints("any:3"), ::testing::KilledBySignal(SIGKILL), "");
}

TEST(CrashPointDeathTest, OtherNamesCountsBeyondTheLastAndUnsetDoNothing) {
  EXPECT_EXIT(PassPoints("op.third"), ::testing::ExitedWithCode(7), "");
  EXPECT_EXIT(PassPoints("any:4"), ::testing::ExitedWithCode(7), "");
  EXPECT_EXIT(PassPoints("any:0"), ::testing::ExitedWithCode(7), "");
  EXPECT_EXIT(PassPoints(nullptr), ::testing::ExitedWithCode(7), "");
}

}  // namespace
}  // namespace davault
