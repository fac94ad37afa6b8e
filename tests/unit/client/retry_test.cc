// Retry policy: classification, Retry-After parsing, jittered backoff, budgets, and the client's
// retries, resume and restart against the fake server's fault rules.
#include "client/retry.h"

#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <set>

#include "client/dataaccess.h"
#include "client/oauth1.h"
#include "fake_server_process.h"

namespace davault::client {
namespace {

using format::DataType;
using testing::FakeServerProcess;
using testing::TestCredentials;

constexpr int64_t kFrom = 1464739200000;  // 2016-06-01T00:00Z
constexpr int64_t kTo = 1470009600000;    // 2016-08-01T00:00Z

class RecordingSleeper : public Sleeper {
 public:
  void SleepMillis(int64_t ms) override {
    std::lock_guard<std::mutex> lock(mu);
    waits.push_back(ms);
  }
  std::mutex mu;
  std::vector<int64_t> waits;
};

TEST(RetryAfterTest, ParsesSecondsAndHttpDates) {
  EXPECT_EQ(RetryAfterMillis("120", 0), 120000);
  EXPECT_EQ(RetryAfterMillis(" 5 ", 0), 5000);
  EXPECT_EQ(RetryAfterMillis("0", 0), 0);
  // Thu, 03 Dec 2026 21:10:05 GMT = 1796332205 s.
  const int64_t at = 1796332205000;
  EXPECT_EQ(RetryAfterMillis("Thu, 03 Dec 2026 21:10:05 GMT", at - 1500), 1500);
  EXPECT_EQ(RetryAfterMillis("Thu, 03 Dec 2026 21:10:05 GMT", at + 9000), 0);
  EXPECT_EQ(RetryAfterMillis("", 0), std::nullopt);
  EXPECT_EQ(RetryAfterMillis("soon", 0), std::nullopt);
  EXPECT_EQ(RetryAfterMillis("-3", 0), std::nullopt);
}

TEST(RetryPolicyTest, ClassifiesStatusesAndFailures) {
  for (long s : {408, 429, 500, 502, 503, 504}) EXPECT_TRUE(IsRetryableStatus(s)) << s;
  for (long s : {200, 206, 400, 401, 403, 404, 416, 501}) EXPECT_FALSE(IsRetryableStatus(s)) << s;
  EXPECT_TRUE(IsRetryableFailure(HttpFailure::kConnect));
  EXPECT_TRUE(IsRetryableFailure(HttpFailure::kTimeout));
  EXPECT_TRUE(IsRetryableFailure(HttpFailure::kTransfer));
  EXPECT_FALSE(IsRetryableFailure(HttpFailure::kTls));
  EXPECT_FALSE(IsRetryableFailure(HttpFailure::kSink));
  EXPECT_FALSE(IsRetryableFailure(HttpFailure::kOther));
}

TEST(RetryPolicyTest, FullJitterIsCappedAndNeverBelowRetryAfter) {
  RetryOptions o;
  o.base_delay_ms = 1000;
  o.max_delay_ms = 8000;
  RetryPolicy p(Env::Default(), o, nullptr, 1.0);
  std::set<int64_t> seen;
  for (int retry = 1; retry <= 8; ++retry) {
    const int64_t cap = std::min<int64_t>(8000, 1000LL << (retry - 1));
    for (int i = 0; i < 50; ++i) {
      int64_t d = p.DelayMillis(retry, std::nullopt);
      EXPECT_GE(d, 0);
      EXPECT_LE(d, cap) << retry;
      seen.insert(d);
      EXPECT_GE(p.DelayMillis(retry, 9000), 9000);
    }
  }
  EXPECT_GT(seen.size(), 100u);  // jitter: parallel retries are not in lockstep
  RetryPolicy fast(Env::Default(), o, nullptr, 0.01);
  for (int i = 0; i < 50; ++i) {
    EXPECT_LE(fast.DelayMillis(4, std::nullopt), 80);
    EXPECT_EQ(fast.DelayMillis(4, 2000) >= 2000, true);  // the scale never shortens Retry-After
  }
}

TEST(RetryPolicyTest, RunBudgetIsShared) {
  RetryOptions o;
  o.run_retry_budget = 3;
  RetryPolicy p(Env::Default(), o, nullptr, 1.0);
  EXPECT_TRUE(p.TakeRetry());
  EXPECT_TRUE(p.TakeRetry());
  EXPECT_TRUE(p.TakeRetry());
  EXPECT_FALSE(p.TakeRetry());
  EXPECT_EQ(p.retries_used(), 3);
}

class ClientRetryTest : public ::testing::Test {
 protected:
  void StartWith(const std::string& rules) {
    std::string faults = tmp_.path() + "/faults.json";
    std::ofstream(faults) << "{\"rules\": [" << rules << "]}";
    std::string error;
    server_ = FakeServerProcess::Start(testing::SamplesDir(), {"--faults", faults}, &error);
    ASSERT_NE(server_, nullptr) << error;
  }
  std::unique_ptr<DataAccessClient> Client(RetryOptions r = RetryOptions{}) {
    ClientOptions o;
    o.retry = r;
    o.sleeper = &sleeper_;
    return std::make_unique<DataAccessClient>(
        Env::Default(), server_->base_url(), "75555851",
        std::make_unique<OAuth1Provider>(Env::Default(), TestCredentials()), o);
  }
  // Request-log lines whose path contains `part`.
  std::vector<nlohmann::json> Requests(const std::string& part) {
    std::vector<nlohmann::json> out;
    for (auto& l : server_->RequestLog()) {
      if (l["path"].get<std::string>().find(part) != std::string::npos) out.push_back(l);
    }
    return out;
  }
  struct Got {
    Status status;
    std::string body;
    int resets = 0;
  };
  Got Download(DataAccessClient& c, DataType type) {
    auto files = c.List(type, kFrom, kTo);
    EXPECT_TRUE(files.ok()) << files.status().message();
    Got g;
    if (!files.ok() || files->empty()) return g;
    DownloadSink sink;
    sink.write = [&](std::string_view chunk) {
      g.body.append(chunk);
      return Status::Ok();
    };
    sink.reset = [&] {
      g.body.clear();
      ++g.resets;
      return Status::Ok();
    };
    g.status = c.Download(files->front(), sink);
    return g;
  }
  static std::string Engagement() {
    return testing::ReadFile(testing::SamplesDir() +
                             "/Engagement.1469466000000.1469469600000.part-00000-0.gz");
  }

  testing::ScopedTempDir tmp_;
  std::unique_ptr<FakeServerProcess> server_;
  RecordingSleeper sleeper_;
};

TEST_F(ClientRetryTest, ResumesACutDownloadWithRange) {
  StartWith(R"({"path_contains": "/Engagement.", "times": 1, "truncate_after_bytes": 100})");
  auto c = Client();
  Got g = Download(*c, DataType::kEngagement);
  ASSERT_TRUE(g.status.ok()) << g.status.message();
  const std::string want = Engagement();
  ASSERT_FALSE(want.empty());
  EXPECT_TRUE(g.body == want);
  EXPECT_EQ(g.resets, 0);
  auto reqs = Requests("/Engagement.");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_TRUE(reqs[0]["range"].is_null());
  EXPECT_EQ(reqs[1]["range"], "bytes=100-");
  EXPECT_EQ(reqs[1]["status"], 206);
  EXPECT_EQ(c->retries_used(), 1);
  EXPECT_EQ(sleeper_.waits.size(), 1u);
}

TEST_F(ClientRetryTest, IgnoredRangeRestartsFromZeroNeverAppends) {
  StartWith(R"({"path_contains": "/Engagement.", "times": 1, "truncate_after_bytes": 100},
               {"path_contains": "/Engagement.", "ignore_range": true})");
  auto c = Client();
  Got g = Download(*c, DataType::kEngagement);
  ASSERT_TRUE(g.status.ok()) << g.status.message();
  EXPECT_TRUE(g.body == Engagement());
  EXPECT_EQ(g.resets, 1);
  auto reqs = Requests("/Engagement.");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1]["range"], "bytes=100-");
  EXPECT_EQ(reqs[1]["status"], 200);
}

TEST_F(ClientRetryTest, IgnoredRangeFailsWithoutAReset) {
  StartWith(R"({"path_contains": "/Engagement.", "times": 1, "truncate_after_bytes": 100},
               {"path_contains": "/Engagement.", "ignore_range": true})");
  auto c = Client();
  auto files = c->List(DataType::kEngagement, kFrom, kTo).value();
  std::string body;
  Status s = c->Download(files.front(), [&](std::string_view chunk) {
    body.append(chunk);
    return Status::Ok();
  });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot be discarded"), std::string::npos) << s.message();
  EXPECT_EQ(body.size(), 100u);  // never appended to
}

TEST_F(ClientRetryTest, HonoursRetryAfterSecondsOnDownloadsAndDatesOnListings) {
  StartWith(R"({"path_contains": "/le/survey/", "times": 2, "status": 503, "retry_after": "7"},
               {"path_contains": "/le/webSession", "times": 1, "status": 429,
                "retry_after": "Fri, 01 Jan 2100 00:00:00 GMT"},
               {"path_contains": "/le/agentActivity", "times": 1, "status": 429,
                "retry_after": "Thu, 01 Jan 2015 00:00:00 GMT"})");
  auto c = Client();
  Got g = Download(*c, DataType::kSurvey);
  ASSERT_TRUE(g.status.ok()) << g.status.message();
  ASSERT_EQ(sleeper_.waits.size(), 2u);
  EXPECT_GE(sleeper_.waits[0], 7000);
  EXPECT_GE(sleeper_.waits[1], 7000);
  EXPECT_EQ(Requests("/Survey.").size(), 3u);

  // A date in 2100 is far beyond max_retry_after_ms: not waited for, not retried sooner.
  auto ws = c->List(DataType::kWebSession, kFrom, kTo);
  ASSERT_FALSE(ws.ok());
  EXPECT_NE(ws.status().message().find("HTTP 429"), std::string::npos);
  EXPECT_NE(ws.status().message().find("not retried sooner"), std::string::npos);
  EXPECT_EQ(Requests("/le/webSession").size(), 1u);
  // A date in the past: retried after the jittered backoff alone.
  EXPECT_TRUE(c->List(DataType::kAgentActivity, kFrom, kTo).ok());
  EXPECT_EQ(Requests("/le/agentActivity").size(), 2u);
  EXPECT_EQ(sleeper_.waits.size(), 3u);
  EXPECT_LE(sleeper_.waits[2], 1000);
}

TEST_F(ClientRetryTest, UnauthorizedDownloadIsNotRetried) {
  StartWith(R"({"path_contains": "/Engagement.", "status": 401,
                "message": "Unauthorized request", "internal_code": 10})");
  auto c = Client();
  Got g = Download(*c, DataType::kEngagement);
  ASSERT_FALSE(g.status.ok());
  EXPECT_NE(g.status.message().find("HTTP 401) for Engagement.1469466000000"), std::string::npos)
      << g.status.message();
  EXPECT_EQ(Requests("/Engagement.").size(), 1u);
  EXPECT_TRUE(sleeper_.waits.empty());
}

TEST_F(ClientRetryTest, GivesUpAfterTheFileBudgetAndTheRunBudget) {
  StartWith(R"({"path_contains": "/Engagement.", "status": 500},
               {"path_contains": "/Survey.", "status": 502})");
  RetryOptions r;
  r.run_retry_budget = 6;
  auto c = Client(r);
  Got g = Download(*c, DataType::kEngagement);
  ASSERT_FALSE(g.status.ok());
  EXPECT_NE(g.status.message().find("HTTP 500"), std::string::npos);
  EXPECT_NE(g.status.message().find("gave up after 5 attempts"), std::string::npos)
      << g.status.message();
  EXPECT_EQ(Requests("/Engagement.").size(), 5u);
  EXPECT_EQ(c->retries_used(), 4);
  Got s = Download(*c, DataType::kSurvey);
  ASSERT_FALSE(s.status.ok());
  EXPECT_NE(s.status.message().find("budget of 6 retries is spent"), std::string::npos)
      << s.status.message();
  EXPECT_EQ(Requests("/Survey.").size(), 3u);  // 2 retries left in the run budget
  EXPECT_EQ(c->retries_used(), 6);
}

}  // namespace
}  // namespace davault::client
