// Seeded pseudo-random numbers for davault-gen: the same seed gives the same bytes everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

namespace davault::gen {

// The standard distributions are implementation-defined, so a fixture that must be identical
// on every toolchain draws from xoshiro256** with its own bounded-integer reduction.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& w : s_) w = SplitMix64(x);
  }

  // Derives an independent stream from a seed and a path of labels (type, hour, part...), so that
  // one file's content does not shift when another file's options change.
  static uint64_t Derive(uint64_t seed, std::initializer_list<uint64_t> path) {
    uint64_t x = seed ^ 0x6a09e667f3bcc909ULL;
    uint64_t h = SplitMix64(x);
    for (uint64_t p : path) {
      x = h ^ (p * 0x9e3779b97f4a7c15ULL);
      h = SplitMix64(x);
    }
    return h;
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n); n == 0 gives 0.
  uint64_t Below(uint64_t n) {
    if (n == 0) return 0;
    // Lemire's multiply-and-reject: unbiased and defined by integer arithmetic alone.
    uint64_t x = Next();
    unsigned __int128 m = static_cast<unsigned __int128>(x) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        x = Next();
        m = static_cast<unsigned __int128>(x) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi], both included.
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // True with probability percent/100.
  bool Percent(int percent) { return static_cast<int>(Below(100)) < percent; }

  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Below(items.size())];
  }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t s_[4];
};

}  // namespace davault::gen
