// Attention's kernels (attention.hpp) in AVX2 + FMA (+ F16C for the half-precision stores).
// Compiled with -mavx2 -mfma -mf16c in every build (CMakeLists.txt), called only where the CPU
// has them (isa.cpp); intrinsics and helpers of its own only (simd_table.hpp says why):
// std::integral_constant is a type, no code.
#include "src/transformer/kernels/simd_table.hpp"
#include "src/transformer/kernels/exp_lanes.hpp"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cassert>
#include <cstdint>
#include <type_traits>

namespace zgen::transformer::kernels::detail::avx2 {

namespace {

inline int min_int(int a, int b) { return a < b ? a : b; }
inline void copy_floats(const float* from, const float* to, float* out) {
  while (from != to) *out++ = *from++;
}
inline void fill_zero(float* from, const float* to) {
  while (from != to) *from++ = 0.0f;
}

// Columns of Bᵀ (rows of B) per block of gemm_abt, and rows of B per block of gemm_ab: a block
// of the streamed operand is k · 128 floats (16 KB at k = 32), which stays in L1 while every
// row of the other operand passes over it.
constexpr int kBlock = 128;

// Calls tile(i, rows) for rows i .. i + R − 1 of [0, m): R = 6 while six rows remain, then once
// with the 1–5 left over (rows is std::integral_constant<int, R>, so each R is its own loop).
template <typename Tile>
void for_row_tiles(int m, Tile&& tile) {
  int i = 0;
  for (; i + 6 <= m; i += 6) tile(i, std::integral_constant<int, 6>{});
  switch (m - i) {
    case 5: tile(i, std::integral_constant<int, 5>{}); break;
    case 4: tile(i, std::integral_constant<int, 4>{}); break;
    case 3: tile(i, std::integral_constant<int, 3>{}); break;
    case 2: tile(i, std::integral_constant<int, 2>{}); break;
    case 1: tile(i, std::integral_constant<int, 1>{}); break;
    default: break;
  }
}

// S[r][0..16) = Σ_d A[r][d] · Bt[d][0..16) for r < R, Bt one (k,16) panel: 2R accumulators,
// 2 loads and R broadcasts per d (R = 6 fills 15 of AVX2's 16 registers).
template <int R>
inline void abt_tile(float* S, std::ptrdiff_t lds, const float* A, std::ptrdiff_t lda, const float* Bt, int k) {
  __m256 acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
#pragma GCC unroll 4  // as in gemm.cpp: the loop's own instructions slow a rolled loop
  for (int d = 0; d < k; ++d) {
    const __m256 b0 = _mm256_loadu_ps(Bt + d * 16), b1 = _mm256_loadu_ps(Bt + d * 16 + 8);
    for (int r = 0; r < R; ++r) {
      const __m256 a = _mm256_broadcast_ss(A + r * lda + d);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < R; ++r) {
    _mm256_storeu_ps(S + r * lds, acc[r][0]);
    _mm256_storeu_ps(S + r * lds + 8, acc[r][1]);
  }
}

// Columns j_begin .. j_end − 1 (multiples of 16) of R rows of S, from the panels at Bt.
template <int R>
void abt_rows(float* S, std::ptrdiff_t lds, const float* A, std::ptrdiff_t lda, const float* Bt, int j_begin,
              int j_end, int n, int k) {
  for (int j0 = j_begin; j0 < j_end; j0 += 16) {
    const float* panel = Bt + static_cast<std::ptrdiff_t>(j0) * k;  // (k,16)
    if (j0 + 16 <= n) {
      abt_tile<R>(S + j0, lds, A, lda, panel, k);
    } else {  // the last, partial 16 columns: through a scratch tile (S may end at column n)
      alignas(32) float tile[R * 16];
      abt_tile<R>(tile, 16, A, lda, panel, k);
      for (int r = 0; r < R; ++r) copy_floats(tile + r * 16, tile + r * 16 + (n - j0), S + r * lds + j0);
    }
  }
}

// C[r][0..8·NV) (+)= Σ_{j<n} A(r, j) · B[j][0..8·NV) for r < R: 2R accumulators at NV = 2, 2 loads
// and R broadcasts per j, as in abt_tile.
template <int R, int NV>
inline void ab_tile(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col,
                    const float* B, std::ptrdiff_t ldb, int n, bool load) {
  __m256 acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = load ? _mm256_loadu_ps(C + r * ldc + 8 * v) : _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int j = 0; j < n; ++j) {
    __m256 b[NV];
    for (int v = 0; v < NV; ++v) b[v] = _mm256_loadu_ps(B + j * ldb + 8 * v);
    for (int r = 0; r < R; ++r) {
      const __m256 a = _mm256_broadcast_ss(A + r * a_row + j * a_col);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(a, b[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(C + r * ldc + 8 * v, acc[r][v]);
}

// out[c][r] = in[r][c] for an 8 × 8 block: unpack pairs, then quads, then swap 128-bit halves.
inline void transpose8x8(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(in + i * ldi);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3 | a6 b6 a7 b7
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);      // a0 b0 c0 d0 | a4 b4 c4 d4
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);  // a1 b1 c1 d1 | a5 ...
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {  // column i from rows 0–3 (r[i]) and rows 4–7 (r[i + 4])
    _mm256_storeu_ps(out + i * ldo, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(out + (i + 4) * ldo, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}

}  // namespace

// TransposedPanel's layout (attention.hpp) into `out`, already zeroed.
void transpose_panel(float* out, const float* B, std::ptrdiff_t ldb, int n, int k) {
  const int n8 = k % 8 == 0 ? n / 8 * 8 : 0;  // whole 8 × 8 blocks, transposed in registers
  for (int j = 0; j < n8; j += 8) {
    float* panel = out + static_cast<std::ptrdiff_t>(j / 16) * k * 16 + j % 16;  // (k,16), row stride 16
    for (int d = 0; d < k; d += 8) transpose8x8(panel + d * 16, 16, B + j * ldb + d, ldb);
  }
  for (int j = n8; j < n; ++j) {
    float* panel = out + static_cast<std::ptrdiff_t>(j / 16) * k * 16 + j % 16;
    for (int d = 0; d < k; ++d) panel[d * 16] = B[j * ldb + d];
  }
}

void gemm_abt(float* S, std::ptrdiff_t lds, const float* A, std::ptrdiff_t lda, const float* P, int m, int n, int k) {
  const int n16 = (n + 15) / 16 * 16;
  // P: the panels from column col0 on; columns past col0 + n are B's later rows or zeros: read,
  // never stored.
  for (int jb = 0; jb < n16; jb += kBlock) {
    const int je = min_int(n16, jb + kBlock);
    for_row_tiles(m, [&](int i, auto rows) {
      abt_rows<decltype(rows)::value>(S + i * lds, lds, A + i * lda, lda, P, jb, je, n, k);
    });
  }
}

// StripPanel's layout (attention.hpp) into `out`, n·k floats.
void strip_panel(float* out, const float* B, std::ptrdiff_t ldb, int n, int k) {
  for (int c0 = 0; c0 < k; c0 += 16) {
    float* strip = out + static_cast<std::ptrdiff_t>(c0) * n;
    if (k - c0 >= 16) {
      for (int j = 0; j < n; ++j) {
        _mm256_storeu_ps(strip + j * 16, _mm256_loadu_ps(B + j * ldb + c0));
        _mm256_storeu_ps(strip + j * 16 + 8, _mm256_loadu_ps(B + j * ldb + c0 + 8));
      }
    } else {
      for (int j = 0; j < n; ++j) _mm256_storeu_ps(strip + j * 8, _mm256_loadu_ps(B + j * ldb + c0));
    }
  }
}

void gemm_ab(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col,
             const float* strips, int rows, int k, int m, int n, bool accumulate, int row0) {
  if (n == 0 && !accumulate) {
    for (int i = 0; i < m; ++i) fill_zero(C + i * ldc, C + i * ldc + k);
    return;
  }
  for (int c = 0; c < k; c += 16) {  // column strips of two vectors (one at the end when k % 16 == 8)
    const int width = min_int(16, k - c);
    const float* strip = strips + static_cast<std::ptrdiff_t>(c) * rows + static_cast<std::ptrdiff_t>(row0) * width;
    for (int jb = 0; jb < n; jb += kBlock) {  // kBlock rows of the strip (8 KB) stay in L1 while A's rows pass
      const int je = min_int(n, jb + kBlock);
      const float* Bb = strip + static_cast<std::ptrdiff_t>(jb) * width;
      const float* Ab = A + jb * a_col;  // A's columns jb..je−1, against the strip's rows jb..je−1
      const bool load = accumulate || jb > 0;
      for_row_tiles(m, [&](int i, auto tile_rows) {
        constexpr int R = decltype(tile_rows)::value;
        float* Ci = C + i * ldc + c;
        const float* Ai = Ab + i * a_row;
        if (width == 16) ab_tile<R, 2>(Ci, ldc, Ai, a_row, a_col, Bb, 16, je - jb, load);
        else ab_tile<R, 1>(Ci, ldc, Ai, a_row, a_col, Bb, 8, je - jb, load);
      });
    }
  }
}

namespace {

// The eight lanes' sums of eight vectors: result[r] = Σ lanes of a[r].
inline __m256 sum_lanes8(const __m256 a[8]) {
  const __m256 s01 = _mm256_hadd_ps(a[0], a[1]), s23 = _mm256_hadd_ps(a[2], a[3]);
  const __m256 s45 = _mm256_hadd_ps(a[4], a[5]), s67 = _mm256_hadd_ps(a[6], a[7]);
  const __m256 s0123 = _mm256_hadd_ps(s01, s23), s4567 = _mm256_hadd_ps(s45, s67);
  // s0123 = [r0 r1 r2 r3 | r0 r1 r2 r3] (low and high halves' partial sums), likewise s4567.
  const __m256 lo = _mm256_permute2f128_ps(s0123, s4567, 0x20), hi = _mm256_permute2f128_ps(s0123, s4567, 0x31);
  return _mm256_add_ps(lo, hi);
}

// decode_scores for a head of NV vectors (k = 8·NV), q held in registers. Rows come in groups
// of eight, each row's dot product as eight lane partial sums, the group reduced together; the
// last 1–7 rows run the same arithmetic with zero rows in the unused lanes. With `accumulate`
// the sums are added to s (one strip of a head wider than 64).
template <int NV>
void scores_nv(float* s, const float* q, const float* K, std::ptrdiff_t ldk, int n, bool accumulate) {
  __m256 qv[NV];
  for (int v = 0; v < NV; ++v) qv[v] = _mm256_loadu_ps(q + 8 * v);
  auto dot = [&](const float* row) {
    __m256 acc = _mm256_mul_ps(qv[0], _mm256_loadu_ps(row));
    for (int v = 1; v < NV; ++v) acc = _mm256_fmadd_ps(qv[v], _mm256_loadu_ps(row + 8 * v), acc);
    return acc;
  };
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 acc[8];
    for (int r = 0; r < 8; ++r) acc[r] = dot(K + (j + r) * ldk);
    const __m256 sums = sum_lanes8(acc);
    _mm256_storeu_ps(s + j, accumulate ? _mm256_add_ps(_mm256_loadu_ps(s + j), sums) : sums);
  }
  if (j < n) {
    __m256 acc[8];
    for (int r = 0; r < 8; ++r) acc[r] = j + r < n ? dot(K + (j + r) * ldk) : _mm256_setzero_ps();
    alignas(32) float tail[8];
    _mm256_store_ps(tail, sum_lanes8(acc));
    for (int r = 0; r < n - j; ++r) s[j + r] = accumulate ? s[j + r] + tail[r] : tail[r];
  }
}

// out[0..8·NV) = Σ_j p[j] · V[j][0..8·NV): even and odd rows in separate accumulators (two
// independent FMA chains per vector), added at the end.
template <int NV>
void weighted_sum_nv(float* out, const float* p, const float* V, std::ptrdiff_t ldv, int n) {
  __m256 even[NV], odd[NV];
  for (int v = 0; v < NV; ++v) even[v] = odd[v] = _mm256_setzero_ps();
  int j = 0;
  for (; j + 2 <= n; j += 2) {
    const __m256 p0 = _mm256_broadcast_ss(p + j), p1 = _mm256_broadcast_ss(p + j + 1);
    const float* v0 = V + j * ldv;
    const float* v1 = v0 + ldv;
    for (int v = 0; v < NV; ++v) {
      even[v] = _mm256_fmadd_ps(p0, _mm256_loadu_ps(v0 + 8 * v), even[v]);
      odd[v] = _mm256_fmadd_ps(p1, _mm256_loadu_ps(v1 + 8 * v), odd[v]);
    }
  }
  if (j < n) {
    const __m256 p0 = _mm256_broadcast_ss(p + j);
    for (int v = 0; v < NV; ++v) even[v] = _mm256_fmadd_ps(p0, _mm256_loadu_ps(V + j * ldv + 8 * v), even[v]);
  }
  for (int v = 0; v < NV; ++v) _mm256_storeu_ps(out + 8 * v, _mm256_add_ps(even[v], odd[v]));
}

// Calls fn(integral_constant<NV>, column) for strips of the k columns: four vectors at a time,
// then the 1–3 left over.
template <typename Fn>
void for_column_strips(int k, Fn&& fn) {
  int c = 0;
  for (; c + 32 <= k; c += 32) fn(std::integral_constant<int, 4>{}, c);
  switch ((k - c) / 8) {
    case 3: fn(std::integral_constant<int, 3>{}, c); break;
    case 2: fn(std::integral_constant<int, 2>{}, c); break;
    case 1: fn(std::integral_constant<int, 1>{}, c); break;
    default: break;
  }
}

}  // namespace

float exp_scaled_sum(float* x, std::ptrdiff_t n, float scale, float shift) {
  const __m256 vscale = _mm256_set1_ps(scale), vshift = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  std::ptrdiff_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 y = exp8(_mm256_fmsub_ps(_mm256_loadu_ps(x + i), vscale, vshift));
    _mm256_storeu_ps(x + i, y);
    acc = _mm256_add_ps(acc, y);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  float sum = 0;
  for (float lane : lanes) sum += lane;
  if (i < n) {  // the last values through the same arithmetic, padded
    const int rest = static_cast<int>(n - i);
    alignas(32) float tail[8] = {};
    copy_floats(x + i, x + n, tail);
    _mm256_store_ps(tail, exp8(_mm256_fmsub_ps(_mm256_load_ps(tail), vscale, vshift)));
    for (int j = 0; j < rest; ++j) sum += (x[i + j] = tail[j]);
  }
  return sum;
}

void store_half(std::uint16_t* dst, const float* src, int n, int n_padded, float mul) {
  assert(0 <= n && n <= n_padded && n_padded % 8 == 0 && reinterpret_cast<std::uintptr_t>(dst) % 16 == 0);
  // Streaming stores: the values are read again only in the backward pass, after the rest of
  // the network, so they bypass the caches (and the read a normal store makes of each line).
  const __m256 vmul = _mm256_set1_ps(mul);
  auto put = [&](int j, __m256 v) {
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + j), _mm256_cvtps_ph(_mm256_mul_ps(v, vmul), _MM_FROUND_TO_NEAREST_INT));
  };
  int j = 0;
  for (; j + 8 <= n; j += 8) put(j, _mm256_loadu_ps(src + j));
  if (j < n) {  // the last values, padded with zeros
    alignas(32) float tail[8] = {};
    copy_floats(src + j, src + n, tail);
    put(j, _mm256_load_ps(tail));
    j += 8;
  }
  for (; j < n_padded; j += 8) _mm_stream_si128(reinterpret_cast<__m128i*>(dst + j), _mm_setzero_si128());
}

void finish_half_stores() { _mm_sfence(); }

void prefetch_half(const std::uint16_t* src, int n) {
  const char* p = reinterpret_cast<const char*>(src);
  for (int b = 0; b < 2 * n; b += 64) _mm_prefetch(p + b, _MM_HINT_T1);
}

void load_half(float* dst, const std::uint16_t* src, int n) {
  assert(n >= 0);
  int j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(dst + j, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + j))));
  if (j < n) {
    alignas(16) std::uint16_t half[8] = {};
    for (int i = j; i < n; ++i) half[i - j] = src[i];
    alignas(32) float tail[8];
    _mm256_store_ps(tail, _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(half))));
    copy_floats(tail, tail + (n - j), dst + j);
  }
}

void decode_scores(float* s, const float* q, const float* K, std::ptrdiff_t ldk, int n, int k) {
  assert(k % 8 == 0 && n >= 0);
  // One pass over the rows for head sizes up to 64 (strips of 4 vectors, then the rest, would
  // split them); a wider head adds its strips' sums, one pass each.
  auto pass = [&](auto nv, int c, bool accumulate) {
    scores_nv<decltype(nv)::value>(s, q + c, K + c, ldk, n, accumulate);
  };
  switch (k / 8) {
    case 5: return pass(std::integral_constant<int, 5>{}, 0, false);
    case 6: return pass(std::integral_constant<int, 6>{}, 0, false);
    case 7: return pass(std::integral_constant<int, 7>{}, 0, false);
    case 8: return pass(std::integral_constant<int, 8>{}, 0, false);
    default: break;
  }
  for_column_strips(k, [&](auto nv, int c) { pass(nv, c, c > 0); });
}

void decode_weighted_sum(float* out, const float* p, const float* V, std::ptrdiff_t ldv, int n, int k) {
  assert(k % 8 == 0 && n >= 0);
  for_column_strips(k, [&](auto nv, int c) { weighted_sum_nv<decltype(nv)::value>(out + c, p, V + c, ldv, n); });
}

}  // namespace zgen::transformer::kernels::detail::avx2

#endif
