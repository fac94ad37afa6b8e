// rekey: re-wrap every record key under a new wrapping key and the archive secrets under a new
// user key, in steps that a crash can interrupt anywhere and a re-run finishes.
//
// Steps (each its own transaction): 1. record the rekey in progress (both wrapping keys, sealed
// under both user keys, so either key opens the archive); 2. re-wrap records in batches (each
// record says which generation wraps it); 3. seal the secrets under the new user key alone and
// drop the old wrapping key; then checkpoint the WAL so no page holding the old keys remains.
#include "base/crash_point.h"
#include "compliance/common.h"

namespace davault::compliance {

Outcome Rekey(Context& ctx, const RekeyOptions& opts) {
  Outcome out;
  Json& res = out.result;
  auto fail = [&](Status s) {
    out.status = std::move(s);
    return out;
  };
  if (opts.new_key.type == store::KeySource::Type::kNone)
    return fail(
        Status::Usage("rekey needs the new key: set DAVAULT_NEW_KEY_FILE or "
                      "DAVAULT_NEW_PASSPHRASE"));
  if (opts.batch < 1) return fail(Status::Usage("--batch must be at least 1"));

  auto opened = OpenArchive(ctx, store::Access::kWrite);
  if (!opened.ok()) {
    // A re-run after an interrupted rekey: if the current key no longer opens the archive but
    // the new one does, the rekey finished (report it) or is half-way (finish it).
    if (opened.status().code() == Code::kBusy) return fail(opened.status());
    auto again = store::Archive::Open(ctx.env, ctx.archive_dir, opts.new_key, store::Access::kWrite,
                                      ctx.lock_timeout_ms);
    if (!again.ok()) return fail(opened.status());
    Status rec = RecordRecovery(ctx, *again.value(), /*writer=*/true);
    if (!rec.ok()) return fail(rec);
    auto st = again.value()->GetRekeyState();
    if (!st.ok()) return fail(st.status());
    if (!st.value().in_progress) {
      Status c = again.value()->Checkpoint();
      if (!c.ok()) return fail(c);
      res["status"] = "already_rekeyed";
      res["records_rewrapped"] = 0;
      res["key_generation"] = st.value().to_generation;
      if (ctx.log && ctx.verbosity != Verbosity::kQuiet)
        ctx.log("the archive is already unlocked by the new key; nothing to do");
      return out;
    }
    opened = std::move(again);
  }
  store::Archive& a = *opened.value();
  auto before = a.GetRekeyState();
  if (!before.ok()) return fail(before.status());
  bool resumed = before.value().in_progress;

  Status s = a.Begin();
  if (!s.ok()) return fail(s);
  bool created_key_file = false;
  s = a.StartRekey(opts.new_key, &created_key_file);
  if (!s.ok()) {
    a.Rollback();
    return fail(s);
  }
  auto started = a.GetRekeyState();
  if (!started.ok()) return fail(started.status());
  const int64_t from = started.value().from_generation, to = started.value().to_generation;
  std::string new_key_kind =
      opts.new_key.type == store::KeySource::Type::kKeyFile ? "key_file" : "passphrase";
  if (resumed) {
    a.Rollback();  // StartRekey only checked the new key; nothing to write
    if (ctx.log && ctx.verbosity != Verbosity::kQuiet)
      ctx.log("resuming the interrupted rekey to key generation " + std::to_string(to));
  } else {
    s = AuditAndCommit(a, "rekey_started",
                       Json{{"from_generation", from},
                            {"to_generation", to},
                            {"records", started.value().records_left},
                            {"new_key", new_key_kind}});
    if (!s.ok()) return fail(s);
    CrashPoint("rekey.after_start");
  }

  int64_t rewrapped = 0;
  while (true) {
    auto n = a.RewrapBatch(opts.batch);
    if (!n.ok()) return fail(n.status());
    if (n.value() == 0) break;
    rewrapped += n.value();
    CrashPoint("rekey.after_batch");
    if (ctx.verbosity == Verbosity::kVerbose && ctx.log)
      ctx.log("re-wrapped " + std::to_string(rewrapped) + " record keys");
  }

  CrashPoint("rekey.before_swap");
  s = a.Begin();
  if (!s.ok()) return fail(s);
  s = a.FinishRekeyInTransaction();
  if (!s.ok()) {
    a.Rollback();
    return fail(s);
  }
  s = AuditAndCommit(a, "rekey",
                     Json{{"from_generation", from},
                          {"to_generation", to},
                          {"records_rewrapped", rewrapped},
                          {"resumed", resumed},
                          {"new_key", new_key_kind}});
  if (!s.ok()) return fail(s);
  // No WAL frame may keep a page with the old wrapping key or the old sealed secrets.
  s = a.Checkpoint();
  if (!s.ok()) return fail(s);

  res["status"] = "completed";
  res["records_rewrapped"] = rewrapped;
  res["key_generation"] = to;
  res["previous_key_generation"] = from;
  res["resumed"] = resumed;
  res["new_key"] = new_key_kind;
  if (opts.new_key.type == store::KeySource::Type::kKeyFile) {
    res["key_file"] = opts.new_key.key_file;
    res["key_file_created"] = created_key_file;
  }
  if (ctx.log && ctx.verbosity != Verbosity::kQuiet)
    ctx.log("rekeyed: " + std::to_string(rewrapped) +
            " record keys re-wrapped under key "
            "generation " +
            std::to_string(to) + "; the old key no longer opens the archive");
  return out;
}

}  // namespace davault::compliance
