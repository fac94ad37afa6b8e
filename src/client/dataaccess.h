// The LiveEngage Data Access API: per-type file listings and signed downloads of the files.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/auth.h"
#include "client/http.h"
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
};

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
  // Fails on a non-200 status, a short body, a curl error or a sink error; messages name
  // file.name and never a credential. On failure the sink may already have had part of the
  // body: the caller discards it (nothing may be ingested from an incomplete download).
  Status Download(const ListedFile& file, const std::function<Status(std::string_view)>& sink);

 private:
  // One GET with a fresh Authorization header for exactly `url`.
  Result<HttpResponse> SignedGet(const std::string& url, const BodySink& sink,
                                 const std::vector<std::string>& extra_headers = {});

  [[maybe_unused]] Env* env_;  // the clock for retry backoff (issue 6)
  std::string base_url_;
  std::string account_id_;
  std::unique_ptr<AuthProvider> auth_;
  HttpClient http_;
};

}  // namespace davault::client
