// Vocabulary shared by the generator's parts: data types, identifier kinds, output form.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace davault::gen {

// In the order the generator writes them within an hour: engagements before the surveys that
// join to them by conversationId.
enum class DataType : int { kAgentActivity = 0, kWebSession, kEngagement, kSurvey };
constexpr int kNumTypes = 4;
constexpr std::array<DataType, kNumTypes> kAllTypes = {
    DataType::kAgentActivity, DataType::kWebSession, DataType::kEngagement, DataType::kSurvey};

// "agentActivity": the API's name for the type (file-list endpoint, --types, the manifest).
constexpr std::string_view TypeName(DataType t) {
  constexpr std::string_view kNames[] = {"agentActivity", "webSession", "engagement", "survey"};
  return kNames[static_cast<int>(t)];
}
// "Agent": the file-name prefix (not "AgentActivity").
constexpr std::string_view FilePrefix(DataType t) {
  constexpr std::string_view kNames[] = {"Agent", "WebSession", "Engagement", "Survey"};
  return kNames[static_cast<int>(t)];
}
// "AgentActivity": the value of com.liveperson.dataaccess.DataTypeEnum.
constexpr std::string_view DataTypeEnum(DataType t) {
  constexpr std::string_view kNames[] = {"AgentActivity", "WebSession", "Engagement", "Survey"};
  return kNames[static_cast<int>(t)];
}
inline std::optional<DataType> ParseTypeName(std::string_view name) {
  for (DataType t : kAllTypes) {
    if (name == TypeName(t) || name == DataTypeEnum(t) || name == FilePrefix(t)) return t;
  }
  return std::nullopt;
}
constexpr uint32_t TypeBit(DataType t) { return 1u << static_cast<int>(t); }

// Identifier kinds, named as on davault's command line (shared/CLI.md), plus the marker phrase.
enum class Kind : int {
  kEmail = 0,
  kPhone,
  kVisitor,
  kVisit,
  kConsumer,
  kCustomer,
  kConversation,
  kIp,
  kAgent,
  kMarker,
};
constexpr std::string_view KindName(Kind k) {
  constexpr std::string_view kNames[] = {"email",    "phone",        "visitor", "visit", "consumer",
                                         "customer", "conversation", "ip",      "agent", "marker"};
  return kNames[static_cast<int>(k)];
}

// Production: metaData and recordCollection union-wrapped, as real files are. Documentation:
// bare, as the developer-center examples show them.
enum class Form { kProduction, kDocumentation };

}  // namespace davault::gen
