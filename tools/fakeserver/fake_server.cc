// Routing, OAuth checks, listings, downloads, faults and the request log of the fake server.
#include "fakeserver/fake_server.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <thread>
#include <tuple>

#include "base/time.h"
#include "crypto/crypto.h"
#include "fakeserver/schema.h"

namespace davault::fakeserver {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kNotSupported =
    "This request is not supported, verify request headers and method";

struct CatalogueEntry {
  std::string name;
  std::string path;
  format::DataAccessFileName parsed;
};

// Files directly in `dir` or in its immediate subdirectories, sorted by type, scope and name;
// the first of several files with one name wins. Rescanned per request so that files added
// while the server runs ("late files") show up in the next listing.
std::vector<CatalogueEntry> Scan(Env* env, const std::string& dir) {
  std::vector<CatalogueEntry> out;
  std::set<std::string> seen;
  auto consider = [&](const std::string& path, const std::string& name) {
    auto parsed = format::ParseDataAccessFileName(name);
    if (!parsed || !format::IsSafeFileName(name) || !seen.insert(name).second) return;
    out.push_back(CatalogueEntry{name, path, *parsed});
  };
  auto names = env->ListDir(dir);
  if (!names.ok()) return out;
  std::sort(names->begin(), names->end());
  std::vector<std::string> subdirs;
  for (const std::string& name : names.value()) {
    std::string path = JoinPath(dir, name);
    auto info = env->Stat(path);
    if (!info.ok()) continue;
    if (info->is_dir) {
      subdirs.push_back(path);
    } else {
      consider(path, name);
    }
  }
  for (const std::string& sub : subdirs) {
    auto inner = env->ListDir(sub);
    if (!inner.ok()) continue;
    std::sort(inner->begin(), inner->end());
    for (const std::string& name : inner.value()) {
      std::string path = JoinPath(sub, name);
      auto info = env->Stat(path);
      if (info.ok() && !info->is_dir) consider(path, name);
    }
  }
  std::sort(out.begin(), out.end(), [](const CatalogueEntry& a, const CatalogueEntry& b) {
    return std::tie(a.parsed.type, a.parsed.scope_start_ms, a.name) <
           std::tie(b.parsed.type, b.parsed.scope_start_ms, b.name);
  });
  return out;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EasternTime(int64_t ms) { return FormatTimeWithOffset(ms, UsEasternOffsetMinutes(ms)); }

// LivePerson answers errors in XML even where success is JSON (§1.6).
void XmlError(httplib::Response& res, int status, std::string_view message, int code,
              int64_t now_ms) {
  res.status = status;
  res.set_content("<error>\n    <time>" + EasternTime(now_ms) + "</time>\n    <message>" +
                      XmlEscape(message) + "</message>\n    <internalCode>" + std::to_string(code) +
                      "</internalCode>\n</error>\n",
                  "application/xml");
}

std::optional<int64_t> Millis(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  std::string v = req.get_param_value(name);
  if (v.empty() || v.size() > 16) return std::nullopt;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoll(v);
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// What one request did, for its request-log line. Requests that reach Handle() are logged there,
// before the response is written, so a client that has its answer can read the line at once
// (tests depend on it). The few that httplib answers by itself (malformed requests) are logged
// from its logger callback, which runs on the same worker thread right after; `logged` tells
// the callback which case it is.
struct Note {
  std::string auth = "none";
  std::string auth_error;
  int fault = -1;
  int64_t planned_bytes = -1;  // body bytes a file download will send (after range and faults)
  bool logged = false;
  std::string sha256;     // downloads: hex SHA-256 of the whole file served
  int64_t start_us = -1;  // MonotonicMicros() when the handler started
  int concurrent = 0;     // requests in the handler at that moment, this one included
};

// Microseconds on the monotonic clock, for ordering and overlap in the request log at a finer
// grain than the wall-clock milliseconds (parallel retries land within the same millisecond).
// A test tool's own measurement, not product time, hence not through Env.
int64_t MonotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
thread_local Note t_note;

}  // namespace

struct FakeServer::Impl {
  Impl(Env* e, FakeServerConfig c)
      : env(e), config(std::move(c)), nonces(config.max_skew_s), faults(config.faults) {}

  Env* env;
  FakeServerConfig config;
  client::NonceCache nonces;
  FaultPlan faults;
  httplib::Server server;
  int port = 0;
  std::mutex log_mu;
  std::unique_ptr<WritableFile> log;
  std::atomic<int> active{0};  // requests inside Handle()
  struct IssuedToken {
    int64_t expires_ms;
    int64_t uses = 0;
  };
  std::mutex tokens_mu;
  std::map<std::string, IssuedToken> tokens;  // kOAuth2: tokens handed out
  std::unique_ptr<WritableFile> token_log;

  // kOAuth2: POST .../app/token with the client credentials in the form body.
  void TokenEndpoint(const httplib::Request& req, httplib::Response& res,
                     const std::string& account, int64_t now_ms);
  // kOAuth2: checks "Bearer <token>"; the reason when refused.
  Status CheckBearer(const std::string& authorization, int64_t now_ms);

  std::string HrefBase() const {
    return "http://" + config.href_host + ":" + std::to_string(port) + "/data_access_le/account/" +
           config.account + "/le";
  }
  bool Enabled(format::DataType t) const { return config.disabled_types.count(t) == 0; }

  void Handle(const httplib::Request& req, httplib::Response& res);
  void Route(const httplib::Request& req, httplib::Response& res);
  Status CheckOAuth1(const httplib::Request& req, int64_t now_ms);
  void RouteAuthorized(const httplib::Request& req, httplib::Response& res, int64_t now_ms);
  void BaseResource(httplib::Response& res);
  void Listing(const httplib::Request& req, httplib::Response& res, format::DataType type,
               int64_t now_ms);
  void Schema(const httplib::Request& req, httplib::Response& res, int64_t now_ms);
  void File(const httplib::Request& req, httplib::Response& res, format::DataType type,
            const std::string& name, const std::optional<FaultPlan::Applied>& fault,
            int64_t now_ms);
  void Log(const httplib::Request& req, const httplib::Response& res);
  void WriteLogLine(const httplib::Request& req, const Note& note, int status, int64_t bytes);
};

void FakeServer::Impl::Handle(const httplib::Request& req, httplib::Response& res) {
  t_note = Note{};
  t_note.start_us = MonotonicMicros();
  t_note.concurrent = ++active;
  Route(req, res);
  --active;
  WriteLogLine(
      req, t_note, res.status,
      t_note.planned_bytes >= 0 ? t_note.planned_bytes : static_cast<int64_t>(res.body.size()));
  t_note.logged = true;
}

void FakeServer::Impl::Route(const httplib::Request& req, httplib::Response& res) {
  const int64_t now_ms = env->NowMillis();

  static const std::regex kTokenRoute(R"(^/sentinel/api(?:/v2)?/account/([^/]+)/app/token$)");
  std::smatch tm;
  if (config.auth == AuthMode::kOAuth2 && req.path.size() < 256 &&
      std::regex_match(req.path, tm, kTokenRoute)) {
    return TokenEndpoint(req, res, tm[1].str(), now_ms);
  }
  if (config.auth == AuthMode::kOAuth2) {
    Status bearer = CheckBearer(req.get_header_value("Authorization"), now_ms);
    if (!bearer.ok()) {
      t_note.auth = "rejected";
      t_note.auth_error = bearer.message();
      return XmlError(res, 401, "Unauthorized request", 10, now_ms);
    }
  } else if (Status auth = CheckOAuth1(req, now_ms); !auth.ok()) {
    t_note.auth = "rejected";
    t_note.auth_error = auth.message();
    return XmlError(res, 401, "Unauthorized request", 10, now_ms);
  }
  t_note.auth = "ok";
  RouteAuthorized(req, res, now_ms);
}

Status FakeServer::Impl::CheckOAuth1(const httplib::Request& req, int64_t now_ms) {
  // Verify against what this server saw: the Host header the client sent and the raw target.
  // cpp-httplib 0.11 hands us header values already percent-decoded, hence kAlreadyDecoded.
  std::string host = req.get_header_value("Host");
  if (host.empty()) host = "127.0.0.1:" + std::to_string(port);
  Status auth = client::VerifyOAuth1(config.credentials, req.method, "http://" + host + req.target,
                                     req.get_header_value("Authorization"), now_ms / 1000, &nonces,
                                     client::HeaderValues::kAlreadyDecoded);
  return auth;
}

void FakeServer::Impl::TokenEndpoint(const httplib::Request& req, httplib::Response& res,
                                     const std::string& account, int64_t now_ms) {
  auto oauth_error = [&](int status, const char* code) {
    t_note.auth = "rejected";
    t_note.auth_error = code;
    res.status = status;
    res.set_content(Json{{"error", code}}.dump(), "application/json");
  };
  if (req.method != "POST") return oauth_error(400, "invalid_request");
  httplib::Params form;
  httplib::detail::parse_query_text(req.body, form);
  auto value = [&](const char* name) {
    auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
  };
  if (value("grant_type") != "client_credentials") {
    return oauth_error(400, "unsupported_grant_type");
  }
  if (account != config.account || value("client_id") != config.oauth2.client_id ||
      value("client_secret") != config.oauth2.client_secret) {
    return oauth_error(401, "invalid_client");
  }
  std::string rnd(24, '\0');
  env->RandomBytes(rnd.data(), rnd.size());
  const std::string token = "fk2." + crypto::ToHex(rnd);
  {
    std::lock_guard<std::mutex> lock(tokens_mu);
    tokens[token] = IssuedToken{now_ms + config.token_lifetime_s * 1000};
    if (token_log) (void)token_log->Append(token + "\n");
  }
  t_note.auth = "token_issued";
  res.status = 200;
  res.set_content(Json{{"access_token", token},
                       {"token_type", "Bearer"},
                       {"expires_in", config.token_lifetime_s}}
                      .dump(),
                  "application/json");
}

Status FakeServer::Impl::CheckBearer(const std::string& authorization, int64_t now_ms) {
  if (authorization.rfind("Bearer ", 0) != 0) return Status::Failed("not a bearer token");
  const std::string token = authorization.substr(7);
  std::lock_guard<std::mutex> lock(tokens_mu);
  auto it = tokens.find(token);
  if (it == tokens.end()) return Status::Failed("unknown token");
  if (now_ms >= it->second.expires_ms) return Status::Failed("token expired");
  if (config.token_max_uses > 0 && it->second.uses >= config.token_max_uses) {
    return Status::Failed("token expired (used up)");
  }
  ++it->second.uses;
  return Status::Ok();
}

void FakeServer::Impl::RouteAuthorized(const httplib::Request& req, httplib::Response& res,
                                       int64_t now_ms) {
  std::optional<FaultPlan::Applied> fault = faults.Next(req.method, req.path);
  if (fault) {
    t_note.fault = static_cast<int>(fault->index);
    if (fault->rule.delay_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(fault->rule.delay_ms));
    }
    if (!fault->rule.retry_after.empty()) res.set_header("Retry-After", fault->rule.retry_after);
    if (fault->rule.status != 0) {
      return XmlError(res, fault->rule.status, fault->rule.message, fault->rule.internal_code,
                      now_ms);
    }
    if (fault->rule.ignore_range) {
      // httplib parsed Range into the request before routing and applies it when writing the
      // response; the Request object itself is not const, only the handler's view of it.
      const_cast<httplib::Request&>(req).ranges.clear();
    }
  }

  if (req.method != "GET" && req.method != "HEAD") {
    return XmlError(res, 400, kNotSupported, 5, now_ms);
  }
  // Issue #129: "Accept: application/gzip" on a download gave internalCode 5.
  if (Lower(req.get_header_value("Accept")).find("application/gzip") != std::string::npos) {
    return XmlError(res, 400, kNotSupported, 5, now_ms);
  }

  static const std::regex kRoute(
      R"(^/data_access_le/account/([^/]+)/le(?:/([^/]+)(?:/([^/]+))?)?/?$)");
  std::smatch m;
  // Real paths are short; the length cap keeps std::regex's recursive matcher out of trouble.
  if (req.path.size() > 1024 || !std::regex_match(req.path, m, kRoute)) {
    return XmlError(res, 404, "Resource not found", 12, now_ms);
  }
  // A key belongs to one site (§2.1): another account id is an authorisation failure.
  if (m[1].str() != config.account) return XmlError(res, 401, "Unauthorized request", 10, now_ms);
  if (!m[2].matched) return BaseResource(res);
  const std::string segment = m[2].str();
  if (segment == "schema" && !m[3].matched) return Schema(req, res, now_ms);
  auto type = format::ParseDataType(segment);
  if (!type || format::ApiTypeName(*type) != segment) {
    return XmlError(res, 404, "Resource not found", 12, now_ms);
  }
  // Not documented; our choice for a data type the account team has not switched on.
  if (!Enabled(*type)) {
    return XmlError(res, 404, "Data type is not enabled for this account", 12, now_ms);
  }
  if (!m[3].matched) return Listing(req, res, *type, now_ms);
  return File(req, res, *type, m[3].str(), fault, now_ms);
}

void FakeServer::Impl::BaseResource(httplib::Response& res) {
  const std::string base = HrefBase();
  Json links = Json::array();
  links.push_back({{"@href", base}, {"@rel", "self"}});
  for (format::DataType t : format::kAllDataTypes) {
    if (!Enabled(t)) continue;  // presumably how a disabled type looks (§1.2)
    std::string api(format::ApiTypeName(t));
    links.push_back({{"@href", base + "/" + api}, {"@rel", api}});
  }
  links.push_back({{"@href", base + "/schema"}, {"@rel", "schema"}});
  Json body;
  body["le"]["@accountId"] = config.account;
  body["le"]["link"] = std::move(links);
  res.status = 200;
  res.set_content(body.dump(), "application/json");
}

void FakeServer::Impl::Listing(const httplib::Request& req, httplib::Response& res,
                               format::DataType type, int64_t now_ms) {
  std::optional<int64_t> start = Millis(req, "startTime");
  std::optional<int64_t> end = Millis(req, "endTime");
  if (!start || !end) {
    return XmlError(res, 400, "Missing or invalid startTime/endTime (epoch milliseconds)", 5,
                    now_ms);
  }
  if (*start > *end) return XmlError(res, 400, "startTime is after endTime", 5, now_ms);
  if (config.max_window_ms > 0 && *end - *start > config.max_window_ms) {
    return XmlError(res, 400, "Requested time window is too wide", 5, now_ms);
  }
  const std::string api(format::ApiTypeName(type));
  Json files = Json::array();
  for (const CatalogueEntry& e : Scan(env, config.dir)) {
    // Files whose scope starts in [startTime, endTime) (§8 #1).
    if (e.parsed.type != type || e.parsed.scope_start_ms < *start ||
        e.parsed.scope_start_ms >= *end) {
      continue;
    }
    files.push_back({{"@name", e.name},
                     {"@scopeStartDate", EasternTime(e.parsed.scope_start_ms)},
                     {"@scopeEndDate", EasternTime(e.parsed.scope_end_ms)},
                     {"@href", HrefBase() + "/" + api + "/" + e.name}});
  }
  if (files.empty()) return XmlError(res, 404, "No Available Files", 12, now_ms);
  Json body;
  body["dataAccessFiles"]["@id"] = config.account;
  body["dataAccessFiles"]["link"] = {{"@href", HrefBase() + "/" + api}, {"@rel", "self"}};
  if (config.shape == FileShape::kSingleObject && files.size() == 1) {
    body["dataAccessFiles"]["file"] = files[0];
  } else {
    body["dataAccessFiles"]["file"] = std::move(files);
  }
  res.status = 200;
  res.set_content(body.dump(), "application/json");
}

void FakeServer::Impl::Schema(const httplib::Request& req, httplib::Response& res, int64_t now_ms) {
  if (!req.has_param("schemaId")) {
    return XmlError(res, 400, "Missing required parameter schemaId", 5, now_ms);
  }
  std::optional<std::string> schema = SchemaJson(req.get_param_value("schemaId"));
  if (!schema) return XmlError(res, 404, "Schema not found", 12, now_ms);
  res.status = 200;
  res.set_content(*schema, "application/json");
}

void FakeServer::Impl::File(const httplib::Request& req, httplib::Response& res,
                            format::DataType type, const std::string& name,
                            const std::optional<FaultPlan::Applied>& fault, int64_t now_ms) {
  std::optional<CatalogueEntry> found;
  for (CatalogueEntry& e : Scan(env, config.dir)) {
    if (e.name == name && e.parsed.type == type) found = std::move(e);
  }
  if (!found) return XmlError(res, 404, "File not found", 12, now_ms);
  auto opened = env->OpenRandomAccess(found->path);
  if (!opened.ok()) return XmlError(res, 500, "Internal server error", 0, now_ms);
  std::shared_ptr<RandomAccessFile> file = std::move(opened).value();
  const int64_t size = static_cast<int64_t>(file->Size());
  // The digest of the whole file (RFC 9530 Repr-Digest: the representation, whatever range is
  // sent), so a client can check what it assembled from resumed pieces.
  {
    crypto::Sha256Stream sha;
    for (int64_t at = 0; at < size;) {
      std::string buf;
      size_t n = static_cast<size_t>(std::min<int64_t>(size - at, 1 << 20));
      if (!file->ReadAt(static_cast<uint64_t>(at), n, &buf).ok() || buf.empty()) {
        return XmlError(res, 500, "Internal server error", 0, now_ms);
      }
      sha.Update(buf);
      at += static_cast<int64_t>(buf.size());
    }
    auto digest = sha.Final();
    t_note.sha256 = crypto::ToHex(digest);
    if (fault && fault->rule.wrong_digest) digest[0] ^= 0xff;
    res.set_header("Repr-Digest", "sha-256=:" + crypto::ToBase64(crypto::AsView(digest)) + ":");
  }

  // httplib applies req.ranges when it writes the response; decide here what that will be so
  // the status and the log are right. Several ranges are answered with the whole file (allowed).
  auto& ranges = const_cast<httplib::Request&>(req).ranges;
  if (ranges.size() > 1) ranges.clear();
  int64_t length = size;
  if (ranges.size() == 1) {
    int64_t first = ranges[0].first, last = ranges[0].second;
    if (first < 0) {  // "bytes=-N": the last N bytes
      first = std::max<int64_t>(0, size - last);
      last = size - 1;
    } else if (last < 0 || last >= size) {
      last = size - 1;
    }
    if (first >= size || first > last) {
      ranges.clear();
      res.set_header("Content-Range", "bytes */" + std::to_string(size));
      return XmlError(res, 416, "Requested range not satisfiable", 5, now_ms);
    }
    length = last - first + 1;
    res.status = 206;
  } else {
    res.status = 200;
  }
  const int64_t limit = fault ? fault->rule.truncate_after_bytes : -1;
  t_note.planned_bytes = limit >= 0 ? std::min(length, limit) : length;
  auto sent = std::make_shared<int64_t>(0);  // one provider runs on one thread
  res.set_content_provider(
      static_cast<size_t>(size), "application/octet-stream",
      [file, limit, sent](size_t offset, size_t want, httplib::DataSink& sink) {
        size_t n = std::min<size_t>(want, 64 * 1024);
        if (limit >= 0) {
          if (*sent >= limit) return false;  // drop the connection: a short body
          n = std::min<size_t>(n, static_cast<size_t>(limit - *sent));
        }
        std::string buf;
        if (!file->ReadAt(offset, n, &buf).ok()) return false;
        if (!sink.write(buf.data(), buf.size())) return false;
        *sent += static_cast<int64_t>(n);
        return true;
      });
}

void FakeServer::Impl::Log(const httplib::Request& req, const httplib::Response& res) {
  Note note = std::move(t_note);
  t_note = Note{};
  if (!note.logged) WriteLogLine(req, note, res.status, static_cast<int64_t>(res.body.size()));
}

void FakeServer::Impl::WriteLogLine(const httplib::Request& req, const Note& note, int status,
                                    int64_t bytes) {
  if (!log) return;
  const int64_t now_ms = env->NowMillis();
  size_t q = req.target.find('?');
  Json line;
  line["time"] = FormatTime(now_ms);
  line["time_ms"] = now_ms;
  line["method"] = req.method;
  line["path"] = req.path;
  line["query"] = q == std::string::npos ? std::string() : req.target.substr(q + 1);
  line["status"] = status;
  line["bytes"] = bytes;
  line["range"] = req.has_header("Range") ? Json(req.get_header_value("Range")) : Json(nullptr);
  line["accept"] = req.get_header_value("Accept");
  line["auth"] = note.auth;
  if (!note.auth_error.empty()) line["auth_error"] = note.auth_error;
  line["fault"] = note.fault >= 0 ? Json(note.fault) : Json(nullptr);
  if (!note.sha256.empty()) line["sha256"] = note.sha256;
  if (note.start_us >= 0) {
    line["start_us"] = note.start_us;
    line["end_us"] = MonotonicMicros();
    line["concurrent"] = note.concurrent;
  }
  // Never the Authorization header. Hostile bytes in the path must not break the log.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(log_mu);
  (void)log->Append(text);
}

FakeServer::FakeServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FakeServer::~FakeServer() = default;

Result<std::unique_ptr<FakeServer>> FakeServer::Create(Env* env, FakeServerConfig config) {
  DV_RETURN_IF_ERROR(env->ListDir(config.dir).status());
  auto impl = std::make_unique<Impl>(env, std::move(config));
  if (!impl->config.request_log.empty()) {
    DV_ASSIGN_OR_RETURN(impl->log,
                        env->NewWritable(impl->config.request_log, CreateMode::kTruncate, 0644));
  }
  if (!impl->config.token_file.empty()) {
    DV_ASSIGN_OR_RETURN(impl->token_log,
                        env->NewWritable(impl->config.token_file, CreateMode::kTruncate, 0600));
  }
  Impl* raw = impl.get();
  auto handler = [raw](const httplib::Request& req, httplib::Response& res) {
    raw->Handle(req, res);
  };
  httplib::Server& s = impl->server;
  s.Get(".*", handler);
  s.Post(".*", handler);
  s.Put(".*", handler);
  s.Patch(".*", handler);
  s.Delete(".*", handler);
  s.Options(".*", handler);
  s.set_payload_max_length(1 << 20);
  // Idle keep-alive connections hold a worker until this expires, and shutdown waits for them.
  s.set_keep_alive_timeout(1);
  s.set_logger(
      [raw](const httplib::Request& req, const httplib::Response& res) { raw->Log(req, res); });
  return std::unique_ptr<FakeServer>(new FakeServer(std::move(impl)));
}

Result<int> FakeServer::Bind(int port) {
  if (port == 0) {
    int p = impl_->server.bind_to_any_port("127.0.0.1");
    if (p <= 0) return Status::Failed("cannot bind 127.0.0.1 to a free port");
    impl_->port = p;
  } else {
    if (!impl_->server.bind_to_port("127.0.0.1", port)) {
      return Status::Failed("cannot bind 127.0.0.1:" + std::to_string(port));
    }
    impl_->port = port;
  }
  return impl_->port;
}

Status FakeServer::Run() {
  if (!impl_->server.listen_after_bind()) return Status::Failed("the server stopped with an error");
  return Status::Ok();
}

void FakeServer::Stop() { impl_->server.stop(); }

bool FakeServer::IsRunning() const { return impl_->server.is_running(); }

}  // namespace davault::fakeserver
