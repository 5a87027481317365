// The linear layers' products at the 800k config's shapes (8,192 rows: one thread's half of a
// batch of 8 × 2048; width 128, MLP 512): the packed AVX2 GEMM (src/transformer/kernels/gemm.hpp) against
// Eigen's product on the same matrices, in the same run, one thread. For each layer shape, the
// forward product (out = x·Wᵀ + b), the input gradient (dx = dy·W) and the weight gradient
// (dW = dyᵀ·x, depth 8,192). Figures are GFLOP/s, best of 25 runs taken in turn (kernel,
// Eigen, kernel, ...), so that a busy neighbour slows both alike.
//
//   bench_gemm
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "src/transformer/kernels/attention.hpp"
#include "src/transformer/kernels/gemm.hpp"

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <typename Fn>
double seconds(Fn&& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main() {
  namespace kernels = zgen::transformer::kernels;
  if constexpr (!kernels::kAvailable) {
    std::printf("bench_gemm: the AVX2 kernels are not in this build (ZGEN_NATIVE off or no AVX2)\n");
    return 0;
  } else {
    Eigen::setNbThreads(1);
    const int N = 8192;
    std::printf("one thread, %d rows, GFLOP/s (best of 25): packed GEMM | Eigen | ratio\n", N);
    struct Layer { const char* name; int C, OC; };
    for (const Layer layer : {Layer{"qkv", 128, 384}, Layer{"attn proj", 128, 128}, Layer{"mlp fc", 128, 512},
                              Layer{"mlp proj", 512, 128}}) {
      const int C = layer.C, OC = layer.OC;
      const RowMatrix x = RowMatrix::Random(N, C), w = RowMatrix::Random(OC, C), dy = RowMatrix::Random(N, OC);
      const Eigen::RowVectorXf b = Eigen::RowVectorXf::Random(OC);
      RowMatrix out(N, OC), dx(N, C), dw(OC, C);
      const double flops = 2.0 * N * C * OC;
      double best[3][2];
      for (auto& row : best) row[0] = row[1] = 1e300;
      for (int run = 0; run < 25; ++run) {
        best[0][0] = std::min(best[0][0], seconds([&] {
          kernels::gemm(out.data(), OC, x.data(), C, 1, w.data(), 1, C, b.data(), N, OC, C, false);  // x·Wᵀ + b
        }));
        best[0][1] = std::min(best[0][1], seconds([&] {
          out.rowwise() = b;
          out.noalias() += x * w.transpose();
        }));
        best[1][0] = std::min(best[1][0], seconds([&] {
          kernels::gemm(dx.data(), C, dy.data(), OC, 1, w.data(), C, 1, nullptr, N, C, OC, false);  // dy·W
        }));
        best[1][1] = std::min(best[1][1], seconds([&] { dx.noalias() = dy * w; }));
        best[2][0] = std::min(best[2][0], seconds([&] {
          kernels::gemm(dw.data(), C, dy.data(), 1, OC, x.data(), C, 1, nullptr, OC, C, N, false);  // dyᵀ·x
        }));
        best[2][1] = std::min(best[2][1], seconds([&] { dw.noalias() = dy.transpose() * x; }));
      }
      const char* what[3] = {"forward", "input grad", "weight grad"};
      for (int i = 0; i < 3; ++i)
        std::printf("%-10s %-12s %6.1f | %6.1f | %.2fx\n", layer.name, what[i], flops / best[i][0] / 1e9,
                    flops / best[i][1] / 1e9, best[i][1] / best[i][0]);
    }
    return 0;
  }
}
