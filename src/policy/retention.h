// Retention policy (policies/retention.toml) and its evaluation: a pure function from records
// and an instant to keep/delete decisions, each with its reason.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "davault/env.h"
#include "davault/status.h"

namespace davault::policy {

// The instant a record's retention period counts from. Never the download time: a late pull
// must not extend how long personal data is kept.
enum class RetentionBasis { kRecordEnd, kRecordStart, kScopeEnd };

struct TypeRetention {
  int64_t days = 30;
  RetentionBasis basis = RetentionBasis::kRecordEnd;
};

struct RetentionPolicy {
  std::map<uint8_t, TypeRetention> per_type;  // by format::DataType value
  double max_delete_fraction = 0.5;           // a sweep deleting more refuses without --force
  std::string text;                           // the file as read (for the policy hash)
};

// Data type values are format::DataType; names are "AgentActivity", "WebSession", ...
Result<RetentionPolicy> ParseRetentionPolicy(std::string_view toml_text,
                                             const std::string& display_name);
Result<RetentionPolicy> LoadRetentionPolicy(Env* env, const std::string& path);
RetentionPolicy DefaultRetentionPolicy();

struct RecordDates {
  int64_t record_id = 0;
  uint8_t type = 0;
  std::optional<int64_t> start_ms, end_ms, scope_end_ms;
};

enum class Verdict { kKeep, kDelete, kHeld, kUndatable };

struct Decision {
  int64_t record_id = 0;
  uint8_t type = 0;
  Verdict verdict = Verdict::kKeep;
  std::optional<int64_t> basis_ms;  // the instant retention counted from
  int64_t expires_ms = 0;           // basis + period (when datable)
  std::string reason;               // "expired: ...", "within retention until ...", ...
};

struct HoldInfo {
  int64_t hold_id = 0;
  std::string reason;
  std::optional<int64_t> until_ms;
};

// The instant retention counts from for one record under the policy, or nullopt (undatable).
// record_end falls back to the record's start (sessions without an end), then to its file's
// scope end; scope_end falls back to the record's own end, then start.
std::optional<int64_t> BasisInstant(const TypeRetention& r, const RecordDates& d);

// The cutoff for a type at an instant: records whose basis is before it have expired.
int64_t Cutoff(const RetentionPolicy& p, uint8_t type, int64_t as_of_ms);

// Pure: same inputs, same decisions. held maps record id -> the hold keeping it.
std::vector<Decision> Evaluate(const RetentionPolicy& p, const std::vector<RecordDates>& records,
                               const std::map<int64_t, HoldInfo>& held, int64_t as_of_ms);

std::string BasisName(RetentionBasis b);

}  // namespace davault::policy
