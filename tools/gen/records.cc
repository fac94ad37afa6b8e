// The four record writers. Field names, field order and union wrapping follow the samples in
// tests/data/samples exactly; sections the samples lack follow shared/dataaccess-api.md §4 and §8.
#include "gen/records.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "gen/json_out.h"

namespace davault::gen {

namespace {

constexpr std::string_view kSite = "https://www.northwind-outfitters.example";
constexpr std::string_view kBrand = "Northwind Outfitters";

// The campaigns, engagements and goals a visitor can be eligible for; the first two are the
// sample's own.
struct EngagementDef {
  std::string_view channel, type;
  int64_t behavior_id, behavior_revision;
  int skill_id;
  std::string_view skill_name;           // empty: null
  std::string_view availability_policy;  // empty: null
  int interaction_type;
};
struct CampaignDef {
  int64_t id, profile_id, profile_revision;
  EngagementDef engagement;
  int64_t goal_id;
  int goal_type, goal_indicator;
};
constexpr CampaignDef kCampaigns[] = {
    {129082910, 156579410, 111, {"1", "5", 126225110, 33, 11, "Tier1", "1", 5}, 126222610, 4, 3},
    {626105510, 286374810, 111, {"100", "1", 126225110, 33, -1, "", "", 1}, 126222610, 4, 3},
    {731550210, 301227710, 7, {"1", "2", 126225110, 33, 12, "Billing", "0", 5}, 188201310, 2, 1},
    {744120910, 301227710, 7, {"1", "3", 140044210, 4, 14, "Returns", "1", 5}, 188201310, 2, 1},
};

struct Page {
  std::string_view path;
  std::string_view section;  // empty: no sections
  std::string_view title;
};
constexpr Page kPages[] = {
    {"/", "home", "Northwind Outfitters | Outdoor clothing"},
    {"/products/jackets", "products", "Jackets"},
    {"/products/jackets/ridge-waterproof-jacket", "products", "Ridge waterproof jacket"},
    {"/products/boots/fell-walker-boot", "products", "Fell Walker boot"},
    {"/basket", "basket", "Your basket"},
    {"/checkout/delivery", "checkout", "Checkout"},
    {"/account/login", "loginPages", "Sign in"},
    {"/account/orders", "account", "Your orders"},
    {"/help/contact-us", "", "Contact us"},
    {"/search?q=waterproof+jacket", "search", "Search results"},
    {"/help/returns", "help", "Returns"},
};
// Pages whose query string carries an e-mail address, as sign-in and newsletter forms do.
constexpr std::string_view kEmailUrls[] = {
    "/account/reset-password?email={}",
    "/newsletter/confirm?e={}&src=footer",
    "/account/login?login_hint={}&return=%2Faccount%2Forders",
    "/checkout/guest?step=2&email={}",
};
constexpr std::string_view kSearchKeys[] = {"waterproof jacket", "walking boots size 8",
                                            "northwind returns", "ridge jacket navy", ""};

struct Topic {
  std::string_view start_page;
  std::string_view start_path;
  std::vector<std::string_view> visitor;
  std::vector<std::string_view> rep;
};
const Topic& PickTopic(Rng& rng) {
  static const Topic kTopics[] = {
      {"Your orders",
       "/account/orders",
       {"Hi, my order hasn't arrived yet", "It was supposed to come on Tuesday",
        "The order number is NW{}", "Is there any way to track it?", "OK, that's helpful",
        "Will I get a refund if it doesn't turn up?"},
       {"I'm sorry to hear that, let me check for you.",
        "Could you give me the order number please?",
        "Thanks, I can see it left our warehouse yesterday.",
        "The courier expects to deliver it within two working days.",
        "You'll get an e-mail with the tracking link shortly.",
        "If it hasn't arrived by Friday we will send a replacement."}},
      {"Returns",
       "/help/returns",
       {"I'd like to return a pair of boots", "They're too small", "Do I need the original box?",
        "Can I exchange them for a bigger size instead?", "Order NW{} if that helps"},
       {"Of course, you can return anything within 30 days.",
        "You don't need the box, just the returns label.",
        "I've set up an exchange for a size 8 for you.", "The label is on its way to your inbox."}},
      {"Sign in",
       "/account/login",
       {"I can't log in to my account", "It says my password is wrong",
        "I've tried resetting it twice", "Still nothing, sorry"},
       {"I can help with that.", "Could you confirm the e-mail address on the account?",
        "I've sent a new reset link, it's valid for 24 hours.",
        "Please check your spam folder as well."}},
      {"Checkout",
       "/checkout/delivery",
       {"I've been charged twice for the same order", "Both payments are showing on my card",
        "When will I get the money back?", "It's order NW{}"},
       {"Apologies for that, I can see the duplicate payment.", "I've refunded the second charge.",
        "It usually takes 3 to 5 working days to show."}},
      {"Ridge waterproof jacket",
       "/products/jackets/ridge-waterproof-jacket",
       {"Does the Ridge jacket come up small?", "I'm usually a medium", "Is it fully waterproof?",
        "Do you have it in green?"},
       {"It's true to size, so a medium should fit.",
        "Yes, it's fully waterproof with taped seams.", "We have it in navy and olive."}},
  };
  return kTopics[rng.Below(std::size(kTopics))];
}
constexpr std::string_view kVisitorFiller[] = {"ok",
                                               "thanks",
                                               "yes please",
                                               "hang on a sec",
                                               "great, thank you",
                                               "sure",
                                               "no that's all",
                                               "how long will that take?",
                                               "perfect",
                                               "can you check again?",
                                               "I see",
                                               "brilliant, cheers"};
constexpr std::string_view kRepFiller[] = {"Is there anything else I can help you with today?",
                                           "You're welcome!",
                                           "One moment please.",
                                           "Thanks for waiting.",
                                           "Let me just check that for you.",
                                           "I've added a note to your account.",
                                           "That should be sorted now.",
                                           "Sorry for the wait, we're quite busy today."};
constexpr std::string_view kEmailLines[] = {"my email is {}", "You can email me at {}", "it's {}",
                                            "{}", "email address is {} thanks"};
constexpr std::string_view kPhoneLines[] = {"my number is {}", "call me on {} please",
                                            "mobile is {}", "you can reach me on {}"};
constexpr std::string_view kMarkerLines[] = {"{}", "before I go: {}", "{} - thanks again"};

constexpr int kSkills[] = {3, 11, 12, 14, 17};
constexpr int kEndReasons[] = {205, 205, 201, 202, 208, 210};
constexpr std::string_view kCustomerStatus[] = {"gold", "silver", "new", "agentManager",
                                                "cancelled"};
constexpr std::string_view kCustomerType[] = {"premium", "standard", "trade"};
constexpr std::string_view kImpressionTypes[] = {"Show", "Show", "Accept", "Close", "Timeout"};

// Value of a nullable string field: null, {"string": ""} or {"string": v}.
struct OptStr {
  enum class State { kNull, kEmpty, kValue } state = State::kNull;
  std::string_view value;
  static OptStr Null() { return {}; }
  static OptStr Empty() { return {State::kEmpty, {}}; }
  static OptStr Of(std::string_view v) { return {State::kValue, v}; }
};

std::string Digits(Rng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng.Below(10));
  return s;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// Fills a "{}" template; the template comes from the tables above, the argument from a person.
std::string Fill(std::string_view tmpl, std::string_view arg) {
  return fmt::format(fmt::runtime(tmpl), arg);
}

}  // namespace

class RecordBuilder {
 public:
  // Where an e-mail address is written: its main place in the record (the first planted record
  // writes it exactly as given there) or an extra one.
  enum class Place { kMain, kExtra };
  enum class Whose { kPool, kPlanted };
  // How a visitor's transcript line leaves agentId: both forms occur in real files.
  enum class VisitorAgentId { kNull, kEmptyString };

  RecordBuilder(RecordWriter& w, Rng& rng, PlantedPerson* p, int pi, std::vector<Hit>* hits,
                std::string& out)
      : w_(w), rng_(rng), p_(p), pi_(pi), hits_(hits), j_(out) {}

  void AgentActivity(int64_t scope);
  void WebSession(int64_t scope);
  void Engagement(int64_t scope);
  void Survey(int64_t scope);

 private:
  struct Line {
    std::string text;
    int64_t ts = 0;
    int who = 0;  // 0 visitor, 1 agent, 2 system
    const Agent* agent = nullptr;
    std::string_view control_type;
  };

  // kOwnField: the identifier's own field (contacts.email, customerId, a header, agentID);
  // kFreeText: typed text, a URL, or a field labelled as something else.
  enum class Where { kOwnField, kFreeText };
  void AddHit(Kind kind, std::string_view value, std::string_view field, Where where,
              std::string_view form) {
    if (hits_ == nullptr) return;
    hits_->push_back(
        Hit{pi_, kind, std::string(value), field, where == Where::kOwnField, std::string(form)});
  }
  // Whether a planted record carries one of the person's identifiers: the first record of each
  // type carries them all, later ones a random subset (so linking by one identifier is tested).
  bool Choose(bool has) { return has && (first_ || rng_.Percent(60)); }

  std::string PlantedEmailForm(Place place) {
    const bool first = first_ && place == Place::kMain;
    const std::string& e = p_->person.email;
    if (p_->exact_forms || first || rng_.Percent(50)) return e;
    return EmailForm(e, static_cast<EmailStyle>(1 + rng_.Below(kNumEmailStyles - 1)));
  }
  std::string PoolEmailForm(const Person& per) {
    const uint64_t r = rng_.Below(100);
    if (r < 85) return per.email;
    if (r < 93) return EmailForm(per.email, EmailStyle::kCapitalised);
    if (r < 97) return EmailForm(per.email, EmailStyle::kPadded);
    return EmailForm(per.email, EmailStyle::kUpper);
  }
  std::string PhoneForm(const Person& per, Whose whose) {
    if (per.phone_nsn.empty()) return per.phone;
    if (whose == Whose::kPlanted && (p_->exact_forms || first_)) return per.phone;
    if (rng_.Percent(50)) return per.phone;
    return FormatGbPhone(per.phone_nsn, static_cast<PhoneStyle>(rng_.Below(kNumPhoneStyles)));
  }

  void Str(const OptStr& s) {
    switch (s.state) {
      case OptStr::State::kNull:
        j_.Null();
        break;
      case OptStr::State::kEmpty:
        j_.UString("");
        break;
      case OptStr::State::kValue:
        j_.UString(s.value);
    }
  }
  void Field(std::string_view key, const OptStr& s) {
    j_.Key(key);
    PgpValues* pgp = w_.config_.pgp;
    if (pgp != nullptr && s.state == OptStr::State::kValue && pgp->fields.count(key) > 0) {
      Result<std::string> armored = pgp->encrypt(s.value);
      if (armored.ok()) {
        ++pgp->values;
        j_.UString(armored.value());
      } else {
        // Never the value in the clear: an empty string, and the run fails.
        if (pgp->error.ok()) pgp->error = armored.status();
        j_.UString("");
      }
      return;
    }
    Str(s);
  }
  void NullField(std::string_view key) { j_.Key(key).Null(); }

  void BeginRecord(DataType type, std::string_view schema, int64_t start,
                   std::optional<int64_t> end) {
    const bool prod = w_.config_.form == Form::kProduction;
    j_.BeginObject();
    j_.Key("dataType").UEnum("com.liveperson.dataaccess.DataTypeEnum", DataTypeEnum(type));
    j_.Key("metaData");
    if (prod) {
      j_.BeginObject();
      j_.Key("com.liveperson.dataaccess.MetaData");
    }
    j_.BeginObject();
    j_.Key("accountId").UString(w_.config_.account);
    j_.Key("schemaVersion").String(schema);
    j_.Key("startTime").ULong(start);
    j_.Key("endTime");
    if (end) {
      j_.ULong(*end);
    } else {
      j_.Null();
    }
    j_.EndObject();
    if (prod) j_.EndObject();
    j_.Key("recordCollection");
    if (prod) {
      j_.BeginUnionArray();
    } else {
      j_.BeginArray();
    }
  }
  void EndRecord() {
    if (w_.config_.form == Form::kProduction) {
      j_.EndUnionArray();
    } else {
      j_.EndArray();
    }
    j_.EndObject();
    j_.buffer() += '\n';
  }
  void BeginBody(std::string_view name) {
    j_.BeginObject();
    j_.Key("body").BeginUnionRecord(name);
  }
  void EndBody() {
    j_.EndUnionRecord();
    j_.EndObject();
  }
  void VisitorHeader(const OptStr& visit, const OptStr& visitor, const OptStr& context) {
    j_.Key("header").BeginUnionRecord("com.liveperson.dataaccess.VisitorHeader");
    Field("visitId", visit);
    Field("visitorId", visitor);
    Field("contextId", context);
    j_.EndUnionRecord();
  }
  void WriteEngagementDef(const EngagementDef& e) {
    j_.BeginObject();
    Field("channel", OptStr::Of(e.channel));
    Field("type", OptStr::Of(e.type));
    j_.Key("visitorBehaviors").BeginUnionArray();
    j_.BeginObject();
    j_.Key("id").ULong(e.behavior_id);
    j_.Key("revision").ULong(e.behavior_revision);
    j_.EndObject();
    j_.EndUnionArray();
    j_.Key("skillId").UInt(e.skill_id);
    Field("skillName", e.skill_name.empty() ? OptStr::Null() : OptStr::Of(e.skill_name));
    NullField("surveySkills");
    j_.Key("isOffsiteEngagement").UBool(false);
    Field("availabilityPolicy",
          e.availability_policy.empty() ? OptStr::Null() : OptStr::Of(e.availability_policy));
    j_.Key("interactionType").UInt(e.interaction_type);
    NullField("renderingType");
    j_.EndObject();
  }
  void WriteCampaign(const CampaignDef& c) {
    j_.BeginUnionRecord("com.liveperson.dataaccess.Campaign");
    j_.Key("id").ULong(c.id);
    j_.Key("visitorProfiles").BeginUnionArray();
    j_.BeginObject();
    j_.Key("id").ULong(c.profile_id);
    j_.Key("revision").ULong(c.profile_revision);
    j_.EndObject();
    j_.EndUnionArray();
    j_.EndUnionRecord();
  }
  void WriteGoal(const CampaignDef& c) {
    j_.BeginUnionRecord("com.liveperson.dataaccess.Goal");
    j_.Key("id").ULong(c.goal_id);
    j_.Key("type").UInt(c.goal_type);
    j_.Key("indicatorType").UInt(c.goal_indicator);
    j_.EndUnionRecord();
  }
  void WriteMessage(const Line& l, VisitorAgentId visitor_agent_id, const std::string& visitor_by);

  RecordWriter& w_;
  Rng& rng_;
  bool first_ = false;  // the planted person's first record of this type: every identifier
  PlantedPerson* p_;
  int pi_;
  std::vector<Hit>* hits_;
  JsonOut j_;
};

// ---------------------------------------------------------------------------------------------
// Agent Activity: one agent login session with its state changes.

void RecordBuilder::AgentActivity(int64_t scope) {
  const Agent& a = p_ != nullptr ? *p_->agent : w_.agents_[rng_.Below(w_.agents_.size())];
  const int64_t start = scope + static_cast<int64_t>(rng_.Below(3'600'000));
  const std::string session =
      fmt::format("{}-{}", w_.config_.account,
                  700000000 + static_cast<int64_t>(w_.config_.id_base) +
                      static_cast<int64_t>(w_.agent_sessions_++) * 97 + rng_.Range(0, 96));

  struct Event {
    int64_t type, state, ts, prev_state, prev_conc, conc, max_conc;
  };
  std::vector<Event> events;
  int64_t t = start;
  events.push_back({3, 0, t, 1, 0, 0, -9});  // login, as in the sample
  int64_t state = 2, conc = 0;
  t += rng_.Range(500, 20'000);
  events.push_back({1, 2, t, 1, 0, 0, a.max_chats});  // goes online
  const int middle = static_cast<int>(rng_.Range(0, 6));
  for (int i = 0; i < middle; ++i) {
    t += rng_.Range(10'000, 600'000);
    if (rng_.Percent(55) && state == 2) {
      const int64_t next = std::clamp<int64_t>(conc + (rng_.Percent(60) ? 1 : -1), 0, a.max_chats);
      events.push_back({1, 2, t, 2, conc, next, a.max_chats});
      conc = next;
    } else {
      constexpr int64_t kStates[] = {2, 3, 4};
      int64_t next = kStates[rng_.Below(3)];
      if (next == state) next = state == 2 ? 4 : 2;
      events.push_back({1, next, t, state, conc, conc, a.max_chats});
      state = next;
    }
  }
  std::optional<int64_t> end;
  if (rng_.Percent(50)) {
    t += rng_.Range(5'000, 900'000);
    events.push_back({4, 1, t, state, conc, 0, -9});
    end = t;
  }

  BeginRecord(DataType::kAgentActivity, "1.0.0.4", start, end);
  BeginBody("com.liveperson.dataaccess.AgentActivityData");
  j_.Key("header").BeginUnionRecord("com.liveperson.dataaccess.AgentHeader");
  Field("agentSessionId", OptStr::Of(session));
  j_.EndUnionRecord();
  j_.Key("agentSessionsData").BeginUnionArray();
  for (const Event& e : events) {
    j_.BeginObject();
    j_.Key("agentID").ULong(a.id);
    j_.Key("type").ULong(e.type);
    j_.Key("state").ULong(e.state);
    j_.Key("timestamp").ULong(e.ts);
    j_.Key("prevState").ULong(e.prev_state);
    Field("agentEmployeeId", OptStr::Of(a.employee_id));
    Field("agentUsername", OptStr::Of(a.username));
    Field("agentNickname", OptStr::Of(a.nickname));
    Field("agentLoginname", OptStr::Of(a.login));
    j_.Key("prevConcurrentEng").ULong(e.prev_conc);
    j_.Key("concurrentEng").ULong(e.conc);
    j_.Key("maxConcurrentEng").ULong(e.max_conc);
    j_.Key("agentGroupID").ULong(a.group_id);
    j_.EndObject();
  }
  j_.EndUnionArray();
  EndBody();
  EndRecord();

  if (p_ != nullptr) {
    const std::string id = std::to_string(a.id);
    AddHit(Kind::kAgent, id, "AgentSessionData.agentID", Where::kOwnField, id);
    AddHit(Kind::kAgent, a.login, "AgentSessionData.agentLoginname", Where::kOwnField, a.login);
    AddHit(Kind::kAgent, a.username, "AgentSessionData.agentUsername", Where::kOwnField,
           a.username);
  }
}

// ---------------------------------------------------------------------------------------------
// Web Session: one visit with all five sample sections plus Geo and Session Info.

void RecordBuilder::WebSession(int64_t scope) {
  const bool planted = p_ != nullptr;
  const Person& per = planted ? p_->person : w_.pool_[rng_.Below(w_.pool_.size())];
  first_ = planted && p_->ordinal[static_cast<int>(DataType::kWebSession)] == 0;
  const int64_t start = scope + static_cast<int64_t>(rng_.Below(3'600'000));

  bool with_customer, with_email, with_phone;
  if (planted) {
    with_customer = Choose(p_->customer);
    with_email = Choose(p_->email);
    with_phone = Choose(p_->phone);
    if (!p_->visitor && !p_->ip && !with_customer && !with_email && !with_phone) {
      // Every planted record carries at least one identifier the person was planted with.
      if (p_->email) {
        with_email = true;
      } else if (p_->customer) {
        with_customer = true;
      } else {
        with_phone = p_->phone;
      }
    }
  } else {
    with_customer = !per.customer_id.empty() && rng_.Percent(60);
    with_email = !per.email.empty() && rng_.Percent(45);
    with_phone = !per.phone.empty() && rng_.Percent(35);
  }
  bool email_contacts = false, email_surname = false, email_url = false;
  if (with_email) {
    if (planted) {
      // Rotate through the places an address turns up, so each is covered by a few records:
      // the contact field, a mislabelled SDE field, and only a URL's query string.
      switch (p_->email_places++) {
        case 0:
          email_contacts = true;
          break;
        case 1:
          email_contacts = email_surname = true;
          break;
        case 2:
          email_url = true;
          break;
        case 3:
          email_contacts = email_url = true;
          break;
        default:
          email_contacts = rng_.Percent(75);
          email_surname = rng_.Percent(20);
          email_url = rng_.Percent(30) || (!email_contacts && !email_surname);
      }
    } else {
      email_contacts = true;
      email_surname = rng_.Percent(12);
      email_url = rng_.Percent(12);
    }
  }
  const bool personal_info =
      email_contacts || email_surname || with_phone || rng_.Percent(40) || !with_customer;

  const std::string visit_id = VisitId(rng_);
  const OptStr visit = OptStr::Of(visit_id);
  const OptStr visitor = OptStr::Of(per.visitor_id);
  const OptStr context = rng_.Percent(90) ? OptStr::Null() : OptStr::Empty();
  if (planted) {
    AddHit(Kind::kVisitor, per.visitor_id, "VisitorHeader.visitorId", Where::kOwnField,
           per.visitor_id);
    AddHit(Kind::kVisit, visit_id, "VisitorHeader.visitId", Where::kOwnField, visit_id);
  }

  // Navigation first: the other sections' timestamps fall inside it.
  struct Nav {
    int64_t ts;
    std::string url;
    std::string referrer;  // empty string: {"string": ""}
    std::string_view section;
  };
  std::vector<Nav> nav;
  const Device& dev = Devices()[per.device];
  const bool from_search = rng_.Percent(35);
  const std::string_view search_key = rng_.Pick(kSearchKeys);
  const int nav_count = static_cast<int>(rng_.Range(2, 7));
  int64_t t = start + rng_.Range(20, 200);
  for (int i = 0; i < nav_count; ++i) {
    const Page& page = kPages[rng_.Below(std::size(kPages))];
    Nav n{t, std::string(kSite) + std::string(page.path), "", page.section};
    if (i == 0) {
      n.referrer = from_search ? "https://www.google.com/" : "";
    } else {
      n.referrer = nav.back().url;
    }
    nav.push_back(std::move(n));
    t += rng_.Range(3'000, 300'000);
  }
  if (email_url) {
    std::string addr = planted && p_->exact_forms ? per.email : TrimLower(per.email);
    if (!(planted && p_->exact_forms) && rng_.Percent(50)) {
      addr.replace(addr.find('@'), 1, "%40");  // how a form GET encodes it
    }
    Nav& n = nav[rng_.Below(nav.size())];
    n.url = std::string(kSite) + Fill(rng_.Pick(kEmailUrls), addr);
    n.section = "account";
    if (planted) AddHit(Kind::kEmail, per.email, "NavigationData.url", Where::kFreeText, addr);
  }
  const int64_t last_ts = nav.back().ts;
  std::optional<int64_t> end;
  if (rng_.Percent(30)) end = last_ts + rng_.Range(1'000, 1'800'000);

  BeginRecord(DataType::kWebSession, "1.0.0.22", start, end);

  // 1. Engagement attributes (SDEs).
  BeginBody("com.liveperson.dataaccess.WebSessionEngAttrsData");
  VisitorHeader(visit, visitor, context);
  j_.Key("engagementAttributes").BeginUnionArray();
  if (with_customer) {
    j_.BeginObject();
    j_.Key("timestamp").ULong(start + rng_.Range(1'000, 20'000));
    j_.Key("data").BeginUnionRecord("com.liveperson.dataaccess.CustomerInfo");
    Field("customerStatus",
          rng_.Percent(70) ? OptStr::Of(rng_.Pick(kCustomerStatus)) : OptStr::Null());
    Field("customerType", rng_.Percent(50) ? OptStr::Of(rng_.Pick(kCustomerType)) : OptStr::Null());
    j_.Key("balance");
    if (rng_.Percent(30)) {
      const int64_t pounds = rng_.Range(0, 900);
      const int64_t pence = rng_.Range(0, 99);
      // Shortest round-trip text, as the samples' doubles are written ({"double":-1}).
      j_.UDouble(fmt::format("{}", static_cast<double>(pounds) + static_cast<double>(pence) / 100));
    } else {
      j_.Null();
    }
    Field("customerId", OptStr::Of(per.customer_id));
    NullField("socialId");
    NullField("imei");
    Field("userName", per.user_name.empty() ? OptStr::Null() : OptStr::Of(per.user_name));
    NullField("companySize");
    NullField("accountName");
    NullField("role");
    NullField("storeZipCode");
    NullField("storeNumber");
    NullField("lastPaymentDate");
    NullField("registrationDate");
    j_.EndUnionRecord();
    j_.EndObject();
    if (planted) {
      AddHit(Kind::kCustomer, per.customer_id, "CustomerInfo.customerId", Where::kOwnField,
             per.customer_id);
    }
  }
  if (personal_info) {
    std::string email_form, surname_form, phone_form;
    const Whose whose = planted ? Whose::kPlanted : Whose::kPool;
    if (email_contacts) {
      email_form = planted ? PlantedEmailForm(Place::kMain) : PoolEmailForm(per);
    }
    if (email_surname) {
      surname_form = planted ? PlantedEmailForm(Place::kExtra) : TrimLower(per.email);
    }
    if (with_phone) phone_form = PhoneForm(per, whose);
    j_.BeginObject();
    j_.Key("timestamp").ULong(start + rng_.Range(1'000, 20'000));
    j_.Key("data").BeginUnionRecord("com.liveperson.dataaccess.PersonalInfo");
    Field("name", rng_.Percent(70) ? OptStr::Of(per.first) : OptStr::Null());
    if (email_surname) {
      Field("surname", OptStr::Of(surname_form));  // as in the sample: an address in surname
    } else {
      Field("surname", rng_.Percent(60) ? OptStr::Of(per.last) : OptStr::Null());
    }
    NullField("gender");
    Field("company", rng_.Percent(10) ? OptStr::Of("Example Holdings Ltd") : OptStr::Null());
    NullField("customerAge");
    j_.Key("contacts").BeginUnionArray();
    j_.BeginObject();
    Field("email", email_contacts ? OptStr::Of(email_form) : OptStr::Null());
    Field("phone", with_phone ? OptStr::Of(phone_form) : OptStr::Null());
    j_.EndObject();
    j_.EndUnionArray();
    j_.EndUnionRecord();
    j_.EndObject();
    if (planted) {
      if (email_contacts) {
        AddHit(Kind::kEmail, per.email, "PersonalInfo.contacts.email", Where::kOwnField,
               email_form);
      }
      if (email_surname)
        AddHit(Kind::kEmail, per.email, "PersonalInfo.surname", Where::kFreeText, surname_form);
      if (with_phone)
        AddHit(Kind::kPhone, per.phone, "PersonalInfo.contacts.phone", Where::kOwnField,
               phone_form);
    }
  }
  j_.EndUnionArray();
  EndBody();

  // 2. Navigation.
  BeginBody("com.liveperson.dataaccess.WebSessionNavigationData");
  VisitorHeader(visit, visitor, context);
  j_.Key("navigationData").BeginUnionArray();
  for (const Nav& n : nav) {
    j_.BeginObject();
    j_.Key("timestamp").ULong(n.ts);
    Field("url", OptStr::Of(n.url));
    Field("referrerUrl", n.referrer.empty() ? OptStr::Empty() : OptStr::Of(n.referrer));
    j_.Key("sections").BeginUnionArray();
    if (!n.section.empty()) j_.String(n.section);
    j_.EndUnionArray();
    j_.EndObject();
  }
  j_.EndUnionArray();
  EndBody();

  // 3. Goals achieved.
  BeginBody("com.liveperson.dataaccess.WebSessionGoalAchievedData");
  VisitorHeader(visit, visitor, context);
  j_.Key("achievedGoals").BeginUnionArray();
  const int goals = rng_.Percent(80) ? 1 : 2;
  for (int i = 0; i < goals; ++i) {
    j_.BeginObject();
    Field("id", OptStr::Of(Uuid(rng_)));
    j_.Key("timestamp").ULong(start + rng_.Range(5'000, 60'000));
    j_.Key("campaignGoalRevision").ULong(13);
    j_.Key("campaignGoalId").ULong(i == 0 ? 153250510 : 153250610);
    j_.Key("campaignGoalType").UInt(1);
    j_.Key("goalMetaData")
        .BeginUnionRecord("com.liveperson.dataaccess.ReduceAbandonmentGoalMetadata");
    j_.Key("numberOfPages").UInt(std::min<int>(nav_count, 1 + static_cast<int>(rng_.Below(4))));
    j_.EndUnionRecord();
    j_.EndObject();
  }
  j_.EndUnionArray();
  EndBody();

  // 4. Eligibility.
  const size_t c1 = rng_.Below(std::size(kCampaigns));
  const size_t c2 = (c1 + 1 + rng_.Below(std::size(kCampaigns) - 1)) % std::size(kCampaigns);
  const int eligible = rng_.Percent(70) ? 2 : 1;
  BeginBody("com.liveperson.dataaccess.WebSessionEligibilityData");
  VisitorHeader(visit, visitor, context);
  j_.Key("eligibilityData").BeginUnionArray();
  for (int i = 0; i < eligible; ++i) {
    const CampaignDef& c = kCampaigns[i == 0 ? c1 : c2];
    j_.BeginObject();
    j_.Key("eligibleCampaigns").BeginUnionArray();
    j_.BeginObject();
    j_.Key("campaign");
    WriteCampaign(c);
    j_.Key("engagements").BeginUnionArray();
    WriteEngagementDef(c.engagement);
    j_.EndUnionArray();
    j_.Key("goal");
    WriteGoal(c);
    j_.Key("controlGroupType").UEnum("com.liveperson.dataaccess.ControlGroupEnum", "NA");
    j_.EndObject();
    j_.EndUnionArray();
    j_.Key("timestamp").ULong(start + 100 + i * rng_.Range(1'000, 15'000));
    j_.EndObject();
  }
  j_.EndUnionArray();
  EndBody();

  // 5. Impressions.
  BeginBody("com.liveperson.dataaccess.WebSessionImpressionData");
  VisitorHeader(visit, visitor, context);
  j_.Key("impressions").BeginUnionArray();
  const int impressions = static_cast<int>(rng_.Range(1, 3));
  for (int i = 0; i < impressions; ++i) {
    const CampaignDef& c = kCampaigns[(i % eligible) == 0 ? c1 : c2];
    j_.BeginObject();
    Field("engagementInstanceId", OptStr::Of(i == 0 ? "1" : "2"));
    Field("impressionType", OptStr::Of(i == 0 ? "Show" : rng_.Pick(kImpressionTypes)));
    Field("state", OptStr::Of(rng_.Percent(50) ? "1" : "0"));
    j_.Key("engagement").BeginObject();
    j_.Key("com.liveperson.dataaccess.Engagement");
    WriteEngagementDef(c.engagement);
    j_.EndObject();
    j_.Key("campaign");
    WriteCampaign(c);
    j_.Key("goal");
    WriteGoal(c);
    j_.EndObject();
  }
  j_.EndUnionArray();
  EndBody();

  // 6. Geo (body name per shared/dataaccess-api.md §8).
  const GeoPlace& geo = GeoPlaces()[per.geo];
  BeginBody("com.liveperson.dataaccess.WebSessionGeoData");
  VisitorHeader(visit, visitor, context);
  j_.Key("geo").BeginUnionRecord("com.liveperson.dataaccess.Geo");
  Field("iPV4", per.ipv4.empty() ? OptStr::Null() : OptStr::Of(per.ipv4));
  Field("iPV6", per.ipv6.empty() ? OptStr::Null() : OptStr::Of(per.ipv6));
  Field("country", OptStr::Of(geo.country));
  Field("city", OptStr::Of(geo.city));
  Field("state", OptStr::Of(geo.state));
  const std::string_view isp = Isps()[(per.geo + per.device) % Isps().size()];
  Field("org", rng_.Percent(60) ? OptStr::Of(isp) : OptStr::Null());
  Field("isp", OptStr::Of(isp));
  Field("countryCode", OptStr::Of(geo.country_code));
  j_.EndUnionRecord();
  EndBody();
  if (planted) {
    if (!per.ipv4.empty()) AddHit(Kind::kIp, per.ipv4, "Geo.iPV4", Where::kOwnField, per.ipv4);
    if (!per.ipv6.empty()) AddHit(Kind::kIp, per.ipv6, "Geo.iPV6", Where::kOwnField, per.ipv6);
  }

  // 7. Session info (body name per shared/dataaccess-api.md §8).
  BeginBody("com.liveperson.dataaccess.WebSessionInfoData");
  VisitorHeader(visit, visitor, context);
  j_.Key("sessionInfo").BeginUnionRecord("com.liveperson.dataaccess.SessionInfo");
  j_.Key("sessionStartTime").ULong(start);
  Field("userAgent", OptStr::Of(dev.user_agent));
  Field("deviceOS", OptStr::Of(dev.os));
  Field("deviceFamily", OptStr::Of(dev.family));
  Field("siteControlGroup", OptStr::Of("NA"));
  Field("searchEngine", from_search ? OptStr::Of("Google") : OptStr::Null());
  Field("searchEngineKey", from_search
                               ? (search_key.empty() ? OptStr::Empty() : OptStr::Of(search_key))
                               : OptStr::Null());
  j_.EndUnionRecord();
  EndBody();

  EndRecord();
}

// ---------------------------------------------------------------------------------------------
// Engagement: one chat conversation with its transcript.

void RecordBuilder::WriteMessage(const Line& l, VisitorAgentId visitor_agent_id,
                                 const std::string& visitor_by) {
  j_.BeginObject();
  Field("text", OptStr::Of(l.text));
  j_.Key("timestamp").ULong(l.ts);
  switch (l.who) {
    case 0:
      Field("by", OptStr::Of(visitor_by));
      Field("type", OptStr::Of("0"));
      NullField("controlType");
      Field("agentId",
            visitor_agent_id == VisitorAgentId::kNull ? OptStr::Null() : OptStr::Empty());
      break;
    case 1: {
      Field("by", OptStr::Of(l.agent->nickname));
      Field("type", OptStr::Of("1"));
      NullField("controlType");
      const std::string id = std::to_string(l.agent->id);
      Field("agentId", OptStr::Of(id));
      break;
    }
    default:
      Field("by", OptStr::Of("info"));
      Field("type", OptStr::Of("2"));
      Field("controlType", OptStr::Of(l.control_type));
      Field("agentId", OptStr::Of("0"));
  }
  Field("contentFormat", OptStr::Of("Text"));
  Field("messageId", OptStr::Of(Base64Url(rng_, 16)));
  NullField("dialogId");
  NullField("fileData");
  NullField("linkData");
  NullField("mcs");
  j_.EndObject();
}

void RecordBuilder::Engagement(int64_t scope) {
  const bool planted = p_ != nullptr;
  // A planted agent-only person serves a random visitor; anyone else is the visitor.
  const bool planted_consumer =
      planted && (p_->email || p_->phone || p_->visitor || p_->consumer || !p_->agent);
  const bool planted_agent = planted && p_->agent.has_value();
  const int pool_index = static_cast<int>(rng_.Below(w_.pool_.size()));
  const Person& per = planted_consumer ? p_->person : w_.pool_[pool_index];
  first_ = planted && p_->ordinal[static_cast<int>(DataType::kEngagement)] == 0;
  const bool first = first_;
  const Agent& agent1 = planted_agent ? *p_->agent : w_.agents_[rng_.Below(w_.agents_.size())];

  bool with_header, with_consumer, with_email, with_phone;
  if (planted_consumer) {
    with_header = first || rng_.Percent(p_->visitor ? 60 : 40);
    with_consumer = Choose(p_->consumer);
    with_email = Choose(p_->email);
    with_phone = Choose(p_->phone);
    const bool anchored =
        (with_header && p_->visitor) || with_consumer || with_email || with_phone || planted_agent;
    if (!anchored) {
      if (p_->email) {
        with_email = true;
      } else if (p_->phone) {
        with_phone = true;
      } else if (p_->consumer) {
        with_consumer = true;
      } else {
        with_header = true;
      }
    }
  } else {
    with_header = rng_.Percent(30);
    with_consumer = !per.consumer_id.empty() && rng_.Percent(35);
    with_email = !per.email.empty() && rng_.Percent(35);
    with_phone = !per.phone.empty() && rng_.Percent(25);
  }

  const int64_t start = scope + static_cast<int64_t>(rng_.Below(3'600'000));
  const std::string conversation_id = w_.NextConversationId(rng_);
  const bool messaging = with_consumer ? rng_.Percent(50) : rng_.Percent(10);

  // Transcript.
  const Topic& topic = PickTopic(rng_);
  const bool transfer = rng_.Percent(12);
  const Agent* agent2 = &agent1;
  if (transfer) {
    do {
      agent2 = &w_.agents_[rng_.Below(w_.agents_.size())];
    } while (w_.agents_.size() > 1 && agent2->id == agent1.id);
  }
  // Which identifiers of a planted agent appear: as the first agent, or (after a transfer)
  // possibly as the second.
  const Agent* before = &agent1;
  const Agent* after = agent2;
  if (planted_agent && transfer && rng_.Percent(40)) {
    before = agent2;
    after = &agent1;
  }
  const std::string marker = planted ? w_.config_.marker : std::string();
  const int specials = (with_email ? 1 : 0) + (with_phone ? 1 : 0) + (marker.empty() ? 0 : 1);
  // 3 to 30 lines, most chats short: the smaller of two uniform draws.
  int total = 3 + static_cast<int>(std::min(rng_.Below(28), rng_.Below(28)));
  const int min_total = 3 + 2 * specials + (transfer ? 3 : 0);
  total = std::clamp(total, std::min(min_total, 30), 30);
  const int middle = total - 3 - (transfer ? 1 : 0);
  const int visitor_slots = (middle + 1) / 2;

  // Choose which visitor lines carry the special content.
  std::vector<int> special_at(static_cast<size_t>(std::max(visitor_slots, 0)), -1);
  {
    std::vector<int> kinds;
    if (with_email) kinds.push_back(0);
    if (with_phone) kinds.push_back(1);
    if (!marker.empty()) kinds.push_back(2);
    for (int k : kinds) {
      int pos;
      do {
        pos = static_cast<int>(rng_.Below(special_at.size()));
      } while (special_at[pos] != -1);
      special_at[pos] = k;
    }
  }

  std::vector<Line> lines;
  int64_t t = start + 1;
  lines.push_back({fmt::format("Welcome to {}! A representative will be with you shortly.", kBrand),
                   t, 2, nullptr, "4"});
  const int64_t interaction = start + rng_.Range(15'000, 180'000);
  t = interaction;
  const std::string greeting_name = rng_.Percent(70) ? per.first : std::string("there");
  lines.push_back({fmt::format("Hi {}, my name is {}. How can I help you today?", greeting_name,
                               before->nickname),
                   t,
                   1,
                   before,
                   {}});
  std::string visitor_by = rng_.Percent(60) ? per.first : std::string("Visitor");
  size_t vi = 0, ri = 0;
  int visitor_line = 0;
  const int transfer_at = transfer ? middle / 2 : -1;
  const Agent* current = before;
  int64_t transfer_ts = 0, transfer_queue_start = 0;
  for (int i = 0; i < middle; ++i) {
    if (i == transfer_at) {
      t += rng_.Range(5'000, 40'000);
      transfer_queue_start = t;
      lines.push_back(
          {"Transferring you to a colleague who can help with this.", t, 2, nullptr, "3"});
      transfer_ts = t;
      t += rng_.Range(10'000, 120'000);
      current = after;
    }
    t += rng_.Range(4'000, 75'000);
    if (i % 2 == 0) {
      std::string text;
      const int special =
          visitor_line < static_cast<int>(special_at.size()) ? special_at[visitor_line] : -1;
      ++visitor_line;
      if (special == 0) {
        const std::string form =
            planted_consumer ? PlantedEmailForm(Place::kMain) : PoolEmailForm(per);
        const std::string typed = Trim(form);  // nobody types the padding
        text = Fill(rng_.Pick(kEmailLines), typed);
        if (planted_consumer)
          AddHit(Kind::kEmail, per.email, "Message.text", Where::kFreeText, typed);
      } else if (special == 1) {
        const std::string form = PhoneForm(per, planted_consumer ? Whose::kPlanted : Whose::kPool);
        text = Fill(rng_.Pick(kPhoneLines), form);
        if (planted_consumer)
          AddHit(Kind::kPhone, per.phone, "Message.text", Where::kFreeText, form);
      } else if (special == 2) {
        text = Fill(rng_.Pick(kMarkerLines), marker);
        AddHit(Kind::kMarker, marker, "Message.text", Where::kFreeText, marker);
      } else if (vi < topic.visitor.size()) {
        text = Fill(topic.visitor[vi++], Digits(rng_, 6));
      } else {
        text = rng_.Pick(kVisitorFiller);
      }
      lines.push_back({std::move(text), t, 0, nullptr, {}});
    } else {
      std::string text(ri < topic.rep.size() ? topic.rep[ri++] : rng_.Pick(kRepFiller));
      lines.push_back({std::move(text), t, 1, current, {}});
    }
  }
  t += rng_.Range(3'000, 60'000);
  if (rng_.Percent(50)) {
    lines.push_back(
        {fmt::format("Thanks for chatting with {}, have a great day!", kBrand), t, 1, current, {}});
  } else {
    lines.push_back({"The visitor has closed the chat.", t, 2, nullptr, "0"});
  }
  const int64_t conversation_end = t + rng_.Range(500, 15'000);
  std::optional<int64_t> end;
  if (rng_.Percent(92)) end = conversation_end + rng_.Range(2'000, 20'000);
  const bool interactive =
      std::any_of(lines.begin(), lines.end(), [](const Line& l) { return l.who == 0; });

  const std::string visit_id = with_header ? VisitId(rng_) : std::string();
  OptStr h_visit = OptStr::Empty(), h_visitor = OptStr::Empty(), h_context = OptStr::Empty();
  if (with_header) {
    h_visit = OptStr::Of(visit_id);
    h_visitor = OptStr::Of(per.visitor_id);
  } else if (!planted && rng_.Percent(15)) {
    h_visit = h_visitor = h_context = OptStr::Null();
  }

  BeginRecord(DataType::kEngagement, transfer ? "1.0.0.34" : "1.0.0.22", start, end);
  BeginBody("com.liveperson.dataaccess.EngagementData");
  VisitorHeader(h_visit, h_visitor, h_context);
  j_.Key("engagements").BeginUnionArray();
  j_.BeginUnionRecord("com.liveperson.dataaccess.Conversation");
  j_.Key("type").UEnum("com.liveperson.dataaccess.ConversationType",
                       messaging ? "MESSAGING" : "LIVE_CHAT");
  Field("conversationId", OptStr::Of(conversation_id));
  j_.Key("conversationStartTime").ULong(start);
  j_.Key("interactionStartTime").ULong(interaction);
  j_.Key("conversationEndTime").ULong(conversation_end);
  Field("consumerId", with_consumer ? OptStr::Of(per.consumer_id) : OptStr::Null());
  j_.Key("isInteractive").UBool(interactive);
  Field("sourceOrigin", OptStr::Of("Web"));
  j_.Key("sourceDevice");
  if (rng_.Percent(50)) {
    j_.UEnum("com.liveperson.dataaccess.DeviceType", Devices()[per.device].lp_device);
  } else {
    j_.Null();
  }
  j_.Key("endReasonId").UInt(rng_.Pick(kEndReasons));
  NullField("campaignData");
  j_.Key("skills").BeginUnionArray();
  j_.Int(rng_.Pick(kSkills));
  j_.EndUnionArray();
  j_.Key("startReasonId").UInt(0);
  const bool start_page = rng_.Percent(40);
  Field("startPage", start_page ? OptStr::Of(topic.start_page) : OptStr::Null());
  const std::string start_url = std::string(kSite) + std::string(topic.start_path);
  Field("startUrl", start_page ? OptStr::Of(start_url) : OptStr::Null());
  const VisitorAgentId visitor_agent_id =
      rng_.Percent(50) ? VisitorAgentId::kNull : VisitorAgentId::kEmptyString;
  j_.Key("transcripts").BeginUnionArray();
  for (const Line& l : lines) WriteMessage(l, visitor_agent_id, visitor_by);
  j_.EndUnionArray();
  j_.Key("transfers").BeginUnionArray();
  if (transfer) {
    j_.BeginObject();
    j_.Key("timestamp").ULong(transfer_ts);
    j_.Key("skillId").ULong(rng_.Pick(kSkills));
    j_.Key("targetSkillId").ULong(rng_.Pick(kSkills));
    Field("agentId", OptStr::Of(std::to_string(before->id)));
    Field("targetAgentId", OptStr::Of(std::to_string(after->id)));
    j_.Key("reason").ULong(rng_.Percent(70) ? 1 : 2);
    j_.Key("queueStartTime").ULong(transfer_queue_start);
    j_.Key("queueEndTime").ULong(transfer_queue_start + rng_.Range(5'000, 100'000));
    j_.Key("isInteractive").UBool(true);
    j_.EndObject();
  }
  j_.EndUnionArray();
  j_.Key("secureForms").BeginUnionArray();
  j_.EndUnionArray();
  NullField("mcs");
  j_.Key("queueStartTime").ULong(start);
  j_.Key("queueEndTime").ULong(interaction);
  j_.EndUnionRecord();
  j_.EndUnionArray();
  EndBody();
  EndRecord();

  if (planted_consumer) {
    // The conversation is the visitor's; a planted agent is found by their agent id instead.
    AddHit(Kind::kConversation, conversation_id, "Conversation.conversationId", Where::kOwnField,
           conversation_id);
    p_->conversations.push_back(conversation_id);
    p_->survey_types.push_back(0);
    if (with_header) {
      AddHit(Kind::kVisitor, per.visitor_id, "VisitorHeader.visitorId", Where::kOwnField,
             per.visitor_id);
      AddHit(Kind::kVisit, visit_id, "VisitorHeader.visitId", Where::kOwnField, visit_id);
    }
    if (with_consumer) {
      AddHit(Kind::kConsumer, per.consumer_id, "Conversation.consumerId", Where::kOwnField,
             per.consumer_id);
    }
  }
  if (planted_agent) {
    const Agent& a = *p_->agent;
    const std::string id = std::to_string(a.id);
    bool in_lines = std::any_of(lines.begin(), lines.end(),
                                [&](const Line& l) { return l.who == 1 && l.agent == &a; });
    if (in_lines) AddHit(Kind::kAgent, id, "Message.agentId", Where::kOwnField, id);
    if (transfer) {
      AddHit(Kind::kAgent, id, before == &a ? "Transfer.agentId" : "Transfer.targetAgentId",
             Where::kOwnField, id);
    }
  }
  if (!planted) {
    w_.pending_surveys_.push_back({conversation_id, pool_index, conversation_end});
    if (w_.pending_surveys_.size() > 4096) w_.pending_surveys_.pop_front();
  }
}

// ---------------------------------------------------------------------------------------------
// Survey: one survey set, joined to an engagement by conversationId.

void RecordBuilder::Survey(int64_t scope) {
  const bool planted = p_ != nullptr;
  first_ = planted && p_->ordinal[static_cast<int>(DataType::kSurvey)] == 0;
  const bool first = first_;
  int person_index = -1;
  std::string conversation_id;
  bool linked = false;
  int type = 0;  // 0: chosen below
  if (planted) {
    // The k-th survey joins the k-th engagement; when the person has had fewer engagements so
    // far, an earlier one, with a survey type it does not have yet.
    const size_t n = p_->conversations.size();
    const size_t k = static_cast<size_t>(p_->ordinal[static_cast<int>(DataType::kSurvey)]);
    for (size_t i = 0; i < n && !linked; ++i) {
      const size_t c = (k + i) % n;
      for (int t : {1, 2, 3, 4}) {
        const int candidate = 1 + (t + static_cast<int>(k)) % 4;
        if (p_->survey_types[c] & (1u << candidate)) continue;
        p_->survey_types[c] |= 1u << candidate;
        conversation_id = p_->conversations[c];
        type = candidate;
        linked = true;
        break;
      }
    }
    if (!linked) conversation_id = w_.NextConversationId(rng_);
  } else if (!w_.pending_surveys_.empty() && rng_.Percent(85)) {
    conversation_id = w_.pending_surveys_.front().conversation_id;
    person_index = w_.pending_surveys_.front().person;
    w_.pending_surveys_.pop_front();
  } else {
    conversation_id = w_.NextConversationId(rng_);
  }
  if (!planted && person_index < 0) person_index = static_cast<int>(rng_.Below(w_.pool_.size()));
  const Person& per = planted ? p_->person : w_.pool_[person_index];

  bool with_header, with_email, with_phone;
  if (planted) {
    with_header = first || rng_.Percent(40);
    with_email = Choose(p_->email);
    with_phone = Choose(p_->phone);
    if (!linked && !(with_header && p_->visitor) && !with_email && !with_phone) {
      if (p_->email) {
        with_email = true;
      } else if (p_->phone) {
        with_phone = true;
      } else {
        with_header = true;
      }
    }
  } else {
    with_header = rng_.Percent(30);
    with_email = !per.email.empty() && rng_.Percent(30);
    with_phone = !per.phone.empty() && rng_.Percent(20);
  }

  // Survey type and contents.
  if (type != 0) {
    // already fixed by the join above
  } else if (with_email || with_phone) {
    constexpr int kTypes[] = {1, 1, 4, 2, 3};
    type = rng_.Pick(kTypes);
  } else {
    constexpr int kTypes[] = {1, 2, 2, 3, 3, 4};
    type = rng_.Pick(kTypes);
  }
  struct Content {
    Content(std::string q, std::string a, int type, std::string_view threshold, int field = -1,
            std::string written = {})
        : question(std::move(q)),
          answer(std::move(a)),
          answer_type(type),
          csat(threshold),
          answer_field(field),
          form(std::move(written)) {}
    std::string question, answer;
    int answer_type;
    std::string_view csat;
    int answer_field;  // -1 plain, 0 e-mail, 1 phone: which identifier the answer carries
    std::string form;
  };
  std::vector<Content> contents;
  std::string email_form, phone_form;
  if (with_email) email_form = planted ? PlantedEmailForm(Place::kMain) : PoolEmailForm(per);
  if (with_phone) phone_form = PhoneForm(per, planted ? Whose::kPlanted : Whose::kPool);
  std::string_view survey_name;
  int64_t survey_id;
  switch (type) {
    case 1:
    case 4:
      survey_name = type == 1 ? "PreChat" : "Offline";
      survey_id = type == 1 ? 274980 : 275544;
      contents.emplace_back("Name", per.first, 1, "-1");
      contents.emplace_back("E-mail", email_form, 1, "-1", with_email ? 0 : -1, email_form);
      contents.emplace_back("Phone", phone_form, 1, "-1", with_phone ? 1 : -1, phone_form);
      contents.emplace_back(type == 1 ? "What can we help you with?" : "Your message",
                            type == 1 ? "Delivery" : "Please get back to me about my order", 4,
                            "-1");
      break;
    case 2: {
      survey_name = "PostChat";
      survey_id = 275102;
      contents.emplace_back("How satisfied were you with this chat?",
                            rng_.Percent(70) ? "Very satisfied" : "Dissatisfied", 3, "4");
      contents.emplace_back("How likely are you to recommend us to a friend?",
                            std::to_string(rng_.Range(0, 10)), 3, "-1");
      std::string comment = "The agent was very helpful";
      int field = -1;
      std::string form;
      if (with_email) {
        form = Trim(email_form);
        comment = Fill("Please send the confirmation to {} thanks", form);
        field = 0;
      }
      contents.emplace_back("Anything else you would like to tell us?", comment, 1, "-1", field,
                            form);
      if (with_phone) {
        contents.emplace_back("Can we call you about your feedback?",
                              Fill("yes on {}", Trim(phone_form)), 1, "-1", 1, Trim(phone_form));
      }
      break;
    }
    default: {
      survey_name = "SalesNew";
      survey_id = 275331;
      contents.emplace_back("Chat Result",
                            rng_.Percent(70) ? "Resolved" : "No Real Chat ('Ghost Chat')", 4, "-1");
      contents.emplace_back("Salesforce Survey Submitted", "Yes", 2, "-1");
      if (with_phone) {
        contents.emplace_back("Notes", Fill("Customer asked for a call back on {}", phone_form), 1,
                              "-1", 1, phone_form);
      }
      if (with_email) {
        contents.emplace_back("Notes", Fill("Send the returns label to {}", Trim(email_form)), 1,
                              "-1", 0, Trim(email_form));
      }
      if (!with_phone && !with_email) {
        contents.emplace_back("Notes", "Order status query, resolved", 1, "-1");
      }
    }
  }

  const int64_t start = scope + static_cast<int64_t>(rng_.Below(3'600'000));
  const bool viewed = rng_.Percent(40);
  const int64_t view_time = viewed ? start - rng_.Range(5'000, 60'000) : 0;
  std::vector<int64_t> submit(contents.size());
  int64_t t = start;
  for (size_t i = 0; i < contents.size(); ++i) {
    submit[i] = t;
    t += rng_.Range(0, 9);
  }

  const std::string visit_id = with_header ? VisitId(rng_) : std::string();
  OptStr h_visit = OptStr::Empty(), h_visitor = OptStr::Empty(), h_context = OptStr::Empty();
  if (with_header) {
    h_visit = OptStr::Of(visit_id);
    h_visitor = OptStr::Of(per.visitor_id);
  }

  BeginRecord(DataType::kSurvey, "1.0.0.22", start, submit.back());
  BeginBody("com.liveperson.dataaccess.SurveyData");
  VisitorHeader(h_visit, h_visitor, h_context);
  j_.Key("surveys").BeginUnionArray();
  j_.BeginObject();
  j_.Key("id").ULong(survey_id);
  j_.Key("type").UInt(type);
  j_.Key("viewTime");
  if (viewed) {
    j_.ULong(view_time);
  } else {
    j_.Null();
  }
  Field("conversationId", OptStr::Of(conversation_id));
  j_.Key("contents").BeginUnionArray();
  for (size_t i = 0; i < contents.size(); ++i) {
    const Content& c = contents[i];
    j_.BeginObject();
    Field("question", OptStr::Of(c.question));
    Field("answer", c.answer.empty() ? OptStr::Empty() : OptStr::Of(c.answer));
    j_.Key("answerSubmitTime").ULong(submit[i]);
    Field("surveyName", OptStr::Of(survey_name));
    j_.Key("answerType").UInt(c.answer_type);
    j_.Key("csatThreshold").UDouble(c.csat);
    j_.EndObject();
  }
  j_.EndUnionArray();
  j_.EndObject();
  j_.EndUnionArray();
  EndBody();
  EndRecord();

  if (planted) {
    AddHit(Kind::kConversation, conversation_id, "Survey.conversationId", Where::kOwnField,
           conversation_id);
    if (with_header) {
      AddHit(Kind::kVisitor, per.visitor_id, "VisitorHeader.visitorId", Where::kOwnField,
             per.visitor_id);
      AddHit(Kind::kVisit, visit_id, "VisitorHeader.visitId", Where::kOwnField, visit_id);
    }
    for (const Content& c : contents) {
      if (c.answer_field == 0)
        AddHit(Kind::kEmail, per.email, "SurveyContent.answer", Where::kFreeText, c.form);
      if (c.answer_field == 1)
        AddHit(Kind::kPhone, per.phone, "SurveyContent.answer", Where::kFreeText, c.form);
    }
  }
}

// ---------------------------------------------------------------------------------------------

RecordWriter::RecordWriter(RecordConfig config, const std::vector<Person>& pool,
                           const std::vector<Agent>& agents)
    : config_(std::move(config)), pool_(pool), agents_(agents) {}

std::string RecordWriter::NextConversationId(Rng& rng) {
  // accountId followed by the chat number, like "755558514295264942"; strictly increasing.
  const uint64_t n = 5000000000ULL + config_.id_base + conversations_++ * 13 + rng.Below(13);
  return config_.account + std::to_string(n);
}

void RecordWriter::Write(DataType type, Rng& rng, int64_t scope_start, PlantedPerson* planted,
                         int planted_index, std::vector<Hit>* hits, std::string& out) {
  RecordBuilder b(*this, rng, planted, planted_index, planted != nullptr ? hits : nullptr, out);
  switch (type) {
    case DataType::kAgentActivity:
      b.AgentActivity(scope_start);
      break;
    case DataType::kWebSession:
      b.WebSession(scope_start);
      break;
    case DataType::kEngagement:
      b.Engagement(scope_start);
      break;
    case DataType::kSurvey:
      b.Survey(scope_start);
      break;
  }
  if (planted != nullptr) ++planted->ordinal[static_cast<int>(type)];
}

}  // namespace davault::gen
