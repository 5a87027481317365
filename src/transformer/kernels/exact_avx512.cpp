// The canonical kernels (exact.hpp) in AVX-512: the linear layers and GELU, whose vectors run
// across outputs and elements, so a 16-lane register holds sixteen independent chains, each the
// same chain as in exact.cpp and exact_avx2.cpp: the same bits. Attention stays AVX2's (its dot
// products are defined on 8 lanes). Compiled with -mavx512f (and AVX2, FMA) in every build
// (CMakeLists.txt) and called only where the CPU has AVX-512F (exact.cpp checks at run time).
// Intrinsics and static helpers only: see exact_impl.hpp for why.
#include "src/transformer/kernels/exact_impl.hpp"

#if defined(__x86_64__)
#include <immintrin.h>

namespace zgen::transformer::exact::detail {

namespace {

inline int min_int(int a, int b) { return a < b ? a : b; }

// exp_canonical (exact.cpp) on sixteen lanes: exp8 of exact_avx2.cpp, operation for operation.
inline __m512 exp16(__m512 v) {
  v = _mm512_min_ps(v, _mm512_set1_ps(88.3f));
  v = _mm512_max_ps(v, _mm512_set1_ps(-87.3f));
  const __m512 shifter = _mm512_set1_ps(12582912.0f);
  const __m512 k =
      _mm512_sub_ps(_mm512_add_ps(_mm512_mul_ps(v, _mm512_set1_ps(1.44269504088896341f)), shifter), shifter);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), v);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(y, _mm512_castsi512_ps(bits));
}

// ---------------------------------------------------------------------------------------------
// Linear layers: R rows × P panels of 16 outputs, R·P accumulators of 16 lanes, each lane an fma
// chain over k from the bias. Outputs past the matrix's rows (the last panel) are masked off.

template <int R, int P>
inline void linear_tile(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const float* panels,
                        const float* bias, int q0, int rows, int depth) {
  __m512 acc[R][P];
  for (int p = 0; p < P; ++p) {
    const __m512 b = _mm512_loadu_ps(bias + 16 * (q0 + p));
    for (int r = 0; r < R; ++r) acc[r][p] = b;
  }
  const float* base = panels + static_cast<std::ptrdiff_t>(q0) * depth * 16;
  const std::ptrdiff_t panel_size = static_cast<std::ptrdiff_t>(depth) * 16;
  for (int k = 0; k < depth; ++k) {
    __m512 a[R];
    for (int r = 0; r < R; ++r) a[r] = _mm512_set1_ps(in[r * ldi + k]);
    for (int p = 0; p < P; ++p) {
      const __m512 w = _mm512_loadu_ps(base + p * panel_size + k * 16);
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
template <int R, int P>
inline void rows_by_panels(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const float* panels,
                           const float* bias, int rows, int depth, int np) {
  int q = 0;
  for (; q + P <= np; q += P) linear_tile<R, P>(out, ldo, in, ldi, panels, bias, q, rows, depth);
  for (; q < np; ++q) linear_tile<R, 1>(out, ldo, in, ldi, panels, bias, q, rows, depth);
}

void linear_avx512(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const float* panels,
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

}  // namespace

const Kernels kAvx512 = {linear_avx512, gelu_avx512, nullptr};  // attention: exact.cpp takes AVX2's

}  // namespace zgen::transformer::exact::detail

#endif
