// Tests for the CLI time forms and the calendar arithmetic behind deadlines and retention.
#include "base/time.h"

#include <gtest/gtest.h>

namespace davault {
namespace {

TEST(ParseTime, AcceptsTheContractForms) {
  EXPECT_EQ(ParseTime("2026-11-30T09:00:00Z").value(), 1796029200000);
  EXPECT_EQ(ParseTime("2026-11-30").value(), 1795996800000);
  EXPECT_EQ(ParseTime("1796029200000").value(), 1796029200000);
  EXPECT_EQ(ParseTime("2026-11-30T10:00:00+01:00").value(), 1796029200000);
  EXPECT_EQ(ParseTime("2016-06-01T07:00:00-04:00").value(), 1464778800000);
  EXPECT_EQ(ParseTime("2026-11-30T09:00:00.250Z").value(), 1796029200250);
}

TEST(ParseTime, RejectsAmbiguousOrMalformedValues) {
  for (const char* bad : {"", "2026-11-30T09:00:00", "2026-13-01", "2026-02-30", "yesterday",
                          "2026-11-30T25:00:00Z", "2026-11-30Tx", "2026-11-30T09:00:00Zjunk"}) {
    auto r = ParseTime(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kUsage) << bad;
  }
}

TEST(FormatTime, PrintsUtcWithOffset) {
  EXPECT_EQ(FormatTime(1796029200000), "2026-11-30T09:00:00Z");
  EXPECT_EQ(FormatTime(1796029200250), "2026-11-30T09:00:00.250Z");
  EXPECT_EQ(FormatDate(1796029200000), "2026-11-30");
}

TEST(AddMonths, ClampsToTheLastDayOfTheMonth) {
  int64_t jan31 = ParseTime("2027-01-31").value();
  EXPECT_EQ(FormatDate(AddMonths(jan31, 1)), "2027-02-28");
  int64_t jan31_leap = ParseTime("2028-01-31").value();
  EXPECT_EQ(FormatDate(AddMonths(jan31_leap, 1)), "2028-02-29");
  EXPECT_EQ(FormatDate(AddMonths(jan31, 3)), "2027-04-30");
  EXPECT_EQ(FormatDate(AddMonths(ParseTime("2026-12-15").value(), 1)), "2027-01-15");
}

TEST(DaysBetween, RoundsDown) {
  int64_t a = ParseTime("2026-11-01").value();
  EXPECT_EQ(DaysBetween(a, a + 36 * 3600000LL), 1);
  EXPECT_EQ(DaysBetween(a, a - 1), -1);
}

TEST(UsEastern, MatchesLivePersonScopeDates) {
  // From the samples: 1461387600000 = 2016-04-23T01:00:00-04:00.
  EXPECT_EQ(FormatTimeWithOffset(1461387600000, UsEasternOffsetMinutes(1461387600000)),
            "2016-04-23T01:00:00-04:00");
  int64_t winter = ParseTime("2026-12-01T12:00:00Z").value();
  EXPECT_EQ(UsEasternOffsetMinutes(winter), -300);
}

}  // namespace
}  // namespace davault
