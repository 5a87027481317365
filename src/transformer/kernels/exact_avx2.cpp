// The canonical kernels (exact.hpp) in AVX2 + FMA: the same arithmetic as the portable code in
// exact.cpp, operation for operation, with vectors across outputs, rows, keys or head columns,
// never across a sum's terms. The half arithmetic's operands (packed weights, cached keys and
// values as IEEE halves) are widened exactly by F16C's vcvtph2ps as they are loaded, then go
// through the same fp32 chains: the same bits as on the widened floats. Compiled with -mavx2
// -mfma -mf16c in every build (CMakeLists.txt) and called only where the CPU has all three
// (exact.cpp checks at run time). Intrinsics and static helpers only: see exact_impl.hpp for
// why no standard-library template is used here.
#include "src/transformer/kernels/exact_impl.hpp"
#include "src/transformer/kernels/exp_lanes.hpp"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstdint>

namespace zgen::transformer::exact::detail {

namespace {

inline int min_int(int a, int b) { return a < b ? a : b; }

// Eight operands from memory: floats as they are, halves widened exactly (vcvtph2ps).
inline __m256 load8(const float* at) { return _mm256_loadu_ps(at); }
inline __m256 load8(const unsigned short* at) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at)));
}

// ---------------------------------------------------------------------------------------------
// Linear layers: R rows × P panels of 16 outputs, 2·R·P accumulators, each an fma chain over k
// from the bias. Tiles that reach past the matrix's rows (the last panel) go through scratch.
// T: float panels, or half-float ones (PackedMatrix::halves) widened as they are loaded.

template <int R, int P, typename T>
inline void linear_tile(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const T* panels,
                        const float* bias, int q0, int rows, int depth) {
  __m256 acc[R][P][2];
  for (int p = 0; p < P; ++p) {
    const __m256 b0 = _mm256_loadu_ps(bias + 16 * (q0 + p)), b1 = _mm256_loadu_ps(bias + 16 * (q0 + p) + 8);
    for (int r = 0; r < R; ++r) acc[r][p][0] = b0, acc[r][p][1] = b1;
  }
  const T* base = panels + static_cast<std::ptrdiff_t>(q0) * depth * 16;
  const std::ptrdiff_t panel_size = static_cast<std::ptrdiff_t>(depth) * 16;
  for (int k = 0; k < depth; ++k) {
    __m256 a[R];
    for (int r = 0; r < R; ++r) a[r] = _mm256_broadcast_ss(in + r * ldi + k);
    for (int p = 0; p < P; ++p) {
      const T* w = base + p * panel_size + k * 16;
      const __m256 w0 = load8(w), w1 = load8(w + 8);
      for (int r = 0; r < R; ++r) {
        acc[r][p][0] = _mm256_fmadd_ps(a[r], w0, acc[r][p][0]);
        acc[r][p][1] = _mm256_fmadd_ps(a[r], w1, acc[r][p][1]);
      }
    }
  }
  const int col0 = 16 * q0, cols = min_int(16 * P, rows - col0);
  for (int r = 0; r < R; ++r) {
    float* o = out + r * ldo + col0;
    if (cols == 16 * P) {
      for (int p = 0; p < P; ++p) {
        _mm256_storeu_ps(o + 16 * p, acc[r][p][0]);
        _mm256_storeu_ps(o + 16 * p + 8, acc[r][p][1]);
      }
    } else {
      alignas(32) float tile[16 * P];
      for (int p = 0; p < P; ++p) {
        _mm256_store_ps(tile + 16 * p, acc[r][p][0]);
        _mm256_store_ps(tile + 16 * p + 8, acc[r][p][1]);
      }
      for (int c = 0; c < cols; ++c) o[c] = tile[c];
    }
  }
}

// R rows against every panel, P panels at a time (the last one or two alone).
template <int R, int P, typename T>
inline void rows_by_panels(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const T* panels,
                           const float* bias, int rows, int depth, int np) {
  int q = 0;
  for (; q + P <= np; q += P) linear_tile<R, P>(out, ldo, in, ldi, panels, bias, q, rows, depth);
  for (; q < np; ++q) linear_tile<R, 1>(out, ldo, in, ldi, panels, bias, q, rows, depth);
}

template <typename T>
void linear_avx2_t(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const T* panels,
                   const float* bias, int rows, int depth, int m) {
  const int np = (rows + 15) / 16;
  // Blocks of six rows against one panel (a prefill, a batch's step): six broadcasts and two
  // loads feed twelve FMAs. Panel by panel, so that a panel (depth·16 floats) stays in L1 while
  // every block of rows passes it: the weights are read once per call, not once per block.
  const int blocks = m / 6;
  if (blocks > 0)
    for (int q = 0; q < np; ++q)
      for (int b = 0; b < blocks; ++b)
        linear_tile<6, 1>(out + 6 * b * ldo, ldo, in + 6 * b * ldi, ldi, panels, bias, q, rows, depth);
  // The last m mod 6 rows together, with enough independent chains (8 to 12) to hide the FMA
  // latency: one row against four panels at a time (the lone step), two or three against two,
  // four or five against one.
  const int i = 6 * blocks;
  float* o = out + i * ldo;
  const float* x = in + i * ldi;
  switch (m - i) {
    case 1: rows_by_panels<1, 4>(o, ldo, x, ldi, panels, bias, rows, depth, np); break;
    case 2: rows_by_panels<2, 2>(o, ldo, x, ldi, panels, bias, rows, depth, np); break;
    case 3: rows_by_panels<3, 2>(o, ldo, x, ldi, panels, bias, rows, depth, np); break;
    case 4: rows_by_panels<4, 1>(o, ldo, x, ldi, panels, bias, rows, depth, np); break;
    case 5: rows_by_panels<5, 1>(o, ldo, x, ldi, panels, bias, rows, depth, np); break;
    default: break;
  }
}

void linear_avx2(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const float* panels,
                 const float* bias, int rows, int depth, int m) {
  linear_avx2_t(out, ldo, in, ldi, panels, bias, rows, depth, m);
}

// ---------------------------------------------------------------------------------------------
// GELU

inline __m256 gelu8(__m256 x) {
  const __m256 u = _mm256_mul_ps(
      _mm256_set1_ps(0.7978845608028654f),
      _mm256_add_ps(x, _mm256_mul_ps(_mm256_set1_ps(0.044715f), _mm256_mul_ps(_mm256_mul_ps(x, x), x))));
  const __m256 e = exp8(_mm256_mul_ps(_mm256_set1_ps(2.0f), u));
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 t = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(one, t));
}

void gelu_avx2(float* out, const float* in, std::ptrdiff_t n) {
  std::ptrdiff_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, gelu8(_mm256_loadu_ps(in + i)));
  if (i < n) {
    alignas(32) float tail[8] = {};
    for (std::ptrdiff_t j = i; j < n; ++j) tail[j - i] = in[j];
    _mm256_store_ps(tail, gelu8(_mm256_load_ps(tail)));
    for (std::ptrdiff_t j = i; j < n; ++j) out[j] = tail[j - i];
  }
}

// ---------------------------------------------------------------------------------------------
// Attention, one head

// The lanes of eight vectors each reduced by the canonical tree: result[r] =
// ((a[r]₀+a[r]₁)+(a[r]₂+a[r]₃)) + ((a[r]₄+a[r]₅)+(a[r]₆+a[r]₇)).
inline __m256 lane_trees8(const __m256 a[8]) {
  const __m256 s01 = _mm256_hadd_ps(a[0], a[1]), s23 = _mm256_hadd_ps(a[2], a[3]);
  const __m256 s45 = _mm256_hadd_ps(a[4], a[5]), s67 = _mm256_hadd_ps(a[6], a[7]);
  const __m256 s0123 = _mm256_hadd_ps(s01, s23), s4567 = _mm256_hadd_ps(s45, s67);
  // s0123 = [r0 r1 r2 r3 | r0 r1 r2 r3]: the low halves' pair sums, then the high halves'.
  const __m256 lo = _mm256_permute2f128_ps(s0123, s4567, 0x20), hi = _mm256_permute2f128_ps(s0123, s4567, 0x31);
  return _mm256_add_ps(lo, hi);
}

inline float lane_tree(__m256 v) {
  alignas(32) float l[8];
  _mm256_store_ps(l, v);
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

// s[j] = q · K[j] for j < n, hs = 8·nv: lane l of a row's accumulator chains d = l, l + 8, ….
// T: float keys, or half-float ones widened as they are loaded.
template <typename T>
void scores(float* s, const float* q, const T* K, int n, int nv) {
  __m256 qv[16];
  for (int v = 0; v < nv; ++v) qv[v] = _mm256_loadu_ps(q + 8 * v);
  const int hs = 8 * nv;
  auto dot = [&](const T* row) {
    __m256 acc = _mm256_setzero_ps();
    for (int v = 0; v < nv; ++v) acc = _mm256_fmadd_ps(qv[v], load8(row + 8 * v), acc);
    return acc;
  };
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 acc[8];
    for (int r = 0; r < 8; ++r) acc[r] = dot(K + static_cast<std::ptrdiff_t>(j + r) * hs);
    _mm256_storeu_ps(s + j, lane_trees8(acc));
  }
  if (j < n) {
    __m256 acc[8];
    for (int r = 0; r < 8; ++r) acc[r] = j + r < n ? dot(K + static_cast<std::ptrdiff_t>(j + r) * hs) : _mm256_setzero_ps();
    alignas(32) float tail[8];
    _mm256_store_ps(tail, lane_trees8(acc));
    for (int r = 0; j + r < n; ++r) s[j + r] = tail[r];
  }
}

// out[0..8·NV) = Σ_j p[j]·V[j][0..8·NV) as two chains (even j, odd j) per element, then
// (even + odd)·inv. T: float values, or half-float ones widened as they are loaded.
template <int NV, typename T>
void weighted(float* out, const float* p, const T* V, std::ptrdiff_t ldv, int n, float inv) {
  __m256 even[NV], odd[NV];
  for (int v = 0; v < NV; ++v) even[v] = odd[v] = _mm256_setzero_ps();
  int j = 0;
  for (; j + 2 <= n; j += 2) {
    const __m256 p0 = _mm256_broadcast_ss(p + j), p1 = _mm256_broadcast_ss(p + j + 1);
    const T* v0 = V + j * ldv;
    const T* v1 = v0 + ldv;
    for (int v = 0; v < NV; ++v) {
      even[v] = _mm256_fmadd_ps(p0, load8(v0 + 8 * v), even[v]);
      odd[v] = _mm256_fmadd_ps(p1, load8(v1 + 8 * v), odd[v]);
    }
  }
  if (j < n) {
    const __m256 p0 = _mm256_broadcast_ss(p + j);
    for (int v = 0; v < NV; ++v) even[v] = _mm256_fmadd_ps(p0, load8(V + j * ldv + 8 * v), even[v]);
  }
  const __m256 vinv = _mm256_set1_ps(inv);
  for (int v = 0; v < NV; ++v) _mm256_storeu_ps(out + 8 * v, _mm256_mul_ps(_mm256_add_ps(even[v], odd[v]), vinv));
}

// One head, hs a multiple of 8 up to 128; T: float or half-float keys and values.
template <typename T>
void attend_head_t(float* out, const float* q, const T* K, const T* V, int n, int hs, float scale, float* s) {
  scores(s, q, K, n, hs / 8);
  float top = s[0];
  for (int j = 1; j < n; ++j) top = s[j] > top ? s[j] : top;
  const float m = top * scale;
  const __m256 vscale = _mm256_set1_ps(scale), vm = _mm256_set1_ps(m);
  __m256 sums = _mm256_setzero_ps();
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 e = exp8(_mm256_fmsub_ps(_mm256_loadu_ps(s + j), vscale, vm));
    _mm256_storeu_ps(s + j, e);
    sums = _mm256_add_ps(sums, e);
  }
  if (j < n) {  // the last 1–7 through the same lanes; the unused lanes add +0
    alignas(32) float tail[8] = {};
    for (int r = 0; j + r < n; ++r) tail[r] = s[j + r];
    _mm256_store_ps(tail, exp8(_mm256_fmsub_ps(_mm256_load_ps(tail), vscale, vm)));
    for (int r = n - j; r < 8; ++r) tail[r] = 0.0f;
    for (int r = 0; j + r < n; ++r) s[j + r] = tail[r];
    sums = _mm256_add_ps(sums, _mm256_load_ps(tail));
  }
  const float inv = 1.0f / lane_tree(sums);
  // Columns in strips of up to four vectors: each output element has its own two chains, so
  // the strips change nothing in the bits.
  int c = 0;
  for (; c + 32 <= hs; c += 32) weighted<4>(out + c, s, V + c, hs, n, inv);
  switch ((hs - c) / 8) {
    case 3: weighted<3>(out + c, s, V + c, hs, n, inv); break;
    case 2: weighted<2>(out + c, s, V + c, hs, n, inv); break;
    case 1: weighted<1>(out + c, s, V + c, hs, n, inv); break;
    default: break;
  }
}

void attend_head_avx2(float* out, const float* q, const float* K, const float* V, int n, int hs, float scale,
                      float* s) {
  if (hs % 8 != 0 || hs > 128) return kPortable.attend_head(out, q, K, V, n, hs, scale, s);
  attend_head_t(out, q, K, V, n, hs, scale, s);
}

}  // namespace

namespace {

// Heads of a multiple of 8 columns up to 128, one at a time (a register is 8 columns).
bool reads_halves_avx2(int hs, int /*H*/) { return hs > 0 && hs % 8 == 0 && hs <= 128; }

// attention_row over half-float keys and values (where reads_halves_avx2), head by head as
// kAvx2's attention_row goes: the same chains on the widened values.
void attend_row_half_avx2(float* out, const float* q, const unsigned short* keys, const unsigned short* values,
                          std::ptrdiff_t head_stride, int n, int hs, int H, float scale, float* s) {
  for (int h = 0; h < H; ++h)
    attend_head_t(out + h * hs, q + h * hs, keys + h * head_stride, values + h * head_stride, n, hs, scale, s);
}

void linear_half_avx2(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi,
                      const unsigned short* panels, const float* bias, int rows, int depth, int m) {
  linear_avx2_t(out, ldo, in, ldi, panels, bias, rows, depth, m);
}

void halves_from_floats_avx2(unsigned short* out, const float* in, std::ptrdiff_t n) {
  const __m256 hi = _mm256_set1_ps(kHalfMax), lo = _mm256_set1_ps(-kHalfMax);
  std::ptrdiff_t i = 0;
  for (; i + 8 <= n; i += 8) {
    // Saturated as to_half: min(x, 65504) (NaN: 65504, minps returning its second operand),
    // then max(·, −65504); then vcvtps2ph, round to nearest even.
    const __m256 x = _mm256_max_ps(_mm256_min_ps(_mm256_loadu_ps(in + i), hi), lo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  for (; i < n; ++i) out[i] = to_half(in[i]);
}

void floats_from_halves_avx2(float* out, const unsigned short* in, std::ptrdiff_t n) {
  std::ptrdiff_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, load8(in + i));
  for (; i < n; ++i) out[i] = from_half(in[i]);
}

}  // namespace

// attend_row, attend_rows: none (head by head, row by row).
const Kernels kAvx2 = {.linear = linear_avx2,
                       .gelu = gelu_avx2,
                       .attend_head = attend_head_avx2,
                       .attend_row = nullptr,
                       .attend_rows = nullptr,
                       .linear_half = linear_half_avx2,
                       .reads_halves = reads_halves_avx2,
                       .attend_row_half = attend_row_half_avx2,
                       .to_halves = halves_from_floats_avx2,
                       .from_halves = floats_from_halves_avx2};

}  // namespace zgen::transformer::exact::detail

#endif
