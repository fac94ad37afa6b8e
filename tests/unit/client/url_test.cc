// Region hosts, the https-or-loopback rule for base URLs and hrefs, and loopback detection.
#include <gtest/gtest.h>

#include "client/dataaccess.h"
#include "client/url.h"

namespace davault::client {
namespace {

TEST(RegionBaseUrl, MapsTheThreeRegions) {
  EXPECT_EQ(RegionBaseUrl("us").value(), "https://va.da.liveperson.net");
  EXPECT_EQ(RegionBaseUrl("uk").value(), "https://lo.da.liveperson.net");
  EXPECT_EQ(RegionBaseUrl("apac").value(), "https://sy.da.liveperson.net");
  auto eu = RegionBaseUrl("eu");
  ASSERT_FALSE(eu.ok());
  EXPECT_EQ(eu.status().code(), Code::kUsage);
  EXPECT_NE(eu.status().message().find("us, uk or apac"), std::string::npos);
}

TEST(ValidateBaseUrl, AcceptsHttpsAndLoopbackHttp) {
  for (const char* ok : {"https://va.da.liveperson.net", "https://proxy.example:8443/prefix",
                         "http://127.0.0.1:8080", "http://127.9.8.7", "http://localhost:1",
                         "http://LOCALHOST", "http://[::1]:9000"}) {
    EXPECT_TRUE(ValidateBaseUrl(ok).ok()) << ok << ": " << ValidateBaseUrl(ok).message();
  }
}

TEST(ValidateBaseUrl, RejectsPlainHttpToOtherHosts) {
  for (const char* bad : {"http://example.com", "http://10.0.0.1:80", "http://128.0.0.1",
                          "http://127.0.0.1.evil.example", "http://localhost.evil.example",
                          "http://[::2]", "http://0.0.0.0"}) {
    Status s = ValidateBaseUrl(bad);
    EXPECT_EQ(s.code(), Code::kUsage) << bad;
    EXPECT_NE(s.message().find("loopback"), std::string::npos) << s.message();
  }
}

TEST(ValidateBaseUrl, RejectsOtherSchemesCredentialsQueriesAndGarbage) {
  for (const char* bad : {"ftp://va.da.liveperson.net", "va.da.liveperson.net", "",
                          "https://user:pw@va.da.liveperson.net", "https://h/?x=1", "https://h/#f",
                          "file:///etc/passwd"}) {
    EXPECT_EQ(ValidateBaseUrl(bad).code(), Code::kUsage) << bad;
  }
  // The password must not come back in the message.
  EXPECT_EQ(ValidateBaseUrl("https://user:hunter2@h").message().find("hunter2"), std::string::npos);
}

TEST(ParseUrl, SplitsWithCurl) {
  auto p = ParseUrl("HTTPS://Va-A.da.liveperson.net:443/a/b?startTime=1&endTime=2");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->scheme, "https");
  EXPECT_EQ(p->port, "");  // default port dropped
  EXPECT_EQ(p->path, "/a/b");
  EXPECT_EQ(p->query, "startTime=1&endTime=2");
  EXPECT_EQ(ParseUrl("http://h:8443").value().port, "8443");
  EXPECT_EQ(ParseUrl("http://h:8443").value().path, "/");
}

TEST(IsLoopbackHost, CoversTheLoopbackRanges) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.255.255.254"));
  EXPECT_TRUE(IsLoopbackHost("[::1]"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("LocalHost"));
  EXPECT_FALSE(IsLoopbackHost("126.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("::ffff:10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("localhost.localdomain"));
  EXPECT_FALSE(IsLoopbackHost(""));
}

}  // namespace
}  // namespace davault::client
