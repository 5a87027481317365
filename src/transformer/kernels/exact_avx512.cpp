// The canonical kernels (exact.hpp) in AVX-512: the linear layers and GELU, whose vectors run
// across outputs and elements, so a 16-lane register holds sixteen independent chains, each the
// same chain as in exact.cpp and exact_avx2.cpp: the same bits. Attention, whose dot products
// are defined on 8 lanes, holds two keys a register (each half one key's eight chains) and
// weights the values on 16 columns a register. Compiled with -mavx512f (and AVX2, FMA) in every
// build (CMakeLists.txt) and called only where the CPU has AVX-512F (exact.cpp checks at run time).
// Intrinsics and static helpers only: see exact_impl.hpp for why.
#include "src/transformer/kernels/exact_impl.hpp"

#if defined(__x86_64__)
// GCC 12 reports the _mm512_undefined_ps() and _pd() inside _mm512_min_ps,
// _mm512_broadcast_f64x4 and others as "(may be) used uninitialized" (its bug 105593); the
// intrinsics set every lane.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include "src/transformer/kernels/exp_lanes.hpp"

#include <cstdint>

namespace zgen::transformer::exact::detail {

namespace {

inline int min_int(int a, int b) { return a < b ? a : b; }

// ---------------------------------------------------------------------------------------------
// Linear layers: R rows × P panels of 16 outputs, R·P accumulators of 16 lanes, each lane an fma
// chain over k from the bias. Outputs past the matrix's rows (the last panel) are masked off.

inline __m512 wload(const float* at) { return _mm512_loadu_ps(at); }
inline __m512 wload(const unsigned short* at) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at)));
}

template <int R, int P, typename T>
inline void linear_tile(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const T* panels,
                        const float* bias, int q0, int rows, int depth) {
  __m512 acc[R][P];
  for (int p = 0; p < P; ++p) {
    const __m512 b = _mm512_loadu_ps(bias + 16 * (q0 + p));
    for (int r = 0; r < R; ++r) acc[r][p] = b;
  }
  const T* base = panels + static_cast<std::ptrdiff_t>(q0) * depth * 16;
  const std::ptrdiff_t panel_size = static_cast<std::ptrdiff_t>(depth) * 16;
  for (int k = 0; k < depth; ++k) {
    __m512 a[R];
    for (int r = 0; r < R; ++r) a[r] = _mm512_set1_ps(in[r * ldi + k]);
    for (int p = 0; p < P; ++p) {
      const __m512 w = wload(base + p * panel_size + k * 16);
      for (int r = 0; r < R; ++r) acc[r][p] = _mm512_fmadd_ps(a[r], w, acc[r][p]);
    }
  }
  const int col0 = 16 * q0;
  for (int p = 0; p < P; ++p) {
    const int cols = min_int(16, rows - col0 - 16 * p);
    const __mmask16 mask = cols >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << cols) - 1u);
    for (int r = 0; r < R; ++r) _mm512_mask_storeu_ps(out + r * ldo + col0 + 16 * p, mask, acc[r][p]);
  }
}

// R rows against every panel, P panels at a time (the rest one at a time).
template <int R, int P, typename T>
inline void rows_by_panels(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const T* panels,
                           const float* bias, int rows, int depth, int np) {
  int q = 0;
  for (; q + P <= np; q += P) linear_tile<R, P>(out, ldo, in, ldi, panels, bias, q, rows, depth);
  for (; q < np; ++q) linear_tile<R, 1>(out, ldo, in, ldi, panels, bias, q, rows, depth);
}

template <typename T>
void linear_avx512_t(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const T* panels,
                   const float* bias, int rows, int depth, int m) {
  const int np = (rows + 15) / 16;
  // Blocks of eight rows against two panels (a prefill, a batch's step): 16 chains, two loads
  // and eight broadcasts per 16 FMAs; panel pair by panel pair, so that the pair stays in L1
  // while every block of rows passes it.
  const int blocks = m / 8;
  if (blocks > 0) {
    int q = 0;
    for (; q + 2 <= np; q += 2)
      for (int b = 0; b < blocks; ++b)
        linear_tile<8, 2>(out + 8 * b * ldo, ldo, in + 8 * b * ldi, ldi, panels, bias, q, rows, depth);
    for (; q < np; ++q)
      for (int b = 0; b < blocks; ++b)
        linear_tile<8, 1>(out + 8 * b * ldo, ldo, in + 8 * b * ldi, ldi, panels, bias, q, rows, depth);
  }
  // The last m mod 8 rows together, with 8 to 14 independent chains to hide the FMA latency.
  const int i = 8 * blocks;
  float* o = out + i * ldo;
  const float* x = in + i * ldi;
  switch (m - i) {
    case 1: rows_by_panels<1, 8>(o, ldo, x, ldi, panels, bias, rows, depth, np); break;
    case 2: rows_by_panels<2, 4>(o, ldo, x, ldi, panels, bias, rows, depth, np); break;
    case 3: rows_by_panels<3, 4>(o, ldo, x, ldi, panels, bias, rows, depth, np); break;
    case 4: rows_by_panels<4, 2>(o, ldo, x, ldi, panels, bias, rows, depth, np); break;
    case 5: rows_by_panels<5, 2>(o, ldo, x, ldi, panels, bias, rows, depth, np); break;
    case 6: rows_by_panels<6, 2>(o, ldo, x, ldi, panels, bias, rows, depth, np); break;
    case 7: rows_by_panels<7, 2>(o, ldo, x, ldi, panels, bias, rows, depth, np); break;
    default: break;
  }
}

void linear_avx512(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const float* panels,
                   const float* bias, int rows, int depth, int m) {
  linear_avx512_t(out, ldo, in, ldi, panels, bias, rows, depth, m);
}

// ---------------------------------------------------------------------------------------------
// GELU, as gelu8 in exact_avx2.cpp on sixteen lanes; the tail through a mask.

inline __m512 gelu16(__m512 x) {
  const __m512 u = _mm512_mul_ps(
      _mm512_set1_ps(0.7978845608028654f),
      _mm512_add_ps(x, _mm512_mul_ps(_mm512_set1_ps(0.044715f), _mm512_mul_ps(_mm512_mul_ps(x, x), x))));
  const __m512 e = exp16(_mm512_mul_ps(_mm512_set1_ps(2.0f), u));
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 t = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), _mm512_add_ps(one, t));
}

void gelu_avx512(float* out, const float* in, std::ptrdiff_t n) {
  std::ptrdiff_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, gelu16(_mm512_loadu_ps(in + i)));
  if (i < n) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(out + i, mask, gelu16(_mm512_maskz_loadu_ps(mask, in + i)));
  }
}

// ---------------------------------------------------------------------------------------------
// Attention, one head: the canonical arithmetic of attend_head_avx2 (exact_avx2.cpp), whose dot
// products are defined on 8 lanes, with two keys a register: the lower 256 bits of accumulator i
// hold key j + i's eight chains, the upper 256 bits key j + 8 + i's, each lane the AVX2 chain
// (fma over d = l, l + 8, … from +0); the eight-lane tree per key as lane_trees8 does it.

// Per 128-bit lane, as _mm256_hadd_ps: [a0+a1, a2+a3, b0+b1, b2+b3].
inline __m512 hadd16(__m512 a, __m512 b) {
  return _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}

// a[i] = [key i's 8 lanes | key 8 + i's 8 lanes]; result[r] = key r's tree
// ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)), r = 0 … 15, in key order.
inline __m512 lane_trees16(const __m512 a[8]) {
  const __m512 s01 = hadd16(a[0], a[1]), s23 = hadd16(a[2], a[3]);
  const __m512 s45 = hadd16(a[4], a[5]), s67 = hadd16(a[6], a[7]);
  // 128-bit lanes of s0123: keys 0–3 (l0..l3 sums), keys 0–3 (l4..l7), keys 8–11 (l0..l3), keys
  // 8–11 (l4..l7); s4567 likewise for keys 4–7 and 12–15.
  const __m512 s0123 = hadd16(s01, s23), s4567 = hadd16(s45, s67);
  const __m512i lo_idx = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
  const __m512i hi_idx = _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
  return _mm512_add_ps(_mm512_permutex2var_ps(s0123, lo_idx, s4567), _mm512_permutex2var_ps(s0123, hi_idx, s4567));
}

// Keys a and b (b null: none, its lanes +0) in one register's halves: [a[0..8) | b[0..8)].
inline __m512 key_pair(const float* a, const float* b) {
  const __m512 lo = _mm512_castps256_ps512(_mm256_loadu_ps(a));
  if (!b) return _mm512_maskz_mov_ps(static_cast<__mmask16>(0x00FF), lo);
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(lo), _mm256_castps_pd(_mm256_loadu_ps(b)), 1));
}

// Keys as IEEE half floats, widened exactly (the half arithmetic).
inline __m512 key_pair(const std::uint16_t* a, const std::uint16_t* b) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a));
  if (!b) return _mm512_cvtph_ps(_mm256_zextsi128_si256(lo));
  return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), _mm_loadu_si128(reinterpret_cast<const __m128i*>(b)), 1));
}
inline __m512 load16(const float* at) { return _mm512_loadu_ps(at); }
inline __m512 load16(const std::uint16_t* at) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at)));
}

// s[j] = q · K[j] for j < n, hs = 8·NV: sixteen keys at a time, accumulator r holding keys j + r
// and j + 8 + r, the eight accumulators' chains interleaved (v outer) to keep eight in flight.
template <int NV, typename T>
void scores16(float* s, const float* q, const T* K, int n) {
  constexpr int hs = 8 * NV;
  __m512 qv[NV];  // q's vector v in both halves
  for (int v = 0; v < NV; ++v)
    qv[v] = _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_loadu_ps(q + 8 * v))));
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    const T* k0 = K + static_cast<std::ptrdiff_t>(j) * hs;
    __m512 acc[8];
    for (int r = 0; r < 8; ++r) acc[r] = _mm512_setzero_ps();
    for (int v = 0; v < NV; ++v)
      for (int r = 0; r < 8; ++r)
        acc[r] = _mm512_fmadd_ps(qv[v], key_pair(k0 + r * hs + 8 * v, k0 + (8 + r) * hs + 8 * v), acc[r]);
    _mm512_storeu_ps(s + j, lane_trees16(acc));
  }
  if (j < n) {  // the last 1–15 keys; absent keys' lanes are +0 and their results dropped
    const T* k0 = K + static_cast<std::ptrdiff_t>(j) * hs;
    __m512 acc[8];
    for (int r = 0; r < 8; ++r) acc[r] = _mm512_setzero_ps();
    for (int r = 0; r < 8 && j + r < n; ++r)
      for (int v = 0; v < NV; ++v)
        acc[r] = _mm512_fmadd_ps(
            qv[v], key_pair(k0 + r * hs + 8 * v, j + 8 + r < n ? k0 + (8 + r) * hs + 8 * v : nullptr), acc[r]);
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - j)) - 1u);
    _mm512_mask_storeu_ps(s + j, mask, lane_trees16(acc));
  }
}

template <typename T>
void scores16(float* s, const float* q, const T* K, int n, int nv) {
  switch (nv) {
#define ZGEN_SCORES(NV) \
  case NV: return scores16<NV, T>(s, q, K, n);
    ZGEN_SCORES(1) ZGEN_SCORES(2) ZGEN_SCORES(3) ZGEN_SCORES(4) ZGEN_SCORES(5) ZGEN_SCORES(6) ZGEN_SCORES(7)
    ZGEN_SCORES(8) ZGEN_SCORES(9) ZGEN_SCORES(10) ZGEN_SCORES(11) ZGEN_SCORES(12) ZGEN_SCORES(13) ZGEN_SCORES(14)
    ZGEN_SCORES(15) ZGEN_SCORES(16)
#undef ZGEN_SCORES
    default: break;  // hs > 128 never comes here (the portable code takes it)
  }
}

// max_j s[j] as the scalar loop `top = s[j] > top ? s[j] : top` from s[0] finds it: maxps(x,
// acc) is x > acc ? x : acc lane by lane, so each lane ignores what the scalar loop ignores (a
// later NaN; everything after a NaN s[0]); the lanes' maxima then meet in the same comparison.
// Among equal maxima only the sign of a zero may differ, and m = top·scale enters only as
// fma(s_j, scale, −m), whose result is then ±0 only where exp gives 1 for either sign.
float max_scores(const float* s, int n) {
  __m512 acc = _mm512_set1_ps(s[0]);
  int j = 1;
  for (; j + 16 <= n; j += 16) acc = _mm512_max_ps(_mm512_loadu_ps(s + j), acc);
  if (j < n) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - j)) - 1u);
    acc = _mm512_mask_max_ps(acc, mask, _mm512_maskz_loadu_ps(mask, s + j), acc);
  }
  alignas(64) float l[16];
  _mm512_store_ps(l, acc);
  float top = l[0];
  for (int i = 1; i < 16; ++i) top = l[i] > top ? l[i] : top;
  return top;
}

// Two heads' Σ_j p[j]·V[j][c…] (a, b: out, probabilities and values of each; NV registers of
// 16 columns each, the last one's lanes by `last` where kMasked) as two chains per element (even
// j, odd j), then (even + odd)·inv: weighted<NV> of exact_avx2.cpp on 16 lanes. Two heads, or
// one (kTwo false: a's alone), so that a head of 32 columns still has 8 chains in flight, enough
// to hide the FMA's latency; each chain is its element's, whatever runs beside it.
template <int NV, bool kMasked, bool kTwo, typename T>
void weighted16(float* out_a, float* out_b, const float* p_a, const float* p_b, const T* V_a, const T* V_b,
                std::ptrdiff_t ldv, int n, float inv_a, float inv_b, __mmask16 last) {
  constexpr int NH = kTwo ? 2 : 1;
  float* out[2] = {out_a, out_b};
  const float* p[2] = {p_a, p_b};
  const T* V[2] = {V_a, V_b};
  const float inv[2] = {inv_a, inv_b};
  __m512 even[NH][NV], odd[NH][NV];
  for (int h = 0; h < NH; ++h)
    for (int v = 0; v < NV; ++v) even[h][v] = odd[h][v] = _mm512_setzero_ps();
  auto load = [&](const T* at, int v) {
    if constexpr (sizeof(T) == 2) return load16(at + 16 * v);  // halves: hs % 16 == 0, whole registers
    else return kMasked && v == NV - 1 ? _mm512_maskz_loadu_ps(last, at + 16 * v) : _mm512_loadu_ps(at + 16 * v);
  };
  int j = 0;
  for (; j + 2 <= n; j += 2) {
    for (int h = 0; h < NH; ++h) {
      const __m512 p0 = _mm512_set1_ps(p[h][j]), p1 = _mm512_set1_ps(p[h][j + 1]);
      const T* v0 = V[h] + j * ldv;
      const T* v1 = v0 + ldv;
      for (int v = 0; v < NV; ++v) {
        even[h][v] = _mm512_fmadd_ps(p0, load(v0, v), even[h][v]);
        odd[h][v] = _mm512_fmadd_ps(p1, load(v1, v), odd[h][v]);
      }
    }
  }
  if (j < n)
    for (int h = 0; h < NH; ++h) {
      const __m512 p0 = _mm512_set1_ps(p[h][j]);
      for (int v = 0; v < NV; ++v) even[h][v] = _mm512_fmadd_ps(p0, load(V[h] + j * ldv, v), even[h][v]);
    }
  for (int h = 0; h < NH; ++h) {
    const __m512 vinv = _mm512_set1_ps(inv[h]);
    for (int v = 0; v < NV; ++v) {
      const __m512 r = _mm512_mul_ps(_mm512_add_ps(even[h][v], odd[h][v]), vinv);
      if (kMasked && v == NV - 1)
        _mm512_mask_storeu_ps(out[h] + 16 * v, last, r);
      else
        _mm512_storeu_ps(out[h] + 16 * v, r);
    }
  }
}

template <bool kTwo, typename T>
void weighted_columns(float* out_a, float* out_b, const float* p_a, const float* p_b, const T* V_a,
                      const T* V_b, int hs, int n, float inv_a, float inv_b) {
  // Columns in strips of up to four registers (each element its own two chains: the strips
  // change nothing in the bits); a last half register through a mask.
  int c = 0;
  for (; c + 64 <= hs; c += 64)
    weighted16<4, false, kTwo, T>(out_a + c, out_b + c, p_a, p_b, V_a + c, V_b + c, hs, n, inv_a, inv_b, 0xFFFF);
  const int rest = hs - c;  // 0, 8, …, 56
  const __mmask16 half = 0x00FF;
#define ZGEN_WEIGHTED(NV, M) \
  weighted16<NV, M, kTwo, T>(out_a + c, out_b + c, p_a, p_b, V_a + c, V_b + c, hs, n, inv_a, inv_b, half)
  switch (rest / 8) {
    case 7: ZGEN_WEIGHTED(4, true); break;
    case 6: ZGEN_WEIGHTED(3, false); break;
    case 5: ZGEN_WEIGHTED(3, true); break;
    case 4: ZGEN_WEIGHTED(2, false); break;
    case 3: ZGEN_WEIGHTED(2, true); break;
    case 2: ZGEN_WEIGHTED(1, false); break;
    case 1: ZGEN_WEIGHTED(1, true); break;
    default: break;
  }
#undef ZGEN_WEIGHTED
}

inline float lane_tree(__m256 v) {
  alignas(32) float l[8];
  _mm256_store_ps(l, v);
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

// s[j] = e_j = exp(fma(score_j, scale, −m)) for j < n, from the scores; returns 1 / Σ e_j.
float softmax(float* s, int n, float scale) {
  const float m = max_scores(s, n) * scale;
  const __m512 vscale = _mm512_set1_ps(scale), vm = _mm512_set1_ps(m);
  // The sums in 8 lanes by j mod 8, as AVX2's: keys j … j+7 (the lower half), then j+8 … j+15.
  __m256 sums = _mm256_setzero_ps();
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 e = exp16(_mm512_fmsub_ps(_mm512_loadu_ps(s + j), vscale, vm));
    _mm512_storeu_ps(s + j, e);
    sums = _mm256_add_ps(sums, _mm512_castps512_ps256(e));
    sums = _mm256_add_ps(sums, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1)));
  }
  if (j < n) {  // the last 1–15; absent lanes add +0 (a no-op on sums ≥ +0), as AVX2's tail does
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - j)) - 1u);
    const __m512 e = _mm512_maskz_mov_ps(mask, exp16(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(mask, s + j), vscale, vm)));
    _mm512_mask_storeu_ps(s + j, mask, e);
    sums = _mm256_add_ps(sums, _mm512_castps512_ps256(e));
    if (n - j > 8) sums = _mm256_add_ps(sums, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1)));
  }
  return 1.0f / lane_tree(sums);
}

// One head's scores, then its softmax.
template <typename T>
float softmax_head(float* s, const float* q, const T* K, int n, int hs, float scale) {
  scores16(s, q, K, n, hs / 8);
  return softmax(s, n, scale);
}

void attend_head_avx512(float* out, const float* q, const float* K, const float* V, int n, int hs, float scale,
                        float* s) {
  if (hs % 8 != 0 || hs > 128) return kPortable.attend_head(out, q, K, V, n, hs, scale, s);
  const float inv = softmax_head(s, q, K, n, hs, scale);
  weighted_columns<false>(out, out, s, s, V, V, hs, n, inv, inv);
}

// Heads h, h + 1 for h = 0, 2, … < H − 1: each head's softmax, then the values weighted two
// heads at a time. T: float or half-float (std::uint16_t) keys and values. Returns the heads done.
template <class T>
int attend_head_pairs(float* out, const float* q, const T* keys, const T* values, std::ptrdiff_t head_stride, int n,
                      int hs, int H, float scale, float* s) {
  int h = 0;
  for (; h + 2 <= H; h += 2) {
    float* sa = s;
    float* sb = s + n;
    const float inv_a = softmax_head(sa, q + h * hs, keys + h * head_stride, n, hs, scale);
    const float inv_b = softmax_head(sb, q + (h + 1) * hs, keys + (h + 1) * head_stride, n, hs, scale);
    weighted_columns<true>(out + h * hs, out + (h + 1) * hs, sa, sb, values + h * head_stride,
                           values + (h + 1) * head_stride, hs, n, inv_a, inv_b);
  }
  return h;
}

// Every head's softmax, then the values weighted two heads at a time.
void attend_row_avx512(float* out, const float* q, const float* keys, const float* values, std::ptrdiff_t head_stride,
                       int n, int hs, int H, float scale, float* s) {
  if (hs % 8 != 0 || hs > 128) {
    for (int h = 0; h < H; ++h)
      kPortable.attend_head(out + h * hs, q + h * hs, keys + h * head_stride, values + h * head_stride, n, hs, scale,
                            s);
    return;
  }
  const int h = attend_head_pairs(out, q, keys, values, head_stride, n, hs, H, scale, s);
  if (h < H)
    attend_head_avx512(out + h * hs, q + h * hs, keys + h * head_stride, values + h * head_stride, n, hs, scale, s);
}

// ---------------------------------------------------------------------------------------------
// Attention of consecutive rows of one sequence (a prefill: row i sees n0 + i keys). Each row's
// arithmetic is attend_head_avx512's, chain for chain; the rows only share the loads: a pair of
// keys built once feeds two queries' scores, a row of values four rows' weighted sums.

// scores16<NV> for two queries against the same n keys.
template <int NV>
void scores16x2(float* s_a, float* s_b, const float* q_a, const float* q_b, const float* K, int n) {
  constexpr int hs = 8 * NV;
  __m512 qa[NV], qb[NV];
  for (int v = 0; v < NV; ++v) {
    qa[v] = _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_loadu_ps(q_a + 8 * v))));
    qb[v] = _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_loadu_ps(q_b + 8 * v))));
  }
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    const float* k0 = K + static_cast<std::ptrdiff_t>(j) * hs;
    __m512 a[8], b[8];
    for (int r = 0; r < 8; ++r) a[r] = b[r] = _mm512_setzero_ps();
    for (int v = 0; v < NV; ++v)
      for (int r = 0; r < 8; ++r) {
        const __m512 kp = key_pair(k0 + r * hs + 8 * v, k0 + (8 + r) * hs + 8 * v);
        a[r] = _mm512_fmadd_ps(qa[v], kp, a[r]);
        b[r] = _mm512_fmadd_ps(qb[v], kp, b[r]);
      }
    _mm512_storeu_ps(s_a + j, lane_trees16(a));
    _mm512_storeu_ps(s_b + j, lane_trees16(b));
  }
  if (j < n) {
    scores16<NV>(s_a + j, q_a, K + static_cast<std::ptrdiff_t>(j) * hs, n - j);
    scores16<NV>(s_b + j, q_b, K + static_cast<std::ptrdiff_t>(j) * hs, n - j);
  }
}

// R rows' weighted sums over one strip of columns (NV ≤ 2 registers, the last one's lanes by
// `last` where kMasked): row i's probabilities p + i·ldp over its n0 + i keys, out + i·ldo. The
// keys 0 … n0 − 1 go through all rows' chains together, in pairs (even j, odd j) as in
// weighted16; then each row continues its own chains over its further keys, each key to the
// chain of its parity: every chain sees the same terms in the same order as one row alone.
template <int R, int NV, bool kMasked>
void weighted_rows(float* out, std::ptrdiff_t ldo, const float* p, std::ptrdiff_t ldp, const float* V,
                   std::ptrdiff_t ldv, int n0, const float* inv, __mmask16 last) {
  __m512 even[R][NV], odd[R][NV];
  for (int i = 0; i < R; ++i)
    for (int v = 0; v < NV; ++v) even[i][v] = odd[i][v] = _mm512_setzero_ps();
  auto load = [&](const float* at, int v) {
    return kMasked && v == NV - 1 ? _mm512_maskz_loadu_ps(last, at + 16 * v) : _mm512_loadu_ps(at + 16 * v);
  };
  int j = 0;
  for (; j + 2 <= n0; j += 2) {
    __m512 v0[NV], v1[NV];
    for (int v = 0; v < NV; ++v) {
      v0[v] = load(V + j * ldv, v), v1[v] = load(V + (j + 1) * ldv, v);
      // In registers: left to itself the compiler folds each load into every row's FMA, four
      // loads of the same vector where the load ports, not the FMAs, are then the limit.
      __asm__("" : "+v"(v0[v]), "+v"(v1[v]));
    }
    for (int i = 0; i < R; ++i) {
      const __m512 p0 = _mm512_set1_ps(p[i * ldp + j]), p1 = _mm512_set1_ps(p[i * ldp + j + 1]);
      for (int v = 0; v < NV; ++v) {
        even[i][v] = _mm512_fmadd_ps(p0, v0[v], even[i][v]);
        odd[i][v] = _mm512_fmadd_ps(p1, v1[v], odd[i][v]);
      }
    }
  }
  for (int i = 0; i < R; ++i) {
    for (int k = j; k < n0 + i; ++k) {
      const __m512 pk = _mm512_set1_ps(p[i * ldp + k]);
      for (int v = 0; v < NV; ++v) {
        __m512& chain = k % 2 == 0 ? even[i][v] : odd[i][v];
        chain = _mm512_fmadd_ps(pk, load(V + k * ldv, v), chain);
      }
    }
    const __m512 vinv = _mm512_set1_ps(inv[i]);
    for (int v = 0; v < NV; ++v) {
      const __m512 r = _mm512_mul_ps(_mm512_add_ps(even[i][v], odd[i][v]), vinv);
      if (kMasked && v == NV - 1)
        _mm512_mask_storeu_ps(out + i * ldo + 16 * v, last, r);
      else
        _mm512_storeu_ps(out + i * ldo + 16 * v, r);
    }
  }
}

template <int R>
void weighted_rows_columns(float* out, std::ptrdiff_t ldo, const float* p, std::ptrdiff_t ldp, const float* V, int hs,
                           int n0, const float* inv) {
  int c = 0;
  for (; c + 32 <= hs; c += 32) weighted_rows<R, 2, false>(out + c, ldo, p, ldp, V + c, hs, n0, inv, 0xFFFF);
  switch ((hs - c) / 8) {
    case 3: weighted_rows<R, 2, true>(out + c, ldo, p, ldp, V + c, hs, n0, inv, 0x00FF); break;
    case 2: weighted_rows<R, 1, false>(out + c, ldo, p, ldp, V + c, hs, n0, inv, 0xFFFF); break;
    case 1: weighted_rows<R, 1, true>(out + c, ldo, p, ldp, V + c, hs, n0, inv, 0x00FF); break;
    default: break;
  }
}

template <int NV>
void attend_rows_nv(float* out, std::ptrdiff_t ldo, const float* q, std::ptrdiff_t ldq, const float* keys,
                    const float* values, std::ptrdiff_t head_stride, int n0, int R, int H, float scale, float* s) {
  constexpr int hs = 8 * NV;
  const std::ptrdiff_t lds = n0 + R;  // scratch row i: row i's n0 + i scores (and one more)
  for (int h = 0; h < H; ++h) {
    const float* K = keys + h * head_stride;
    float inv[4];
    int i = 0;
    for (; i + 2 <= R; i += 2)  // two rows' scores over the second's keys (the first's last one unused)
      scores16x2<NV>(s + i * lds, s + (i + 1) * lds, q + i * ldq + h * hs, q + (i + 1) * ldq + h * hs, K, n0 + i + 1);
    if (i < R) scores16<NV>(s + i * lds, q + i * ldq + h * hs, K, n0 + i);
    for (i = 0; i < R; ++i) inv[i] = softmax(s + i * lds, n0 + i, scale);
    float* o = out + h * hs;
    const float* V = values + h * head_stride;
    switch (R) {
      case 4: weighted_rows_columns<4>(o, ldo, s, lds, V, hs, n0, inv); break;
      case 3: weighted_rows_columns<3>(o, ldo, s, lds, V, hs, n0, inv); break;
      case 2: weighted_rows_columns<2>(o, ldo, s, lds, V, hs, n0, inv); break;
      default: weighted_rows_columns<1>(o, ldo, s, lds, V, hs, n0, inv); break;
    }
  }
}

// R ≤ 4 rows; heads wider than 32 go row by row (attend_row_avx512).
void attend_rows_avx512(float* out, std::ptrdiff_t ldo, const float* q, std::ptrdiff_t ldq, const float* keys,
                        const float* values, std::ptrdiff_t head_stride, int n0, int R, int hs, int H, float scale,
                        float* s) {
  switch (hs % 8 == 0 ? hs / 8 : 0) {
    case 1: return attend_rows_nv<1>(out, ldo, q, ldq, keys, values, head_stride, n0, R, H, scale, s);
    case 2: return attend_rows_nv<2>(out, ldo, q, ldq, keys, values, head_stride, n0, R, H, scale, s);
    case 3: return attend_rows_nv<3>(out, ldo, q, ldq, keys, values, head_stride, n0, R, H, scale, s);
    case 4: return attend_rows_nv<4>(out, ldo, q, ldq, keys, values, head_stride, n0, R, H, scale, s);
    default:
      for (int i = 0; i < R; ++i)
        attend_row_avx512(out + i * ldo, q + i * ldq, keys, values, head_stride, n0 + i, hs, H, scale, s);
  }
}

// Heads of a multiple of 16 columns up to 128, in pairs (a register is 16 columns of each).
bool reads_halves_avx512(int hs, int H) { return hs > 0 && hs % 16 == 0 && hs <= 128 && H % 2 == 0; }

// attend_row_avx512 over half-float keys and values (where reads_halves_avx512): the same
// chains on the widened values.
void attend_row_half_avx512(float* out, const float* q, const std::uint16_t* keys, const std::uint16_t* values,
                            std::ptrdiff_t head_stride, int n, int hs, int H, float scale, float* s) {
  attend_head_pairs(out, q, keys, values, head_stride, n, hs, H, scale, s);
}

void halves_from_floats_avx512(unsigned short* out, const float* in, std::ptrdiff_t n) {
  std::ptrdiff_t i = 0;
  const __m512 hi = _mm512_set1_ps(kHalfMax), lo = _mm512_set1_ps(-kHalfMax);
  for (; i + 16 <= n; i += 16) {
    // Saturated as to_half: min(x, 65504) (NaN: 65504, minps returning its second operand),
    // then max(·, −65504); then vcvtps2ph, round to nearest even.
    const __m512 x = _mm512_max_ps(_mm512_min_ps(_mm512_loadu_ps(in + i), hi), lo);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  for (; i < n; ++i) out[i] = to_half(in[i]);
}

void floats_from_halves_avx512(float* out, const unsigned short* in, std::ptrdiff_t n) {
  std::ptrdiff_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(out + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i))));
  for (; i < n; ++i) out[i] = from_half(in[i]);
}

void linear_half_avx512(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi,
                        const unsigned short* panels, const float* bias, int rows, int depth, int m) {
  linear_avx512_t(out, ldo, in, ldi, panels, bias, rows, depth, m);
}

}  // namespace

const Kernels kAvx512 = {.linear = linear_avx512,
                         .gelu = gelu_avx512,
                         .attend_head = attend_head_avx512,
                         .attend_row = attend_row_avx512,
                         .attend_rows = attend_rows_avx512,
                         .linear_half = linear_half_avx512,
                         .reads_halves = reads_halves_avx512,
                         .attend_row_half = attend_row_half_avx512,
                         .to_halves = halves_from_floats_avx512,
                         .from_halves = floats_from_halves_avx512};

}  // namespace zgen::transformer::exact::detail

#endif
