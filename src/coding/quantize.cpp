#include "src/coding/quantize.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <functional>

// The table must not depend on how a compiler chose to round: no fused multiply-adds.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace zgen {

namespace {

// deterministic_exp without branches: what lies outside [−708, 0] is computed on a stand-in
// and the result then chosen, so that a loop of it vectorises.
inline double exp_branch_free(double x) {
  const bool valid = x >= -708.0;  // false for −inf, NaN and underflow: no probability
  x = x > 0.0 ? 0.0 : x;
  x = valid ? x : 0.0;
  // x = k·ln2 + r with k = round(x / ln2) and |r| <= ln2 / 2; exp(x) = 2^k · exp(r).
  constexpr double kInvLn2 = 1.4426950408889634;
  constexpr double kShifter = 6755399441055744.0;  // 1.5 · 2^52: adding it rounds to an integer
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 in 32 bits: k · kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 − kLn2Hi
  const double shifted = x * kInvLn2 + kShifter;         // kShifter + k, k in [−1022, 0]: ulp 1
  const double k = shifted - kShifter;
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  // Taylor series to r^13/13!: the next term is below 2e-16 for |r| <= 0.347.
  double p = 1.0 / 6227020800.0;
  constexpr double kInverseFactorials[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
                                           1.0 / 40320.0,     1.0 / 5040.0,     1.0 / 720.0,     1.0 / 120.0,
                                           1.0 / 24.0,        1.0 / 6.0,        0.5,             1.0,
                                           1.0};
  for (double c : kInverseFactorials) p = p * r + c;
  // k + 1023, a normal double's biased exponent, read from the shifted value's low bits
  // (kShifter and kShifter + k share a binade whose ulp is 1): an integer subtraction, not a
  // conversion, which vectors lack before AVX-512DQ.
  const std::uint64_t exponent =
      std::bit_cast<std::uint64_t>(shifted) - std::bit_cast<std::uint64_t>(kShifter) + 1023u;
  const double y = p * std::bit_cast<double>(exponent << 52);
  return valid ? y : 0.0;
}

}  // namespace

double deterministic_exp(double x) { return exp_branch_free(x); }

void deterministic_exp(const double* x, double* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = exp_branch_free(x[i]);
}

CumulativeTable quantize(std::span<const double, 256> log_probs, std::array<double, 256>* probabilities) {
  CumulativeTable t;
  t.bits = kQuantizedBits;
  double max = -INFINITY;
  for (double lp : log_probs)
    if (std::isfinite(lp) && lp > max) max = lp;

  std::array<std::uint32_t, 256> freq;
  if (max == -INFINITY) {  // nothing usable: uniform
    freq.fill(kQuantizedTotal / 256);
    if (probabilities) probabilities->fill(1.0 / 256);
  } else {
    std::array<double, 256> w;
    for (int b = 0; b < 256; ++b) w[b] = log_probs[b] - max;
    deterministic_exp(w.data(), w.data(), w.size());  // on vectors
    double sum = 0;
    for (int b = 0; b < 256; ++b) {
      if (!std::isfinite(log_probs[b])) w[b] = 0.0;  // +inf would give exp(0)
      sum += w[b];
    }
    // sum >= 1 (the maximum contributes exp(0)). Each symbol first gets its floor share of
    // the 2^24 − 256 counts left after the minimum of 1 each.
    const double scale = static_cast<double>(kQuantizedTotal - 256) / sum;
    std::uint32_t total = 0;
    int largest = 0;
    for (int b = 0; b < 256; ++b) {
      const double share = w[b] * scale;  // <= 2^24 − 256 up to rounding
      freq[b] = 1 + (share < kQuantizedTotal - 256 ? static_cast<std::uint32_t>(share) : kQuantizedTotal - 256);
      total += freq[b];
      if (freq[b] > freq[largest]) largest = b;
      if (probabilities) (*probabilities)[b] = w[b] / sum;
    }
    // The floors leave a remainder below 256 (or, by float rounding, a tiny excess): the most
    // probable symbol (the first of equals) absorbs it, where it costs the least.
    if (total <= kQuantizedTotal) freq[largest] += kQuantizedTotal - total;
    else freq[largest] -= total - kQuantizedTotal;  // >= 2^16 before, the excess is a few counts
  }
  t.cum[0] = 0;
  for (int b = 0; b < 256; ++b) t.cum[b + 1] = t.cum[b] + freq[b];
  // Every frequency >= 1 and the total exactly 2^24. (In unsigned arithmetic cum[256] comes to
  // 2^24 even when a count wrapped: a wrap or a zero frequency shows as cum not increasing.)
  assert(t.cum[256] == kQuantizedTotal &&
         std::adjacent_find(t.cum.begin(), t.cum.end(), std::greater_equal<>()) == t.cum.end());
  return t;
}

}  // namespace zgen
