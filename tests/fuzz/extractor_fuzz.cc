// Fuzz target: the identifier extractor (simdjson on-demand over one record, both the
// production form with Avro unions and the documentation form), with the built-in policy.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "compliance/common.h"
#include "identity/extractor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace davault;
  static std::unique_ptr<identity::Extractor> extractor = [] {
    auto rules = policy::ParseIdentifierRules(compliance::kDefaultIdentifierPolicy,
                                              "policies/identifiers.toml");
    if (!rules.ok()) std::abort();
    auto ex = identity::Extractor::Create(rules.value());
    if (!ex.ok()) std::abort();
    return std::move(ex).value();
  }();
  // simdjson wants padding after the input; the reader hands out views into larger buffers,
  // so copy the input into a string the way ingest's records are held.
  std::string rec(reinterpret_cast<const char*>(data), size);
  auto r = extractor->Extract(rec);
  if (r.ok()) {
    for (const auto& id : r.value().identifiers)
      if (id.field.empty()) __builtin_trap();
  } else if (r.status().message().empty()) {
    __builtin_trap();
  }
  return 0;
}
