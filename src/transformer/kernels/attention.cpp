// Attention's kernels (attention.hpp): the panels' storage, and calls into the instruction set
// isa.cpp chose (attention_avx2.cpp).
#include "src/transformer/kernels/attention.hpp"

#include <cassert>

#include "src/transformer/kernels/simd_table.hpp"

namespace zgen::transformer::kernels {

void TransposedPanel::assign(const float* B, std::ptrdiff_t ldb, int n, int k) {
  assert(n >= 0 && k >= 1);
  n_ = n;
  k_ = k;
  const int n16 = (n + 15) / 16 * 16;
  data_.assign(static_cast<std::size_t>(k) * n16, 0.0f);  // columns n .. n16 − 1 stay zero
  detail::active_kernels().transpose_panel(data_.data(), B, ldb, n, k);
}

void gemm_abt(float* S, std::ptrdiff_t lds, const float* A, std::ptrdiff_t lda, const TransposedPanel& Bt, int m,
              int n, int col0) {
  assert(m >= 0 && n >= 0 && col0 >= 0 && col0 % 16 == 0 && col0 + n <= Bt.rows());
  const int k = Bt.depth();
  detail::active_kernels().gemm_abt(S, lds, A, lda, Bt.data() + static_cast<std::ptrdiff_t>(col0) * k, m, n, k);
}

void StripPanel::assign(const float* B, std::ptrdiff_t ldb, int n, int k) {
  assert(n >= 0 && k >= 8 && k % 8 == 0);
  n_ = n;
  k_ = k;
  data_.resize(static_cast<std::size_t>(n) * k);
  detail::active_kernels().strip_panel(data_.data(), B, ldb, n, k);
}

void gemm_ab(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col,
             const StripPanel& B, int m, int n, bool accumulate, int row0) {
  assert(m >= 0 && n >= 0 && row0 >= 0 && row0 + n <= B.rows() && B.depth() % 8 == 0);
  detail::active_kernels().gemm_ab(C, ldc, A, a_row, a_col, B.data(), B.rows(), B.depth(), m, n, accumulate, row0);
}

float exp_scaled_sum(float* x, std::ptrdiff_t n, float scale, float shift) {
  return detail::active_kernels().exp_scaled_sum(x, n, scale, shift);
}

void store_half(std::uint16_t* dst, const float* src, int n, int n_padded, float mul) {
  detail::active_kernels().store_half(dst, src, n, n_padded, mul);
}

void load_half(float* dst, const std::uint16_t* src, int n) { detail::active_kernels().load_half(dst, src, n); }

void finish_half_stores() { detail::active_kernels().finish_half_stores(); }

void prefetch_half(const std::uint16_t* src, int n) { detail::active_kernels().prefetch_half(src, n); }

void decode_scores(float* s, const float* q, const float* K, std::ptrdiff_t ldk, int n, int k) {
  detail::active_kernels().decode_scores(s, q, K, ldk, n, k);
}

void decode_weighted_sum(float* out, const float* p, const float* V, std::ptrdiff_t ldv, int n, int k) {
  detail::active_kernels().decode_weighted_sum(out, p, V, ldv, n, k);
}

}  // namespace zgen::transformer::kernels
