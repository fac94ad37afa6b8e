// Writes one Data Access record line per call, for all four data types, in the samples' shape.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "davault/status.h"
#include "gen/people.h"
#include "gen/rng.h"
#include "gen/types.h"

namespace davault::gen {

// One place where a planted person's identifier was written into the current record.
struct Hit {
  int planted = 0;  // index of the planted person
  Kind kind = Kind::kEmail;
  std::string value;        // the identifier as the manifest lists it
  std::string_view field;   // e.g. "PersonalInfo.contacts.email", "Message.text"
  bool structured = false;  // the identifier's own field, not free text / a URL / a label
  std::string form;         // exactly as written (for free text: the typed substring)
};

// A person from --plant, completed with the identifiers every record needs.
struct PlantedPerson {
  std::string name;
  uint32_t types = 0;        // TypeBit mask
  int count = 0;             // records per listed type
  bool exact_forms = false;  // write identifiers only as given (no case/padding/format variants)
  Person person;             // consumer-side identity; given values kept exactly as written
  bool email = false, phone = false, visitor = false, customer = false, consumer = false,
       ip = false;             // which kinds were given
  std::optional<Agent> agent;  // set when agent= was given
  // Engagement conversations generated for this person so far; surveys join to them.
  std::vector<std::string> conversations;
  // Survey types (bit 1 << type) already joined to each conversation: a conversation gets at
  // most one survey of each type, so (survey id, conversationId) stays a unique natural key.
  std::vector<uint32_t> survey_types;
  int ordinal[kNumTypes] = {};  // planted records of each type written so far
  int email_places = 0;         // web-session e-mail placements so far (rotates the places used)
};

// LivePerson's PGP option for the tests: the string values of the named fields (JSON keys such
// as "text", the transcript lines) are written as ASCII-armored PGP messages.
struct PgpValues {
  std::set<std::string, std::less<>> fields;
  std::function<Result<std::string>(std::string_view)> encrypt;
  Status error;         // the first failure; the generator stops with it
  uint64_t values = 0;  // values encrypted so far
};

struct RecordConfig {
  std::string account = "75555851";
  Form form = Form::kProduction;
  std::string marker;  // put in one transcript line of each planted engagement; may be empty
  // Where this run's conversation and agent-session numbers start: derived from the seed, so two
  // data sets made with different seeds do not share natural keys (nor with the samples).
  uint64_t id_base = 0;
  PgpValues* pgp = nullptr;  // not owned; null: every value in the clear
};

class RecordWriter {
 public:
  RecordWriter(RecordConfig config, const std::vector<Person>& pool,
               const std::vector<Agent>& agents);

  // Appends one record (compact JSON and '\n') whose metaData.startTime lies in
  // [scope_start, scope_start + 1 h). With planted set, the record belongs to that person and
  // every identifier of theirs written into it is appended to *hits.
  void Write(DataType type, Rng& rng, int64_t scope_start, PlantedPerson* planted,
             int planted_index, std::vector<Hit>* hits, std::string& out);

 private:
  friend class RecordBuilder;
  struct PendingSurvey {
    std::string conversation_id;
    int person = 0;
    int64_t end_time = 0;
  };

  std::string NextConversationId(Rng& rng);

  RecordConfig config_;
  const std::vector<Person>& pool_;
  const std::vector<Agent>& agents_;
  std::deque<PendingSurvey> pending_surveys_;  // pool conversations waiting for a survey
  uint64_t conversations_ = 0;
  uint64_t agent_sessions_ = 0;
};

}  // namespace davault::gen
