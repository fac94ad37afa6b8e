// Tests for data type names, Data Access file-name parsing and the safe-file-name check.
#include "format/data_type.h"

#include <gtest/gtest.h>

#include <string>

namespace davault::format {
namespace {

TEST(DataTypeTest, NamesOfEveryType) {
  EXPECT_EQ(DataTypeName(DataType::kAgentActivity), "AgentActivity");
  EXPECT_EQ(ApiTypeName(DataType::kAgentActivity), "agentActivity");
  EXPECT_EQ(FilePrefix(DataType::kAgentActivity), "Agent");
  EXPECT_EQ(DataTypeName(DataType::kWebSession), "WebSession");
  EXPECT_EQ(ApiTypeName(DataType::kWebSession), "webSession");
  EXPECT_EQ(FilePrefix(DataType::kWebSession), "WebSession");
  EXPECT_EQ(DataTypeName(DataType::kEngagement), "Engagement");
  EXPECT_EQ(ApiTypeName(DataType::kEngagement), "engagement");
  EXPECT_EQ(FilePrefix(DataType::kEngagement), "Engagement");
  EXPECT_EQ(DataTypeName(DataType::kSurvey), "Survey");
  EXPECT_EQ(ApiTypeName(DataType::kSurvey), "survey");
  EXPECT_EQ(FilePrefix(DataType::kSurvey), "Survey");
}

TEST(DataTypeTest, ParseAcceptsBothSpellingsCaseSensitively) {
  for (DataType t : kAllDataTypes) {
    EXPECT_EQ(ParseDataType(DataTypeName(t)), t);
    EXPECT_EQ(ParseDataType(ApiTypeName(t)), t);
  }
  EXPECT_EQ(ParseDataType("agentactivity"), std::nullopt);
  EXPECT_EQ(ParseDataType("Agent"), std::nullopt);
  EXPECT_EQ(ParseDataType(""), std::nullopt);
}

TEST(DataTypeTest, ParsesSampleFileNames) {
  auto n = ParseDataAccessFileName("Agent.1465992000000.1465995600000.part-00000-0.gz");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->type, DataType::kAgentActivity);
  EXPECT_EQ(n->scope_start_ms, 1465992000000);
  EXPECT_EQ(n->scope_end_ms, 1465995600000);
  EXPECT_EQ(n->part, "part-00000-0");

  n = ParseDataAccessFileName("WebSession.1467291600000.1467295200000.part-00044-0");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->type, DataType::kWebSession);
  EXPECT_EQ(n->part, "part-00044-0");

  n = ParseDataAccessFileName("Survey.1468270800000.1468274400000.part-123456-12.gz");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->type, DataType::kSurvey);
  EXPECT_EQ(n->part, "part-123456-12");
}

TEST(DataTypeTest, RejectsMalformedFileNames) {
  for (const char* bad : {
           "AgentActivity.1465992000000.1465995600000.part-00000-0.gz",  // wrong prefix
           "Agent.1465992000000.1465995600000.part-0000-0.gz",           // 4-digit part
           "Agent.1465992000000.1465995600000.part-00000.gz",            // no -k
           "Agent.1465992000000.1465995600000.part-00000-.gz",
           "Agent.1465995600000.1465992000000.part-00000-0.gz",  // end before start
           "Agent.-1.1465995600000.part-00000-0.gz",
           "Agent.1465992000000.1465995600000.part-00000-0.zip",
           "Agent.1465992000000.1465995600000.part-00000-0.gz.gz",
           "Agent.1465992000000.part-00000-0.gz",
           "Agent.99999999999999999999.99999999999999999999.part-00000-0",  // overflow
           "",
       }) {
    EXPECT_FALSE(ParseDataAccessFileName(bad).has_value()) << bad;
  }
}

TEST(DataTypeTest, SafeFileNames) {
  EXPECT_TRUE(IsSafeFileName("Agent.1465992000000.1465995600000.part-00000-0.gz"));
  EXPECT_TRUE(IsSafeFileName(std::string(255, 'a')));
  EXPECT_FALSE(IsSafeFileName(std::string(256, 'a')));
  EXPECT_FALSE(IsSafeFileName(""));
  EXPECT_FALSE(IsSafeFileName("../etc/passwd"));
  EXPECT_FALSE(IsSafeFileName("a/b"));
  EXPECT_FALSE(IsSafeFileName("a..b"));
  EXPECT_FALSE(IsSafeFileName(".hidden"));
  EXPECT_FALSE(IsSafeFileName("tab\tname"));
  EXPECT_FALSE(IsSafeFileName("nl\nname"));
  EXPECT_FALSE(IsSafeFileName("del\x7fname"));
  EXPECT_FALSE(IsSafeFileName(std::string("nul\0name", 8)));
}

}  // namespace
}  // namespace davault::format
