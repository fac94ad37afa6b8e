// find, export, verify, audit, report, status, requests and holds.
#include <algorithm>
#include <set>

#include "audit/log.h"
#include "audit/report.h"
#include "base/time.h"
#include "compliance/common.h"
#include "compliance/ingest.h"
#include "identity/residue_scan.h"

namespace davault::compliance {
namespace {


Json MatchJson(const store::Match& m) {
  Json kinds = Json::array(), fields = Json::array();
  for (uint8_t k : m.kinds) kinds.push_back(identity::KindName(static_cast<identity::Kind>(k)));
  for (const auto& f : m.fields) fields.push_back(f);
  return {{"record", m.record_id},
          {"type", TypeName(m.type)},
          {"time", TimeOrNull(m.start_ms ? m.start_ms : m.end_ms)},
          {"end_time", TimeOrNull(m.end_ms)},
          {"file", m.files},
          {"matched", kinds},
          {"fields", fields}};
}

struct Found {
  std::unique_ptr<store::Archive> archive;
  SubjectClosure closure;
  std::vector<store::Match> matches;
};

Result<Found> FindSubjects(Context& ctx, const std::vector<std::string>& args, bool expand,
                           store::Access access) {
  DV_ASSIGN_OR_RETURN(auto rules, LoadRules(ctx));
  Found f;
  DV_ASSIGN_OR_RETURN(f.archive, OpenArchive(ctx, access));
  DV_ASSIGN_OR_RETURN(auto subjects, ResolveSubjects(*f.archive, args, rules));
  DV_ASSIGN_OR_RETURN(f.closure, Close(*f.archive, subjects, expand, rules.max_emails_per_link));
  DV_ASSIGN_OR_RETURN(f.matches, f.archive->Find(f.closure.hashes));
  return f;
}

int64_t DeadlineOf(const store::RequestRow& r) {
  return r.extended_deadline_ms.value_or(r.deadline_ms);
}

Json RequestJson(const store::RequestRow& r, int64_t now) {
  int64_t deadline = DeadlineOf(r);
  bool open = !r.completed_ms;
  int64_t days_left = DaysBetween(now, deadline);
  Json j = {{"ref", r.ref},
            {"kind", r.kind},
            {"received", FormatTime(r.received_ms)},
            {"deadline", FormatTime(deadline)},
            {"original_deadline", FormatTime(r.deadline_ms)},
            {"status", r.status},
            {"days_left", days_left},
            {"overdue", open && deadline < now},
            {"due_soon", open && deadline >= now && deadline - now <= 7 * kMillisPerDay},
            {"records_found", r.found},
            {"records_erased", r.erased},
            {"records_held", r.held},
            {"completed", TimeOrNull(r.completed_ms)},
            {"extended", r.extended_deadline_ms.has_value()}};
  if (r.extended_deadline_ms) j["extension_reason"] = r.extension_reason;
  Json details = Json::parse(r.details.empty() ? "{}" : r.details, nullptr, false);
  if (details.is_object() && details.contains("held") && !details["held"].empty())
    j["held"] = details["held"];
  return j;
}

}  // namespace

Status Init(Context& ctx, Json* result) {
  bool created_key = false;
  DV_RETURN_IF_ERROR(store::Archive::Create(ctx.env, ctx.archive_dir, ctx.key, &created_key));
  DV_ASSIGN_OR_RETURN(auto a, OpenArchive(ctx, store::Access::kWrite));
  DV_RETURN_IF_ERROR(a->Begin());
  Json body = {{"format_version", store::kFormatVersion},
               {"identifier_normalization", identity::kNormalizationVersion}};
  DV_RETURN_IF_ERROR(a->SetMeta("normalization_version",
                                std::to_string(identity::kNormalizationVersion)));
  DV_ASSIGN_OR_RETURN(auto rules, LoadRules(ctx));
  DV_RETURN_IF_ERROR(a->SetMeta("index_version", IndexVersion(rules)));
  DV_RETURN_IF_ERROR(AuditAndCommit(*a, "init", body));
  (*result)["archive"] = ctx.archive_dir;
  (*result)["archive_id"] = a->archive_id_hex();
  (*result)["format_version"] = store::kFormatVersion;
  (*result)["key"] = ctx.key.type == store::KeySource::Type::kKeyFile ? "key_file" : "passphrase";
  if (ctx.key.type == store::KeySource::Type::kKeyFile) {
    (*result)["key_file"] = ctx.key.key_file;
    (*result)["key_file_created"] = created_key;
  }
  return Status::Ok();
}

Outcome ReindexCommand(Context& ctx) {
  Outcome out;
  auto rules = LoadRules(ctx);
  if (!rules.ok()) {
    out.status = rules.status();
    return out;
  }
  auto a = store::Archive::Open(ctx.env, ctx.archive_dir, ctx.key, store::Access::kWrite,
                                ctx.lock_timeout_ms);
  if (!a.ok()) {
    out.status = a.status();
    return out;
  }
  auto n = Reindex(ctx, *a.value(), rules.value());
  if (!n.ok()) {
    out.status = n.status();
    return out;
  }
  auto unsearchable = UnsearchableRecords(*a.value());
  if (!unsearchable.ok()) {
    out.status = unsearchable.status();
    return out;
  }
  out.result = {{"records_reindexed", n.value()},
                {"index_version", IndexVersion(rules.value())},
                {"unsearchable_records", unsearchable.value()}};
  return out;
}

Outcome Find(Context& ctx, const FindOptions& opts) {
  Outcome out;
  auto f = FindSubjects(ctx, opts.subjects, opts.expand, store::Access::kRead);
  if (!f.ok()) {
    out.status = f.status();
    return out;
  }
  Json matches = Json::array();
  for (const auto& m : f.value().matches) matches.push_back(MatchJson(m));
  out.result["count"] = static_cast<int64_t>(f.value().matches.size());
  out.result["matches"] = matches;
  auto unsearchable = UnsearchableRecords(*f.value().archive);
  if (!unsearchable.ok()) {
    out.status = unsearchable.status();
    return out;
  }
  out.result["unsearchable_records"] = unsearchable.value();
  if (opts.expand) {
    out.result["followed"] = LinksJson(f.value().closure.followed);
    out.result["not_followed"] = LinksJson(f.value().closure.not_followed);
  }
  return out;
}

Outcome Export(Context& ctx, const ExportOptions& opts) {
  Outcome out;
  auto fail = [&](Status s) {
    out.status = std::move(s);
    return out;
  };
  if (opts.out.empty()) return fail(Status::Usage("export needs --out FILE"));
  auto f = FindSubjects(ctx, opts.subjects, opts.expand, store::Access::kWrite);
  if (!f.ok()) return fail(f.status());
  store::Archive& a = *f.value().archive;
  auto unsearchable = UnsearchableRecords(a);
  if (!unsearchable.ok()) return fail(unsearchable.status());
  int64_t now = ctx.env->NowMillis();
  std::string ref = opts.request;
  if (ref.empty()) {
    std::string rnd(3, '\0');
    ctx.env->RandomBytes(rnd.data(), rnd.size());
    ref = "access-" + FormatTime(now) + "-" + crypto::ToHex(rnd);
  }
  // The document is assembled by hand around the records' exact bytes: an export returns
  // exactly what LivePerson sent, numbers and key order included.
  std::string doc = "{\"davault_export\":1,\"generated_at\":" + Json(FormatTime(now)).dump() +
                    ",\"request\":" + Json(ref).dump() +
                    ",\"count\":" + std::to_string(f.value().matches.size()) +
                    ",\"unsearchable_records\":" + std::to_string(unsearchable.value()) +
                    ",\"records\":[";
  bool first = true;
  std::map<std::string, int64_t> per_type;
  for (const auto& m : f.value().matches) {
    auto payloads = a.ReadPayloads(m.record_id);
    if (!payloads.ok()) return fail(payloads.status());
    Json meta = MatchJson(m);
    std::string head = meta.dump();
    head.pop_back();  // reopen the object to splice the raw record in
    doc += (first ? "" : ",") + head + ",\"data\":" + payloads.value().back();
    if (payloads.value().size() > 1) {
      doc += ",\"versions\":[";
      for (size_t i = 0; i < payloads.value().size(); ++i)
        doc += (i ? "," : "") + payloads.value()[i];
      doc += "]";
    }
    doc += "}";
    first = false;
    ++per_type[TypeName(m.type)];
  }
  doc += "]";
  if (opts.expand)
    doc += ",\"followed\":" + LinksJson(f.value().closure.followed).dump() +
           ",\"not_followed\":" + LinksJson(f.value().closure.not_followed).dump();
  doc += "}\n";
  Status s = WriteOutputFile(ctx, opts.out, doc);
  std::fill(doc.begin(), doc.end(), '\0');
  if (!s.ok()) return fail(s);

  // An access request is recorded like an erasure request.
  s = a.Begin();
  if (!s.ok()) return fail(s);
  auto existing = a.GetRequest(ref);
  if (!existing.ok()) return fail(existing.status());
  store::RequestRow req;
  if (existing.value()) {
    req = *existing.value();
  } else {
    req.ref = ref;
    req.kind = "access";
    req.received_ms = opts.received_ms.value_or(now);
    req.deadline_ms = AddMonths(req.received_ms, 1);
  }
  Json subj = Json::parse(req.subjects.empty() ? "[]" : req.subjects, nullptr, false);
  if (!subj.is_array()) subj = Json::array();
  for (const auto& h : f.value().closure.hashes)
    if (std::find(subj.begin(), subj.end(), HashHex(h)) == subj.end()) subj.push_back(HashHex(h));
  req.subjects = subj.dump();
  req.found += static_cast<int64_t>(f.value().matches.size());
  req.status = "completed";
  req.completed_ms = now;
  req.details = Json{{"per_type", per_type}, {"unsearchable_records", unsearchable.value()}}.dump();
  s = a.PutRequest(req);
  if (!s.ok()) return fail(s);
  s = AuditAndCommit(a, "export",
                     Json{{"request", ref},
                          {"subjects", subj},
                          {"records", static_cast<int64_t>(f.value().matches.size())},
                          {"per_type", per_type},
                          {"unsearchable_records", unsearchable.value()}});
  if (!s.ok()) return fail(s);
  out.result["request"] = ref;
  out.result["count"] = static_cast<int64_t>(f.value().matches.size());
  out.result["out"] = opts.out;
  out.result["per_type"] = per_type;
  out.result["unsearchable_records"] = unsearchable.value();
  return out;
}

// Every byte the archive owns (index, WAL, storage, certificates, temp files), read in chunks
// and searched for identifier-shaped text whose keyed fingerprint is on the suppression list.
// Only fingerprints are compared, so no erased value is needed; a finding names the file and
// offset, never the value.
Status ScanBytesForResidue(Context& ctx, store::Archive& a, const std::string& default_region,
                           std::vector<std::string>* problems, int64_t* bytes_scanned) {
  DV_ASSIGN_OR_RETURN(auto list, a.SuppressionList());
  std::set<std::string> fingerprints;
  std::vector<identity::Kind> kinds;
  for (const auto& [h, kind] : list) {
    fingerprints.insert(std::string(crypto::AsView(h)));
    auto k = static_cast<identity::Kind>(kind);
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
  }
  if (fingerprints.empty()) return Status::Ok();
  identity::NormalizeOptions nopts;
  nopts.default_region = default_region.empty() ? "GB" : default_region;
  identity::ResidueScanner scanner(nopts, kinds);
  constexpr size_t kChunk = 1 << 20;
  constexpr size_t kOverlap = identity::ResidueScanner::kMaxTokenLength * 2;
  std::vector<std::string> dirs = {""};
  while (!dirs.empty()) {
    std::string rel = dirs.back();
    dirs.pop_back();
    std::string dir = rel.empty() ? a.dir() : a.dir() + "/" + rel;
    DV_ASSIGN_OR_RETURN(auto names, ctx.env->ListDir(dir));
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      std::string path = dir + "/" + name;
      std::string shown = rel.empty() ? name : rel + "/" + name;
      DV_ASSIGN_OR_RETURN(FileInfo info, ctx.env->Stat(path));
      if (info.is_dir) {
        dirs.push_back(shown);
        continue;
      }
      auto file = ctx.env->OpenSequential(path);
      if (!file.ok()) continue;  // removed meanwhile (the lock file of a finished reader)
      std::string buf;
      uint64_t base = 0;  // file offset of buf[0]
      std::set<std::string> reported;  // one finding per fingerprint and file
      while (true) {
        size_t keep = buf.size();
        buf.resize(keep + kChunk);
        DV_ASSIGN_OR_RETURN(size_t got, file.value()->Read(buf.data() + keep, kChunk));
        buf.resize(keep + got);
        *bytes_scanned += static_cast<int64_t>(got);
        scanner.Scan(buf, [&](identity::Kind kind, const std::string& value, size_t off) {
          std::string key(crypto::AsView(a.IdentifierHash(static_cast<uint8_t>(kind), value)));
          if (!fingerprints.count(key) || !reported.insert(key).second) return;
          problems->push_back("residue of an erased subject (" +
                              std::string(identity::KindName(kind)) + ") in " + shown +
                              " at byte " + std::to_string(base + off));
        });
        if (got == 0) break;
        // Keep the tail so a value that straddles two chunks is seen whole in the next pass.
        size_t tail = std::min(buf.size(), kOverlap);
        base += buf.size() - tail;
        buf.erase(0, buf.size() - tail);
      }
      std::fill(buf.begin(), buf.end(), '\0');
    }
  }
  return Status::Ok();
}

Outcome Verify(Context& ctx, const VerifyOptions& opts) {
  Outcome out;
  auto opened = OpenArchive(ctx, store::Access::kRead);
  if (!opened.ok()) {
    out.status = opened.status();
    return out;
  }
  store::Archive& a = *opened.value();
  std::vector<std::string> problems;
  int64_t payloads = 0;
  Status s = a.VerifyStorage(&problems, &payloads);
  if (!s.ok()) {
    out.status = s;
    return out;
  }
  audit::AuditLog log(&a);
  auto av = log.Verify();
  if (!av.ok()) {
    out.status = av.status();
    return out;
  }
  for (auto& p : av.value().problems) problems.push_back(p);
  int64_t residue_checked = 0;
  int64_t bytes_scanned = 0;
  if (opts.deep) {
    // Residue: no remaining record (other than held ones) may carry an identifier that is on
    // the suppression list; checked on the decrypted records, via the keyed fingerprints.
    auto rules = LoadRules(ctx);
    if (!rules.ok()) {
      out.status = rules.status();
      return out;
    }
    auto ex = identity::Extractor::Create(rules.value());
    if (!ex.ok()) {
      out.status = ex.status();
      return out;
    }
    auto held = HeldRecords(a, ctx.env->NowMillis());
    auto times = a.AllRecordTimes();
    if (!held.ok() || !times.ok()) {
      out.status = held.ok() ? times.status() : held.status();
      return out;
    }
    for (const auto& t : times.value()) {
      auto payloads_r = a.ReadPayloads(t.record_id);
      if (!payloads_r.ok()) continue;  // already reported by VerifyStorage
      for (auto& raw : payloads_r.value()) {
        auto r = ex.value()->Extract(raw);
        std::fill(raw.begin(), raw.end(), '\0');
        if (!r.ok()) {
          problems.push_back("record " + std::to_string(t.record_id) + ": stored record does not "
                             "parse: " + r.status().message());
          continue;
        }
        ++residue_checked;
        if (held.value().count(t.record_id)) continue;
        for (const auto& id : r.value().identifiers) {
          auto sup = a.IsSuppressed(a.IdentifierHash(static_cast<uint8_t>(id.kind), id.value));
          if (sup.ok() && sup.value()) {
            problems.push_back("record " + std::to_string(t.record_id) + ": residue of an erased "
                               "subject (" + std::string(identity::KindName(id.kind)) + " in " +
                               id.field + ")");
            break;
          }
        }
      }
    }
    Status scan = ScanBytesForResidue(ctx, a, rules.value().default_region, &problems,
                                      &bytes_scanned);
    if (!scan.ok()) {
      out.status = scan;
      return out;
    }
  }
  out.result["ok"] = problems.empty();
  out.result["problems"] = problems;
  out.result["payloads_checked"] = payloads;
  out.result["audit_entries"] = av.value().entries;
  out.result["audit_head"] = {{"seq", av.value().head.seq}, {"hash", av.value().head.hash_hex}};
  if (opts.deep) {
    out.result["records_scanned_for_residue"] = residue_checked;
    out.result["bytes_scanned_for_residue"] = bytes_scanned;
  }
  if (!problems.empty())
    out.status = Status::VerifyFailed("verification found " + std::to_string(problems.size()) +
                                      " problem(s); first: " + problems.front());
  return out;
}

Outcome AuditVerify(Context& ctx) {
  Outcome out;
  auto opened = OpenArchive(ctx, store::Access::kRead);
  if (!opened.ok()) {
    out.status = opened.status();
    return out;
  }
  audit::AuditLog log(opened.value().get());
  auto v = log.Verify();
  if (!v.ok()) {
    out.status = v.status();
    return out;
  }
  out.result["ok"] = v.value().problems.empty();
  out.result["problems"] = v.value().problems;
  out.result["entries"] = v.value().entries;
  out.result["head"] = {{"seq", v.value().head.seq},
                        {"hash", v.value().head.hash_hex},
                        {"signature", v.value().head.signature_hex}};
  out.result["anchor_checked"] = v.value().anchor_checked;
  if (!v.value().problems.empty())
    out.status = Status::VerifyFailed("audit log: " + v.value().problems.front());
  return out;
}

Outcome AuditPubkey(Context& ctx) {
  Outcome out;
  auto opened = OpenArchive(ctx, store::Access::kRead);
  if (!opened.ok()) {
    out.status = opened.status();
    return out;
  }
  out.result["algorithm"] = "ed25519";
  out.result["archive_id"] = opened.value()->archive_id_hex();
  out.result["public_key"] = crypto::ToHex(opened.value()->signer().public_key());
  return out;
}

Outcome Report(Context& ctx, const ReportOptions& opts) {
  Outcome out;
  auto fail = [&](Status s) {
    out.status = std::move(s);
    return out;
  };
  auto fmt = audit::ParseReportFormat(opts.format);
  if (!fmt) return fail(Status::Usage("--format must be text, json, csv or html"));
  auto pol = LoadRetention(ctx, opts.policy_file);
  if (!pol.ok()) return fail(pol.status());
  auto opened = OpenArchive(ctx, store::Access::kRead);
  if (!opened.ok()) return fail(opened.status());
  store::Archive& a = *opened.value();
  int64_t now = ctx.env->NowMillis();
  audit::ReportInput in;
  in.generated_ms = now;
  in.from_ms = opts.from_ms.value_or(0);
  in.to_ms = opts.to_ms.value_or(now + 1);
  if (in.to_ms <= in.from_ms) return fail(Status::Usage("--to must be after --from"));
  auto rows = a.AuditRows(0);
  auto reqs = a.ListRequests();
  auto stats = a.GetStats();
  auto times = a.AllRecordTimes();
  audit::AuditLog log(&a);
  auto head = log.CurrentHead();
  if (!rows.ok() || !reqs.ok() || !stats.ok() || !times.ok() || !head.ok())
    return fail(!rows.ok() ? rows.status() : !reqs.ok() ? reqs.status()
                : !stats.ok() ? stats.status() : !times.ok() ? times.status() : head.status());
  in.entries = std::move(rows.value());
  in.requests = std::move(reqs.value());
  in.stats = stats.value();
  in.retention_days = pol.value().per_type.count(3) ? pol.value().per_type.at(3).days : 30;
  in.cutoff_ms = now - in.retention_days * kMillisPerDay;
  for (const auto& t : times.value()) {
    auto it = pol.value().per_type.find(t.type);
    policy::TypeRetention tr = it == pol.value().per_type.end() ? policy::TypeRetention{} : it->second;
    auto basis = policy::BasisInstant(tr, {t.record_id, t.type, t.start_ms, t.end_ms, t.scope_end_ms});
    if (basis) in.record_ages_days.push_back(DaysBetween(*basis, now));
  }
  auto unsearchable = UnsearchableRecords(a);
  if (!unsearchable.ok()) return fail(unsearchable.status());
  in.unsearchable_records = unsearchable.value();
  in.head = head.value();
  in.policy_hash = PolicyHash(pol.value().text);
  in.tool_version = DAVAULT_VERSION;
  auto rendered = audit::RenderReport(in, *fmt);
  if (!rendered.ok()) return fail(rendered.status());
  out.result = Json::parse(audit::BuildReportJson(in));
  if (!opts.out.empty()) {
    Status s = WriteOutputFile(ctx, opts.out, rendered.value());
    if (!s.ok()) return fail(s);
    out.result["out"] = opts.out;
  } else {
    out.result["rendered"] = rendered.value();
  }
  return out;
}

Outcome StatusSummary(Context& ctx, const std::string& policy_file) {
  Outcome out;
  auto fail = [&](Status s) {
    out.status = std::move(s);
    return out;
  };
  auto pol = LoadRetention(ctx, policy_file);
  if (!pol.ok()) return fail(pol.status());
  auto opened = OpenArchive(ctx, store::Access::kRead);
  if (!opened.ok()) return fail(opened.status());
  store::Archive& a = *opened.value();
  int64_t now = ctx.env->NowMillis();
  auto stats = a.GetStats();
  auto reqs = a.ListRequests();
  auto times = a.AllRecordTimes();
  auto holds = a.ListHolds();
  if (!stats.ok() || !reqs.ok() || !times.ok() || !holds.ok())
    return fail(!stats.ok() ? stats.status() : !reqs.ok() ? reqs.status()
                : !times.ok() ? times.status() : holds.status());
  std::optional<int64_t> next_expiry;
  int64_t undatable = 0;
  for (const auto& t : times.value()) {
    auto it = pol.value().per_type.find(t.type);
    policy::TypeRetention tr = it == pol.value().per_type.end() ? policy::TypeRetention{} : it->second;
    auto basis = policy::BasisInstant(tr, {t.record_id, t.type, t.start_ms, t.end_ms, t.scope_end_ms});
    if (!basis) {
      ++undatable;
      continue;
    }
    int64_t exp = *basis + tr.days * kMillisPerDay;
    if (!next_expiry || exp < *next_expiry) next_expiry = exp;
  }
  Json open = Json::array();
  int64_t overdue = 0, due_soon = 0;
  for (const auto& r : reqs.value()) {
    if (r.completed_ms) continue;
    Json j = RequestJson(r, now);
    if (j["overdue"].get<bool>()) ++overdue;
    if (j["due_soon"].get<bool>()) ++due_soon;
    open.push_back(j);
  }
  int64_t active_holds = 0;
  for (const auto& h : holds.value())
    if (!h.released_ms && (!h.until_ms || *h.until_ms > now)) ++active_holds;
  const store::Stats& s = stats.value();
  Json per_type = Json::object();
  for (auto& [t, n] : s.records_per_type) per_type[TypeName(t)] = n;
  out.result = {{"archive", ctx.archive_dir},
                {"files", s.files},
                {"records", s.records},
                {"records_per_type", per_type},
                {"bytes", s.payload_bytes},
                {"segments", s.segments},
                {"oldest_record_time", TimeOrNull(s.oldest_start_ms)},
                {"next_expiry", TimeOrNull(next_expiry)},
                {"records_undatable", undatable},
                {"suppressed_identifiers", s.suppressed_identifiers},
                {"active_holds", active_holds},
                {"open_requests", open},
                {"overdue_requests", overdue},
                {"due_soon_requests", due_soon}};
  auto unsearchable = UnsearchableRecords(a);
  if (!unsearchable.ok()) return fail(unsearchable.status());
  out.result["unsearchable_records"] = unsearchable.value();
  if (overdue > 0)
    out.status = Status(Code::kAttention,
                        std::to_string(overdue) + " request(s) are overdue");
  return out;
}

Outcome Requests(Context& ctx, const std::string& ref) {
  Outcome out;
  auto opened = OpenArchive(ctx, store::Access::kRead);
  if (!opened.ok()) {
    out.status = opened.status();
    return out;
  }
  int64_t now = ctx.env->NowMillis();
  auto reqs = opened.value()->ListRequests();
  if (!reqs.ok()) {
    out.status = reqs.status();
    return out;
  }
  Json list = Json::array();
  int64_t overdue = 0;
  for (const auto& r : reqs.value()) {
    if (!ref.empty() && r.ref != ref) continue;
    Json j = RequestJson(r, now);
    if (j["overdue"].get<bool>()) ++overdue;
    list.push_back(j);
  }
  if (!ref.empty() && list.empty()) {
    out.status = Status::Failed("no request with reference " + ref);
    return out;
  }
  out.result["requests"] = list;
  out.result["overdue"] = overdue;
  if (overdue > 0)
    out.status = Status(Code::kAttention, std::to_string(overdue) + " request(s) are overdue");
  return out;
}

Outcome ExtendRequest(Context& ctx, const std::string& ref, const std::string& reason) {
  Outcome out;
  auto fail = [&](Status s) {
    out.status = std::move(s);
    return out;
  };
  if (reason.empty()) return fail(Status::Usage("requests extend needs --reason TEXT"));
  auto opened = OpenArchive(ctx, store::Access::kWrite);
  if (!opened.ok()) return fail(opened.status());
  store::Archive& a = *opened.value();
  Status s = a.Begin();
  if (!s.ok()) return fail(s);
  auto r = a.GetRequest(ref);
  if (!r.ok()) return fail(r.status());
  if (!r.value()) return fail(Status::Failed("no request with reference " + ref));
  store::RequestRow req = *r.value();
  int64_t now_ms = ctx.env->NowMillis();
  if (req.completed_ms || now_ms > req.deadline_ms) {
    std::string why = "request " + ref + (req.completed_ms ? " is already completed"
                                                         : " is past its deadline") +
                      "; an extension must be decided within the first month (GDPR Art. 12(3))";
    Status rs = AuditRefusal(a, "requests extend", why);
    return fail(rs.ok() ? Status::Refused(why) : rs);
  }
  if (req.extended_deadline_ms) {
    std::string why = "request " + ref + " was already extended once (GDPR Art. 12(3))";
    Status rs = AuditRefusal(a, "requests extend", why);
    return fail(rs.ok() ? Status::Refused(why) : rs);
  }
  // Two more calendar months on the original deadline; never beyond three months of receipt.
  int64_t extended = std::min(AddMonths(req.deadline_ms, 2), AddMonths(req.received_ms, 3));
  req.extended_deadline_ms = extended;
  req.extension_reason = reason;
  s = a.PutRequest(req);
  if (!s.ok()) return fail(s);
  s = AuditAndCommit(a, "request_extended",
                     Json{{"request", ref}, {"deadline", FormatTime(extended)}, {"reason", reason}});
  if (!s.ok()) return fail(s);
  out.result = {{"requests", Json::array({RequestJson(req, ctx.env->NowMillis())})}};
  return out;
}

Outcome HoldAdd(Context& ctx, const HoldOptions& opts) {
  Outcome out;
  auto fail = [&](Status s) {
    out.status = std::move(s);
    return out;
  };
  if (opts.reason.empty()) return fail(Status::Usage("hold add needs --reason TEXT"));
  auto rules = LoadRules(ctx);
  if (!rules.ok()) return fail(rules.status());
  auto opened = OpenArchive(ctx, store::Access::kWrite);
  if (!opened.ok()) return fail(opened.status());
  store::Archive& a = *opened.value();
  auto subjects = ResolveSubjects(a, opts.subjects, rules.value());
  if (!subjects.ok()) return fail(subjects.status());
  int64_t now = ctx.env->NowMillis();
  if (opts.until_ms && *opts.until_ms <= now)
    return fail(Status::Usage("--until must be in the future"));
  Json subj = Json::array();
  std::vector<crypto::Hash> hashes;
  for (const auto& s : subjects.value()) {
    subj.push_back(HashHex(s.hash));
    hashes.push_back(s.hash);
  }
  Status s = a.Begin();
  if (!s.ok()) return fail(s);
  store::HoldRow h;
  h.reason = opts.reason;
  h.until_ms = opts.until_ms;
  h.created_ms = now;
  h.subjects = subj.dump();
  auto id = a.AddHold(h);
  if (!id.ok()) return fail(id.status());
  auto matches = a.Find(hashes);
  if (!matches.ok()) return fail(matches.status());
  s = AuditAndCommit(a, "hold_added", Json{{"hold", id.value()},
                                           {"reason", opts.reason},
                                           {"until", TimeOrNull(opts.until_ms)},
                                           {"subjects", subj},
                                           {"records", static_cast<int64_t>(matches.value().size())}});
  if (!s.ok()) return fail(s);
  out.result = {{"hold", id.value()},
                {"reason", opts.reason},
                {"until", TimeOrNull(opts.until_ms)},
                {"records", static_cast<int64_t>(matches.value().size())}};
  return out;
}

Outcome HoldList(Context& ctx) {
  Outcome out;
  auto opened = OpenArchive(ctx, store::Access::kRead);
  if (!opened.ok()) {
    out.status = opened.status();
    return out;
  }
  store::Archive& a = *opened.value();
  auto holds = a.ListHolds();
  if (!holds.ok()) {
    out.status = holds.status();
    return out;
  }
  int64_t now = ctx.env->NowMillis();
  Json list = Json::array();
  for (const auto& h : holds.value()) {
    Json subj = Json::parse(h.subjects, nullptr, false);
    std::vector<crypto::Hash> hashes;
    if (subj.is_array())
      for (const auto& s : subj) {
        auto hh = HashFromHex(s.get<std::string>());
        if (hh.ok()) hashes.push_back(hh.value());
      }
    auto matches = a.Find(hashes);
    std::string state = h.released_ms ? "released"
                        : (h.until_ms && *h.until_ms <= now) ? "expired" : "active";
    list.push_back({{"hold", h.id},
                    {"reason", h.reason},
                    {"until", TimeOrNull(h.until_ms)},
                    {"created", FormatTime(h.created_ms)},
                    {"released", TimeOrNull(h.released_ms)},
                    {"state", state},
                    {"records", matches.ok() ? static_cast<int64_t>(matches.value().size()) : 0}});
  }
  out.result["holds"] = list;
  return out;
}

Outcome HoldRelease(Context& ctx, const std::string& hold) {
  Outcome out;
  auto fail = [&](Status s) {
    out.status = std::move(s);
    return out;
  };
  int64_t id = 0;
  try {
    size_t pos = 0;
    id = std::stoll(hold, &pos);
    if (pos != hold.size()) throw std::invalid_argument(hold);
  } catch (...) {
    return fail(Status::Usage("hold release needs a hold id (a number, see hold list)"));
  }
  auto opened = OpenArchive(ctx, store::Access::kWrite);
  if (!opened.ok()) return fail(opened.status());
  store::Archive& a = *opened.value();
  Status s = a.Begin();
  if (!s.ok()) return fail(s);
  auto holds = a.ListHolds();
  if (!holds.ok()) return fail(holds.status());
  for (auto h : holds.value()) {
    if (h.id != id) continue;
    if (h.released_ms) return fail(Status::Failed("hold " + hold + " is already released"));
    h.released_ms = ctx.env->NowMillis();
    s = a.PutHold(h);
    if (!s.ok()) return fail(s);
    s = AuditAndCommit(a, "hold_released", Json{{"hold", id}, {"reason", h.reason}});
    if (!s.ok()) return fail(s);
    out.result = {{"hold", id}, {"released", FormatTime(*h.released_ms)}};
    return out;
  }
  return fail(Status::Failed("no hold with id " + hold));
}

}  // namespace davault::compliance
