// OAuth 1.0a signing and verification: libcurl for escaping and URL parts, libcrypto for HMAC-SHA1.
#include "client/oauth1.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <climits>
#include <memory>

#include "client/url.h"

namespace davault::client {
namespace {

constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr size_t kMaxHeaderParams = 64;

struct CurlStringDeleter {
  void operator()(char* p) const { curl_free(p); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

// curl_easy_unescape without '%XX' validation; the caller validates where it must be strict.
// Inputs here are bounded (a header is at most 16 KiB, libcurl refuses URLs over 8 MB), so they
// always fit curl's int-sized interface.
std::string Unescape(std::string_view s) {
  if (s.empty() || s.size() > INT_MAX) return {};
  int out_len = 0;
  CurlString raw(curl_easy_unescape(nullptr, s.data(), static_cast<int>(s.size()), &out_len));
  if (!raw) return {};
  return std::string(raw.get(), static_cast<size_t>(out_len));
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Every '%' starts a %XX escape.
bool ValidEscapes(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2])) return false;
    i += 2;
  }
  return true;
}

// RFC 5849 §3.5.1: values are percent-encoded (§3.6), so only unreserved characters and %XX.
// This also keeps a re-encoded value no longer than the text it was parsed from.
bool PercentEncoded(std::string_view s) {
  for (char c : s) {
    if (c != '%' && !IsUnreserved(c)) return false;
  }
  return ValidEscapes(s);
}

// RFC 7230 token characters, which is what an auth-param name may contain.
bool IsTokenChar(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

const std::string* Find(const OAuthParams& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return &v;
  }
  return nullptr;
}

Status Unauthorized(std::string reason) { return Status::Failed(std::move(reason)); }

}  // namespace

std::string PercentEncode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  // Percent-encoding is byte by byte, so large inputs can go to curl's int-sized API in pieces.
  while (!s.empty()) {
    size_t n = std::min<size_t>(s.size(), 1 << 20);
    CurlString raw(curl_easy_escape(nullptr, s.data(), static_cast<int>(n)));
    if (!raw) return out;  // only on allocation failure
    out += raw.get();
    s.remove_prefix(n);
  }
  return out;
}

Result<std::string> BaseStringUri(std::string_view url) {
  DV_ASSIGN_OR_RETURN(UrlParts parts, ParseUrl(url));
  std::string host = parts.host;
  for (char& c : host) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string out = parts.scheme + "://" + host;
  if (!parts.port.empty()) out += ":" + parts.port;
  out += parts.path;
  return out;
}

Result<OAuthParams> QueryParams(std::string_view url) {
  DV_ASSIGN_OR_RETURN(UrlParts parts, ParseUrl(url));
  OAuthParams params;
  std::string_view q = parts.query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    std::replace(name.begin(), name.end(), '+', ' ');
    std::replace(value.begin(), value.end(), '+', ' ');
    params.emplace_back(Unescape(name), Unescape(value));
  }
  return params;
}

Result<std::string> SignatureBaseString(std::string_view method, std::string_view url,
                                        const OAuthParams& extra_params) {
  DV_ASSIGN_OR_RETURN(std::string uri, BaseStringUri(url));
  DV_ASSIGN_OR_RETURN(OAuthParams params, QueryParams(url));
  params.insert(params.end(), extra_params.begin(), extra_params.end());
  std::vector<OAuthParam> encoded;
  encoded.reserve(params.size());
  for (const auto& [k, v] : params) encoded.emplace_back(PercentEncode(k), PercentEncode(v));
  std::sort(encoded.begin(), encoded.end());
  std::string normalized;
  for (const auto& [k, v] : encoded) {
    if (!normalized.empty()) normalized += '&';
    normalized += k;
    normalized += '=';
    normalized += v;
  }
  std::string m(method);
  for (char& c : m) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return m + "&" + PercentEncode(uri) + "&" + PercentEncode(normalized);
}

std::string Sign(std::string_view base_string, std::string_view consumer_secret,
                 std::string_view token_secret) {
  std::string key = PercentEncode(consumer_secret) + "&" + PercentEncode(token_secret);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(base_string.data()), base_string.size(), mac,
       &mac_len);
  OPENSSL_cleanse(key.data(), key.size());
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int n = EVP_EncodeBlock(b64, mac, static_cast<int>(mac_len));
  return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

Result<std::string> AuthorizationHeader(const OAuth1Credentials& creds, std::string_view method,
                                        std::string_view url, std::string_view nonce,
                                        int64_t timestamp_s) {
  OAuthParams oauth = {
      {"oauth_consumer_key", creds.consumer_key},
      {"oauth_nonce", std::string(nonce)},
      {"oauth_signature_method", "HMAC-SHA1"},
      {"oauth_timestamp", std::to_string(timestamp_s)},
      {"oauth_token", creds.token},
      {"oauth_version", "1.0"},
  };
  DV_ASSIGN_OR_RETURN(std::string base, SignatureBaseString(method, url, oauth));
  oauth.emplace_back("oauth_signature", Sign(base, creds.consumer_secret, creds.token_secret));
  std::sort(oauth.begin(), oauth.end());
  std::string header = "OAuth ";
  for (size_t i = 0; i < oauth.size(); ++i) {
    if (i > 0) header += ", ";
    header += oauth[i].first + "=\"" + PercentEncode(oauth[i].second) + "\"";
  }
  return header;
}

Result<OAuthParams> ParseAuthorizationHeader(std::string_view h, HeaderValues values) {
  const bool encoded = values == HeaderValues::kPercentEncoded;
  auto bad = [](const char* why) {
    return Status::Failed(std::string("malformed Authorization header: ") + why);
  };
  if (h.size() > kMaxHeaderBytes) return bad("longer than 16 KiB");
  for (char c : h) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return bad("control character or line break");
  }
  size_t i = 0;
  while (i < h.size() && IsSpace(h[i])) ++i;
  size_t scheme_start = i;
  while (i < h.size() && IsTokenChar(h[i])) ++i;
  if (!EqualsIgnoreCase(h.substr(scheme_start, i - scheme_start), "OAuth")) {
    return bad("not an OAuth authorization");
  }
  if (i < h.size() && !IsSpace(h[i])) return bad("unexpected character after the scheme");

  OAuthParams params;
  while (true) {
    while (i < h.size() && (IsSpace(h[i]) || h[i] == ',')) ++i;  // empty list elements allowed
    if (i >= h.size()) break;
    size_t name_start = i;
    while (i < h.size() && IsTokenChar(h[i])) ++i;
    if (i == name_start) return bad("expected a parameter name");
    std::string_view name = h.substr(name_start, i - name_start);
    while (i < h.size() && IsSpace(h[i])) ++i;
    if (i >= h.size() || h[i] != '=') return bad("expected '=' after a parameter name");
    ++i;
    while (i < h.size() && IsSpace(h[i])) ++i;
    if (i >= h.size() || h[i] != '"') return bad("parameter value is not quoted");
    ++i;
    size_t close = h.find('"', i);
    if (close == std::string_view::npos) return bad("unterminated quoted value");
    std::string_view value = h.substr(i, close - i);
    // OAuth values are percent-encoded, so a backslash (a quoted-pair escape) is never legitimate.
    if (encoded && value.find('\\') != std::string_view::npos) {
      return bad("backslash in a quoted value");
    }
    i = close + 1;
    while (i < h.size() && IsSpace(h[i])) ++i;
    if (i < h.size() && h[i] != ',') return bad("expected ',' between parameters");
    if (encoded && !ValidEscapes(name)) return bad("invalid percent-escape");
    std::string dname = encoded ? Unescape(name) : std::string(name);
    // realm is an RFC 2617 quoted string, the one parameter that is not percent-encoded.
    const bool verbatim = !encoded || dname == "realm";
    if (!verbatim && !PercentEncoded(value)) return bad("parameter value is not percent-encoded");
    if (params.size() >= kMaxHeaderParams) return bad("too many parameters");
    if (Find(params, dname) != nullptr) return bad("duplicate parameter");
    std::string dvalue = verbatim ? std::string(value) : Unescape(value);
    params.emplace_back(std::move(dname), std::move(dvalue));
  }
  return params;
}

NonceCache::NonceCache(int64_t window_s, size_t max_entries)
    : window_s_(window_s), max_entries_(max_entries) {}

bool NonceCache::Insert(std::string_view consumer_key, std::string_view token,
                        std::string_view nonce, int64_t timestamp_s, int64_t now_s) {
  std::string key;
  key.reserve(consumer_key.size() + token.size() + nonce.size() + 2);
  key.append(consumer_key).append(1, '\0').append(token).append(1, '\0').append(nonce);
  std::lock_guard<std::mutex> lock(mu_);
  while (!by_expiry_.empty() && by_expiry_.begin()->first < now_s) {
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  if (seen_.count(key) != 0) return false;
  if (seen_.size() >= max_entries_) return false;
  int64_t expiry = std::max(timestamp_s, now_s) + window_s_;
  seen_.emplace(key, expiry);
  by_expiry_.emplace(expiry, std::move(key));
  return true;
}

Status VerifyOAuth1(const OAuth1Credentials& expected, std::string_view method,
                    std::string_view url, std::string_view authorization, int64_t now_s,
                    NonceCache* nonces, HeaderValues values) {
  if (authorization.empty()) return Unauthorized("no Authorization header");
  DV_ASSIGN_OR_RETURN(OAuthParams params, ParseAuthorizationHeader(authorization, values));
  static constexpr const char* kRequired[] = {
      "oauth_consumer_key", "oauth_token",   "oauth_signature_method", "oauth_timestamp",
      "oauth_nonce",        "oauth_version", "oauth_signature"};
  for (const char* name : kRequired) {
    if (Find(params, name) == nullptr) return Unauthorized(std::string("missing ") + name);
  }
  if (*Find(params, "oauth_version") != "1.0") return Unauthorized("oauth_version is not 1.0");
  if (*Find(params, "oauth_signature_method") != "HMAC-SHA1") {
    return Unauthorized("signature method is not HMAC-SHA1");
  }
  if (*Find(params, "oauth_consumer_key") != expected.consumer_key) {
    return Unauthorized("unknown consumer key");
  }
  if (*Find(params, "oauth_token") != expected.token) return Unauthorized("unknown token");

  const std::string& ts_text = *Find(params, "oauth_timestamp");
  if (ts_text.empty() || ts_text.size() > 12 ||
      !std::all_of(ts_text.begin(), ts_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Unauthorized("oauth_timestamp is not a number of seconds");
  }
  int64_t ts = std::stoll(ts_text);
  if (ts < now_s - nonces->window_s() || ts > now_s + nonces->window_s()) {
    return Unauthorized("oauth_timestamp outside the allowed window");
  }

  OAuthParams signed_params;
  for (const auto& [k, v] : params) {
    if (k != "realm" && k != "oauth_signature") signed_params.emplace_back(k, v);
  }
  auto base = SignatureBaseString(method, url, signed_params);
  if (!base.ok()) return Unauthorized("request URL does not parse");
  std::string want = Sign(base.value(), expected.consumer_secret, expected.token_secret);
  const std::string& got = *Find(params, "oauth_signature");
  if (got.size() != want.size() || CRYPTO_memcmp(got.data(), want.data(), want.size()) != 0) {
    return Unauthorized("signature mismatch");
  }
  if (!nonces->Insert(expected.consumer_key, expected.token, *Find(params, "oauth_nonce"), ts,
                      now_s)) {
    return Unauthorized("nonce reused");
  }
  return Status::Ok();
}

OAuth1Provider::OAuth1Provider(Env* env, OAuth1Credentials credentials)
    : env_(env), credentials_(std::move(credentials)) {}

Result<std::string> OAuth1Provider::AuthorizationFor(std::string_view method,
                                                     std::string_view url) {
  unsigned char bytes[16];
  env_->RandomBytes(bytes, sizeof bytes);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string nonce;
  for (unsigned char b : bytes) {
    nonce += kHex[b >> 4];
    nonce += kHex[b & 15];
  }
  return AuthorizationHeader(credentials_, method, url, nonce, env_->NowMillis() / 1000);
}

}  // namespace davault::client
