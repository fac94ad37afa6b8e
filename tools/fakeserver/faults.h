// Fault injection for the fake Data Access server: rules, loaded from JSON, that bend responses.
//
// This is the hook issue 6 item 8 grows into. A rule matches requests by method and path
// substring, can let the first `skip` matches through, then applies to `times` matches (-1: all)
// and does any of: delay, answer with a status (+ Retry-After), cut a download short after N
// body bytes, or ignore the Range header. New fault kinds are new fields on FaultRule plus one
// branch in FakeServer::Handle.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "davault/env.h"
#include "davault/status.h"

namespace davault::fakeserver {

struct FaultRule {
  // Matching.
  std::string method;         // "" = any method
  std::string path_contains;  // "" = any path; else a substring of the decoded request path
  int64_t skip = 0;           // matching requests let through untouched before the rule applies
  int64_t times = -1;         // matching requests it then applies to; -1 = every one
  // Effects (any combination).
  int64_t delay_ms = 0;  // sleep before answering
  int status = 0;        // non-zero: answer with this status and an XML error body
  std::string message = "Internal server error";  // <message> of that body
  int internal_code = 0;                          // <internalCode> of that body
  std::string retry_after;                        // Retry-After header value ("5" or an HTTP date)
  int64_t truncate_after_bytes = -1;  // downloads: drop the connection after this many bytes
  bool ignore_range = false;          // downloads: answer 200 with the whole file despite a Range
  bool wrong_digest = false;          // downloads: a Repr-Digest that does not match the file
};

// Thread-safe: the server's worker threads all consult one plan.
class FaultPlan {
 public:
  FaultPlan() = default;
  // File format: {"rules": [ {"path_contains": "Engagement.", "times": 2, "status": 503,
  //                           "retry_after": "1"}, ... ]} with the FaultRule field names.
  // kUsage naming the file and the rule on anything malformed or unknown.
  static Result<std::vector<FaultRule>> Load(Env* env, const std::string& path);
  explicit FaultPlan(std::vector<FaultRule> rules);

  struct Applied {
    FaultRule rule;
    size_t index;  // position in the file, for the request log
  };
  // The first rule that matches and still applies, counting this request against it.
  std::optional<Applied> Next(std::string_view method, std::string_view path);

 private:
  struct State {
    FaultRule rule;
    int64_t seen = 0;
  };
  std::mutex mu_;
  std::vector<State> rules_;
};

}  // namespace davault::fakeserver
