// ResidueScanner: text runs in raw bytes, then the same detectors and normal forms as ingest.
#include "identity/residue_scan.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <cstring>

#include "identity/text_scan.h"

namespace davault::identity {
namespace {

// Characters that end a token: JSON and SQL punctuation, URL separators and white space. A
// token is then tried as a whole identifier value.
bool IsDelimiter(char c) { return std::strchr(" \t\"',;{}[]()<>=&?/\\|`", c) != nullptr; }

bool IsIpChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
         c == ':';
}

constexpr Kind kExactKinds[] = {Kind::kVisitor,  Kind::kVisit,        Kind::kConsumer,
                                Kind::kCustomer, Kind::kConversation, Kind::kAgent};

}  // namespace

ResidueScanner::ResidueScanner(NormalizeOptions opts, std::vector<Kind> kinds)
    : opts_(std::move(opts)),
      kinds_(std::move(kinds)),
      min_phone_digits_(internal::MinPhoneDigits(opts_.default_region)) {}

bool ResidueScanner::Wants(Kind k) const {
  return std::find(kinds_.begin(), kinds_.end(), k) != kinds_.end();
}

void ResidueScanner::Scan(std::string_view bytes, const Found& found) const {
  if (kinds_.empty()) return;
  const auto* s = reinterpret_cast<const uint8_t*>(bytes.data());
  const int32_t n = static_cast<int32_t>(std::min<size_t>(bytes.size(), INT32_MAX));
  int32_t i = 0;
  int32_t start = -1;
  while (i < n) {
    int32_t at = i;
    bool text;
    if (s[i] < 0x80) {  // the common case, without the decoder
      text = s[i] >= 0x20 && s[i] != 0x7f;
      ++i;
    } else {
      UChar32 c;
      U8_NEXT(s, i, n, c);
      // Text is valid UTF-8 without control characters; anything else ends a run.
      text = c >= 0xa0;
    }
    if (text) {
      if (start < 0) start = at;
      continue;
    }
    if (start >= 0) {
      ScanRun(bytes.substr(start, at - start), static_cast<size_t>(start), found);
      start = -1;
    }
  }
  if (start >= 0) ScanRun(bytes.substr(start, n - start), static_cast<size_t>(start), found);
}

void ResidueScanner::ScanRun(std::string_view run, size_t offset, const Found& found) const {
  if (run.size() < 3) return;
  if (Wants(Kind::kEmail) && run.find('@') != std::string_view::npos) {
    std::vector<std::string_view> candidates;
    internal::FindEmailCandidates(run, &candidates);
    for (std::string_view cand : candidates) {
      auto e = Normalize(Kind::kEmail, cand, opts_);
      if (e.ok()) found(Kind::kEmail, e.value().value, offset);
    }
  }
  if (Wants(Kind::kEmail)) {
    std::string decoded;
    if (internal::PercentDecodeIfEncodedAt(run, &decoded)) {
      std::vector<std::string_view> candidates;
      internal::FindEmailCandidates(decoded, &candidates);
      for (std::string_view cand : candidates) {
        auto e = Normalize(Kind::kEmail, cand, opts_);
        if (e.ok()) found(Kind::kEmail, e.value().value, offset);
      }
    }
  }
  if (Wants(Kind::kPhone) && internal::MayContainPhone(run, min_phone_digits_)) {
    std::vector<Normalized> phones;
    internal::FindPhoneNumbers(run, opts_.default_region, &phones);
    for (const auto& p : phones) found(Kind::kPhone, p.value, offset);
  }
  bool exact = false;
  for (Kind k : kExactKinds) exact = exact || Wants(k);
  if (exact) {
    size_t b = 0;
    while (b < run.size()) {
      size_t e = b;
      while (e < run.size() && !IsDelimiter(run[e])) ++e;
      std::string_view tok = run.substr(b, e - b);
      // "key:value" pairs are tried whole and as the value after the first colon.
      for (int pass = 0; pass < 2; ++pass) {
        if (tok.size() >= kMinTokenLength && tok.size() <= kMaxTokenLength) {
          for (Kind k : kExactKinds) {
            if (!Wants(k)) continue;
            auto v = Normalize(k, tok, opts_);
            if (v.ok()) found(k, v.value().value, offset + b);
          }
        }
        size_t colon = tok.find(':');
        if (colon == std::string_view::npos) break;
        tok = tok.substr(colon + 1);
      }
      b = e + 1;
    }
  }
  if (Wants(Kind::kIp)) {
    size_t b = 0;
    while (b < run.size()) {
      size_t e = b;
      while (e < run.size() && IsIpChar(run[e])) ++e;
      std::string_view tok = run.substr(b, e - b);
      bool shaped = tok.size() >= 3 && (tok.find('.') != std::string_view::npos ||
                                        std::count(tok.begin(), tok.end(), ':') >= 2);
      if (shaped) {
        auto v = Normalize(Kind::kIp, tok, opts_);
        if (v.ok()) found(Kind::kIp, v.value().value, offset + b);
      }
      b = e + 1;
    }
  }
}

}  // namespace davault::identity
