// A small Avro schema rebuilt from the field trees of dataaccess-api.md §4 (none is published).
#include "fakeserver/schema.h"

#include <nlohmann/json.hpp>

namespace davault::fakeserver {
namespace {

using J = nlohmann::ordered_json;

J Nullable(J type) { return J::array({"null", std::move(type)}); }

J Field(const char* name, J type) {
  J f;
  f["name"] = name;
  f["type"] = std::move(type);
  if (f["type"].is_array() && !f["type"].empty() && f["type"][0] == "null") f["default"] = nullptr;
  return f;
}

J Record(const char* name, std::vector<J> fields) {
  J r;
  r["type"] = "record";
  r["name"] = name;
  r["fields"] = J(std::move(fields));
  return r;
}

J ArrayOf(J items) {
  J a;
  a["type"] = "array";
  a["items"] = std::move(items);
  return a;
}

// Version numbers compare by their last component: all seen versions are 1.0.0.x.
J Build(const std::string& version, int minor) {
  J visitor_header = Record("VisitorHeader", {Field("visitId", Nullable("string")),
                                              Field("visitorId", Nullable("string")),
                                              Field("contextId", Nullable("string"))});
  J agent = Record(
      "AgentActivityData",
      {Field("header",
             Nullable(Record("AgentHeader", {Field("agentSessionId", Nullable("string"))}))),
       Field(
           "agentSessionsData",
           Nullable(ArrayOf(Record(
               "AgentSessionData",
               {Field("agentID", Nullable("long")), Field("type", Nullable("long")),
                Field("state", Nullable("long")), Field("timestamp", Nullable("long")),
                Field("prevState", Nullable("long")), Field("agentEmployeeId", Nullable("string")),
                Field("agentUsername", Nullable("string")),
                Field("agentNickname", Nullable("string")),
                Field("agentLoginname", Nullable("string")),
                Field("prevConcurrentEng", Nullable("long")),
                Field("concurrentEng", Nullable("long")),
                Field("maxConcurrentEng", Nullable("long")),
                Field("agentGroupID", Nullable("long"))}))))});

  std::vector<J> transfer_fields = {
      Field("timestamp", Nullable("long")),       Field("skillId", Nullable("long")),
      Field("targetSkillId", Nullable("long")),   Field("agentId", Nullable("string")),
      Field("targetAgentId", Nullable("string")), Field("reason", Nullable("long")),
      Field("queueStartTime", Nullable("long")),  Field("queueEndTime", Nullable("long"))};
  if (minor >= 34) transfer_fields.push_back(Field("isInteractive", Nullable("boolean")));
  J conversation = Record(
      "Conversation",
      {Field("type", Nullable(J{{"type", "enum"},
                                {"name", "ConversationType"},
                                {"symbols", {"LIVE_CHAT", "MESSAGING"}}})),
       Field("conversationId", Nullable("string")),
       Field("conversationStartTime", Nullable("long")),
       Field("interactionStartTime", Nullable("long")),
       Field("conversationEndTime", Nullable("long")), Field("consumerId", Nullable("string")),
       Field("isInteractive", Nullable("boolean")), Field("sourceOrigin", Nullable("string")),
       Field("endReasonId", Nullable("int")), Field("skills", Nullable(ArrayOf("long"))),
       Field("startUrl", Nullable("string")),
       Field("transcripts",
             Nullable(ArrayOf(Record(
                 "Message",
                 {Field("text", Nullable("string")), Field("timestamp", Nullable("long")),
                  Field("by", Nullable("string")), Field("type", Nullable("string")),
                  Field("agentId", Nullable("string")), Field("contentFormat", Nullable("string")),
                  Field("messageId", Nullable("string"))})))),
       Field("transfers", Nullable(ArrayOf(Record("Transfer", transfer_fields))))});
  J engagement =
      Record("EngagementData", {Field("header", Nullable(visitor_header)),
                                Field("engagements", Nullable(ArrayOf(Nullable(conversation))))});

  std::vector<J> impression_fields = {
      Field("timestamp", Nullable("long")), Field("engagementInstanceId", Nullable("string")),
      Field("impressionType", Nullable("string")), Field("state", Nullable("string"))};
  if (minor >= 35) impression_fields.push_back(Field("controlGroup", Nullable("string")));
  J impressions =
      Record("WebSessionImpressionData",
             {Field("header", Nullable("VisitorHeader")),
              Field("impressions", Nullable(ArrayOf(Record("Impression", impression_fields))))});
  J navigation =
      Record("WebSessionNavigationData",
             {Field("header", Nullable("VisitorHeader")),
              Field("navigationData",
                    Nullable(ArrayOf(Record(
                        "Navigation",
                        {Field("timestamp", Nullable("long")), Field("url", Nullable("string")),
                         Field("referrerUrl", Nullable("string")),
                         Field("sections", Nullable(ArrayOf("string")))}))))});

  J survey = Record(
      "SurveyData",
      {Field("header", Nullable("VisitorHeader")),
       Field("surveys",
             Nullable(ArrayOf(Record(
                 "Survey",
                 {Field("id", Nullable("long")), Field("type", Nullable("int")),
                  Field("viewTime", Nullable("long")), Field("conversationId", Nullable("string")),
                  Field("contents", Nullable(ArrayOf(Record(
                                        "SurveyContent",
                                        {Field("question", Nullable("string")),
                                         Field("answer", Nullable("string")),
                                         Field("answerSubmitTime", Nullable("long")),
                                         Field("surveyName", Nullable("string")),
                                         Field("answerType", Nullable("int")),
                                         Field("csatThreshold", Nullable("double"))}))))}))))});

  J schema = Record(
      "DataAccessRecord",
      {Field("dataType", J{{"type", "enum"},
                           {"name", "DataTypeEnum"},
                           {"symbols", {"AgentActivity", "WebSession", "Engagement", "Survey"}}}),
       Field("metaData", Nullable(Record("MetaData", {Field("accountId", Nullable("string")),
                                                      Field("schemaVersion", "string"),
                                                      Field("startTime", Nullable("long")),
                                                      Field("endTime", Nullable("long"))}))),
       Field("recordCollection",
             Nullable(ArrayOf(Record("RecordCollectionItem",
                                     {Field("body", J::array({agent, engagement, survey,
                                                              impressions, navigation}))}))))});
  J out;
  out["type"] = "record";
  out["name"] = "DataAccessRecord";
  out["namespace"] = "com.liveperson.dataaccess";
  out["doc"] =
      "Reconstructed by davault's fake server from the public field tables; not "
      "LivePerson's own schema. Partial: only the sections the documentation names.";
  out["schemaVersion"] = version;
  out["fields"] = schema["fields"];
  return out;
}

}  // namespace

std::optional<std::string> SchemaJson(std::string_view id) {
  struct Known {
    std::string_view id;
    const char* version;
    int minor;
  };
  static constexpr Known kKnown[] = {{"latest", "1.0.0.35", 35},
                                     {"1.0.0.4", "1.0.0.4", 4},
                                     {"1.0.0.22", "1.0.0.22", 22},
                                     {"1.0.0.34", "1.0.0.34", 34},
                                     {"1.0.0.35", "1.0.0.35", 35}};
  for (const Known& k : kKnown) {
    if (k.id == id) return Build(k.version, k.minor).dump(2);
  }
  return std::nullopt;
}

}  // namespace davault::fakeserver
