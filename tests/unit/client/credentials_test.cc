// Loading the API key from files (JSON or KEY=VALUE) and the environment, without leaking values.
#include "client/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "fake_server_process.h"

namespace davault::client {
namespace {

std::string WriteTemp(const std::string& text, mode_t mode) {
  static testing::ScopedTempDir dir;  // removed at exit
  static int n = 0;
  std::string path = dir.path() + "/creds" + std::to_string(++n);
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(Credentials, ReadsKeyValueFilesWithCommentsExportAndQuotes) {
  std::string path = WriteTemp(
      "# API key\nexport LP_APP_KEY=key1\nLP_APP_SECRET = \"sec=ret\"\n\n"
      "LP_ACCESS_TOKEN='tok'\r\nLP_ACCESS_TOKEN_SECRET=ts\n",
      0600);
  auto c = LoadOAuth1Credentials(Env::Default(), path, CredentialsFileMode::kRequirePrivate);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->consumer_key, "key1");
  EXPECT_EQ(c->consumer_secret, "sec=ret");
  EXPECT_EQ(c->token, "tok");
  EXPECT_EQ(c->token_secret, "ts");
}

TEST(Credentials, ReadsJsonFiles) {
  std::string path = WriteTemp(
      " {\"LP_APP_KEY\": \"k\", \"LP_APP_SECRET\": \"s\", \"LP_ACCESS_TOKEN\": \"t\", "
      "\"LP_ACCESS_TOKEN_SECRET\": \"u\"}",
      0600);
  auto c = LoadOAuth1Credentials(Env::Default(), path, CredentialsFileMode::kRequirePrivate);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->consumer_key + c->consumer_secret + c->token + c->token_secret, "kstu");
}

TEST(Credentials, RefusesGroupReadableFilesWhenAskedTo) {
  std::string path = WriteTemp(
      "LP_APP_KEY=a\nLP_APP_SECRET=b\nLP_ACCESS_TOKEN=c\nLP_ACCESS_TOKEN_SECRET=d\n", 0640);
  auto c = LoadOAuth1Credentials(Env::Default(), path, CredentialsFileMode::kRequirePrivate);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUsage);
  EXPECT_NE(c.status().message().find("chmod 600"), std::string::npos);
  EXPECT_TRUE(LoadOAuth1Credentials(Env::Default(), path, CredentialsFileMode::kAnyMode).ok());
}

TEST(Credentials, NamesTheMissingVariableNeverAValue) {
  std::string path = WriteTemp("LP_APP_KEY=VisibleKey\nLP_APP_SECRET=HiddenSecret\n", 0600);
  auto c = LoadOAuth1Credentials(Env::Default(), path, CredentialsFileMode::kRequirePrivate);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("LP_ACCESS_TOKEN"), std::string::npos);
  EXPECT_EQ(c.status().message().find("HiddenSecret"), std::string::npos);
  EXPECT_EQ(c.status().message().find("VisibleKey"), std::string::npos);
}

TEST(Credentials, ReadsTheEnvironment) {
  ::setenv("LP_APP_KEY", "ek", 1);
  ::setenv("LP_APP_SECRET", "es", 1);
  ::setenv("LP_ACCESS_TOKEN", "et", 1);
  ::setenv("LP_ACCESS_TOKEN_SECRET", "ets", 1);
  auto c = LoadOAuth1Credentials(Env::Default(), "", CredentialsFileMode::kRequirePrivate);
  ::unsetenv("LP_ACCESS_TOKEN_SECRET");
  auto missing = LoadOAuth1Credentials(Env::Default(), "", CredentialsFileMode::kRequirePrivate);
  ::unsetenv("LP_APP_KEY");
  ::unsetenv("LP_APP_SECRET");
  ::unsetenv("LP_ACCESS_TOKEN");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->token_secret, "ets");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("LP_ACCESS_TOKEN_SECRET"), std::string::npos);
}

}  // namespace
}  // namespace davault::client
