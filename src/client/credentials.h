// Loading the OAuth 1.0a API key from a credentials file or the LP_* environment variables.
#pragma once

#include <string>

#include "client/oauth1.h"
#include "client/oauth2.h"
#include "davault/env.h"
#include "davault/status.h"

namespace davault::client {

enum class CredentialsFileMode {
  kRequirePrivate,  // refuse a file that group or others may read (the tool's rule, issue 6)
  kAnyMode,         // the fake server reads test credentials from wherever they are
};

// With `file` empty: reads LP_APP_KEY, LP_APP_SECRET, LP_ACCESS_TOKEN, LP_ACCESS_TOKEN_SECRET
// from the environment. Otherwise reads them from `file`, which holds either a JSON object with
// those keys or KEY=VALUE lines (blank lines and '#' comments ignored; "export " and matching
// quotes around the value are allowed). Fails with kUsage naming the missing variable, or the
// file and what is wrong with it; never with a value.
Result<OAuth1Credentials> LoadOAuth1Credentials(Env* env, const std::string& file,
                                                CredentialsFileMode mode);

// The same for OAuth 2.0 client credentials: LP_CLIENT_ID and LP_CLIENT_SECRET, from the
// environment or from `file` (same formats and mode rule).
Result<OAuth2Credentials> LoadOAuth2Credentials(Env* env, const std::string& file,
                                                CredentialsFileMode mode);

}  // namespace davault::client
