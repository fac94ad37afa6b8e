// Free-text detectors: e-mail address candidates by a byte scan around '@', phone numbers by
// libphonenumber's PhoneNumberMatcher.
#include "identity/text_scan.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <cstring>

namespace davault::identity::internal {

namespace {

using i18n::phonenumbers::PhoneNumberMatch;
using i18n::phonenumbers::PhoneNumberMatcher;
using i18n::phonenumbers::PhoneNumberUtil;

// Bounds the matcher's work on one hostile text; far above what a real text needs.
constexpr int kPhoneMatcherMaxTries = 10000;
constexpr size_t kMaxLocalPart = 64;
constexpr size_t kMaxDomain = 253;

bool IsTrimmable(UChar32 c) {
  return c < 0x20 || c == 0x7f || c == 0xfeff || c == 0x200b || u_isUWhiteSpace(c);
}

bool IsAsciiAlnum(UChar32 c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A letter, digit or mark of a script that separates words with spaces. Scripts written
// without spaces end an address: "请发到dana@example.com" holds "dana@example.com".
bool IsWordCodePoint(UChar32 c) {
  if (!u_isalnum(c) && (U_GET_GC_MASK(c) & U_GC_M_MASK) == 0) return false;
  UErrorCode err = U_ZERO_ERROR;
  switch (uscript_getScript(c, &err)) {
    case USCRIPT_HAN:
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_HANGUL:
    case USCRIPT_THAI:
    case USCRIPT_LAO:
    case USCRIPT_KHMER:
    case USCRIPT_MYANMAR:
    case USCRIPT_TIBETAN:
    case USCRIPT_YI:
      return false;
    default:
      return U_SUCCESS(err);
  }
}

// Local-part characters accepted in free text. '=', '/', '?', '&' and friends are legal in an
// address but in running text and URLs they separate it from what precedes it.
bool IsLocalChar(UChar32 c) {
  if (c < 0x80) return IsAsciiAlnum(c) || c == '.' || c == '_' || c == '+' || c == '-' || c == '\'';
  return IsWordCodePoint(c);
}

bool IsDomainChar(UChar32 c) {
  if (c < 0x80) return IsAsciiAlnum(c) || c == '-' || c == '.';
  return IsWordCodePoint(c);
}

// Trims and checks a domain; returns its accepted length (0 = not a domain).
size_t AcceptDomain(std::string_view d) {
  size_t dots = d.find("..");
  if (dots != std::string_view::npos) d = d.substr(0, dots);
  while (!d.empty() && (d.back() == '.' || d.back() == '-')) d.remove_suffix(1);
  if (d.empty() || d.size() > kMaxDomain) return 0;
  size_t labels = 0;
  std::string_view last;
  std::string_view rest = d;
  while (true) {
    size_t dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    if (label.empty() || label.front() == '-' || label.back() == '-') return 0;
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  if (labels < 2 || last.size() < 2) return 0;
  if (last.substr(0, 4) != "xn--") {
    for (char c : last) {
      if (static_cast<unsigned char>(c) < 0x80 && !IsAsciiAlpha(c)) return 0;
    }
  }
  return d.size();
}

// ASCII characters libphonenumber accepts between the digits of a number (plus tab).
struct PunctuationTable {
  bool set[128] = {};
  constexpr PunctuationTable() {
    for (char c : std::string_view("-xX ().[]/~+\t")) set[static_cast<unsigned char>(c)] = true;
  }
};
constexpr PunctuationTable kPhonePunctuation;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void PercentDecode(std::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out->push_back(text[i]);
  }
}

}  // namespace

std::string_view TrimSpace(std::string_view s) {
  // Fast path: ASCII text that starts and ends with a visible character.
  if (!s.empty()) {
    unsigned char f = static_cast<unsigned char>(s.front());
    unsigned char l = static_cast<unsigned char>(s.back());
    if (f > 0x20 && f < 0x7f && l > 0x20 && l < 0x7f) return s;
  }
  const char* p = s.data();
  int32_t begin = 0;
  int32_t end = static_cast<int32_t>(s.size());
  while (begin < end) {
    int32_t next = begin;
    UChar32 c;
    U8_NEXT(p, next, end, c);
    if (c < 0 || !IsTrimmable(c)) break;
    begin = next;
  }
  while (end > begin) {
    int32_t prev = end;
    UChar32 c;
    U8_PREV(p, begin, prev, c);
    if (c < 0 || !IsTrimmable(c)) break;
    end = prev;
  }
  return s.substr(static_cast<size_t>(begin), static_cast<size_t>(end - begin));
}

bool IsValidUtf8(std::string_view s) {
  int32_t i = 0;
  const int32_t n = static_cast<int32_t>(s.size());
  while (i < n) {
    if (static_cast<unsigned char>(s[static_cast<size_t>(i)]) < 0x80) {
      ++i;
      continue;
    }
    UChar32 c;
    U8_NEXT(s.data(), i, n, c);
    if (c < 0) return false;
  }
  return true;
}

void FindEmailCandidates(std::string_view text, std::vector<std::string_view>* out) {
  const char* p = text.data();
  const int32_t n = static_cast<int32_t>(text.size());
  const void* hit = std::memchr(p, '@', text.size());
  while (hit != nullptr) {
    const int32_t at = static_cast<int32_t>(static_cast<const char*>(hit) - p);
    // Local part: walk left from the '@'.
    int32_t start = at;
    while (start > 0) {
      int32_t prev = start;
      UChar32 c;
      U8_PREV(p, 0, prev, c);
      if (c < 0 || !IsLocalChar(c)) break;
      start = prev;
    }
    while (start < at && (p[start] == '.' || p[start] == '\'')) ++start;
    // Domain: walk right.
    int32_t end = at + 1;
    while (end < n) {
      int32_t next = end;
      UChar32 c;
      U8_NEXT(p, next, n, c);
      if (c < 0 || !IsDomainChar(c)) break;
      end = next;
    }
    size_t local_len = static_cast<size_t>(at - start);
    if (local_len > 0 && local_len <= kMaxLocalPart) {
      size_t domain_len =
          AcceptDomain(std::string_view(p + at + 1, static_cast<size_t>(end - at - 1)));
      if (domain_len > 0) out->emplace_back(p + start, local_len + 1 + domain_len);
    }
    size_t from = static_cast<size_t>(at) + 1;
    hit = from < text.size() ? std::memchr(p + from, '@', text.size() - from) : nullptr;
  }
}

bool PercentDecodeIfEncodedAt(std::string_view text, std::string* decoded) {
  if (text.find("%40") == std::string_view::npos) return false;
  PercentDecode(text, decoded);
  return true;
}

int MinPhoneDigits(const std::string& default_region) {
  constexpr int kInternationalMin = 7;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  int cc = util.GetCountryCodeForRegion(default_region);
  if (cc == 0) return 4;  // unknown region: the shortest national numbers anywhere
  // Whether a number is possible depends only on its length; find the shortest.
  uint64_t national = 1;
  for (int len = 1; len < kInternationalMin; ++len, national *= 10) {
    i18n::phonenumbers::PhoneNumber n;
    n.set_country_code(cc);
    n.set_national_number(national);
    if (util.IsPossibleNumberWithReason(n) == PhoneNumberUtil::IS_POSSIBLE) return len;
  }
  return kInternationalMin;
}

bool MayContainPhone(std::string_view text, int min_digits) {
  constexpr int kMaxSeparators = 4;  // libphonenumber's punctuation limit between digit blocks
  int digits = 0;
  int separators = 0;
  const char* p = text.data();
  const int32_t n = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < n) {
    unsigned char b = static_cast<unsigned char>(p[i]);
    bool is_digit = false;
    bool is_separator = false;
    if (b < 0x80) {
      ++i;
      is_digit = b >= '0' && b <= '9';
      is_separator = kPhonePunctuation.set[b];
    } else {
      UChar32 c;
      U8_NEXT(p, i, n, c);
      is_digit = c >= 0 && u_isdigit(c);
      is_separator = !is_digit && c >= 0 && !u_isalpha(c);
    }
    if (is_digit) {
      if (++digits >= min_digits) return true;
      separators = 0;
    } else if (is_separator && digits > 0 && ++separators <= kMaxSeparators) {
      continue;
    } else {
      digits = 0;
      separators = 0;
    }
  }
  return false;
}

std::string_view PhoneSearchText(std::string_view text, std::string* scratch) {
  std::string_view t = TrimSpace(text);
  auto starts_with_ci = [&](std::string_view prefix) {
    if (t.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      char c = t[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != prefix[i]) return false;
    }
    return true;
  };
  if (!starts_with_ci("http://") && !starts_with_ci("https://")) return text;
  for (char c : t) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return text;  // prose, not one URL
  }
  size_t q = t.find_first_of("?#");
  if (q == std::string_view::npos) return std::string_view();
  std::string_view query = t.substr(q);
  if (query.find('%') == std::string_view::npos) return query;
  PercentDecode(query, scratch);
  return *scratch;
}

void FindPhoneNumbers(std::string_view text, const std::string& default_region,
                      std::vector<Normalized>* out) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::string copy(text);
  PhoneNumberMatcher matcher(util, copy, default_region, PhoneNumberMatcher::VALID,
                             kPhoneMatcherMaxTries);
  PhoneNumberMatch match;
  while (matcher.HasNext()) {
    if (!matcher.Next(&match)) break;
    Normalized n;
    util.Format(match.number(), PhoneNumberUtil::E164, &n.value);
    if (match.number().has_extension() && !match.number().extension().empty()) {
      n.value += ";ext=" + match.number().extension();
      n.needs_review = true;
    }
    out->push_back(std::move(n));
  }
}

}  // namespace davault::identity::internal
