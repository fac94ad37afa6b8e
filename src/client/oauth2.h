// OAuth 2.0 client credentials (RFC 6749 §4.4): a bearer token from LivePerson's Sentinel.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "client/auth.h"
#include "client/http.h"
#include "davault/env.h"
#include "davault/status.h"

namespace davault::client {

// An installed application's client_id and client_secret (LP_CLIENT_ID, LP_CLIENT_SECRET).
struct OAuth2Credentials {
  std::string client_id;
  std::string client_secret;
};

// https://{va|lo|sy}.sentinel.liveperson.net/sentinel/api/v2/account/{account}/app/token for
// region us, uk, apac; kUsage otherwise.
Result<std::string> RegionTokenUrl(std::string_view region, std::string_view account);

// The token endpoint on the same scheme, host and port as `base_url` (the fake server serves
// both): {base}/sentinel/api/v2/account/{account}/app/token.
std::string TokenUrlOnBase(std::string_view base_url, std::string_view account);

// The form body of a client-credentials token request:
// grant_type=client_credentials&client_id=…&client_secret=… (values percent-encoded).
std::string TokenRequestBody(const OAuth2Credentials& creds);

struct Token {
  std::string access_token;
  int64_t expires_in_s = -1;  // -1 when the answer did not say
};
// Parses a token response ({"access_token": "...", "token_type": "Bearer", "expires_in": N}).
// kFailed without echoing the body when it is not JSON, lacks access_token, names another
// token_type than Bearer, or holds a token with characters a header cannot carry.
Result<Token> ParseTokenResponse(std::string_view body);

// Fetches a token with a POST to `token_url` (credentials in the form body, never the URL) on
// first use, and again when the cached one is within its refresh margin of expiry
// (min(60 s, a fifth of its lifetime)) or after the server refused it. Thread-safe: one token
// request at a time; parallel callers wait for it and share the token. Tokens without
// expires_in are assumed to live an hour. Messages name the token URL, never a credential or a
// token.
class OAuth2Provider final : public AuthProvider {
 public:
  OAuth2Provider(Env* env, std::string token_url, OAuth2Credentials credentials,
                 HttpOptions http_options);
  ~OAuth2Provider() override;
  Result<std::string> AuthorizationFor(std::string_view method, std::string_view url) override;
  bool OnUnauthorized(std::string_view authorization) override;

  // Tokens fetched so far (for the pull's summary).
  int64_t tokens_fetched() const;

 private:
  Status Refresh();  // with mu_ held

  Env* env_;
  const std::string token_url_;
  const OAuth2Credentials credentials_;
  std::unique_ptr<HttpClient> http_;
  mutable std::mutex mu_;
  std::string header_;  // "Bearer …", empty when there is none
  int64_t refresh_at_ms_ = 0;
  int64_t fetched_ = 0;
};

}  // namespace davault::client
