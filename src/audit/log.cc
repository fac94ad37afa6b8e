// Audit log chaining, signing, anchoring and verification.
#include "audit/log.h"

#include <cstdlib>
#include <sstream>

#include "crypto/crypto.h"

namespace davault::audit {
namespace {

void PutLE(std::string* s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string AnchorPath() {
  const char* p = std::getenv("DAVAULT_AUDIT_ANCHOR");
  return p ? p : "";
}

}  // namespace

std::string EntryHash(const std::string& prev, int64_t seq, int64_t time_ms,
                      std::string_view event, std::string_view body) {
  std::string m = "davault/audit/v1";
  PutLE(&m, prev.size());
  m += prev;
  PutLE(&m, static_cast<uint64_t>(seq));
  PutLE(&m, static_cast<uint64_t>(time_ms));
  PutLE(&m, event.size());
  m += event;
  PutLE(&m, body.size());
  m += body;
  return std::string(crypto::AsView(crypto::PlainHash(m)));
}

Result<store::AuditRow> AuditLog::Append(std::string_view event, std::string body) {
  DV_ASSIGN_OR_RETURN(auto last, a_->LastAudit());
  store::AuditRow row;
  row.seq = last ? last->seq + 1 : 1;
  row.time_ms = a_->env()->NowMillis();
  row.event = std::string(event);
  row.body = std::move(body);
  row.prev_hash = last ? last->hash : std::string(32, '\0');
  row.hash = EntryHash(row.prev_hash, row.seq, row.time_ms, row.event, row.body);
  crypto::Signature sig = a_->signer().Sign(row.hash);
  row.signature = std::string(crypto::AsView(sig));
  DV_RETURN_IF_ERROR(a_->InsertAudit(row));
  return row;
}

Status AuditLog::Anchor(const store::AuditRow& row) {
  std::string path = AnchorPath();
  if (path.empty()) return Status::Ok();
  Env* env = a_->env();
  std::string existing;
  if (env->Exists(path)) {
    DV_ASSIGN_OR_RETURN(existing, ReadFileToString(env, path));
  }
  existing += std::to_string(row.seq) + " " + crypto::ToHex(row.hash) + "\n";
  auto s = WriteFileAtomically(env, path, existing, 0600);
  return s.ok() ? s : s.Context("cannot update audit anchor");
}

Result<Head> AuditLog::CurrentHead() {
  DV_ASSIGN_OR_RETURN(auto last, a_->LastAudit());
  Head h;
  if (last) {
    h.seq = last->seq;
    h.hash_hex = crypto::ToHex(last->hash);
    h.signature_hex = crypto::ToHex(last->signature);
  }
  return h;
}

Result<AuditLog::Verification> AuditLog::Verify() {
  Verification v;
  DV_ASSIGN_OR_RETURN(auto rows, a_->AuditRows(0));
  std::string prev(32, '\0');
  int64_t expect = 1;
  std::map<int64_t, std::string> hash_at;
  for (const auto& r : rows) {
    ++v.entries;
    std::string at = "audit entry " + std::to_string(r.seq);
    if (r.seq != expect) {
      v.problems.push_back(at + ": expected sequence " + std::to_string(expect) +
                           " (an entry was deleted, inserted or reordered)");
      expect = r.seq;
    }
    if (r.prev_hash != prev)
      v.problems.push_back(at + ": does not chain to the entry before it");
    std::string h = EntryHash(r.prev_hash, r.seq, r.time_ms, r.event, r.body);
    if (h != r.hash) v.problems.push_back(at + ": content does not match its hash (edited)");
    crypto::Signature sig{};
    if (r.signature.size() != sig.size() ||
        (std::copy(r.signature.begin(), r.signature.end(), sig.begin()),
         !crypto::VerifySignature(a_->signer().public_key(), r.hash, sig)))
      v.problems.push_back(at + ": signature does not verify");
    prev = r.hash;
    hash_at[r.seq] = r.hash;
    ++expect;
  }
  if (!rows.empty()) {
    v.head.seq = rows.back().seq;
    v.head.hash_hex = crypto::ToHex(rows.back().hash);
    v.head.signature_hex = crypto::ToHex(rows.back().signature);
  }
  std::string path = AnchorPath();
  if (!path.empty() && a_->env()->Exists(path)) {
    v.anchor_checked = true;
    DV_ASSIGN_OR_RETURN(std::string text, ReadFileToString(a_->env(), path));
    std::istringstream in(text);
    std::string line;
    int64_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty()) continue;
      std::istringstream ls(line);
      int64_t seq = 0;
      std::string hex;
      if (!(ls >> seq >> hex)) {
        v.problems.push_back("audit anchor line " + std::to_string(line_no) + " is malformed");
        continue;
      }
      auto it = hash_at.find(seq);
      if (it == hash_at.end())
        v.problems.push_back("audit anchor names entry " + std::to_string(seq) +
                             ", which the log no longer has (entries were removed)");
      else if (crypto::ToHex(it->second) != hex)
        v.problems.push_back("audit anchor hash for entry " + std::to_string(seq) +
                             " differs from the log");
    }
  }
  return v;
}

}  // namespace davault::audit
