// A small seeded PRNG (splitmix64) and string hashing, identical on every
// platform and compiler: the local renderer's pictures depend only on them,
// never on std:: distributions.
#pragma once

#include <cstdint>
#include <string_view>

namespace aigate::plugins::local {

// splitmix64's finalizer: a good 64-bit mix of `x`.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a over the bytes of `text`, then mixed.
constexpr std::uint64_t hashText(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1), from the top 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi).
  double range(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform in [0, n); n > 0.
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  // -1 or +1.
  double sign() { return (next() & 1) != 0 ? 1.0 : -1.0; }

 private:
  std::uint64_t state_;
};

}  // namespace aigate::plugins::local
