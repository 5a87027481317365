// Attention's products and exponentials (attention.hpp) in AVX-512: a 16-column panel of Kᵀ or a
// 16-column strip of B is one register, so a register tile covers 14 rows × 32 columns (28
// accumulators), against AVX2's 6 × 16; partial tiles store through masks instead of scratch.
// The panels' and strips' layouts are AVX2's (attention_avx2.cpp builds them, and keeps the
// half-precision stores and the decoding products).
//
// Each output element is summed over the shared index in order, as in attention_avx2.cpp; the
// exponentials' sum runs over 16 lanes instead of 8, so rounding differs from AVX2's.
//
// Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl in every build (CMakeLists.txt),
// called only where the CPU has them (isa.cpp); intrinsics and helpers of its own only
// (simd_table.hpp says why): std::integral_constant is a type, no code.
#include "src/transformer/kernels/simd_table.hpp"

#if defined(__x86_64__)
// GCC 12 reports the _mm512_undefined_ps() inside _mm512_min_ps, _mm512_roundscale_ps and others
// as "may be used uninitialized" (its bug 105593); the intrinsics set every lane.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "src/transformer/kernels/exp_lanes.hpp"

#include <cassert>
#include <type_traits>

namespace zgen::transformer::kernels::detail::avx512 {

namespace {

inline int min_int(int a, int b) { return a < b ? a : b; }

// The first `count` of 16 lanes (count clamped to [0, 16]).
inline __mmask16 lanes(int count) {
  return count >= 16 ? __mmask16(0xFFFF) : count <= 0 ? __mmask16(0) : __mmask16((1u << count) - 1);
}

// As in attention_avx2.cpp: the streamed operand's block (k · 128 floats) stays in L1.
constexpr int kBlock = 128;
constexpr int kRows = 14;  // rows of a register tile: 2 · 14 accumulators, 2 loads, 1 broadcast

// tile(i, integral_constant<R>) for rows i .. i + R − 1 where R == rows, 1 <= rows <= kRows.
template <int R, typename Tile>
void tail_tile(int rows, int i, Tile& tile) {
  if constexpr (R > 0) {
    if (rows == R) return tile(i, std::integral_constant<int, R>{});
    tail_tile<R - 1>(rows, i, tile);
  }
}

// Calls tile(i, rows) for rows i .. i + R − 1 of [0, m): R = kRows while that many remain, then
// once with the rest.
template <typename Tile>
void for_row_tiles(int m, Tile&& tile) {
  int i = 0;
  for (; i + kRows <= m; i += kRows) tile(i, std::integral_constant<int, kRows>{});
  if (i < m) tail_tile<kRows - 1>(m - i, i, tile);
}

// S[r][16v + c] = Σ_d A[r][d] · panel_v[d][c] for r < R, v < NP, the lanes `mask` selects
// stored; panel v is the (k,16) block at P + v·16k.
template <int R, int NP>
inline void abt_tile(float* S, std::ptrdiff_t lds, const float* A, std::ptrdiff_t lda, const float* P, int k,
                     const __mmask16* mask) {
  __m512 acc[R][NP];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NP; ++v) acc[r][v] = _mm512_setzero_ps();
  const std::ptrdiff_t panel = static_cast<std::ptrdiff_t>(16) * k;
#pragma GCC unroll 2
  for (int d = 0; d < k; ++d) {
    __m512 b[NP];
#pragma GCC unroll 2
    for (int v = 0; v < NP; ++v) b[v] = _mm512_loadu_ps(P + v * panel + d * 16);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 a = _mm512_set1_ps(A[r * lda + d]);
#pragma GCC unroll 2
      for (int v = 0; v < NP; ++v) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NP; ++v) _mm512_mask_storeu_ps(S + r * lds + 16 * v, mask[v], acc[r][v]);
}

// Columns j_begin .. j_end − 1 (multiples of 16) of R rows of S, from the panels at P: two
// panels a tile while two remain, then one; columns from n on are not stored.
template <int R>
void abt_rows(float* S, std::ptrdiff_t lds, const float* A, std::ptrdiff_t lda, const float* P, int j_begin,
              int j_end, int n, int k) {
  int j0 = j_begin;
  for (; j0 + 32 <= j_end; j0 += 32) {
    const __mmask16 mask[2] = {lanes(n - j0), lanes(n - j0 - 16)};
    abt_tile<R, 2>(S + j0, lds, A, lda, P + static_cast<std::ptrdiff_t>(j0) * k, k, mask);
  }
  if (j0 < j_end) {
    const __mmask16 mask[1] = {lanes(n - j0)};
    abt_tile<R, 1>(S + j0, lds, A, lda, P + static_cast<std::ptrdiff_t>(j0) * k, k, mask);
  }
}

// C[r][columns of strip v] (+)= Σ_{j<n} A(r, j) · strip_v[j] for r < R, v < NS: strip v's row j
// is at B[v] + j·width[v] (16 or 8 floats), `mask[v]` selects its width.
template <int R, int NS>
inline void ab_tile(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col,
                    const float* const* B, const int* width, const __mmask16* mask, int n, bool load) {
  __m512 acc[R][NS];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NS; ++v)
      acc[r][v] = load ? _mm512_maskz_loadu_ps(mask[v], C + r * ldc + 16 * v) : _mm512_setzero_ps();
  const float* b[NS];
  std::ptrdiff_t w[NS];
  for (int v = 0; v < NS; ++v) b[v] = B[v], w[v] = width[v];
#pragma GCC unroll 2
  for (int j = 0; j < n; ++j) {
    __m512 bv[NS];
#pragma GCC unroll 2
    for (int v = 0; v < NS; ++v) bv[v] = _mm512_maskz_loadu_ps(mask[v], b[v] + j * w[v]);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 a = _mm512_set1_ps(A[r * a_row + j * a_col]);
#pragma GCC unroll 2
      for (int v = 0; v < NS; ++v) acc[r][v] = _mm512_fmadd_ps(a, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NS; ++v) _mm512_mask_storeu_ps(C + r * ldc + 16 * v, mask[v], acc[r][v]);
}

}  // namespace

void gemm_abt(float* S, std::ptrdiff_t lds, const float* A, std::ptrdiff_t lda, const float* P, int m, int n, int k) {
  const int n16 = (n + 15) / 16 * 16;
  for (int jb = 0; jb < n16; jb += kBlock) {
    const int je = min_int(n16, jb + kBlock);
    for_row_tiles(m, [&](int i, auto rows) {
      abt_rows<decltype(rows)::value>(S + i * lds, lds, A + i * lda, lda, P, jb, je, n, k);
    });
  }
}

void gemm_ab(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col,
             const float* strips, int rows, int k, int m, int n, bool accumulate, int row0) {
  if (n == 0 && !accumulate) {
    for (int i = 0; i < m; ++i)
      for (int c = 0; c < k; ++c) C[i * ldc + c] = 0.0f;
    return;
  }
  for (int c = 0; c < k; c += 32) {  // two strips (32 columns) at a time, or the one or two left
    const float* strip[2];
    int width[2] = {0, 0};
    __mmask16 mask[2] = {0, 0};
    int count = 0;
    for (int v = 0; v < 2 && c + 16 * v < k; ++v, ++count) {
      const int c0 = c + 16 * v;
      width[v] = min_int(16, k - c0);  // 8 for the last strip where k % 16 == 8
      mask[v] = lanes(width[v]);
      strip[v] = strips + static_cast<std::ptrdiff_t>(c0) * rows + static_cast<std::ptrdiff_t>(row0) * width[v];
    }
    for (int jb = 0; jb < n; jb += kBlock) {  // kBlock rows of the strips stay in L1 while A's rows pass
      const int je = min_int(n, jb + kBlock);
      const float* block[2] = {strip[0] + static_cast<std::ptrdiff_t>(jb) * width[0],
                               count > 1 ? strip[1] + static_cast<std::ptrdiff_t>(jb) * width[1] : nullptr};
      const float* Ab = A + jb * a_col;  // A's columns jb..je−1, against the strips' rows jb..je−1
      const bool load = accumulate || jb > 0;
      for_row_tiles(m, [&](int i, auto tile_rows) {
        constexpr int R = decltype(tile_rows)::value;
        float* Ci = C + i * ldc + c;
        const float* Ai = Ab + i * a_row;
        if (count == 2) ab_tile<R, 2>(Ci, ldc, Ai, a_row, a_col, block, width, mask, je - jb, load);
        else ab_tile<R, 1>(Ci, ldc, Ai, a_row, a_col, block, width, mask, je - jb, load);
      });
    }
  }
}

float exp_scaled_sum(float* x, std::ptrdiff_t n, float scale, float shift) {
  const __m512 vscale = _mm512_set1_ps(scale), vshift = _mm512_set1_ps(shift);
  __m512 acc = _mm512_setzero_ps();
  std::ptrdiff_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 y = exp16(_mm512_fmsub_ps(_mm512_loadu_ps(x + i), vscale, vshift));
    _mm512_storeu_ps(x + i, y);
    acc = _mm512_add_ps(acc, y);
  }
  alignas(64) float lanes_sum[16];
  _mm512_store_ps(lanes_sum, acc);
  float sum = 0;
  for (float lane : lanes_sum) sum += lane;
  if (i < n) {  // the last values through the same arithmetic, masked
    const __mmask16 rest = lanes(static_cast<int>(n - i));
    const __m512 y = exp16(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(rest, x + i), vscale, vshift));
    _mm512_mask_storeu_ps(x + i, rest, y);
    alignas(64) float tail[16];
    _mm512_store_ps(tail, y);
    for (int j = 0; j < n - i; ++j) sum += tail[j];
  }
  return sum;
}

}  // namespace zgen::transformer::kernels::detail::avx512

#endif
