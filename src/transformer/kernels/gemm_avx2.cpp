// The linear layers' packed GEMM (gemm.hpp) in AVX2 + FMA: B packed into 16-column panels, a
// 6×16 register tile broadcasting A in place. Compiled with -mavx2 -mfma -mf16c in every build
// (CMakeLists.txt), called only where the CPU has them (isa.cpp); intrinsics and helpers of its
// own only (simd_table.hpp says why).
#include "src/transformer/kernels/simd_table.hpp"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cassert>

namespace zgen::transformer::kernels::detail::avx2 {

namespace {

inline int min_int(int a, int b) { return a < b ? a : b; }

constexpr int kMR = 6;    // rows of the register tile: 12 accumulators, 2 loads of B, 1 broadcast
constexpr int kNR = 16;   // columns of the register tile: two vectors
constexpr int kKC = kGemmKC;  // depth of a packed block: a B panel is kKC·16 floats (16 KB)
constexpr int kNC = kGemmNC;  // columns of a packed B block: kNC·kKC floats (256 KB, L2)

// op(B) depth [p0, p0+kc) × columns [j0, j0+nc) into panels of kNR columns, each (kc, kNR):
// panel q holds B(p0 + p, j0 + kNR·q + c) at [q·kc·kNR + p·kNR + c]; columns past n are zeros.
void pack_b(float* out, const float* B, std::ptrdiff_t b_row, std::ptrdiff_t b_col, int p0, int kc, int j0, int nc) {
  for (int q = 0; q < nc; q += kNR) {
    const int cols = min_int(kNR, nc - q);
    float* panel = out + static_cast<std::ptrdiff_t>(q) * kc;
    if (cols == kNR && b_col == 1) {  // row-major B: two vector copies a row
      for (int p = 0; p < kc; ++p) {
        const float* src = B + (p0 + p) * b_row + j0 + q;
        _mm256_storeu_ps(panel + p * kNR, _mm256_loadu_ps(src));
        _mm256_storeu_ps(panel + p * kNR + 8, _mm256_loadu_ps(src + 8));
      }
      continue;
    }
    for (int c = 0; c < kNR; ++c) {
      if (c >= cols) {
        for (int p = 0; p < kc; ++p) panel[p * kNR + c] = 0.0f;
        continue;
      }
      const float* src = B + p0 * b_row + (j0 + q + c) * b_col;
      for (int p = 0; p < kc; ++p) panel[p * kNR + c] = src[p * b_row];
    }
  }
}

enum class Start { zero, load, bias };

// The register tile over one depth block: out[0..6)[0..16) = (kLoad ? out : the init row) +
// A (6,kc) · Bp (kc,16)-panel, A's element (r,p) at A[r·a_row + p·a_col] read in place (packing
// A cost a third of the time at these shapes, where each element of A meets only 128–512
// columns). The twelve accumulators are named variables: held
// in an array, GCC kept a copy in memory and stored all twelve every iteration.
template <bool kLoad>
void kernel_6x16(int kc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col, const float* Bp, float* out,
                 std::ptrdiff_t ldo, __m256 init0, __m256 init1) {
  __m256 c00 = init0, c01 = init1, c10 = init0, c11 = init1, c20 = init0, c21 = init1;
  __m256 c30 = init0, c31 = init1, c40 = init0, c41 = init1, c50 = init0, c51 = init1;
  float* o0 = out;
  float* o1 = out + ldo;
  float* o2 = out + 2 * ldo;
  float* o3 = out + 3 * ldo;
  float* o4 = out + 4 * ldo;
  float* o5 = out + 5 * ldo;
  if constexpr (kLoad) {
    c00 = _mm256_loadu_ps(o0), c01 = _mm256_loadu_ps(o0 + 8);
    c10 = _mm256_loadu_ps(o1), c11 = _mm256_loadu_ps(o1 + 8);
    c20 = _mm256_loadu_ps(o2), c21 = _mm256_loadu_ps(o2 + 8);
    c30 = _mm256_loadu_ps(o3), c31 = _mm256_loadu_ps(o3 + 8);
    c40 = _mm256_loadu_ps(o4), c41 = _mm256_loadu_ps(o4 + 8);
    c50 = _mm256_loadu_ps(o5), c51 = _mm256_loadu_ps(o5 + 8);
  }
  const float* a0 = A;
  const float* a1 = A + a_row;
  const float* a2 = A + 2 * a_row;
  const float* a3 = A + 3 * a_row;
  const float* a4 = A + 4 * a_row;
  const float* a5 = A + 5 * a_row;
#pragma GCC unroll 4  // four steps an iteration: rolled, the loop's own instructions take a share of the FMA rate
  for (std::ptrdiff_t p = 0, pa = 0; p < kc; ++p, pa += a_col, Bp += kNR) {
    const __m256 b0 = _mm256_loadu_ps(Bp), b1 = _mm256_loadu_ps(Bp + 8);
    __m256 a = _mm256_broadcast_ss(a0 + pa);
    c00 = _mm256_fmadd_ps(a, b0, c00), c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(a1 + pa);
    c10 = _mm256_fmadd_ps(a, b0, c10), c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(a2 + pa);
    c20 = _mm256_fmadd_ps(a, b0, c20), c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(a3 + pa);
    c30 = _mm256_fmadd_ps(a, b0, c30), c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(a4 + pa);
    c40 = _mm256_fmadd_ps(a, b0, c40), c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(a5 + pa);
    c50 = _mm256_fmadd_ps(a, b0, c50), c51 = _mm256_fmadd_ps(a, b1, c51);
  }
  _mm256_storeu_ps(o0, c00), _mm256_storeu_ps(o0 + 8, c01);
  _mm256_storeu_ps(o1, c10), _mm256_storeu_ps(o1 + 8, c11);
  _mm256_storeu_ps(o2, c20), _mm256_storeu_ps(o2 + 8, c21);
  _mm256_storeu_ps(o3, c30), _mm256_storeu_ps(o3 + 8, c31);
  _mm256_storeu_ps(o4, c40), _mm256_storeu_ps(o4 + 8, c41);
  _mm256_storeu_ps(o5, c50), _mm256_storeu_ps(o5 + 8, c51);
}

// C[0..mr)[0..nr) (+)= the tile, starting from zero, from C, or from the bias row. A partial
// tile (mr < 6 or nr < 16) goes through scratch: its rows of A copied and padded with zeros, its
// corner of C through a scratch tile, so that nothing outside A's rows or C's (mr,nr) corner is
// read or written.
void tile(int kc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col, const float* Bp, float* C,
          std::ptrdiff_t ldc, int mr, int nr, Start start, const float* bias) {
  alignas(32) float b[kNR] = {};
  if (start == Start::bias)
    for (int c = 0; c < nr; ++c) b[c] = bias[c];
  const __m256 init0 = _mm256_load_ps(b), init1 = _mm256_load_ps(b + 8);
  const bool load = start == Start::load;
  auto kernel = [&](const float* a, std::ptrdiff_t ar, std::ptrdiff_t ac, float* out, std::ptrdiff_t ldo) {
    if (load) kernel_6x16<true>(kc, a, ar, ac, Bp, out, ldo, init0, init1);
    else kernel_6x16<false>(kc, a, ar, ac, Bp, out, ldo, init0, init1);
  };
  if (mr == kMR && nr == kNR) return kernel(A, a_row, a_col, C, ldc);
  alignas(32) float rows[kKC * kMR];  // (kc,6) A's mr rows, then zeros: A(r,p) at [p·6 + r]
  const float* a = A;
  std::ptrdiff_t ar = a_row, ac = a_col;
  if (mr < kMR) {
    for (int i = 0; i < kc * kMR; ++i) rows[i] = 0.0f;
    for (int r = 0; r < mr; ++r)
      for (int p = 0; p < kc; ++p) rows[p * kMR + r] = A[r * a_row + p * a_col];
    a = rows, ar = 1, ac = kMR;
  }
  alignas(32) float scratch[kMR * kNR] = {};
  if (load)
    for (int r = 0; r < mr; ++r)
      for (int c = 0; c < nr; ++c) scratch[r * kNR + c] = C[r * ldc + c];
  kernel(a, ar, ac, scratch, kNR);
  for (int r = 0; r < mr; ++r)
    for (int c = 0; c < nr; ++c) C[r * ldc + c] = scratch[r * kNR + c];
}

}  // namespace

void gemm(float* C, std::ptrdiff_t ldc, const float* A, std::ptrdiff_t a_row, std::ptrdiff_t a_col, const float* B,
          std::ptrdiff_t b_row, std::ptrdiff_t b_col, const float* bias, int m, int n, int k, bool accumulate,
          float* Bp) {
  assert(m >= 0 && n >= 0 && k > 0 && !(accumulate && bias));  // k == 0: gemm.cpp
  for (int p0 = 0; p0 < k; p0 += kKC) {
    const int kc = min_int(kKC, k - p0);
    // The first block of the sum starts from zero, the bias or C; later blocks from C.
    const Start start = p0 > 0 || accumulate ? Start::load : bias ? Start::bias : Start::zero;
    for (int j0 = 0; j0 < n; j0 += kNC) {
      const int nc = min_int(kNC, n - j0);
      pack_b(Bp, B, b_row, b_col, p0, kc, j0, nc);
      for (int i = 0; i < m; i += kMR) {  // six rows of A (at depth kc) stay in L1 while ...
        const int mr = min_int(kMR, m - i);
        for (int q = 0; q < nc; q += kNR) {  // ... the block's B panels stream from L2
          tile(kc, A + i * a_row + p0 * a_col, a_row, a_col, Bp + static_cast<std::ptrdiff_t>(q) * kc,
               C + i * ldc + j0 + q, ldc, mr, min_int(kNR, nc - q), start, bias ? bias + j0 + q : nullptr);
        }
      }
    }
  }
}

}  // namespace zgen::transformer::kernels::detail::avx2

#endif
