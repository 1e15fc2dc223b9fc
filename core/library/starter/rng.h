#pragma once

#include <cstddef>
#include <cstdint>

namespace aigate::starter {

// Stateless 64-bit mixer (SplitMix64 finaliser); equal inputs give equal outputs everywhere.
constexpr std::uint64_t mixBits(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Deterministic pseudo-random source. Unlike <random> distributions its output is
// specified here exactly, so a seed yields the same scene on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(mixBits(seed)) {}

  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return mixBits(state_);
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double range(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [lo, hi].
  int between(int lo, int hi) {
    return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  std::size_t index(std::size_t size) { return static_cast<std::size_t>(next() % size); }
  bool chance(double p) { return uniform() < p; }
  template <class Container>
  const auto& pick(const Container& items) {
    return items[index(items.size())];
  }

 private:
  std::uint64_t state_;
};

}  // namespace aigate::starter
