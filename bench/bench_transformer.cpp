// Transformer speed on this CPU: training tokens/s (as `zgen train` runs it, attention's
// probabilities kept in half precision for the backward, and beside it, in the same run, the
// baseline that recomputes them), full-sequence scoring tokens/s, incremental generation
// tokens/s with the KV cache, achieved GFLOP/s and peak resident memory.
//
//   bench_transformer [--config 800k] [--batch 8] [--seq 2048] [--steps 3] [--threads 2] [--generate 512]
//
// GFLOP/s counts the model's algorithmic FLOPs (the usual MFU convention): per token, 2 per
// weight of every matrix product (embedding lookups excluded) plus causal attention's
// 2·2·C·(t+1) at position t, times 3 for a training step (forward + backward), without the
// attention recomputation of the baseline's backward. Reference figures measured by the author
// for PyTorch on this machine kind (800K, batch 8×2048, 2 threads): training ≈1,740 tokens/s,
// scoring ≈4,480 tokens/s, KV-cache generation ≈1,140 tokens/s; fp32 GEMM limit ≈230–270
// GFLOP/s. The PyTorch run itself is for a later bench script; these are only quoted.
#include <omp.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "src/common/rng.hpp"
#include "src/transformer/kernels/isa.hpp"
#include "src/transformer/kv_cache.hpp"
#include "src/transformer/training.hpp"

using namespace zgen;
using namespace zgen::transformer;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Forward FLOPs of one sequence of T tokens.
double forward_flops(const TransformerConfig& c, int T) {
  const double C = c.dim, L = c.layers, V = c.vocab;
  const double matmul = 2.0 * T * (L * 12.0 * C * C + V * C);
  const double attention = L * 2.0 * 2.0 * C * (static_cast<double>(T) * (T + 1) / 2.0);
  return matmul + attention;
}

long peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_name = "800k";
  int B = 8, T = 2048, steps = 3, threads = 2, generate = 512;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--config") config_name = v;
    else if (k == "--batch") B = std::atoi(v);
    else if (k == "--seq") T = std::atoi(v);
    else if (k == "--steps") steps = std::atoi(v);
    else if (k == "--threads") threads = std::atoi(v);
    else if (k == "--generate") generate = std::atoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  omp_set_num_threads(threads);
  TransformerConfig config = TransformerConfig::named(config_name);
  config.seq = T;
  Transformer<float> model(config);
  model.init_weights(1);
  AdamW optimizer(model.layout(), {});
  std::vector<std::uint8_t> data(1 << 20);
  SplitMix64 rng{3};
  for (auto& b : data) b = static_cast<std::uint8_t>('a' + rng.below(26));  // content does not change the speed
  BatchSampler sampler(data, B, T, 5);
  std::vector<std::uint8_t> inputs(static_cast<std::size_t>(B) * T), targets(inputs.size());

  std::printf("transformer %s: %s\n", config_name.c_str(), config.describe().c_str());
  std::printf("batch %d x %d, %d threads, training and scoring kernels: %s (ZGEN_KERNELS caps them)\n\n", B, T, threads,
              zgen::transformer::kernels::isa_name(zgen::transformer::kernels::active_isa()));

  // Training as `zgen train` runs it (attention's probabilities kept in half precision), and
  // the baseline recomputing them in the backward: one warm-up step each (allocations), then
  // `steps` timed steps each, taken in turn.
  double train_s = 0, recompute_s = 0;
  for (int s = -1; s < steps; ++s) {
    for (const bool keep : {false, true}) {
      model.keep_attention_probs(keep);
      sampler.next(inputs.data(), targets.data());
      const auto t0 = std::chrono::steady_clock::now();
      train_step(model, optimizer, inputs.data(), targets.data(), B, T, 1e-3, 1.0);
      if (s >= 0) (keep ? train_s : recompute_s) += seconds_since(t0) / steps;
    }
  }
  const double train_tps = B * T / train_s;
  const double train_gflops = 3.0 * B * forward_flops(config, T) / train_s / 1e9;
  std::printf("training     %9.0f tokens/s  %6.1f GFLOP/s  (%.2f s/step; PyTorch quoted: 1,740 tokens/s)\n", train_tps,
              train_gflops, train_s);
  std::printf("recomputing  %9.0f tokens/s  %6.1f GFLOP/s  (%.2f s/step: attention's probabilities recomputed in the\n"
              "                                                backward, not kept; training is %.2fx this, same run)\n",
              B * T / recompute_s, 3.0 * B * forward_flops(config, T) / recompute_s / 1e9, recompute_s,
              recompute_s / train_s);
  std::printf("             activations %.0f MB, peak RSS so far %ld MB (PyTorch quoted: 4.7 GB)\n",
              model.activation_bytes() / 1e6, peak_rss_mb());
  model.keep_attention_probs(false);

  // Full-sequence scoring: forward with targets (the loss), no backward.
  auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) {
    sampler.next(inputs.data(), targets.data());
    model.forward(inputs.data(), targets.data(), B, T);
  }
  const double score_s = seconds_since(t0) / steps;
  std::printf("scoring      %9.0f tokens/s  %6.1f GFLOP/s  (PyTorch quoted: 4,480 tokens/s)\n", B * T / score_s,
              B * forward_flops(config, T) / score_s / 1e9);

  // Incremental generation: `generate` bytes through the KV cache from an empty context, one
  // stream (single-threaded work: one row per layer).
  // A run takes tens of milliseconds: the best of 5 (the first also faults the cache's pages in).
  KVCache cache(model);
  std::vector<float> logits(256);
  const int n = std::min(generate, T);
  double gen_s = 1e300;
  for (int run = 0; run < 5; ++run) {
    cache.clear();
    t0 = std::chrono::steady_clock::now();
    std::uint8_t byte = 'a';
    for (int i = 0; i < n; ++i) {
      cache.step(byte, logits.data());
      int best = 0;
      for (int v = 1; v < 256; ++v)
        if (logits[v] > logits[best]) best = v;
      byte = static_cast<std::uint8_t>(best);
    }
    gen_s = std::min(gen_s, seconds_since(t0));
  }
  std::printf("generation   %9.0f tokens/s  (positions 0..%d, greedy, best of 5; PyTorch quoted: 1,140 tokens/s)\n", n / gen_s,
              n - 1);
  std::printf("\npeak RSS %ld MB\n", peak_rss_mb());
  return 0;
}
