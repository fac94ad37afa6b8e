// Data Access data types and the file names LivePerson gives their export files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace davault::format {

enum class DataType : uint8_t { kAgentActivity = 1, kWebSession = 2, kEngagement = 3, kSurvey = 4 };

inline constexpr DataType kAllDataTypes[] = {DataType::kAgentActivity, DataType::kWebSession,
                                             DataType::kEngagement, DataType::kSurvey};

// "AgentActivity", "WebSession", "Engagement", "Survey": the record's dataType enum values.
std::string_view DataTypeName(DataType type);
// "agentActivity", "webSession", "engagement", "survey": URL path segment and --types values.
std::string_view ApiTypeName(DataType type);
// "Agent", "WebSession", "Engagement", "Survey": the file name prefix.
std::string_view FilePrefix(DataType type);

// Accepts a DataTypeName or an ApiTypeName, case-sensitive.
std::optional<DataType> ParseDataType(std::string_view text);

struct DataAccessFileName {
  DataType type;
  int64_t scope_start_ms;
  int64_t scope_end_ms;
  std::string part;  // "part-00000-0"
};

// Parses "<Prefix>.<startMs>.<endMs>.part-NNNNN-k" with an optional ".gz"; nullopt for anything
// else (including start >= end). NNNNN is five or more digits, k one or more.
std::optional<DataAccessFileName> ParseDataAccessFileName(std::string_view name);

// True when a name taken from a file listing can be used as a local file name: non-empty, at most
// 255 bytes, no '/', no "..", no control characters (< 0x20, 0x7f), and no leading '.'.
bool IsSafeFileName(std::string_view name);

}  // namespace davault::format
