// Data Access listing and download: URL building, JSON shape tolerance, error mapping.
#include "client/dataaccess.h"

#include <nlohmann/json.hpp>

#include "base/time.h"
#include "client/url.h"

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

}  // namespace

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

Result<HttpResponse> DataAccessClient::SignedGet(const std::string& url, const BodySink& sink,
                                                 const std::vector<std::string>& extra_headers) {
  DV_ASSIGN_OR_RETURN(std::string authorization, auth_->AuthorizationFor("GET", url));
  HttpRequest req;
  req.url = url;
  req.headers = extra_headers;
  req.headers.push_back("Authorization: " + authorization);
  auto resp = http_.Get(req, sink);
  if (resp.ok() && resp->status == 401) auth_->OnUnauthorized();
  return resp;
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
  auto resp = SignedGet(url, collect);
  if (!resp.ok()) return resp.status().Context(what);
  if (resp->status != 200) {
    if (resp->error_body.find("No Available Files") != std::string::npos) {
      return std::vector<ListedFile>{};
    }
    return HttpError(resp.value(), what);
  }

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
  const std::string shown = format::IsSafeFileName(file.name) ? file.name : "a file";
  const std::string what = "download of " + shown;
  if (Status s = ValidateBaseUrl(file.href); !s.ok()) return s.Context(what);
  auto resp = SignedGet(file.href, sink);
  if (!resp.ok()) return resp.status().Context(what);
  if (resp->status != 200) {
    return HttpError(resp.value(), resp->status == 401 ? shown : what);
  }
  return Status::Ok();
}

}  // namespace davault::client
