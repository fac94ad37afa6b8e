// A thin RAII wrapper over libcurl for the GETs the Data Access API needs, streaming the body.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "davault/status.h"

namespace davault::client {

struct HttpOptions {
  // PEM file of CA certificates (CURLOPT_CAINFO). It replaces libcurl's default bundle *file*;
  // the default CA *directory* (CURLOPT_CAPATH, /etc/ssl/certs on Debian) stays in force, so on
  // such builds the file adds a CA (e.g. a private proxy's) to the system ones. Peer and host
  // verification are always on; there is deliberately no switch to turn them off.
  std::string ca_file;
  int connect_timeout_s = 30;
  // A transfer slower than low_speed_limit_bytes per second for low_speed_time_s is a stall.
  int low_speed_time_s = 60;
  int low_speed_limit_bytes = 1;
  std::string user_agent = "davault";
};

struct HttpRequest {
  std::string url;
  // Extra header lines, "Name: value". "Accept: */*" is sent unless one of these is an Accept.
  std::vector<std::string> headers;
  // Called once, before the first body byte of a 2xx response reaches the sink, with the status
  // and the Content-Range ("" when none): a resuming caller decides there whether the body
  // continues what it has. A non-ok Status aborts the transfer like a sink error.
  std::function<Status(long status, std::string_view content_range)> on_body_start = nullptr;
};

struct HttpResponse {
  long status = 0;
  int64_t content_length = -1;  // -1 when the response had none
  int64_t body_bytes = 0;       // bytes of body received
  std::string content_type;
  std::string content_range;
  std::string repr_digest;     // raw Repr-Digest header (RFC 9530), "" when none
  std::string retry_after;     // raw header value
  int64_t retry_after_s = -1;  // libcurl's reading of Retry-After (seconds or HTTP date), or -1
  std::string error_body;      // the first 64 KiB of a non-2xx body (never given to the sink)
};

// Why a transfer failed, for a retry policy to decide whether trying again can help.
enum class HttpFailure {
  kNone,
  kConnect,   // DNS, refused, unreachable: nothing was sent
  kTimeout,   // connect timeout or stall (low-speed limit)
  kTransfer,  // connection reset, short body, protocol error mid-transfer
  kTls,       // certificate or handshake failure: retrying will not help
  kSink,      // the sink refused the data; its Status is returned
  kOther,
};

// Receives a 2xx body as it arrives; a non-ok Status aborts the transfer.
using BodySink = std::function<Status(std::string_view chunk)>;

// Safe to use from several threads at once: each Get takes an idle curl handle from a small pool
// (so keep-alive connections are reused) or makes a new one.
class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GETs request.url without following redirects. On a response (any status) returns it,
  // with a 2xx body streamed to `sink` and a non-2xx body kept in error_body. Fails with kFailed
  // when no complete response arrived: curl errors ("cannot reach URL: Couldn't connect to
  // server"), a 2xx body shorter than its Content-Length, or the sink's own Status. Messages may
  // name the URL, never a header. *failure, when given, is set to the kind of failure (kNone on
  // success).
  Result<HttpResponse> Get(const HttpRequest& request, const BodySink& sink,
                           HttpFailure* failure = nullptr);
  // The same as a POST of `body` (give its Content-Type in request.headers).
  Result<HttpResponse> Post(const HttpRequest& request, std::string_view body, const BodySink& sink,
                            HttpFailure* failure = nullptr);

 private:
  Result<HttpResponse> Perform(const HttpRequest& request, const std::string_view* post_body,
                               const BodySink& sink, HttpFailure* failure);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace davault::client
