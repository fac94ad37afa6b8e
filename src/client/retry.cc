// Retry classification, Retry-After parsing (libcurl's date parser) and jittered backoff.
#include "client/retry.h"

#include <curl/curl.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace davault::client {
namespace {

class ThreadSleeper : public Sleeper {
 public:
  void SleepMillis(int64_t ms) override {
    if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
};

}  // namespace

Sleeper* Sleeper::Default() {
  static ThreadSleeper* s = new ThreadSleeper();
  return s;
}

double RetryScaleFromEnvironment() {
  static const double scale = [] {
    const char* v = std::getenv("DAVAULT_RETRY_SCALE");
    if (v == nullptr || *v == '\0') return 1.0;
    char* end = nullptr;
    double d = std::strtod(v, &end);
    if (end == v || *end != '\0' || !(d > 0) || d > 1000) return 1.0;
    return d;
  }();
  return scale;
}

bool IsRetryableStatus(long status) {
  switch (status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

bool IsRetryableFailure(HttpFailure failure) {
  return failure == HttpFailure::kConnect || failure == HttpFailure::kTimeout ||
         failure == HttpFailure::kTransfer;
}

std::optional<int64_t> RetryAfterMillis(std::string_view value, int64_t now_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r')) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  bool digits = value.size() <= 9;
  for (char c : value) digits = digits && c >= '0' && c <= '9';
  if (digits) return std::stoll(std::string(value)) * 1000;
  const std::string s(value);
  time_t when = curl_getdate(s.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  int64_t wait = static_cast<int64_t>(when) * 1000 - now_ms;
  return wait > 0 ? wait : 0;
}

RetryPolicy::RetryPolicy(Env* env, RetryOptions options, Sleeper* sleeper, double scale)
    : env_(env),
      options_(options),
      sleeper_(sleeper != nullptr ? sleeper : Sleeper::Default()),
      scale_(scale) {}

int64_t RetryPolicy::DelayMillis(int retry, std::optional<int64_t> retry_after_ms) {
  int64_t cap = options_.base_delay_ms;
  for (int i = 1; i < retry && cap < options_.max_delay_ms; ++i) cap *= 2;
  if (cap > options_.max_delay_ms) cap = options_.max_delay_ms;
  uint64_t r = 0;
  env_->RandomBytes(&r, sizeof r);
  int64_t delay = cap > 0 ? static_cast<int64_t>(r % static_cast<uint64_t>(cap + 1)) : 0;
  delay = static_cast<int64_t>(static_cast<double>(delay) * scale_);
  if (retry_after_ms && *retry_after_ms > delay) delay = *retry_after_ms;
  return delay;
}

bool RetryPolicy::TakeRetry() {
  int64_t used = used_.load();
  while (used < options_.run_retry_budget) {
    if (used_.compare_exchange_weak(used, used + 1)) return true;
  }
  return false;
}

}  // namespace davault::client
