// Tests for the free-text detectors (e-mail candidates, percent-decoding, phone matcher).
#include "identity/text_scan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace davault::identity::internal {
namespace {

std::vector<std::string> Emails(std::string_view text) {
  std::vector<std::string_view> found;
  FindEmailCandidates(text, &found);
  return std::vector<std::string>(found.begin(), found.end());
}

using V = std::vector<std::string>;

TEST(TextScanTest, EmailCandidates) {
  struct Case {
    const char* text;
    V expected;
  } cases[] = {
      {"my email is Dana.Smith@Example.COM thanks", {"Dana.Smith@Example.COM"}},
      {"mail me at dana@example.com.", {"dana@example.com"}},
      {"(dana@example.com)", {"dana@example.com"}},
      {"<dana@example.com>", {"dana@example.com"}},
      {"mailto:dana@example.com", {"dana@example.com"}},
      {"https://x.example/?email=dana@example.com&x=1", {"dana@example.com"}},
      {"\xE8\xAF\xB7\xE5\x8F\x91"
       "dana@example.com\xE8\xB0\xA2",
       {"dana@example.com"}},  // 请发…谢
      {"J\xC3\xB6rg@example.de", {"J\xC3\xB6rg@example.de"}},
      {"o'brien@example.ie", {"o'brien@example.ie"}},
      {"'dana@example.com'", {"dana@example.com"}},
      {"two: a@x.com, b.c+tag@y.co.uk;", {"a@x.com", "b.c+tag@y.co.uk"}},
      {"dana@xn--exmple-cua.com", {"dana@xn--exmple-cua.com"}},
      {"dana@bücher.example", {"dana@bücher.example"}},
      {"user@localhost", {}},
      {"price 5@3.50", {}},
      {"@example.com", {}},
      {"a@b", {}},
      {"dana@-example.com", {}},
      {"dana@example..com", {}},
      {"", {}},
      {"@@@", {}},
  };
  for (const Case& c : cases) EXPECT_EQ(Emails(c.text), c.expected) << c.text;
  EXPECT_EQ(Emails(std::string(64, 'a') + "@example.com").size(), 1u);
  EXPECT_EQ(Emails(std::string(65, 'a') + "@example.com").size(), 0u);
}

TEST(TextScanTest, PercentDecoding) {
  std::string out;
  EXPECT_TRUE(PercentDecodeIfEncodedAt("/?email=dana%40example.com&q=%2Bx%4", &out));
  EXPECT_EQ(out, "/?email=dana@example.com&q=+x%4");
  EXPECT_FALSE(PercentDecodeIfEncodedAt("/?q=%2B", &out));
  EXPECT_FALSE(PercentDecodeIfEncodedAt("plain", &out));
}

TEST(TextScanTest, MinPhoneDigitsPerRegion) {
  EXPECT_EQ(MinPhoneDigits("GB"), 7);
  EXPECT_EQ(MinPhoneDigits("US"), 7);
  EXPECT_EQ(MinPhoneDigits("NU"), 4);  // Niue has four-digit numbers
  EXPECT_EQ(MinPhoneDigits("ZZ"), 4);
}

TEST(TextScanTest, PhonePrefilter) {
  EXPECT_FALSE(MayContainPhone("123456", 7));
  EXPECT_FALSE(MayContainPhone("order 123 on 12/05 at 10:30", 7));
  EXPECT_FALSE(MayContainPhone("Tier1 skill 11 state 0 2016", 7));
  EXPECT_FALSE(MayContainPhone("12 ab 34567", 7));
  EXPECT_FALSE(MayContainPhone("123     4567", 7));  // five separators break the run
  EXPECT_TRUE(MayContainPhone("1234567", 7));
  EXPECT_TRUE(MayContainPhone("call (020) 7946-0123!", 7));
  EXPECT_TRUE(MayContainPhone("+44 20 7946 0123", 7));
  EXPECT_TRUE(
      MayContainPhone("020\xC2\xA0"
                      "7946\xC2\xA0"
                      "0123",
                      7));  // NBSP separators
  EXPECT_TRUE(
      MayContainPhone("\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x90\xEF\xBC\x97\xEF\xBC\x99\xEF\xBC\x94"
                      "\xEF\xBC\x96",
                      7));  // fullwidth digits
  EXPECT_TRUE(MayContainPhone("4002", 4));
}

// The prefilter may only skip texts in which the matcher finds nothing: random texts around
// numbers written with random separators.
TEST(TextScanTest, PhonePrefilterNeverHidesAMatch) {
  const char* noise[] = {"a",    "call ", "7", "00", "1",       "999",      ":",
                         "#",    "-",     " ", "(",  "x",       "\xC2\xA0", "\xE2\x80\x93",
                         "tel.", "/",     "+", ".",  "ext. 12", "\n"};
  const char* seps[] = {"", " ", "-", ".", " - ", "\xC2\xA0", "/", ") ", "  ", "\xE3\x80\x80"};
  const char* numbers[][4] = {{"020", "7946", "0123", ""},       {"+44", "20", "7946", "0123"},
                              {"0044", "(0)20", "7946", "0123"}, {"07700", "900", "123", ""},
                              {"+1", "650", "253", "0000"},      {"01632", "960", "123", ""},
                              {"+683", "4002", "", ""},          {"0800", "1111", "", ""}};
  uint32_t seed = 99;
  auto next = [&]() {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  int with_numbers = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    for (uint32_t j = next() % 4; j > 0; --j) text += noise[next() % std::size(noise)];
    const char* const* number = numbers[next() % std::size(numbers)];
    for (int k = 0; k < 4 && number[k][0] != '\0'; ++k) {
      if (k > 0) text += seps[next() % std::size(seps)];
      text += number[k];
    }
    for (uint32_t j = next() % 4; j > 0; --j) text += noise[next() % std::size(noise)];
    std::vector<Normalized> found;
    FindPhoneNumbers(text, "GB", &found);
    if (!found.empty()) {
      ++with_numbers;
      EXPECT_TRUE(MayContainPhone(text, MinPhoneDigits("GB"))) << text;
    }
  }
  EXPECT_GT(with_numbers, 600);
}

TEST(TextScanTest, PhonesInText) {
  std::vector<Normalized> found;
  FindPhoneNumbers("call me on 020 7946 0123 or +44 20 7946 0999 ext. 12, not 12345678", "GB",
                   &found);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].value, "+442079460123");
  EXPECT_FALSE(found[0].needs_review);
  EXPECT_EQ(found[1].value, "+442079460999;ext=12");
  EXPECT_TRUE(found[1].needs_review);

  found.clear();
  FindPhoneNumbers("https://z1.le.liveperson.net/a/89995382/#wa!webagent", "GB", &found);
  EXPECT_TRUE(found.empty());
}

TEST(TextScanTest, PhoneSearchTextOfUrlsIsTheQuery) {
  std::string scratch;
  EXPECT_EQ(PhoneSearchText("https://shop.example/p/02079460123", &scratch), "");
  EXPECT_EQ(PhoneSearchText("HTTPS://shop.example/p/1?tel=020+7946#x", &scratch),
            "?tel=020+7946#x");
  EXPECT_EQ(PhoneSearchText(" http://a.example/b#frag ", &scratch), "#frag");
  EXPECT_EQ(PhoneSearchText("https://a.example/?tel=020%207946%200123&q=%4", &scratch),
            "?tel=020 7946 0123&q=%4");
  // Not a lone URL: searched whole.
  EXPECT_EQ(PhoneSearchText("see https://a.example/02079460123", &scratch),
            "see https://a.example/02079460123");
  EXPECT_EQ(PhoneSearchText("https://a.example/ call 020 7946 0123", &scratch),
            "https://a.example/ call 020 7946 0123");
  EXPECT_EQ(PhoneSearchText("tel:+442079460123", &scratch), "tel:+442079460123");
}

TEST(TextScanTest, Trim) {
  EXPECT_EQ(TrimSpace("  a b \t"), "a b");
  EXPECT_EQ(TrimSpace("\xC2\xA0x\xE2\x80\x83"), "x");  // NBSP, em space
  EXPECT_EQ(TrimSpace("\xEF\xBB\xBFx"), "x");          // BOM
  EXPECT_EQ(TrimSpace("   "), "");
  EXPECT_EQ(TrimSpace("\xff x \xff"), "\xff x \xff");  // invalid bytes are not space
}

}  // namespace
}  // namespace davault::identity::internal
