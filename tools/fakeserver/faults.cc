// Loading and matching fault rules.
#include "fakeserver/faults.h"

#include <nlohmann/json.hpp>

namespace davault::fakeserver {

Result<std::vector<FaultRule>> FaultPlan::Load(Env* env, const std::string& path) {
  DV_ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("rules") || !j["rules"].is_array()) {
    return Status::Usage("faults file " + path + ": expected {\"rules\": [...]}");
  }
  std::vector<FaultRule> rules;
  size_t n = 0;
  for (const auto& r : j["rules"]) {
    ++n;
    const std::string where = "faults file " + path + " rule " + std::to_string(n);
    if (!r.is_object()) return Status::Usage(where + ": not an object");
    FaultRule rule;
    try {
      for (const auto& [key, value] : r.items()) {
        if (key == "method")
          rule.method = value.get<std::string>();
        else if (key == "path_contains")
          rule.path_contains = value.get<std::string>();
        else if (key == "skip")
          rule.skip = value.get<int64_t>();
        else if (key == "times")
          rule.times = value.get<int64_t>();
        else if (key == "delay_ms")
          rule.delay_ms = value.get<int64_t>();
        else if (key == "status")
          rule.status = value.get<int>();
        else if (key == "message")
          rule.message = value.get<std::string>();
        else if (key == "internal_code")
          rule.internal_code = value.get<int>();
        else if (key == "retry_after")
          rule.retry_after = value.get<std::string>();
        else if (key == "truncate_after_bytes")
          rule.truncate_after_bytes = value.get<int64_t>();
        else if (key == "ignore_range")
          rule.ignore_range = value.get<bool>();
        else if (key == "wrong_digest")
          rule.wrong_digest = value.get<bool>();
        else
          return Status::Usage(where + ": unknown field " + key);
      }
    } catch (const nlohmann::json::exception&) {
      return Status::Usage(where + ": a field has the wrong type");
    }
    if (rule.status != 0 && (rule.status < 100 || rule.status > 599)) {
      return Status::Usage(where + ": status must be 100..599");
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

FaultPlan::FaultPlan(std::vector<FaultRule> rules) {
  for (auto& r : rules) rules_.push_back(State{std::move(r), 0});
}

std::optional<FaultPlan::Applied> FaultPlan::Next(std::string_view method, std::string_view path) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < rules_.size(); ++i) {
    State& s = rules_[i];
    if (!s.rule.method.empty() && s.rule.method != method) continue;
    if (path.find(s.rule.path_contains) == std::string_view::npos) continue;
    int64_t nth = s.seen++;
    if (nth < s.rule.skip) continue;
    if (s.rule.times >= 0 && nth - s.rule.skip >= s.rule.times) continue;
    return Applied{s.rule, i};
  }
  return std::nullopt;
}

}  // namespace davault::fakeserver
