// Tests for the identifier policy parser and the shipped policies/identifiers.toml.
#include "policy/identifier_rules.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace davault::policy {
namespace {

std::string PolicyPath() {
  const char* src = std::getenv("DAVAULT_SOURCE_DIR");
  return std::string(src ? src : ".") + "/policies/identifiers.toml";
}

const TypeRules* FindType(const IdentifierRules& r, const std::string& name) {
  for (const TypeRules& t : r.types) {
    if (t.data_type == name) return &t;
  }
  return nullptr;
}

const FieldRule* FindField(const TypeRules& t, const std::string& path) {
  for (const FieldRule& f : t.fields) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

TEST(IdentifierRulesTest, ShippedPolicyLoads) {
  Result<IdentifierRules> r = LoadIdentifierRules(Env::Default(), PolicyPath());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->version, 1);
  EXPECT_EQ(r->default_region, "GB");
  EXPECT_EQ(r->max_emails_per_link, 5);
  EXPECT_EQ(r->source_name, PolicyPath());
  Result<std::string> text = ReadFileToString(Env::Default(), PolicyPath());
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(r->source_text_hash_input, text.value());
  ASSERT_EQ(r->types.size(), 4u);

  const TypeRules* agent = FindType(r.value(), "AgentActivity");
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->natural_key_path, "AgentHeader.agentSessionId");
  const FieldRule* agent_id = FindField(*agent, "agentID");
  ASSERT_NE(agent_id, nullptr);
  EXPECT_EQ(agent_id->kind, "agent");
  EXPECT_EQ(agent_id->expect, "long");
  EXPECT_GT(agent_id->line, 1);
  ASSERT_NE(FindField(*agent, "agentLoginname"), nullptr);
  EXPECT_EQ(FindField(*agent, "agentLoginname")->expect, "string");
  ASSERT_NE(FindField(*agent, "agentUsername"), nullptr);

  const TypeRules* web = FindType(r.value(), "WebSession");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->natural_key_path, "VisitorHeader.visitId");
  EXPECT_EQ(FindField(*web, "CustomerInfo.customerId")->kind, "customer");
  EXPECT_EQ(FindField(*web, "PersonalInfo.contacts.email")->kind, "email");
  EXPECT_EQ(FindField(*web, "PersonalInfo.contacts.phone")->kind, "phone");
  EXPECT_EQ(FindField(*web, "iPV4")->kind, "ip");
  EXPECT_EQ(FindField(*web, "iPV6")->kind, "ip");
  EXPECT_EQ(FindField(*web, "VisitorHeader.visitorId")->kind, "visitor");

  const TypeRules* eng = FindType(r.value(), "Engagement");
  ASSERT_NE(eng, nullptr);
  EXPECT_EQ(FindField(*eng, "Conversation.consumerId")->kind, "consumer");
  const FieldRule* line_agent = FindField(*eng, "transcripts.agentId");
  ASSERT_NE(line_agent, nullptr);
  EXPECT_EQ(line_agent->ignore_values, std::vector<std::string>{"0"});

  const TypeRules* survey = FindType(r.value(), "Survey");
  ASSERT_NE(survey, nullptr);
  EXPECT_EQ(survey->natural_key_path, "surveys.id + surveys.conversationId");
  EXPECT_EQ(survey->natural_key_paths,
            (std::vector<std::string>{"surveys.id", "surveys.conversationId"}));
  EXPECT_EQ(FindField(*survey, "surveys.conversationId")->kind, "conversation");
  EXPECT_NE(
      std::find(survey->free_text_paths.begin(), survey->free_text_paths.end(), "contents.answer"),
      survey->free_text_paths.end());
}

TEST(IdentifierRulesTest, MinimalPolicy) {
  Result<IdentifierRules> r = ParseIdentifierRules(
      "version = 2\n"
      "[types.Survey]\n"
      "natural_key = [\"surveys.id\"]\n"
      "identifiers = [ { path = \"a.b\", kind = \"visitor\" } ]\n"
      "free_text = [\"x.*\", \"y\"]\n",
      "mini.toml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->version, 2);
  EXPECT_EQ(r->default_region, "GB");  // default
  EXPECT_EQ(r->max_emails_per_link, 5);
  ASSERT_EQ(r->types.size(), 1u);
  EXPECT_EQ(r->types[0].fields[0].line, 4);
  EXPECT_EQ(r->types[0].line, 2);
  EXPECT_EQ(r->types[0].free_text_paths, (std::vector<std::string>{"x.*", "y"}));
}

TEST(IdentifierRulesTest, ErrorsNameFileAndLine) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"version = 1\n[types.Survey]\nnatural_key = [\"a\"\n",  // unterminated array
       "bad.toml:3: Error while parsing array"},
      {"version = 1\n\nmax_emails_per_link = = 3\n", "bad.toml:3: "},
      {"version = 1\nflavour = \"x\"\n", "bad.toml:2: unknown key 'flavour'"},
      {"version = 1\n\n[types.Survey]\nnatural_key = [\"a\"]\nidentifers = []\n",
       "bad.toml:5: unknown key 'identifers'"},
      {"version = 1\n[types.Survey]\nidentifiers = []\n",
       "bad.toml:2: 'types.Survey' has no natural_key"},
      {"version = 1\n[types.Survey]\nnatural_key = [\"a..b\"]\n",
       "bad.toml:3: 'a..b' is not a valid path"},
      {"version = 1\n[types.Survey]\nnatural_key = [\"a\"]\nidentifiers = [\n  { path = \"x\" "
       "},\n]\n",
       "bad.toml:5: identifier rule without 'kind'"},
      {"version = 1\n[types.Survey]\nnatural_key = [\"a\"]\nidentifiers = [\n"
       "  { path = \"x\", kind = \"email\", expect = \"int\" },\n]\n",
       "bad.toml:5: 'expect' must be \"string\" or \"long\""},
      {"version = \"one\"\n", "bad.toml:1: 'version' must be an integer"},
      {"default_region = \"gb\"\nversion = 1\n",
       "bad.toml:1: default_region must be a two-letter upper-case region code"},
      {"[types.Survey]\nnatural_key = [\"a\"]\n", "bad.toml:1: missing 'version'"},
      {"version = 1\n[types.Survey]\nnatural_key = [\"a\"]\nfree_text = [\"p/q\"]\n",
       "bad.toml:4: 'p/q' is not a valid path"},
  };
  for (const Case& c : cases) {
    Result<IdentifierRules> r = ParseIdentifierRules(c.text, "bad.toml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), Code::kFailed);
    EXPECT_EQ(r.status().message().substr(0, std::string(c.message).size()), c.message)
        << "got: " << r.status().message();
  }
}

TEST(IdentifierRulesTest, MissingFileNamesThePath) {
  Result<IdentifierRules> r = LoadIdentifierRules(Env::Default(), "/nonexistent/ids.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/ids.toml"), std::string::npos);
}

TEST(IdentifierRulesTest, RulePathSyntax) {
  EXPECT_TRUE(IsValidRulePath("a", Subtree::kForbidden));
  EXPECT_TRUE(IsValidRulePath("CustomerInfo.customerId", Subtree::kForbidden));
  EXPECT_TRUE(IsValidRulePath("PersonalInfo.*", Subtree::kAllowed));
  EXPECT_FALSE(IsValidRulePath("PersonalInfo.*", Subtree::kForbidden));
  EXPECT_FALSE(IsValidRulePath("*", Subtree::kAllowed));
  EXPECT_FALSE(IsValidRulePath("", Subtree::kForbidden));
  EXPECT_FALSE(IsValidRulePath(".a", Subtree::kForbidden));
  EXPECT_FALSE(IsValidRulePath("a.", Subtree::kForbidden));
  EXPECT_FALSE(IsValidRulePath("a b", Subtree::kForbidden));
  EXPECT_FALSE(IsValidRulePath("a.*.b", Subtree::kAllowed));
}

}  // namespace
}  // namespace davault::policy

// Regression (the same toml++ float conversion the retention fuzzer found): a float where an
// integer belongs is refused, even one far out of range, instead of being converted.
namespace davault::policy {
namespace {
TEST(IdentifierRulesTest, IntegersMustBeIntegersEvenAHugeFloat) {
  for (const char* v : {"1e300", "1.0", "-9e40"}) {
    auto r = ParseIdentifierRules(std::string("version = ") + v +
                                      "\n[types.Survey]\nnatural_key = [\"conversationId\"]\n"
                                      "identifiers = []\nfree_text = []\nstructured = []\n",
                                  "fuzz.toml");
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_NE(r.status().message().find("'version' must be an integer"), std::string::npos)
        << r.status().message();
  }
  auto m = ParseIdentifierRules(
      "version = 1\nmax_emails_per_link = 7e77\n[types.Survey]\nnatural_key = "
      "[\"conversationId\"]\nidentifiers = []\nfree_text = []\nstructured = []\n",
      "fuzz.toml");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("'max_emails_per_link' must be an integer"),
            std::string::npos)
      << m.status().message();
}
}  // namespace
}  // namespace davault::policy
