// URL splitting for signing and policy checks, done by libcurl's URL API so we never hand-parse.
#pragma once

#include <string>
#include <string_view>

#include "davault/status.h"

namespace davault::client {

// The parts of an absolute URL as libcurl parses them. Path and query are kept exactly as they
// appear on the wire (still percent-encoded), which is what OAuth signing needs.
struct UrlParts {
  std::string scheme;  // lower case
  std::string host;    // as written; IPv6 literals keep their brackets ("[::1]")
  std::string port;    // empty when absent or equal to the scheme's default port
  std::string path;    // "/" when the URL has none
  std::string query;   // without the '?'; empty when absent
  bool has_userinfo = false;
  bool has_fragment = false;
};

// Fails (kUsage) when libcurl cannot parse `url` as an absolute URL. The message does not repeat
// the URL: callers decide whether it is safe to show.
Result<UrlParts> ParseUrl(std::string_view url);

// True for "localhost", any 127.0.0.0/8 address and ::1 (with or without brackets).
bool IsLoopbackHost(std::string_view host);

}  // namespace davault::client
