// The layer pairs declared in layers.hpp. Explicitly instantiated for float
// (training and inference) and double (gradient checks) at the end.
#include "src/transformer/layers.hpp"

#include "src/transformer/kernels/attention.hpp"
#include "src/transformer/kernels/gemm.hpp"

#include <omp.h>

// Eigen's own OpenMP split of a product (on from 50K multiply-adds) is switched off: it makes
// small products pay for waking a team, which on a busy machine costs milliseconds. Products
// are split here instead, by rows (or by output rows for weight gradients), only when each
// thread gets millions of multiply-adds (kGemmParallelMin). This file is zgen's only user of
// Eigen's products, so the macro cannot disagree with another translation unit.
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Dense>
#include <type_traits>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

namespace zgen::transformer {

namespace {

// Below this many elements of work a loop runs on the calling thread: waking a team costs more.
constexpr std::ptrdiff_t kParallelMin = 1 << 18;
// The same for multiply-adds of a matrix product or of attention.
constexpr double kGemmParallelMin = 1 << 22;

// Runs fn(begin, count) over [0, n) split into one contiguous part per thread when `work`
// justifies a team, else on the calling thread. A fixed thread count gives a fixed split.
template <typename Fn>
void split_rows(std::ptrdiff_t n, double work, Fn&& fn) {
  const int threads = work >= kGemmParallelMin ? std::max(1, omp_get_max_threads()) : 1;
  if (threads == 1 || n < 2) {
    fn(std::ptrdiff_t{0}, n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::ptrdiff_t begin = n * t / nt, end = n * (t + 1) / nt;
    if (end > begin) fn(begin, end - begin);
  }
}

// Runs body(n) for n in [0, N): on a team when `work` elements justify one, else in a plain loop.
// Not `omp parallel for if (…)`: a region whose if is false still builds a team of one, 1.3 µs
// on the project's machine, which the KV cache's step paid ten times a byte for LayerNorms of
// one row (0.1 µs of work each). The body is the same either way, so are the bits.
template <typename Body>
void for_rows(std::ptrdiff_t N, std::ptrdiff_t work, Body&& body) {
  if (work > kParallelMin) {
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t n = 0; n < N; ++n) body(n);
  } else {
    for (std::ptrdiff_t n = 0; n < N; ++n) body(n);
  }
}

// Runs fn(begin, count) over [0, n) in pieces of `piece` (the last one shorter), the pieces
// shared among a team when `work` justifies one. Eigen's products choose their blocking from
// their shape, so a thread's share of rows, if it depended on the thread count, could change
// the bits; pieces fixed by n alone do not.
template <typename Fn>
void split_pieces(std::ptrdiff_t n, std::ptrdiff_t piece, double work, Fn&& fn) {
  const std::ptrdiff_t pieces = (n + piece - 1) / piece;
  const int threads = work >= kGemmParallelMin && pieces > 1 ? std::max(1, omp_get_max_threads()) : 1;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (std::ptrdiff_t p = 0; p < pieces; ++p) fn(p * piece, std::min(piece, n - p * piece));
}

// Rows of an Eigen product per piece (split_pieces): large enough for Eigen's blocking.
constexpr std::ptrdiff_t kEigenPieceRows = 256;

template <typename F>
using MatR = Eigen::Matrix<F, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename F>
using MapR = Eigen::Map<MatR<F>>;
template <typename F>
using CMapR = Eigen::Map<const MatR<F>>;
// A (rows, cols) block of a wider row-major buffer: one head's columns of qkv, for instance.
template <typename F>
using StridedR = Eigen::Map<MatR<F>, 0, Eigen::OuterStride<>>;
template <typename F>
using CStridedR = Eigen::Map<const MatR<F>, 0, Eigen::OuterStride<>>;
template <typename F>
using ArrX = Eigen::Array<F, Eigen::Dynamic, 1>;

// Splits [0, n) into one contiguous chunk per thread of a static team; elementwise work on a
// chunk goes through Eigen's vectorised array functions (exp, tanh).
template <typename Fn>
void for_chunks(std::ptrdiff_t n, Fn&& fn) {
  const std::ptrdiff_t min_chunk = kParallelMin;
  const int threads = static_cast<int>(std::clamp<std::ptrdiff_t>(n / min_chunk, 1, omp_get_max_threads()));
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::ptrdiff_t begin = n * t / nt, end = n * (t + 1) / nt;
    if (end > begin) fn(begin, end - begin);
  }
}

// x[i] ← exp(x[i]·scale − shift) for i < n; returns Σ x[i] (lanes summed in a fixed order).
//
// Why not Eigen's exp: on the portable SSE2 target Eigen's float exp costs as much per value as
// the attention GEMMs spend per score (BENCHMARKS.md, "The transformer", stop 8), and attention
// evaluates T²/2 of them per head in forward and again in backward. This is Cephes' expf (range reduction by ln 2 in two parts,
// degree-6 polynomial, exponent assembled in the bits; relative error ≈ 2e-7, like float
// rounding) on GCC vector extensions, which compile to SSE2 (and wider with -march flags).
// Arguments are clamped to [−87.3, 88.3]: exp(−87.3) ≈ 1e-38 stands in for 0, harmless in a
// softmax whose largest term is 1.
float exp_scaled_sum(float* x, std::ptrdiff_t n, float scale, float shift) {
  if (kernels::available()) return kernels::exp_scaled_sum(x, n, scale, shift);  // the same, with FMAs
  // One register of lanes: 8 with AVX, 4 with SSE2 (an 8-lane vector on SSE2 is split into
  // pairs and runs slower). Loads and stores go through the vector type itself (may_alias,
  // aligned(4)): through memcpy GCC spills 32-byte vectors to the stack, which is much slower.
#ifdef __AVX__
  constexpr std::ptrdiff_t kLanes = 8;
#else
  constexpr std::ptrdiff_t kLanes = 4;
#endif
  typedef float vf __attribute__((vector_size(4 * kLanes), aligned(4), __may_alias__));
  typedef std::int32_t vi __attribute__((vector_size(4 * kLanes)));
  auto splat = [](float c) { return vf{} + c; };
  auto exp_lanes = [&](vf v) {
    v = v * scale - shift;
    v = v < splat(88.3f) ? v : splat(88.3f);
    v = v > splat(-87.3f) ? v : splat(-87.3f);
    // n = round(v·log2 e) by the 1.5·2²³ trick (round-to-nearest without SSE4.1's roundps).
    const vf k = (v * splat(1.44269504088896341f) + splat(12582912.0f)) - splat(12582912.0f);
    const vf r = v - k * splat(0.693359375f) - k * splat(-2.12194440e-4f);
    vf p = splat(1.9875691500e-4f);
    p = p * r + splat(1.3981999507e-3f);
    p = p * r + splat(8.3334519073e-3f);
    p = p * r + splat(4.1665795894e-2f);
    p = p * r + splat(1.6666665459e-1f);
    p = p * r + splat(5.0000001201e-1f);
    const vf y = p * r * r + r + splat(1.0f);
    const vi bits = (__builtin_convertvector(k, vi) + 127) << 23;  // 2^k: k in [−126, 127]
    vf two_k;
    std::memcpy(&two_k, &bits, sizeof two_k);
    return y * two_k;
  };
  vf acc = splat(0.0f);
  std::ptrdiff_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const vf y = exp_lanes(*reinterpret_cast<const vf*>(x + i));
    *reinterpret_cast<vf*>(x + i) = y;
    acc += y;
  }
  float sum = 0;
  for (std::ptrdiff_t j = 0; j < kLanes; ++j) sum += acc[j];
  if (i < n) {  // the last values through the same vector arithmetic, padded
    const std::ptrdiff_t rest = n - i;
    vf v = splat(0.0f);
    std::memcpy(&v, x + i, static_cast<std::size_t>(rest) * sizeof(float));
    const vf y = exp_lanes(v);
    std::memcpy(x + i, &y, static_cast<std::size_t>(rest) * sizeof(float));
    for (std::ptrdiff_t j = 0; j < rest; ++j) sum += y[j];
  }
  return sum;
}

// The same for double (gradient checks): Eigen's exp, exact enough for finite differences.
double exp_scaled_sum(double* x, std::ptrdiff_t n, double scale, double shift) {
  Eigen::Map<Eigen::ArrayXd> a(x, n);
  a = (a * scale - shift).exp();
  return a.sum();
}

constexpr double kGeluScale = 0.7978845608028654;  // √(2/π)
constexpr double kGeluCubic = 0.044715;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Embeddings

template <typename F>
void encoder_forward(F* out, const std::uint8_t* tokens, const F* wte, const F* pos, int B, int T, int C) {
  const std::ptrdiff_t BT = static_cast<std::ptrdiff_t>(B) * T;
  for_rows(BT, BT * C, [&](std::ptrdiff_t bt) {
    const int t = static_cast<int>(bt % T);
    F* o = out + bt * C;                          // (C)
    const F* e = wte + std::ptrdiff_t{tokens[bt]} * C;  // (C)
    const F* p = pos + static_cast<std::ptrdiff_t>(t) * C;  // (C)
    for (int i = 0; i < C; ++i) o[i] = e[i] + p[i];
  });
}

template <typename F>
void embedding_add_forward(F* out, const std::uint8_t* ids, const F* table, std::ptrdiff_t N, int C) {
  for_rows(N, N * C, [&](std::ptrdiff_t n) {
    F* o = out + n * C;                             // (C)
    const F* e = table + std::ptrdiff_t{ids[n]} * C;  // (C)
    for (int i = 0; i < C; ++i) o[i] += e[i];
  });
}

template <typename F>
void embedding_add_backward(F* dtable, const F* dout, const std::uint8_t* ids, std::ptrdiff_t N, int C) {
  // Serial on purpose: rows scatter into shared embedding rows, and a fixed order keeps the sums
  // reproducible. It is O(N·C), negligible beside the matrix products.
  for (std::ptrdiff_t n = 0; n < N; ++n) {
    const F* d = dout + n * C;                    // (C)
    F* e = dtable + std::ptrdiff_t{ids[n]} * C;  // (C)
    for (int i = 0; i < C; ++i) e[i] += d[i];
  }
}

template <typename F>
void encoder_backward(F* dwte, F* dpos, const F* dout, const std::uint8_t* tokens, int B, int T, int C) {
  // Each table's rows add up in the order of the positions, as in one loop over both.
  embedding_add_backward(dwte, dout, tokens, static_cast<std::ptrdiff_t>(B) * T, C);
  if (!dpos) return;
  for (std::ptrdiff_t bt = 0; bt < static_cast<std::ptrdiff_t>(B) * T; ++bt) {
    const F* d = dout + bt * C;  // (C)
    F* p = dpos + (bt % T) * C;  // (C)
    for (int i = 0; i < C; ++i) p[i] += d[i];
  }
}

// ---------------------------------------------------------------------------------------------
// LayerNorm

// Σ_{i<n} term(i) in a fixed order: eight partial sums, term i into sum i % 8, then the eight
// added pairwise. The compiler keeps a plain loop's float sum as one chain of dependent adds
// (it may not reorder them); the eight sums are independent, so it vectorises them, and the
// order, hence the bits, do not depend on the instruction set or on where the data lie (Eigen's
// sum() starts its vectors at the first aligned element, which would).
template <typename Term>
auto lane_sum(int n, Term&& term) {
  decltype(term(0)) acc[8] = {};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += term(i + l);
  for (int l = 0; i < n; ++i, ++l) acc[l] += term(i);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

template <typename F>
void layernorm_forward(F* out, F* mean, F* rstd, const F* inp, const F* weight, const F* bias, std::ptrdiff_t N,
                       int C) {
  for_rows(N, N * C, [&](std::ptrdiff_t n) {
    const F* x = inp + n * C;  // (C)
    const F m = lane_sum(C, [&](int i) { return x[i]; }) / static_cast<F>(C);
    // Two passes: the variance of centred values, stable for large means.
    const F v = lane_sum(C, [&](int i) { return (x[i] - m) * (x[i] - m); }) / static_cast<F>(C);
    const F s = F(1) / std::sqrt(v + static_cast<F>(kLayerNormEps));
    F* o = out + n * C;  // (C)
    for (int i = 0; i < C; ++i) o[i] = (x[i] - m) * s * weight[i] + bias[i];
    mean[n] = m;
    rstd[n] = s;
  });
}

template <typename F>
void layernorm_backward(F* dinp, F* dweight, F* dbias, const F* dout, const F* inp, const F* weight, const F* mean,
                        const F* rstd, std::ptrdiff_t N, int C) {
  // Each thread sums its static share of rows into its own (dweight, dbias) partials; the
  // partials are then added in thread order, so the sum is the same run to run.
  const int threads = N * C > kParallelMin ? omp_get_max_threads() : 1;
  std::vector<F> partial(static_cast<std::size_t>(threads) * 2 * C, F(0));  // (threads, 2, C)
#pragma omp parallel num_threads(threads)
  {
    F* pw = partial.data() + static_cast<std::size_t>(omp_get_thread_num()) * 2 * C;  // (C)
    F* pb = pw + C;                                                                    // (C)
    std::vector<F> row(2 * static_cast<std::size_t>(C));
    F* norm = row.data();   // (C) this row's normalised input
    F* dnorm = norm + C;    // (C) weight·dy
#pragma omp for schedule(static)
    for (std::ptrdiff_t n = 0; n < N; ++n) {
      const F* x = inp + n * C;    // (C)
      const F* dy = dout + n * C;  // (C)
      F* dx = dinp + n * C;        // (C)
      const F m = mean[n], s = rstd[n];
      // dx = s·(dnorm − mean(dnorm) − norm·mean(dnorm·norm)). The row's two vectors first, so
      // that every loop below is a plain one over arrays, which the compiler vectorises.
      for (int i = 0; i < C; ++i) {
        norm[i] = (x[i] - m) * s;
        dnorm[i] = weight[i] * dy[i];
      }
      const F dnorm_mean = lane_sum(C, [&](int i) { return dnorm[i]; }) / static_cast<F>(C);
      const F dnorm_norm_mean = lane_sum(C, [&](int i) { return dnorm[i] * norm[i]; }) / static_cast<F>(C);
      for (int i = 0; i < C; ++i) {
        pb[i] += dy[i];
        pw[i] += norm[i] * dy[i];
        dx[i] += (dnorm[i] - dnorm_mean - norm[i] * dnorm_norm_mean) * s;
      }
    }
  }
  for (int t = 0; t < threads; ++t) {
    const F* pw = partial.data() + static_cast<std::size_t>(t) * 2 * C;
    for (int i = 0; i < C; ++i) {
      dweight[i] += pw[i];
      dbias[i] += pw[C + i];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Linear layers

// The linear layers' products go through the packed GEMM (src/transformer/kernels/gemm.hpp) for float
// where the CPU has AVX2 or AVX-512 (kernels/isa.hpp), from kGemmKernelMinRows rows up; Eigen otherwise: for double (the gradient
// checks), and for the one-row products of incremental decoding, where packing the weights would
// cost as much as the product. The choice depends on the row count only, never on the threads.
constexpr std::ptrdiff_t kGemmKernelMinRows = 16;

template <typename F>
bool use_gemm_kernel(std::ptrdiff_t rows) {
  if constexpr (std::is_same_v<F, float>) return kernels::available() && rows >= kGemmKernelMinRows;
  return false;
}

template <typename F>
void matmul_forward(F* out, const F* inp, const F* weight, const F* bias, std::ptrdiff_t N, int C, int OC) {
  CMapR<F> w(weight, OC, C);  // (OC,C)
  const double work = static_cast<double>(N) * C * OC;
  if constexpr (std::is_same_v<F, float>) {
    if (use_gemm_kernel<F>(N)) {  // out (n,OC) = inp (n,C) · weightᵀ (C,OC) + bias, per thread
      return split_rows(N, work, [&](std::ptrdiff_t r0, std::ptrdiff_t n) {
        kernels::gemm(out + r0 * OC, OC, inp + r0 * C, C, 1, weight, 1, C, bias, static_cast<int>(n), OC, C, false);
      });
    }
  }
  split_pieces(N, kEigenPieceRows, work, [&](std::ptrdiff_t r0, std::ptrdiff_t n) {
    MapR<F> o(out + r0 * OC, n, OC);   // (n,OC) this piece's rows
    CMapR<F> x(inp + r0 * C, n, C);    // (n,C)
    if (bias) {
      // The GEMM accumulates into its destination anyway; starting from the bias costs what
      // zeroing would.
      Eigen::Map<const Eigen::Matrix<F, 1, Eigen::Dynamic>> b(bias, OC);  // (OC)
      o.rowwise() = b;
      o.noalias() += x * w.transpose();
    } else {
      o.noalias() = x * w.transpose();
    }
  });
}

// Rows of dout per piece of the input gradient when the packed GEMM runs it: a multiple of its
// six-row tile, and at most 384 KB of dout (OC = 512), so that the piece is still in L2 when its
// bias-gradient sums read it again.
constexpr std::ptrdiff_t kKernelPieceRows = 192;

// sums[o] += Σ_{p<n} rows[p·ld + o] for o < OC, row after row, in double.
template <typename F>
void add_column_sums(double* sums, const F* rows, std::ptrdiff_t ld, std::ptrdiff_t n, int OC) {
  for (std::ptrdiff_t p = 0; p < n; ++p)
    for (int o = 0; o < OC; ++o) sums[o] += rows[p * ld + o];
}

template <typename F>
void matmul_backward(F* dinp, F* dweight, F* dbias, const F* dout, const F* inp, const F* weight, std::ptrdiff_t N,
                     int C, int OC) {
  const double work = static_cast<double>(N) * C * OC;
  const bool kernel = use_gemm_kernel<F>(N);
  // The input gradient goes in pieces of rows fixed by the shape (Eigen chooses its blocking
  // from a product's shape; the packed GEMM gives every row the same bits however the rows are
  // split). Each piece also sums its rows of dout for the bias gradient while they are in cache,
  // into its own row of `partial`; the rows are then added in order, so that the sum does not
  // depend on the thread count either.
  CMapR<F> w(weight, OC, C);  // (OC,C)
  const std::ptrdiff_t piece = kernel ? kKernelPieceRows : kEigenPieceRows;
  std::vector<double> partial(dbias ? static_cast<std::size_t>((N + piece - 1) / piece) * OC : 0);  // (pieces,OC)
  if (dinp || dbias) {
    split_pieces(N, piece, work, [&](std::ptrdiff_t r0, std::ptrdiff_t n) {
      if (dinp) {
        bool done = false;
        if constexpr (std::is_same_v<F, float>) {
          if (kernel) {  // dinp (n,C) = dout (n,OC) · weight (OC,C)
            kernels::gemm(dinp + r0 * C, C, dout + r0 * OC, OC, 1, weight, C, 1, nullptr, static_cast<int>(n), C, OC,
                          false);
            done = true;
          }
        }
        if (!done) {
          MapR<F> dx(dinp + r0 * C, n, C);     // (n,C)
          CMapR<F> dy(dout + r0 * OC, n, OC);  // (n,OC)
          dx.noalias() = dy * w;
        }
      }
      if (dbias) add_column_sums(partial.data() + r0 / piece * OC, dout + r0 * OC, OC, n, OC);
    });
  }
  if (dbias) {
    for (int o = 0; o < OC; ++o) {
      double sum = 0;
      for (std::size_t q = 0; q < partial.size() / OC; ++q) sum += partial[q * OC + o];
      dbias[o] += static_cast<F>(sum);
    }
  }
  // The weight gradient sums over all N rows; splitting its OUTPUT instead keeps each sum on one
  // thread, in one order. Eigen: pieces of 32 rows. The packed GEMM: one part per thread, across
  // dweight's longer side. In rows (OC), each part reads all of inp; in columns (C), all of dout,
  // and packs only its columns of inp. Where OC <= C (the attention and MLP projections), the
  // column split is the faster (BENCHMARKS.md, "The transformer", stop 13); the bits are the same,
  // since each element's sum runs over k in the same order wherever it sits.
  CMapR<F> dy(dout, N, OC);  // (N,OC)
  CMapR<F> x(inp, N, C);     // (N,C)
  if constexpr (std::is_same_v<F, float>) {
    if (kernel) {
      if (OC > C) {
        return split_rows(OC, work, [&](std::ptrdiff_t o0, std::ptrdiff_t n) {
          // dweight (n,C) += doutᵀ (n,N), read in place, · inp (N,C)
          kernels::gemm(dweight + o0 * C, C, dout + o0, 1, OC, inp, C, 1, nullptr, static_cast<int>(n), C,
                        static_cast<int>(N), true);
        });
      }
      return split_rows((C + 15) / 16, work, [&](std::ptrdiff_t p0, std::ptrdiff_t panels) {  // whole 16-column panels
        const std::ptrdiff_t c0 = 16 * p0, n = std::min<std::ptrdiff_t>(16 * panels, C - c0);
        // dweight (OC,n) += doutᵀ (OC,N), read in place, · inp (N,n)
        kernels::gemm(dweight + c0, C, dout, 1, OC, inp + c0, C, 1, nullptr, OC, static_cast<int>(n),
                      static_cast<int>(N), true);
      });
    }
  }
  split_pieces(OC, 32, work, [&](std::ptrdiff_t o0, std::ptrdiff_t n) {
    MapR<F> dw(dweight + o0 * C, n, C);  // (n,C) rows o0.. of dweight
    dw.noalias() += dy.middleCols(o0, n).transpose() * x;
  });
}

// ---------------------------------------------------------------------------------------------
// GELU (tanh approximation)

template <typename F>
void gelu_forward(F* out, const F* inp, std::ptrdiff_t N) {
  for_chunks(N, [&](std::ptrdiff_t begin, std::ptrdiff_t n) {
    Eigen::Map<const ArrX<F>> x(inp + begin, n);  // (n)
    Eigen::Map<ArrX<F>> y(out + begin, n);        // (n)
    const F s = static_cast<F>(kGeluScale), c = static_cast<F>(kGeluCubic);
    y = F(0.5) * x * (F(1) + (s * (x + c * x.cube())).tanh());
  });
}

template <typename F>
void gelu_backward(F* dinp, const F* inp, const F* dout, std::ptrdiff_t N) {
  for_chunks(N, [&](std::ptrdiff_t begin, std::ptrdiff_t n) {
    Eigen::Map<const ArrX<F>> x(inp + begin, n);   // (n)
    Eigen::Map<const ArrX<F>> dy(dout + begin, n);  // (n)
    Eigen::Map<ArrX<F>> dx(dinp + begin, n);        // (n), may be dy's memory: read before write per element
    const F s = static_cast<F>(kGeluScale), c = static_cast<F>(kGeluCubic);
    const ArrX<F> t = (s * (x + c * x.cube())).tanh();
    dx = (F(0.5) * (F(1) + t) + F(0.5) * x * (F(1) - t.square()) * s * (F(1) + F(3) * c * x.square())) * dy;
  });
}

// ---------------------------------------------------------------------------------------------
// Causal self-attention

// The two products attention is made of, on raw row-major blocks: the AVX2 kernels for float
// where the CPU has them (kernels/isa.hpp) and the head size is whole vectors (src/transformer/kernels/attention.hpp), Eigen
// otherwise (and for double, the gradient checks' type).
template <typename F>
bool use_kernels(int hs) {
  if constexpr (std::is_same_v<F, float>) return kernels::available() && hs % 8 == 0;
  return false;
}

// The kernels' copy of a head's B (n,k), built once per head: a TransposedPanel (Bᵀ, for
// product_abt) or a StripPanel (B in column strips, for product_ab). Nothing for Eigen, which
// reads B in place.
template <typename F, typename Panel>
void prepare_panel(Panel& panel, const F* B, std::ptrdiff_t ldb, int n, int k) {
  if constexpr (std::is_same_v<F, float>) {
    if (use_kernels<F>(k)) panel.assign(B, ldb, n, k);
  }
}

// S = A · Bᵀ for B's rows row0 .. row0 + n − 1 (row0 a multiple of 16); `panel` holds the whole
// Bᵀ when the kernels are in use.
template <typename F>
void product_abt(F* S, std::ptrdiff_t lds,        // (m,n)
                 const F* A, std::ptrdiff_t lda,  // (m,k)
                 const F* B, std::ptrdiff_t ldb,  // (row0 + n, k)
                 const kernels::TransposedPanel& panel, int m, int n, int k, int row0 = 0) {
  if constexpr (std::is_same_v<F, float>) {
    if (use_kernels<F>(k)) return kernels::gemm_abt(S, lds, A, lda, panel, m, n, row0);
  }
  StridedR<F>(S, m, n, Eigen::OuterStride<>(lds)).noalias() =
      CStridedR<F>(A, m, k, Eigen::OuterStride<>(lda)) *
      CStridedR<F>(B + row0 * ldb, n, k, Eigen::OuterStride<>(ldb)).transpose();
}

// C (+)= op(A) · B for B's rows row0 .. row0 + n − 1, where op(A) is A (m,n) with row stride
// lda, or, when `transpose_a`, the transpose of an (n,m) block A with row stride lda; `strips`
// holds the whole B when the kernels are in use.
template <typename F>
void product_ab(F* C, std::ptrdiff_t ldc,        // (m,k)
                const F* A, std::ptrdiff_t lda,  // (m,n), or (n,m) when transpose_a
                bool transpose_a,
                const F* B, std::ptrdiff_t ldb,  // (row0 + n, k)
                const kernels::StripPanel& strips, int m, int n, int k, bool accumulate, int row0 = 0) {
  if constexpr (std::is_same_v<F, float>) {
    if (use_kernels<F>(k))
      return kernels::gemm_ab(C, ldc, A, transpose_a ? 1 : lda, transpose_a ? lda : 1, strips, m, n, accumulate, row0);
  }
  StridedR<F> out(C, m, k, Eigen::OuterStride<>(ldc));
  CStridedR<F> b(B + row0 * ldb, n, k, Eigen::OuterStride<>(ldb));
  if (transpose_a) {
    CStridedR<F> a(A, n, m, Eigen::OuterStride<>(lda));
    if (accumulate) out.noalias() += a.transpose() * b;
    else out.noalias() = a.transpose() * b;
  } else {
    CStridedR<F> a(A, m, n, Eigen::OuterStride<>(lda));
    if (accumulate) out.noalias() += a * b;
    else out.noalias() = a * b;
  }
}

template <typename F>
bool attention_keeps_probs(int hs) {
  return use_kernels<F>(hs);
}

template <typename F>
void attention_forward(F* out, F* lse, std::uint16_t* probs, const F* qkv, int B, int T, int C, int H, int q_block) {
  const int hs = C / H;
  if (!attention_keeps_probs<F>(hs)) probs = nullptr;
  const std::ptrdiff_t per_head = attention_probs_per_head(T);
  const std::ptrdiff_t C3 = 3 * static_cast<std::ptrdiff_t>(C);
  const F scale = F(1) / std::sqrt(static_cast<F>(hs));
  q_block = std::max(1, std::min(q_block, T));
#pragma omp parallel if (static_cast<double>(B) * H * T * T * hs >= kGemmParallelMin)
  {
    const int ld = kernels::padded_stride(T);
    MatR<F> S(q_block, ld);  // (q_block, T) one tile's scores, then unnormalised probabilities; row stride ld
    Eigen::Matrix<F, Eigen::Dynamic, 1> inv_sum(q_block);  // (q_block) 1 / each row's sum
    kernels::TransposedPanel Kt;                           // (hs,T) this head's Kᵀ, for the kernels
    kernels::StripPanel Vs;                                // (T,hs) this head's V in strips, for the kernels
#pragma omp for schedule(dynamic, 1)
    for (int bh = 0; bh < B * H; ++bh) {
      const int b = bh / H, h = bh % H;
      const F* base = qkv + static_cast<std::ptrdiff_t>(b) * T * C3;  // (T,3C) this sequence
      const F* K = base + C + h * hs;                                  // (T,hs) row stride 3C
      const F* V = base + 2 * C + h * hs;                              // (T,hs) row stride 3C
      std::uint16_t* probs_bh = probs ? probs + bh * per_head : nullptr;  // this head's kept rows, or null
      prepare_panel(Kt, K, C3, T, hs);
      prepare_panel(Vs, V, C3, T, hs);
      for (int q0 = 0; q0 < T; q0 += q_block) {
        const int nq = std::min(q_block, T - q0), nk = q0 + nq;  // keys 0..nk−1 reach this tile
        const F* Q = base + q0 * C3 + h * hs;                     // (nq,hs) row stride 3C
        product_abt(S.data(), ld, Q, C3, K, C3, Kt, nq, nk, hs);  // S (nq,nk) = Q Kᵀ
        for (int r = 0; r < nq; ++r) {
          const int i = q0 + r, len = i + 1;  // query i sees keys 0..i
          F* row = S.data() + static_cast<std::ptrdiff_t>(r) * ld;  // (len) live, then (nk − len) masked
          const F m = Eigen::Map<const ArrX<F>>(row, len).maxCoeff() * scale;
          const F sum = exp_scaled_sum(row, len, scale, m);  // row ← exp(row·scale − m)
          inv_sum(r) = F(1) / sum;
          if constexpr (std::is_same_v<F, float>) {
            if (probs_bh)
              kernels::store_half(probs_bh + attention_prob_row(i), row, len, (len + 15) / 16 * 16, inv_sum(r));
          }
          std::fill(row + len, row + nk, F(0));
          lse[static_cast<std::ptrdiff_t>(bh) * T + i] = m + std::log(sum);
        }
        // O (nq,hs) = P V, normalised after the product: nq·hs divisions, not a pass over P.
        F* O = out + (static_cast<std::ptrdiff_t>(b) * T + q0) * C + h * hs;  // row stride C
        product_ab(O, C, S.data(), ld, false, V, C3, Vs, nq, nk, hs, false);
        for (int r = 0; r < nq; ++r)
          for (int d = 0; d < hs; ++d) O[r * C + d] *= inv_sum(r);
      }
    }
    if (probs) kernels::finish_half_stores();
  }
}

template <typename F>
void attention_backward(F* dqkv, const F* dout, const F* qkv, const F* out, const F* lse, const std::uint16_t* probs,
                        int B, int T, int C, int H, int q_block, int key_block) {
  const int hs = C / H;
  if (!attention_keeps_probs<F>(hs)) probs = nullptr;
  const std::ptrdiff_t per_head = attention_probs_per_head(T);
  const std::ptrdiff_t C3 = 3 * static_cast<std::ptrdiff_t>(C);
  const F scale = F(1) / std::sqrt(static_cast<F>(hs));
  q_block = std::max(1, std::min(q_block, T));
#pragma omp parallel if (static_cast<double>(B) * H * T * T * hs >= kGemmParallelMin)
  {
    // Keys go in blocks of kb (kAttentionKeyBlock by default), the outer loop, and query tiles
    // of q_block the inner one (FlashAttention-2's order): a key block's panels and its dK and
    // dV sums (kb·hs floats each, 32 KB at 256 × 32) stay in L2 while the query tiles stream
    // past, and a tile's probabilities and their gradient ((q_block, kb) each, 68 KB at 64 ×
    // 256) stay there through its five products. With the queries outer, every tile streamed
    // the head's keys and its dK and dV sums from L3, and ran slower (BENCHMARKS.md, "The
    // transformer", stop 13).
    //
    // A (query tile, key block) pair covers keys k0 .. min(k0 + kb, q0 + nq) − 1, the keys the
    // tile's last query sees. Each sum keeps its order, and the order does not depend on which
    // loop is outer: dQ adds the key blocks in order (128 keys at a time inside when kb is a
    // multiple of the kernels' 128), dK and dV add the query tiles in order.
    const int kb = std::min((std::max(key_block, 1) + 15) / 16 * 16, T), ld = kernels::padded_stride(kb);
    MatR<F> P(q_block, ld);   // (q_block, kb) recomputed probabilities of one pair; row stride ld
    MatR<F> dS(q_block, ld);  // (q_block, kb) their gradient dP, then the scores' gradient × scale
    MatR<F> dQ(T, hs);        // (T,hs) this head's dQ sums, contiguous; copied out at the end
    MatR<F> dKb(kb, hs), dVb(kb, hs);          // (kb,hs) each: one key block's dK and dV sums
    Eigen::Matrix<F, Eigen::Dynamic, 1> D(T);  // (T) D_i = dO_i · O_i = Σ_j P_ij dP_ij
    kernels::TransposedPanel Kt, Vt;           // (hs,T) each: this head's Kᵀ and Vᵀ, for the kernels
    kernels::StripPanel Qs, Ks, dOs;           // (T,hs) each: this head's Q, K and dO in strips, for the kernels
#pragma omp for schedule(dynamic, 1)
    for (int bh = 0; bh < B * H; ++bh) {
      const int b = bh / H, h = bh % H;
      const std::ptrdiff_t row0 = static_cast<std::ptrdiff_t>(b) * T;
      const F* base = qkv + row0 * C3;  // (T,3C)
      F* dbase = dqkv + row0 * C3;      // (T,3C)
      const F* lse_bh = lse + static_cast<std::ptrdiff_t>(bh) * T;  // (T)
      const std::uint16_t* probs_bh = probs ? probs + bh * per_head : nullptr;  // this head's kept rows, or null
      // This head's blocks, each (T,hs): rows of q, k, v (stride 3C), of O and dO (stride C).
      const F *Qall = base + h * hs, *Kall = base + C + h * hs, *Vall = base + 2 * C + h * hs;
      F *dQall = dbase + h * hs, *dKall = dbase + C + h * hs, *dVall = dbase + 2 * C + h * hs;
      const F* Oall = out + row0 * C + h * hs;
      const F* dOall = dout + row0 * C + h * hs;
      if (!probs_bh) prepare_panel(Kt, Kall, C3, T, hs);  // for the scores, recomputed
      prepare_panel(Vt, Vall, C3, T, hs);
      prepare_panel(Qs, Qall, C3, T, hs);
      prepare_panel(Ks, Kall, C3, T, hs);
      prepare_panel(dOs, dOall, C, T, hs);
      D.noalias() = (CStridedR<F>(dOall, T, hs, Eigen::OuterStride<>(C)).array() *
                     CStridedR<F>(Oall, T, hs, Eigen::OuterStride<>(C)).array())
                        .rowwise()
                        .sum()
                        .matrix();
      for (int k0 = 0; k0 < T; k0 += kb) {
        dKb.setZero();
        dVb.setZero();
        for (int q0 = k0 / q_block * q_block; q0 < T; q0 += q_block) {  // from the tile holding query k0
          const int nq = std::min(q_block, T - q0), nb = std::min(kb, q0 + nq - k0);  // keys k0 .. k0 + nb − 1
          const F* Q = Qall + q0 * C3;   // (nq,hs)
          const F* dO = dOall + q0 * C;  // (nq,hs)
          if (probs_bh) {  // the forward's probabilities, kept
            if constexpr (std::is_same_v<F, float>) {
              for (int r = 0; r < nq; ++r) {
                const int i = q0 + r, live = std::clamp(i + 1 - k0, 0, nb);  // query i sees keys 0..i
                F* row = P.data() + static_cast<std::ptrdiff_t>(r) * ld;
                kernels::load_half(row, probs_bh + attention_prob_row(i) + k0, live);
                std::fill(row + live, row + nb, F(0));
                if (const int next = i + q_block; next < T)  // the same row of the next tile, same keys
                  kernels::prefetch_half(probs_bh + attention_prob_row(next) + k0, std::min(next + 1 - k0, kb));
              }
            }
          } else {
            product_abt(P.data(), ld, Q, C3, Kall, C3, Kt, nq, nb, hs, k0);  // the forward's scores
            for (int r = 0; r < nq; ++r) {
              const int i = q0 + r, live = std::clamp(i + 1 - k0, 0, nb);  // query i sees keys 0..i
              F* row = P.data() + static_cast<std::ptrdiff_t>(r) * ld;
              exp_scaled_sum(row, live, scale, lse_bh[i]);  // the forward's probabilities, recomputed
              std::fill(row + live, row + nb, F(0));
            }
          }
          product_abt(dS.data(), ld, dO, C, Vall, C3, Vt, nq, nb, hs, k0);  // dP (nq,nb) = dO Vᵀ
          // dS_ij = P_ij (dP_ij − D_i), times the scores' scale for the two products below;
          // masked entries have P = 0 and stay 0.
          for (int r = 0; r < nq; ++r) {
            const F* p = P.data() + static_cast<std::ptrdiff_t>(r) * ld;
            F* ds = dS.data() + static_cast<std::ptrdiff_t>(r) * ld;
            const F d = D(q0 + r);
            for (int j = 0; j < nb; ++j) ds[j] = p[j] * (ds[j] - d) * scale;
          }
          // dQ (nq,hs) (+)= dS K[k0..], dK[k0..] (nb,hs) += dSᵀ Q, dV[k0..] (nb,hs) += Pᵀ dO
          product_ab(dQ.data() + q0 * hs, hs, dS.data(), ld, false, Kall, C3, Ks, nq, nb, hs, k0 > 0, k0);
          product_ab(dKb.data(), hs, dS.data(), ld, true, Qall, C3, Qs, nb, nq, hs, true, q0);
          product_ab(dVb.data(), hs, P.data(), ld, true, dOall, C, dOs, nb, nq, hs, true, q0);
        }
        const int nb = std::min(kb, T - k0);
        StridedR<F>(dKall + k0 * C3, nb, hs, Eigen::OuterStride<>(C3)) = dKb.topRows(nb);
        StridedR<F>(dVall + k0 * C3, nb, hs, Eigen::OuterStride<>(C3)) = dVb.topRows(nb);
      }
      StridedR<F>(dQall, T, hs, Eigen::OuterStride<>(C3)) = dQ;
    }
  }
}

// One query's products against n cached rows of one head, dispatched like the two above:
// s (n) = K q, and out (hs) = Vᵀ p, K and V (n,hs) with row stride ldk.
template <typename F>
void query_scores(F* s, const F* q, const F* K, std::ptrdiff_t ldk, int n, int hs) {
  if constexpr (std::is_same_v<F, float>) {
    if (use_kernels<F>(hs)) return kernels::decode_scores(s, q, K, ldk, n, hs);
  }
  Eigen::Map<Eigen::Matrix<F, Eigen::Dynamic, 1>>(s, n).noalias() =
      CStridedR<F>(K, n, hs, Eigen::OuterStride<>(ldk)) * Eigen::Map<const Eigen::Matrix<F, Eigen::Dynamic, 1>>(q, hs);
}

template <typename F>
void weighted_rows(F* out, const F* p, const F* V, std::ptrdiff_t ldk, int n, int hs) {
  if constexpr (std::is_same_v<F, float>) {
    if (use_kernels<F>(hs)) return kernels::decode_weighted_sum(out, p, V, ldk, n, hs);
  }
  Eigen::Map<Eigen::Matrix<F, Eigen::Dynamic, 1>>(out, hs).noalias() =
      CStridedR<F>(V, n, hs, Eigen::OuterStride<>(ldk)).transpose() *
      Eigen::Map<const Eigen::Matrix<F, Eigen::Dynamic, 1>>(p, n);
}

template <typename F>
void attention_decode(F* out, const F* q, const F* keys, const F* values, std::ptrdiff_t ldk,
                      std::ptrdiff_t head_stride, int n, int C, int H) {
  const int hs = C / H;
  const F scale = F(1) / std::sqrt(static_cast<F>(hs));
  Eigen::Matrix<F, Eigen::Dynamic, 1> s(n);  // (n) one head's scores, then unnormalised probabilities
  for (int h = 0; h < H; ++h) {
    F* oh = out + h * hs;  // (hs)
    query_scores(s.data(), q + h * hs, keys + h * head_stride, ldk, n, hs);
    const F m = s.maxCoeff() * scale;
    const F inv_sum = F(1) / exp_scaled_sum(s.data(), n, scale, m);  // the batched pass's arithmetic
    weighted_rows(oh, s.data(), values + h * head_stride, ldk, n, hs);
    for (int d = 0; d < hs; ++d) oh[d] *= inv_sum;
  }
}

// ---------------------------------------------------------------------------------------------
// Softmax and cross-entropy

template <typename F>
double crossentropy_forward(F* probs, F* losses, const F* logits, const std::uint8_t* targets, std::ptrdiff_t N,
                            int V) {
#pragma omp parallel for schedule(static) if (N * V > kParallelMin)
  for (std::ptrdiff_t n = 0; n < N; ++n) {
    Eigen::Map<const ArrX<F>> z(logits + n * V, V);  // (V)
    Eigen::Map<ArrX<F>> p(probs + n * V, V);         // (V), may be z's memory
    const F m = z.maxCoeff();
    // −ln p_target from the logits, not from the rounded probability (exact for tiny p); read
    // before probs overwrites the logits when they share memory.
    const F target_logit = logits[n * V + targets[n]];
    p = (z - m).exp();
    const F sum = p.sum();
    p /= sum;
    losses[n] = std::log(sum) - (target_logit - m);
  }
  double total = 0;  // serial, in row order: the same mean run to run
  for (std::ptrdiff_t n = 0; n < N; ++n) total += static_cast<double>(losses[n]);
  return N > 0 ? total / static_cast<double>(N) : 0.0;
}

template <typename F>
void crossentropy_backward(F* dlogits, const F* probs, const std::uint8_t* targets, F dloss, std::ptrdiff_t N, int V) {
#pragma omp parallel for schedule(static) if (N * V > kParallelMin)
  for (std::ptrdiff_t n = 0; n < N; ++n) {
    const F* p = probs + n * V;  // (V)
    F* d = dlogits + n * V;      // (V), may be p's memory
    for (int v = 0; v < V; ++v) d[v] = p[v] * dloss;
    d[targets[n]] -= dloss;
  }
}

template <typename F>
void log_softmax(double* out, const F* logits, int V) {
  double m = -INFINITY;
  for (int v = 0; v < V; ++v) m = std::max(m, static_cast<double>(logits[v]));
  double sum = 0;
  for (int v = 0; v < V; ++v) sum += std::exp(static_cast<double>(logits[v]) - m);
  const double lse = m + std::log(sum);
  for (int v = 0; v < V; ++v) out[v] = static_cast<double>(logits[v]) - lse;
}

// ---------------------------------------------------------------------------------------------

#define ZGEN_INSTANTIATE_LAYERS(F)                                                                         \
  template void encoder_forward<F>(F*, const std::uint8_t*, const F*, const F*, int, int, int);            \
  template void encoder_backward<F>(F*, F*, const F*, const std::uint8_t*, int, int, int);                 \
  template void embedding_add_forward<F>(F*, const std::uint8_t*, const F*, std::ptrdiff_t, int);          \
  template void embedding_add_backward<F>(F*, const F*, const std::uint8_t*, std::ptrdiff_t, int);         \
  template void layernorm_forward<F>(F*, F*, F*, const F*, const F*, const F*, std::ptrdiff_t, int);       \
  template void layernorm_backward<F>(F*, F*, F*, const F*, const F*, const F*, const F*, const F*,        \
                                      std::ptrdiff_t, int);                                                \
  template void matmul_forward<F>(F*, const F*, const F*, const F*, std::ptrdiff_t, int, int);             \
  template void matmul_backward<F>(F*, F*, F*, const F*, const F*, const F*, std::ptrdiff_t, int, int);    \
  template void gelu_forward<F>(F*, const F*, std::ptrdiff_t);                                             \
  template void gelu_backward<F>(F*, const F*, const F*, std::ptrdiff_t);                                  \
  template bool attention_keeps_probs<F>(int);                                                          \
  template void attention_forward<F>(F*, F*, std::uint16_t*, const F*, int, int, int, int, int);            \
  template void attention_backward<F>(F*, const F*, const F*, const F*, const F*, const std::uint16_t*, int, int, \
                                      int, int, int, int);                                                  \
  template void attention_decode<F>(F*, const F*, const F*, const F*, std::ptrdiff_t, std::ptrdiff_t, int,  \
                                     int, int);                                                            \
  template double crossentropy_forward<F>(F*, F*, const F*, const std::uint8_t*, std::ptrdiff_t, int);     \
  template void crossentropy_backward<F>(F*, const F*, const std::uint8_t*, F, std::ptrdiff_t, int);       \
  template void log_softmax<F>(double*, const F*, int);

ZGEN_INSTANTIATE_LAYERS(float)
ZGEN_INSTANTIATE_LAYERS(double)

}  // namespace zgen::transformer
