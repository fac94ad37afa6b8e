// Data type names and Data Access file-name parsing.
#include "format/data_type.h"

#include <charconv>

namespace davault::format {

namespace {

struct TypeNames {
  DataType type;
  std::string_view data_type_name;
  std::string_view api_name;
  std::string_view prefix;
};

constexpr TypeNames kNames[] = {
    {DataType::kAgentActivity, "AgentActivity", "agentActivity", "Agent"},
    {DataType::kWebSession, "WebSession", "webSession", "WebSession"},
    {DataType::kEngagement, "Engagement", "engagement", "Engagement"},
    {DataType::kSurvey, "Survey", "survey", "Survey"},
};

const TypeNames& NamesOf(DataType type) {
  for (const TypeNames& n : kNames) {
    if (n.type == type) return n;
  }
  return kNames[0];  // unreachable for valid enum values
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<int64_t> ParseMillis(std::string_view s) {
  if (!IsDigits(s)) return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Splits off the text up to the next '.', advancing *rest past it.
std::string_view NextDotted(std::string_view* rest) {
  size_t dot = rest->find('.');
  std::string_view head = rest->substr(0, dot);
  *rest = dot == std::string_view::npos ? std::string_view() : rest->substr(dot + 1);
  return head;
}

}  // namespace

std::string_view DataTypeName(DataType type) { return NamesOf(type).data_type_name; }
std::string_view ApiTypeName(DataType type) { return NamesOf(type).api_name; }
std::string_view FilePrefix(DataType type) { return NamesOf(type).prefix; }

std::optional<DataType> ParseDataType(std::string_view text) {
  for (const TypeNames& n : kNames) {
    if (text == n.data_type_name || text == n.api_name) return n.type;
  }
  return std::nullopt;
}

std::optional<DataAccessFileName> ParseDataAccessFileName(std::string_view name) {
  constexpr std::string_view kGz = ".gz";
  if (name.size() >= kGz.size() && name.substr(name.size() - kGz.size()) == kGz) {
    name.remove_suffix(kGz.size());
  }
  std::string_view rest = name;
  std::string_view prefix = NextDotted(&rest);
  std::optional<DataType> type;
  for (const TypeNames& n : kNames) {
    if (prefix == n.prefix) type = n.type;
  }
  if (!type) return std::nullopt;
  std::optional<int64_t> start = ParseMillis(NextDotted(&rest));
  std::optional<int64_t> end = ParseMillis(NextDotted(&rest));
  if (!start || !end || *start >= *end) return std::nullopt;
  // What remains must be exactly "part-NNNNN-k".
  std::string_view part = rest;
  constexpr std::string_view kPart = "part-";
  if (part.substr(0, kPart.size()) != kPart) return std::nullopt;
  std::string_view numbers = part.substr(kPart.size());
  size_t dash = numbers.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view nnnnn = numbers.substr(0, dash);
  std::string_view k = numbers.substr(dash + 1);
  if (nnnnn.size() < 5 || !IsDigits(nnnnn) || !IsDigits(k)) return std::nullopt;
  return DataAccessFileName{*type, *start, *end, std::string(part)};
}

bool IsSafeFileName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '.') return false;
  if (name.find('/') != std::string_view::npos) return false;
  if (name.find("..") != std::string_view::npos) return false;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

}  // namespace davault::format
