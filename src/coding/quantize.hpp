#pragma once
// The one function that turns a predictor's floating-point distribution into the integer
// frequencies the arithmetic coder uses. Encoder and decoder both call it on the doubles the
// same predictor produced through the same calls, so they get the same table bit for bit.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "src/coding/arithmetic_coder.hpp"

namespace zgen {

// Tables total 2^24: large enough that the quantisation loss is ~1e-5 bits per byte, small
// enough that the coder's truncation (2^24 / range, range >= 2^32) stays negligible.
inline constexpr unsigned kQuantizedBits = 24;
inline constexpr std::uint32_t kQuantizedTotal = std::uint32_t{1} << kQuantizedBits;

// log_probs[b] = ln p(b), not necessarily normalised. Non-finite entries (−inf, NaN, +inf)
// count as "no probability"; when every entry is non-finite the result is uniform.
// The result: every frequency >= 1, cum[256] == 2^24 exactly, each frequency (up to the
// rounding) proportional to exp(log_probs[b]). Deterministic: it uses only IEEE-754 +, −, ×, /
// and integer operations (its own exp, no libm), so the table depends on the input doubles
// alone, not on the C library. When `probabilities` is given it receives the normalised
// float distribution the table was made from (for the ideal code length).
CumulativeTable quantize(std::span<const double, 256> log_probs, std::array<double, 256>* probabilities = nullptr);

// exp(x) for x <= 0 from +, −, ×, / and bit operations alone (0 below −708 and for NaN);
// relative error below 1e-15. Exposed for the tests.
double deterministic_exp(double x);
// out[i] = deterministic_exp(x[i]) for i < n, bit for bit, written without branches so that the
// compiler runs it on vectors (each lane the same IEEE operations: the same bits).
void deterministic_exp(const double* x, double* out, std::size_t n);

}  // namespace zgen
