// Synthetic people and agents for davault-gen, with identifiers in the formats LivePerson uses.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gen/rng.h"
#include "gen/types.h"

namespace davault::gen {

// A visitor / consumer. Empty strings mean "this person has no such identifier".
struct Person {
  std::string first;  // display first name, may carry accents ("Zoë")
  std::string last;
  std::string email;        // the address as the person writes it (planted: as given)
  std::string phone;        // the number as given or in the person's usual national form
  std::string phone_nsn;    // GB national significant number, e.g. "7700900123"; empty if not GB
  std::string visitor_id;   // 22-char base64url cookie id
  std::string customer_id;  // the brand's own customer id
  std::string consumer_id;  // LivePerson consumer id (a UUID)
  std::string ipv4;
  std::string ipv6;
  int geo = 0;            // index into the city table
  int device = 0;         // index into the device table
  std::string user_name;  // brand login handle (CustomerInfo.userName), may be empty
};

struct Agent {
  int64_t id = 0;           // agentID
  std::string login;        // agentLoginname, an e-mail address
  std::string username;     // agentUsername
  std::string nickname;     // agentNickname, shown as "by" on the agent's chat lines
  std::string employee_id;  // agentEmployeeId, often empty
  int64_t group_id = -1;
  int max_chats = 3;
};

struct GeoPlace {
  std::string_view city, state, country, country_code;
};
struct Device {
  std::string_view user_agent, os, family, lp_device;  // lp_device: Engagement DeviceType
};
std::span<const GeoPlace> GeoPlaces();
std::span<const Device> Devices();
std::span<const std::string_view> Isps();

// Values the random pool must never produce, normalized per kind, so planted people stay unique.
class Reserved {
 public:
  void Add(Kind kind, std::string_view value);
  bool Has(Kind kind, std::string_view value) const;
  // Also reserves the given agent id / login / user name under kind agent.
  void AddAgent(const Agent& a);

 private:
  std::set<std::pair<Kind, std::string>> values_;
};

// Normalization for collision checks only: e-mail trimmed and lower-cased; phone as its GB
// national number (or its digits); everything else exact.
std::string NormalizeForKind(Kind kind, std::string_view value);

std::string Base64Url(Rng& rng, size_t bytes);  // 16 bytes give the 22-char visitor/message ids
std::string VisitId(Rng& rng);  // "AjvT6hLKTEi3AXgGnYu_mQ.606c…" (base64url.hex40)
std::string Uuid(Rng& rng);     // lower-case v4 UUID

// The GB national significant number of a phone number written in any of the usual GB forms
// (+44 …, 0044 (0)…, 0…), or nullopt.
std::optional<std::string> GbNationalNumber(std::string_view text);

enum class PhoneStyle {
  kInternational,    // +44 20 7946 0123
  kE164,             // +442079460123
  kNational,         // 020 7946 0123
  kNationalCompact,  // 02079460123
  kDoubleZero,       // 0044 (0)20 7946-0123
  kBracketed,        // (020) 7946 0123
  kDashed,           // 020-7946-0123
};
constexpr int kNumPhoneStyles = 7;
std::string FormatGbPhone(std::string_view nsn, PhoneStyle style);

enum class EmailStyle { kAsWritten, kLower, kCapitalised, kUpper, kPadded };
constexpr int kNumEmailStyles = 5;
std::string EmailForm(std::string_view email, EmailStyle style);
std::string TrimLower(std::string_view s);

// The random pool. Derived from the seed alone, so it does not change with the other options.
std::vector<Person> MakePeople(uint64_t seed, int count, const Reserved& reserved);
std::vector<Agent> MakeAgents(uint64_t seed, int count, const Reserved& reserved);

// Fills the identifiers a planted person did not give but every record needs (visitorId, an
// IPv4 address from a range the pool never uses, names, device), drawn from rng.
void CompletePlantedPerson(Rng& rng, int planted_index, const Reserved& reserved, Person& p);
// Completes a planted agent from whichever of id / login / user name was given.
void CompletePlantedAgent(Rng& rng, int planted_index, const Reserved& reserved, Agent& a);

}  // namespace davault::gen
