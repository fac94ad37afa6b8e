// Normalization of identifiers (issue 3): ICU for e-mail, libphonenumber for phone, inet_* for ip.
#include "identity/normalize.h"

#include <arpa/inet.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <cstring>

#include "identity/text_scan.h"

namespace davault::identity {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::string_view kKindNames[] = {
    "email", "phone", "visitor", "visit", "consumer", "customer", "conversation", "ip", "agent"};

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// One '@' with text on both sides, and nothing that cannot appear in an unquoted address.
bool LooksLikeEmail(std::string_view s) {
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == s.size()) return false;
  if (s.find('@', at + 1) != std::string_view::npos) return false;
  int32_t i = 0;
  const int32_t n = static_cast<int32_t>(s.size());
  while (i < n) {
    UChar32 c;
    U8_NEXT(s.data(), i, n, c);
    if (c < 0) return false;
    if (c <= 0x20 || c == 0x7f || u_isUWhiteSpace(c)) return false;
    if (c < 0x80 && std::strchr("<>()[],;:\"\\", static_cast<char>(c)) != nullptr) return false;
  }
  return true;
}

Result<Normalized> NormalizeEmail(std::string_view raw) {
  std::string_view s = internal::TrimSpace(raw);
  if (s.empty()) return Status::Usage("empty e-mail address");
  if (!internal::IsValidUtf8(s)) return Status::Usage("e-mail address is not valid UTF-8");
  Normalized out;
  if (IsAscii(s)) {
    // NFC and full case folding of ASCII are plain A-Z -> a-z.
    out.value.assign(s);
    for (char& c : out.value) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  } else {
    UErrorCode err = U_ZERO_ERROR;
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(err);
    if (U_FAILURE(err)) return Status::Failed("ICU NFC normalizer unavailable");
    icu::UnicodeString text =
        icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
    icu::UnicodeString composed = nfc->normalize(text, err);
    composed.foldCase(U_FOLD_CASE_DEFAULT);
    // Case folding can leave text that is not NFC any more (e.g. U+0130); compose again.
    icu::UnicodeString folded = nfc->normalize(composed, err);
    if (U_FAILURE(err)) return Status::Usage("e-mail address cannot be normalized");
    folded.toUTF8String(out.value);
  }
  if (!LooksLikeEmail(out.value)) return Status::Usage("not an e-mail address");
  return out;
}

// ASCII digits of s, with other Unicode decimal digits mapped to ASCII.
std::string DigitsOf(std::string_view s) {
  std::string digits;
  int32_t i = 0;
  const int32_t n = static_cast<int32_t>(s.size());
  while (i < n) {
    UChar32 c;
    U8_NEXT(s.data(), i, n, c);
    if (c < 0) continue;
    int32_t d = u_charDigitValue(c);
    if (d >= 0 && d <= 9 && u_charType(c) == U_DECIMAL_DIGIT_NUMBER) {
      digits.push_back(static_cast<char>('0' + d));
    }
  }
  return digits;
}

Result<Normalized> NormalizePhone(std::string_view raw, const NormalizeOptions& opts) {
  std::string_view s = internal::TrimSpace(raw);
  if (s.empty()) return Status::Usage("empty phone number");
  std::string digits = DigitsOf(s);
  if (digits.empty()) return Status::Usage("not a phone number (no digits)");
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  std::string text(s);
  if (util.Parse(text, opts.default_region, &number) == PhoneNumberUtil::NO_PARSING_ERROR) {
    bool valid = util.IsValidNumber(number);
    if (valid || util.IsPossibleNumberWithReason(number) == PhoneNumberUtil::IS_POSSIBLE) {
      Normalized out;
      util.Format(number, PhoneNumberUtil::E164, &out.value);
      out.needs_review = !valid;
      if (number.has_extension() && !number.extension().empty()) {
        out.value += ";ext=" + number.extension();
        out.needs_review = true;
      }
      return out;
    }
  }
  return Normalized{"raw:" + digits, true};
}

Result<Normalized> NormalizeIp(std::string_view raw) {
  std::string_view s = internal::TrimSpace(raw);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (s.empty()) return Status::Usage("empty IP address");
  if (s.size() > INET6_ADDRSTRLEN) return Status::Usage("not an IP address");
  std::string text(s);
  char buf[INET6_ADDRSTRLEN];
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    if (inet_ntop(AF_INET, &v4, buf, sizeof buf) == nullptr) return Status::Usage("bad IP");
    return Normalized{buf, false};
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      std::memcpy(&v4, &v6.s6_addr[12], 4);
      if (inet_ntop(AF_INET, &v4, buf, sizeof buf) == nullptr) return Status::Usage("bad IP");
      return Normalized{buf, false};
    }
    if (inet_ntop(AF_INET6, &v6, buf, sizeof buf) == nullptr) return Status::Usage("bad IP");
    return Normalized{buf, false};
  }
  return Status::Usage("not an IP address");
}

Result<Normalized> NormalizeId(Kind kind, std::string_view raw) {
  std::string_view s = internal::TrimSpace(raw);
  if (s.empty()) return Status::Usage("empty " + std::string(KindName(kind)) + " id");
  return Normalized{std::string(s), false};
}

}  // namespace

std::string_view KindName(Kind kind) {
  size_t i = static_cast<size_t>(kind) - 1;
  return i < std::size(kKindNames) ? kKindNames[i] : std::string_view("unknown");
}

std::optional<Kind> ParseKind(std::string_view name) {
  for (Kind k : kAllKinds) {
    if (KindName(k) == name) return k;
  }
  return std::nullopt;
}

Result<Normalized> Normalize(Kind kind, std::string_view raw, const NormalizeOptions& opts) {
  switch (kind) {
    case Kind::kEmail:
      return NormalizeEmail(raw);
    case Kind::kPhone:
      return NormalizePhone(raw, opts);
    case Kind::kIp:
      return NormalizeIp(raw);
    case Kind::kVisitor:
    case Kind::kVisit:
    case Kind::kConsumer:
    case Kind::kCustomer:
    case Kind::kConversation:
    case Kind::kAgent:
      return NormalizeId(kind, raw);
  }
  return Status::Usage("unknown identifier kind");
}

Result<std::pair<Kind, Normalized>> ParseSubject(std::string_view arg,
                                                 const NormalizeOptions& opts) {
  size_t colon = arg.find(':');
  if (colon == std::string_view::npos) {
    return Status::Usage("an identifier must be written KIND:VALUE");
  }
  std::optional<Kind> kind = ParseKind(arg.substr(0, colon));
  if (!kind) {
    // The text before ':' is not echoed: a mistyped subject may be personal data.
    return Status::Usage(
        "unknown identifier kind (expected email, phone, visitor, visit, consumer, customer, "
        "conversation, ip or agent)");
  }
  Result<Normalized> n = Normalize(*kind, arg.substr(colon + 1), opts);
  if (!n.ok()) return n.status().Context(std::string(KindName(*kind)) + " identifier");
  return std::make_pair(*kind, std::move(n).value());
}

}  // namespace davault::identity
