// The fake Data Access server's contract (dataaccess-api.md §1–§3, §8) and its fault hooks.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "client/dataaccess.h"
#include "client/http.h"
#include "client/oauth1.h"
#include "fake_server_process.h"

namespace davault::client {
namespace {

using format::DataType;
using testing::FakeServerProcess;
using testing::TestCredentials;

constexpr int64_t kFrom = 1464739200000;  // 2016-06-01T00:00Z
constexpr int64_t kTo = 1470009600000;    // 2016-08-01T00:00Z
const std::string kAccountPath = "/data_access_le/account/75555851/le";

struct Reply {
  HttpResponse response;
  std::string body;  // the 2xx body, or the error body
};

// One correctly signed GET of base_url + path_query.
Reply SignedGet(const FakeServerProcess& server, const std::string& path_query,
                std::vector<std::string> headers = {}) {
  HttpClient http(HttpOptions{});
  OAuth1Provider auth(Env::Default(), TestCredentials());
  const std::string url = server.base_url() + path_query;
  headers.push_back("Authorization: " + auth.AuthorizationFor("GET", url).value());
  Reply r;
  auto resp = http.Get({url, headers}, [&](std::string_view c) {
    r.body.append(c);
    return Status::Ok();
  });
  EXPECT_TRUE(resp.ok()) << resp.status().message();
  if (resp.ok()) {
    r.response = resp.value();
    if (r.response.status < 200 || r.response.status >= 300) r.body = r.response.error_body;
  }
  return r;
}

std::string Window() {
  return "?startTime=" + std::to_string(kFrom) + "&endTime=" + std::to_string(kTo);
}

std::unique_ptr<FakeServerProcess> Start(const std::vector<std::string>& args = {},
                                         std::string dir = "") {
  std::string error;
  auto s = FakeServerProcess::Start(dir.empty() ? testing::SamplesDir() : dir, args, &error);
  EXPECT_NE(s, nullptr) << error;
  return s;
}

std::unique_ptr<DataAccessClient> Client(const FakeServerProcess& s,
                                         ClientOptions opts = ClientOptions{}) {
  return std::make_unique<DataAccessClient>(
      Env::Default(), s.base_url(), "75555851",
      std::make_unique<OAuth1Provider>(Env::Default(), TestCredentials()), std::move(opts));
}

class FakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(testing::SamplesDir().empty()) << "samples not found"; }
};

TEST_F(FakeServerTest, ListingMatchesTheSampleListingApartFromTheHrefHost) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  for (const char* api : {"agentActivity", "webSession", "engagement", "survey"}) {
    Reply r = SignedGet(*server, kAccountPath + "/" + api + Window());
    ASSERT_EQ(r.response.status, 200) << api << r.body;
    EXPECT_EQ(r.response.content_type, "application/json");
    std::string want = testing::ReadFile(testing::SamplesDir() + "/../listings/" + api + ".json");
    ASSERT_FALSE(want.empty()) << api;
    const std::string real_host = "https://va-a.da.liveperson.net";
    const std::string fake_host = "http://localhost:" + std::to_string(server->port());
    for (size_t at; (at = want.find(real_host)) != std::string::npos;) {
      want.replace(at, real_host.size(), fake_host);
    }
    EXPECT_EQ(nlohmann::json::parse(r.body), nlohmann::json::parse(want)) << api;
  }
}

TEST_F(FakeServerTest, BaseResourceListsEnabledTypesAndSchema) {
  auto server = Start({"--disabled-types", "engagement,survey"});
  ASSERT_NE(server, nullptr);
  Reply r = SignedGet(*server, kAccountPath);
  ASSERT_EQ(r.response.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["le"]["@accountId"], "75555851");
  std::vector<std::string> rels;
  for (const auto& l : j["le"]["link"]) rels.push_back(l["@rel"]);
  EXPECT_EQ(rels, (std::vector<std::string>{"self", "agentActivity", "webSession", "schema"}));
  EXPECT_EQ(j["le"]["link"][1]["@href"],
            "http://localhost:" + std::to_string(server->port()) + kAccountPath + "/agentActivity");
  // A disabled type is an error, not an empty window.
  auto files = Client(*server)->List(DataType::kSurvey, kFrom, kTo);
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.status().message().find("HTTP 404 (Data type is not enabled"), std::string::npos)
      << files.status().message();
}

TEST_F(FakeServerTest, ErrorsAreXmlWithTheDocumentedCodes) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  Reply gzip =
      SignedGet(*server, kAccountPath + "/survey" + Window(), {"Accept: application/gzip"});
  EXPECT_EQ(gzip.response.status, 400);
  EXPECT_NE(gzip.body.find("<message>This request is not supported, verify request headers and "
                           "method</message>"),
            std::string::npos);
  EXPECT_NE(gzip.body.find("<internalCode>5</internalCode>"), std::string::npos);

  Reply no_end = SignedGet(*server, kAccountPath + "/survey?startTime=1");
  EXPECT_EQ(no_end.response.status, 400);
  EXPECT_NE(no_end.body.find("<internalCode>5</internalCode>"), std::string::npos);
  Reply bad_num = SignedGet(*server, kAccountPath + "/survey?startTime=x&endTime=2");
  EXPECT_EQ(bad_num.response.status, 400);

  Reply empty = SignedGet(*server, kAccountPath + "/survey?startTime=0&endTime=1");
  EXPECT_EQ(empty.response.status, 404);
  EXPECT_NE(empty.body.find("<message>No Available Files</message>"), std::string::npos);
  EXPECT_EQ(empty.response.content_type, "application/xml");

  Reply unknown = SignedGet(*server, kAccountPath + "/visits" + Window());
  EXPECT_EQ(unknown.response.status, 404);
  Reply nofile = SignedGet(*server, kAccountPath + "/survey/Survey.1.2.part-00000-0.gz");
  EXPECT_EQ(nofile.response.status, 404);
  // A file is only served under its own type.
  Reply wrong_type = SignedGet(
      *server, kAccountPath + "/engagement/Survey.1468270800000.1468274400000.part-00000-0.gz");
  EXPECT_EQ(wrong_type.response.status, 404);

  // Unsigned: 401 with the observed body (§1.6).
  HttpClient http(HttpOptions{});
  auto resp = http.Get({server->base_url() + kAccountPath, {}},
                       [](std::string_view) { return Status::Ok(); });
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 401);
  EXPECT_NE(resp->error_body.find("<message>Unauthorized request</message>"), std::string::npos);
  EXPECT_NE(resp->error_body.find("<internalCode>10</internalCode>"), std::string::npos);
  EXPECT_NE(resp->error_body.find("<time>"), std::string::npos);
}

TEST_F(FakeServerTest, VersionParameterIsAcceptedAndSigned) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  Reply r = SignedGet(*server, kAccountPath + "?v=1.0");
  EXPECT_EQ(r.response.status, 200);
  Reply l = SignedGet(*server, kAccountPath + "/agentActivity" + Window() + "&v=1.0");
  EXPECT_EQ(l.response.status, 200);
  EXPECT_EQ(server->LastRequest()["query"], "startTime=1464739200000&endTime=1470009600000&v=1.0");
}

TEST_F(FakeServerTest, SchemaEndpoint) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  Reply latest = SignedGet(*server, kAccountPath + "/schema?schemaId=latest");
  ASSERT_EQ(latest.response.status, 200);
  auto j = nlohmann::json::parse(latest.body);
  EXPECT_EQ(j["namespace"], "com.liveperson.dataaccess");
  EXPECT_EQ(j["type"], "record");
  EXPECT_EQ(j["schemaVersion"], "1.0.0.35");
  EXPECT_NE(latest.body.find("controlGroup"), std::string::npos);
  Reply v22 = SignedGet(*server, kAccountPath + "/schema?schemaId=1.0.0.22");
  ASSERT_EQ(v22.response.status, 200);
  EXPECT_EQ(v22.body.find("controlGroup"), std::string::npos);  // added in 1.0.0.35
  EXPECT_EQ(SignedGet(*server, kAccountPath + "/schema?schemaId=9").response.status, 404);
  EXPECT_EQ(SignedGet(*server, kAccountPath + "/schema").response.status, 400);
}

TEST_F(FakeServerTest, MaxWindowIsEnforced) {
  auto server = Start({"--max-window-ms", "86400000"});
  ASSERT_NE(server, nullptr);
  auto client = Client(*server);
  const int64_t start = 1465948800000;  // 2016-06-15T00:00Z, the Agent sample's day
  auto day = client->List(DataType::kAgentActivity, start, start + 86400000);
  ASSERT_TRUE(day.ok()) << day.status().message();
  EXPECT_EQ(day->size(), 1u);
  auto two = client->List(DataType::kAgentActivity, start, start + 2 * 86400000);
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("HTTP 400 (Requested time window is too wide)"),
            std::string::npos)
      << two.status().message();
}

TEST_F(FakeServerTest, RangeIsHonouredUnlessAFaultIgnoresIt) {
  testing::ScopedTempDir tmp;
  std::string faults = tmp.path() + "/faults.json";
  std::ofstream(faults) << R"({"rules": [{"path_contains": "/Agent.", "ignore_range": true}]})";
  auto server = Start({"--faults", faults});
  ASSERT_NE(server, nullptr);
  const std::string ws = "WebSession.1467291600000.1467295200000.part-00000-0.gz";
  const std::string ws_bytes = testing::ReadFile(testing::SamplesDir() + "/" + ws);
  Reply ranged = SignedGet(*server, kAccountPath + "/webSession/" + ws, {"Range: bytes=10-"});
  EXPECT_EQ(ranged.response.status, 206);
  EXPECT_EQ(ranged.response.content_range, "bytes 10-" + std::to_string(ws_bytes.size() - 1) + "/" +
                                               std::to_string(ws_bytes.size()));
  EXPECT_TRUE(ranged.body == ws_bytes.substr(10));
  EXPECT_EQ(server->LastRequest()["range"], "bytes=10-");

  const std::string agent = "Agent.1465992000000.1465995600000.part-00000-0.gz";
  Reply ignored =
      SignedGet(*server, kAccountPath + "/agentActivity/" + agent, {"Range: bytes=10-"});
  EXPECT_EQ(ignored.response.status, 200);
  EXPECT_EQ(ignored.response.content_range, "");
  EXPECT_TRUE(ignored.body == testing::ReadFile(testing::SamplesDir() + "/" + agent));
  EXPECT_EQ(server->LastRequest()["fault"], 0);
}

TEST_F(FakeServerTest, FaultsInjectStatusRetryAfterAndTruncation) {
  testing::ScopedTempDir tmp;
  std::string faults = tmp.path() + "/faults.json";
  std::ofstream(faults) << R"({"rules": [
      {"path_contains": "/le/survey/", "times": 1, "status": 503, "retry_after": "7",
       "message": "Service Unavailable"},
      {"path_contains": "/Engagement.", "skip": 0, "times": 1, "truncate_after_bytes": 100}]})";
  auto server = Start({"--faults", faults});
  ASSERT_NE(server, nullptr);
  auto client = Client(*server);

  auto surveys = client->List(DataType::kSurvey, kFrom, kTo).value();
  ASSERT_EQ(surveys.size(), 1u);  // the rule matches downloads only ("/le/survey/")
  HttpClient http(HttpOptions{});
  OAuth1Provider auth(Env::Default(), TestCredentials());
  auto resp =
      http.Get({surveys[0].href,
                {"Authorization: " + auth.AuthorizationFor("GET", surveys[0].href).value()}},
               [](std::string_view) { return Status::Ok(); });
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 503);
  EXPECT_EQ(resp->retry_after, "7");
  EXPECT_EQ(resp->retry_after_s, 7);
  std::string body;
  Status second = client->Download(surveys[0], [&](std::string_view c) {
    body.append(c);
    return Status::Ok();
  });
  EXPECT_TRUE(second.ok()) << second.message();  // "times": 1
  EXPECT_EQ(body.size(), testing::ReadFile(testing::SamplesDir() + "/" + surveys[0].name).size());

  auto engagements = client->List(DataType::kEngagement, kFrom, kTo).value();
  ASSERT_EQ(engagements.size(), 1u);
  ClientOptions once;
  once.retry.max_attempts_per_file = 1;  // see the cut itself, not the resume (retry_test.cc)
  std::string partial;
  Status cut = Client(*server, once)->Download(engagements[0], [&](std::string_view c) {
    partial.append(c);
    return Status::Ok();
  });
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.code(), Code::kFailed);
  EXPECT_NE(cut.message().find("download of " + engagements[0].name + ": short body"),
            std::string::npos)
      << cut.message();
  EXPECT_NE(cut.message().find("received 100 of "), std::string::npos) << cut.message();
  EXPECT_NE(cut.message().find("gave up after 1 attempts"), std::string::npos) << cut.message();
  EXPECT_EQ(partial.size(), 100u);
  partial.clear();
  EXPECT_TRUE(client
                  ->Download(engagements[0],
                             [&](std::string_view c) {
                               partial.append(c);
                               return Status::Ok();
                             })
                  .ok());
  EXPECT_TRUE(partial == testing::ReadFile(testing::SamplesDir() + "/" + engagements[0].name));
}

TEST_F(FakeServerTest, LateFilesInSubdirectoriesShowUpInTheNextListing) {
  testing::ScopedTempDir tmp;
  const std::string& dir = tmp.path();
  const std::string name = "Survey.1468270800000.1468274400000.part-00000-0.gz";
  const std::string bytes = testing::ReadFile(testing::SamplesDir() + "/" + name);
  std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
  std::ofstream(dir + "/README.txt") << "not a Data Access file";
  auto server = Start({}, dir);
  ASSERT_NE(server, nullptr);
  auto client = Client(*server);
  EXPECT_EQ(client->List(DataType::kSurvey, kFrom, kTo).value().size(), 1u);

  ASSERT_EQ(::mkdir((dir + "/late").c_str(), 0755), 0);
  const std::string late = "Survey.1468270800000.1468274400000.part-00001-0.gz";
  std::ofstream(dir + "/late/" + late, std::ios::binary) << bytes;
  auto files = client->List(DataType::kSurvey, kFrom, kTo);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].name, name);
  EXPECT_EQ((*files)[1].name, late);
  std::string got;
  ASSERT_TRUE(client
                  ->Download((*files)[1],
                             [&](std::string_view c) {
                               got.append(c);
                               return Status::Ok();
                             })
                  .ok());
  EXPECT_TRUE(got == bytes);
}

TEST_F(FakeServerTest, StopsGracefullyOnSigterm) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  std::string dir = server->temp_dir();
  EXPECT_EQ(server->Stop(), 0);
  EXPECT_NE(testing::ReadFile(dir + "/stderr").find("davault-fakeserver: stopped"),
            std::string::npos);
}

TEST_F(FakeServerTest, RefusesMissingCredentials) {
  // No --credentials and no LP_* variables: a usage error before listening.
  std::string error;
  for (const char* v :
       {"LP_APP_KEY", "LP_APP_SECRET", "LP_ACCESS_TOKEN", "LP_ACCESS_TOKEN_SECRET"}) {
    ::unsetenv(v);
  }
  auto server =
      FakeServerProcess::Start(testing::SamplesDir(), {}, &error, testing::CredentialsArg::kNone);
  EXPECT_EQ(server, nullptr);
  EXPECT_NE(error.find("missing credential LP_APP_KEY"), std::string::npos) << error;
}

}  // namespace
}  // namespace davault::client
