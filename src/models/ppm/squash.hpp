#pragma once
// The logistic domain of the context-mixing model (ppm:N), in integers only.
//
// Probabilities are mixed as logits ("stretch" = ln(p/(1-p))), because adding logits is
// what a product of experts does and because the mixer's gradient is then simply
// (bit - p) · input. Everything here is integer arithmetic built from one hard-coded
// table, so that squash/stretch give the same numbers on every machine and compiler
// (std::exp/std::log are not correctly rounded and may differ in the last ulp between
// libms; a one-ulp difference would break bit-exact decoding).
//
// Units: a logit x is an int in [-2047, 2047] meaning x/256 nats (so ±8 nats);
// a probability is 16-bit (p · 65536) unless a name says 12 (p · 4096).
#include <array>
#include <cstdint>

namespace zgen::ppm {

inline constexpr int kLogitMax = 2047;

namespace detail {
// 65536 / (1 + e^(-l)) for l = -8, -7.75, ..., 8 (65 points, step 0.25 nat = 64 units),
// rounded to integers. Linear interpolation between them is within ~0.3% of the true
// curve, and the model learns around any such bias anyway: what matters is that it is
// the same everywhere.
inline constexpr std::array<std::int32_t, 65> kSquashKnots = {
    22,    28,    36,    47,    60,    77,    98,    126,   162,   208,   267,   342,   439,
    562,   720,   922,   1179,  1506,  1921,  2446,  3108,  3938,  4971,  6249,  7812,  9702,
    11955, 14595, 17625, 21025, 24743, 28693, 32768, 36843, 40793, 44511, 47911, 50941, 53581,
    55834, 57724, 59287, 60565, 61598, 62428, 63090, 63615, 64030, 64357, 64614, 64816, 64974,
    65097, 65194, 65269, 65328, 65374, 65410, 65438, 65459, 65476, 65489, 65500, 65508, 65514};

struct Tables {
  std::array<std::uint16_t, 4096> squash16{};  // index x + 2048, x in [-2048, 2047]
  std::array<std::int16_t, 4096> stretch12{};  // index p12 in [0, 4095]
  constexpr Tables() {
    for (int i = 0; i < 4096; ++i) {
      const int x = i;  // x + 2048 in [0, 4095]; knots every 64 units
      const int k = x >> 6, w = x & 63;
      const std::int32_t a = kSquashKnots[k], b = kSquashKnots[k + 1];
      squash16[i] = static_cast<std::uint16_t>((a * (64 - w) + b * w + 32) >> 6);
    }
    // stretch12 inverts squash16 (monotone non-decreasing): for each 12-bit
    // probability the logit whose squash first reaches it, so stretch(squash(x)) ≈ x.
    int x = -2047;
    for (int p = 0; p < 4096; ++p) {
      while (x < 2047 && (squash16[x + 2048] >> 4) < p) ++x;
      stretch12[p] = static_cast<std::int16_t>(x);
    }
  }
};
inline constexpr Tables kTables{};
}  // namespace detail

// Logit → 16-bit probability in [22, 65514]; x is clamped to [-2047, 2047].
inline int squash16(int x) {
  if (x > kLogitMax) x = kLogitMax;
  if (x < -kLogitMax) x = -kLogitMax;
  return detail::kTables.squash16[x + 2048];
}

// 12-bit probability (0..4095) → logit in [-2047, 2047].
inline int stretch12(int p12) { return detail::kTables.stretch12[p12]; }

// 16-bit probability → logit, through its top 12 bits.
inline int stretch16(int p16) { return detail::kTables.stretch12[p16 >> 4]; }

}  // namespace zgen::ppm
