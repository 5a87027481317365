#pragma once
// The linear layers' matrix products for float on AVX2 + FMA or AVX-512: a packed, cache-blocked
// GEMM in the manner of BLIS (Goto's layering: a (KC,NC) block of B packed into column panels, a
// register tile broadcasting A in place: 6×16 on AVX2, gemm_avx2.cpp; 14×32 on AVX-512,
// gemm_avx512.cpp). On the layers' shapes (thousands of rows, 128
// to 512 columns, depth 128 to 16,384) it is faster than Eigen's general product on each of
// them (bench/bench_gemm; BENCHMARKS.md, "The transformer", stop 11).
//
// Call only where available() (isa.hpp): the CPU has AVX2 and FMA, whatever the build's -march
// (elsewhere the caller uses Eigen). The instruction set is chosen at run time (isa.hpp).
//
// Each element of C is summed over k in a fixed order that depends only on k (blocks of KC in
// order, each block in order), never on m, n or on which rows a thread was given: splitting the
// rows of C across threads gives the same bits as one thread. The AVX2 and AVX-512 tiles keep
// that order too (one fused multiply-add chain per element), so they give the same bits.
#include <cstddef>

#include "src/transformer/kernels/isa.hpp"

namespace zgen::transformer::kernels {

// C (m,n) = op(A) · op(B) [+ bias], or C += op(A) · op(B) when `accumulate` (bias then must be
// null). op(A)'s element (i,p) is A[i·a_row + p·a_col] and op(B)'s element (p,j) is
// B[p·b_row + j·b_col], so the same call multiplies by a matrix or by its transpose in place.
// `bias`, when given, is a row of n values added to every row of C.
void gemm(float* C, std::ptrdiff_t ldc,                                 // (m,n)
          const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col,   // (m,k)
          const float* B, std::ptrdiff_t b_row, std::ptrdiff_t b_col,   // (k,n)
          const float* bias,                                            // (n) or null
          int m, int n, int k, bool accumulate);

}  // namespace zgen::transformer::kernels
