// OAuth 1.0a signing against the RFC 5849 worked examples, encoding, header parsing, verification.
#include "client/oauth1.h"

#include <gtest/gtest.h>

#include <random>

namespace davault::client {
namespace {

// RFC 5849 §1.2 (and the OAuth Core 1.0 Appendix A) photo-sharing credentials.
const OAuth1Credentials kPhotos{"dpf43f3p2l4k3l03", "kd94hf93k423kf44", "nnch734d00sl2jdk",
                                "pfkkdhi9sl3r4s00"};

TEST(OAuth1, Rfc5849Section1_2BaseStringAndSignature) {
  OAuthParams oauth = {{"oauth_consumer_key", "dpf43f3p2l4k3l03"},
                       {"oauth_token", "nnch734d00sl2jdk"},
                       {"oauth_signature_method", "HMAC-SHA1"},
                       {"oauth_timestamp", "137131202"},
                       {"oauth_nonce", "chapoH"}};
  auto base = SignatureBaseString(
      "GET", "http://photos.example.net/photos?file=vacation.jpg&size=original", oauth);
  ASSERT_TRUE(base.ok()) << base.status().message();
  EXPECT_EQ(base.value(),
            "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_"
            "key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%"
            "26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal");
  EXPECT_EQ(Sign(base.value(), kPhotos.consumer_secret, kPhotos.token_secret),
            "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
}

TEST(OAuth1, Rfc5849Section3_4_1BaseString) {
  // The POST example: query b5, a3, c@, a2; form body "c2&a3=2+q" (passed as extra parameters,
  // '+' already decoded); realm is not signed.
  OAuthParams extra = {{"oauth_consumer_key", "9djdj82h48djs9d2"},
                       {"oauth_token", "kkk9d7dh3k39sjv7"},
                       {"oauth_signature_method", "HMAC-SHA1"},
                       {"oauth_timestamp", "137131201"},
                       {"oauth_nonce", "7d8f3e4a"},
                       {"c2", ""},
                       {"a3", "2 q"}};
  auto base = SignatureBaseString(
      "POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", extra);
  ASSERT_TRUE(base.ok()) << base.status().message();
  EXPECT_EQ(base.value(),
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D"
            "%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_"
            "nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%"
            "26oauth_token%3Dkkk9d7dh3k39sjv7");
}

TEST(OAuth1, OAuthCore10AppendixAHeaderWithVersion) {
  auto header = AuthorizationHeader(
      kPhotos, "GET", "http://photos.example.net/photos?file=vacation.jpg&size=original",
      "kllo9940pd9333jh", 1191242096);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header.value(),
            "OAuth oauth_consumer_key=\"dpf43f3p2l4k3l03\", oauth_nonce=\"kllo9940pd9333jh\", "
            "oauth_signature=\"tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D\", "
            "oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1191242096\", "
            "oauth_token=\"nnch734d00sl2jdk\", oauth_version=\"1.0\"");
  EXPECT_EQ(header->find('\n'), std::string::npos);
}

TEST(OAuth1, BaseStringUriRules) {
  // RFC 5849 §3.4.1.2 examples plus the default-port and no-path cases.
  EXPECT_EQ(BaseStringUri("HTTP://EXAMPLE.COM:80/r%20v/X?id=123").value(),
            "http://example.com/r%20v/X");
  EXPECT_EQ(BaseStringUri("https://www.example.net:8080/?q=1").value(),
            "https://www.example.net:8080/");
  EXPECT_EQ(BaseStringUri("https://VA-A.da.liveperson.net:443/x#frag").value(),
            "https://va-a.da.liveperson.net/x");
  EXPECT_EQ(BaseStringUri("http://127.0.0.1:8443/a/b").value(), "http://127.0.0.1:8443/a/b");
  EXPECT_EQ(BaseStringUri("https://host").value(), "https://host/");
  EXPECT_EQ(BaseStringUri("http://[::1]:9000/p").value(), "http://[::1]:9000/p");
  EXPECT_FALSE(BaseStringUri("not a url").ok());
}

TEST(OAuth1, PercentEncodeEdgeCases) {
  EXPECT_EQ(PercentEncode(""), "");
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode(" "), "%20");
  EXPECT_EQ(PercentEncode("+/=&%*!'()"), "%2B%2F%3D%26%25%2A%21%27%28%29");
  EXPECT_EQ(PercentEncode("\xC3\xA9"), "%C3%A9");  // UTF-8 e-acute, upper-case hex
  EXPECT_EQ(PercentEncode(std::string("a\0b", 3)), "a%00b");
  EXPECT_EQ(PercentEncode("\xff\x7f"), "%FF%7F");
  std::string big(3 << 20, 'x');
  big[big.size() - 1] = ' ';
  std::string enc = PercentEncode(big);
  EXPECT_EQ(enc.size(), big.size() + 2);
  EXPECT_EQ(enc.substr(enc.size() - 5), "xx%20");
}

TEST(OAuth1, QueryParamsAreFormDecoded) {
  auto p = QueryParams("https://h/p?b=2+3&a=%41&flag&=v&&c=");
  ASSERT_TRUE(p.ok());
  OAuthParams want = {{"b", "2 3"}, {"a", "A"}, {"flag", ""}, {"", "v"}, {"c", ""}};
  EXPECT_EQ(p.value(), want);
  EXPECT_TRUE(QueryParams("https://h/p").value().empty());
}

TEST(OAuth1, ParseAuthorizationHeaderRoundTrip) {
  OAuth1Credentials c{"key with space", "s", "tok/=", "t"};
  auto header = AuthorizationHeader(c, "GET", "https://h/p?x=1", "n+1", 1700000000);
  ASSERT_TRUE(header.ok());
  auto parsed = ParseAuthorizationHeader(header.value());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 7u);
  EXPECT_EQ((*parsed)[0], OAuthParam("oauth_consumer_key", "key with space"));
  EXPECT_EQ((*parsed)[1], OAuthParam("oauth_nonce", "n+1"));
  EXPECT_EQ((*parsed)[5], OAuthParam("oauth_token", "tok/="));
  EXPECT_EQ((*parsed)[6], OAuthParam("oauth_version", "1.0"));
}

TEST(OAuth1, ParseAuthorizationHeaderToleratesSpacingRealmAndCase) {
  auto p =
      ParseAuthorizationHeader("  oauth realm=\"Photo Site\" ,oauth_nonce = \"a%20b\",\t,x=\"\",");
  ASSERT_TRUE(p.ok()) << p.status().message();
  OAuthParams want = {{"realm", "Photo Site"}, {"oauth_nonce", "a b"}, {"x", ""}};
  EXPECT_EQ(p.value(), want);
  EXPECT_TRUE(ParseAuthorizationHeader("OAuth").value().empty());
}

TEST(OAuth1, ParseAuthorizationHeaderRejectsHostileInput) {
  const std::string secret = "SuperSecretValue123";
  const std::vector<std::string> bad = {
      "",
      "Basic dXNlcjpwYXNz",
      "Bearer abc",
      "OAuthx a=\"1\"",
      "OAuth a=\"" + secret,                  // unterminated quote
      "OAuth a=" + secret,                    // unquoted
      "OAuth a=\"1\" b=\"2\"",                // missing comma
      "OAuth a=\"1\", a=\"" + secret + "\"",  // duplicate key
      "OAuth a=\"1\", %61=\"2\"",             // duplicate after decoding
      "OAuth a=\"x\r\n\", b=\"y\"",           // line break
      "OAuth a=\"\\\"" + secret + "\"",       // backslash escape
      "OAuth a=\"%G1\"",                      // bad escape
      "OAuth a=\"%4\"",                       // truncated escape
      "OAuth a=\"%\"",
      "OAuth =\"x\"",                       // no name
      "OAuth a",                            // no '='
      "OAuth a=",                           // no value
      std::string("OAuth a=\"x\0y\"", 14),  // NUL
      "OAuth a=\"1\";b=\"2\"",
      "OAuth \"a\"=\"1\"",
      "OAuth a=\"x y\"",                    // not percent-encoded
      "OAuth oauth_signature=\"ab+c/d=\"",  // raw base64 must be encoded
      "OAuth a=\"\xc3\xa9\"",               // raw UTF-8
  };
  for (const std::string& h : bad) {
    auto p = ParseAuthorizationHeader(h);
    EXPECT_FALSE(p.ok()) << "accepted: " << h;
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), Code::kFailed);
      EXPECT_EQ(p.status().message().find(secret), std::string::npos) << p.status().message();
    }
  }
  std::string huge = "OAuth a=\"" + std::string(17 * 1024, 'x') + "\"";
  auto p = ParseAuthorizationHeader(huge);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("16 KiB"), std::string::npos);
  std::string many = "OAuth ";
  for (int i = 0; i < 65; ++i) many += "p" + std::to_string(i) + "=\"v\", ";
  p = ParseAuthorizationHeader(many);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("too many"), std::string::npos);
}

TEST(OAuth1, AlreadyDecodedHeaderValuesAreTakenVerbatim) {
  // What a server sees when its HTTP library percent-decoded the header (cpp-httplib 0.11).
  const std::string decoded = "OAuth oauth_signature=\"ab+c/d=\", oauth_nonce=\"50%\\x\"";
  EXPECT_FALSE(ParseAuthorizationHeader(decoded).ok());
  auto p = ParseAuthorizationHeader(decoded, HeaderValues::kAlreadyDecoded);
  ASSERT_TRUE(p.ok()) << p.status().message();
  OAuthParams want = {{"oauth_signature", "ab+c/d="}, {"oauth_nonce", "50%\\x"}};
  EXPECT_EQ(p.value(), want);
  EXPECT_FALSE(ParseAuthorizationHeader("OAuth a=\"x\ny\"", HeaderValues::kAlreadyDecoded).ok());

  OAuth1Credentials c{"key+1", "sec/2", "tok=3", "ts&4"};
  const std::string url = "http://localhost:1/p?startTime=1";
  std::string header = AuthorizationHeader(c, "GET", url, "n", 1000).value();
  std::string as_seen = header;  // decode the %XX escapes the way the library does
  for (size_t at; (at = as_seen.find('%')) != std::string::npos;) {
    as_seen.replace(at, 3, 1, static_cast<char>(std::stoi(as_seen.substr(at + 1, 2), nullptr, 16)));
  }
  ASSERT_NE(as_seen, header);
  NonceCache nonces;
  EXPECT_TRUE(
      VerifyOAuth1(c, "GET", url, as_seen, 1000, &nonces, HeaderValues::kAlreadyDecoded).ok());
}

TEST(OAuth1, ParseAuthorizationHeaderSurvivesRandomMutations) {
  // A cheap in-test fuzz loop (the libFuzzer target can reuse the same entry point).
  auto valid = AuthorizationHeader(kPhotos, "GET", "https://h/p", "nonce", 1).value();
  std::mt19937 rng(5849);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string h = valid;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % h.size();
      switch (rng() % 3) {
        case 0:
          h[pos] = static_cast<char>(rng() % 256);
          break;
        case 1:
          h.erase(pos, 1 + rng() % 8);
          break;
        default:
          h.insert(pos, 1, "\",=% \\\t"[rng() % 7]);
          break;
      }
      if (h.empty()) h = "O";
    }
    auto p = ParseAuthorizationHeader(h);
    if (p.ok()) {
      ++accepted;
      EXPECT_LE(p->size(), 64u);
    }
  }
  // Both outcomes must occur, or the loop is not exploring anything.
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 20000);
}

class VerifyOAuth1Test : public ::testing::Test {
 protected:
  const OAuth1Credentials creds_{"app-key", "app-secret", "token", "token-secret"};
  const int64_t now_ = 1700000000;
  const std::string url_ =
      "http://localhost:8443/data_access_le/account/1/le/survey?startTime=1&"
      "endTime=2";
  NonceCache nonces_{300};

  std::string Header(const std::string& nonce, int64_t ts, const OAuth1Credentials* c = nullptr) {
    return AuthorizationHeader(c ? *c : creds_, "GET", url_, nonce, ts).value();
  }
};

TEST_F(VerifyOAuth1Test, AcceptsAValidRequestOnce) {
  std::string h = Header("n1", now_);
  EXPECT_TRUE(VerifyOAuth1(creds_, "GET", url_, h, now_, &nonces_).ok());
  Status again = VerifyOAuth1(creds_, "GET", url_, h, now_ + 1, &nonces_);
  EXPECT_EQ(again.message(), "nonce reused");
}

TEST_F(VerifyOAuth1Test, RejectsAnotherHostPortOrQuery) {
  std::string h = Header("n2", now_);
  EXPECT_EQ(VerifyOAuth1(creds_, "GET",
                         "http://127.0.0.1:8443/data_access_le/account/1/le/survey?startTime=1&"
                         "endTime=2",
                         h, now_, &nonces_)
                .message(),
            "signature mismatch");
  EXPECT_EQ(VerifyOAuth1(creds_, "GET",
                         "http://localhost:8444/data_access_le/account/1/le/survey?startTime=1&"
                         "endTime=2",
                         h, now_, &nonces_)
                .message(),
            "signature mismatch");
  EXPECT_EQ(VerifyOAuth1(creds_, "GET",
                         "http://localhost:8443/data_access_le/account/1/le/survey?startTime=1&"
                         "endTime=3",
                         h, now_, &nonces_)
                .message(),
            "signature mismatch");
  // A failed attempt must not burn the nonce.
  EXPECT_TRUE(VerifyOAuth1(creds_, "GET", url_, h, now_, &nonces_).ok());
}

TEST_F(VerifyOAuth1Test, RejectsWrongSecretWithoutNamingIt) {
  OAuth1Credentials wrong = creds_;
  wrong.consumer_secret = "WrongSecret42";
  Status s = VerifyOAuth1(creds_, "GET", url_, Header("n3", now_, &wrong), now_, &nonces_);
  EXPECT_EQ(s.code(), Code::kFailed);
  EXPECT_EQ(s.message(), "signature mismatch");
}

TEST_F(VerifyOAuth1Test, RejectsStaleOrFutureTimestamps) {
  EXPECT_TRUE(VerifyOAuth1(creds_, "GET", url_, Header("t1", now_ - 300), now_, &nonces_).ok());
  EXPECT_TRUE(VerifyOAuth1(creds_, "GET", url_, Header("t2", now_ + 300), now_, &nonces_).ok());
  EXPECT_EQ(VerifyOAuth1(creds_, "GET", url_, Header("t3", now_ - 301), now_, &nonces_).message(),
            "oauth_timestamp outside the allowed window");
  EXPECT_EQ(VerifyOAuth1(creds_, "GET", url_, Header("t4", now_ + 301), now_, &nonces_).message(),
            "oauth_timestamp outside the allowed window");
}

TEST_F(VerifyOAuth1Test, RequiresEverySixParametersAndTheSignature) {
  std::string full = Header("p1", now_);
  for (const char* name : {"oauth_consumer_key", "oauth_token", "oauth_signature_method",
                           "oauth_timestamp", "oauth_nonce", "oauth_version", "oauth_signature"}) {
    auto params = ParseAuthorizationHeader(full).value();
    std::string h = "OAuth ";
    for (const auto& [k, v] : params) {
      if (k != name) h += k + "=\"" + PercentEncode(v) + "\", ";
    }
    EXPECT_EQ(VerifyOAuth1(creds_, "GET", url_, h, now_, &nonces_).message(),
              std::string("missing ") + name);
  }
  EXPECT_EQ(VerifyOAuth1(creds_, "GET", url_, "", now_, &nonces_).message(),
            "no Authorization header");
}

TEST_F(VerifyOAuth1Test, RejectsOtherMethodsKeysAndTokens) {
  std::string h = Header("m1", now_);
  std::string plaintext = h;
  plaintext.replace(plaintext.find("HMAC-SHA1"), 9, "PLAINTEXT");
  EXPECT_EQ(VerifyOAuth1(creds_, "GET", url_, plaintext, now_, &nonces_).message(),
            "signature method is not HMAC-SHA1");
  OAuth1Credentials other = creds_;
  other.consumer_key = "other-key";
  EXPECT_EQ(VerifyOAuth1(creds_, "GET", url_, Header("m2", now_, &other), now_, &nonces_).message(),
            "unknown consumer key");
  other = creds_;
  other.token = "other-token";
  EXPECT_EQ(VerifyOAuth1(creds_, "GET", url_, Header("m3", now_, &other), now_, &nonces_).message(),
            "unknown token");
  EXPECT_EQ(VerifyOAuth1(creds_, "HEAD", url_, h, now_, &nonces_).message(), "signature mismatch");
}

TEST(NonceCache, ForgetsNoncesOnceTheirTimestampLeftTheWindow) {
  NonceCache cache(300, 2);
  EXPECT_TRUE(cache.Insert("k", "t", "a", 1000, 1000));
  EXPECT_FALSE(cache.Insert("k", "t", "a", 1000, 1200));
  EXPECT_TRUE(cache.Insert("k2", "t", "a", 1000, 1000));  // another key: another namespace
  EXPECT_FALSE(cache.Insert("k", "t", "b", 1000, 1000));  // full: refuse rather than grow
  EXPECT_TRUE(cache.Insert("k", "t", "a", 1400, 1400));   // both old entries expired at 1300
}

// An Env whose clock and randomness the test controls; everything else is the real one.
class FixedEnv : public Env {
 public:
  Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& p) override {
    return Env::Default()->OpenSequential(p);
  }
  Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& p) override {
    return Env::Default()->OpenRandomAccess(p);
  }
  Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& p, CreateMode c,
                                                    uint32_t m) override {
    return Env::Default()->NewWritable(p, c, m);
  }
  Status Rename(const std::string& a, const std::string& b) override {
    return Env::Default()->Rename(a, b);
  }
  Status Remove(const std::string& p) override { return Env::Default()->Remove(p); }
  Status SyncDir(const std::string& d) override { return Env::Default()->SyncDir(d); }
  Status MakeDir(const std::string& p, uint32_t m) override {
    return Env::Default()->MakeDir(p, m);
  }
  Status RemoveDir(const std::string& p) override { return Env::Default()->RemoveDir(p); }
  bool Exists(const std::string& p) override { return Env::Default()->Exists(p); }
  Result<FileInfo> Stat(const std::string& p) override { return Env::Default()->Stat(p); }
  Result<std::vector<std::string>> ListDir(const std::string& d) override {
    return Env::Default()->ListDir(d);
  }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& p, LockMode m, int t) override {
    return Env::Default()->Lock(p, m, t);
  }
  int64_t NowMillis() override { return now_ms; }
  void RandomBytes(void* buf, size_t n) override {
    auto* p = static_cast<unsigned char*>(buf);
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(0xA0 + i);
  }
  int64_t now_ms = 1700000000999;
};

TEST(OAuth1Provider, UsesTheEnvClockAndRandomness) {
  FixedEnv env;
  OAuth1Credentials c{"k", "s", "t", "ts"};
  OAuth1Provider provider(&env, c);
  const std::string url = "https://va-a.da.liveperson.net/data_access_le/account/1/le/survey/F.gz";
  auto h = provider.AuthorizationFor("GET", url);
  ASSERT_TRUE(h.ok());
  auto params = ParseAuthorizationHeader(h.value()).value();
  EXPECT_EQ(params[1], OAuthParam("oauth_nonce", "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"));
  EXPECT_EQ(params[4], OAuthParam("oauth_timestamp", "1700000000"));
  NonceCache nonces;
  EXPECT_TRUE(VerifyOAuth1(c, "GET", url, h.value(), 1700000000, &nonces).ok());
}

}  // namespace
}  // namespace davault::client
