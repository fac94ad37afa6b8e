// Fuzz target: the OAuth 1.0a Authorization header parser the fake server uses on every
// request, and its round trip with the signing side.
#include <cstddef>
#include <cstdint>

#include "client/oauth1.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace davault;
  std::string_view header(reinterpret_cast<const char*>(data), size);
  auto params = client::ParseAuthorizationHeader(header);
  if (!params.ok()) {
    // Never echoes the input back. Messages are short fixed reasons; an input shorter than
    // them may be a piece of one (the fuzzer feeds them back), so only long inputs are checked.
    const std::string& m = params.status().message();
    if (m.empty() || m.size() > 256) __builtin_trap();
    if (size >= 128 && m.find(header) != std::string::npos) __builtin_trap();
    return 0;
  }
  if (params.value().size() > 64 || size > 16 * 1024) __builtin_trap();
  // Whatever parsed can be used as the nonce and URL of a real header without crashing.
  std::string nonce = params.value().empty() ? "n" : params.value().front().second;
  client::OAuth1Credentials creds{"ck", "cs", "tk", "ts"};
  auto h = client::AuthorizationHeader(creds, "GET", "http://127.0.0.1:1/x?a=b", nonce, 1);
  // Percent-encoding can triple a value, so only nonces well under the parser's 16 KiB limit
  // must survive the round trip.
  if (h.ok() && nonce.size() < 4096) {
    auto back = client::ParseAuthorizationHeader(h.value());
    if (!back.ok()) __builtin_trap();
  }
  return 0;
}
