// Fuzz target: the storage-format reader. The input is a segment file (segment id 1, the
// archive id taken from its own header so the header check can pass); Scan walks it and every
// entry found is read back with ReadRaw and ReadSealed.
#include <cstddef>
#include <cstdint>

#include "fuzz_common.h"
#include "store/segments.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace davault;
  std::string in(reinterpret_cast<const char*>(data), size);
  std::string archive_id = size >= 24 ? in.substr(8, 16) : std::string(16, 'a');
  const std::string dir = "/nonexistent-fuzz-segments";
  store::SegmentStore probe(Env::Default(), dir, archive_id);
  fuzz::OneFileEnv env(probe.PathFor(1), in);
  store::SegmentStore store(&env, dir, archive_id);
  auto entries = store.Scan(1);
  if (!entries.ok()) {
    if (entries.status().message().empty()) __builtin_trap();
    return 0;
  }
  uint64_t end = store::kSegmentHeaderSize;
  for (const auto& e : entries.value()) {
    if (e.offset != end || e.length < store::kEntryHeaderSize) __builtin_trap();
    end += e.length;
    auto raw = store.ReadRaw(1, e);
    if (!raw.ok() || raw.value().size() != e.length) __builtin_trap();
    auto sealed = store.ReadSealed(1, e);
    if (!sealed.ok() || sealed.value().size() + store::kEntryHeaderSize != e.length)
      __builtin_trap();
  }
  if (end != size) __builtin_trap();
  return 0;
}
