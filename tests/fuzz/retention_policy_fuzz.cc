// Fuzz target: the retention policy parser (toml++) and evaluating what it accepts.
#include <cstddef>
#include <cstdint>

#include "policy/retention.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace davault;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = policy::ParseRetentionPolicy(text, "fuzz.toml");
  if (!p.ok()) {
    if (p.status().message().find("fuzz.toml") == std::string::npos) __builtin_trap();
    return 0;
  }
  if (!(p.value().max_delete_fraction >= 0.0 && p.value().max_delete_fraction <= 1.0))
    __builtin_trap();
  std::vector<policy::RecordDates> recs = {{1, 1, 0, 3600000, 7200000},
                                           {2, 2, 1000, std::nullopt, std::nullopt},
                                           {3, 3, std::nullopt, std::nullopt, 5000},
                                           {4, 4, std::nullopt, std::nullopt, std::nullopt}};
  auto d1 = policy::Evaluate(p.value(), recs, {}, 1'800'000'000'000);
  auto d2 = policy::Evaluate(p.value(), recs, {}, 1'800'000'000'000);
  if (d1.size() != recs.size() || d2.size() != d1.size()) __builtin_trap();
  for (size_t i = 0; i < d1.size(); ++i)
    if (d1[i].verdict != d2[i].verdict || d1[i].reason != d2[i].reason) __builtin_trap();
  return 0;
}
