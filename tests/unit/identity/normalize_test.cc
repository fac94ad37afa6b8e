// Table-driven tests for identifier normalization (issue 3, "Done when").
#include "identity/normalize.h"

#include <gtest/gtest.h>

#include <string>

namespace davault::identity {
namespace {

const NormalizeOptions kGb;

std::string N(Kind kind, std::string_view raw, const NormalizeOptions& opts = kGb) {
  Result<Normalized> r = Normalize(kind, raw, opts);
  EXPECT_TRUE(r.ok()) << KindName(kind) << ": " << r.status().message();
  return r.ok() ? r.value().value : std::string("<error>");
}

TEST(NormalizeTest, KindNamesRoundTrip) {
  const char* names[] = {"email",    "phone",        "visitor", "visit", "consumer",
                         "customer", "conversation", "ip",      "agent"};
  int i = 0;
  for (Kind k : kAllKinds) {
    EXPECT_EQ(KindName(k), names[i]);
    EXPECT_EQ(ParseKind(names[i]), k);
    ++i;
  }
  EXPECT_EQ(i, 9);
  EXPECT_EQ(ParseKind("Email"), std::nullopt);
  EXPECT_EQ(ParseKind("agentId"), std::nullopt);
}

TEST(NormalizeTest, EmailsThatMatch) {
  struct Case {
    const char* raw;
    const char* normal;
  } cases[] = {
      {"dana@example.com", "dana@example.com"},
      {"Dana@Example.com", "dana@example.com"},
      {"  dana@example.com", "dana@example.com"},
      {"DANA@EXAMPLE.COM \t\n", "dana@example.com"},
      {"\xC2\xA0"
       "dana@example.com\xE3\x80\x80",
       "dana@example.com"},                                     // NBSP, ideographic space
      {"Jos\xC3\xA9@Example.com", "jos\xC3\xA9@example.com"},   // é precomposed (NFC)
      {"Jose\xCC\x81@example.com", "jos\xC3\xA9@example.com"},  // e + U+0301 (NFD)
      {"JOSE\xCC\x81@EXAMPLE.COM", "jos\xC3\xA9@example.com"},  // É decomposed
      {"Stra\xC3\x9F"
       "e@example.de",
       "strasse@example.de"},                                   // ß full case fold
      {"\xCE\xA3\xCE\x9F\xCE\xA6\xCE\x99\xCE\x91@example.gr",   // ΣΟΦΙΑ
       "\xCF\x83\xCE\xBF\xCF\x86\xCE\xB9\xCE\xB1@example.gr"},  // σοφια
  };
  for (const Case& c : cases) {
    EXPECT_EQ(N(Kind::kEmail, c.raw), c.normal) << c.raw;
  }
}

TEST(NormalizeTest, EmailsThatDoNotMatch) {
  const std::string dana = N(Kind::kEmail, "dana@example.com");
  // Cyrillic о (U+043E) in place of the Latin o.
  EXPECT_NE(N(Kind::kEmail, "dana@example.c\xD0\xBEm"), dana);
  EXPECT_NE(N(Kind::kEmail, "d\xD0\xB0na@example.com"), dana);  // Cyrillic а
  // Accents are never stripped: josé and jose are different addresses.
  EXPECT_NE(N(Kind::kEmail, "jos\xC3\xA9@example.com"), N(Kind::kEmail, "jose@example.com"));
  EXPECT_NE(N(Kind::kEmail, "dana+news@example.com"), dana);
  EXPECT_NE(N(Kind::kEmail, "dana@example.co"), dana);
}

TEST(NormalizeTest, NotEmails) {
  for (const char* bad : {"", "   ", "dana", "@example.com", "dana@", "dana @example.com",
                          "a@b@c.com", "<dana@example.com>", "dana@exa,mple.com", "\xff@x.com"}) {
    Result<Normalized> r = Normalize(Kind::kEmail, bad, kGb);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kUsage) << bad;
    if (std::string(bad).size() > 3) {
      EXPECT_EQ(r.status().message().find(bad), std::string::npos) << r.status().message();
    }
  }
}

TEST(NormalizeTest, PhoneFormsMatch) {
  for (const char* form : {"+44 20 7946 0123", "0044 (0)20 7946-0123", "020 7946 0123",
                           "+442079460123", " (020) 7946 0123 ", "+44 (0) 20 7946 0123",
                           "\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x90 7946 0123"}) {  // fullwidth 020
    Result<Normalized> r = Normalize(Kind::kPhone, form, kGb);
    ASSERT_TRUE(r.ok()) << form;
    EXPECT_EQ(r->value, "+442079460123") << form;
    EXPECT_FALSE(r->needs_review) << form;
  }
}

TEST(NormalizeTest, PhoneDefaultRegionComesFromOptions) {
  NormalizeOptions us;
  us.default_region = "US";
  EXPECT_EQ(N(Kind::kPhone, "(650) 253-0000", us), "+16502530000");
  EXPECT_EQ(N(Kind::kPhone, "+44 20 7946 0123", us), "+442079460123");
  EXPECT_NE(N(Kind::kPhone, "020 7946 0123", us), "+442079460123");
}

TEST(NormalizeTest, PhonesForReview) {
  struct Case {
    const char* raw;
    const char* normal;
  } cases[] = {
      {"ext. 0123", "raw:0123"},                                 // does not parse as a number
      {"+44 20 7946 0123 ext. 0123", "+442079460123;ext=0123"},  // extension kept, reviewed
      {"07700 900123", "+447700900123"},  // possible but not valid (Ofcom drama range)
      {"12", "raw:12"},
      {"call 5", "raw:5"},
  };
  for (const Case& c : cases) {
    Result<Normalized> r = Normalize(Kind::kPhone, c.raw, kGb);
    ASSERT_TRUE(r.ok()) << c.raw;
    EXPECT_EQ(r->value, c.normal) << c.raw;
    EXPECT_TRUE(r->needs_review) << c.raw;
  }
  // The drama-range number matches itself in every form.
  EXPECT_EQ(N(Kind::kPhone, "+44 7700 900123"), "+447700900123");
}

TEST(NormalizeTest, NotPhones) {
  for (const char* bad : {"", "  ", "n/a", "none given"}) {
    Result<Normalized> r = Normalize(Kind::kPhone, bad, kGb);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kUsage);
  }
}

TEST(NormalizeTest, IdsAreExact) {
  EXPECT_EQ(N(Kind::kConsumer, "9007199254740993"), "9007199254740993");
  EXPECT_EQ(N(Kind::kConsumer, " 9007199254740993 "), "9007199254740993");
  EXPECT_NE(N(Kind::kCustomer, "007"), N(Kind::kCustomer, "7"));
  EXPECT_EQ(N(Kind::kCustomer, "007"), "007");
  EXPECT_EQ(N(Kind::kCustomer, "Account: 89995382"), "Account: 89995382");
  EXPECT_NE(N(Kind::kVisitor, "pKytlMTwSPCwpJS-RQqtlQ"),
            N(Kind::kVisitor, "pkytlmtwspcwpjs-rqqtlq"));
  EXPECT_EQ(N(Kind::kAgent, "cr.agent@example.test"), "cr.agent@example.test");
  EXPECT_EQ(N(Kind::kAgent, "CRAgent"), "CRAgent");
  for (Kind k : {Kind::kVisitor, Kind::kVisit, Kind::kConsumer, Kind::kCustomer,
                 Kind::kConversation, Kind::kAgent}) {
    for (const char* empty : {"", " ", "\t\n"}) {
      Result<Normalized> r = Normalize(k, empty, kGb);
      EXPECT_FALSE(r.ok()) << KindName(k);
      EXPECT_EQ(r.status().code(), Code::kUsage);
    }
  }
}

TEST(NormalizeTest, IpCanonicalForms) {
  struct Case {
    const char* raw;
    const char* normal;
  } cases[] = {
      {"192.0.2.1", "192.0.2.1"},
      {" 192.0.2.1 ", "192.0.2.1"},
      {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
      {"2001:db8::0:1", "2001:db8::1"},
      {"[2001:db8::1]", "2001:db8::1"},
      {"::ffff:192.0.2.1", "192.0.2.1"},
      {"::1", "::1"},
  };
  for (const Case& c : cases) EXPECT_EQ(N(Kind::kIp, c.raw), c.normal) << c.raw;
  for (const char* bad :
       {"", "300.1.1.1", "1.2.3", "example.com", "2001:db8::1::2", "1.2.3.4/24"}) {
    Result<Normalized> r = Normalize(Kind::kIp, bad, kGb);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kUsage);
  }
}

TEST(NormalizeTest, ParseSubject) {
  Result<std::pair<Kind, Normalized>> s = ParseSubject("email: Dana@Example.com", kGb);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->first, Kind::kEmail);
  EXPECT_EQ(s->second.value, "dana@example.com");

  s = ParseSubject("ip:::1", kGb);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->first, Kind::kIp);
  EXPECT_EQ(s->second.value, "::1");

  s = ParseSubject("phone:020 7946 0123", kGb);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->second.value, "+442079460123");

  s = ParseSubject("customer:a:b", kGb);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->second.value, "a:b");

  for (const char* bad : {"dana@example.com", "mail:dana@example.com", "email:", "visitor:  ", ":x",
                          "Email:dana@example.com"}) {
    Result<std::pair<Kind, Normalized>> r = ParseSubject(bad, kGb);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kUsage) << bad;
    EXPECT_EQ(r.status().message().find("dana"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace davault::identity
