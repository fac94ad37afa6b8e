// Tests for the retention policy: parsing, the basis instant, and the pure evaluation.
#include "policy/retention.h"

#include <gtest/gtest.h>

#include "base/time.h"

namespace davault::policy {
namespace {

constexpr int64_t kDay = 86'400'000;

TEST(RetentionPolicy, ParsesTypesAndRejectsBadValues) {
  auto p = ParseRetentionPolicy(R"(max_delete_fraction = 0.25
[types.Engagement]
days = 7
from = "scope_end"
)",
                                "t.toml");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p.value().per_type.at(3).days, 7);
  EXPECT_EQ(p.value().per_type.at(3).basis, RetentionBasis::kScopeEnd);
  EXPECT_EQ(p.value().per_type.at(1).days, 30);  // defaults stay
  EXPECT_DOUBLE_EQ(p.value().max_delete_fraction, 0.25);

  auto bad = ParseRetentionPolicy("[types.Chatbot]\ndays = 3\n", "bad.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.toml"), std::string::npos);
  EXPECT_NE(bad.status().message().find("Chatbot"), std::string::npos);
  auto syntax = ParseRetentionPolicy("[types.Survey\n", "syntax.toml");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("line 1"), std::string::npos);
  EXPECT_FALSE(ParseRetentionPolicy("[types.Survey]\nfrom = \"download\"\n", "x").ok());
}

TEST(RetentionPolicy, BasisFallsBackButNeverGuesses) {
  TypeRetention end{30, RetentionBasis::kRecordEnd};
  EXPECT_EQ(*BasisInstant(end, {1, 3, 100, 200, 300}), 200);
  EXPECT_EQ(*BasisInstant(end, {1, 3, 100, std::nullopt, 300}), 100);
  EXPECT_EQ(*BasisInstant(end, {1, 3, std::nullopt, std::nullopt, 300}), 300);
  EXPECT_FALSE(BasisInstant(end, {1, 3, std::nullopt, std::nullopt, std::nullopt}).has_value());
  TypeRetention scope{30, RetentionBasis::kScopeEnd};
  EXPECT_EQ(*BasisInstant(scope, {1, 3, 100, 200, 300}), 300);
}

TEST(RetentionPolicy, EvaluateGivesAReasonForEveryRecord) {
  RetentionPolicy p = DefaultRetentionPolicy();
  int64_t now = ParseTime("2026-12-01").value();
  std::vector<RecordDates> recs = {
      {1, 3, now - 31 * kDay, std::nullopt, std::nullopt},  // expired
      {2, 3, now - 29 * kDay, std::nullopt, std::nullopt},  // within
      {3, 3, now - 40 * kDay, std::nullopt, std::nullopt},  // expired but held
      {4, 3, std::nullopt, std::nullopt, std::nullopt},     // undatable
      {5, 3, now - 30 * kDay, std::nullopt, std::nullopt},  // exactly 30 days: expired
  };
  std::map<int64_t, HoldInfo> held = {{3, {7, "litigation", std::nullopt}}};
  auto d = Evaluate(p, recs, held, now);
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(d[0].verdict, Verdict::kDelete);
  EXPECT_NE(d[0].reason.find("expired"), std::string::npos);
  EXPECT_EQ(d[1].verdict, Verdict::kKeep);
  EXPECT_NE(d[1].reason.find("within retention until"), std::string::npos);
  EXPECT_EQ(d[2].verdict, Verdict::kHeld);
  EXPECT_NE(d[2].reason.find("hold 7"), std::string::npos);
  EXPECT_EQ(d[3].verdict, Verdict::kUndatable);
  EXPECT_EQ(d[4].verdict, Verdict::kDelete);
  // Pure: the same inputs give the same decisions.
  auto again = Evaluate(p, recs, held, now);
  for (size_t i = 0; i < d.size(); ++i) EXPECT_EQ(d[i].reason, again[i].reason);
  EXPECT_EQ(Cutoff(p, 3, now), now - 30 * kDay);
}

}  // namespace
}  // namespace davault::policy

// Regression (found by fuzzing): a float for days was converted to an integer, and one out of
// range ("days = 63333e33") was undefined behaviour inside toml++. Only integers are accepted.
namespace davault::policy {
namespace {
TEST(RetentionPolicy, DaysMustBeAnIntegerEvenAHugeFloat) {
  for (const char* days : {"63333e33", "30.5", "-1e300", "inf", "nan"}) {
    auto p = ParseRetentionPolicy(std::string("[types.WebSession]\ndays = ") + days + "\n",
                                  "fuzz.toml");
    ASSERT_FALSE(p.ok()) << days;
    EXPECT_NE(p.status().message().find("WebSession.days must be 1..36500"), std::string::npos)
        << p.status().message();
  }
  EXPECT_TRUE(ParseRetentionPolicy("[types.WebSession]\ndays = 31\n", "ok.toml").ok());
}
}  // namespace
}  // namespace davault::policy
