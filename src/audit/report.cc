// Report model (nlohmann::json) and its text, JSON, CSV and HTML renderings.
#include "audit/report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <sstream>

#include "base/time.h"

namespace davault::audit {
namespace {

using nlohmann::json;

int64_t Num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

json Model(const ReportInput& in) {
  json m;
  m["period"] = {{"from", FormatTime(in.from_ms)}, {"to", FormatTime(in.to_ms)}};
  m["generated_at"] = FormatTime(in.generated_ms);
  m["tool_version"] = in.tool_version;
  m["policy_hash"] = in.policy_hash;
  int64_t files = 0, recs = 0, suppressed = 0, copies = 0, erasures = 0, erased = 0,
          erase_held = 0, sweeps = 0, swept = 0, sweep_held = 0, refusals = 0, exports = 0,
          exported = 0, files_rewritten = 0;
  json erasure_list = json::array();
  json refusal_list = json::array();
  std::map<std::string, int64_t> swept_by_type, erased_by_type;
  for (const auto& e : in.entries) {
    if (e.time_ms < in.from_ms || e.time_ms >= in.to_ms) continue;
    json b = json::parse(e.body, nullptr, false);
    if (b.is_discarded()) b = json::object();
    if (e.event == "ingest") {
      ++files;
      recs += Num(b, "new");
      suppressed += Num(b, "suppressed");
      copies += Num(b, "copies");
    } else if (e.event == "erase") {
      // A held erasure that a sweep completed is the same request, not a new erasure.
      if (b.value("completed_by", "") != "sweep") ++erasures;
      erased += Num(b, "records_erased");
      erase_held += Num(b, "records_held");
      if (b.contains("per_type") && b["per_type"].is_object())
        for (auto& [k, v] : b["per_type"].items())
          if (v.is_number_integer()) erased_by_type[k] += v.get<int64_t>();
      erasure_list.push_back({{"seq", e.seq},
                              {"time", FormatTime(e.time_ms)},
                              {"request", b.value("request", "")},
                              {"status", b.value("status", "")},
                              {"records_erased", Num(b, "records_erased")},
                              {"records_held", Num(b, "records_held")}});
    } else if (e.event == "sweep") {
      ++sweeps;
      swept += Num(b, "records_deleted");
      sweep_held += Num(b, "records_held");
      if (b.contains("per_type") && b["per_type"].is_object())
        for (auto& [k, v] : b["per_type"].items())
          if (v.is_number_integer()) swept_by_type[k] += v.get<int64_t>();
    } else if (e.event == "erase_completed" || e.event == "sweep_completed") {
      files_rewritten += Num(b, "files_rewritten");
    } else if (e.event == "refusal") {
      ++refusals;
      refusal_list.push_back({{"seq", e.seq},
                              {"time", FormatTime(e.time_ms)},
                              {"command", b.value("command", "")},
                              {"reason", b.value("reason", "")}});
    } else if (e.event == "export") {
      ++exports;
      exported += Num(b, "records");
    }
  }
  m["ingest"] = {{"files", files}, {"records", recs}, {"records_suppressed", suppressed},
                 {"duplicate_copies", copies}};
  m["erasure"] = {{"erasures", erasures},
                  {"records_erased", erased},
                  {"records_held", erase_held},
                  {"records_erased_by_type", erased_by_type},
                  {"storage_files_rewritten", files_rewritten},
                  {"list", erasure_list}};
  m["sweep"] = {{"sweeps", sweeps},
                {"records_deleted", swept},
                {"records_held", sweep_held},
                {"records_deleted_by_type", swept_by_type}};
  m["refusals"] = {{"count", refusals}, {"list", refusal_list}};
  m["access"] = {{"exports", exports}, {"records_exported", exported}};

  int64_t received = 0, completed = 0, on_time = 0, late = 0, open = 0;
  json open_list = json::array();
  for (const auto& r : in.requests) {
    if (r.received_ms < in.from_ms || r.received_ms >= in.to_ms) continue;
    ++received;
    int64_t deadline = r.extended_deadline_ms.value_or(r.deadline_ms);
    if (r.completed_ms) {
      ++completed;
      if (*r.completed_ms <= deadline) ++on_time; else ++late;
    } else {
      ++open;
      open_list.push_back({{"ref", r.ref},
                           {"kind", r.kind},
                           {"received", FormatTime(r.received_ms)},
                           {"deadline", FormatTime(deadline)},
                           {"status", r.status},
                           {"overdue", deadline < in.generated_ms}});
    }
  }
  m["requests"] = {{"received", received}, {"completed", completed}, {"on_time", on_time},
                   {"late", late}, {"open", open}, {"open_list", open_list}};
  json arch = {{"files", in.stats.files}, {"records", in.stats.records},
               {"payload_bytes", in.stats.payload_bytes}};
  arch["retention_days"] = in.retention_days;
  arch["unsearchable_records"] = in.unsearchable_records;
  arch["cutoff"] = FormatTime(in.cutoff_ms);
  if (in.stats.oldest_start_ms) {
    arch["oldest_record_time"] = FormatTime(*in.stats.oldest_start_ms);
    arch["oldest_record_age_days"] = DaysBetween(*in.stats.oldest_start_ms, in.generated_ms);
    arch["oldest_within_retention"] = *in.stats.oldest_start_ms >= in.cutoff_ms;
  } else {
    arch["oldest_record_time"] = nullptr;
    arch["oldest_within_retention"] = true;
  }
  m["archive"] = arch;
  m["audit_head"] = {{"seq", in.head.seq}, {"hash", in.head.hash_hex},
                     {"signature", in.head.signature_hex}};
  return m;
}

std::string Text(const json& m) {
  std::ostringstream o;
  o << "davault compliance report\n";
  o << "period:        " << m["period"]["from"].get<std::string>() << " to "
    << m["period"]["to"].get<std::string>() << "\n";
  o << "generated at:  " << m["generated_at"].get<std::string>() << "\n\n";
  o << "ingest:        " << m["ingest"]["files"] << " files, " << m["ingest"]["records"]
    << " records, " << m["ingest"]["records_suppressed"] << " suppressed\n";
  o << "erasures:      " << m["erasure"]["erasures"] << " runs, "
    << m["erasure"]["records_erased"] << " records erased, " << m["erasure"]["records_held"]
    << " held\n";
  o << "sweeps:        " << m["sweep"]["sweeps"] << " runs, " << m["sweep"]["records_deleted"]
    << " records deleted, " << m["sweep"]["records_held"] << " held\n";
  o << "refusals:      " << m["refusals"]["count"] << "\n";
  o << "exports:       " << m["access"]["exports"] << " (" << m["access"]["records_exported"]
    << " records)\n";
  const json& rq = m["requests"];
  o << "requests:      " << rq["received"] << " received, " << rq["completed"] << " completed ("
    << rq["on_time"] << " on time, " << rq["late"] << " late), " << rq["open"] << " open\n";
  for (const auto& r : rq["open_list"])
    o << "  open " << r["ref"].get<std::string>() << " due " << r["deadline"].get<std::string>()
      << (r["overdue"].get<bool>() ? "  OVERDUE" : "") << "\n";
  const json& a = m["archive"];
  o << "archive:       " << a["files"] << " files, " << a["records"] << " records\n";
  if (a["unsearchable_records"].get<int64_t>() > 0)
    o << "unsearchable:  " << a["unsearchable_records"]
      << " records hold PGP-encrypted values no key decrypted (not searchable by find/erase)\n";
  o << "oldest record: "
    << (a["oldest_record_time"].is_null() ? std::string("none")
                                          : a["oldest_record_time"].get<std::string>())
    << " (retention " << a["retention_days"] << " days, cutoff " << a["cutoff"].get<std::string>()
    << (a["oldest_within_retention"].get<bool>() ? ", within retention" : ", PAST RETENTION")
    << ")\n";
  o << "audit head:    seq " << m["audit_head"]["seq"] << " hash "
    << m["audit_head"]["hash"].get<std::string>() << "\n";
  o << "               signature " << m["audit_head"]["signature"].get<std::string>() << "\n";
  return o.str();
}

std::string Csv(const json& m) {
  // One "section,metric,value" row per figure, so spreadsheets and scripts can diff reports.
  std::ostringstream o;
  o << "section,metric,value\n";
  auto row = [&](const std::string& s, const std::string& k, const json& v) {
    o << s << "," << k << ",";
    if (v.is_string()) o << v.get<std::string>(); else o << v.dump();
    o << "\n";
  };
  row("period", "from", m["period"]["from"]);
  row("period", "to", m["period"]["to"]);
  row("report", "generated_at", m["generated_at"]);
  for (const char* k : {"files", "records", "records_suppressed", "duplicate_copies"})
    row("ingest", k, m["ingest"][k]);
  for (const char* k : {"erasures", "records_erased", "records_held", "storage_files_rewritten"})
    row("erasure", k, m["erasure"][k]);
  for (const char* k : {"sweeps", "records_deleted", "records_held"}) row("sweep", k, m["sweep"][k]);
  row("refusals", "count", m["refusals"]["count"]);
  row("access", "exports", m["access"]["exports"]);
  row("access", "records_exported", m["access"]["records_exported"]);
  for (const char* k : {"received", "completed", "on_time", "late", "open"})
    row("requests", k, m["requests"][k]);
  for (const char* k : {"files", "records", "retention_days", "cutoff", "oldest_record_time",
                        "oldest_within_retention", "unsearchable_records"})
    row("archive", k, m["archive"][k]);
  row("audit_head", "seq", m["audit_head"]["seq"]);
  row("audit_head", "hash", m["audit_head"]["hash"]);
  return o.str();
}

std::string Escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string Html(const json& m, const ReportInput& in) {
  std::ostringstream o;
  auto cell = [](const json& v) { return Escape(v.is_string() ? v.get<std::string>() : v.dump()); };
  o << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>davault "
       "compliance report</title><style>body{font-family:sans-serif;margin:2em;color:#222}"
       "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #999;padding:4px "
       "8px;text-align:left}th{background:#eee}.bad{color:#b00;font-weight:bold}"
       ".ok{color:#070}</style></head><body>";
  o << "<h1>davault compliance report</h1>";
  o << "<p>Period <b>" << cell(m["period"]["from"]) << "</b> to <b>" << cell(m["period"]["to"])
    << "</b>; generated " << cell(m["generated_at"]) << "; retention cutoff used "
    << cell(m["archive"]["cutoff"]) << ".</p>";
  o << "<table id=\"counts\"><tr><th>section</th><th>metric</th><th>value</th></tr>";
  auto row = [&](const char* s, const char* k, const json& v) {
    o << "<tr><td>" << s << "</td><td>" << k << "</td><td data-key=\"" << s << "." << k << "\">"
      << cell(v) << "</td></tr>";
  };
  for (const char* k : {"files", "records", "records_suppressed", "duplicate_copies"})
    row("ingest", k, m["ingest"][k]);
  for (const char* k : {"erasures", "records_erased", "records_held", "storage_files_rewritten"})
    row("erasure", k, m["erasure"][k]);
  for (const char* k : {"sweeps", "records_deleted", "records_held"}) row("sweep", k, m["sweep"][k]);
  row("refusals", "count", m["refusals"]["count"]);
  row("access", "exports", m["access"]["exports"]);
  row("access", "records_exported", m["access"]["records_exported"]);
  for (const char* k : {"received", "completed", "on_time", "late", "open"})
    row("requests", k, m["requests"][k]);
  for (const char* k :
       {"files", "records", "retention_days", "oldest_record_time", "unsearchable_records"})
    row("archive", k, m["archive"][k]);
  o << "</table>";
  bool within = m["archive"]["oldest_within_retention"].get<bool>();
  o << "<p class=\"" << (within ? "ok" : "bad") << "\">Oldest record "
    << cell(m["archive"]["oldest_record_time"])
    << (within ? " is within retention." : " is PAST the retention limit.") << "</p>";

  // Chart 1: records by age (days), with the retention line.
  std::map<int64_t, int64_t> by_age;
  int64_t max_age = in.retention_days + 5;
  for (int64_t a : in.record_ages_days) {
    int64_t b = std::max<int64_t>(0, a);
    ++by_age[b];
    max_age = std::max(max_age, b + 1);
  }
  int64_t max_count = 1;
  for (auto& [k, v] : by_age) max_count = std::max(max_count, v);
  const int W = 640, H = 200;
  double bw = static_cast<double>(W) / static_cast<double>(max_age);
  o << "<h2>Records by age</h2><svg id=\"age-chart\" width=\"" << W + 40 << "\" height=\"" << H + 40
    << "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><title>Records by age in days</title>";
  for (auto& [age, count] : by_age) {
    double h = static_cast<double>(count) / static_cast<double>(max_count) * H;
    o << "<rect x=\"" << 30 + age * bw << "\" y=\"" << 10 + H - h << "\" width=\""
      << std::max(1.0, bw - 1) << "\" height=\"" << h << "\" fill=\""
      << (age >= in.retention_days ? "#c33" : "#47a") << "\"><title>" << age << " days: " << count
      << " records</title></rect>";
  }
  double rx = 30 + static_cast<double>(in.retention_days) * bw;
  o << "<line x1=\"" << rx << "\" y1=\"5\" x2=\"" << rx << "\" y2=\"" << H + 10
    << "\" stroke=\"#000\" stroke-dasharray=\"4\"/><text x=\"" << rx + 4 << "\" y=\"20\" "
    << "font-size=\"12\">retention " << in.retention_days << " d</text>";
  o << "<text x=\"30\" y=\"" << H + 30 << "\" font-size=\"12\">age in days (0 to " << max_age
    << ")</text></svg>";

  // Chart 2: requests by week of receipt, by deadline status.
  std::map<int64_t, std::array<int64_t, 3>> weeks;  // on time / late / open
  for (const auto& r : in.requests) {
    if (r.received_ms < in.from_ms || r.received_ms >= in.to_ms) continue;
    int64_t wk = r.received_ms / (7 * kMillisPerDay);
    int64_t deadline = r.extended_deadline_ms.value_or(r.deadline_ms);
    int idx = r.completed_ms ? (*r.completed_ms <= deadline ? 0 : 1) : 2;
    ++weeks[wk][idx];
  }
  o << "<h2>Requests by week</h2><svg id=\"requests-chart\" width=\"" << W + 40 << "\" height=\""
    << H + 40 << "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><title>Requests by week "
    << "of receipt</title>";
  int64_t wmax = 1;
  for (auto& [w, c] : weeks) wmax = std::max(wmax, c[0] + c[1] + c[2]);
  double wbw = weeks.empty() ? W : std::min(60.0, static_cast<double>(W) / static_cast<double>(weeks.size()));
  int i = 0;
  const char* colors[3] = {"#3a3", "#c33", "#ca3"};
  for (auto& [w, c] : weeks) {
    double y = 10 + H;
    for (int k = 0; k < 3; ++k) {
      double h = static_cast<double>(c[k]) / static_cast<double>(wmax) * H;
      y -= h;
      o << "<rect x=\"" << 30 + i * wbw << "\" y=\"" << y << "\" width=\"" << std::max(1.0, wbw - 2)
        << "\" height=\"" << h << "\" fill=\"" << colors[k] << "\"><title>week of "
        << FormatDate(w * 7 * kMillisPerDay) << ": " << c[k] << "</title></rect>";
    }
    o << "<text x=\"" << 30 + i * wbw << "\" y=\"" << H + 22 << "\" font-size=\"10\">"
      << FormatDate(w * 7 * kMillisPerDay).substr(5) << "</text>";
    ++i;
  }
  o << "<text x=\"30\" y=\"" << H + 36
    << "\" font-size=\"12\">weeks of receipt; green on time, red late, amber open</text></svg>";

  o << "<h2>Open requests</h2><table><tr><th>ref</th><th>received</th><th>deadline</th>"
       "<th>status</th></tr>";
  for (const auto& r : m["requests"]["open_list"])
    o << "<tr><td>" << cell(r["ref"]) << "</td><td>" << cell(r["received"]) << "</td><td"
      << (r["overdue"].get<bool>() ? " class=\"bad\"" : "") << ">" << cell(r["deadline"])
      << "</td><td>" << cell(r["status"]) << "</td></tr>";
  o << "</table><h2>Audit head</h2><p>seq " << cell(m["audit_head"]["seq"]) << "<br>hash <code>"
    << cell(m["audit_head"]["hash"]) << "</code><br>signature <code>"
    << cell(m["audit_head"]["signature"]) << "</code></p>";
  o << "<p>Tool version " << cell(m["tool_version"]) << ", policy hash <code>"
    << cell(m["policy_hash"]) << "</code>. All times UTC.</p></body></html>\n";
  return o.str();
}

}  // namespace

std::optional<ReportFormat> ParseReportFormat(std::string_view s) {
  if (s == "text") return ReportFormat::kText;
  if (s == "json") return ReportFormat::kJson;
  if (s == "csv") return ReportFormat::kCsv;
  if (s == "html") return ReportFormat::kHtml;
  return std::nullopt;
}

std::string BuildReportJson(const ReportInput& in) { return Model(in).dump(2); }

Result<std::string> RenderReport(const ReportInput& in, ReportFormat format) {
  json m = Model(in);
  switch (format) {
    case ReportFormat::kText: return Text(m);
    case ReportFormat::kJson: return m.dump(2) + "\n";
    case ReportFormat::kCsv: return Csv(m);
    case ReportFormat::kHtml: return Html(m, in);
  }
  return Status::Usage("unknown report format");
}

}  // namespace davault::audit
