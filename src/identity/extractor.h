// Extractor: finds the identifiers in one raw Data Access record, by the identifier policy.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "davault/status.h"
#include "format/data_type.h"
#include "identity/normalize.h"
#include "policy/identifier_rules.h"

namespace davault::identity {

struct Identifier {
  Kind kind;
  std::string value;  // normalized (see Normalize)
  std::string field;  // short, non-personal field name for reports ("transcripts.text")
  bool needs_review = false;
  bool from_free_text = false;  // found inside a text by a detector, not as a field's value
};

struct ExtractedRecord {
  format::DataType type = format::DataType::kAgentActivity;
  // The natural-key values (policy natural_key), in policy order joined by '|', several values
  // of one path joined by ','; '\', ',' and '|' inside values are escaped with '\'. Empty when
  // none of the paths has a value.
  std::string natural_key;
  std::optional<int64_t> start_ms, end_ms;  // metaData.startTime / endTime
  std::string account_id, schema_version;
  std::vector<Identifier> identifiers;  // deduplicated on (kind, value, field), sorted
  int schema_anomalies = 0;             // identifier values in an unexpected type or union branch
  int needs_review = 0;  // identifiers kept for review (unparsable phones, extensions)
  int pgp_values = 0;    // PGP-armoured string values left encrypted (opaque, not indexed)
  int pgp_decrypted = 0;  // PGP-armoured values decrypted (by the PgpDecryptor) and indexed
  // Field names (never values) of the values left encrypted, deduplicated, sorted.
  std::vector<std::string> pgp_fields;
};

// Decrypts one armoured value into *plain (in memory; the extractor wipes it after use). A
// non-ok status leaves the value opaque: counted in pgp_values, not indexed.
using PgpDecryptor = std::function<Status(std::string_view armored, std::string* plain)>;

class Extractor {
 public:
  // Validates the policy (data types, kinds; errors name the policy file and line).
  static Result<std::unique_ptr<Extractor>> Create(const policy::IdentifierRules& rules);
  ~Extractor();
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  // Parses one record (as RecordReader returns it) with simdjson's on-demand API, walking every
  // value once, and collects its identifiers. Accepts the production form (metaData and
  // recordCollection union-wrapped) and the documentation form (bare). Errors are
  // Code::kFailed: "record is not valid JSON (<simdjson error>)", "record is not a JSON object",
  // "record has no dataType", "unknown data type"; they never include content.
  // Not thread-safe: use one Extractor per thread.
  Result<ExtractedRecord> Extract(std::string_view raw);

  // With a decryptor, PGP-armoured values are decrypted and their plaintext is treated as the
  // field's value (identifiers, free-text scanning); without one they stay opaque.
  void SetPgpDecryptor(PgpDecryptor decryptor);

  // The options Normalize must use at query time to match what this extractor indexes.
  const NormalizeOptions& normalize_options() const;

 private:
  struct Impl;
  explicit Extractor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace davault::identity
