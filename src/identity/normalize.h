// Identifier kinds and their normalization: one function per kind, used at ingest and at query.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "davault/status.h"

namespace davault::identity {

// The kinds of shared/CLI.md "Identifiers".
enum class Kind : uint8_t {
  kEmail = 1,
  kPhone,
  kVisitor,
  kVisit,
  kConsumer,
  kCustomer,
  kConversation,
  kIp,
  kAgent
};

inline constexpr Kind kAllKinds[] = {Kind::kEmail,        Kind::kPhone,    Kind::kVisitor,
                                     Kind::kVisit,        Kind::kConsumer, Kind::kCustomer,
                                     Kind::kConversation, Kind::kIp,       Kind::kAgent};

// "email", "phone", "visitor", "visit", "consumer", "customer", "conversation", "ip", "agent".
std::string_view KindName(Kind kind);
std::optional<Kind> ParseKind(std::string_view name);

// Bump when any rule below changes; stored with the index so that a change forces a re-index.
inline constexpr int kNormalizationVersion = 1;

struct NormalizeOptions {
  std::string default_region = "GB";  // region for national phone numbers (ISO 3166 alpha-2)
};

struct Normalized {
  std::string value;
  bool needs_review = false;  // kept, but a person should look at it (unparsable phone, ext.)
};

// The normal form of one identifier (issue 3):
//  * email: trimmed, Unicode NFC, full case folding; accents and look-alikes kept. Must have
//    one '@' with text on both sides and no spaces.
//  * phone: E.164 ("+442079460123") via libphonenumber, national numbers read in
//    opts.default_region. An extension is kept as ";ext=N" (RFC 3966) and flagged for review;
//    a number that is possible but not valid is kept in E.164 and flagged; a value with digits
//    that is not a possible number becomes "raw:<digits>", flagged.
//  * visitor, visit, consumer, customer, conversation, agent: the trimmed text, exactly
//    ("007" stays "007"); callers pass a JSON number as its raw token.
//  * ip: inet_pton/inet_ntop canonical text; IPv4-mapped IPv6 becomes the IPv4 text.
// Trimming removes Unicode white space at both ends. Fails with Code::kUsage for values that
// identify nobody (empty after trimming, not an address, no digits, ...); messages never
// contain the value.
Result<Normalized> Normalize(Kind kind, std::string_view raw, const NormalizeOptions& opts);

// Parses "kind:value" from the command line (the value may itself contain ':').
Result<std::pair<Kind, Normalized>> ParseSubject(std::string_view arg,
                                                 const NormalizeOptions& opts);

}  // namespace davault::identity
