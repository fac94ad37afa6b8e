// Calendar arithmetic with std::chrono's civil calendar; a strict parser for the CLI's time forms.
#include "base/time.h"

#include <chrono>
#include <cstdio>

namespace davault {
namespace {

using namespace std::chrono;

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int64_t CivilToMillis(int y, int mo, int d, int h, int mi, int s) {
  auto days = sys_days(year{y} / month{static_cast<unsigned>(mo)} / day{static_cast<unsigned>(d)});
  return (days.time_since_epoch().count() * 86400LL + h * 3600LL + mi * 60LL + s) * 1000LL;
}

struct Civil {
  int y, mo, d, h, mi, s, ms;
};

Civil MillisToCivil(int64_t epoch_ms) {
  int64_t days = epoch_ms >= 0 ? epoch_ms / kMillisPerDay : -((-epoch_ms + kMillisPerDay - 1) / kMillisPerDay);
  int64_t rem = epoch_ms - days * kMillisPerDay;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  Civil c;
  c.y = static_cast<int>(ymd.year());
  c.mo = static_cast<int>(static_cast<unsigned>(ymd.month()));
  c.d = static_cast<int>(static_cast<unsigned>(ymd.day()));
  c.h = static_cast<int>(rem / 3600000);
  c.mi = static_cast<int>(rem / 60000 % 60);
  c.s = static_cast<int>(rem / 1000 % 60);
  c.ms = static_cast<int>(rem % 1000);
  return c;
}

}  // namespace

Result<int64_t> ParseTime(std::string_view t) {
  auto bad = [&] {
    return Status::Usage("invalid time '" + std::string(t) +
                         "': expected ISO-8601 such as 2026-11-30T09:00:00Z, 2026-11-30, or epoch "
                         "milliseconds");
  };
  if (t.empty()) return bad();
  bool all_digits = t.size() <= 16;
  for (char c : t) all_digits = all_digits && c >= '0' && c <= '9';
  if (all_digits) {
    int64_t v = 0;
    for (char c : t) v = v * 10 + (c - '0');
    return v;
  }
  int y, mo, d, h = 0, mi = 0, s = 0, ms = 0;
  if (!Digits(t, 0, 4, &y) || t.size() < 10 || t[4] != '-' || !Digits(t, 5, 2, &mo) ||
      t[7] != '-' || !Digits(t, 8, 2, &d))
    return bad();
  if (mo < 1 || mo > 12 || d < 1) return bad();
  year_month_day ymd{year{y} / month{static_cast<unsigned>(mo)} / day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return bad();
  size_t p = 10;
  int offset_min = 0;
  if (p < t.size()) {
    if (t[p] != 'T' && t[p] != ' ') return bad();
    ++p;
    if (!Digits(t, p, 2, &h) || p + 2 >= t.size() || t[p + 2] != ':' || !Digits(t, p + 3, 2, &mi))
      return bad();
    p += 5;
    if (p < t.size() && t[p] == ':') {
      if (!Digits(t, p + 1, 2, &s)) return bad();
      p += 3;
      if (p < t.size() && (t[p] == '.' || t[p] == ',')) {
        ++p;
        size_t start = p;
        int frac = 0, n = 0;
        while (p < t.size() && t[p] >= '0' && t[p] <= '9') {
          if (n < 3) frac = frac * 10 + (t[p] - '0'), ++n;
          ++p;
        }
        if (p == start) return bad();
        while (n < 3) frac *= 10, ++n;
        ms = frac;
      }
    }
    if (h > 23 || mi > 59 || s > 60) return bad();
    if (p >= t.size()) return bad();  // a time of day needs an explicit offset
    if (t[p] == 'Z' || t[p] == 'z') {
      ++p;
    } else if (t[p] == '+' || t[p] == '-') {
      int oh, om;
      int sign = t[p] == '-' ? -1 : 1;
      if (!Digits(t, p + 1, 2, &oh)) return bad();
      size_t q = p + 3;
      if (q < t.size() && t[q] == ':') ++q;
      if (!Digits(t, q, 2, &om)) return bad();
      if (oh > 23 || om > 59) return bad();
      offset_min = sign * (oh * 60 + om);
      p = q + 2;
    } else {
      return bad();
    }
    if (p != t.size()) return bad();
  }
  return CivilToMillis(y, mo, d, h, mi, s) + ms - offset_min * 60000LL;
}

std::string FormatTime(int64_t epoch_ms) {
  Civil c = MillisToCivil(epoch_ms);
  char buf[48];
  if (c.ms != 0)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.y, c.mo, c.d, c.h, c.mi,
                  c.s, c.ms);
  else
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.y, c.mo, c.d, c.h, c.mi,
                  c.s);
  return buf;
}

std::string FormatDate(int64_t epoch_ms) {
  Civil c = MillisToCivil(epoch_ms);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.y, c.mo, c.d);
  return buf;
}

int64_t AddMonths(int64_t epoch_ms, int months) {
  Civil c = MillisToCivil(epoch_ms);
  int total = c.y * 12 + (c.mo - 1) + months;
  int y = total / 12, mo = total % 12 + 1;
  year_month_day_last end_of_month{year{y}, month_day_last{month{static_cast<unsigned>(mo)}}};
  int last_day = static_cast<int>(static_cast<unsigned>(end_of_month.day()));
  int d = c.d > last_day ? last_day : c.d;
  return CivilToMillis(y, mo, d, c.h, c.mi, c.s) + c.ms;
}

int64_t DaysBetween(int64_t a_ms, int64_t b_ms) {
  int64_t diff = b_ms - a_ms;
  return diff >= 0 ? diff / kMillisPerDay : -((-diff + kMillisPerDay - 1) / kMillisPerDay);
}

int UsEasternOffsetMinutes(int64_t epoch_ms) {
  // DST: from the second Sunday of March 02:00 local (07:00Z) to the first Sunday of
  // November 02:00 local (06:00Z).
  Civil c = MillisToCivil(epoch_ms);
  auto second_sunday_march = sys_days{year{c.y} / March / Sunday[2]};
  auto first_sunday_nov = sys_days{year{c.y} / November / Sunday[1]};
  int64_t start = second_sunday_march.time_since_epoch().count() * kMillisPerDay + 7 * 3600000LL;
  int64_t end = first_sunday_nov.time_since_epoch().count() * kMillisPerDay + 6 * 3600000LL;
  return (epoch_ms >= start && epoch_ms < end) ? -240 : -300;
}

std::string FormatTimeWithOffset(int64_t epoch_ms, int offset_minutes) {
  Civil c = MillisToCivil(epoch_ms + offset_minutes * 60000LL);
  int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c.y, c.mo, c.d, c.h,
                c.mi, c.s, offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
}

}  // namespace davault
