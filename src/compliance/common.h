// Shared pieces of the workflows: opening the archive, the policies, subjects, links and holds.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compliance/workflows.h"
#include "identity/extractor.h"
#include "identity/normalize.h"
#include "policy/identifier_rules.h"
#include "policy/retention.h"
#include "store/archive.h"

namespace davault::compliance {

// The policies compiled into the binary (policies/*.toml at build time).
extern const char* const kDefaultIdentifierPolicy;
extern const char* const kDefaultRetentionPolicy;

// Opens the archive. The identifier index is versioned (normalization rules + identifier policy):
// a writer whose rules differ from the index's re-indexes every record first; a reader refuses,
// rather than silently missing records indexed under other rules.
Result<std::unique_ptr<store::Archive>> OpenArchive(Context& ctx, store::Access access);
// Writes the audit entry for journals that opening the archive finished after a crash, and
// (for a writer, or when a journal was finished) the certificate an interrupted erasure owes.
Status RecordRecovery(Context& ctx, store::Archive& a, bool writer);
// "<normalization version>:<identifier policy hash>"
std::string IndexVersion(const policy::IdentifierRules& rules);
// Rebuilds every record's identifier rows from its decrypted payloads, in one transaction.
Result<int64_t> Reindex(Context& ctx, store::Archive& a, const policy::IdentifierRules& rules);
Result<policy::IdentifierRules> LoadRules(Context& ctx);
Result<policy::RetentionPolicy> LoadRetention(Context& ctx, const std::string& file);
std::string PolicyHash(const std::string& text);

struct Subject {
  identity::Kind kind;
  crypto::Hash hash;
};
// PGP-encrypted values (README "PGP-encrypted values"). A record holding values that no key
// decrypted gets one index row per such field under this reserved kind and one fixed keyed
// hash, so the index itself counts and lists the unsearchable records; Close never follows it.
inline constexpr uint8_t kUnsearchableKind = 250;
crypto::Hash UnsearchableMarker(const store::Archive& a);
// Records in the archive that hold PGP values no key decrypted.
Result<int64_t> UnsearchableRecords(store::Archive& a);
// Loads ctx.pgp_key_file into ctx.pgp_keyring on first use (nullptr when no key was given).
// A key file group or others may read is a usage error, like the credentials file.
Result<pgp::Keyring*> PgpKeyring(Context& ctx);
// Lets the extractor decrypt with the keyring (no-op for nullptr).
void UsePgpKeyring(identity::Extractor* extractor, pgp::Keyring* keyring);
// The index rows of one extracted record: its identifiers, and the marker rows when values
// stayed encrypted.
std::vector<store::IdentRow> IndexRows(const store::Archive& a, const identity::ExtractedRecord& r);

// Parses KIND:VALUE arguments and hashes their normalized values. Errors never echo values.
Result<std::vector<Subject>> ResolveSubjects(store::Archive& a,
                                             const std::vector<std::string>& args,
                                             const policy::IdentifierRules& rules);

struct Link {
  uint8_t kind = 0;
  std::string id;  // first 16 hex digits of the identifier's keyed hash: a pseudonym
  std::string why;
};
struct SubjectClosure {
  std::vector<crypto::Hash> hashes;     // given and followed
  std::map<crypto::Hash, uint8_t> kinds;
  std::vector<Link> followed, not_followed;
};
// With expand, follows identifiers inside matching records to a fixed point (never following
// IP addresses or agent ids, nor ids seen with more than max_emails_per_link e-mails).
Result<SubjectClosure> Close(store::Archive& a, const std::vector<Subject>& subjects, bool expand,
                             int max_emails_per_link);

// followed / not_followed as the JSON results show them (kind, pseudonym, why).
Json LinksJson(const std::vector<Link>& links);

// Records under a hold that is active at `at` (not released, no end or an end after `at`).
Result<std::map<int64_t, policy::HoldInfo>> HeldRecords(store::Archive& a, int64_t at);

// Inserts an audit entry in the open transaction, commits, and anchors the new head.
Status AuditAndCommit(store::Archive& a, const std::string& event, const Json& body);
// The same, returning the entry written (for certificates that cite it).
Result<store::AuditRow> AuditAndCommitRow(store::Archive& a, const std::string& event,
                                          const Json& body);
// Records a refusal in its own transaction (the refused work itself changed nothing).
Status AuditRefusal(store::Archive& a, const std::string& command, const std::string& reason);

std::string HashHex(const crypto::Hash& h);
Result<crypto::Hash> HashFromHex(const std::string& hex);
std::string TypeName(uint8_t type);
Json TimeOrNull(const std::optional<int64_t>& ms);

// Writes a file outside the archive atomically with mode 0600; refuses paths inside it.
Status WriteOutputFile(Context& ctx, const std::string& path, std::string_view data);

}  // namespace davault::compliance
