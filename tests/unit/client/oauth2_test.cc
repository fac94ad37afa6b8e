// OAuth 2.0 client credentials: token URLs, the form body, and token responses (hostile ones too).
#include "client/oauth2.h"

#include <gtest/gtest.h>

namespace davault::client {
namespace {

TEST(OAuth2, TokenUrls) {
  EXPECT_EQ(RegionTokenUrl("uk", "123").value(),
            "https://lo.sentinel.liveperson.net/sentinel/api/v2/account/123/app/token");
  EXPECT_EQ(RegionTokenUrl("us", "9").value(),
            "https://va.sentinel.liveperson.net/sentinel/api/v2/account/9/app/token");
  EXPECT_EQ(RegionTokenUrl("apac", "9").value(),
            "https://sy.sentinel.liveperson.net/sentinel/api/v2/account/9/app/token");
  EXPECT_EQ(RegionTokenUrl("eu", "9").status().code(), Code::kUsage);
  EXPECT_EQ(TokenUrlOnBase("http://127.0.0.1:8443/", "42"),
            "http://127.0.0.1:8443/sentinel/api/v2/account/42/app/token");
}

TEST(OAuth2, FormBodyEncodesValues) {
  EXPECT_EQ(TokenRequestBody({"id 1", "s&c=r+t"}),
            "grant_type=client_credentials&client_id=id%201&client_secret=s%26c%3Dr%2Bt");
}

TEST(OAuth2, ParsesTokenResponses) {
  auto t =
      ParseTokenResponse(R"({"access_token":"eyJ.a-b_c","token_type":"Bearer","expires_in":3600})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->access_token, "eyJ.a-b_c");
  EXPECT_EQ(t->expires_in_s, 3600);
  auto no_expiry = ParseTokenResponse(R"({"access_token":"abc","token_type":"bearer"})");
  ASSERT_TRUE(no_expiry.ok());
  EXPECT_EQ(no_expiry->expires_in_s, -1);
}

TEST(OAuth2, RefusesBadTokenResponsesWithoutEchoingThem) {
  const char* bad[] = {
      "not json",
      R"([])",
      R"({"token_type":"Bearer"})",
      R"({"access_token":"abc","token_type":"MAC"})",
      R"({"access_token":"ab\r\nX-Injected: 1","token_type":"Bearer"})",
      R"({"access_token":"","token_type":"Bearer"})",
      R"({"access_token":"abc","expires_in":"soon"})",
      R"({"access_token":"abc","expires_in":-5})",
  };
  for (const char* body : bad) {
    auto t = ParseTokenResponse(body);
    EXPECT_FALSE(t.ok()) << body;
    if (!t.ok()) {
      EXPECT_EQ(t.status().message().find("abc"), std::string::npos) << body;
    }
  }
}

}  // namespace
}  // namespace davault::client
