// The LiveEngage Data Access API: per-type file listings and signed downloads of the files.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/auth.h"
#include "client/http.h"
#include "client/retry.h"
#include "davault/env.h"
#include "davault/status.h"
#include "format/data_type.h"

namespace davault::client {

// One entry of a file listing. The scope comes from the millisecond numbers in the file name
// (canonical, dataaccess-api.md §8 #12), or from @scopeStartDate/@scopeEndDate when the name
// does not carry them.
struct ListedFile {
  std::string name;  // @name; IsSafeFileName() holds
  std::string href;  // @href, exactly as returned (often on another host than the one called)
  int64_t scope_start_ms = 0;
  int64_t scope_end_ms = 0;
};

struct ClientOptions {
  std::string ca_file;  // see HttpOptions::ca_file
  int connect_timeout_s = 30;
  int low_speed_time_s = 60;
  RetryOptions retry;
  Sleeper* sleeper = nullptr;  // nullptr: Sleeper::Default(); not owned
  // Multiplies the jittered backoff (never a Retry-After); test-only, see
  // RetryScaleFromEnvironment().
  double retry_scale = RetryScaleFromEnvironment();
  // One line per retry ("retrying ... in 1.20 s: HTTP 503"); names files and URLs only.
  std::function<void(const std::string&)> log;
};

// Where a download goes. `write` gets the body in order; `reset`, when set, discards everything
// written so far (the server answered a resume with the whole file again, so the body starts
// over at byte 0). Without `reset` such a download fails instead.
struct DownloadSink {
  std::function<Status(std::string_view)> write;
  std::function<Status()> reset;
  // When set, receives the Repr-Digest header (RFC 9530) of the answer that completed the
  // body ("" when it had none), for the caller to check what it received.
  std::string* repr_digest = nullptr;
};

// The SHA-256 a Repr-Digest value ("sha-256=:BASE64:", possibly among other algorithms) gives
// for the whole file, as 32 raw bytes; nullopt when it names no well-formed sha-256.
std::optional<std::string> ReprDigestSha256(std::string_view header);

// "us" → "https://va.da.liveperson.net", "uk" → lo, "apac" → sy; kUsage otherwise.
Result<std::string> RegionBaseUrl(std::string_view region);

// https:// with any host; http:// only when the host is loopback (127.0.0.0/8, ::1, localhost).
// No user:password@, query or fragment. kUsage with a clear message otherwise.
Status ValidateBaseUrl(std::string_view url);

// List and Download may be called from several threads at once (the HTTP layer pools handles;
// the AuthProvider must be thread-safe, as its contract says).
class DataAccessClient {
 public:
  // base_url: e.g. RegionBaseUrl("us") or the fake's "http://127.0.0.1:PORT", checked with
  // ValidateBaseUrl on every call; a trailing '/' is ignored. account_id must match
  // ^[a-zA-Z0-9_]{1,20}$ (checked on every call, kUsage).
  DataAccessClient(Env* env, std::string base_url, std::string account_id,
                   std::unique_ptr<AuthProvider> auth, ClientOptions opts);
  ~DataAccessClient();

  // GET {base}/data_access_le/account/{id}/le/{apiType}?startTime={start_ms}&endTime={end_ms}.
  // Accepts `file` as an array or a single object; a non-200 answer whose body contains
  // "No Available Files" is an empty list. Fails (kFailed) on 401 with "authentication failed
  // (Unauthorized request, HTTP 401) for ...", on any other non-200, on a body that is not the
  // documented JSON, on an unsafe file name or an href that is neither https nor loopback http,
  // and on a file of another data type than asked for. Messages name the listing, never a
  // credential. kUsage when start_ms >= end_ms.
  Result<std::vector<ListedFile>> List(format::DataType type, int64_t start_ms, int64_t end_ms);

  // GET file.href, signed for the href's own host and port, streaming the body to `sink`.
  // Transient failures (connect, timeout, transfer, 408/429/500/502/503/504) are retried within
  // RetryOptions (Retry-After honoured, never retried sooner). A transfer cut after N bytes
  // resumes with "Range: bytes=N-", kept only when the answer is 206 with a Content-Range
  // starting at N; a 200 restarts the body (sink.reset). 401/403/404 are not retried.
  // Fails on a non-2xx status, a short body, a curl error or a sink error once retries are
  // spent; messages name file.name and never a credential. On failure the sink may already
  // have had part of the body: the caller discards it (nothing may be ingested from an
  // incomplete download). The same retry rules apply to List.
  Status Download(const ListedFile& file, const DownloadSink& sink);
  Status Download(const ListedFile& file, const std::function<Status(std::string_view)>& sink);

  // Retries taken so far from the run budget (RetryOptions::run_retry_budget).
  int64_t retries_used() const { return retry_.retries_used(); }

 private:
  struct Attempt {
    Status status;
    bool retryable = false;
    std::optional<int64_t> retry_after_ms;
  };
  // Runs `attempt` (given its 1-based number) until it succeeds, fails for good, or a budget
  // ends; sleeps between attempts.
  Status WithRetries(const std::string& what, const std::function<Attempt(int)>& attempt);

  // One GET with a fresh Authorization header for exactly `url`.
  Result<HttpResponse> SignedGet(HttpRequest request, const BodySink& sink, HttpFailure* failure);

  Env* env_;  // the clock for Retry-After dates, randomness for the jitter
  RetryPolicy retry_;
  std::function<void(const std::string&)> log_;
  std::string base_url_;
  std::string account_id_;
  std::unique_ptr<AuthProvider> auth_;
  HttpClient http_;
};

}  // namespace davault::client
