// Identifier policy: which fields of each data type hold which kind of identifier
// (policies/identifiers.toml).
//
// Plain data only. Kind and data-type names stay strings here; the identity module validates
// them (and reports the file and line kept in each rule), so this module needs nothing but base.
//
// Paths use the *logical path* notation described at the top of policies/identifiers.toml: the
// object keys from the record down to the value, joined with '.', with Avro union wrappers
// removed (primitive branches such as "string" or "array" vanish; a named type
// "com.liveperson.dataaccess.X" appears as "X"), array and map levels adding nothing. A rule
// path matches every value whose logical path ends with it, component by component.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "davault/env.h"
#include "davault/status.h"

namespace davault::policy {

// A field that holds an identifier of one kind.
struct FieldRule {
  std::string path;                        // e.g. "CustomerInfo.customerId"
  std::string kind;                        // "email", "phone", "visitor", ... (shared/CLI.md)
  std::string expect = "string";           // the JSON type the schema gives it: "string" or "long"
  std::vector<std::string> ignore_values;  // exact values that identify nobody (e.g. "0")
  int line = 0;                            // line in the policy file, for error messages
};

struct TypeRules {
  std::string data_type;                       // "AgentActivity", "WebSession", ...
  std::string natural_key_path;                // natural_key_paths joined with " + "
  std::vector<std::string> natural_key_paths;  // values joined form the record's natural key
  std::vector<FieldRule> fields;
  std::vector<std::string> free_text_paths;   // scanned for e-mails and phone numbers
  std::vector<std::string> structured_paths;  // documented, no identifier: e-mail scan only
  int line = 0;
};

struct IdentifierRules {
  int version = 0;
  std::string default_region = "GB";
  int max_emails_per_link = 5;
  std::vector<TypeRules> types;
  std::string source_text_hash_input;  // the raw policy text, so callers can hash the policy
  std::string source_name;             // the display name errors use
};

// Reads and parses the file. Errors (Code::kFailed) name the file and, for content errors, the
// line.
Result<IdentifierRules> LoadIdentifierRules(Env* env, const std::string& path);
Result<IdentifierRules> ParseIdentifierRules(std::string_view toml_text,
                                             const std::string& display_name);

// True for a logical path: components of [A-Za-z0-9_] joined by '.'. With Subtree::kAllowed, a
// final ".*" (every value below the path) is accepted too.
enum class Subtree { kAllowed, kForbidden };
bool IsValidRulePath(std::string_view path, Subtree subtree);

}  // namespace davault::policy
