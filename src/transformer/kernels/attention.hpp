#pragma once
// The products of causal attention for float on AVX2 + FMA: hand-written register-blocked
// loops for the shapes attention has (one operand only head-size wide, 16..64 columns), where
// Eigen's general product spends much of its time packing operands it uses once (BENCHMARKS.md,
// "The transformer", stop 8). attention_avx2.cpp holds them; attention.cpp calls the instruction
// set isa.cpp chose at run time.
// Call only where available() (isa.hpp): the CPU has AVX2, FMA and F16C, whatever the build's
// -march (elsewhere the caller uses Eigen). Callers check k % 8 == 0 (whole vectors).
//
// Each output element is summed in a fixed order that depends only on the shapes, so a product
// gives the same bits whatever the thread count (each call runs on its calling thread).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "src/transformer/kernels/cache_line_allocator.hpp"
#include "src/transformer/kernels/isa.hpp"

namespace zgen::transformer::kernels {

// A row stride for n floats: n rounded up to whole 64-byte lines, made an odd number of lines.
// At T = 2048 an unpadded row is 8 KB, so the rows that one tile walks down (a column of a
// score tile) would all fall into the same L1 set, which holds 8 of them.
inline int padded_stride(int n) {
  const int ld = (n + 15) / 16 * 16;
  return ld / 16 % 2 == 0 ? ld + 16 : ld;
}

// Bᵀ for gemm_abt, in panels of 16 columns (B's rows), each panel (k,16) contiguous: Bᵀ(d, j)
// at [(j/16)·16k + 16d + j%16], so that a tile reads one contiguous 2 KB block (k = 32) instead
// of k rows of a long panel. Columns past n up to a multiple of 16 are zeros. Built once per
// head: every query tile of the head reuses a prefix of it.
class TransposedPanel {
 public:
  void assign(const float* B, std::ptrdiff_t ldb, int n, int k);  // B (n,k)
  const float* data() const { return data_.data(); }
  int rows() const { return n_; }   // n: B's rows available
  int depth() const { return k_; }  // k

 private:
  std::vector<float, CacheLineAllocator<float>> data_;  // (n16/16, k, 16)
  int n_ = 0, k_ = 0;
};

// S = A · Bᵀ for B's rows col0 .. col0 + n − 1 (col0 a multiple of 16, col0 + n <= Bt.rows()),
// k = Bt.depth().
void gemm_abt(float* S, std::ptrdiff_t lds,        // (m,n)
              const float* A, std::ptrdiff_t lda,  // (m,k)
              const TransposedPanel& Bt, int m, int n, int col0 = 0);

// B for gemm_ab, in column strips of 16 (the last one 8 wide when k % 16 == 8), each strip all n
// rows one after another: B(j, c0 + c) at [c0·n + j·w + c] for the strip at column c0 of width
// w. Built once per head, so that the products read whole contiguous rows of B instead of
// copying a block of a head slice (row stride 3C) per call.
class StripPanel {
 public:
  void assign(const float* B, std::ptrdiff_t ldb, int n, int k);  // B (n,k), k % 8 == 0
  const float* data() const { return data_.data(); }
  int rows() const { return n_; }   // n
  int depth() const { return k_; }  // k

 private:
  std::vector<float, CacheLineAllocator<float>> data_;  // (n,k) in strips
  int n_ = 0, k_ = 0;
};

// C = A · B, or C += A · B when `accumulate`, for B's rows row0 .. row0 + n − 1 (row0 + n <=
// B.rows()), k = B.depth(). A's element (i, j) is A[i·a_row + j·a_col], so the same loop reads
// A (a_row = ld, a_col = 1) or a transposed Aᵀ (a_row = 1, a_col = ld).
void gemm_ab(float* C, std::ptrdiff_t ldc,                                // (m,k)
             const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col,  // (m,n)
             const StripPanel& B, int m, int n, bool accumulate, int row0 = 0);

// The softmax's exponentials: x[i] ← exp(x[i]·scale − shift) for i < n; returns Σ x[i] (eight
// lane sums, added in a fixed order, then the last n % 8). Cephes' expf as in the portable
// version in src/transformer/layers.cpp, with its polynomial in fused multiply-adds.
float exp_scaled_sum(float* x, std::ptrdiff_t n, float scale, float shift);

// Probabilities to and from IEEE half precision (round to nearest even): store_half writes
// dst[j] = half(src[j] · mul) for j < n, then zeros up to n_padded (a multiple of 8; dst 16-byte
// aligned); load_half writes dst[j] = float(src[j]) for j < n.
void store_half(std::uint16_t* dst, const float* src, int n, int n_padded, float mul);
void load_half(float* dst, const std::uint16_t* src, int n);
// store_half's stores bypass the caches: each thread calls this after its last one, so that
// they are visible to every thread past the next barrier.
void finish_half_stores();
// Asks for src[0..n)'s cache lines in L2 ahead of a load_half.
void prefetch_half(const std::uint16_t* src, int n);

// Incremental decoding, one query against n cached rows of one head (k = head size, k % 8 == 0):
// s[j] = q · K[j] for j < n (K (n,k) with row stride ldk), summed per row in a fixed order.
void decode_scores(float* s, const float* q, const float* K, std::ptrdiff_t ldk, int n, int k);
// out = Σ_{j<n} p[j] · V[j] (V (n,k) with row stride ldv).
void decode_weighted_sum(float* out, const float* p, const float* V, std::ptrdiff_t ldv, int n, int k);

}  // namespace zgen::transformer::kernels
