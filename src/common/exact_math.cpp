#include "src/common/exact_math.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace zgen {

double exact_log(double x) {
  if (!(x > 0.0)) return x == 0.0 ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  if (x == std::numeric_limits<double>::infinity()) return x;
  std::int64_t e = 0;
  if (x < 2.2250738585072014e-308) {  // subnormal: scale into the normal range first
    x *= 18014398509481984.0;         // 2^54
    e = -54;
  }
  const auto bits = std::bit_cast<std::uint64_t>(x);
  e += static_cast<std::int64_t>(bits >> 52) - 1023;
  // x = 2^e · m with m in [√½, √2): ln x = e·ln 2 + 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.1716.
  double m = std::bit_cast<double>((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);  // [1, 2)
  if (m > 1.4142135623730951) {
    m *= 0.5;
    ++e;
  }
  const double s = (m - 1.0) / (m + 1.0), s2 = s * s;
  // 2·atanh(s) = 2s·(1 + s²/3 + s⁴/5 + …), to s²¹/21: the next term is below 1e-18 of the sum.
  double p = 1.0 / 23.0;
  constexpr double kOdd[] = {1.0 / 21.0, 1.0 / 19.0, 1.0 / 17.0, 1.0 / 15.0, 1.0 / 13.0, 1.0 / 11.0,
                             1.0 / 9.0,  1.0 / 7.0,  1.0 / 5.0,  1.0 / 3.0,  1.0};
  for (double c : kOdd) p = p * s2 + c;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 in 32 bits: e · kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 − kLn2Hi
  const double ed = static_cast<double>(e);
  return ed * kLn2Hi + (ed * kLn2Lo + 2.0 * s * p);
}

namespace {

// sin r and cos r for |r| ≤ π/4 (plus rounding): Taylor series to r¹⁹ and r¹⁸, whose next terms
// are below 1e-19.
double sin_poly(double r) {
  const double r2 = r * r;
  double p = -1.0 / 121645100408832000.0;  // −1/19!
  constexpr double kCoefficients[] = {1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0,
                                      -1.0 / 39916800.0,       1.0 / 362880.0,         -1.0 / 5040.0,
                                      1.0 / 120.0,             -1.0 / 6.0};
  for (double c : kCoefficients) p = p * r2 + c;
  return r + r * r2 * p;
}

double cos_poly(double r) {
  const double r2 = r * r;
  double p = -1.0 / 6402373705728000.0;  // −1/18!
  constexpr double kCoefficients[] = {1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0,
                                      -1.0 / 3628800.0,       1.0 / 40320.0,        -1.0 / 720.0,
                                      1.0 / 24.0};
  for (double c : kCoefficients) p = p * r2 + c;
  return (1.0 - 0.5 * r2) + r2 * r2 * p;
}

// x = k·π/2 + r, |r| ≤ π/4 (plus rounding); returns r and k mod 4 in *quadrant, or false when
// |x| is too large for the two-part reduction to stay exact.
bool reduce(double x, double* r, int* quadrant) {
  if (!(std::abs(x) < 524288.0)) return false;  // 2^19 (and NaN)
  constexpr double kTwoOverPi = 6.36619772367581382433e-01;
  constexpr double kShifter = 6755399441055744.0;           // 1.5 · 2^52
  constexpr double kPiOver2Hi = 1.57079632673412561417e+00;  // π/2 in 33 bits: k · kPiOver2Hi is exact for k < 2^20
  constexpr double kPiOver2Lo = 6.07710050650619224932e-11;  // π/2 − kPiOver2Hi
  const double k = (x * kTwoOverPi + kShifter) - kShifter;
  *r = (x - k * kPiOver2Hi) - k * kPiOver2Lo;
  *quadrant = static_cast<int>(static_cast<std::int64_t>(k) & 3);
  return true;
}

}  // namespace

double exact_sin(double x) {
  double r;
  int q;
  if (!reduce(x, &r, &q)) return std::numeric_limits<double>::quiet_NaN();
  switch (q) {
    case 0: return sin_poly(r);
    case 1: return cos_poly(r);
    case 2: return -sin_poly(r);
    default: return -cos_poly(r);
  }
}

double exact_cos(double x) {
  double r;
  int q;
  if (!reduce(x, &r, &q)) return std::numeric_limits<double>::quiet_NaN();
  switch (q) {
    case 0: return cos_poly(r);
    case 1: return -sin_poly(r);
    case 2: return -cos_poly(r);
    default: return sin_poly(r);
  }
}

}  // namespace zgen
