// The synthetic population: names, e-mail addresses, GB drama-range phone numbers, ids, IPs.
#include "gen/people.h"

#include <fmt/format.h>

#include <cctype>

namespace davault::gen {

namespace {

struct Name {
  std::string_view display;
  std::string_view ascii;  // for e-mail local parts and handles
};

constexpr Name kFirstNames[] = {
    {"Dana", "dana"},         {"Oliver", "oliver"}, {"Amelia", "amelia"}, {"Priya", "priya"},
    {"Mohammed", "mohammed"}, {"Zoë", "zoe"},       {"Siân", "sian"},     {"Aoife", "aoife"},
    {"José", "jose"},         {"Chloé", "chloe"},   {"Liam", "liam"},     {"Grace", "grace"},
    {"Noah", "noah"},         {"Isla", "isla"},     {"Ethan", "ethan"},   {"Freya", "freya"},
    {"Arjun", "arjun"},       {"Fatima", "fatima"}, {"Callum", "callum"}, {"Niamh", "niamh"},
    {"Jack", "jack"},         {"Sophie", "sophie"}, {"Tom", "tom"},       {"Hannah", "hannah"},
    {"Kwame", "kwame"},       {"Mei", "mei"},       {"Lukas", "lukas"},   {"Ingrid", "ingrid"},
    {"Rhys", "rhys"},         {"Eilidh", "eilidh"}, {"Ravi", "ravi"},     {"Leah", "leah"},
    {"Marek", "marek"},       {"Olga", "olga"},     {"Ben", "ben"},       {"Maya", "maya"},
    {"Sam", "sam"},           {"Ruby", "ruby"},     {"Dylan", "dylan"},   {"Erin", "erin"},
};
constexpr Name kLastNames[] = {
    {"Smith", "smith"},       {"Jones", "jones"},       {"Taylor", "taylor"},
    {"Brown", "brown"},       {"Williams", "williams"}, {"Patel", "patel"},
    {"Khan", "khan"},         {"Nguyen", "nguyen"},     {"O'Brien", "obrien"},
    {"Kowalski", "kowalski"}, {"Müller", "muller"},     {"Okafor", "okafor"},
    {"Evans", "evans"},       {"Thomas", "thomas"},     {"Roberts", "roberts"},
    {"Walker", "walker"},     {"Wright", "wright"},     {"Hughes", "hughes"},
    {"Edwards", "edwards"},   {"Murphy", "murphy"},     {"Campbell", "campbell"},
    {"Stewart", "stewart"},   {"Singh", "singh"},       {"Ahmed", "ahmed"},
    {"Chen", "chen"},         {"Davies", "davies"},     {"Lewis", "lewis"},
    {"Morgan", "morgan"},     {"Price", "price"},       {"Reid", "reid"},
    {"Fraser", "fraser"},     {"Doyle", "doyle"},       {"Byrne", "byrne"},
    {"Novak", "novak"},       {"Ferreira", "ferreira"}, {"Costa", "costa"},
    {"Larsen", "larsen"},     {"Jansen", "jansen"},     {"Fischer", "fischer"},
    {"Ali", "ali"},
};

// Reserved for documentation (RFC 2606 / RFC 6761): never a real mailbox.
constexpr std::string_view kEmailDomains[] = {
    "example.com",      "example.org",   "example.net",  "mail.example.com",
    "post.example.org", "inbox.example", "mailbox.test",
};
constexpr std::string_view kAgentDomain = "northwind-outfitters.example";
constexpr std::string_view kPlantedAgentDomain = "agents.northwind-outfitters.example";

// Ofcom's ranges for drama and documentation: numbers that are never allocated to anyone.
// Each prefix leaves three digits free, giving a 10-digit national significant number.
constexpr std::string_view kPhonePrefixes[] = {
    "7700900",  // mobile, 07700 900xxx
    "7700900", "7700900", "7700900",
    "2079460",  // London, 020 7946 0xxx
    "1134960",  // Leeds, 0113 496 0xxx
    "1174960",  // Bristol
    "1214960",  // Birmingham
    "1314960",  // Edinburgh
    "1414960",  // Glasgow
    "1614960",  // Manchester
    "1914980",  // Tyneside, 0191 498 0xxx
    "2920180",  // Cardiff, 029 2018 0xxx
    "2896496",  // Belfast, 028 9649 6xxx
    "1632960",  // fictional area, 01632 960xxx
};

constexpr GeoPlace kGeoPlaces[] = {
    {"London", "England", "United Kingdom", "GB"},
    {"London", "England", "United Kingdom", "GB"},
    {"Manchester", "England", "United Kingdom", "GB"},
    {"Birmingham", "England", "United Kingdom", "GB"},
    {"Leeds", "England", "United Kingdom", "GB"},
    {"Bristol", "England", "United Kingdom", "GB"},
    {"Glasgow", "Scotland", "United Kingdom", "GB"},
    {"Edinburgh", "Scotland", "United Kingdom", "GB"},
    {"Cardiff", "Wales", "United Kingdom", "GB"},
    {"Belfast", "Northern Ireland", "United Kingdom", "GB"},
    {"Dublin", "Leinster", "Ireland", "IE"},
    {"New York", "New York", "United States", "US"},
    {"Berlin", "Berlin", "Germany", "DE"},
};

constexpr Device kDevices[] = {
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/119.0.0.0 Safari/537.36",
     "WINDOWS", "DESKTOP", "DESKTOP"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.1 Safari/605.1.15",
     "MAC_OS", "DESKTOP", "DESKTOP"},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
     "IOS", "MOBILE", "MOBILE"},
    {"Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/119.0.0.0 Mobile Safari/537.36",
     "ANDROID", "MOBILE", "MOBILE"},
    {"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/16.6 Mobile/15E148 Safari/604.1",
     "IOS", "TABLET", "TABLET"},
    {"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0", "LINUX", "DESKTOP",
     "DESKTOP"},
};

constexpr std::string_view kIsps[] = {"Northwind Broadband", "Contoso Mobile", "Fabrikam Fibre",
                                      "Tailspin Telecom", "Wingtip Networks"};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string Digits(Rng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng.Below(10));
  return s;
}

std::string Capitalise(std::string_view s) {
  std::string r(s);
  bool start = true;
  for (char& c : r) {
    if (start && std::islower(static_cast<unsigned char>(c))) c = static_cast<char>(c - 32);
    start = (c == '.' || c == '@' || c == '_' || c == '-');
  }
  return r;
}

std::string MakeEmail(Rng& rng, const Name& f, const Name& l) {
  std::string local;
  switch (rng.Below(7)) {
    case 0:
      local = fmt::format("{}.{}", f.ascii, l.ascii);
      break;
    case 1:
      local = fmt::format("{}{}", f.ascii, l.ascii);
      break;
    case 2:
      local = fmt::format("{}.{}", f.ascii.substr(0, 1), l.ascii);
      break;
    case 3:
      local = fmt::format("{}_{}", f.ascii, l.ascii);
      break;
    case 4:
      local = fmt::format("{}.{}{}", f.ascii, l.ascii, Digits(rng, 2));
      break;
    case 5:
      local = fmt::format("{}{}", f.ascii, Digits(rng, 2 + static_cast<int>(rng.Below(3))));
      break;
    default:
      local = fmt::format("{}.{}", l.ascii, f.ascii);
  }
  return fmt::format("{}@{}", local, rng.Pick(kEmailDomains));
}

std::string Hex16(uint64_t v) { return fmt::format("{:x}", v); }

std::string PoolIpv4(Rng& rng) {
  return rng.Percent(50) ? fmt::format("192.0.2.{}", rng.Range(1, 254))
                         : fmt::format("198.51.100.{}", rng.Range(1, 254));
}

// All groups non-zero, so the plain eight-group text is already the canonical (RFC 5952) form.
std::string PoolIpv6(Rng& rng) {
  std::string s = "2001:db8";
  for (int i = 0; i < 6; ++i) s += ":" + Hex16(static_cast<uint64_t>(rng.Range(1, 0xffff)));
  return s;
}

}  // namespace

std::span<const GeoPlace> GeoPlaces() { return kGeoPlaces; }
std::span<const Device> Devices() { return kDevices; }
std::span<const std::string_view> Isps() { return kIsps; }

std::string TrimLower(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  std::string r(s.substr(b, e - b));
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string NormalizeForKind(Kind kind, std::string_view value) {
  switch (kind) {
    case Kind::kEmail:
    case Kind::kIp:
      return TrimLower(value);
    case Kind::kPhone: {
      if (auto nsn = GbNationalNumber(value)) return *nsn;
      std::string digits;
      for (char c : value) {
        if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
      }
      return digits;
    }
    default:
      return std::string(value);
  }
}

void Reserved::Add(Kind kind, std::string_view value) {
  if (!value.empty()) values_.emplace(kind, NormalizeForKind(kind, value));
}
bool Reserved::Has(Kind kind, std::string_view value) const {
  return values_.count({kind, NormalizeForKind(kind, value)}) > 0;
}
void Reserved::AddAgent(const Agent& a) {
  if (a.id != 0) Add(Kind::kAgent, std::to_string(a.id));
  Add(Kind::kAgent, a.login);
  Add(Kind::kAgent, a.username);
  // A login is an e-mail address too, and davault finds addresses in every text value.
  if (a.login.find('@') != std::string::npos) Add(Kind::kEmail, a.login);
}

std::string Base64Url(Rng& rng, size_t bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < bytes; ++i) {
    acc = (acc << 8) | static_cast<uint32_t>(rng.Below(256));
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 0x3f];
  return out;
}

std::string VisitId(Rng& rng) {
  std::string s = Base64Url(rng, 16);
  s += '.';
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 40; ++i) s += kHex[rng.Below(16)];
  return s;
}

std::string Uuid(Rng& rng) {
  const uint64_t a = rng.Next(), b = rng.Next();
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}", a >> 32, (a >> 16) & 0xffff,
                     a & 0xfff, 8 + (b >> 62), (b >> 48) & 0xfff, b & 0xffffffffffffULL);
}

std::optional<std::string> GbNationalNumber(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '\t') continue;
    s += c;
  }
  std::string rest;
  if (s.starts_with("+44")) {
    rest = s.substr(3);
  } else if (s.starts_with("0044")) {
    rest = s.substr(4);
  } else if (s.starts_with("0")) {
    rest = s.substr(1);
  } else {
    return std::nullopt;
  }
  if (rest.starts_with("0")) rest.erase(0, 1);  // the "(0)" of +44 (0)20 ...
  if (rest.size() < 9 || rest.size() > 10) return std::nullopt;
  for (char c : rest) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return rest;
}

std::string FormatGbPhone(std::string_view nsn, PhoneStyle style) {
  // Groups as UK numbers are written: 7700 900123, 20 7946 0123, 113 496 0123, 1632 960123.
  std::vector<std::string_view> g;
  if (nsn.size() == 10 && nsn[0] == '2') {
    g = {nsn.substr(0, 2), nsn.substr(2, 4), nsn.substr(6)};
  } else if (nsn.size() == 10 && nsn[0] == '1' && (nsn[1] == '1' || nsn[2] == '1')) {
    g = {nsn.substr(0, 3), nsn.substr(3, 3), nsn.substr(6)};
  } else {
    g = {nsn.substr(0, 4), nsn.substr(4)};
  }
  auto join = [&](std::string_view sep, std::string_view last_sep) {
    std::string r;
    for (size_t i = 0; i < g.size(); ++i) {
      if (i > 0) r += (i + 1 == g.size()) ? last_sep : sep;
      r += g[i];
    }
    return r;
  };
  switch (style) {
    case PhoneStyle::kInternational:
      return "+44 " + join(" ", " ");
    case PhoneStyle::kE164:
      return "+44" + std::string(nsn);
    case PhoneStyle::kNational:
      return "0" + join(" ", " ");
    case PhoneStyle::kNationalCompact:
      return "0" + std::string(nsn);
    case PhoneStyle::kDoubleZero:
      return "0044 (0)" + join(" ", g.size() > 2 ? "-" : " ");
    case PhoneStyle::kBracketed: {
      std::string r = "(0" + std::string(g[0]) + ")";
      for (size_t i = 1; i < g.size(); ++i) r += " " + std::string(g[i]);
      return r;
    }
    case PhoneStyle::kDashed:
      return "0" + join("-", "-");
  }
  return "0" + std::string(nsn);
}

std::string EmailForm(std::string_view email, EmailStyle style) {
  switch (style) {
    case EmailStyle::kAsWritten:
      return std::string(email);
    case EmailStyle::kLower:
      return TrimLower(email);
    case EmailStyle::kCapitalised:
      return Capitalise(TrimLower(email));
    case EmailStyle::kUpper: {
      std::string r = TrimLower(email);
      for (char& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return r;
    }
    case EmailStyle::kPadded:
      return " " + std::string(email) + " ";
  }
  return std::string(email);
}

std::vector<Person> MakePeople(uint64_t seed, int count, const Reserved& reserved) {
  Rng rng(Rng::Derive(seed, {0x706f6f6c}));  // "pool"
  std::vector<Person> people;
  std::set<std::string> emails, visitors, customers;
  people.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    Person p;
    const Name& f = rng.Pick(kFirstNames);
    const Name& l = rng.Pick(kLastNames);
    p.first = f.display;
    p.last = l.display;
    if (rng.Percent(85)) {
      std::string e = MakeEmail(rng, f, l);
      while (emails.count(TrimLower(e)) > 0 || reserved.Has(Kind::kEmail, e)) {
        e = MakeEmail(rng, f, l);
        e.insert(e.find('@'), Digits(rng, 3));
      }
      emails.insert(TrimLower(e));
      p.email = e;
    }
    if (rng.Percent(65)) {
      std::string nsn;
      do {
        nsn = rng.Pick(kPhonePrefixes);
        nsn += Digits(rng, 3);
      } while (reserved.Has(Kind::kPhone, nsn));
      p.phone_nsn = nsn;
      const PhoneStyle usual = rng.Percent(50)   ? PhoneStyle::kNational
                               : rng.Percent(60) ? PhoneStyle::kInternational
                                                 : PhoneStyle::kNationalCompact;
      p.phone = FormatGbPhone(nsn, usual);
    }
    do {
      p.visitor_id = Base64Url(rng, 16);
    } while (visitors.count(p.visitor_id) > 0 || reserved.Has(Kind::kVisitor, p.visitor_id));
    visitors.insert(p.visitor_id);
    if (rng.Percent(70)) {
      std::string c;
      do {
        switch (rng.Below(3)) {
          case 0:
            c = "C" + Digits(rng, 8);
            break;
          case 1:
            c = "Account: " + Digits(rng, 8);
            break;
          default:
            c = "NW-" + Digits(rng, 6);
        }
      } while (customers.count(c) > 0 || reserved.Has(Kind::kCustomer, c));
      customers.insert(c);
      p.customer_id = c;
    }
    if (rng.Percent(60)) {
      do {
        p.consumer_id = Uuid(rng);
      } while (reserved.Has(Kind::kConsumer, p.consumer_id));
    }
    do {
      p.ipv4 = PoolIpv4(rng);
    } while (reserved.Has(Kind::kIp, p.ipv4));
    if (rng.Percent(30)) {
      do {
        p.ipv6 = PoolIpv6(rng);
      } while (reserved.Has(Kind::kIp, p.ipv6));
    }
    p.geo = static_cast<int>(rng.Below(std::size(kGeoPlaces)));
    p.device = static_cast<int>(rng.Below(std::size(kDevices)));
    if (rng.Percent(40))
      p.user_name = fmt::format("{}{}{}", f.ascii, l.ascii.substr(0, 1), Digits(rng, 2));
    people.push_back(std::move(p));
  }
  return people;
}

std::vector<Agent> MakeAgents(uint64_t seed, int count, const Reserved& reserved) {
  Rng rng(Rng::Derive(seed, {0x6167656e74}));  // "agent"
  std::vector<Agent> agents;
  std::set<int64_t> ids;
  std::set<std::string> logins, usernames;
  for (int i = 0; i < count; ++i) {
    Agent a;
    const Name& f = rng.Pick(kFirstNames);
    const Name& l = rng.Pick(kLastNames);
    do {
      a.id = rng.Range(1000000, 4999999);
    } while (ids.count(a.id) > 0 || reserved.Has(Kind::kAgent, std::to_string(a.id)));
    ids.insert(a.id);
    std::string login = fmt::format("{}.{}@{}", f.ascii, l.ascii, kAgentDomain);
    std::string user = fmt::format("{}{}", f.display, l.display.substr(0, 1));
    for (int n = 2; logins.count(login) > 0 || reserved.Has(Kind::kAgent, login) ||
                    reserved.Has(Kind::kEmail, login);
         ++n) {
      login = fmt::format("{}.{}{}@{}", f.ascii, l.ascii, n, kAgentDomain);
    }
    for (int n = 2; usernames.count(user) > 0 || reserved.Has(Kind::kAgent, user); ++n) {
      user = fmt::format("{}{}{}", f.display, l.display.substr(0, 1), n);
    }
    logins.insert(login);
    usernames.insert(user);
    a.login = login;
    a.username = user;
    a.nickname = f.display;
    a.employee_id = rng.Percent(50) ? "" : "E" + Digits(rng, 5);
    a.group_id = rng.Percent(40) ? -1 : 1000 + rng.Range(1, 6);
    a.max_chats = static_cast<int>(rng.Range(2, 4));
    agents.push_back(std::move(a));
  }
  return agents;
}

void CompletePlantedPerson(Rng& rng, int planted_index, const Reserved& reserved, Person& p) {
  const Name& f = rng.Pick(kFirstNames);
  const Name& l = rng.Pick(kLastNames);
  p.first = f.display;
  p.last = l.display;
  if (p.visitor_id.empty()) {
    do {
      p.visitor_id = Base64Url(rng, 16);
    } while (reserved.Has(Kind::kVisitor, p.visitor_id));
  }
  if (p.ipv4.empty() && p.ipv6.empty()) {
    // 203.0.113.0/24 (TEST-NET-3) is kept out of the pool, so these never collide with it.
    for (int i = 0; i < 254 && (p.ipv4.empty() || reserved.Has(Kind::kIp, p.ipv4)); ++i) {
      p.ipv4 = fmt::format("203.0.113.{}", 1 + (planted_index + i) % 254);
    }
  }
  if (!p.phone.empty()) p.phone_nsn = GbNationalNumber(p.phone).value_or("");
  p.geo = static_cast<int>(rng.Below(std::size(kGeoPlaces)));
  p.device = static_cast<int>(rng.Below(std::size(kDevices)));
}

void CompletePlantedAgent(Rng& rng, int planted_index, const Reserved& reserved, Agent& a) {
  const Name& f = rng.Pick(kFirstNames);
  const Name& l = rng.Pick(kLastNames);
  if (a.id == 0) {
    // Pool agents use 1000000-4999999; planted ones are generated above that range.
    do {
      a.id = 5000000 + planted_index * 1000 + rng.Range(1, 999);
    } while (reserved.Has(Kind::kAgent, std::to_string(a.id)));
  }
  if (a.login.empty()) {
    a.login = fmt::format("{}.{}.{}@{}", f.ascii, l.ascii, planted_index + 1, kPlantedAgentDomain);
  }
  if (a.username.empty()) {
    a.username = fmt::format("{}{}.{}", f.display, l.display.substr(0, 1), planted_index + 1);
  }
  a.nickname = f.display;
  a.employee_id = "";
  a.group_id = -1;
  a.max_chats = 3;
}

}  // namespace davault::gen
