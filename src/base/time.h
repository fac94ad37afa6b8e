// Time in davault: epoch milliseconds UTC, parsed from the CLI's forms and printed as ISO-8601 UTC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "davault/status.h"

namespace davault {

constexpr int64_t kMillisPerDay = 86'400'000;

// Accepts "2026-11-30T09:00:00Z", "2026-11-30T09:00:00.123+01:00", "2026-11-30" (midnight UTC)
// or a run of digits (epoch milliseconds). Anything else is a usage error naming the value.
Result<int64_t> ParseTime(std::string_view text);

// "2026-11-30T09:00:00Z"; milliseconds are printed only when non-zero.
std::string FormatTime(int64_t epoch_ms);
// "2026-11-30"
std::string FormatDate(int64_t epoch_ms);

// Adds calendar months to an instant, clamping the day to the target month's last day
// (31 January + 1 month = 28 or 29 February), keeping the time of day.
int64_t AddMonths(int64_t epoch_ms, int months);

// Whole days from a to b, rounded towards negative infinity (b earlier than a gives < 0).
int64_t DaysBetween(int64_t a_ms, int64_t b_ms);

// Offset of US Eastern time (America/New_York) from UTC at an instant, in minutes
// (-240 in summer, -300 in winter), by the US rules in force since 2007.
int UsEasternOffsetMinutes(int64_t epoch_ms);
// "2016-06-01T07:00:00-04:00": how LivePerson writes @scopeStartDate/@scopeEndDate.
std::string FormatTimeWithOffset(int64_t epoch_ms, int offset_minutes);

}  // namespace davault
