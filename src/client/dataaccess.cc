// Data Access listing and download: URL building, JSON shape tolerance, error mapping.
#include "client/dataaccess.h"

#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/time.h"
#include "client/url.h"
#include "crypto/crypto.h"

namespace davault::client {
namespace {

// A listing is a few hundred bytes per file; anything near this is not a listing.
constexpr size_t kMaxListingBytes = 64 * 1024 * 1024;

bool ValidAccountId(std::string_view id) {
  if (id.empty() || id.size() > 20) return false;
  for (char c : id) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// The <message> of LivePerson's XML error body, made printable and short, for diagnostics.
std::string ErrorMessage(const std::string& body) {
  size_t open = body.find("<message>");
  if (open == std::string::npos) return {};
  open += 9;
  size_t close = body.find("</message>", open);
  if (close == std::string::npos) return {};
  std::string m = body.substr(open, std::min<size_t>(close - open, 200));
  for (char& c : m) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  return m;
}

Status HttpError(const HttpResponse& r, const std::string& what) {
  if (r.status == 401) {
    return Status::Failed("authentication failed (Unauthorized request, HTTP 401) for " + what);
  }
  std::string m = what + ": HTTP " + std::to_string(r.status);
  std::string detail = ErrorMessage(r.error_body);
  if (!detail.empty()) m += " (" + detail + ")";
  if (r.status == 403) m += "; does the API key have the Data Access API Read privilege?";
  return Status::Failed(m);
}

const std::string* StringField(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

// "bytes START-END/TOTAL" (TOTAL may be '*'): START, and *total when given (-1 otherwise).
std::optional<int64_t> ContentRangeStart(std::string_view v, int64_t* total) {
  *total = -1;
  if (v.substr(0, 6) != "bytes ") return std::nullopt;
  v.remove_prefix(6);
  int64_t start = 0, end = 0;
  size_t i = 0;
  auto number = [&](int64_t* out) {
    size_t begin = i;
    *out = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9' && i - begin < 18) {
      *out = *out * 10 + (v[i] - '0');
      ++i;
    }
    return i > begin;
  };
  if (!number(&start) || i >= v.size() || v[i++] != '-' || !number(&end) || i >= v.size() ||
      v[i++] != '/' || end < start) {
    return std::nullopt;
  }
  int64_t t = 0;
  if (i < v.size() && v[i] == '*') {
    ++i;
  } else if (number(&t)) {
    if (t <= end) return std::nullopt;
    *total = t;
  } else {
    return std::nullopt;
  }
  if (i != v.size()) return std::nullopt;
  return start;
}

std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

}  // namespace

std::optional<std::string> ReprDigestSha256(std::string_view header) {
  // Dictionary members "key=:b64:" separated by commas (RFC 8941 byte sequences).
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view member = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!member.empty() && member.front() == ' ') member.remove_prefix(1);
    while (!member.empty() && member.back() == ' ') member.remove_suffix(1);
    constexpr std::string_view kKey = "sha-256=:";
    if (member.substr(0, kKey.size()) != kKey || member.size() < kKey.size() + 1 ||
        member.back() != ':') {
      continue;
    }
    std::string_view b64 = member.substr(kKey.size(), member.size() - kKey.size() - 1);
    auto raw = crypto::FromBase64(b64);
    if (raw.ok() && raw->size() == 32) return raw.value();
    return std::nullopt;
  }
  return std::nullopt;
}

Result<std::string> RegionBaseUrl(std::string_view region) {
  if (region == "us") return std::string("https://va.da.liveperson.net");
  if (region == "uk") return std::string("https://lo.da.liveperson.net");
  if (region == "apac") return std::string("https://sy.da.liveperson.net");
  return Status::Usage("unknown region: expected us, uk or apac");
}

Status ValidateBaseUrl(std::string_view url) {
  auto parsed = ParseUrl(url);
  if (!parsed.ok()) return Status::Usage("invalid base URL: " + parsed.status().message());
  const UrlParts& p = parsed.value();
  if (p.has_userinfo) return Status::Usage("base URL must not contain user:password@");
  if (!p.query.empty() || p.has_fragment) {
    return Status::Usage("base URL must not have a query or fragment");
  }
  if (p.scheme == "https") return Status::Ok();
  if (p.scheme == "http") {
    if (IsLoopbackHost(p.host)) return Status::Ok();
    return Status::Usage(
        "plain http:// is accepted only for loopback hosts (127.0.0.0/8, ::1, "
        "localhost); use https:// for " +
        p.host);
  }
  return Status::Usage("base URL must start with https:// (or http:// for a loopback host)");
}

DataAccessClient::DataAccessClient(Env* env, std::string base_url, std::string account_id,
                                   std::unique_ptr<AuthProvider> auth, ClientOptions opts)
    : env_(env),
      retry_(env, opts.retry, opts.sleeper, opts.retry_scale),
      log_(opts.log),
      base_url_(std::move(base_url)),
      account_id_(std::move(account_id)),
      auth_(std::move(auth)),
      http_([&] {
        HttpOptions h;
        h.ca_file = opts.ca_file;
        h.connect_timeout_s = opts.connect_timeout_s;
        h.low_speed_time_s = opts.low_speed_time_s;
#ifdef DAVAULT_VERSION
        h.user_agent = "davault/" DAVAULT_VERSION;
#endif
        return h;
      }()) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

DataAccessClient::~DataAccessClient() = default;

Result<HttpResponse> DataAccessClient::SignedGet(HttpRequest req, const BodySink& sink,
                                                 HttpFailure* failure) {
  *failure = HttpFailure::kOther;
  const size_t plain_headers = req.headers.size();
  // A bearer token can expire between two requests: a 401 then earns exactly one repeat with a
  // fresh token (a 401 body never reaches the sink, so nothing needs discarding).
  for (int attempt = 0;; ++attempt) {
    req.headers.resize(plain_headers);
    DV_ASSIGN_OR_RETURN(std::string authorization, auth_->AuthorizationFor("GET", req.url));
    req.headers.push_back("Authorization: " + authorization);
    auto resp = http_.Get(req, sink, failure);
    if (!resp.ok() || resp->status != 401) return resp;
    if (!auth_->OnUnauthorized(authorization) || attempt > 0) return resp;
    if (log_) log_("authorization refused for " + req.url + "; asking again with a new token");
  }
}

Status DataAccessClient::WithRetries(const std::string& what,
                                     const std::function<Attempt(int)>& attempt) {
  const RetryOptions& o = retry_.options();
  for (int n = 1;; ++n) {
    Attempt a = attempt(n);
    if (a.status.ok() || !a.retryable) return a.status;
    const std::string& m = a.status.message();
    if (n >= o.max_attempts_per_file) {
      return Status::Failed(m + " (gave up after " + std::to_string(n) + " attempts)");
    }
    if (a.retry_after_ms && *a.retry_after_ms > o.max_retry_after_ms) {
      return Status::Failed(m + " (the server asked to wait " + Seconds(*a.retry_after_ms) +
                            ", longer than the " + Seconds(o.max_retry_after_ms) +
                            " this run waits; not retried sooner)");
    }
    if (!retry_.TakeRetry()) {
      return Status::Failed(m + " (the run's budget of " + std::to_string(o.run_retry_budget) +
                            " retries is spent)");
    }
    int64_t delay = retry_.DelayMillis(n, a.retry_after_ms);
    if (log_) {
      log_("retrying " + what + " in " + Seconds(delay) + " (attempt " + std::to_string(n + 1) +
           " of " + std::to_string(o.max_attempts_per_file) + "): " + m);
    }
    retry_.Sleep(delay);
  }
}

Result<std::vector<ListedFile>> DataAccessClient::List(format::DataType type, int64_t start_ms,
                                                       int64_t end_ms) {
  DV_RETURN_IF_ERROR(ValidateBaseUrl(base_url_));
  if (!ValidAccountId(account_id_)) {
    return Status::Usage("account id must be 1 to 20 letters, digits or '_'");
  }
  if (start_ms >= end_ms) return Status::Usage("listing window is empty (start >= end)");
  const std::string api(format::ApiTypeName(type));
  const std::string url = base_url_ + "/data_access_le/account/" + account_id_ + "/le/" + api +
                          "?startTime=" + std::to_string(start_ms) +
                          "&endTime=" + std::to_string(end_ms);
  const std::string what = api + " listing " + url;

  std::string body;
  auto collect = [&](std::string_view chunk) -> Status {
    if (body.size() + chunk.size() > kMaxListingBytes) {
      return Status::Failed(what + ": response larger than 64 MiB");
    }
    body.append(chunk);
    return Status::Ok();
  };
  bool empty = false;
  Status got = WithRetries(what, [&](int) -> Attempt {
    body.clear();
    HttpFailure failure;
    HttpRequest req;
    req.url = url;
    auto resp = SignedGet(std::move(req), collect, &failure);
    if (!resp.ok()) return {resp.status().Context(what), IsRetryableFailure(failure), {}};
    if (resp->status == 200) return {};
    if (resp->error_body.find("No Available Files") != std::string::npos) {
      empty = true;
      return {};
    }
    if (IsRetryableStatus(resp->status)) {
      return {HttpError(resp.value(), what), true,
              RetryAfterMillis(resp->retry_after, env_->NowMillis())};
    }
    return {HttpError(resp.value(), what), false, {}};
  });
  if (!got.ok()) return got;
  if (empty) return std::vector<ListedFile>{};

  nlohmann::json root = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Status::Failed(what + ": response is not JSON");
  auto shape_error = [&](const char* why) {
    return Status::Failed(what + ": unexpected response shape (" + why + ")");
  };
  if (!root.is_object()) return shape_error("not an object");
  auto daf = root.find("dataAccessFiles");
  if (daf == root.end() || !daf->is_object()) return shape_error("no dataAccessFiles object");
  std::vector<const nlohmann::json*> entries;
  auto file = daf->find("file");
  if (file == daf->end() || file->is_null()) {
    // No files, but said with a 200: same meaning as "No Available Files".
  } else if (file->is_object()) {
    entries.push_back(&*file);  // one match may come as a bare object (§8 #3)
  } else if (file->is_array()) {
    for (const auto& e : *file) entries.push_back(&e);
  } else {
    return shape_error("file is neither an object nor an array");
  }

  std::vector<ListedFile> files;
  files.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const nlohmann::json& e = *entries[i];
    const std::string entry = "file entry " + std::to_string(i + 1);
    if (!e.is_object()) return shape_error("a file entry is not an object");
    const std::string* name = StringField(e, "@name");
    const std::string* href = StringField(e, "@href");
    if (name == nullptr || href == nullptr) {
      return Status::Failed(what + ": " + entry + " lacks @name or @href");
    }
    // The name is not echoed: it failed the very check that makes it safe to print.
    if (!format::IsSafeFileName(*name)) {
      return Status::Failed(what + ": " + entry + " has an unsafe file name");
    }
    if (!ValidateBaseUrl(*href).ok()) {
      return Status::Failed(what + ": the href of " + *name +
                            " is neither https:// nor http:// to a loopback host");
    }
    ListedFile f;
    f.name = *name;
    f.href = *href;
    // Agent Activity names have been seen without ".gz" (§3.1); the parser accepts both.
    auto parsed = format::ParseDataAccessFileName(*name);
    if (parsed) {
      if (parsed->type != type) {
        return Status::Failed(what + ": lists " + *name + ", a file of another data type");
      }
      f.scope_start_ms = parsed->scope_start_ms;
      f.scope_end_ms = parsed->scope_end_ms;
    } else {
      const std::string* s = StringField(e, "@scopeStartDate");
      const std::string* t = StringField(e, "@scopeEndDate");
      auto start = s ? ParseTime(*s) : Result<int64_t>(Status::Failed(""));
      auto end = t ? ParseTime(*t) : Result<int64_t>(Status::Failed(""));
      if (!start.ok() || !end.ok()) {
        return Status::Failed(what + ": cannot tell the scope of " + *name +
                              " (neither its name nor its scope dates give it)");
      }
      f.scope_start_ms = start.value();
      f.scope_end_ms = end.value();
    }
    files.push_back(std::move(f));
  }
  return files;
}

Status DataAccessClient::Download(const ListedFile& file,
                                  const std::function<Status(std::string_view)>& sink) {
  return Download(file, DownloadSink{sink, nullptr, nullptr});
}

Status DataAccessClient::Download(const ListedFile& file, const DownloadSink& sink) {
  const std::string shown = format::IsSafeFileName(file.name) ? file.name : "a file";
  const std::string what = "download of " + shown;
  if (Status s = ValidateBaseUrl(file.href); !s.ok()) return s.Context(what);
  int64_t have = 0;  // body bytes the sink holds
  auto restart = [&]() -> Status {
    if (have == 0) return Status::Ok();
    if (!sink.reset) {
      return Status::Failed(what +
                            ": the server sent the whole file again and the body "
                            "received so far cannot be discarded");
    }
    DV_RETURN_IF_ERROR(sink.reset());
    have = 0;
    return Status::Ok();
  };
  return WithRetries(what, [&](int) -> Attempt {
    const int64_t offset = have;
    int64_t total = -1;
    bool bad_range = false;
    HttpRequest req;
    req.url = file.href;
    if (offset > 0) req.headers.push_back("Range: bytes=" + std::to_string(offset) + "-");
    req.on_body_start = [&](long status, std::string_view content_range) -> Status {
      if (status == 206) {
        auto start = ContentRangeStart(content_range, &total);
        if (start && *start == offset) return Status::Ok();
        bad_range = true;
        return Status::Failed(what + ": the server resumed at another byte than " +
                              std::to_string(offset) + " (Content-Range)");
      }
      if (status != 200) {
        return Status::Failed(what + ": unexpected HTTP " + std::to_string(status));
      }
      return restart();  // a 200 is the whole file: never appended to a partial body
    };
    auto counted = [&](std::string_view chunk) -> Status {
      DV_RETURN_IF_ERROR(sink.write(chunk));
      have += static_cast<int64_t>(chunk.size());
      return Status::Ok();
    };
    HttpFailure failure;
    auto resp = SignedGet(std::move(req), counted, &failure);
    if (!resp.ok()) {
      Status st = resp.status().Context(what);
      if (bad_range) {
        Status r = restart();
        if (!r.ok()) return {r, false, {}};
        return {st, true, {}};
      }
      return {st, IsRetryableFailure(failure), {}};
    }
    const long code = resp->status;
    if (code == 200 || code == 206) {
      if (sink.repr_digest != nullptr) *sink.repr_digest = resp->repr_digest;
      if (code == 200 && resp->body_bytes == 0 && offset > 0) {
        Status r = restart();  // an empty whole file: on_body_start never ran
        if (!r.ok()) return {r, false, {}};
      }
      if (total >= 0 && have != total) {
        return {Status::Failed(what + ": short body: have " + std::to_string(have) + " of " +
                               std::to_string(total) + " bytes"),
                true,
                {}};
      }
      return {};
    }
    if (code == 416 && offset > 0) {
      // The file is no longer as long as what we hold: start over.
      Status r = restart();
      if (!r.ok()) return {r, false, {}};
      return {HttpError(resp.value(), what), true, {}};
    }
    if (IsRetryableStatus(code)) {
      return {HttpError(resp.value(), what), true,
              RetryAfterMillis(resp->retry_after, env_->NowMillis())};
    }
    return {HttpError(resp.value(), code == 401 ? shown : what), false, {}};
  });
}

}  // namespace davault::client
