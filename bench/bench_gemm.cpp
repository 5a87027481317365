// The linear layers' products at the 800k config's shapes (8,192 rows: one thread's half of a
// batch of 8 × 2048; width 128, MLP 512): the packed GEMM (src/transformer/kernels/gemm.hpp) on
// each instruction set this CPU has (AVX2, AVX-512: kernels/isa.hpp) against Eigen's product on
// the same matrices, in the same run, one thread. For each layer shape, the forward product
// (out = x·Wᵀ + b), the input gradient (dx = dy·W) and the weight gradient (dW = dyᵀ·x, depth
// 8,192). Figures are GFLOP/s, best of 25 runs taken in turn (each kernel, then Eigen, ...), so
// that a busy neighbour slows all alike.
//
//   bench_gemm
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "src/transformer/kernels/gemm.hpp"
#include "src/transformer/kernels/isa.hpp"

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
  std::vector<kernels::Isa> isas;
  for (const auto isa : {kernels::Isa::avx2, kernels::Isa::avx512})
    if (kernels::isa_supported(isa)) isas.push_back(isa);
  if (isas.empty()) {
    std::printf("bench_gemm: this CPU lacks AVX2: no kernels to time\n");
    return 0;
  }
  Eigen::setNbThreads(1);
  const int N = 8192;
  std::printf("one thread, %d rows, GFLOP/s (best of 25):", N);
  for (const auto isa : isas) std::printf(" %s |", kernels::isa_name(isa));
  std::printf(" Eigen | best kernel / Eigen\n");
  struct Layer { const char* name; int C, OC; };
  for (const Layer layer : {Layer{"qkv", 128, 384}, Layer{"attn proj", 128, 128}, Layer{"mlp fc", 128, 512},
                            Layer{"mlp proj", 512, 128}}) {
    const int C = layer.C, OC = layer.OC;
    const RowMatrix x = RowMatrix::Random(N, C), w = RowMatrix::Random(OC, C), dy = RowMatrix::Random(N, OC);
    const Eigen::RowVectorXf b = Eigen::RowVectorXf::Random(OC);
    RowMatrix out(N, OC), dx(N, C), dw(OC, C);
    const double flops = 2.0 * N * C * OC;
    const int columns = static_cast<int>(isas.size()) + 1;  // the kernels', then Eigen's
    std::vector<double> best(3 * columns, 1e300);           // (product, column)
    auto time = [&](int product, int column, auto&& fn) {
      double& slot = best[product * columns + column];
      slot = std::min(slot, seconds(fn));
    };
    for (int run = 0; run < 25; ++run) {
      for (int c = 0; c < static_cast<int>(isas.size()); ++c) {
        kernels::select_isa(isas[c]);
        time(0, c, [&] { kernels::gemm(out.data(), OC, x.data(), C, 1, w.data(), 1, C, b.data(), N, OC, C, false); });
        time(1, c, [&] { kernels::gemm(dx.data(), C, dy.data(), OC, 1, w.data(), C, 1, nullptr, N, C, OC, false); });
        time(2, c, [&] { kernels::gemm(dw.data(), C, dy.data(), 1, OC, x.data(), C, 1, nullptr, OC, C, N, false); });
      }
      const int e = columns - 1;
      time(0, e, [&] {
        out.rowwise() = b;
        out.noalias() += x * w.transpose();
      });
      time(1, e, [&] { dx.noalias() = dy * w; });
      time(2, e, [&] { dw.noalias() = dy.transpose() * x; });
    }
    const char* what[3] = {"forward", "input grad", "weight grad"};
    for (int i = 0; i < 3; ++i) {
      std::printf("%-10s %-12s", layer.name, what[i]);
      double fastest = 1e300;
      for (int c = 0; c < columns; ++c) {
        std::printf(" %6.1f |", flops / best[i * columns + c] / 1e9);
        if (c + 1 < columns) fastest = std::min(fastest, best[i * columns + c]);
      }
      std::printf(" %.2fx\n", best[i * columns + columns - 1] / fastest);
    }
  }
  return 0;
}
