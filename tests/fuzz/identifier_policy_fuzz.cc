// Fuzz target: the identifier policy parser (toml++), and validating what it accepts.
#include <cstddef>
#include <cstdint>

#include "identity/extractor.h"
#include "policy/identifier_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace davault;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rules = policy::ParseIdentifierRules(text, "fuzz.toml");
  if (!rules.ok()) {
    if (rules.status().message().find("fuzz.toml") == std::string::npos) __builtin_trap();
    return 0;
  }
  for (const auto& t : rules.value().types)
    for (const auto& f : t.fields)
      if (!policy::IsValidRulePath(f.path, policy::Subtree::kForbidden)) __builtin_trap();
  auto ex = identity::Extractor::Create(rules.value());
  (void)ex;
  return 0;
}
