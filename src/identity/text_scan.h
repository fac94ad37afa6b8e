// Internal to identity: UTF-8 helpers and the detectors that find e-mail addresses and phone
// numbers inside free text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "identity/normalize.h"

namespace davault::identity::internal {

// Removes Unicode white space (and ASCII control characters) at both ends.
std::string_view TrimSpace(std::string_view s);

bool IsValidUtf8(std::string_view s);

// Appends every substring of text that looks like an e-mail address (not yet normalized). A
// candidate has a local part of letters, digits and ._+-' and a domain of at least two labels
// whose last label looks like a top-level domain. Letters of scripts written without spaces
// (Han, kana, Hangul, Thai, ...) end a candidate, so an address typed straight after Chinese
// text is found on its own.
void FindEmailCandidates(std::string_view text, std::vector<std::string_view>* out);

// When text holds a percent-encoded '@' ("%40", as in URL query strings), writes the
// percent-decoded text to *decoded and returns true.
bool PercentDecodeIfEncodedAt(std::string_view text, std::string* decoded);

// The fewest digits a valid phone number can be written with: 7 for international numbers
// (country code plus the shortest national numbers anywhere), less when the default region
// has shorter national numbers.
int MinPhoneDigits(const std::string& default_region);

// Cheap, conservative filter before the phone matcher: true when text holds a run of at least
// min_digits digits separated by no more than four characters of phone punctuation (the
// separators libphonenumber accepts inside a number, or any non-letter outside ASCII). A
// number the matcher would find always passes.
bool MayContainPhone(std::string_view text, int min_digits);

// The part of text in which phone numbers are looked for. For a URL (a value starting with
// "http://" or "https://" and holding no white space) that is its query string and fragment,
// percent-decoded into *scratch: issue 3 scopes URL detection to query strings, and the digits
// of URL paths (product and account ids) are never phone numbers. Other texts are returned
// as they are.
std::string_view PhoneSearchText(std::string_view text, std::string* scratch);

// Appends every valid phone number libphonenumber finds in text, in the normal form of
// Normalize(Kind::kPhone, ...).
void FindPhoneNumbers(std::string_view text, const std::string& default_region,
                      std::vector<Normalized>* out);

}  // namespace davault::identity::internal
