// Human-readable renderings: short, stable, one fact per line, like git and restic print.
#include "cli/render.h"

#include <sstream>

namespace davault::cli {
namespace {

using compliance::Json;

std::string S(const Json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "-";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

void Links(std::ostringstream& o, const Json& r) {
  if (r.contains("followed"))
    for (const auto& l : r["followed"]) o << "followed     " << S(l, "kind") << " " << S(l, "id")
                                          << ": " << S(l, "why") << "\n";
  if (r.contains("not_followed"))
    for (const auto& l : r["not_followed"])
      o << "not followed " << S(l, "kind") << " " << S(l, "id") << ": " << S(l, "why") << "\n";
}

}  // namespace

std::string RenderText(const std::string& cmd, const Json& r) {
  std::ostringstream o;
  if (r.empty()) return "";
  if (cmd == "init") {
    o << "created archive " << S(r, "archive") << " (id " << S(r, "archive_id") << ")\n";
    if (r.value("key_file_created", false))
      o << "created key file " << S(r, "key_file")
        << " (mode 0600): keep it safe and outside the archive; without it nothing can be read\n";
  } else if (cmd == "ingest" || cmd == "pull") {
    o << "files ingested:     " << S(r, "files_ingested") << "\n"
      << "files skipped:      " << S(r, "files_skipped") << "\n"
      << "records ingested:   " << S(r, "records_ingested") << "\n"
      << "duplicate copies:   " << S(r, "records_duplicate") << "\n"
      << "records suppressed: " << S(r, "records_suppressed") << "\n"
      << "schema anomalies:   " << S(r, "schema_anomalies") << "\n"
      << "needs review:       " << S(r, "needs_review") << "\n";
    if (r.contains("files_failed") && !r["files_failed"].empty()) {
      o << "files failed:       " << r["files_failed"].size() << "\n";
      for (const auto& f : r["files_failed"]) o << "  " << f.get<std::string>() << "\n";
    }
  } else if (cmd == "find") {
    o << S(r, "count") << " records\n";
    for (const auto& m : r["matches"]) {
      o << "record " << S(m, "record") << "  " << S(m, "type") << "  " << S(m, "time")
        << "  matched ";
      for (size_t i = 0; i < m["matched"].size(); ++i)
        o << (i ? "," : "") << m["matched"][i].get<std::string>();
      o << " in ";
      for (size_t i = 0; i < m["fields"].size(); ++i)
        o << (i ? "," : "") << m["fields"][i].get<std::string>();
      o << "\n";
      for (const auto& f : m["file"]) o << "    " << f.get<std::string>() << "\n";
    }
    Links(o, r);
  } else if (cmd == "export") {
    o << "exported " << S(r, "count") << " records to " << S(r, "out") << " (request "
      << S(r, "request") << ")\n";
  } else if (cmd == "erase") {
    o << "request " << S(r, "request") << ": " << S(r, "status") << "\n"
      << "plan " << S(r, "plan") << "\n";
    if (S(r, "status") == "planned") {
      o << "would erase " << S(r, "records_to_erase") << " records; " << S(r, "records_held")
        << " held\n";
      for (const auto& rec : r["records"])
        o << "  record " << S(rec, "record") << "  " << S(rec, "type") << "  " << S(rec, "time")
          << "  " << S(rec, "reason") << "\n";
      for (const auto& rec : r["held"])
        o << "  keep record " << S(rec, "record") << ": " << S(rec, "reason") << "\n";
      o << "apply exactly this plan with: --plan " << S(r, "plan") << "\n";
    } else {
      o << "records erased:  " << S(r, "records_erased") << "\n"
        << "records held:    " << S(r, "records_held") << "\n"
        << "files rewritten: " << S(r, "files_rewritten") << "\n";
      if (r.contains("certificate")) o << "certificate:     " << S(r, "certificate") << "\n";
    }
    Links(o, r);
  } else if (cmd == "sweep") {
    o << "as of " << S(r, "as_of") << ", cutoff " << S(r, "cutoff") << ": " << S(r, "status")
      << "\n";
    if (S(r, "status") == "planned" || S(r, "status") == "would_refuse")
      o << "would delete " << S(r, "records_to_delete") << " records\n";
    else
      o << "records deleted: " << S(r, "records_deleted") << "\nfiles emptied:   "
        << S(r, "files_deleted") << "\n";
    o << "records held:    " << S(r, "records_held") << "\nrecords kept:    "
      << S(r, "records_kept") << "\nundatable:       " << S(r, "records_undatable") << "\n";
    if (r.contains("refusal")) o << "refusal: " << S(r, "refusal") << "\n";
    if (r.contains("held"))
      for (const auto& h : r["held"]) o << "  keep record " << S(h, "record") << ": "
                                        << S(h, "reason") << "\n";
  } else if (cmd == "verify" || cmd == "audit verify") {
    bool ok = r.value("ok", false);
    o << (ok ? "ok" : "PROBLEMS FOUND") << "\n";
    for (const auto& p : r["problems"]) o << "  " << p.get<std::string>() << "\n";
    if (r.contains("payloads_checked")) o << "payloads checked: " << S(r, "payloads_checked") << "\n";
    if (r.contains("audit_entries")) o << "audit entries:    " << S(r, "audit_entries") << "\n";
    if (r.contains("entries")) o << "audit entries:    " << S(r, "entries") << "\n";
  } else if (cmd == "certificate verify") {
    o << (r.value("ok", false) ? "certificate verifies" : "certificate does NOT verify");
    if (r.contains("request")) o << ": request " << S(r, "request") << ", "
                                 << S(r, "records_erased") << " records erased, issued "
                                 << S(r, "issued_at");
    o << "\n";
  } else if (cmd == "status") {
    o << "archive:          " << S(r, "archive") << "\n"
      << "files:            " << S(r, "files") << "\n"
      << "records:          " << S(r, "records") << "\n"
      << "bytes:            " << S(r, "bytes") << "\n"
      << "oldest record:    " << S(r, "oldest_record_time") << "\n"
      << "next expiry:      " << S(r, "next_expiry") << "\n"
      << "active holds:     " << S(r, "active_holds") << "\n"
      << "open requests:    " << r["open_requests"].size() << "\n";
    for (const auto& q : r["open_requests"])
      o << "  " << S(q, "ref") << " due " << S(q, "deadline") << " (" << S(q, "days_left")
        << " days)" << (q.value("overdue", false) ? " OVERDUE" : "")
        << (q.value("due_soon", false) ? " due soon" : "") << "\n";
  } else if (cmd == "requests") {
    for (const auto& q : r["requests"])
      o << S(q, "ref") << "  " << S(q, "kind") << "  received " << S(q, "received") << "  due "
        << S(q, "deadline") << "  " << S(q, "status") << "  " << S(q, "days_left") << " days left"
        << (q.value("overdue", false) ? "  OVERDUE" : "")
        << (q.value("due_soon", false) ? "  due soon" : "") << "\n";
    if (r["requests"].empty()) o << "no requests\n";
  } else if (cmd == "hold add") {
    o << "hold " << S(r, "hold") << " added (" << S(r, "records") << " records held now)\n";
  } else if (cmd == "hold list") {
    for (const auto& h : r["holds"])
      o << "hold " << S(h, "hold") << "  " << S(h, "state") << "  until " << S(h, "until") << "  "
        << S(h, "records") << " records  " << S(h, "reason") << "\n";
    if (r["holds"].empty()) o << "no holds\n";
  } else if (cmd == "rekey") {
    o << "rekey " << S(r, "status") << ": " << S(r, "records_rewrapped")
      << " record keys re-wrapped; key generation " << S(r, "key_generation") << "\n";
    if (r.value("key_file_created", false))
      o << "created key file " << S(r, "key_file")
        << " (mode 0600): keep it safe and outside the archive; the old key no longer opens it\n";
  } else if (cmd == "hold release") {
    o << "hold " << S(r, "hold") << " released at " << S(r, "released") << "\n";
  } else {
    o << r.dump(2) << "\n";
  }
  // PGP values no key decrypted: whatever was searched, these records could not be.
  if ((cmd == "find" || cmd == "export" || cmd == "erase" || cmd == "ingest" || cmd == "pull" ||
       cmd == "status") &&
      r.contains("unsearchable_records") && r["unsearchable_records"].is_number_integer() &&
      r["unsearchable_records"].get<int64_t>() > 0)
    o << "unsearchable:     " << S(r, "unsearchable_records")
      << " records in the archive hold PGP-encrypted values no key decrypted and could not be "
         "searched (davault reindex --pgp-key FILE indexes them)\n";
  return o.str();
}

}  // namespace davault::cli
