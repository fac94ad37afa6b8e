// DataAccessClient against the real fake server binary: listings, downloads, auth failures.
#include "client/dataaccess.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "client/oauth1.h"
#include "fake_server_process.h"

namespace davault::client {
namespace {

using format::DataType;
using testing::FakeServerProcess;
using testing::TestCredentials;

// Covers the scope hours of all four samples (June–July 2016).
constexpr int64_t kFrom = 1464739200000;  // 2016-06-01T00:00Z
constexpr int64_t kTo = 1470009600000;    // 2016-08-01T00:00Z

struct Sample {
  DataType type;
  const char* api;
  const char* name;
  int64_t start;
};
const Sample kSamples[] = {
    {DataType::kAgentActivity, "agentActivity", "Agent.1465992000000.1465995600000.part-00000-0.gz",
     1465992000000},
    {DataType::kWebSession, "webSession", "WebSession.1467291600000.1467295200000.part-00000-0.gz",
     1467291600000},
    {DataType::kEngagement, "engagement", "Engagement.1469466000000.1469469600000.part-00000-0.gz",
     1469466000000},
    {DataType::kSurvey, "survey", "Survey.1468270800000.1468274400000.part-00000-0.gz",
     1468270800000},
};

std::unique_ptr<FakeServerProcess> StartServer(const std::vector<std::string>& args = {}) {
  std::string error;
  auto server = FakeServerProcess::Start(testing::SamplesDir(), args, &error);
  EXPECT_NE(server, nullptr) << error;
  return server;
}

std::unique_ptr<DataAccessClient> MakeClient(const std::string& base_url,
                                             const OAuth1Credentials& creds = TestCredentials(),
                                             std::string account = "75555851") {
  return std::make_unique<DataAccessClient>(Env::Default(), base_url, std::move(account),
                                            std::make_unique<OAuth1Provider>(Env::Default(), creds),
                                            ClientOptions{});
}

void ExpectNoCredentialIn(const std::string& text) {
  const OAuth1Credentials& c = TestCredentials();
  for (const std::string& secret : {c.consumer_secret, c.token_secret, c.consumer_key, c.token}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << "credential leaked into: " << text;
    EXPECT_EQ(text.find(PercentEncode(secret)), std::string::npos) << text;
  }
}

class DataAccessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_FALSE(testing::SamplesDir().empty())
        << "sample files not found; set DAVAULT_SAMPLES_DIR to samples/files";
    server_ = StartServer().release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr); }

  static FakeServerProcess* server_;
};
FakeServerProcess* DataAccessTest::server_ = nullptr;

TEST_F(DataAccessTest, ListReturnsExactlyTheOneSampleOfEachType) {
  auto client = MakeClient(server_->base_url());
  for (const Sample& s : kSamples) {
    auto files = client->List(s.type, kFrom, kTo);
    ASSERT_TRUE(files.ok()) << s.api << ": " << files.status().message();
    ASSERT_EQ(files->size(), 1u) << s.api;
    const ListedFile& f = files->front();
    EXPECT_EQ(f.name, s.name);
    EXPECT_EQ(f.scope_start_ms, s.start);
    EXPECT_EQ(f.scope_end_ms, s.start + 3600000);
    // The "other host" quirk: listed on 127.0.0.1, hrefs on localhost.
    EXPECT_EQ(f.href, "http://localhost:" + std::to_string(server_->port()) +
                          "/data_access_le/account/75555851/le/" + s.api + "/" + s.name);
  }
}

TEST_F(DataAccessTest, EmptyWindowIsNoAvailableFiles) {
  auto client = MakeClient(server_->base_url());
  auto files = client->List(DataType::kSurvey, 0, 3600000);
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(files->size(), 0u);
  auto log = server_->RequestLog();
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back()["status"], 404);  // the server said so with an error, not a list
  EXPECT_EQ(log.back()["query"], "startTime=0&endTime=3600000");
}

TEST_F(DataAccessTest, WindowIsHalfOpenOnTheScopeStart) {
  auto client = MakeClient(server_->base_url());
  const Sample& s = kSamples[3];
  EXPECT_EQ(client->List(s.type, s.start, s.start + 1).value().size(), 1u);
  EXPECT_EQ(client->List(s.type, s.start - 3600000, s.start).value().size(), 0u);
}

TEST_F(DataAccessTest, DownloadIsByteIdenticalToTheSample) {
  auto client = MakeClient(server_->base_url());
  for (const Sample& s : kSamples) {
    auto files = client->List(s.type, kFrom, kTo);
    ASSERT_TRUE(files.ok() && files->size() == 1) << s.api;
    std::string body;
    int chunks = 0;
    Status st = client->Download(files->front(), [&](std::string_view chunk) {
      body.append(chunk);
      ++chunks;
      return Status::Ok();
    });
    ASSERT_TRUE(st.ok()) << st.message();
    std::string want = testing::ReadFile(testing::SamplesDir() + "/" + s.name);
    ASSERT_FALSE(want.empty());
    EXPECT_EQ(body.size(), want.size()) << s.name;
    EXPECT_TRUE(body == want) << s.name << " differs from the sample";
    EXPECT_EQ(static_cast<unsigned char>(body[0]), 0x1f);  // gzip magic, not inflated by curl
    EXPECT_GE(chunks, 1);
  }
}

TEST_F(DataAccessTest, ParallelDownloadsShareOneClient) {
  // Issue 6 will run N transfers at once through one client and one AuthProvider.
  auto client = MakeClient(server_->base_url());
  std::vector<ListedFile> files;
  for (const Sample& s : kSamples) files.push_back(client->List(s.type, kFrom, kTo).value()[0]);
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        const ListedFile& f = files[(t + i) % files.size()];
        std::string body;
        Status st = client->Download(f, [&](std::string_view c) {
          body.append(c);
          return Status::Ok();
        });
        if (st.ok() && body == testing::ReadFile(testing::SamplesDir() + "/" + f.name)) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 32);
}

TEST_F(DataAccessTest, SinkErrorAbortsTheDownloadWithItsStatus) {
  auto client = MakeClient(server_->base_url());
  auto files = client->List(DataType::kWebSession, kFrom, kTo).value();
  Status st =
      client->Download(files.front(), [](std::string_view) { return Status::Failed("disk full"); });
  EXPECT_EQ(st.code(), Code::kFailed);
  EXPECT_EQ(st.message(), "download of " + files.front().name + ": disk full");
}

// Signs for a fixed host instead of the one the request goes to.
class WrongHostProvider : public AuthProvider {
 public:
  WrongHostProvider(std::string from, std::string to)
      : inner_(Env::Default(), TestCredentials()), from_(std::move(from)), to_(std::move(to)) {}
  Result<std::string> AuthorizationFor(std::string_view method, std::string_view url) override {
    std::string u(url);
    size_t at = u.find(from_);
    if (at != std::string::npos) u.replace(at, from_.size(), to_);
    return inner_.AuthorizationFor(method, u);
  }

 private:
  OAuth1Provider inner_;
  std::string from_, to_;
};

TEST_F(DataAccessTest, DownloadMustBeSignedForTheHrefHost) {
  auto good = MakeClient(server_->base_url());
  auto files = good->List(DataType::kEngagement, kFrom, kTo).value();
  ASSERT_EQ(files.size(), 1u);
  ASSERT_NE(files[0].href.find("//localhost:"), std::string::npos);
  // A client that signed the href as if it were on the host it listed from gets a 401.
  DataAccessClient wrong(Env::Default(), server_->base_url(), "75555851",
                         std::make_unique<WrongHostProvider>("//localhost:", "//127.0.0.1:"),
                         ClientOptions{});
  Status st = wrong.Download(files[0], [](std::string_view) { return Status::Ok(); });
  EXPECT_EQ(st.code(), Code::kFailed);
  EXPECT_EQ(st.message(),
            "authentication failed (Unauthorized request, HTTP 401) for " + files[0].name);
  EXPECT_EQ(server_->LastRequest()["auth_error"], "signature mismatch");
}

TEST_F(DataAccessTest, WrongSecretIsUnauthorizedAndNeverNamed) {
  OAuth1Credentials wrong = TestCredentials();
  wrong.consumer_secret = "WrongSecret/xyz";
  auto client = MakeClient(server_->base_url(), wrong);
  auto files = client->List(DataType::kAgentActivity, kFrom, kTo);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), Code::kFailed);
  const std::string& m = files.status().message();
  EXPECT_NE(m.find("Unauthorized"), std::string::npos) << m;
  EXPECT_NE(m.find("HTTP 401"), std::string::npos) << m;
  EXPECT_EQ(m.find("WrongSecret"), std::string::npos) << m;
  ExpectNoCredentialIn(m);
}

TEST_F(DataAccessTest, OtherAccountIsUnauthorized) {
  auto client = MakeClient(server_->base_url(), TestCredentials(), "28045150");
  auto files = client->List(DataType::kSurvey, kFrom, kTo);
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.status().message().find("HTTP 401"), std::string::npos);
}

// Returns the same header every time: what a replayed request looks like.
class ReplayProvider : public AuthProvider {
 public:
  explicit ReplayProvider(std::string header) : header_(std::move(header)) {}
  Result<std::string> AuthorizationFor(std::string_view, std::string_view) override {
    return header_;
  }

 private:
  std::string header_;
};

TEST_F(DataAccessTest, ReplayedNonceIsRejected) {
  const std::string url =
      server_->base_url() +
      "/data_access_le/account/75555851/le/survey?startTime=" + std::to_string(kFrom) +
      "&endTime=" + std::to_string(kTo);
  std::string header = AuthorizationHeader(TestCredentials(), "GET", url, "replay-me",
                                           Env::Default()->NowMillis() / 1000)
                           .value();
  DataAccessClient client(Env::Default(), server_->base_url(), "75555851",
                          std::make_unique<ReplayProvider>(header), ClientOptions{});
  auto first = client.List(DataType::kSurvey, kFrom, kTo);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->size(), 1u);
  auto second = client.List(DataType::kSurvey, kFrom, kTo);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("Unauthorized"), std::string::npos);
  EXPECT_EQ(server_->LastRequest()["auth_error"], "nonce reused");
}

TEST_F(DataAccessTest, RequestLogHoldsNoCredentials) {
  auto client = MakeClient(server_->base_url());
  ASSERT_TRUE(client->List(DataType::kWebSession, kFrom, kTo).ok());
  std::string log = testing::ReadFile(server_->request_log_path());
  ASSERT_FALSE(log.empty());
  ExpectNoCredentialIn(log);
  EXPECT_EQ(log.find("oauth_signature"), std::string::npos);
  auto lines = server_->RequestLog();
  const auto& last = lines.back();
  EXPECT_EQ(last["method"], "GET");
  EXPECT_EQ(last["path"], "/data_access_le/account/75555851/le/webSession");
  EXPECT_EQ(last["status"], 200);
  EXPECT_EQ(last["auth"], "ok");
  EXPECT_EQ(last["accept"], "*/*");
  EXPECT_GT(last["bytes"].get<int64_t>(), 100);
}

TEST(DataAccess, SingleObjectListing) {
  ASSERT_FALSE(testing::SamplesDir().empty());
  auto server = StartServer({"--single-object"});
  ASSERT_NE(server, nullptr);
  auto client = MakeClient(server->base_url());
  auto files = client->List(DataType::kEngagement, kFrom, kTo);
  ASSERT_TRUE(files.ok()) << files.status().message();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front().name, kSamples[2].name);
  EXPECT_EQ(files->front().scope_start_ms, kSamples[2].start);

  // Prove the server really answered with an object, not a one-element array.
  HttpClient http(HttpOptions{});
  OAuth1Provider auth(Env::Default(), TestCredentials());
  const std::string url =
      server->base_url() +
      "/data_access_le/account/75555851/le/engagement?startTime=" + std::to_string(kFrom) +
      "&endTime=" + std::to_string(kTo);
  std::string body;
  auto resp = http.Get({url, {"Authorization: " + auth.AuthorizationFor("GET", url).value()}},
                       [&](std::string_view c) {
                         body.append(c);
                         return Status::Ok();
                       });
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  auto json = nlohmann::json::parse(body);
  EXPECT_TRUE(json["dataAccessFiles"]["file"].is_object());
  EXPECT_EQ(server->Stop(), 0);
}

TEST(DataAccess, UnreachablePortIsAClearError) {
  // Reserve a free port, then close it so nothing listens there.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto client = MakeClient(base);
  auto files = client->List(DataType::kSurvey, kFrom, kTo);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), Code::kFailed);
  const std::string& m = files.status().message();
  EXPECT_NE(m.find("cannot reach " + base + "/data_access_le/account/75555851/le/survey?"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("Couldn't connect to server"), std::string::npos) << m;
  ExpectNoCredentialIn(m);
}

TEST(DataAccess, PlainHttpToANonLoopbackHostIsRefusedBeforeAnyRequest) {
  auto client = MakeClient("http://va.da.liveperson.net");
  auto files = client->List(DataType::kSurvey, kFrom, kTo);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), Code::kUsage);
  EXPECT_NE(files.status().message().find("loopback"), std::string::npos);
  EXPECT_EQ(ValidateBaseUrl("http://va.da.liveperson.net").code(), Code::kUsage);
}

TEST(DataAccess, RejectsBadAccountIdsAndEmptyWindows) {
  auto client = MakeClient("https://va.da.liveperson.net", TestCredentials(), "../etc");
  EXPECT_EQ(client->List(DataType::kSurvey, kFrom, kTo).status().code(), Code::kUsage);
  auto ok_account = MakeClient("https://va.da.liveperson.net");
  EXPECT_EQ(ok_account->List(DataType::kSurvey, kTo, kFrom).status().code(), Code::kUsage);
}

TEST(DataAccess, RefusesAnHrefThatLeavesHttpsForANonLoopbackHost) {
  DataAccessClient client(Env::Default(), "http://127.0.0.1:1", "1",
                          std::make_unique<OAuth1Provider>(Env::Default(), TestCredentials()),
                          ClientOptions{});
  ListedFile f{"Survey.1.2.part-00000-0.gz", "http://evil.example/x.gz", 1, 2};
  Status st = client.Download(f, [](std::string_view) { return Status::Ok(); });
  EXPECT_EQ(st.code(), Code::kUsage);
  EXPECT_NE(st.message().find("download of Survey.1.2.part-00000-0.gz"), std::string::npos);
}

}  // namespace
}  // namespace davault::client

TEST(ReprDigest, PicksWellFormedSha256Only) {
  using davault::client::ReprDigestSha256;
  // base64 of 32 bytes 0x00..0x1f.
  const std::string b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  auto d = ReprDigestSha256("sha-512=:AAAA:, sha-256=:" + b64 + ":");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>((*d)[31]), 0x1f);
  EXPECT_FALSE(ReprDigestSha256("").has_value());
  EXPECT_FALSE(ReprDigestSha256("sha-512=:" + b64 + ":").has_value());
  EXPECT_FALSE(ReprDigestSha256("sha-256=:AAAA:").has_value());  // not 32 bytes
  EXPECT_FALSE(ReprDigestSha256("sha-256=" + b64).has_value());  // not a byte sequence
}
