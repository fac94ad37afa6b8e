// erase: plan what goes and why, apply only that plan, prove it, record the request.
#include <algorithm>
#include <set>

#include "audit/log.h"
#include "base/crash_point.h"
#include "base/time.h"
#include "compliance/certificate.h"
#include "compliance/common.h"
#include "compliance/destroy.h"

namespace davault::compliance {
namespace {

// The unsearchable records an erasure lists by id (all are counted).
constexpr int64_t kMaxUnsearchableListed = 1000;

struct ErasePlan {
  Json doc = Json::object();  // what the plan hash covers
  std::string hash;
  std::vector<int64_t> erase;
  std::vector<int64_t> held;
  std::map<int64_t, policy::HoldInfo> holds;
  SubjectClosure closure;
  std::map<std::string, int64_t> per_type;
};

// Pure over the archive's current state: the same state and subjects give the same plan.
Result<ErasePlan> MakePlan(store::Archive& a, const std::vector<Subject>& subjects, bool expand,
                           int max_emails, int64_t now) {
  ErasePlan p;
  DV_ASSIGN_OR_RETURN(p.closure, Close(a, subjects, expand, max_emails));
  DV_ASSIGN_OR_RETURN(auto matches, a.Find(p.closure.hashes));
  DV_ASSIGN_OR_RETURN(p.holds, HeldRecords(a, now));
  Json records = Json::array(), held = Json::array(), subj = Json::array();
  std::vector<std::string> hexes;
  for (const auto& h : p.closure.hashes) hexes.push_back(HashHex(h));
  std::sort(hexes.begin(), hexes.end());
  for (auto& h : hexes) subj.push_back(h);
  for (const auto& m : matches) {
    Json kinds = Json::array(), fields = Json::array();
    for (uint8_t k : m.kinds) kinds.push_back(identity::KindName(static_cast<identity::Kind>(k)));
    for (const auto& f : m.fields) fields.push_back(f);
    Json r = {{"record", m.record_id},
              {"type", TypeName(m.type)},
              {"time", TimeOrNull(m.start_ms ? m.start_ms : m.end_ms)},
              {"files", m.files},
              {"matched", kinds},
              {"fields", fields}};
    auto h = p.holds.find(m.record_id);
    if (h != p.holds.end()) {
      r["hold"] = h->second.hold_id;
      r["reason"] = "held by hold " + std::to_string(h->second.hold_id) + ": " + h->second.reason;
      held.push_back(r);
      p.held.push_back(m.record_id);
    } else {
      r["reason"] = "holds the subject's identifiers";
      records.push_back(r);
      p.erase.push_back(m.record_id);
      ++p.per_type[TypeName(m.type)];
    }
  }
  p.doc = {{"subjects", subj}, {"records", records}, {"held", held}};
  p.hash = HashHex(crypto::PlainHash(p.doc.dump()));
  return p;
}


}  // namespace

Outcome Erase(Context& ctx, const EraseOptions& opts) {
  Outcome out;
  Json& res = out.result;
  auto fail = [&](Status s) {
    out.status = std::move(s);
    return out;
  };
  if (opts.request.empty()) return fail(Status::Usage("erase needs --request REF"));
  auto rules = LoadRules(ctx);
  if (!rules.ok()) return fail(rules.status());
  int64_t now = ctx.env->NowMillis();
  auto opened = OpenArchive(ctx, opts.dry_run ? store::Access::kRead : store::Access::kWrite);
  if (!opened.ok()) return fail(opened.status());
  store::Archive& a = *opened.value();
  auto subjects = ResolveSubjects(a, opts.subjects, rules.value());
  if (!subjects.ok()) return fail(subjects.status());

  if (!opts.dry_run) {
    Status s = a.Begin();
    if (!s.ok()) return fail(s);
  }
  // The plan is (re)computed inside the write transaction, so what is applied is exactly what
  // was checked against --plan.
  auto plan_r = MakePlan(a, subjects.value(), opts.expand, rules.value().max_emails_per_link, now);
  if (!plan_r.ok()) return fail(plan_r.status());
  ErasePlan& plan = plan_r.value();
  res["request"] = opts.request;
  res["plan"] = plan.hash;
  res["records_erased"] = opts.dry_run ? 0 : static_cast<int64_t>(plan.erase.size());
  res["records_held"] = static_cast<int64_t>(plan.held.size());
  res["files_rewritten"] = 0;
  // Records whose PGP values no key decrypted could not be searched for the subject: the
  // erasure cannot say they do not hold it. Listed (pseudonymous ids, fields) for the report.
  auto unsearchable = a.Find({UnsearchableMarker(a)});
  if (!unsearchable.ok()) return fail(unsearchable.status());
  Json unsearchable_list = Json::array();
  const std::set<int64_t> erasing(plan.erase.begin(), plan.erase.end());
  int64_t unsearchable_left = 0;
  for (const auto& m : unsearchable.value()) {
    if (erasing.count(m.record_id)) continue;  // found by another identifier: goes anyway
    if (++unsearchable_left > kMaxUnsearchableListed) continue;
    Json fields = Json::array();
    for (const auto& f : m.fields) fields.push_back(f);
    unsearchable_list.push_back({{"record", m.record_id},
                                 {"type", TypeName(m.type)},
                                 {"time", TimeOrNull(m.start_ms ? m.start_ms : m.end_ms)},
                                 {"fields", fields}});
  }
  res["unsearchable_records"] = unsearchable_left;
  res["unsearchable"] = unsearchable_list;
  if (opts.expand) {
    res["followed"] = LinksJson(plan.closure.followed);
    res["not_followed"] = LinksJson(plan.closure.not_followed);
  }

  if (opts.dry_run) {
    res["status"] = "planned";
    res["records_to_erase"] = static_cast<int64_t>(plan.erase.size());
    res["records"] = plan.doc["records"];
    res["held"] = plan.doc["held"];
    if (!opts.save_plan.empty()) {
      Json saved = plan.doc;
      saved["plan"] = plan.hash;
      saved["request"] = opts.request;
      Status s = WriteOutputFile(ctx, opts.save_plan, saved.dump(2) + "\n");
      if (!s.ok()) return fail(s);
      res["plan_file"] = opts.save_plan;
    }
    return out;
  }

  if (!opts.plan_hash.empty() && opts.plan_hash != plan.hash) {
    std::string why = "plan " + opts.plan_hash + " no longer matches the archive (now " +
                      plan.hash + "); nothing was erased";
    Status s = AuditRefusal(a, "erase", why + " [request " + opts.request + "]");
    res["status"] = "refused";
    res["records_erased"] = 0;
    return fail(s.ok() ? Status::Refused(why) : s);
  }

  std::vector<crypto::Hash> suppress = plan.closure.hashes;
  auto destroyed = DestroyInTransaction(a, plan.erase, suppress, plan.closure.kinds, "erase");
  if (!destroyed.ok()) return fail(destroyed.status());
  DestroyResult& d = destroyed.value();

  // The request: kept across repeated runs with the same reference.
  auto existing = a.GetRequest(opts.request);
  if (!existing.ok()) return fail(existing.status());
  store::RequestRow req;
  if (existing.value()) {
    req = *existing.value();
    if (req.kind != "erasure")
      return fail(Status::Usage("request " + opts.request + " is an " + req.kind +
                                " request, not an erasure"));
  } else {
    req.ref = opts.request;
    req.kind = "erasure";
    req.received_ms = opts.received_ms.value_or(now);
    req.deadline_ms = AddMonths(req.received_ms, 1);
  }
  Json subj = Json::parse(req.subjects.empty() ? "[]" : req.subjects, nullptr, false);
  if (!subj.is_array()) subj = Json::array();
  for (const auto& h : plan.doc["subjects"])
    if (std::find(subj.begin(), subj.end(), h) == subj.end()) subj.push_back(h);
  req.subjects = subj.dump();
  req.found += static_cast<int64_t>(plan.erase.size() + plan.held.size());
  req.erased += d.deleted.records;
  req.held = static_cast<int64_t>(plan.held.size());
  req.status = plan.held.empty() ? "completed" : "held";
  if (plan.held.empty()) req.completed_ms = now;
  req.plan_hash = plan.hash;
  Json details = {{"held", plan.doc["held"]},
                  {"per_type", plan.per_type},
                  {"unsearchable_records", res["unsearchable_records"]}};
  req.details = details.dump();
  Status s = a.PutRequest(req);
  if (!s.ok()) return fail(s);

  Json per_type = Json::object();
  for (auto& [t, n] : d.deleted.per_type) per_type[TypeName(t)] = n;
  Json body = {{"request", opts.request},
               {"status", req.status},
               {"subjects", plan.doc["subjects"]},
               {"plan", plan.hash},
               {"records_erased", d.deleted.records},
               {"records_held", static_cast<int64_t>(plan.held.size())},
               {"per_type", per_type},
               {"journal", d.journal_id},
               {"unsearchable_records", res["unsearchable_records"]}};
  auto erase_row = AuditAndCommitRow(a, "erase", body);
  if (!erase_row.ok()) return fail(erase_row.status());

  // Storage: ciphertext of the erased records is removed now, not by later maintenance.
  s = FinishDestruction(a, &d, "erase_completed", Json{{"request", opts.request}});
  if (!s.ok()) return fail(s.Context("records were erased (keys destroyed) but storage compaction "
                                     "did not finish; the next command will finish it"));

  // Verify: nothing but held records still answers to the subject.
  auto after = a.Find(plan.closure.hashes);
  if (!after.ok()) return fail(after.status());
  int64_t remaining = 0;
  for (const auto& m : after.value())
    if (!plan.holds.count(m.record_id)) ++remaining;
  res["status"] = req.status;
  res["records_erased"] = d.deleted.records;
  res["files_rewritten"] = d.storage_files_rewritten;
  res["per_type"] = per_type;
  res["verified"] = remaining == 0;
  auto rows_left = a.RowsNaming(plan.erase);
  if (!rows_left.ok()) return fail(rows_left.status());
  if (remaining != 0 || rows_left.value() != 0)
    return fail(Status::VerifyFailed(std::to_string(remaining) +
                                     " records still hold the subject after the erasure"));

  // Evidence: a signed certificate anyone can check with the archive's public key.
  Json before = Json::object(), after_counts = Json::object();
  for (const auto& rec : plan.doc["records"])
    before[rec["type"].get<std::string>()] = before.value(rec["type"].get<std::string>(), 0) + 1;
  for (const auto& rec : plan.doc["held"]) {
    std::string t = rec["type"].get<std::string>();
    before[t] = before.value(t, 0) + 1;
    after_counts[t] = after_counts.value(t, 0) + 1;
  }
  ErasureFacts facts;
  facts.request = req;
  facts.subjects = plan.doc["subjects"];
  facts.counts_before = before;
  facts.counts_after = after_counts;
  for (const auto& rec : plan.doc["held"])
    facts.held.push_back({{"record", rec["record"]}, {"hold", rec["hold"]}, {"reason", rec["reason"]}});
  facts.records_erased = d.deleted.records;
  facts.records_held = static_cast<int64_t>(plan.held.size());
  facts.storage_files_rewritten = d.storage_files_rewritten;
  facts.records_answering = remaining;
  facts.index_rows_left = rows_left.value();
  facts.plan_hash = plan.hash;
  facts.erase_entry = erase_row.value();
  facts.extra = {{"unsearchable_records", res["unsearchable_records"]},
                 {"unsearchable", unsearchable_list}};
  CrashPoint("erase.before_certificate");
  auto cert_path = IssueErasureCertificate(ctx, a, facts);
  if (!cert_path.ok()) return fail(cert_path.status().Context("cannot write the certificate"));
  res["certificate"] = cert_path.value();
  if (ctx.log && ctx.verbosity != Verbosity::kQuiet)
    ctx.log("erased " + std::to_string(d.deleted.records) + " records for request " +
            opts.request + (plan.held.empty() ? "" : "; " + std::to_string(plan.held.size()) +
                                                          " kept under legal hold"));
  return out;
}

}  // namespace davault::compliance
