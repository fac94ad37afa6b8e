// URL splitting through curl_url(); loopback detection through inet_pton().
#include "client/url.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <cstring>
#include <memory>

namespace davault::client {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStringDeleter {
  void operator()(char* p) const { curl_free(p); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

// Returns the part, or an empty string when the URL does not have it.
std::string GetPart(CURLU* u, CURLUPart part, unsigned int flags) {
  char* raw = nullptr;
  if (curl_url_get(u, part, &raw, flags) != CURLUE_OK || raw == nullptr) return {};
  CurlString owned(raw);
  return std::string(owned.get());
}

bool HasPart(CURLU* u, CURLUPart part) {
  char* raw = nullptr;
  CURLUcode rc = curl_url_get(u, part, &raw, 0);
  CurlString owned(raw);
  return rc == CURLUE_OK && raw != nullptr;
}

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

Result<UrlParts> ParseUrl(std::string_view url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u) return Status::Failed("out of memory parsing a URL");
  // curl_url_set needs a NUL-terminated string; an embedded NUL would silently cut the URL.
  std::string copy(url);
  if (copy.find('\0') != std::string::npos) return Status::Usage("URL contains a NUL byte");
  CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, copy.c_str(), 0);
  if (rc != CURLUE_OK) {
    return Status::Usage(std::string("malformed URL: ") + curl_url_strerror(rc));
  }
  UrlParts parts;
  parts.scheme = AsciiLower(GetPart(u.get(), CURLUPART_SCHEME, 0));
  parts.host = GetPart(u.get(), CURLUPART_HOST, 0);
  if (parts.host.empty()) return Status::Usage("URL has no host");
  // CURLU_NO_DEFAULT_PORT reports no port when it equals the scheme's default (":443" on https).
  parts.port = GetPart(u.get(), CURLUPART_PORT, CURLU_NO_DEFAULT_PORT);
  parts.path = GetPart(u.get(), CURLUPART_PATH, 0);
  if (parts.path.empty()) parts.path = "/";
  parts.query = GetPart(u.get(), CURLUPART_QUERY, 0);
  parts.has_userinfo = HasPart(u.get(), CURLUPART_USER) || HasPart(u.get(), CURLUPART_PASSWORD);
  parts.has_fragment = HasPart(u.get(), CURLUPART_FRAGMENT);
  return parts;
}

bool IsLoopbackHost(std::string_view host_in) {
  std::string host = AsciiLower(std::string(host_in));
  if (host == "localhost") return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
  }
  return false;
}

}  // namespace davault::client
