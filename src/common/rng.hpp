#pragma once
// zgen's seeded random numbers, written out here rather than taken from <random> because the
// std:: engines' seeding and distributions are not specified bit for bit: the same seed must
// give the same bytes, weights and batches with every standard library and on every platform.
//   splitmix64 (Steele, Lea & Flood): one step of a tiny generator; SplitMix64 wraps it for
//     the transformer (initial weights, training batches) and for generated test inputs.
//   Rng: the sampler's xoshiro256** (Blackman & Vigna), seeded through splitmix64.
// A seed names what it generates (a model's initial weights, a sample), so every stream here
// is fixed for good: tests/test_common.cpp and test_samplers.cpp pin reference values.
#include <cmath>
#include <cstdint>
#include <numbers>

namespace zgen {

// One step of splitmix64: advances `state` and returns the next output. Also spreads a single
// 64-bit seed over xoshiro's 256 bits of state (never all zero that way).
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// splitmix64 as a generator whose whole state is one word (a checkpoint stores it).
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() { return splitmix64(state); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0,1)
  // Uniform in [0, n), n ≥ 1, without modulo bias (rejection).
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t x;
    do x = next();
    while (x >= limit);
    return x % n;
  }
  double normal() {  // Box–Muller; the second value of the pair is dropped for simplicity
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
};

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& word : s_) word = splitmix64(sm);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) on the grid k·2^-53: the top 53 bits, which are the best-mixed ones
  // and exactly representable in a double.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace zgen
