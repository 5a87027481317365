// The linear layers' packed GEMM (gemm.hpp) in AVX-512: the blocking of gemm_avx2.cpp with a
// 14×32 register tile (28 accumulators of AVX-512's 32 registers, 2 loads of B and 14 broadcasts
// of A per step of the sum) and masked loads and stores at the edges instead of scratch tiles.
// On Zen 4, which runs a 512-bit FMA as two 256-bit halves, the peak is AVX2's; the gain is in
// fewer instructions and fewer passes over B and C per multiply-add (BENCHMARKS.md, "Kernels
// chosen at run time").
//
// Each element is one chain of fused multiply-adds over k in order, blocks of kGemmKC in order,
// started from zero, the bias or C, as in gemm_avx2.cpp: the two give the same bits.
//
// Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl in every build (CMakeLists.txt),
// called only where the CPU has them (isa.cpp); intrinsics and helpers of its own only
// (simd_table.hpp says why).
#include "src/transformer/kernels/simd_table.hpp"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cassert>

namespace zgen::transformer::kernels::detail::avx512 {

namespace {

inline int min_int(int a, int b) { return a < b ? a : b; }

constexpr int kNV = 2;         // vectors of 16 floats across the register tile
constexpr int kNR = 16 * kNV;  // columns of the register tile, and of a packed panel of B
constexpr int kMR = 14;        // rows of the register tile: 2·14 accumulators + 2 of B + 1 of A
constexpr int kKC = kGemmKC;   // depth of a packed block: a B panel is kKC·32 floats (32 KB)
constexpr int kNC = kGemmNC;   // columns of a packed B block: kNC·kKC floats (256 KB, L2)
static_assert(kNC % kNR == 0, "a packed block is whole panels");

// The first `count` of 16 lanes (count clamped to [0, 16]).
inline __mmask16 lanes(int count) {
  return count >= 16 ? __mmask16(0xFFFF) : count <= 0 ? __mmask16(0) : __mmask16((1u << count) - 1);
}

// op(B) depth [p0, p0+kc) × columns [j0, j0+nc) into panels of kNR columns, each (kc, kNR):
// panel q holds B(p0 + p, j0 + q + c) at [q·kc + p·kNR + c]; columns past nc are zeros.
void pack_b(float* out, const float* B, std::ptrdiff_t b_row, std::ptrdiff_t b_col, int p0, int kc, int j0, int nc) {
  for (int q = 0; q < nc; q += kNR) {
    const int cols = min_int(kNR, nc - q);
    float* panel = out + static_cast<std::ptrdiff_t>(q) * kc;
    if (b_col == 1) {  // row-major B: a masked vector copy per 16 columns of a row
      __mmask16 mask[kNV];
      for (int v = 0; v < kNV; ++v) mask[v] = lanes(cols - 16 * v);
      for (int p = 0; p < kc; ++p) {
        const float* src = B + (p0 + p) * b_row + j0 + q;
        for (int v = 0; v < kNV; ++v)
          _mm512_storeu_ps(panel + p * kNR + 16 * v, _mm512_maskz_loadu_ps(mask[v], src + 16 * v));
      }
      continue;
    }
    for (int c = 0; c < kNR; ++c) {  // B read down its columns (a transposed operand)
      if (c >= cols) {
        for (int p = 0; p < kc; ++p) panel[p * kNR + c] = 0.0f;
        continue;
      }
      const float* src = B + p0 * b_row + (j0 + q + c) * b_col;
      for (int p = 0; p < kc; ++p) panel[p * kNR + c] = src[p * b_row];
    }
  }
}

// The register tile over one depth block, R rows (R < kMR only at the bottom edge): C[r][c] for
// the columns `mask` selects = (kLoad ? C : init) + Σ_p A(r,p)·Bp[p][c], A's element (r,p) at
// A[r·a_row + p·a_col] read in place. Nothing outside C's R rows and masked columns is read or
// written (masked lanes of a load do not fault).
template <int R, bool kLoad>
void kernel(int kc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col, const float* Bp, float* C,
            std::ptrdiff_t ldc, const __mmask16* mask, const __m512* init) {
  __m512 acc[R][kNV];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v)
      acc[r][v] = kLoad ? _mm512_maskz_loadu_ps(mask[v], C + r * ldc + 16 * v) : init[v];
  const float* a = A;
#pragma GCC unroll 2
  for (int p = 0; p < kc; ++p, a += a_col, Bp += kNR) {
    __m512 b[kNV];
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) b[v] = _mm512_loadu_ps(Bp + 16 * v);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 x = _mm512_set1_ps(a[r * a_row]);
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_fmadd_ps(x, b[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) _mm512_mask_storeu_ps(C + r * ldc + 16 * v, mask[v], acc[r][v]);
}

using Kernel = void (*)(int, const float*, std::ptrdiff_t, std::ptrdiff_t, const float*, float*, std::ptrdiff_t,
                        const __mmask16*, const __m512*);
// kernel<R, kLoad> by R = 1 .. kMR (index R).
template <bool kLoad>
constexpr Kernel kKernels[kMR + 1] = {
    nullptr,           kernel<1, kLoad>,  kernel<2, kLoad>,  kernel<3, kLoad>,  kernel<4, kLoad>,
    kernel<5, kLoad>,  kernel<6, kLoad>,  kernel<7, kLoad>,  kernel<8, kLoad>,  kernel<9, kLoad>,
    kernel<10, kLoad>, kernel<11, kLoad>, kernel<12, kLoad>, kernel<13, kLoad>, kernel<14, kLoad>};
static_assert(kMR == 14, "kKernels lists a kernel per row count");

}  // namespace

void gemm(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col, const float* B,
          std::ptrdiff_t b_row, std::ptrdiff_t b_col, const float* bias, int m, int n, int k, bool accumulate,
          float* Bp) {
  assert(m >= 0 && n >= 0 && k > 0 && !(accumulate && bias));  // k == 0: gemm.cpp
  for (int p0 = 0; p0 < k; p0 += kKC) {
    const int kc = min_int(kKC, k - p0);
    // The first block of the sum starts from zero or the bias; later blocks (and accumulate) from C.
    const bool load = p0 > 0 || accumulate;
    for (int j0 = 0; j0 < n; j0 += kNC) {
      const int nc = min_int(kNC, n - j0);
      pack_b(Bp, B, b_row, b_col, p0, kc, j0, nc);
      for (int i = 0; i < m; i += kMR) {  // 14 rows of A (at depth kc) stay in L1 while ...
        const int mr = min_int(kMR, m - i);
        const Kernel run = load ? kKernels<true>[mr] : kKernels<false>[mr];
        for (int q = 0; q < nc; q += kNR) {  // ... the block's B panels stream from L2
          __mmask16 mask[kNV];
          __m512 init[kNV];
          for (int v = 0; v < kNV; ++v) {
            mask[v] = lanes(nc - q - 16 * v);
            init[v] = bias && !load ? _mm512_maskz_loadu_ps(mask[v], bias + j0 + q + 16 * v) : _mm512_setzero_ps();
          }
          run(kc, A + i * a_row + p0 * a_col, a_row, a_col, Bp + static_cast<std::ptrdiff_t>(q) * kc,
              C + i * ldc + j0 + q, ldc, mask, init);
        }
      }
    }
  }
}

}  // namespace zgen::transformer::kernels::detail::avx512

#endif
