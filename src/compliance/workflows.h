// The workflows behind each command: ingest, pull, find, export, erase, sweep, verify, report,
// status, requests and holds. Each returns the command's JSON result (the shape shared/CLI.md
// promises); the CLI renders it as JSON or as human text.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "davault/env.h"
#include "davault/status.h"
#include "format/record_reader.h"
#include "store/archive.h"

namespace davault::pgp {
class Keyring;
}

namespace davault::compliance {

using Json = nlohmann::ordered_json;

enum class Verbosity { kQuiet, kNormal, kVerbose };

// What every command needs: where the archive is, how to unlock it, and where to report.
struct Context {
  Env* env = nullptr;
  // The real clock, for what other machines check (OAuth timestamps); env's clock may be fixed.
  Env* network_env = nullptr;
  std::string archive_dir;
  store::KeySource key;
  int lock_timeout_ms = 10000;
  std::string identifier_policy_file;  // empty: the policy built into the binary
  format::Limits limits;
  Verbosity verbosity = Verbosity::kNormal;
  std::function<void(const std::string&)> log;       // progress and notes, to stderr
  std::function<void(const std::string&)> progress;  // a line that may be overwritten
  // --pgp-key FILE or $DAVAULT_PGP_KEY: the secret key for PGP-encrypted values (empty: none);
  // $DAVAULT_PGP_PASSPHRASE when that key is protected. Loaded once, on first use.
  std::string pgp_key_file;
  std::string pgp_passphrase;
  std::shared_ptr<pgp::Keyring> pgp_keyring;
};

// A workflow's answer: the JSON result and the exit status (non-ok statuses still carry a
// result when there is something to show, e.g. files_failed).
struct Outcome {
  Status status;
  Json result = Json::object();
};

Status Init(Context& ctx, Json* result);

struct IngestOptions {
  std::vector<std::string> files;
};
Outcome Ingest(Context& ctx, const IngestOptions& opts);

struct PullOptions {
  std::string account;
  std::string base_url;  // from --base-url or --region
  std::vector<std::string> types;
  std::optional<int64_t> from_ms, to_ms;
  std::string ca_file;
  int64_t lag_ms = 2 * 3600 * 1000LL;
  int64_t overlap_ms = 6 * 3600 * 1000LL;
  int64_t window_ms = 24 * 3600 * 1000LL;
  std::string credentials_file;
  int parallel = 4;             // concurrent downloads (--parallel)
  std::string auth = "oauth1";  // --auth: oauth1 (LP_APP_* ...) or oauth2 (LP_CLIENT_*)
  std::string auth_url;         // oauth2 token endpoint (--auth-url, else from the region/base)
};
Outcome Pull(Context& ctx, const PullOptions& opts);

struct FindOptions {
  std::vector<std::string> subjects;
  bool expand = false;
};
Outcome Find(Context& ctx, const FindOptions& opts);

struct ExportOptions {
  std::vector<std::string> subjects;
  bool expand = false;
  std::string out;
  std::string request;
  std::optional<int64_t> received_ms;
};
Outcome Export(Context& ctx, const ExportOptions& opts);

struct EraseOptions {
  std::vector<std::string> subjects;
  std::string request;
  std::optional<int64_t> received_ms;
  bool expand = false;
  bool dry_run = false;
  std::string plan_hash;  // --plan: apply only this plan
  std::string save_plan;  // --save-plan FILE (outside the archive)
};
Outcome Erase(Context& ctx, const EraseOptions& opts);

struct SweepOptions {
  bool dry_run = false;
  std::optional<int64_t> as_of_ms;
  std::string policy_file;
  bool force = false;
};
Outcome Sweep(Context& ctx, const SweepOptions& opts);

struct VerifyOptions {
  bool deep = false;
};
Outcome Verify(Context& ctx, const VerifyOptions& opts);
Outcome AuditVerify(Context& ctx);
Outcome AuditPubkey(Context& ctx);

struct RekeyOptions {
  store::KeySource new_key;  // from DAVAULT_NEW_KEY_FILE or DAVAULT_NEW_PASSPHRASE
  int64_t batch = 1000;      // records re-wrapped per transaction
};
// Re-wraps every record key under a new wrapping key and the secrets under the new user key;
// resumable: a re-run with the same keys finishes an interrupted rekey.
Outcome Rekey(Context& ctx, const RekeyOptions& opts);

struct ReportOptions {
  std::optional<int64_t> from_ms, to_ms;
  std::string format = "text";
  std::string out;
  std::string policy_file;
};
// On success result["rendered"] holds the report text (or it was written to out).
Outcome Report(Context& ctx, const ReportOptions& opts);

Outcome StatusSummary(Context& ctx, const std::string& policy_file);

// Rebuilds the identifier index from the decrypted records (after a change of rules).
Outcome ReindexCommand(Context& ctx);

Outcome Requests(Context& ctx, const std::string& ref);
Outcome ExtendRequest(Context& ctx, const std::string& ref, const std::string& reason);

struct HoldOptions {
  std::vector<std::string> subjects;
  std::string reason;
  std::optional<int64_t> until_ms;
};
Outcome HoldAdd(Context& ctx, const HoldOptions& opts);
Outcome HoldList(Context& ctx);
Outcome HoldRelease(Context& ctx, const std::string& hold);

}  // namespace davault::compliance
