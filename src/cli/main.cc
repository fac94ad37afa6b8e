// davault's command line: CLI11 parsing, the environment, human or JSON output, exit codes.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "base/env_wrapper.h"
#include "base/time.h"
#include "cli/render.h"
#include "client/dataaccess.h"
#include "client/oauth2.h"
#include "compliance/certificate.h"
#include "compliance/workflows.h"

namespace davault::cli {
namespace {

using compliance::Json;
using compliance::Outcome;

struct Globals {
  std::string archive;
  bool json = false;
  bool quiet = false;
  bool verbose = false;
  std::string identifiers_policy;
  uint64_t max_record_bytes = 64ull << 20;
  uint64_t max_inflated_bytes = 16ull << 30;
  uint64_t max_inflate_ratio = 1000;
  int max_depth = 256;
};

// Parses a time option, turning a bad value into a usage error that names the option.
Status TimeOpt(const std::string& name, const std::string& text, std::optional<int64_t>* out,
               const CLI::App* where = nullptr) {
  if (text.empty()) {
    if (where != nullptr && where->count(name) > 0)
      return Status::Usage(name + ": an empty value is not a time");
    return Status::Ok();
  }
  auto t = ParseTime(text);
  if (!t.ok()) return Status::Usage(name + ": " + t.status().message());
  *out = t.value();
  return Status::Ok();
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size() && !s.empty()) {
    size_t c = s.find(',', pos);
    if (c == std::string::npos) c = s.size();
    std::string item = s.substr(pos, c - pos);
    if (!item.empty()) out.push_back(item);
    pos = c + 1;
  }
  return out;
}

int Finish(const std::string& command, const Globals& g, const Outcome& o) {
  if (g.json) {
    Json doc = o.result.is_object() ? o.result : Json::object();
    doc.erase("rendered");
    if (!o.status.ok()) {
      doc["error"] = o.status.message();
      doc["exit_code"] = o.status.exit_code();
    }
    std::cout << doc.dump(2) << "\n";
  } else if (o.status.ok() || (command != "report" && command != "init")) {
    // A failed command still shows what it did (files_failed, a refused plan), except where
    // its result would only be the output it could not write.
    std::string text = RenderText(command, o.result.is_object() ? o.result : Json::object());
    if (!text.empty()) std::cout << text;
  }
  std::cout.flush();
  if (!o.status.ok()) std::cerr << "davault " << command << ": " << o.status.message() << "\n";
  return o.status.exit_code();
}

int Run(int argc, char** argv) {
  CLI::App app{"davault: an encrypted, indexed archive of LivePerson Data Access exports with "
               "provable GDPR retention and erasure"};
  app.set_version_flag("--version", std::string("davault ") + DAVAULT_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  Globals g;
  app.add_option("--archive", g.archive,
                 "archive directory (default: $DAVAULT_ARCHIVE, else ./davault-archive)");
  app.add_flag("--json", g.json, "print one JSON document on stdout");
  app.add_flag("--quiet,-q", g.quiet, "less on stderr");
  app.add_flag("--verbose,-v", g.verbose, "more on stderr");
  app.add_option("--identifiers-policy", g.identifiers_policy,
                 "identifier policy file (default: the built-in policies/identifiers.toml)");
  app.add_option("--max-record-bytes", g.max_record_bytes, "largest record accepted (64 MiB)");
  app.add_option("--max-inflated-bytes", g.max_inflated_bytes,
                 "largest inflated file accepted (16 GiB)");
  app.add_option("--max-inflate-ratio", g.max_inflate_ratio,
                 "largest inflated/compressed ratio accepted (1000)");
  app.add_option("--max-json-depth", g.max_depth, "deepest JSON nesting accepted (256)");

  // init
  auto* init = app.add_subcommand("init", "create an archive (index, storage, keys)");
  // ingest
  compliance::IngestOptions ingest_opts;
  auto* ingest = app.add_subcommand("ingest", "ingest local Data Access files (.gz or plain)");
  ingest->add_option("FILE", ingest_opts.files, "files to ingest")->required();
  // PGP-encrypted values (LivePerson's PGP option): the secret key, also $DAVAULT_PGP_KEY.
  std::string pgp_key;
  const char* pgp_key_help =
      "secret PGP key file (mode 0600) that decrypts PGP-encrypted values for indexing "
      "(else $DAVAULT_PGP_KEY)";
  ingest->add_option("--pgp-key", pgp_key, pgp_key_help);
  // pull
  compliance::PullOptions pull_opts;
  std::string pull_region, pull_types, pull_from, pull_to, pull_lag = "2", pull_overlap = "6";
  auto* pull = app.add_subcommand("pull", "list, download and ingest Data Access files");
  pull->add_option("--account", pull_opts.account, "LiveEngage account (site) id")->required();
  pull->add_option("--region", pull_region, "us, uk or apac");
  pull->add_option("--base-url", pull_opts.base_url,
                   "Data Access base URL (https://, or http:// to loopback only)");
  pull->add_option("--types", pull_types,
                   "comma-separated: agentActivity,webSession,engagement,survey (default all)");
  pull->add_option("--from", pull_from, "start of the first window (default: where the last "
                                        "pull ended, minus the overlap)");
  pull->add_option("--to", pull_to, "end of the last window (default: now minus the lag)");
  pull->add_option("--ca-file", pull_opts.ca_file, "extra CA certificate (PEM) for a proxy");
  pull->add_option("--credentials", pull_opts.credentials_file,
                   "credentials file (mode 0600) instead of the LP_* environment variables");
  pull->add_option("--pgp-key", pgp_key, pgp_key_help);
  pull->add_option("--lag-hours", pull_lag, "hours the window end stays behind now (2)");
  pull->add_option("--overlap-hours", pull_overlap, "hours re-scanned for late files (6)");
  pull->add_option("--parallel", pull_opts.parallel, "concurrent downloads, 1 to 32 (4)");
  pull->add_option("--auth", pull_opts.auth,
                   "oauth1 (LP_APP_KEY, LP_APP_SECRET, LP_ACCESS_TOKEN, LP_ACCESS_TOKEN_SECRET; "
                   "the default) or oauth2 (client credentials LP_CLIENT_ID, LP_CLIENT_SECRET)")
      ->check(CLI::IsMember({"oauth1", "oauth2"}));
  pull->add_option("--auth-url", pull_opts.auth_url,
                   "oauth2 token endpoint (default: the region's sentinel.liveperson.net, or "
                   "the --base-url host)");
  // find
  compliance::FindOptions find_opts;
  auto* find = app.add_subcommand("find", "list the records that hold a subject");
  find->add_option("ID", find_opts.subjects, "subjects as KIND:VALUE")->required();
  find->add_flag("--expand", find_opts.expand, "follow linked identifiers");
  // export
  compliance::ExportOptions export_opts;
  std::string export_received;
  auto* exp = app.add_subcommand("export", "write a subject's records as one JSON document");
  exp->add_option("ID", export_opts.subjects, "subjects as KIND:VALUE")->required();
  exp->add_flag("--expand", export_opts.expand, "follow linked identifiers");
  exp->add_option("--out", export_opts.out, "output file (outside the archive)")->required();
  exp->add_option("--request", export_opts.request, "access request reference");
  exp->add_option("--received", export_received, "when the request was received");
  // erase
  compliance::EraseOptions erase_opts;
  std::string erase_received;
  auto* erase = app.add_subcommand("erase", "erase every record of a subject, prove it, record it");
  erase->add_option("ID", erase_opts.subjects, "subjects as KIND:VALUE")->required();
  erase->add_option("--request", erase_opts.request, "request reference")->required();
  erase->add_option("--received", erase_received, "when the request was received (default now)");
  erase->add_flag("--expand", erase_opts.expand, "follow linked identifiers");
  erase->add_flag("--dry-run", erase_opts.dry_run, "show exactly what would go; change nothing");
  erase->add_option("--plan", erase_opts.plan_hash, "apply only this plan (hash from --dry-run)");
  erase->add_option("--save-plan", erase_opts.save_plan, "with --dry-run: write the plan here");
  // requests
  std::string req_ref, ext_ref, ext_reason;
  auto* requests = app.add_subcommand("requests", "erasure and access requests with deadlines");
  requests->add_option("REF", req_ref, "one request");
  auto* extend = requests->add_subcommand("extend", "extend a request's deadline by two months");
  extend->add_option("REF", ext_ref, "request reference")->required();
  extend->add_option("--reason", ext_reason, "why (recorded)")->required();
  // hold
  compliance::HoldOptions hold_opts;
  std::string hold_until, hold_id;
  auto* hold = app.add_subcommand("hold", "legal holds");
  hold->require_subcommand(1);
  auto* hold_add = hold->add_subcommand("add", "hold a subject's records");
  hold_add->add_option("ID", hold_opts.subjects, "subjects as KIND:VALUE")->required();
  hold_add->add_option("--reason", hold_opts.reason, "why (recorded)")->required();
  hold_add->add_option("--until", hold_until, "when the hold ends (default: until released)");
  auto* hold_list = hold->add_subcommand("list", "list holds");
  auto* hold_release = hold->add_subcommand("release", "release a hold");
  hold_release->add_option("HOLD", hold_id, "hold id")->required();
  // sweep
  compliance::SweepOptions sweep_opts;
  std::string sweep_as_of;
  auto* sweep = app.add_subcommand("sweep", "delete what the retention policy says has expired");
  sweep->add_flag("--dry-run", sweep_opts.dry_run, "show what would go; change nothing");
  sweep->add_option("--as-of", sweep_as_of, "evaluate the policy at this instant");
  sweep->add_option("--policy", sweep_opts.policy_file, "retention policy file");
  sweep->add_flag("--force", sweep_opts.force, "override the sweep's safety refusals");
  // verify
  compliance::VerifyOptions verify_opts;
  auto* verify = app.add_subcommand("verify", "check index, storage, payloads and audit chain");
  verify->add_flag("--deep", verify_opts.deep, "also scan for residue of erased subjects");
  // audit
  auto* audit_cmd = app.add_subcommand("audit", "the audit log");
  audit_cmd->require_subcommand(1);
  auto* audit_verify = audit_cmd->add_subcommand("verify", "check the audit log alone");
  auto* audit_pubkey = audit_cmd->add_subcommand("pubkey", "print the audit signing public key");
  // certificate
  std::string cert_file, cert_pubkey;
  auto* cert_cmd = app.add_subcommand("certificate", "erasure certificates");
  cert_cmd->require_subcommand(1);
  auto* cert_verify =
      cert_cmd->add_subcommand("verify", "check a certificate with only the public key");
  cert_verify->add_option("CERT", cert_file, "certificate file")->required();
  cert_verify->add_option("--pubkey", cert_pubkey, "public key file (from: davault audit pubkey)")
      ->required();
  // rekey
  compliance::RekeyOptions rekey_opts;
  auto* rekey =
      app.add_subcommand("rekey",
                         "re-wrap every record key under a new key (DAVAULT_NEW_KEY_FILE or "
                         "DAVAULT_NEW_PASSPHRASE); a re-run finishes an interrupted rekey");
  rekey->add_option("--batch", rekey_opts.batch, "records re-wrapped per transaction (1000)");
  // report
  compliance::ReportOptions report_opts;
  std::string report_from, report_to;
  auto* report = app.add_subcommand("report", "the compliance report for a period");
  report->add_option("--from", report_from, "start of the period");
  report->add_option("--to", report_to, "end of the period");
  report->add_option("--format", report_opts.format, "text, json, csv or html")
      ->check(CLI::IsMember({"text", "json", "csv", "html"}));
  report->add_option("--out", report_opts.out, "write the report to this file");
  report->add_option("--policy", report_opts.policy_file, "retention policy file");
  // reindex
  auto* reindex = app.add_subcommand("reindex", "rebuild the identifier index under the current "
                                                "normalization rules and identifier policy");
  reindex->add_option("--pgp-key", pgp_key, pgp_key_help);
  // status
  std::string status_policy;
  auto* status = app.add_subcommand("status", "files, records, expiry and open requests");
  status->add_option("--policy", status_policy, "retention policy file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    for (int i = 1; i < argc; ++i)
      if (std::string(argv[i]) == "--json") {
        std::cout << Json{{"error", e.what()}, {"exit_code", 2}}.dump(2) << "\n";
        break;
      }
    return 2;
  }

  // The environment: archive, key, clock.
  // fixed before ctx: ctx (its PGP keyring) uses the Env until it is destroyed.
  std::unique_ptr<Env> fixed;
  compliance::Context ctx;
  Env* env = Env::Default();
  if (const char* now = std::getenv("DAVAULT_NOW"); now != nullptr && *now) {
    auto t = ParseTime(now);
    if (!t.ok()) {
      std::cerr << "davault: DAVAULT_NOW: " << t.status().message() << "\n";
      return 2;
    }
    fixed = std::make_unique<FixedClockEnv>(env, t.value());
    env = fixed.get();
  }
  ctx.env = env;
  ctx.network_env = Env::Default();
  if (g.archive.empty()) {
    const char* a = std::getenv("DAVAULT_ARCHIVE");
    g.archive = a && *a ? a : "./davault-archive";
  }
  ctx.archive_dir = g.archive;
  ctx.key = store::KeySource::FromEnvironment();
  if (const char* t = std::getenv("DAVAULT_LOCK_TIMEOUT_MS"); t && *t) ctx.lock_timeout_ms = std::atoi(t);
  ctx.identifier_policy_file = g.identifiers_policy;
  if (pgp_key.empty()) {
    if (const char* k = std::getenv("DAVAULT_PGP_KEY"); k != nullptr) pgp_key = k;
  }
  ctx.pgp_key_file = pgp_key;
  if (const char* p = std::getenv("DAVAULT_PGP_PASSPHRASE"); p != nullptr) ctx.pgp_passphrase = p;
  ctx.limits.max_record_bytes = g.max_record_bytes;
  ctx.limits.max_inflated_bytes = g.max_inflated_bytes;
  ctx.limits.max_inflate_ratio = g.max_inflate_ratio;
  ctx.limits.max_depth = g.max_depth;
  ctx.verbosity = g.quiet ? compliance::Verbosity::kQuiet
                  : g.verbose ? compliance::Verbosity::kVerbose : compliance::Verbosity::kNormal;
  // On a terminal, ctx.progress redraws one line in place ("\r", erase to the end of the line);
  // a log line first clears it so the two never share a line. Elsewhere (cron, pipes) there is
  // no live line and the workflows log plain lines instead. Callers serialise the two.
  auto live_line = std::make_shared<bool>(false);
  ctx.log = [&g, live_line](const std::string& line) {
    if (g.quiet) return;
    if (*live_line) std::cerr << "\r\033[K";
    *live_line = false;
    std::cerr << line << "\n";
  };
  if (!g.quiet && isatty(STDERR_FILENO) == 1) {
    ctx.progress = [live_line](const std::string& line) {
      std::cerr << "\r" << line << "\033[K" << std::flush;
      *live_line = true;
    };
  }

  Outcome o;
  auto usage = [&](const std::string& cmd, Status s) {
    Outcome u;
    u.status = std::move(s);
    return Finish(cmd, g, u);
  };

  if (init->parsed()) {
    Json r;
    o.status = compliance::Init(ctx, &r);
    o.result = r;
    return Finish("init", g, o);
  }
  if (ingest->parsed()) return Finish("ingest", g, compliance::Ingest(ctx, ingest_opts));
  if (pull->parsed()) {
    if (!pull_region.empty() && !pull_opts.base_url.empty())
      return usage("pull", Status::Usage("give --region or --base-url, not both"));
    if (pull_opts.auth == "oauth2" && pull_opts.auth_url.empty()) {
      if (!pull_opts.base_url.empty()) {
        pull_opts.auth_url = client::TokenUrlOnBase(pull_opts.base_url, pull_opts.account);
      } else {
        auto u = client::RegionTokenUrl(pull_region.empty() ? "us" : pull_region,
                                        pull_opts.account);
        if (!u.ok()) return usage("pull", u.status());
        pull_opts.auth_url = u.value();
      }
    } else if (pull_opts.auth != "oauth2" && !pull_opts.auth_url.empty()) {
      return usage("pull", Status::Usage("--auth-url needs --auth oauth2"));
    }
    if (pull_opts.base_url.empty()) {
      auto u = client::RegionBaseUrl(pull_region.empty() ? "us" : pull_region);
      if (!u.ok()) return usage("pull", u.status());
      pull_opts.base_url = u.value();
    }
    pull_opts.types = SplitList(pull_types);
    Status s = TimeOpt("--from", pull_from, &pull_opts.from_ms);
    if (s.ok()) s = TimeOpt("--to", pull_to, &pull_opts.to_ms);
    if (!s.ok()) return usage("pull", s);
    try {
      pull_opts.lag_ms = static_cast<int64_t>(std::stod(pull_lag) * 3600000);
      pull_opts.overlap_ms = static_cast<int64_t>(std::stod(pull_overlap) * 3600000);
    } catch (...) {
      return usage("pull", Status::Usage("--lag-hours and --overlap-hours take numbers"));
    }
    if (pull_opts.lag_ms < 0 || pull_opts.overlap_ms < 0)
      return usage("pull", Status::Usage("--lag-hours and --overlap-hours cannot be negative"));
    if (pull_opts.parallel < 1 || pull_opts.parallel > 32)
      return usage("pull", Status::Usage("--parallel must be 1 to 32"));
    if (pull_opts.from_ms && pull_opts.to_ms && *pull_opts.from_ms >= *pull_opts.to_ms)
      return usage("pull", Status::Usage("--to must be after --from"));
    // The appendix's accountId rule: ^[a-zA-Z0-9_]{1,20}$ (it becomes part of every URL).
    bool account_ok = !pull_opts.account.empty() && pull_opts.account.size() <= 20;
    for (char c : pull_opts.account)
      account_ok = account_ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!account_ok)
      return usage("pull", Status::Usage("--account must be 1 to 20 letters, digits or _"));
    if (!pull_opts.ca_file.empty() && !Env::Default()->Exists(pull_opts.ca_file))
      return usage("pull", Status::Usage("--ca-file " + pull_opts.ca_file + " does not exist"));
    return Finish("pull", g, compliance::Pull(ctx, pull_opts));
  }
  if (find->parsed()) return Finish("find", g, compliance::Find(ctx, find_opts));
  if (exp->parsed()) {
    Status s = TimeOpt("--received", export_received, &export_opts.received_ms, exp);
    if (!s.ok()) return usage("export", s);
    if (export_opts.received_ms && *export_opts.received_ms > ctx.env->NowMillis())
      return usage("export", Status::Usage("--received lies in the future"));
    return Finish("export", g, compliance::Export(ctx, export_opts));
  }
  if (erase->parsed()) {
    Status s = TimeOpt("--received", erase_received, &erase_opts.received_ms, erase);
    if (!s.ok()) return usage("erase", s);
    if (erase_opts.received_ms && *erase_opts.received_ms > ctx.env->NowMillis())
      return usage("erase", Status::Usage("--received lies in the future"));
    if (!erase_opts.plan_hash.empty() && erase_opts.dry_run)
      return usage("erase", Status::Usage("--plan applies a plan; it cannot be combined with "
                                          "--dry-run"));
    return Finish("erase", g, compliance::Erase(ctx, erase_opts));
  }
  if (requests->parsed()) {
    if (extend->parsed())
      return Finish("requests", g, compliance::ExtendRequest(ctx, ext_ref, ext_reason));
    return Finish("requests", g, compliance::Requests(ctx, req_ref));
  }
  if (hold->parsed()) {
    if (hold_add->parsed()) {
      std::optional<int64_t> until;
      Status s = TimeOpt("--until", hold_until, &until);
      if (!s.ok()) return usage("hold", s);
      hold_opts.until_ms = until;
      return Finish("hold add", g, compliance::HoldAdd(ctx, hold_opts));
    }
    if (hold_list->parsed()) return Finish("hold list", g, compliance::HoldList(ctx));
    if (hold_release->parsed())
      return Finish("hold release", g, compliance::HoldRelease(ctx, hold_id));
  }
  if (sweep->parsed()) {
    Status s = TimeOpt("--as-of", sweep_as_of, &sweep_opts.as_of_ms, sweep);
    if (!s.ok()) return usage("sweep", s);
    return Finish("sweep", g, compliance::Sweep(ctx, sweep_opts));
  }
  if (verify->parsed()) return Finish("verify", g, compliance::Verify(ctx, verify_opts));
  if (rekey->parsed()) {
    rekey_opts.new_key =
        store::KeySource::FromEnvironment("DAVAULT_NEW_KEY_FILE", "DAVAULT_NEW_PASSPHRASE");
    return Finish("rekey", g, compliance::Rekey(ctx, rekey_opts));
  }
  if (audit_cmd->parsed()) {
    if (audit_verify->parsed()) return Finish("audit verify", g, compliance::AuditVerify(ctx));
    if (audit_pubkey->parsed()) {
      Outcome pk = compliance::AuditPubkey(ctx);
      if (!g.json && pk.status.ok()) {
        std::cout << pk.result["public_key"].get<std::string>() << "\n";
        return 0;
      }
      return Finish("audit pubkey", g, pk);
    }
  }
  if (cert_cmd->parsed() && cert_verify->parsed())
    return Finish("certificate verify", g,
                  compliance::VerifyCertificate(ctx, cert_file, cert_pubkey));
  if (report->parsed()) {
    Status s = TimeOpt("--from", report_from, &report_opts.from_ms);
    if (s.ok()) s = TimeOpt("--to", report_to, &report_opts.to_ms);
    if (!s.ok()) return usage("report", s);
    Outcome r = compliance::Report(ctx, report_opts);
    if (!g.json && r.status.ok() && r.result.contains("rendered")) {
      std::cout << r.result["rendered"].get<std::string>();
      return 0;
    }
    if (!g.json && r.status.ok()) {
      std::cout << "wrote the " << report_opts.format << " report to " << report_opts.out << "\n";
      return 0;
    }
    return Finish("report", g, r);
  }
  if (reindex->parsed()) return Finish("reindex", g, compliance::ReindexCommand(ctx));
  if (status->parsed()) return Finish("status", g, compliance::StatusSummary(ctx, status_policy));
  return usage("davault", Status::Usage("no command given; see davault --help"));
}

}  // namespace
}  // namespace davault::cli

int main(int argc, char** argv) { return davault::cli::Run(argc, argv); }
