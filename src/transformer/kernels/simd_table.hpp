#pragma once
// Inside the training and scoring kernels (gemm.hpp, attention.hpp): the table of functions each
// instruction set's implementation fills, and the one isa.cpp chose.
//
// Declarations only, on purpose: the *_avx2.cpp and *_avx512.cpp files beside this one are
// compiled with -mavx2 or -mavx512f whatever the build's -march, and an inline function or
// template they instantiated could be the copy the linker keeps for code that must run on any
// CPU. Those files therefore use intrinsics and their own helpers in an anonymous namespace
// (no standard-library templates), and export only the functions declared below in their own
// namespace (avx2::, avx512::); isa.cpp, compiled like the rest, builds the tables from them.
#include <cstddef>
#include <cstdint>

namespace zgen::transformer::kernels::detail {

// The packed GEMM's blocking, shared by every implementation: B is packed a (kGemmKC, kGemmNC)
// block at a time into a per-thread buffer of kGemmKC·kGemmNC floats (256 KB, in L2).
inline constexpr int kGemmKC = 256;
inline constexpr int kGemmNC = 256;

// The operations of gemm.hpp and attention.hpp, with the panels' storage passed in raw. Each
// function's contract is the public one's; `pack` is the caller's thread's B buffer.
struct SimdKernels {
  void (*gemm)(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col,
               const float* B, std::ptrdiff_t b_row, std::ptrdiff_t b_col, const float* bias, int m, int n, int k,
               bool accumulate, float* pack);
  // TransposedPanel's and StripPanel's layouts (attention.hpp), `out` already sized (and, for
  // the transposed panels, zeroed).
  void (*transpose_panel)(float* out, const float* B, std::ptrdiff_t ldb, int n, int k);
  void (*strip_panel)(float* out, const float* B, std::ptrdiff_t ldb, int n, int k);
  // gemm_abt from the panels of column col0 on; gemm_ab on a StripPanel of `rows` rows, depth k.
  void (*gemm_abt)(float* S, std::ptrdiff_t lds, const float* A, std::ptrdiff_t lda, const float* panels, int m, int n,
                   int k);
  void (*gemm_ab)(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col,
                  const float* strips, int rows, int k, int m, int n, bool accumulate, int row0);
  float (*exp_scaled_sum)(float* x, std::ptrdiff_t n, float scale, float shift);
  void (*store_half)(std::uint16_t* dst, const float* src, int n, int n_padded, float mul);
  void (*load_half)(float* dst, const std::uint16_t* src, int n);
  void (*finish_half_stores)();
  void (*prefetch_half)(const std::uint16_t* src, int n);
  void (*decode_scores)(float* s, const float* q, const float* K, std::ptrdiff_t ldk, int n, int k);
  void (*decode_weighted_sum)(float* out, const float* p, const float* V, std::ptrdiff_t ldv, int n, int k);
};

#if defined(__x86_64__)
// Call only where isa_supported(Isa::avx2) (isa.hpp).
namespace avx2 {
void gemm(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col, const float* B,
          std::ptrdiff_t b_row, std::ptrdiff_t b_col, const float* bias, int m, int n, int k, bool accumulate,
          float* pack);
void transpose_panel(float* out, const float* B, std::ptrdiff_t ldb, int n, int k);
void strip_panel(float* out, const float* B, std::ptrdiff_t ldb, int n, int k);
void gemm_abt(float* S, std::ptrdiff_t lds, const float* A, std::ptrdiff_t lda, const float* panels, int m, int n,
              int k);
void gemm_ab(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col,
             const float* strips, int rows, int k, int m, int n, bool accumulate, int row0);
float exp_scaled_sum(float* x, std::ptrdiff_t n, float scale, float shift);
void store_half(std::uint16_t* dst, const float* src, int n, int n_padded, float mul);
void load_half(float* dst, const std::uint16_t* src, int n);
void finish_half_stores();
void prefetch_half(const std::uint16_t* src, int n);
void decode_scores(float* s, const float* q, const float* K, std::ptrdiff_t ldk, int n, int k);
void decode_weighted_sum(float* out, const float* p, const float* V, std::ptrdiff_t ldv, int n, int k);
}  // namespace avx2

// Call only where isa_supported(Isa::avx512); the rest of its table is avx2's.
namespace avx512 {
void gemm(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col, const float* B,
          std::ptrdiff_t b_row, std::ptrdiff_t b_col, const float* bias, int m, int n, int k, bool accumulate,
          float* pack);
void gemm_abt(float* S, std::ptrdiff_t lds, const float* A, std::ptrdiff_t lda, const float* panels, int m, int n,
              int k);
void gemm_ab(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col,
             const float* strips, int rows, int k, int m, int n, bool accumulate, int row0);
float exp_scaled_sum(float* x, std::ptrdiff_t n, float scale, float shift);
}  // namespace avx512
#endif

// The active implementation's table; only while available() (isa.hpp).
const SimdKernels& active_kernels();

}  // namespace zgen::transformer::kernels::detail
