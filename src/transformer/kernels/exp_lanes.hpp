#pragma once
// exp on 8 and 16 float lanes, for the kernels' ISA files (exact_avx2.cpp, exact_avx512.cpp,
// attention_avx2.cpp, attention_avx512.cpp) and nothing else.
//
// v = k·ln 2 + r with k = round(v·log2 e) (to nearest even: adding and subtracting 1.5·2^23, exact
// for |v·log2 e| < 2^22), ln 2 in two parts so that r is exact, exp(r) by Cephes' degree-6
// polynomial in fused multiply-adds, 2^k built in the exponent bits. Arguments are clamped to
// [−87.3, 88.3] (exp(−87.3) ≈ 1e-38 stands in for 0). This is the coding path's exp_canonical
// (exact.cpp) lane by lane: changing one operation changes compressed files.
//
// In an anonymous namespace on purpose: each ISA file is compiled for its own instruction set,
// and a function with external linkage could be the copy the linker keeps for code that must
// run on any CPU (simd_table.hpp, exact_impl.hpp); here every file gets a private copy.
#if defined(__x86_64__)
#include <immintrin.h>

namespace {

#if defined(__AVX2__) && defined(__FMA__)
inline __m256 exp8(__m256 v) {
  v = _mm256_min_ps(v, _mm256_set1_ps(88.3f));
  v = _mm256_max_ps(v, _mm256_set1_ps(-87.3f));
  const __m256 shifter = _mm256_set1_ps(12582912.0f);
  const __m256 k =
      _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(v, _mm256_set1_ps(1.44269504088896341f)), shifter), shifter);
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), v);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}
#endif

#if defined(__AVX512F__)
// exp8, operation for operation, on sixteen lanes.
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
#endif

}  // namespace
#endif
