// Retry policy for Data Access calls: which failures are transient, how long to wait, budgets.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "client/http.h"
#include "davault/env.h"

namespace davault::client {

struct RetryOptions {
  int max_attempts_per_file = 5;     // attempts (not retries) for one listing or one download
  int64_t run_retry_budget = 200;    // retries shared by every call of one DataAccessClient
  int64_t base_delay_ms = 1000;      // first backoff cap; doubles per retry
  int64_t max_delay_ms = 60 * 1000;  // backoff cap
  // A Retry-After longer than this is not waited for: the call fails (it is never retried
  // sooner than the server asked).
  int64_t max_retry_after_ms = 5 * 60 * 1000;
};

// Waits. The default one sleeps the thread; tests inject their own to record the waits.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void SleepMillis(int64_t ms) = 0;
  // std::this_thread::sleep_for. Never deleted.
  static Sleeper* Default();
};

// Test-only: DAVAULT_RETRY_SCALE (a number, e.g. 0.01) multiplies the jittered backoff, read
// once per process. It never shortens a server's Retry-After. 1 when unset or not a number > 0.
double RetryScaleFromEnvironment();

// Transient statuses: 408, 429, 500, 502, 503, 504.
bool IsRetryableStatus(long status);
// Transient transfer failures: connect, timeout, transfer (TLS, sink and others are not).
bool IsRetryableFailure(HttpFailure failure);

// Milliseconds from now_ms until a Retry-After allows the next request: delta-seconds
// ("120") or an HTTP date (parsed by curl_getdate), 0 for a date in the past; nullopt when the
// value is empty or neither form.
std::optional<int64_t> RetryAfterMillis(std::string_view value, int64_t now_ms);

// Thread-safe: shared by parallel downloads of one run.
class RetryPolicy {
 public:
  // env: randomness for the jitter. sleeper: nullptr = Sleeper::Default(). scale: multiplies
  // the jittered backoff (RetryScaleFromEnvironment() in production).
  RetryPolicy(Env* env, RetryOptions options, Sleeper* sleeper, double scale);

  const RetryOptions& options() const { return options_; }

  // Full jitter: uniform in [0, min(max_delay, base * 2^(retry-1))] * scale, where retry is
  // 1 for the first retry; then at least retry_after_ms when given.
  int64_t DelayMillis(int retry, std::optional<int64_t> retry_after_ms);

  // Takes one retry from the run budget; false when it is spent.
  bool TakeRetry();
  int64_t retries_used() const { return used_.load(); }

  void Sleep(int64_t ms) { sleeper_->SleepMillis(ms); }

 private:
  Env* env_;
  RetryOptions options_;
  Sleeper* sleeper_;
  double scale_;
  std::atomic<int64_t> used_{0};
};

}  // namespace davault::client
