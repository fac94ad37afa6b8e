// DAVAULT_CRASH_AT: read once per process; a counter for "any:N".
#include "base/crash_point.h"

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace davault {
namespace {

struct CrashSpec {
  std::string name;  // a named point, or empty
  long nth = 0;      // with "any:N": the Nth point reached
};

const CrashSpec& Spec() {
  static const CrashSpec spec = [] {
    CrashSpec s;
    const char* v = std::getenv("DAVAULT_CRASH_AT");
    if (v == nullptr || *v == '\0') return s;
    std::string text(v);
    if (text.rfind("any:", 0) == 0) {
      s.nth = std::strtol(text.c_str() + 4, nullptr, 10);
    } else {
      s.name = text;
    }
    return s;
  }();
  return spec;
}

std::atomic<long> reached{0};

}  // namespace

void CrashPoint(const char* name) {
  const CrashSpec& s = Spec();
  if (s.name.empty() && s.nth <= 0) return;
  long n = ++reached;
  if ((!s.name.empty() && s.name == name) || (s.nth > 0 && n == s.nth)) ::raise(SIGKILL);
}

}  // namespace davault
