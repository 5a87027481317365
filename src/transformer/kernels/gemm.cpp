// The packed GEMM's entry point (gemm.hpp): the calling thread's B buffer and the instruction
// set isa.cpp chose (gemm_avx2.cpp, gemm_avx512.cpp).
#include "src/transformer/kernels/gemm.hpp"

#include <vector>

#include "src/transformer/kernels/cache_line_allocator.hpp"
#include "src/transformer/kernels/simd_table.hpp"

namespace zgen::transformer::kernels {

namespace {

// The packed B block, one per thread (a team calls gemm on its own rows), kept between calls so
// that its pages are faulted in once; a panel row (16 floats) is one cache line.
float* b_buffer() {
  thread_local std::vector<float, CacheLineAllocator<float>> buffer(static_cast<std::size_t>(detail::kGemmNC) *
                                                                   detail::kGemmKC);
  return buffer.data();
}

}  // namespace

void gemm(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col, const float* B,
          std::ptrdiff_t b_row, std::ptrdiff_t b_col, const float* bias, int m, int n, int k, bool accumulate) {
  if (k == 0) {  // an empty sum: C keeps its values, or becomes the bias (or zero)
    if (!accumulate)
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) C[i * ldc + j] = bias ? bias[j] : 0.0f;
    return;
  }
  detail::active_kernels().gemm(C, ldc, A, a_row, a_col, B, b_row, b_col, bias, m, n, k, accumulate, b_buffer());
}

}  // namespace zgen::transformer::kernels
