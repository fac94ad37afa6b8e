// Fuzz target: the Data Access record reader (gzip members, JSON lines / concatenated values /
// one array), under small limits so that bombs and huge records are cut short quickly.
#include <cstddef>
#include <cstdint>

#include "format/record_reader.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace davault;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  fuzz::MemSequentialFile file(in);
  format::Limits limits;
  limits.max_record_bytes = 1 << 20;
  limits.max_inflated_bytes = 32 << 20;
  limits.max_depth = 64;
  format::RecordReader reader(&file, limits, "fuzz.gz");
  std::string_view rec;
  uint64_t total = 0;
  for (int i = 0; i < 100000; ++i) {
    auto r = reader.Next(&rec);
    if (!r.ok()) {
      // After an error every call returns the same error.
      auto again = reader.Next(&rec);
      if (again.ok() || again.status().message() != r.status().message()) __builtin_trap();
      break;
    }
    if (!r.value()) break;
    if (rec.empty() || rec.size() > limits.max_record_bytes) __builtin_trap();
    if (rec.front() != '{' && rec.front() != '[') __builtin_trap();
    total += rec.size();
  }
  if (total > reader.inflated_bytes()) __builtin_trap();
  return 0;
}
