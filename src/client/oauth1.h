// OAuth 1.0a (RFC 5849) with HMAC-SHA1 and header transport, as the Data Access API requires.
//
// Both sides live here: the client signs with AuthorizationHeader()/OAuth1Provider, and the fake
// server checks with VerifyOAuth1(), so the two cannot drift apart silently. Secrets never appear
// in any returned Status message.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "client/auth.h"
#include "davault/env.h"
#include "davault/status.h"

namespace davault::client {

// The four values of a LiveEngage "API key".
struct OAuth1Credentials {
  std::string consumer_key;     // "App key"
  std::string consumer_secret;  // "Secret"
  std::string token;            // "Access token"
  std::string token_secret;     // "Access token secret"
};

using OAuthParam = std::pair<std::string, std::string>;
using OAuthParams = std::vector<OAuthParam>;

// RFC 3986 percent-encoding as RFC 5849 §3.6 wants it: A-Z a-z 0-9 - . _ ~ are kept, every other
// byte becomes %XX with upper-case hex.
std::string PercentEncode(std::string_view s);

// The base string URI of RFC 5849 §3.4.1.2: scheme and host lower-cased, default port dropped,
// any other port kept, path as sent, no query or fragment. kUsage when the URL does not parse.
Result<std::string> BaseStringUri(std::string_view url);

// The decoded query parameters of `url`, in order, parsed as application/x-www-form-urlencoded
// ('+' is a space, a parameter without '=' has an empty value).
Result<OAuthParams> QueryParams(std::string_view url);

// The signature base string of RFC 5849 §3.4.1:
//   METHOD & enc(base string URI) & enc(normalized parameters)
// where the parameters are the URL's query parameters plus `extra_params` (the oauth_* protocol
// parameters without oauth_signature; form-body parameters for a POST), each name and value
// percent-encoded, sorted by encoded name and then encoded value, joined as name=value with '&'.
Result<std::string> SignatureBaseString(std::string_view method, std::string_view url,
                                        const OAuthParams& extra_params);

// Base64(HMAC-SHA1(enc(consumer_secret) & enc(token_secret), base_string)), not yet
// percent-encoded.
std::string Sign(std::string_view base_string, std::string_view consumer_secret,
                 std::string_view token_secret);

// The complete, single-line header value:
//   OAuth oauth_consumer_key="…", oauth_nonce="…", oauth_signature="…",
//   oauth_signature_method="HMAC-SHA1", oauth_timestamp="…", oauth_token="…", oauth_version="1.0"
// with every value percent-encoded. `timestamp_s` is in seconds since the epoch.
Result<std::string> AuthorizationHeader(const OAuth1Credentials& creds, std::string_view method,
                                        std::string_view url, std::string_view nonce,
                                        int64_t timestamp_s);

// Parses an Authorization header value ("OAuth k="v", ..."; the scheme name is matched
// case-insensitively) into its percent-decoded parameters, in order (realm is kept as written).
// Written for hostile input: it fails (kFailed), without echoing any value, on a missing or other
// scheme, unterminated or missing quotes, a value that is not percent-encoded (RFC 5849 §3.5.1:
// only A-Z a-z 0-9 - . _ ~ and %XX), control characters or line breaks, a duplicate parameter,
// more than 64 parameters, or more than 16 KiB of input.
//
// kAlreadyDecoded is for a server whose HTTP library has already percent-decoded header values
// (cpp-httplib 0.11 does that to every header but Location): values are then taken verbatim and
// may hold any byte except '"' and control characters. Such a server cannot check the client's
// header encoding itself; the client's encoding is pinned by its own unit tests instead.
enum class HeaderValues { kPercentEncoded, kAlreadyDecoded };
Result<OAuthParams> ParseAuthorizationHeader(std::string_view header,
                                             HeaderValues values = HeaderValues::kPercentEncoded);

// Remembers the nonces seen within the timestamp window so a replayed request is refused.
// Thread-safe. Entries are dropped once their timestamp has left the window, because such a
// request is refused for its timestamp anyway; when `max_entries` live entries are held, new
// requests are refused rather than letting memory grow without bound.
class NonceCache {
 public:
  explicit NonceCache(int64_t window_s = 300, size_t max_entries = 1 << 20);

  // Records the nonce; false when it was already seen (or the cache is full).
  bool Insert(std::string_view consumer_key, std::string_view token, std::string_view nonce,
              int64_t timestamp_s, int64_t now_s);
  int64_t window_s() const { return window_s_; }

 private:
  const int64_t window_s_;
  const size_t max_entries_;
  std::mutex mu_;
  std::unordered_map<std::string, int64_t> seen_;  // key -> expiry
  std::multimap<int64_t, std::string> by_expiry_;  // expiry -> key
};

// Checks a request as the server saw it: `url` is the scheme, the Host header and the raw
// request target ("http://localhost:8443/path?startTime=1&endTime=2"). Succeeds when all of
// oauth_consumer_key, oauth_token, oauth_signature_method, oauth_timestamp, oauth_nonce,
// oauth_version (= "1.0") and oauth_signature are present, the method is HMAC-SHA1, key and
// token are the expected ones, the timestamp is within nonces->window_s() of `now_s`, the
// HMAC-SHA1 signature matches (constant-time compare), and the nonce is new. Otherwise kFailed
// with a short reason ("signature mismatch", "nonce reused", ...) that holds no secret and no
// header value.
// `values` says how `authorization` reached the server (see ParseAuthorizationHeader).
Status VerifyOAuth1(const OAuth1Credentials& expected, std::string_view method,
                    std::string_view url, std::string_view authorization, int64_t now_s,
                    NonceCache* nonces, HeaderValues values = HeaderValues::kPercentEncoded);

// Signs every request with OAuth 1.0a; nonces come from env->RandomBytes (128 bits, hex) and
// timestamps from env->NowMillis(). Thread-safe (holds no mutable state).
class OAuth1Provider final : public AuthProvider {
 public:
  OAuth1Provider(Env* env, OAuth1Credentials credentials);
  Result<std::string> AuthorizationFor(std::string_view method, std::string_view url) override;

 private:
  Env* env_;
  OAuth1Credentials credentials_;
};

}  // namespace davault::client
