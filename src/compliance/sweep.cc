// sweep: delete what the retention policy says has expired, with guards against a wrong clock,
// a wrong policy and undatable data; also completes erasures whose holds have ended.
#include <algorithm>

#include "audit/log.h"
#include "base/time.h"
#include "compliance/certificate.h"
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

  // Erasures that waited for a hold: their records are eligible once the hold has ended. Each
  // one this sweep advances gets an erase entry and a certificate of its own, so the request's
  // completion is evidenced like any erasure (and the report counts those records under it).
  std::vector<crypto::Hash> pending_suppress;
  std::map<crypto::Hash, uint8_t> pending_kinds;
  struct Completion {
    store::RequestRow req;
    std::vector<crypto::Hash> hashes;
    Json per_type = Json::object(), still_held_per_type = Json::object();
    int64_t freed = 0, still_held = 0;
  };
  std::vector<Completion> completions;
  int64_t freed_total = 0;
  {
    auto reqs = a.ListRequests();
    if (!reqs.ok()) return fail(reqs.status());
    for (auto req : reqs.value()) {
      if (req.kind != "erasure" || req.status != "held") continue;
      Completion c;
      Json subj = Json::parse(req.subjects, nullptr, false);
      if (subj.is_array())
        for (const auto& h : subj) {
          if (!h.is_string()) continue;
          auto hh = HashFromHex(h.get<std::string>());
          if (hh.ok()) c.hashes.push_back(hh.value());
        }
      auto matches = a.Find(c.hashes);
      if (!matches.ok()) return fail(matches.status());
      for (const auto& m : matches.value()) {
        std::string t = TypeName(m.type);
        if (held.value().count(m.record_id)) {
          ++c.still_held;
          c.still_held_per_type[t] = c.still_held_per_type.value(t, 0) + 1;
        } else if (std::find(del.begin(), del.end(), m.record_id) == del.end()) {
          del.push_back(m.record_id);
          ++c.freed;
          c.per_type[t] = c.per_type.value(t, 0) + 1;
        }
      }
      req.erased += c.freed;
      req.held = c.still_held;
      if (c.still_held == 0) {
        req.status = "completed";
        req.completed_ms = real_now;
      }
      freed_total += c.freed;
      c.req = std::move(req);
      completions.push_back(std::move(c));
    }
  }

  auto destroyed = DestroyInTransaction(a, del, pending_suppress, pending_kinds, "sweep");
  if (!destroyed.ok()) return fail(destroyed.status());
  DestroyResult& d = destroyed.value();
  audit::AuditLog log(&a);
  std::vector<store::AuditRow> erase_rows;
  for (auto& c : completions) {
    Status s = a.PutRequest(c.req);
    if (!s.ok()) return fail(s);
    if (c.freed == 0 && c.req.status != "completed") continue;
    Json subjects = Json::parse(c.req.subjects, nullptr, false);
    Json body = {{"request", c.req.ref},
                 {"status", c.req.status},
                 {"subjects", subjects.is_array() ? subjects : Json::array()},
                 {"plan", c.req.plan_hash},
                 {"records_erased", c.freed},
                 {"records_held", c.still_held},
                 {"per_type", c.per_type},
                 {"completed_by", "sweep"},
                 {"journal", d.journal_id}};
    auto row = log.Append("erase", body.dump());
    if (!row.ok()) return fail(row.status());
    erase_rows.push_back(row.value());
  }
  Status s = a.SetMeta("last_sweep_real_ms", std::to_string(real_now));
  if (!s.ok()) return fail(s);
  Json body = {{"as_of", res["as_of"]},
               {"cutoffs", cutoffs},
               {"records_deleted", d.deleted.records - freed_total},
               {"records_held", n_held},
               {"records_undatable", n_undatable},
               {"per_type", per_type},
               {"policy_hash", res["policy_hash"]},
               {"held_reasons", held_list},
               {"journal", d.journal_id}};
  if (freed_total > 0) body["records_erased_for_requests"] = freed_total;
  s = AuditAndCommit(a, "sweep", body);
  if (!s.ok()) return fail(s);
  s = FinishDestruction(a, &d, "sweep_completed", Json{{"as_of", res["as_of"]}});
  if (!s.ok()) return fail(s.Context("records were deleted (keys destroyed) but storage "
                                     "compaction did not finish; the next command will finish it"));
  // The certificates of the erasures this sweep advanced.
  Json certificates = Json::array();
  size_t r = 0;
  for (auto& c : completions) {
    if (c.freed == 0 && c.req.status != "completed") continue;
    ErasureFacts f;
    f.request = c.req;
    f.subjects = Json::parse(c.req.subjects, nullptr, false);
    if (!f.subjects.is_array()) f.subjects = Json::array();
    f.counts_before = c.per_type;
    for (auto& [t, n] : c.still_held_per_type.items()) {
      f.counts_before[t] = f.counts_before.value(t, 0) + n.get<int64_t>();
      f.counts_after[t] = n;
    }
    f.records_erased = c.freed;
    f.records_held = c.still_held;
    f.storage_files_rewritten = d.storage_files_rewritten;
    auto after = a.Find(c.hashes);
    if (!after.ok()) return fail(after.status());
    // The holds in force are the ones this sweep evaluated (held, above): nothing changed them.
    for (const auto& m : after.value())
      if (!held.value().count(m.record_id)) ++f.records_answering;
    f.plan_hash = c.req.plan_hash;
    f.erase_entry = erase_rows[r++];
    f.completed_by = "sweep";
    auto path = IssueErasureCertificate(ctx, a, f);
    if (!path.ok()) return fail(path.status().Context("cannot write the certificate"));
    certificates.push_back(path.value());
  }
  res["status"] = "completed";
  res["records_deleted"] = d.deleted.records;
  if (!certificates.empty()) res["certificates"] = certificates;
  res["files_deleted"] = d.data_files_emptied;
  res["storage_files_rewritten"] = d.storage_files_rewritten;
  if (!held_list.empty()) res["held"] = held_list;
  if (ctx.log && ctx.verbosity != Verbosity::kQuiet)
    ctx.log("swept " + std::to_string(d.deleted.records) + " expired records as of " +
            FormatTime(as_of) + (n_held ? "; " + std::to_string(n_held) + " kept under hold" : ""));
  return out;
}

}  // namespace davault::compliance
