// sweep: delete what the retention policy says has expired, with guards against a wrong clock,
// a wrong policy and undatable data; also completes erasures whose holds have ended.
#include <algorithm>

#include "audit/log.h"
#include "base/time.h"
#include "compliance/common.h"
#include "compliance/destroy.h"

namespace davault::compliance {

Outcome Sweep(Context& ctx, const SweepOptions& opts) {
  Outcome out;
  Json& res = out.result;
  auto fail = [&](Status s) {
    out.status = std::move(s);
    return out;
  };
  auto pol = LoadRetention(ctx, opts.policy_file);
  if (!pol.ok()) return fail(pol.status());
  const policy::RetentionPolicy& p = pol.value();
  int64_t real_now = ctx.env->NowMillis();
  int64_t as_of = opts.as_of_ms.value_or(real_now);
  auto opened = OpenArchive(ctx, opts.dry_run ? store::Access::kRead : store::Access::kWrite);
  if (!opened.ok()) return fail(opened.status());
  store::Archive& a = *opened.value();
  if (!opts.dry_run) {
    Status s = a.Begin();
    if (!s.ok()) return fail(s);
  }
  // Only records that can have expired by the latest cutoff of any type (and the undatable
  // ones) are evaluated; the rest are counted as kept without being read.
  int64_t latest_cutoff = policy::Cutoff(p, 0, as_of);
  for (uint8_t t = 1; t <= 4; ++t)
    latest_cutoff = std::max(latest_cutoff, policy::Cutoff(p, t, as_of));
  for (const auto& [t, r] : p.per_type)
    latest_cutoff = std::max(latest_cutoff, policy::Cutoff(p, t, as_of));
  auto times = a.RecordsDatedUpTo(latest_cutoff);
  if (!times.ok()) return fail(times.status());
  auto total_r = a.RecordCount();
  if (!total_r.ok()) return fail(total_r.status());
  std::vector<policy::RecordDates> dates;
  dates.reserve(times.value().size());
  for (const auto& t : times.value())
    dates.push_back({t.record_id, t.type, t.start_ms, t.end_ms, t.scope_end_ms});
  auto held = HeldRecords(a, as_of);
  if (!held.ok()) return fail(held.status());
  std::vector<policy::Decision> decisions = policy::Evaluate(p, dates, held.value(), as_of);

  std::vector<int64_t> del;
  int64_t n_held = 0, n_undatable = 0, n_keep = 0;
  Json per_type = Json::object(), held_list = Json::array(), undatable_list = Json::array();
  Json deleted_list = Json::array();
  for (const auto& d : decisions) {
    switch (d.verdict) {
      case policy::Verdict::kDelete:
        del.push_back(d.record_id);
        per_type[TypeName(d.type)] = per_type.value(TypeName(d.type), 0) + 1;
        deleted_list.push_back(
            {{"record", d.record_id}, {"type", TypeName(d.type)}, {"reason", d.reason}});
        break;
      case policy::Verdict::kHeld:
        ++n_held;
        held_list.push_back({{"record", d.record_id}, {"reason", d.reason}});
        break;
      case policy::Verdict::kUndatable:
        ++n_undatable;
        undatable_list.push_back({{"record", d.record_id}, {"reason", d.reason}});
        break;
      case policy::Verdict::kKeep:
        ++n_keep;
        break;
    }
  }
  n_keep += total_r.value() - static_cast<int64_t>(decisions.size());
  Json cutoffs = Json::object();
  for (const auto& [type, r] : p.per_type)
    cutoffs[TypeName(type)] = FormatTime(policy::Cutoff(p, type, as_of));
  res["as_of"] = FormatTime(as_of);
  res["cutoff"] = FormatTime(policy::Cutoff(p, 3, as_of));
  res["cutoffs"] = cutoffs;
  res["records_deleted"] = 0;
  res["records_to_delete"] = static_cast<int64_t>(del.size());
  res["files_deleted"] = 0;
  res["records_held"] = n_held;
  res["records_kept"] = n_keep;
  res["records_undatable"] = n_undatable;
  res["per_type"] = per_type;
  res["policy_hash"] = PolicyHash(p.text);
  Json plan = {{"as_of", res["as_of"]}, {"records", deleted_list}};
  res["plan"] = HashHex(crypto::PlainHash(plan.dump()));

  // Guards: refuse what looks wrong unless --force.
  std::string refusal;
  int64_t total = total_r.value();
  if (!opts.force) {
    auto last = a.GetMeta("last_sweep_real_ms");
    if (!last.ok()) return fail(last.status());
    if (last.value() && real_now < std::stoll(*last.value()))
      refusal = "the clock (" + FormatTime(real_now) + ") is earlier than the last sweep's (" +
                FormatTime(std::stoll(*last.value())) + ")";
    else if (total > 0 &&
             static_cast<double>(del.size()) > p.max_delete_fraction * static_cast<double>(total))
      refusal = "the sweep would delete " + std::to_string(del.size()) + " of " +
                std::to_string(total) + " records, more than the policy's limit of " +
                std::to_string(static_cast<int>(p.max_delete_fraction * 100)) + "%";
    else if (n_undatable > 0)
      refusal = std::to_string(n_undatable) +
                " records are undatable (no record time, no file scope); they are never guessed";
  }
  if (opts.dry_run) {
    res["status"] = refusal.empty() ? "planned" : "would_refuse";
    if (!refusal.empty()) res["refusal"] = refusal;
    res["records"] = deleted_list;
    res["held"] = held_list;
    res["undatable"] = undatable_list;
    return out;
  }
  if (!refusal.empty()) {
    res["status"] = "refused";
    res["refusal"] = refusal;
    if (!undatable_list.empty()) res["undatable"] = undatable_list;
    Status s = AuditRefusal(a, "sweep", refusal);
    return fail(s.ok() ? Status::Refused("sweep refused: " + refusal +
                                         "; nothing was deleted (use --force to override)")
                       : s);
  }

  // Erasures that waited for a hold: their records are eligible once the hold has ended.
  std::vector<crypto::Hash> pending_suppress;
  std::map<crypto::Hash, uint8_t> pending_kinds;
  std::vector<store::RequestRow> completed_requests;
  {
    auto reqs = a.ListRequests();
    if (!reqs.ok()) return fail(reqs.status());
    for (auto req : reqs.value()) {
      if (req.kind != "erasure" || req.status != "held") continue;
      Json subj = Json::parse(req.subjects, nullptr, false);
      std::vector<crypto::Hash> hashes;
      if (subj.is_array())
        for (const auto& h : subj) {
          auto hh = HashFromHex(h.get<std::string>());
          if (hh.ok()) hashes.push_back(hh.value());
        }
      auto matches = a.Find(hashes);
      if (!matches.ok()) return fail(matches.status());
      int64_t still_held = 0, freed = 0;
      for (const auto& m : matches.value()) {
        if (held.value().count(m.record_id)) {
          ++still_held;
        } else if (std::find(del.begin(), del.end(), m.record_id) == del.end()) {
          del.push_back(m.record_id);
          ++freed;
        }
      }
      req.erased += freed;
      req.held = still_held;
      if (still_held == 0) {
        req.status = "completed";
        req.completed_ms = real_now;
      }
      completed_requests.push_back(req);
    }
  }

  auto destroyed = DestroyInTransaction(a, del, pending_suppress, pending_kinds, "sweep");
  if (!destroyed.ok()) return fail(destroyed.status());
  DestroyResult& d = destroyed.value();
  for (const auto& req : completed_requests) {
    Status s = a.PutRequest(req);
    if (!s.ok()) return fail(s);
  }
  Status s = a.SetMeta("last_sweep_real_ms", std::to_string(real_now));
  if (!s.ok()) return fail(s);
  Json body = {{"as_of", res["as_of"]},
               {"cutoffs", cutoffs},
               {"records_deleted", d.deleted.records},
               {"records_held", n_held},
               {"records_undatable", n_undatable},
               {"per_type", per_type},
               {"policy_hash", res["policy_hash"]},
               {"held_reasons", held_list},
               {"journal", d.journal_id}};
  s = AuditAndCommit(a, "sweep", body);
  if (!s.ok()) return fail(s);
  s = FinishDestruction(a, &d, "sweep_completed", Json{{"as_of", res["as_of"]}});
  if (!s.ok())
    return fail(
        s.Context("records were deleted (keys destroyed) but storage "
                  "compaction did not finish; the next command will finish it"));
  res["status"] = "completed";
  res["records_deleted"] = d.deleted.records;
  res["files_deleted"] = d.data_files_emptied;
  res["storage_files_rewritten"] = d.storage_files_rewritten;
  if (!held_list.empty()) res["held"] = held_list;
  if (ctx.log && ctx.verbosity != Verbosity::kQuiet)
    ctx.log("swept " + std::to_string(d.deleted.records) + " expired records as of " +
            FormatTime(as_of) + (n_held ? "; " + std::to_string(n_held) + " kept under hold" : ""));
  return out;
}

}  // namespace davault::compliance
