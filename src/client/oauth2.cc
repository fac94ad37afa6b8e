// OAuth 2.0 client-credentials tokens: request, parsing, caching and refresh before expiry.
#include "client/oauth2.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "client/oauth1.h"  // PercentEncode

namespace davault::client {
namespace {

constexpr int64_t kDefaultLifetimeS = 3600;
constexpr size_t kMaxTokenResponse = 64 * 1024;

// RFC 6750 b64token characters: what may follow "Bearer " in a header.
bool IsB64Token(std::string_view t) {
  if (t.empty() || t.size() > 16 * 1024) return false;
  for (char c : t) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
    if (!ok) return false;
  }
  return true;
}

// The OAuth "error" code of a refusal ("invalid_client"), if it is a short plain word.
std::string ErrorCode(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return {};
  auto it = j.find("error");
  if (it == j.end() || !it->is_string()) return {};
  std::string e = it->get<std::string>();
  if (e.size() > 40) return {};
  for (char c : e) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return {};
  }
  return e;
}

}  // namespace

Result<std::string> RegionTokenUrl(std::string_view region, std::string_view account) {
  std::string host;
  if (region == "us")
    host = "va";
  else if (region == "uk")
    host = "lo";
  else if (region == "apac")
    host = "sy";
  else
    return Status::Usage("unknown region: expected us, uk or apac");
  return "https://" + host + ".sentinel.liveperson.net/sentinel/api/v2/account/" +
         std::string(account) + "/app/token";
}

std::string TokenUrlOnBase(std::string_view base_url, std::string_view account) {
  std::string b(base_url);
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b + "/sentinel/api/v2/account/" + std::string(account) + "/app/token";
}

std::string TokenRequestBody(const OAuth2Credentials& creds) {
  return "grant_type=client_credentials&client_id=" + PercentEncode(creds.client_id) +
         "&client_secret=" + PercentEncode(creds.client_secret);
}

Result<Token> ParseTokenResponse(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status::Failed("token response is not a JSON object");
  auto at = j.find("access_token");
  if (at == j.end() || !at->is_string()) return Status::Failed("token response lacks access_token");
  auto tt = j.find("token_type");
  if (tt != j.end()) {
    if (!tt->is_string()) return Status::Failed("token response has a malformed token_type");
    std::string type = tt->get<std::string>();
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (type != "bearer") return Status::Failed("token response is not a Bearer token");
  }
  Token t;
  t.access_token = at->get<std::string>();
  if (!IsB64Token(t.access_token)) {
    return Status::Failed("token response holds a token a header cannot carry");
  }
  auto ei = j.find("expires_in");
  if (ei != j.end()) {
    if (ei->is_number_integer() && ei->get<int64_t>() > 0 &&
        ei->get<int64_t>() < 100LL * 86400 * 365) {
      t.expires_in_s = ei->get<int64_t>();
    } else if (!ei->is_null()) {
      return Status::Failed("token response has a malformed expires_in");
    }
  }
  return t;
}

OAuth2Provider::OAuth2Provider(Env* env, std::string token_url, OAuth2Credentials credentials,
                               HttpOptions http_options)
    : env_(env),
      token_url_(std::move(token_url)),
      credentials_(std::move(credentials)),
      http_(std::make_unique<HttpClient>(std::move(http_options))) {}

OAuth2Provider::~OAuth2Provider() = default;

int64_t OAuth2Provider::tokens_fetched() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetched_;
}

Status OAuth2Provider::Refresh() {
  const std::string what = "OAuth 2.0 token request to " + token_url_;
  HttpRequest req;
  req.url = token_url_;
  req.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
  std::string form = TokenRequestBody(credentials_);
  std::string body;
  auto sink = [&](std::string_view chunk) -> Status {
    if (body.size() + chunk.size() > kMaxTokenResponse) {
      return Status::Failed(what + ": response larger than 64 KiB");
    }
    body.append(chunk);
    return Status::Ok();
  };
  const int64_t asked_ms = env_->NowMillis();
  auto resp = http_->Post(req, form, sink);
  std::fill(form.begin(), form.end(), '\0');
  if (!resp.ok()) return resp.status().Context(what);
  if (resp->status != 200) {
    std::string m = what + ": HTTP " + std::to_string(resp->status);
    std::string code = ErrorCode(resp->error_body);
    if (!code.empty()) m += " (" + code + ")";
    if (resp->status == 400 || resp->status == 401)
      m += "; check LP_CLIENT_ID and LP_CLIENT_SECRET";
    return Status::Failed(m);
  }
  auto token = ParseTokenResponse(body);
  std::fill(body.begin(), body.end(), '\0');
  if (!token.ok()) return token.status().Context(what);
  const int64_t life_ms =
      (token->expires_in_s > 0 ? token->expires_in_s : kDefaultLifetimeS) * 1000;
  // Refresh early enough that a request signed now still arrives before the expiry.
  const int64_t margin_ms = std::min<int64_t>(60 * 1000, life_ms / 5);
  header_ = "Bearer " + token->access_token;
  std::fill(token->access_token.begin(), token->access_token.end(), '\0');
  refresh_at_ms_ = asked_ms + life_ms - margin_ms;
  ++fetched_;
  return Status::Ok();
}

Result<std::string> OAuth2Provider::AuthorizationFor(std::string_view method,
                                                     std::string_view url) {
  (void)method;
  (void)url;
  std::lock_guard<std::mutex> lock(mu_);
  if (header_.empty() || env_->NowMillis() >= refresh_at_ms_) {
    header_.clear();
    DV_RETURN_IF_ERROR(Refresh());
  }
  return header_;
}

bool OAuth2Provider::OnUnauthorized(std::string_view authorization) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!header_.empty() && header_ == authorization) header_.clear();
  return true;
}

}  // namespace davault::client
