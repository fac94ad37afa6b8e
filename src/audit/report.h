// The compliance report for a period: built from the audit log, the requests and the archive's
// current state; rendered as text, JSON, CSV or a self-contained HTML page.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/log.h"
#include "store/archive.h"

namespace davault::audit {

enum class ReportFormat { kText, kJson, kCsv, kHtml };
std::optional<ReportFormat> ParseReportFormat(std::string_view s);

struct ReportInput {
  int64_t from_ms = 0, to_ms = 0, generated_ms = 0;
  std::vector<store::AuditRow> entries;      // the whole log; filtered by time here
  std::vector<store::RequestRow> requests;   // all requests
  store::Stats stats;
  int64_t retention_days = 30;
  int64_t cutoff_ms = 0;                      // as of generated_ms, for the oldest-record check
  std::vector<int64_t> record_ages_days;      // age of every record (for the age chart)
  int64_t unsearchable_records = 0;           // records with PGP values no key decrypted
  Head head;
  std::string policy_hash;
  std::string tool_version;
};

// The report as a JSON text (the model the other formats are rendered from).
std::string BuildReportJson(const ReportInput& in);
Result<std::string> RenderReport(const ReportInput& in, ReportFormat format);

}  // namespace davault::audit
