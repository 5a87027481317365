// One KV-cache step's attention products at the 800k config's shape (4 layers × 4 heads, head
// size 32, cache rows (H,T_max,hs)): the AVX2 decoding kernels (src/transformer/kernels/attention.hpp)
// against Eigen's matrix-vector products on the same cache, in the same run. Figures are the
// cache bytes swept per second (one head's keys for the scores, its values for the weighted
// sum), best of 30 sweeps over all 16 heads.
//
//   bench_attention_decode
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "src/transformer/kernels/attention.hpp"

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;

template <typename Fn>
double best_seconds(Fn&& fn) {
  double best = 1e300;
  for (int run = 0; run < 30; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main() {
  namespace kernels = zgen::transformer::kernels;
  if (!kernels::available()) {
    std::printf("bench_attention_decode: this CPU lacks AVX2 (or ZGEN_KERNELS=portable): no kernels to time\n");
    return 0;
  } else {
    constexpr int kHeads = 4 * 4, T = 2048, hs = 32;  // layers × heads, context, head size
    std::vector<float> keys(static_cast<std::size_t>(kHeads) * T * hs), values(keys.size());  // (16,T,hs) each
    std::vector<float> q(hs), s(T), out(hs);  // (hs) query, (T) scores, (hs) output
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    for (auto* v : {&keys, &values, &q})
      for (float& x : *v) x = u(rng);
    auto head = [&](const std::vector<float>& cache, int i) { return cache.data() + static_cast<std::ptrdiff_t>(i) * T * hs; };

    std::printf("one query against n cached rows, %d heads of size %d; GB/s of cache swept (best of 30)\n", kHeads, hs);
    std::printf("%6s  %22s  %22s\n", "n", "scores: kernel / Eigen", "weighted sum: kernel / Eigen");
    for (int n : {256, 1024, 2048}) {
      const double bytes = static_cast<double>(kHeads) * n * hs * sizeof(float);
      const double ks = best_seconds([&] {
        for (int i = 0; i < kHeads; ++i) kernels::decode_scores(s.data(), q.data(), head(keys, i), hs, n, hs);
      });
      const double es = best_seconds([&] {
        for (int i = 0; i < kHeads; ++i)
          Eigen::Map<Vector>(s.data(), n).noalias() =
              Eigen::Map<const RowMatrix>(head(keys, i), n, hs) * Eigen::Map<const Vector>(q.data(), hs);
      });
      const double kv = best_seconds([&] {
        for (int i = 0; i < kHeads; ++i) kernels::decode_weighted_sum(out.data(), s.data(), head(values, i), hs, n, hs);
      });
      const double ev = best_seconds([&] {
        for (int i = 0; i < kHeads; ++i)
          Eigen::Map<Vector>(out.data(), hs).noalias() =
              Eigen::Map<const RowMatrix>(head(values, i), n, hs).transpose() * Eigen::Map<const Vector>(s.data(), n);
      });
      std::printf("%6d  %5.1f / %5.1f (%.2fx)    %5.1f / %5.1f (%.2fx)\n", n, bytes / ks / 1e9, bytes / es / 1e9, es / ks,
                  bytes / kv / 1e9, bytes / ev / 1e9, ev / kv);
    }
    return 0;
  }
}
