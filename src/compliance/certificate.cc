// Certificates: canonical JSON, Ed25519 over its bytes, strict re-rendering on verification.
#include "compliance/certificate.h"

#include <cctype>

#include "compliance/common.h"

namespace davault::compliance {
namespace {

constexpr char kSignatureKey[] = "signature";

std::string Canonical(const Json& doc) { return doc.dump(2) + "\n"; }

std::string SafeName(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out.substr(0, 80);
}

}  // namespace

std::string SignCertificate(const store::Archive& a, Json doc) {
  doc["public_key"] = crypto::ToHex(a.signer().public_key());
  std::string body = Canonical(doc);
  crypto::Signature sig = a.signer().Sign(body);
  doc[kSignatureKey] = crypto::ToHex(sig);
  return Canonical(doc);
}

Result<std::string> StoreCertificate(Context& ctx, const std::string& request, int64_t audit_seq,
                                     const std::string& text) {
  std::string dir = JoinPath(ctx.archive_dir, "certificates");
  if (!ctx.env->Exists(dir)) DV_RETURN_IF_ERROR(ctx.env->MakeDir(dir, 0700));
  std::string path =
      JoinPath(dir, SafeName(request) + "-" + std::to_string(audit_seq) + ".json");
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
