// AuthProvider: how a request gets its Authorization header (OAuth 1.0a now, bearer tokens later).
#pragma once

#include <string>
#include <string_view>

#include "davault/status.h"

namespace davault::client {

// One instance may serve several concurrent transfers, so implementations must be thread-safe.
// Credentials live only inside the provider; nothing it returns in a Status may contain them.
class AuthProvider {
 public:
  virtual ~AuthProvider() = default;

  // The value of the Authorization header (without "Authorization: ") for one request to the
  // exact URL that will be sent, query included. Called afresh for every attempt, retries too:
  // OAuth 1.0a nonces are single-use and a bearer token may have been refreshed in between.
  virtual Result<std::string> AuthorizationFor(std::string_view method, std::string_view url) = 0;

  // Told when the server answered 401 to a request sent with `authorization` (a value this
  // provider returned), so a token-based provider can drop that token if it is still the cached
  // one (parallel transfers may report the same token; a newer one is kept). Returns true when
  // asking again with a fresh AuthorizationFor() may succeed (the caller then repeats the request
  // once). OAuth 1.0a has nothing to drop: a 401 there is final.
  virtual bool OnUnauthorized(std::string_view authorization) {
    (void)authorization;
    return false;
  }
};

}  // namespace davault::client
