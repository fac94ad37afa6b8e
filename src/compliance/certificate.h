// Erasure certificates: signed JSON evidence of one erasure that anyone can check with only the
// archive's public signing key (davault audit pubkey), without access to the archive.
#pragma once

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

// Checks a certificate file against a public key file (hex, as printed by audit pubkey).
// Any change to the file (a value, a key, even whitespace) makes it fail.
Outcome VerifyCertificate(Context& ctx, const std::string& cert_file,
                          const std::string& pubkey_file);

}  // namespace davault::compliance
