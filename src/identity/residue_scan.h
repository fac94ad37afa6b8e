// ResidueScanner: finds identifier-shaped text in arbitrary bytes (index pages, WAL frames,
// storage files), so verify --deep can test every byte the archive owns against the keyed
// fingerprints of the suppression list without ever knowing an erased value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "identity/normalize.h"

namespace davault::identity {

class ResidueScanner {
 public:
  // Tokens shorter than this are not tried as exact-text identifiers (visitor, customer, ...):
  // random ciphertext is full of short printable runs, and ids that short identify nobody.
  static constexpr size_t kMinTokenLength = 6;
  static constexpr size_t kMaxTokenLength = 256;

  // kinds: the kinds worth looking for (those on the suppression list); others are skipped.
  ResidueScanner(NormalizeOptions opts, std::vector<Kind> kinds);

  // A candidate in normal form and the offset (within bytes) of the text run it came from.
  using Found = std::function<void(Kind kind, const std::string& normalized, size_t offset)>;

  // Reports every candidate in bytes: e-mail addresses and phone numbers anywhere in a run of
  // text, IP addresses and exact-text identifiers as whole tokens. The same value may be
  // reported more than once. Candidates that straddle the end of bytes are missed; callers
  // that scan a file in chunks overlap them by kMaxTokenLength.
  void Scan(std::string_view bytes, const Found& found) const;

 private:
  void ScanRun(std::string_view run, size_t offset, const Found& found) const;
  bool Wants(Kind k) const;

  NormalizeOptions opts_;
  std::vector<Kind> kinds_;
  int min_phone_digits_;
};

}  // namespace davault::identity
