// Retention policy: loaded from policies/retention.toml with toml++, evaluated as a pure function.
#include "policy/retention.h"

#include <toml++/toml.h>

#include <sstream>

#include "base/time.h"

namespace davault::policy {
namespace {

struct TypeName {
  uint8_t value;
  const char* name;
};
constexpr TypeName kTypes[] = {
    {1, "AgentActivity"}, {2, "WebSession"}, {3, "Engagement"}, {4, "Survey"}};

std::optional<RetentionBasis> ParseBasis(std::string_view s) {
  if (s == "record_end") return RetentionBasis::kRecordEnd;
  if (s == "record_start") return RetentionBasis::kRecordStart;
  if (s == "scope_end") return RetentionBasis::kScopeEnd;
  return std::nullopt;
}

}  // namespace

std::string BasisName(RetentionBasis b) {
  switch (b) {
    case RetentionBasis::kRecordEnd: return "record_end";
    case RetentionBasis::kRecordStart: return "record_start";
    case RetentionBasis::kScopeEnd: return "scope_end";
  }
  return "?";
}

RetentionPolicy DefaultRetentionPolicy() {
  RetentionPolicy p;
  for (const auto& t : kTypes) p.per_type[t.value] = TypeRetention{};
  return p;
}

Result<RetentionPolicy> ParseRetentionPolicy(std::string_view text,
                                             const std::string& display_name) {
  toml::table tbl;
  try {
    tbl = toml::parse(text, display_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "policy " << display_name << " line " << e.source().begin.line << ": "
       << e.description();
    return Status::Failed(os.str());
  }
  RetentionPolicy p = DefaultRetentionPolicy();
  p.text = std::string(text);
  auto bad = [&](const std::string& what) {
    return Status::Failed("policy " + display_name + ": " + what);
  };
  if (auto f = tbl["max_delete_fraction"]; f) {
    auto v = f.value<double>();
    if (!v || *v <= 0 || *v > 1) return bad("max_delete_fraction must be a number in (0, 1]");
    p.max_delete_fraction = *v;
  }
  const toml::table* types = tbl["types"].as_table();
  if (types != nullptr) {
    for (const auto& [key, node] : *types) {
      const TypeName* t = nullptr;
      for (const auto& cand : kTypes)
        if (key.str() == cand.name) t = &cand;
      if (t == nullptr) return bad("unknown data type [types." + std::string(key.str()) + "]");
      const toml::table* tt = node.as_table();
      if (tt == nullptr) return bad("[types." + std::string(key.str()) + "] must be a table");
      TypeRetention r;
      if (auto d = (*tt)["days"]; d) {
        // value_exact: only an integer. value<int64_t>() would convert a float, and one out of
        // range (days = 6e37, found by fuzzing) is undefined behaviour.
        auto v = d.value_exact<int64_t>();
        if (!v || *v < 1 || *v > 36500) return bad(std::string(t->name) + ".days must be 1..36500");
        r.days = *v;
      }
      if (auto f = (*tt)["from"]; f) {
        auto v = f.value<std::string>();
        auto b = v ? ParseBasis(*v) : std::nullopt;
        if (!b)
          return bad(std::string(t->name) +
                     ".from must be \"record_end\", \"record_start\" or \"scope_end\"");
        r.basis = *b;
      }
      p.per_type[t->value] = r;
    }
  }
  return p;
}

Result<RetentionPolicy> LoadRetentionPolicy(Env* env, const std::string& path) {
  auto text = ReadFileToString(env, path);
  if (!text.ok()) return text.status().Context("cannot read policy");
  return ParseRetentionPolicy(text.value(), path);
}

std::optional<int64_t> BasisInstant(const TypeRetention& r, const RecordDates& d) {
  switch (r.basis) {
    case RetentionBasis::kRecordEnd:
      if (d.end_ms) return d.end_ms;
      if (d.start_ms) return d.start_ms;
      return d.scope_end_ms;
    case RetentionBasis::kRecordStart:
      if (d.start_ms) return d.start_ms;
      if (d.end_ms) return d.end_ms;
      return d.scope_end_ms;
    case RetentionBasis::kScopeEnd:
      if (d.scope_end_ms) return d.scope_end_ms;
      if (d.end_ms) return d.end_ms;
      return d.start_ms;
  }
  return std::nullopt;
}

int64_t Cutoff(const RetentionPolicy& p, uint8_t type, int64_t as_of_ms) {
  auto it = p.per_type.find(type);
  int64_t days = it == p.per_type.end() ? 30 : it->second.days;
  return as_of_ms - days * kMillisPerDay;
}

std::vector<Decision> Evaluate(const RetentionPolicy& p, const std::vector<RecordDates>& records,
                               const std::map<int64_t, HoldInfo>& held, int64_t as_of_ms) {
  std::vector<Decision> out;
  out.reserve(records.size());
  for (const auto& r : records) {
    Decision d;
    d.record_id = r.record_id;
    d.type = r.type;
    auto it = p.per_type.find(r.type);
    TypeRetention tr = it == p.per_type.end() ? TypeRetention{} : it->second;
    d.basis_ms = BasisInstant(tr, r);
    if (!d.basis_ms) {
      d.verdict = Verdict::kUndatable;
      d.reason = "undatable: the record has no time and its file no scope; kept, never guessed";
      out.push_back(std::move(d));
      continue;
    }
    d.expires_ms = *d.basis_ms + tr.days * kMillisPerDay;
    if (d.expires_ms > as_of_ms) {
      d.verdict = Verdict::kKeep;
      d.reason = "within retention until " + FormatTime(d.expires_ms);
    } else if (auto h = held.find(r.record_id); h != held.end()) {
      d.verdict = Verdict::kHeld;
      d.reason = "held by hold " + std::to_string(h->second.hold_id) +
                 (h->second.until_ms ? " until " + FormatTime(*h->second.until_ms)
                                     : std::string(" until released"));
    } else {
      d.verdict = Verdict::kDelete;
      d.reason = "expired at " + FormatTime(d.expires_ms) + " (" + std::to_string(tr.days) +
                 " days from " + BasisName(tr.basis) + ")";
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace davault::policy
