// Causal attention's training passes alone, at the 800k config's shape (dim 128, 4 heads of 32,
// T = 2048): the forward (scores, softmax, P·V, the log-normalisers) and the backward (the
// scores recomputed, dP, dS, dQ, dK, dV), median of N runs each, in GFLOP/s against this
// machine's register-only FMA rate measured in the same run (the baseline: what one core can
// do at all). A hash of the output and of the gradient tells whether a change kept the bits.
//
//   bench_attention [--batch 2] [--seq 2048] [--threads 1] [--runs 9]
//
// FLOPs are algorithmic: the forward's two causal products, 2·2·hs·T(T+1)/2 each per head,
// and the backward's five, 2.5 × the forward.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "src/common/hash.hpp"
#include "src/transformer/layers.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One core's FMA rate with every operand in registers: 12 independent chains of 8-lane FMAs
// (enough to cover the latency), on each of `threads` threads at once.
double fma_peak_gflops(int threads) {
#if defined(__AVX2__) && defined(__FMA__)
  constexpr long kIters = 20'000'000;
  float sink = 0;
  const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
  {
    __m256 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < kIters; ++it)
      for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    for (int i = 0; i < 12; ++i) sink += _mm256_cvtss_f32(acc[i]);
  }
  const double s = seconds_since(t0);
  if (sink == 12345.0f) std::printf(" ");  // keeps the loop
  return 2.0 * 8 * 12 * kIters * threads / s / 1e9;
#else
  (void)threads;
  return 0;
#endif
}

// FNV-1a over the values' bytes: any changed bit shows.
unsigned long long bit_hash(const std::vector<float>& v) {
  return zgen::fnv1a64_fold(zgen::kFnv1a64Offset, v.data(), v.size() * sizeof(float));
}

}  // namespace

int main(int argc, char** argv) {
  int B = 2, T = 2048, threads = 1, runs = 9;
  constexpr int C = 128, H = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (k == "--batch") B = v;
    else if (k == "--seq") T = v;
    else if (k == "--threads") threads = v;
    else if (k == "--runs") runs = v;
    else {
      std::fprintf(stderr, "bench_attention: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (B < 1 || T < 1 || threads < 1 || runs < 1) {
    std::fprintf(stderr, "bench_attention: --batch, --seq, --threads and --runs must be positive\n");
    return 2;
  }
  omp_set_num_threads(threads);
  const std::size_t rows = static_cast<std::size_t>(B) * T;
  std::vector<float> qkv(rows * 3 * C), out(rows * C), lse(static_cast<std::size_t>(B) * H * T);  // (B,T,3C) (B,T,C) (B,H,T)
  std::vector<float> dout(rows * C), dqkv(rows * 3 * C);                                        // (B,T,C) (B,T,3C)
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0.0f, 1.0f);
  for (float& x : qkv) x = n(rng);
  for (float& x : dout) x = n(rng) * 1e-3f;

  using zgen::transformer::attention_backward;
  using zgen::transformer::attention_forward;
  // Two variants, called in turn so that a busy neighbour slows both alike: the backward
  // recomputing the probabilities (the baseline), and keeping them in half precision.
  const bool keep = zgen::transformer::attention_keeps_probs<float>(C / H);
  std::vector<std::uint16_t> probs(keep ? static_cast<std::size_t>(B) * H * zgen::transformer::attention_probs_per_head(T) : 0);
  std::vector<float> dqkv_kept(dqkv.size());
  auto forward = [&](std::uint16_t* p) { attention_forward(out.data(), lse.data(), p, qkv.data(), B, T, C, H); };
  auto backward = [&](std::vector<float>& d, const std::uint16_t* p) {
    attention_backward(d.data(), dout.data(), qkv.data(), out.data(), lse.data(), p, B, T, C, H);
  };
  forward(probs.data());  // warm: pages, panels
  backward(dqkv, nullptr);
  backward(dqkv_kept, probs.data());
  std::vector<double> t[4];  // forward, forward keeping, backward, backward from kept
  for (int r = 0; r < runs; ++r) {
    auto time = [&](std::vector<double>& into, auto&& fn) {
      const auto t0 = std::chrono::steady_clock::now();
      fn();
      into.push_back(seconds_since(t0));
    };
    time(t[0], [&] { forward(nullptr); });
    time(t[2], [&] { backward(dqkv, nullptr); });
    if (keep) {
      time(t[1], [&] { forward(probs.data()); });
      time(t[3], [&] { backward(dqkv_kept, probs.data()); });
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  const double fwd = median(t[0]), fwd_keep = median(t[1]), bwd = median(t[2]), bwd_kept = median(t[3]);
  const double peak = fma_peak_gflops(threads);

  const double fwd_flops = static_cast<double>(B) * H * 2 * 2.0 * (C / H) * (static_cast<double>(T) * (T + 1) / 2);
  const double bwd_flops = 2.5 * fwd_flops;
  std::printf("attention B=%d T=%d dim %d, %d heads, %d thread(s), median of %d\n", B, T, C, H, threads, runs);
  std::printf("forward   %8.2f ms  %6.1f GFLOP/s\n", fwd * 1e3, fwd_flops / fwd / 1e9);
  std::printf("backward  %8.2f ms  %6.1f GFLOP/s\n", bwd * 1e3, bwd_flops / bwd / 1e9);
  if (keep) {
    double worst = 0, scale = 0;  // the kept path's largest difference, against the largest gradient
    for (std::size_t i = 0; i < dqkv.size(); ++i) {
      worst = std::max(worst, static_cast<double>(std::abs(dqkv[i] - dqkv_kept[i])));
      scale = std::max(scale, static_cast<double>(std::abs(dqkv[i])));
    }
    std::printf("keeping the probabilities in half precision (%.0f MB):\n",
                static_cast<double>(probs.size()) * 2 / 1e6);
    std::printf("forward   %8.2f ms  %6.1f GFLOP/s  %.2f× the time of the forward above\n", fwd_keep * 1e3,
                fwd_flops / fwd_keep / 1e9, fwd_keep / fwd);
    std::printf("backward  %8.2f ms  %6.1f GFLOP/s  %.2f× the time of the backward above\n", bwd_kept * 1e3,
                bwd_flops / bwd_kept / 1e9, bwd_kept / bwd);
    std::printf("both      %.2f× the time of the two recomputing; dqkv max |difference| %.2e (largest |dqkv| %.2e)\n",
                (fwd_keep + bwd_kept) / (fwd + bwd), worst, scale);
  }
  if (peak > 0)
    std::printf("FMA peak  %8s     %6.1f GFLOP/s (registers only, same run): forward %.2f×, backward %.2f× of it\n", "",
                peak, fwd_flops / fwd / 1e9 / peak, bwd_flops / bwd / 1e9 / peak);
  std::printf("bits: out %016llx lse %016llx dqkv %016llx\n", bit_hash(out), bit_hash(lse), bit_hash(dqkv));
}
