// The audit log: append-only entries, hash-chained with sequence numbers and Ed25519-signed,
// holding pseudonyms only; optionally anchored to a file outside the archive.
//
// Entry hash = BLAKE2b-256("davault/audit/v1" | prev hash | seq | time | event | body), each
// variable part length-prefixed; the signature is Ed25519 over that hash with a key derived
// from the archive key. Anyone can recompute a hash, only the key holder can sign one, and the
// anchor file (DAVAULT_AUDIT_ANCHOR) lets an outsider notice deleted newest entries.
#pragma once

#include <string>
#include <vector>

#include "store/archive.h"

namespace davault::audit {

struct Head {
  int64_t seq = 0;
  std::string hash_hex;
  std::string signature_hex;
};

class AuditLog {
 public:
  explicit AuditLog(store::Archive* archive) : a_(archive) {}

  // Appends an entry inside the caller's write transaction. body is a JSON object text that
  // must hold no personal data (hashes, counts, file names, request references only).
  Result<store::AuditRow> Append(std::string_view event, std::string body);
  // After the transaction committed: appends "seq hash" to $DAVAULT_AUDIT_ANCHOR, if set.
  Status Anchor(const store::AuditRow& row);

  struct Verification {
    int64_t entries = 0;
    std::vector<std::string> problems;
    Head head;
    bool anchor_checked = false;
  };
  Result<Verification> Verify();
  Result<Head> CurrentHead();

 private:
  store::Archive* a_;
};

std::string EntryHash(const std::string& prev, int64_t seq, int64_t time_ms,
                      std::string_view event, std::string_view body);

}  // namespace davault::audit
