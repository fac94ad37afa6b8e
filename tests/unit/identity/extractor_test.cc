// Tests for Extractor: the samples, both record forms, union variants, free text, PGP, errors.
#include "identity/extractor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "format/record_reader.h"

namespace davault::identity {
namespace {

std::string SourceDir() {
  const char* src = std::getenv("DAVAULT_SOURCE_DIR");
  return src ? src : ".";
}

std::string SamplesDir() {
  if (const char* d = std::getenv("DAVAULT_SAMPLES_DIR")) return d;
  std::string in_tree = SourceDir() + "/tests/data/samples";
  if (Env::Default()->Exists(in_tree + "/README.md")) return in_tree;
  return "/work/shared/samples";
}

std::unique_ptr<Extractor> MakeExtractor() {
  Result<policy::IdentifierRules> rules =
      policy::LoadIdentifierRules(Env::Default(), SourceDir() + "/policies/identifiers.toml");
  EXPECT_TRUE(rules.ok()) << rules.status().message();
  Result<std::unique_ptr<Extractor>> ex = Extractor::Create(rules.value());
  EXPECT_TRUE(ex.ok()) << ex.status().message();
  return std::move(ex).value();
}

std::vector<std::string> ReadRecords(const std::string& rel) {
  std::vector<std::string> out;
  Result<std::unique_ptr<SequentialFile>> f =
      Env::Default()->OpenSequential(SamplesDir() + "/" + rel);
  EXPECT_TRUE(f.ok()) << rel;
  if (!f.ok()) return out;
  format::RecordReader reader(f.value().get(), format::Limits{}, rel);
  std::string_view rec;
  while (true) {
    Result<bool> more = reader.Next(&rec);
    EXPECT_TRUE(more.ok()) << more.status().message();
    if (!more.ok() || !more.value()) break;
    out.emplace_back(rec);
  }
  return out;
}

// "kind=value [field]", plus " review" / " text" flags, sorted.
std::vector<std::string> Ids(const ExtractedRecord& r, bool flags = false) {
  std::vector<std::string> out;
  for (const Identifier& id : r.identifiers) {
    std::string s = std::string(KindName(id.kind)) + "=" + id.value + " [" + id.field + "]";
    if (flags && id.needs_review) s += " review";
    if (flags && id.from_free_text) s += " text";
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

ExtractedRecord MustExtract(Extractor& ex, std::string_view raw) {
  Result<ExtractedRecord> r = ex.Extract(raw);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : ExtractedRecord{};
}

// ---- record builders (production form) ----

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

std::string S(std::string_view s) { return "{\"string\":" + Quote(s) + "}"; }

std::string Rec(const std::string& type, const std::string& bodies) {
  return "{\"dataType\":{\"com.liveperson.dataaccess.DataTypeEnum\":\"" + type +
         "\"},\"metaData\":{\"com.liveperson.dataaccess.MetaData\":{\"accountId\":" +
         S("75555851") +
         ",\"schemaVersion\":\"1.0.0.35\",\"startTime\":{\"long\":1700000000000},\"endTime\":"
         "null}},\"recordCollection\":{\"array\":[" +
         bodies + "]}}";
}

std::string Body(const std::string& name, const std::string& content) {
  return "{\"body\":{\"com.liveperson.dataaccess." + name + "\":{" + content + "}}}";
}

std::string Header(const std::string& visitor = "VR1", const std::string& visit = "V1") {
  return "\"header\":{\"com.liveperson.dataaccess.VisitorHeader\":{\"visitId\":" + S(visit) +
         ",\"visitorId\":" + S(visitor) + ",\"contextId\":null}}";
}

std::string EngAttrs(const std::string& sde_name, const std::string& sde_fields) {
  return Body("WebSessionEngAttrsData",
              Header() +
                  ",\"engagementAttributes\":{\"array\":[{\"timestamp\":{\"long\":1},"
                  "\"data\":{\"com.liveperson.dataaccess." +
                  sde_name + "\":{" + sde_fields + "}}}]}");
}

std::string Contacts(const std::string& item) {
  return Rec("WebSession",
             EngAttrs("PersonalInfo", "\"name\":null,\"contacts\":{\"array\":[" + item + "]}"));
}

std::string Engagement(const std::string& conversation_fields, const std::string& more = "") {
  return Rec("Engagement",
             Body("EngagementData",
                  Header("", "") +
                      ",\"engagements\":{\"array\":[{\"com.liveperson.dataaccess.Conversation\":{" +
                      conversation_fields + "}}" + more + "]}"));
}

std::string Line(const std::string& text, const std::string& agent_id = "0") {
  return "{\"text\":" + S(text) + ",\"by\":" + S("info") + ",\"agentId\":" + S(agent_id) + "}";
}

std::string Survey(const std::string& answer) {
  return Rec("Survey",
             Body("SurveyData", Header("", "") +
                                    ",\"surveys\":{\"array\":[{\"id\":{\"long\":7},"
                                    "\"conversationId\":" +
                                    S("C1") + ",\"contents\":{\"array\":[{\"question\":" +
                                    S("Your e-mail?") + ",\"answer\":" + S(answer) + "}]}}]}"));
}

// ---- samples ----

struct SampleCase {
  const char* doc;
  const char* file;
  format::DataType type;
  size_t records;
  std::vector<std::string> ids;
  const char* natural_key;
  int64_t start;
  std::optional<int64_t> end;
  const char* schema;
};

std::vector<SampleCase> SampleCases() {
  return {
      {"doc/agentActivity.json",
       "files/Agent.1465992000000.1465995600000.part-00000-0.gz",
       format::DataType::kAgentActivity,
       2,
       {"agent=9 [agentID]", "agent=CRAgent [agentUsername]",
        "agent=cr.agent@example.test [agentLoginname]",
        "email=cr.agent@example.test [agentLoginname]"},
       "75555851-684867733",
       1465992202047,
       std::nullopt,
       "1.0.0.4"},
      {"doc/webSession.json",
       "files/WebSession.1467291600000.1467295200000.part-00000-0.gz",
       format::DataType::kWebSession,
       1,
       {"visitor=pKytlMTwSPCwpJS-RQqtlQ [VisitorHeader.visitorId]",
        "visit=AjvT6hLKTEi3AXgGnYu_mQ.606c99c686cbe0d422d558a5005b3ec2275dc20a "
        "[VisitorHeader.visitId]",
        "customer=Account: 89995382 [CustomerInfo.customerId]",
        "email=brooke.fake@example.test [PersonalInfo.surname]"},
       "AjvT6hLKTEi3AXgGnYu_mQ.606c99c686cbe0d422d558a5005b3ec2275dc20a",
       1467291704468,
       std::nullopt,
       "1.0.0.22"},
      {"doc/engagement.json",
       "files/Engagement.1469466000000.1469469600000.part-00000-0.gz",
       format::DataType::kEngagement,
       1,
       {"conversation=755558514295264942 [Conversation.conversationId]"},
       "755558514295264942",
       1469469281856,
       1469469906147,
       "1.0.0.22"},
      {"doc/survey.json",
       "files/Survey.1468270800000.1468274400000.part-00000-0.gz",
       format::DataType::kSurvey,
       1,
       {"conversation=755558514295254843 [surveys.conversationId]"},
       "275331|755558514295254843",
       1468274129221,
       1468274129228,
       "1.0.0.22"},
  };
}

TEST(ExtractorTest, SampleIdentifiersNaturalKeysAndTimes) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  for (const SampleCase& c : SampleCases()) {
    for (const char* rel : {c.doc, c.file}) {
      std::vector<std::string> recs = ReadRecords(rel);
      ASSERT_EQ(recs.size(), c.records) << rel;
      for (const std::string& raw : recs) {
        ExtractedRecord r = MustExtract(*ex, raw);
        EXPECT_EQ(r.type, c.type) << rel;
        EXPECT_EQ(Ids(r), Sorted(c.ids)) << rel;
        EXPECT_EQ(r.natural_key, c.natural_key) << rel;
        EXPECT_EQ(r.start_ms, c.start) << rel;
        EXPECT_EQ(r.end_ms, c.end) << rel;
        EXPECT_EQ(r.account_id, "75555851") << rel;
        EXPECT_EQ(r.schema_version, c.schema) << rel;
        EXPECT_EQ(r.schema_anomalies, 0) << rel;
        EXPECT_EQ(r.needs_review, 0) << rel;
        EXPECT_EQ(r.pgp_values, 0) << rel;
      }
    }
  }
}

TEST(ExtractorTest, SampleSurnameEmailIsFreeTextFind) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  std::vector<std::string> recs =
      ReadRecords("files/WebSession.1467291600000.1467295200000.part-00000-0.gz");
  ASSERT_EQ(recs.size(), 1u);
  ExtractedRecord r = MustExtract(*ex, recs[0]);
  EXPECT_EQ(Ids(r, /*flags=*/true),
            Sorted({"visitor=pKytlMTwSPCwpJS-RQqtlQ [VisitorHeader.visitorId]",
                    "visit=AjvT6hLKTEi3AXgGnYu_mQ.606c99c686cbe0d422d558a5005b3ec2275dc20a "
                    "[VisitorHeader.visitId]",
                    "customer=Account: 89995382 [CustomerInfo.customerId]",
                    "email=brooke.fake@example.test [PersonalInfo.surname] text"}));
}

TEST(ExtractorTest, DocAndProductionFormsGiveTheSameResult) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  for (const SampleCase& c : SampleCases()) {
    std::vector<std::string> doc = ReadRecords(c.doc);
    std::vector<std::string> prod = ReadRecords(c.file);
    ASSERT_EQ(doc.size(), prod.size());
    for (size_t i = 0; i < doc.size(); ++i) {
      ExtractedRecord a = MustExtract(*ex, doc[i]);
      ExtractedRecord b = MustExtract(*ex, prod[i]);
      EXPECT_EQ(Ids(a, true), Ids(b, true)) << c.doc;
      EXPECT_EQ(a.natural_key, b.natural_key);
      EXPECT_EQ(a.start_ms, b.start_ms);
      EXPECT_EQ(a.end_ms, b.end_ms);
      EXPECT_EQ(a.account_id, b.account_id);
      EXPECT_EQ(a.schema_version, b.schema_version);
      EXPECT_EQ(a.schema_anomalies, b.schema_anomalies);
    }
  }
}

// ---- union variants of an optional e-mail (issue 3) ----

TEST(ExtractorTest, FiveUnionFormsOfAnOptionalEmail) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  const std::string header_ids[] = {"visit=V1 [VisitorHeader.visitId]",
                                    "visitor=VR1 [VisitorHeader.visitorId]"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.end(), std::begin(header_ids), std::end(header_ids));
    return Sorted(more);
  };
  // Absent.
  ExtractedRecord r = MustExtract(*ex, Contacts("{\"phone\":null}"));
  EXPECT_EQ(Ids(r), with({}));
  EXPECT_EQ(r.schema_anomalies, 0);
  // Null.
  r = MustExtract(*ex, Contacts("{\"email\":null,\"phone\":null}"));
  EXPECT_EQ(Ids(r), with({}));
  EXPECT_EQ(r.schema_anomalies, 0);
  // Wrapped.
  r = MustExtract(*ex, Contacts("{\"email\":" + S(" Dana@Example.com ") + "}"));
  EXPECT_EQ(Ids(r), with({"email=dana@example.com [PersonalInfo.contacts.email]"}));
  EXPECT_FALSE(r.identifiers[0].from_free_text);
  EXPECT_EQ(r.schema_anomalies, 0);
  // Bare.
  r = MustExtract(*ex, Contacts("{\"email\":\"Dana@Example.com\"}"));
  EXPECT_EQ(Ids(r), with({"email=dana@example.com [PersonalInfo.contacts.email]"}));
  EXPECT_EQ(r.schema_anomalies, 0);
  // Unexpected branch: counted; a long is no e-mail address, so nothing is indexed.
  r = MustExtract(*ex, Contacts("{\"email\":{\"long\":5}}"));
  EXPECT_EQ(Ids(r), with({}));
  EXPECT_EQ(r.schema_anomalies, 1);
  // Unexpected named branch: counted, and the address inside is still found.
  r = MustExtract(*ex, Contacts("{\"email\":{\"com.liveperson.dataaccess.Email\":" +
                                Quote("Dana@Example.com") + "}}"));
  EXPECT_EQ(Ids(r), with({"email=dana@example.com [email.Email]"}));
  EXPECT_EQ(r.schema_anomalies, 1);
  // An empty string identifies nobody.
  r = MustExtract(*ex, Contacts("{\"email\":" + S("") + ",\"phone\":" + S(" ") + "}"));
  EXPECT_EQ(Ids(r), with({}));
}

TEST(ExtractorTest, UnexpectedBranchOnIdIsIndexedAndCounted) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  ExtractedRecord r =
      MustExtract(*ex, Rec("WebSession", EngAttrs("CustomerInfo", "\"customerId\":{\"long\":5}")));
  EXPECT_EQ(Ids(r),
            Sorted({"customer=5 [CustomerInfo.customerId]", "visit=V1 [VisitorHeader.visitId]",
                    "visitor=VR1 [VisitorHeader.visitorId]"}));
  EXPECT_EQ(r.schema_anomalies, 1);

  r = MustExtract(*ex, Rec("WebSession", EngAttrs("CustomerInfo", "\"customerId\":" + S("007"))));
  EXPECT_EQ(Ids(r),
            Sorted({"customer=007 [CustomerInfo.customerId]", "visit=V1 [VisitorHeader.visitId]",
                    "visitor=VR1 [VisitorHeader.visitorId]"}));
  Result<Normalized> seven = Normalize(Kind::kCustomer, "7", NormalizeOptions{});
  ASSERT_TRUE(seven.ok());
  EXPECT_NE(seven->value, "007");
  EXPECT_EQ(r.schema_anomalies, 0);

  // agentID is documented as long: a string is an anomaly but still the same agent.
  std::string agent =
      "{\"dataType\":\"AgentActivity\",\"recordCollection\":[{\"body\":{\"com.liveperson."
      "dataaccess.AgentActivityData\":{\"agentSessionsData\":{\"array\":[{\"agentID\":" +
      S("9") + "}]}}}}]}";
  r = MustExtract(*ex, agent);
  EXPECT_EQ(Ids(r), std::vector<std::string>{"agent=9 [agentID]"});
  EXPECT_EQ(r.schema_anomalies, 1);
  EXPECT_EQ(r.natural_key, "");
}

TEST(ExtractorTest, BigNumberIdMatchesString) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  ExtractedRecord as_number = MustExtract(
      *ex,
      Engagement("\"conversationId\":" + S("C9") + ",\"consumerId\":{\"long\":9007199254740993}"));
  ExtractedRecord as_string = MustExtract(
      *ex,
      Engagement("\"conversationId\":" + S("C9") + ",\"consumerId\":" + S("9007199254740993")));
  const std::vector<std::string> expected = {"consumer=9007199254740993 [Conversation.consumerId]",
                                             "conversation=C9 [Conversation.conversationId]"};
  EXPECT_EQ(Ids(as_number), Sorted(expected));
  EXPECT_EQ(Ids(as_string), Sorted(expected));
  EXPECT_EQ(as_number.schema_anomalies, 1);  // documented as string
  EXPECT_EQ(as_string.schema_anomalies, 0);
  Result<Normalized> query = Normalize(Kind::kConsumer, "9007199254740993", NormalizeOptions{});
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->value, as_number.identifiers[0].value);
}

// ---- free text ----

TEST(ExtractorTest, EmailAndPhoneTypedInTranscript) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  std::string rec =
      Engagement("\"conversationId\":" + S("C1") + ",\"transcripts\":{\"array\":[" +
                 Line("Welcome! A representative will be with you shortly.") + "," +
                 Line("I'm Dana, reach me at Dana.Smith@Example.COM or on 020 7946 0123.", "4321") +
                 "," + Line("Thanks", "0") + "]}");
  ExtractedRecord r = MustExtract(*ex, rec);
  EXPECT_EQ(Ids(r, true), Sorted({"conversation=C1 [Conversation.conversationId]",
                                  "email=dana.smith@example.com [transcripts.text] text",
                                  "phone=+442079460123 [transcripts.text] text",
                                  "agent=4321 [transcripts.agentId]"}));
  // agentId "0" (the system) is not an agent.
  for (const Identifier& id : r.identifiers) EXPECT_NE(id.value, "0");
}

TEST(ExtractorTest, EmailInSurveyAnswer) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  ExtractedRecord r = MustExtract(*ex, Survey("It is  DANA.smith@example.com, thanks"));
  EXPECT_EQ(Ids(r, true), Sorted({"conversation=C1 [surveys.conversationId]",
                                  "email=dana.smith@example.com [contents.answer] text"}));
  EXPECT_EQ(r.natural_key, "7|C1");
  ExtractedRecord phone = MustExtract(*ex, Survey("+44 20 7946 0123"));
  EXPECT_EQ(Ids(phone), Sorted({"conversation=C1 [surveys.conversationId]",
                                "phone=+442079460123 [contents.answer]"}));
}

TEST(ExtractorTest, EmailInNavigationQueryString) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  std::string nav =
      Body("WebSessionNavigationData",
           Header() + ",\"navigationData\":{\"array\":[{\"url\":" +
               S("https://shop.example/checkout?email=dana.smith%40example.com&tel=02079460123") +
               ",\"referrerUrl\":" + S("https://z1.le.liveperson.net/a/89995382/#wa!webagent") +
               ",\"sections\":{\"array\":[\"loginPages\"]}}]}");
  ExtractedRecord r = MustExtract(*ex, Rec("WebSession", nav));
  EXPECT_EQ(Ids(r),
            Sorted({"email=dana.smith@example.com [navigationData.url]",
                    "phone=+442079460123 [navigationData.url]", "visit=V1 [VisitorHeader.visitId]",
                    "visitor=VR1 [VisitorHeader.visitorId]"}));
}

TEST(ExtractorTest, PhonesInUrlsAreLookedForInTheQueryOnly) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  std::string nav =
      Body("WebSessionNavigationData",
           Header() + ",\"navigationData\":{\"array\":[{\"url\":" +
               S("https://shop.example/product/02079460123/dana%40example.com") +
               "},{\"url\":" + S("https://shop.example/callback?tel=020%207946%200999") + "}]}");
  ExtractedRecord r = MustExtract(*ex, Rec("WebSession", nav));
  EXPECT_EQ(Ids(r),
            Sorted({"email=dana@example.com [navigationData.url]",
                    "phone=+442079460999 [navigationData.url]", "visit=V1 [VisitorHeader.visitId]",
                    "visitor=VR1 [VisitorHeader.visitorId]"}));
}

TEST(ExtractorTest, UnknownFieldsAreScannedStructuredOnesOnlyForEmail) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  std::string geo =
      Body("WebSessionGeoData",
           Header() + ",\"geo\":{\"com.liveperson.dataaccess.Geo\":{\"iPV4\":" + S("192.0.2.1") +
               ",\"iPV6\":" + S("2001:DB8::0:1") + ",\"city\":" + S("London 020 7946 0123") +
               ",\"isp\":" + S("noc@isp.example") +
               ",\"brandNewField\":" + S("ring 020 7946 0999 or write to x@y.example") + "}}");
  ExtractedRecord r = MustExtract(*ex, Rec("WebSession", geo));
  EXPECT_EQ(
      Ids(r),
      Sorted({"ip=192.0.2.1 [iPV4]", "ip=2001:db8::1 [iPV6]", "email=noc@isp.example [isp]",
              "email=x@y.example [Geo.brandNewField]", "phone=+442079460999 [Geo.brandNewField]",
              "visit=V1 [VisitorHeader.visitId]", "visitor=VR1 [VisitorHeader.visitorId]"}));
  EXPECT_EQ(r.schema_anomalies, 0);

  // An unparsable ip is not indexed and counts as an anomaly.
  r = MustExtract(*ex, Rec("WebSession", Body("WebSessionGeoData",
                                              Header() + ",\"geo\":{\"iPV4\":" + S("n/a") + "}")));
  EXPECT_EQ(r.schema_anomalies, 1);
  EXPECT_EQ(r.identifiers.size(), 2u);
}

TEST(ExtractorTest, StructuredPhoneFieldsAndReview) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  ExtractedRecord r = MustExtract(*ex, Contacts("{\"phone\":" + S("0044 (0)20 7946-0123") + "}"));
  EXPECT_EQ(Ids(r, true),
            Sorted({"phone=+442079460123 [PersonalInfo.contacts.phone]",
                    "visit=V1 [VisitorHeader.visitId]", "visitor=VR1 [VisitorHeader.visitorId]"}));
  EXPECT_EQ(r.needs_review, 0);
  r = MustExtract(*ex, Contacts("{\"phone\":" + S("ext. 0123") + "}"));
  EXPECT_EQ(Ids(r, true),
            Sorted({"phone=raw:0123 [PersonalInfo.contacts.phone] review",
                    "visit=V1 [VisitorHeader.visitId]", "visitor=VR1 [VisitorHeader.visitorId]"}));
  EXPECT_EQ(r.needs_review, 1);
}

TEST(ExtractorTest, PgpArmouredValuesAreOpaque) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  std::string armour =
      "-----BEGIN PGP MESSAGE-----\n\nhQIMA3dana@example.com020 7946 0123\n=abcd\n"
      "-----END PGP MESSAGE-----\n";
  ExtractedRecord r = MustExtract(
      *ex, Engagement("\"conversationId\":" + S("C1") + ",\"transcripts\":{\"array\":[" +
                      Line(armour, "77") + "," + Line(armour) + "]}"));
  EXPECT_EQ(Ids(r), Sorted({"conversation=C1 [Conversation.conversationId]",
                            "agent=77 [transcripts.agentId]"}));
  EXPECT_EQ(r.pgp_values, 2);
  // A PGP-armoured customer id is not indexed either.
  r = MustExtract(*ex, Rec("WebSession", EngAttrs("CustomerInfo", "\"customerId\":" + S(armour))));
  EXPECT_EQ(r.pgp_values, 1);
  EXPECT_EQ(r.identifiers.size(), 2u);
  EXPECT_EQ(r.pgp_fields, std::vector<std::string>{"CustomerInfo.customerId"});
  EXPECT_EQ(r.pgp_decrypted, 0);
}

TEST(ExtractorTest, PgpDecryptorIndexesThePlaintext) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  // Two "messages" the test decryptor knows and one it cannot decrypt.
  const std::string line_msg = "-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n";
  const std::string id_msg = "-----BEGIN PGP MESSAGE-----\n\nBBBB\n-----END PGP MESSAGE-----\n";
  const std::string other = "-----BEGIN PGP MESSAGE-----\n\nCCCC\n-----END PGP MESSAGE-----\n";
  const std::string nested = "-----BEGIN PGP MESSAGE-----\n\nDDDD\n-----END PGP MESSAGE-----\n";
  int calls = 0;
  ex->SetPgpDecryptor([&](std::string_view armored, std::string* plain) -> Status {
    ++calls;
    if (armored == line_msg) {
      *plain = "my mail is Dana.Reyes@Example.com, call 020 7946 0123";
      return Status::Ok();
    }
    if (armored == id_msg) {
      *plain = "  CUST-7  ";
      return Status::Ok();
    }
    if (armored == nested) {
      *plain = other;  // a message inside a message stays opaque
      return Status::Ok();
    }
    return Status::Failed("PGP message is not encrypted to the loaded key");
  });
  ExtractedRecord r = MustExtract(
      *ex, Engagement("\"conversationId\":" + S("C1") + ",\"transcripts\":{\"array\":[" +
                      Line(line_msg, "77") + "," + Line(other) + "," + Line(nested) + "]}"));
  EXPECT_EQ(Ids(r, true), Sorted({"conversation=C1 [Conversation.conversationId]",
                                  "agent=77 [transcripts.agentId]",
                                  "email=dana.reyes@example.com [transcripts.text] text",
                                  "phone=+442079460123 [transcripts.text] text"}));
  EXPECT_EQ(r.pgp_decrypted, 2);  // line_msg and the outer nested message
  EXPECT_EQ(r.pgp_values, 2);     // other, and the message inside nested
  EXPECT_EQ(r.pgp_fields, std::vector<std::string>{"transcripts.text"});
  EXPECT_EQ(calls, 3);
  // A decrypted structured identifier is normalized like a plain one.
  r = MustExtract(*ex, Rec("WebSession", EngAttrs("CustomerInfo", "\"customerId\":" + S(id_msg))));
  EXPECT_EQ(r.pgp_values, 0);
  EXPECT_EQ(r.pgp_decrypted, 1);
  EXPECT_TRUE(r.pgp_fields.empty());
  bool found = false;
  for (const Identifier& id : r.identifiers)
    found = found || (id.kind == Kind::kCustomer && id.value == "CUST-7" && !id.from_free_text);
  EXPECT_TRUE(found) << ::testing::PrintToString(Ids(r));
}

TEST(ExtractorTest, MapsAndDeduplication) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  std::string body = Body(
      "WebSessionCustomData",
      Header() + "," + "\"attributes\":{\"map\":{\"dana@example.com\":" + S("Dana@Example.com") +
          ",\"k2\":\"dana@example.com\"}},\"again\":" + S("dana@example.com"));
  ExtractedRecord r = MustExtract(*ex, Rec("WebSession", body + "," + body));
  // Map keys are data: they never become field names.
  EXPECT_EQ(Ids(r),
            Sorted({"email=dana@example.com [WebSessionCustomData.attributes]",
                    "email=dana@example.com [WebSessionCustomData.again]",
                    "visit=V1 [VisitorHeader.visitId]", "visitor=VR1 [VisitorHeader.visitorId]"}));
}

TEST(ExtractorTest, NaturalKeyWithSeveralValuesIsEscaped) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  ExtractedRecord r = MustExtract(
      *ex,
      Engagement("\"conversationId\":" + S("C,1"),
                 ",{\"com.liveperson.dataaccess.Conversation\":{\"conversationId\":" + S("C2|x") +
                     "}},{\"com.liveperson.dataaccess.Conversation\":{"
                     "\"conversationId\":" +
                     S("C,1") + "}}"));
  EXPECT_EQ(r.natural_key, "C\\,1,C2\\|x");
  EXPECT_EQ(r.identifiers.size(), 2u);
}

TEST(ExtractorTest, NaturalKeyKeepsFirstOccurrenceOrderOfManyValues) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  std::string more;
  std::string expected = "C0";
  for (int round = 0; round < 2; ++round) {
    for (int i = round == 0 ? 1 : 0; i < 40; ++i) {
      more += ",{\"com.liveperson.dataaccess.Conversation\":{\"conversationId\":" +
              S("C" + std::to_string(i)) + "}}";
      if (round == 0) expected += ",C" + std::to_string(i);
    }
  }
  ExtractedRecord r = MustExtract(*ex, Engagement("\"conversationId\":" + S("C0"), more));
  EXPECT_EQ(r.natural_key, expected);
  EXPECT_EQ(r.identifiers.size(), 40u);
}

TEST(ExtractorTest, BareDataTypeAndDocFormMetaData) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  ExtractedRecord r =
      MustExtract(*ex,
                  "{\"metaData\":{\"accountId\":\"1\",\"schemaVersion\":\"9\",\"startTime\":5,"
                  "\"endTime\":{\"long\":6}},\"dataType\":\"Survey\",\"recordCollection\":[]}");
  EXPECT_EQ(r.type, format::DataType::kSurvey);
  EXPECT_EQ(r.account_id, "1");
  EXPECT_EQ(r.schema_version, "9");
  EXPECT_EQ(r.start_ms, 5);
  EXPECT_EQ(r.end_ms, 6);
  EXPECT_TRUE(r.identifiers.empty());
  EXPECT_EQ(r.natural_key, "");
}

// ---- errors ----

TEST(ExtractorTest, ErrorsNeverContainContent) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  struct Case {
    std::string raw;
    std::string message;
  } cases[] = {
      {"secret dana@example.com", "record is not valid JSON (TAPE_ERROR)"},
      {"42", "record is not a JSON object"},
      {"{\"metaData\":{\"accountId\":\"secret\"}}", "record has no dataType"},
      {"{\"dataType\":null,\"x\":\"secret\"}", "record has no dataType"},
      {"{\"dataType\":\"SecretType\"}", "unknown data type"},
      {"[{\"dataType\":\"Survey\",\"x\":\"secret\"}]", "record is not a JSON object"},
      {"{\"dataType\":\"Survey\",\"x\":12secret}", "record is not valid JSON (NUMBER_ERROR)"},
      {"{\"dataType\":\"Survey\",\"x\":[tru]}", "record is not valid JSON ("},
      {"{\"dataType\":\"Survey\",\"x\":nul}", "record is not valid JSON ("},
      {"{\"dataType\":\"Survey\",\"x\":\"secret\"} {}",
       "record is not valid JSON (TRAILING_CONTENT)"},
      {"{\"dataType\":\"Survey\",\"x\":\"secret\\q\"}", "record is not valid JSON (STRING_ERROR)"},
      {"{\"dataType\":\"Survey\",\"x\":\"secret\xff\"}", "record is not valid JSON (UTF8_ERROR)"},
      {std::string(3000, '[') + std::string(3000, ']'), "record is not"},
  };
  for (const Case& c : cases) {
    Result<ExtractedRecord> r = ex->Extract(c.raw);
    ASSERT_FALSE(r.ok()) << c.raw;
    EXPECT_EQ(r.status().code(), Code::kFailed);
    EXPECT_EQ(r.status().message().substr(0, c.message.size()), c.message)
        << "got: " << r.status().message();
    EXPECT_EQ(r.status().message().find("secret"), std::string::npos);
  }
  // The extractor is still usable after errors.
  EXPECT_EQ(MustExtract(*ex, Survey("x")).natural_key, "7|C1");
}

TEST(ExtractorTest, DeepNestingIsRefused) {
  std::unique_ptr<Extractor> ex = MakeExtractor();
  std::string deep = "{\"dataType\":\"Survey\",\"x\":";
  for (int i = 0; i < 2000; ++i) deep += "[";
  for (int i = 0; i < 2000; ++i) deep += "]";
  deep += "}";
  Result<ExtractedRecord> r = ex->Extract(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "record is not valid JSON (DEPTH_ERROR)");
}

TEST(ExtractorTest, CreateValidatesKindsAndTypesWithLines) {
  policy::IdentifierRules rules;
  rules.version = 1;
  rules.source_name = "x.toml";
  policy::TypeRules t;
  t.data_type = "Survey";
  t.line = 3;
  t.natural_key_paths = {"surveys.id"};
  t.fields.push_back(policy::FieldRule{"a", "mail", "string", {}, 7});
  rules.types.push_back(t);
  Result<std::unique_ptr<Extractor>> ex = Extractor::Create(rules);
  ASSERT_FALSE(ex.ok());
  EXPECT_EQ(ex.status().message(), "x.toml:7: unknown identifier kind 'mail'");

  rules.types[0].fields.clear();
  rules.types[0].data_type = "survey";  // the API spelling is not a dataType value
  ex = Extractor::Create(rules);
  ASSERT_FALSE(ex.ok());
  EXPECT_EQ(ex.status().message(), "x.toml:3: unknown data type 'survey'");

  rules.types[0].data_type = "Survey";
  rules.types.push_back(rules.types[0]);
  ex = Extractor::Create(rules);
  ASSERT_FALSE(ex.ok());
  EXPECT_EQ(ex.status().message(), "x.toml:3: data type 'Survey' given twice");
}

TEST(ExtractorTest, RegionComesFromPolicy) {
  policy::IdentifierRules rules;
  rules.version = 1;
  rules.default_region = "US";
  policy::TypeRules t;
  t.data_type = "Survey";
  t.natural_key_paths = {"surveys.id"};
  t.free_text_paths = {"contents.answer"};
  rules.types.push_back(t);
  Result<std::unique_ptr<Extractor>> ex = Extractor::Create(rules);
  ASSERT_TRUE(ex.ok()) << ex.status().message();
  EXPECT_EQ(ex.value()->normalize_options().default_region, "US");
  ExtractedRecord r = MustExtract(*ex.value(), Survey("call (650) 253-0000"));
  EXPECT_EQ(Ids(r), std::vector<std::string>{"phone=+16502530000 [contents.answer]"});
}

}  // namespace
}  // namespace davault::identity
