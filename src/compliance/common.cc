// Opening the archive, loading policies, resolving subjects, following links, active holds.
#include "compliance/common.h"

#include <climits>
#include <cstdlib>

#include "audit/log.h"
#include "base/time.h"
#include "compliance/certificate.h"
#include "format/data_type.h"
#include "pgp/pgp.h"

namespace davault::compliance {

std::string IndexVersion(const policy::IdentifierRules& rules) {
  return std::to_string(identity::kNormalizationVersion) + ":" +
         PolicyHash(rules.source_text_hash_input);
}

crypto::Hash UnsearchableMarker(const store::Archive& a) {
  return a.IdentifierHash(kUnsearchableKind, "pgp-values-not-decrypted");
}

Result<int64_t> UnsearchableRecords(store::Archive& a) {
  return a.RecordsWith(UnsearchableMarker(a));
}

Result<pgp::Keyring*> PgpKeyring(Context& ctx) {
  if (ctx.pgp_keyring) return ctx.pgp_keyring.get();
  if (ctx.pgp_key_file.empty()) return static_cast<pgp::Keyring*>(nullptr);
  DV_ASSIGN_OR_RETURN(auto k,
                      pgp::Keyring::LoadSecretKey(ctx.env, ctx.pgp_key_file, ctx.pgp_passphrase));
  ctx.pgp_keyring = std::move(k);
  if (ctx.log && ctx.verbosity == Verbosity::kVerbose)
    ctx.log("PGP key " + ctx.pgp_keyring->fingerprint() + " loaded into a private GnuPG home");
  return ctx.pgp_keyring.get();
}

void UsePgpKeyring(identity::Extractor* extractor, pgp::Keyring* keyring) {
  if (keyring == nullptr) return;
  extractor->SetPgpDecryptor([keyring](std::string_view armored, std::string* plain) {
    return keyring->Decrypt(armored, plain);
  });
}

std::vector<store::IdentRow> IndexRows(const store::Archive& a,
                                       const identity::ExtractedRecord& r) {
  std::vector<store::IdentRow> rows;
  rows.reserve(r.identifiers.size() + r.pgp_fields.size());
  for (const auto& id : r.identifiers)
    rows.push_back({a.IdentifierHash(static_cast<uint8_t>(id.kind), id.value),
                    static_cast<uint8_t>(id.kind), id.field});
  if (r.pgp_values > 0) {
    crypto::Hash marker = UnsearchableMarker(a);
    for (const auto& f : r.pgp_fields) rows.push_back({marker, kUnsearchableKind, f});
  }
  return rows;
}

Result<int64_t> Reindex(Context& ctx, store::Archive& a, const policy::IdentifierRules& rules) {
  DV_ASSIGN_OR_RETURN(auto extractor, identity::Extractor::Create(rules));
  DV_ASSIGN_OR_RETURN(pgp::Keyring * keyring, PgpKeyring(ctx));
  UsePgpKeyring(extractor.get(), keyring);
  DV_ASSIGN_OR_RETURN(auto times, a.AllRecordTimes());
  // Set once a record was indexed from decrypted PGP values: from then on a re-index must not
  // silently turn such a record back into an unsearchable one for want of the key.
  DV_ASSIGN_OR_RETURN(auto pgp_indexed, a.GetMeta("pgp_indexed"));
  DV_RETURN_IF_ERROR(a.Begin());
  int64_t n = 0, unsearchable = 0, decrypted = 0;
  for (const auto& t : times) {
    DV_ASSIGN_OR_RETURN(auto payloads, a.ReadPayloads(t.record_id));
    std::vector<store::IdentRow> rows;
    bool left_encrypted = false;
    for (auto& raw : payloads) {
      auto r = extractor->Extract(raw);
      std::fill(raw.begin(), raw.end(), '\0');
      if (!r.ok()) {
        a.Rollback();
        return r.status().Context("re-index of record " + std::to_string(t.record_id));
      }
      for (auto& row : IndexRows(a, r.value())) rows.push_back(std::move(row));
      left_encrypted = left_encrypted || r.value().pgp_values > 0;
      decrypted += r.value().pgp_decrypted;
    }
    if (left_encrypted && pgp_indexed) {
      DV_ASSIGN_OR_RETURN(auto old, a.IdentifiersOf(t.record_id));
      bool was_unsearchable = false;
      for (const auto& [h, kind] : old)
        was_unsearchable = was_unsearchable || kind == kUnsearchableKind;
      if (!was_unsearchable) {
        a.Rollback();
        return Status::Failed(
            "record " + std::to_string(t.record_id) +
            " was indexed from PGP-encrypted values that " +
            (keyring ? "the given PGP key cannot decrypt" : "need the PGP key") +
            "; re-index with the right key: davault reindex --pgp-key FILE (or DAVAULT_PGP_KEY)");
      }
    }
    if (left_encrypted) ++unsearchable;
    DV_RETURN_IF_ERROR(a.ReplaceIdents(t.record_id, rows));
    ++n;
  }
  if (decrypted > 0) DV_RETURN_IF_ERROR(a.SetMeta("pgp_indexed", "1"));
  DV_RETURN_IF_ERROR(a.SetMeta("index_version", IndexVersion(rules)));
  DV_RETURN_IF_ERROR(AuditAndCommit(a, "reindex",
                                    Json{{"records", n},
                                         {"index_version", IndexVersion(rules)},
                                         {"unsearchable_records", unsearchable}}));
  if (ctx.log && ctx.verbosity != Verbosity::kQuiet)
    ctx.log("re-indexed " + std::to_string(n) + " records under the current identifier rules" +
            (unsearchable > 0 ? "; " + std::to_string(unsearchable) +
                                    " hold PGP-encrypted values no key decrypted (unsearchable)"
                              : ""));
  return n;
}

namespace {
Status RecordRecoveredJournals(store::Archive& a) {
  if (a.recovered_journals().empty()) return Status::Ok();
  // Destruction a crash interrupted was finished by Open: its completion is evidence too.
  Json journals = Json::array();
  for (int64_t id : a.recovered_journals()) journals.push_back(id);
  DV_RETURN_IF_ERROR(a.Begin());
  return AuditAndCommit(a, "recovery_completed", Json{{"journals", journals}});
}
}  // namespace

Status RecordRecovery(Context& ctx, store::Archive& a, bool writer) {
  DV_RETURN_IF_ERROR(RecordRecoveredJournals(a));
  // A reader that finished no journal writes nothing, not even a missing certificate.
  if (writer || !a.recovered_journals().empty()) return CertifyInterruptedErasure(ctx, a);
  return Status::Ok();
}

Result<std::unique_ptr<store::Archive>> OpenArchive(Context& ctx, store::Access access) {
  DV_ASSIGN_OR_RETURN(auto a, store::Archive::Open(ctx.env, ctx.archive_dir, ctx.key, access,
                                                   ctx.lock_timeout_ms));
  DV_RETURN_IF_ERROR(RecordRecovery(ctx, *a, access == store::Access::kWrite));
  DV_ASSIGN_OR_RETURN(auto rules, LoadRules(ctx));
  DV_ASSIGN_OR_RETURN(auto stored, a->GetMeta("index_version"));
  std::string want = IndexVersion(rules);
  if (stored && *stored == want) return a;
  if (!stored) {
    // A new archive (init writes the version right after creating it).
    if (access == store::Access::kWrite) {
      DV_RETURN_IF_ERROR(a->Begin());
      DV_RETURN_IF_ERROR(a->SetMeta("index_version", want));
      DV_RETURN_IF_ERROR(a->Commit());
    }
    return a;
  }
  if (access == store::Access::kRead)
    return Status::Failed("the archive's identifier index was built under other rules (" +
                          *stored + ", now " + want +
                          "); run any writing command, e.g. davault reindex, to rebuild it");
  DV_RETURN_IF_ERROR(Reindex(ctx, *a, rules).status());
  return a;
}

Result<policy::IdentifierRules> LoadRules(Context& ctx) {
  if (ctx.identifier_policy_file.empty())
    return policy::ParseIdentifierRules(kDefaultIdentifierPolicy, "policies/identifiers.toml");
  return policy::LoadIdentifierRules(ctx.env, ctx.identifier_policy_file);
}

Result<policy::RetentionPolicy> LoadRetention(Context& ctx, const std::string& file) {
  if (file.empty())
    return policy::ParseRetentionPolicy(kDefaultRetentionPolicy, "policies/retention.toml");
  return policy::LoadRetentionPolicy(ctx.env, file);
}

std::string PolicyHash(const std::string& text) { return HashHex(crypto::PlainHash(text)); }

std::string HashHex(const crypto::Hash& h) { return crypto::ToHex(h); }

Result<crypto::Hash> HashFromHex(const std::string& hex) {
  DV_ASSIGN_OR_RETURN(std::string raw, crypto::FromHex(hex));
  if (raw.size() != 32) return Status::Failed("identifier hash has the wrong length");
  crypto::Hash h{};
  std::copy(raw.begin(), raw.end(), h.begin());
  return h;
}

std::string TypeName(uint8_t type) {
  if (type >= 1 && type <= 4)
    return std::string(format::DataTypeName(static_cast<format::DataType>(type)));
  return "unknown";
}

Json TimeOrNull(const std::optional<int64_t>& ms) {
  return ms ? Json(FormatTime(*ms)) : Json(nullptr);
}

Result<std::vector<Subject>> ResolveSubjects(store::Archive& a,
                                             const std::vector<std::string>& args,
                                             const policy::IdentifierRules& rules) {
  if (args.empty()) return Status::Usage("name at least one subject as KIND:VALUE");
  identity::NormalizeOptions opts;
  opts.default_region = rules.default_region;
  std::vector<Subject> out;
  for (size_t i = 0; i < args.size(); ++i) {
    auto parsed = identity::ParseSubject(args[i], opts);
    if (!parsed.ok())
      return Status(parsed.status().code(),
                    "subject " + std::to_string(i + 1) + ": " + parsed.status().message());
    auto kind = parsed.value().first;
    out.push_back({kind, a.IdentifierHash(static_cast<uint8_t>(kind), parsed.value().second.value)});
  }
  return out;
}

namespace {
bool Followable(uint8_t kind) {
  auto k = static_cast<identity::Kind>(kind);
  return k != identity::Kind::kIp && k != identity::Kind::kAgent;
}
std::string Pseudonym(const crypto::Hash& h) { return HashHex(h).substr(0, 16); }
}  // namespace

Result<SubjectClosure> Close(store::Archive& a, const std::vector<Subject>& subjects, bool expand,
                             int max_emails_per_link) {
  SubjectClosure c;
  std::set<crypto::Hash> known;
  for (const auto& s : subjects) {
    if (known.insert(s.hash).second) {
      c.hashes.push_back(s.hash);
      c.kinds[s.hash] = static_cast<uint8_t>(s.kind);
    }
  }
  if (!expand) return c;
  std::set<crypto::Hash> refused;
  std::set<int64_t> visited;
  std::vector<crypto::Hash> frontier = c.hashes;
  while (!frontier.empty()) {
    DV_ASSIGN_OR_RETURN(auto matches, a.Find(frontier));
    std::vector<crypto::Hash> next;
    for (const auto& m : matches) {
      if (!visited.insert(m.record_id).second) continue;
      DV_ASSIGN_OR_RETURN(auto ids, a.IdentifiersOf(m.record_id));
      for (const auto& [h, kind] : ids) {
        if (kind == kUnsearchableKind) continue;  // a marker shared by records, not a person
        if (known.count(h) || refused.count(h)) continue;
        std::string where = TypeName(m.type) + " record " + std::to_string(m.record_id);
        std::string kname(identity::KindName(static_cast<identity::Kind>(kind)));
        if (!Followable(kind)) {
          refused.insert(h);
          c.not_followed.push_back(
              {kind, Pseudonym(h),
               kname + " in " + where + " not followed: " +
                   (static_cast<identity::Kind>(kind) == identity::Kind::kIp
                        ? "IP addresses are shared by many people"
                        : "agent ids link every conversation an agent handled")});
          continue;
        }
        DV_ASSIGN_OR_RETURN(int64_t emails,
                            a.CoOccurring(h, static_cast<uint8_t>(identity::Kind::kEmail),
                                          max_emails_per_link));
        if (static_cast<identity::Kind>(kind) != identity::Kind::kEmail &&
            emails > max_emails_per_link) {
          refused.insert(h);
          c.not_followed.push_back({kind, Pseudonym(h),
                                    kname + " in " + where + " not followed: seen with more than " +
                                        std::to_string(max_emails_per_link) +
                                        " distinct e-mail addresses (shared)"});
          continue;
        }
        known.insert(h);
        c.hashes.push_back(h);
        c.kinds[h] = kind;
        next.push_back(h);
        std::string via;
        for (uint8_t mk : m.kinds)
          via += (via.empty() ? "" : "+") +
                 std::string(identity::KindName(static_cast<identity::Kind>(mk)));
        c.followed.push_back({kind, Pseudonym(h), kname + " found in " + where + " matched by " + via});
      }
    }
    frontier = std::move(next);
  }
  return c;
}

Json LinksJson(const std::vector<Link>& links) {
  Json out = Json::array();
  for (const auto& l : links)
    out.push_back({{"kind", identity::KindName(static_cast<identity::Kind>(l.kind))},
                   {"id", l.id},
                   {"why", l.why}});
  return out;
}

Result<std::map<int64_t, policy::HoldInfo>> HeldRecords(store::Archive& a, int64_t at) {
  std::map<int64_t, policy::HoldInfo> held;
  DV_ASSIGN_OR_RETURN(auto holds, a.ListHolds());
  for (const auto& h : holds) {
    if (h.released_ms) continue;
    if (h.until_ms && *h.until_ms <= at) continue;
    Json subjects = Json::parse(h.subjects, nullptr, false);
    std::vector<crypto::Hash> hashes;
    if (subjects.is_array())
      for (const auto& s : subjects) {
        auto hh = HashFromHex(s.get<std::string>());
        if (hh.ok()) hashes.push_back(hh.value());
      }
    DV_ASSIGN_OR_RETURN(auto matches, a.Find(hashes));
    for (const auto& m : matches)
      if (!held.count(m.record_id)) held[m.record_id] = {h.id, h.reason, h.until_ms};
  }
  return held;
}

Result<store::AuditRow> AuditAndCommitRow(store::Archive& a, const std::string& event,
                                          const Json& body) {
  audit::AuditLog log(&a);
  DV_ASSIGN_OR_RETURN(store::AuditRow row, log.Append(event, body.dump()));
  DV_RETURN_IF_ERROR(a.Commit());
  // From here on the change is durable: a failing anchor must not read as if it were not.
  Status anchored = log.Anchor(row);
  if (!anchored.ok())
    return Status(anchored.code(), event + " was committed as audit entry " +
                                       std::to_string(row.seq) +
                                       ", but the audit anchor was not updated (" +
                                       anchored.message() + ")");
  return row;
}

Status AuditAndCommit(store::Archive& a, const std::string& event, const Json& body) {
  return AuditAndCommitRow(a, event, body).status();
}

Status AuditRefusal(store::Archive& a, const std::string& command, const std::string& reason) {
  a.Rollback();
  DV_RETURN_IF_ERROR(a.Begin());
  return AuditAndCommit(a, "refusal", Json{{"command", command}, {"reason", reason}});
}

static std::string Real(const std::string& p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf) == nullptr) return p;
  return buf;
}

Status WriteOutputFile(Context& ctx, const std::string& path, std::string_view data) {
  if (path.empty()) return Status::Usage("an output file is required (--out FILE)");
  std::string parent = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (parent.empty()) parent = "/";
  std::string rp = Real(parent), ra = Real(ctx.archive_dir);
  if (rp == ra || rp.rfind(ra + "/", 0) == 0)
    return Status::Usage("refusing to write " + path + " inside the archive directory");
  return WriteFileAtomically(ctx.env, path, data, 0600);
}

}  // namespace davault::compliance
