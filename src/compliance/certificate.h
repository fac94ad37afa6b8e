// Erasure certificates: signed JSON evidence of one erasure that anyone can check with only the
// archive's public signing key (davault audit pubkey), without access to the archive.
#pragma once

#include <optional>
#include <string>

#include "compliance/workflows.h"
#include "store/archive.h"

namespace davault::compliance {

// Signs doc (which must not yet hold "signature") with the archive's key and returns the
// certificate text: the canonical rendering (2-space JSON, keys in the order given, newline).
std::string SignCertificate(const store::Archive& a, Json doc);

// Writes the certificate under ARCHIVE/certificates/ and returns its path.
Result<std::string> StoreCertificate(Context& ctx, const std::string& request, int64_t audit_seq,
                                     const std::string& text);

// What an erasure certificate states. erase fills it as it goes; recovery fills it from the
// audit entry and the request row of an erasure a crash interrupted after its keys were
// destroyed, so that erasure gets its certificate too.
struct ErasureFacts {
  store::RequestRow request;
  Json subjects = Json::array();  // the erase audit entry's subjects (keyed hashes)
  Json counts_before = Json::object(), counts_after = Json::object();
  Json held = Json::array();  // {record, hold, reason} of records kept under a hold
  int64_t records_erased = 0, records_held = 0;
  std::optional<int64_t> storage_files_rewritten;  // not known when recovery finished them
  int64_t records_answering = 0;                   // the verification after the erasure
  std::optional<int64_t> index_rows_left;          // not known when recovery finished the erasure
  std::string plan_hash;
  Json extra = Json::object();  // further keys, after "plan" (unsearchable records of the plan)
  store::AuditRow erase_entry;  // the audit entry that recorded the erasure
  bool completed_by_recovery = false;
  std::string completed_by;  // "sweep": a held erasure finished when its hold ended
};

// Builds, signs and stores the certificate of one erasure; returns its path.
Result<std::string> IssueErasureCertificate(Context& ctx, store::Archive& a,
                                            const ErasureFacts& facts);

// Issues the certificates the newest erase entries lack: a crash after an erasure's keys were
// destroyed (its audit entry committed) and before its certificate was written leaves it
// without one. Only the entries of the last destructive command can be in that state, because
// every command that opens the archive for writing comes here first, so the newest entries are
// checked until one has its certificate. The certificate is rebuilt from the audit entry, the
// request row and a fresh verification, and marked "completed_by_recovery".
Status CertifyInterruptedErasure(Context& ctx, store::Archive& a);

// Checks a certificate file against a public key file (hex, as printed by audit pubkey).
// Any change to the file (a value, a key, even whitespace) makes it fail.
Outcome VerifyCertificate(Context& ctx, const std::string& cert_file,
                          const std::string& pubkey_file);

}  // namespace davault::compliance
