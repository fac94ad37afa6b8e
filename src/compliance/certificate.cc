// Certificates: canonical JSON, Ed25519 over its bytes, strict re-rendering on verification.
#include "compliance/certificate.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "base/time.h"
#include "compliance/common.h"

namespace davault::compliance {
namespace {

constexpr char kSignatureKey[] = "signature";

std::string Canonical(const Json& doc) { return doc.dump(2) + "\n"; }

std::string SafeName(const std::string& s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out.substr(0, 80);
}

std::string CertificatePath(const std::string& archive_dir, const std::string& request,
                            int64_t audit_seq) {
  return JoinPath(JoinPath(archive_dir, "certificates"),
                  SafeName(request) + "-" + std::to_string(audit_seq) + ".json");
}

Status CertifyOne(Context& ctx, store::Archive& a, const store::AuditRow& row, const Json& body) {
  std::string ref = body.value("request", "");
  DV_ASSIGN_OR_RETURN(auto req, a.GetRequest(ref));
  if (!req) return Status::Ok();
  ErasureFacts f;
  f.request = *req;
  f.subjects = body.value("subjects", Json::array());
  f.records_erased = body.value("records_erased", int64_t{0});
  f.records_held = body.value("records_held", int64_t{0});
  f.plan_hash = body.value("plan", "");
  f.erase_entry = row;
  f.completed_by_recovery = true;
  f.completed_by = body.value("completed_by", "");
  f.counts_before = body.value("per_type", Json::object());
  if (f.completed_by.empty()) {
    // An erase entry: the request row holds what its plan kept under holds.
    Json details = Json::parse(req->details, nullptr, false);
    if (!details.is_object()) details = Json::object();
    for (const auto& rec : details.value("held", Json::array())) {
      std::string t = rec.value("type", "");
      f.counts_before[t] = f.counts_before.value(t, 0) + 1;
      f.counts_after[t] = f.counts_after.value(t, 0) + 1;
      f.held.push_back(
          {{"record", rec["record"]}, {"hold", rec["hold"]}, {"reason", rec["reason"]}});
    }
  }
  DV_ASSIGN_OR_RETURN(auto held_ids, HeldRecords(a, ctx.env->NowMillis()));
  // Verify afresh: nothing but held records may still answer to the subjects.
  std::vector<crypto::Hash> hashes;
  for (const auto& h : f.subjects) {
    if (!h.is_string()) continue;
    auto hh = HashFromHex(h.get<std::string>());
    if (hh.ok()) hashes.push_back(hh.value());
  }
  DV_ASSIGN_OR_RETURN(auto after, a.Find(hashes));
  for (const auto& m : after)
    if (!held_ids.count(m.record_id)) ++f.records_answering;
  DV_ASSIGN_OR_RETURN(std::string path, IssueErasureCertificate(ctx, a, f));
  if (ctx.log && ctx.verbosity != Verbosity::kQuiet)
    ctx.log("issued the certificate of erasure " + req->ref +
            ", which an interrupted process had not written: " + path);
  return Status::Ok();
}

}  // namespace

std::string SignCertificate(const store::Archive& a, Json doc) {
  doc["public_key"] = crypto::ToHex(a.signer().public_key());
  std::string body = Canonical(doc);
  crypto::Signature sig = a.signer().Sign(body);
  doc[kSignatureKey] = crypto::ToHex(sig);
  return Canonical(doc);
}

Result<std::string> IssueErasureCertificate(Context& ctx, store::Archive& a,
                                            const ErasureFacts& f) {
  DV_ASSIGN_OR_RETURN(auto rules, LoadRules(ctx));
  const store::RequestRow& req = f.request;
  Json cert = {
      {"davault_certificate", 1},
      {"request", req.ref},
      {"archive_id", a.archive_id_hex()},
      {"issued_at", FormatTime(ctx.env->NowMillis())},
      {"received", FormatTime(req.received_ms)},
      {"deadline", FormatTime(req.extended_deadline_ms.value_or(req.deadline_ms))},
      {"status", req.status},
      {"subjects", f.subjects},
      {"counts_before", f.counts_before},
      {"counts_after", f.counts_after},
      {"records_erased", f.records_erased},
      {"records_held", f.records_held},
      {"held", f.held},
      {"storage_files_rewritten",
       f.storage_files_rewritten ? Json(*f.storage_files_rewritten) : Json(nullptr)},
      {"residue_scan",
       {{"ok", f.records_answering == 0 && f.index_rows_left.value_or(0) == 0},
        {"records_answering_to_subjects", f.records_answering}}},
      {"plan", f.plan_hash}};
  for (const auto& [k, v] : f.extra.items()) cert[k] = v;
  cert["audit_entry"] = {{"seq", f.erase_entry.seq}, {"hash", crypto::ToHex(f.erase_entry.hash)}};
  cert["tool_version"] = DAVAULT_VERSION;
  cert["policy_hash"] = PolicyHash(rules.source_text_hash_input);
  if (f.index_rows_left) cert["residue_scan"]["index_rows_of_erased_records"] = *f.index_rows_left;
  if (!f.completed_by.empty()) cert["completed_by"] = f.completed_by;
  if (f.completed_by_recovery) cert["completed_by_recovery"] = true;
  return StoreCertificate(ctx, req.ref, f.erase_entry.seq, SignCertificate(a, cert));
}

Status CertifyInterruptedErasure(Context& ctx, store::Archive& a) {
  DV_ASSIGN_OR_RETURN(auto rows, a.RecentAudit("erase", 64));
  for (const store::AuditRow& row : rows) {
    Json body = Json::parse(row.body, nullptr, false);
    if (!body.is_object()) continue;  // audit verify reports a damaged entry
    std::string ref = body.value("request", "");
    if (ctx.env->Exists(CertificatePath(ctx.archive_dir, ref, row.seq))) break;
    DV_RETURN_IF_ERROR(CertifyOne(ctx, a, row, body));
  }
  return Status::Ok();
}

Result<std::string> StoreCertificate(Context& ctx, const std::string& request, int64_t audit_seq,
                                     const std::string& text) {
  std::string dir = JoinPath(ctx.archive_dir, "certificates");
  if (!ctx.env->Exists(dir)) DV_RETURN_IF_ERROR(ctx.env->MakeDir(dir, 0700));
  std::string path = CertificatePath(ctx.archive_dir, request, audit_seq);
  DV_RETURN_IF_ERROR(WriteFileAtomically(ctx.env, path, text, 0600));
  return path;
}

Outcome VerifyCertificate(Context& ctx, const std::string& cert_file,
                          const std::string& pubkey_file) {
  Outcome out;
  auto fail = [&](Status s) {
    out.result["ok"] = false;
    out.status = std::move(s);
    return out;
  };
  auto text = ReadFileToString(ctx.env, cert_file);
  if (!text.ok()) return fail(text.status());
  auto pk_text = ReadFileToString(ctx.env, pubkey_file);
  if (!pk_text.ok()) return fail(pk_text.status());
  std::string hex;
  for (char c : pk_text.value())
    if (!std::isspace(static_cast<unsigned char>(c))) hex += c;
  auto pk_raw = crypto::FromHex(hex);
  if (!pk_raw.ok() || pk_raw.value().size() != 32)
    return fail(Status::Usage("public key file " + pubkey_file +
                              " does not hold a hex Ed25519 key (use: davault audit pubkey)"));
  Json doc = Json::parse(text.value(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains(kSignatureKey) ||
      !doc[kSignatureKey].is_string())
    return fail(Status::VerifyFailed("certificate " + cert_file + " is not a signed certificate"));
  if (Canonical(doc) != text.value())
    return fail(Status::VerifyFailed("certificate " + cert_file +
                                     " is not in its signed form (it was edited)"));
  auto sig_raw = crypto::FromHex(doc[kSignatureKey].get<std::string>());
  crypto::Signature sig{};
  crypto::PublicKey pk{};
  std::copy(pk_raw.value().begin(), pk_raw.value().end(), pk.begin());
  if (!sig_raw.ok() || sig_raw.value().size() != sig.size())
    return fail(Status::VerifyFailed("certificate " + cert_file + " has a malformed signature"));
  std::copy(sig_raw.value().begin(), sig_raw.value().end(), sig.begin());
  if (doc.value("public_key", "") != hex)
    return fail(Status::VerifyFailed("certificate " + cert_file +
                                     " was signed by another key than " + pubkey_file));
  Json body = doc;
  body.erase(kSignatureKey);
  if (!crypto::VerifySignature(pk, Canonical(body), sig))
    return fail(Status::VerifyFailed("certificate " + cert_file +
                                     ": signature does not verify (it was altered)"));
  out.result = {{"ok", true},
                {"request", doc.value("request", "")},
                {"records_erased", doc.value("records_erased", Json(0))},
                {"issued_at", doc.value("issued_at", "")}};
  return out;
}

}  // namespace davault::compliance
