#pragma once
// Elementary functions in double that give the same bits on every build and machine: only IEEE
// +, −, ×, / and bit operations, in a fixed order, compiled without contraction into FMAs. libm
// cannot promise that: glibc picks other code for exp, log, sin and cos on CPUs with FMA (its
// ifuncs), and results may change between versions. Whatever feeds the arithmetic coder (a
// model's probabilities) computes its logarithms and trigonometry here; exp is
// deterministic_exp (src/coding/quantize.hpp). Relative error below 1e-15 (not correctly
// rounded: the same everywhere is what matters).
namespace zgen {

// ln x; −inf at 0, NaN below 0 or for NaN, +inf at +inf.
double exact_log(double x);
// sin x and cos x for |x| < 2^19 (beyond, NaN): x reduced by π/2 in two parts (Cody and Waite),
// then Taylor polynomials on [−π/4, π/4].
double exact_sin(double x);
double exact_cos(double x);

}  // namespace zgen
