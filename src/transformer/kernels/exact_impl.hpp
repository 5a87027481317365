#pragma once
// Inside the canonical kernels (exact.hpp): the table of functions each implementation fills.
// Declarations only, on purpose: exact_avx2.cpp is compiled with -mavx2 -mfma whatever the
// build's -march, and an inline function or template it instantiated could be the copy the
// linker keeps for code that must run on any CPU. The AVX2 file therefore uses intrinsics and
// its own static helpers only (no standard-library templates).
#include <cstddef>

namespace zgen::transformer::exact::detail {

struct Kernels {
  // out (m, rows), row stride ldo = in (m, depth), row stride ldi · Wᵀ + bias, W packed as in
  // PackedMatrix (panels of 16 rows, depth-major; bias padded to whole panels).
  void (*linear)(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const float* panels,
                 const float* bias, int rows, int depth, int m);
  void (*gelu)(float* out, const float* in, std::ptrdiff_t n);
  // One head: out (hs) from q (hs), K and V (n, hs) contiguous; scores: scratch for n floats.
  void (*attend_head)(float* out, const float* q, const float* K, const float* V, int n, int hs, float scale,
                      float* scores);
  // All H heads of a row (head h: q + h·hs, K and V at + h·head_stride, out + h·hs), each as
  // attend_head computes it; scores: scratch for H·n floats. Null: attend_head head by head.
  void (*attend_row)(float* out, const float* q, const float* keys, const float* values, std::ptrdiff_t head_stride,
                     int n, int hs, int H, float scale, float* scores);
  // R ≤ 4 consecutive rows of one sequence (row i: q + i·ldq, out + i·ldo, n0 + i keys), each as
  // attend_row computes it; scores: scratch for 4·(n0 + 4) floats. Null: attend_row row by row.
  void (*attend_rows)(float* out, std::ptrdiff_t ldo, const float* q, std::ptrdiff_t ldq, const float* keys,
                      const float* values, std::ptrdiff_t head_stride, int n0, int R, int hs, int H, float scale,
                      float* scores);
  // The half arithmetic (exact.hpp), read as IEEE half floats and widened exactly; null where an
  // implementation reads the widened float copies instead (the portable one). linear_half: linear
  // over PackedMatrix::halves. attend_row_half: attend_row over half keys and values, for the
  // head sizes and counts where reads_halves(hs, H). to_halves / from_halves: exact.hpp's.
  void (*linear_half)(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi,
                      const unsigned short* panels, const float* bias, int rows, int depth, int m);
  bool (*reads_halves)(int hs, int H);
  void (*attend_row_half)(float* out, const float* q, const unsigned short* keys, const unsigned short* values,
                          std::ptrdiff_t head_stride, int n, int hs, int H, float scale, float* scores);
  void (*to_halves)(unsigned short* out, const float* in, std::ptrdiff_t n);
  void (*from_halves)(float* out, const unsigned short* in, std::ptrdiff_t n);
};

extern const Kernels kPortable;
inline constexpr float kHalfMax = 65504.0f;  // the largest finite half; to_half saturates to ±it
unsigned short to_half(float x);
float from_half(unsigned short h);
#if defined(__x86_64__)
extern const Kernels kAvx2;    // call only where the CPU has AVX2, FMA and F16C
extern const Kernels kAvx512;  // call only where the CPU has AVX-512F too
#endif

}  // namespace zgen::transformer::exact::detail
