// Sampling speed of the LZ families (zstd, xz, brotli): each fast definition beside the
// recompressing SPEC it stands in for, measured in the same run.
//
//   bench_dict_cost [TEXT_FILE] [CONTEXT_BYTES] [SAMPLED_BYTES] [SLOW_BYTES]
//   (defaults: ../shared/data/text/moby-dick.txt, 30000, 100, 3)
//
// Context = CONTEXT_BYTES of the file from offset 100000 (prose the run has not seen, as in issue
// 21); every step costs all 256 byte values on all cores. Each row samples with the same seed;
// "distinct" is the mean number of distinct code lengths among the 256 candidates per step (1
// means the model is uniform: every byte costs the same whole number of bytes). Bytes per
// CPU-second count all threads' CPU time, so that a machine shared with other work (the project's
// 2-core machine usually is) still gives a comparable figure; two free cores would give up to
// twice it in bytes/s.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>

#include <ctime>

#include "zgen/models.hpp"
#include "zgen/sampling.hpp"
#include "bench/timed_sampling.hpp"

namespace {

struct Run {
  double bytes_per_second = 0;      // wall clock
  double bytes_per_cpu_second = 0;  // all threads' CPU time: what a busy machine does not hide
  double distinct = 0;
  zgen::Bytes out;
};

// Samples n bytes, timing only the sampling; then counts distinct lengths on a fresh model
// over the first count_steps steps (so the count does not slow the timed run).
Run sample(const std::string& spec, const zgen::Bytes& context, std::size_t n, int threads, std::size_t count_steps) {
  zgen::PredictorOptions options;
  options.alphabet = "all";
  options.threads = threads;
  const zgen::bench::TimedSampling t = zgen::bench::time_sampling(spec, context, n, threads);
  Run r;
  r.bytes_per_second = t.bytes_per_second;
  r.bytes_per_cpu_second = t.bytes_per_cpu_second;
  r.out = t.out;

  auto counter = zgen::make_predictor(spec, options);
  counter->reset(context);
  const std::size_t steps = std::min(n, count_steps);
  for (std::size_t i = 0; i < steps; ++i) {
    std::array<double, 256> lp{};
    counter->log_probs(lp);
    r.distinct += static_cast<double>(std::set<double>(lp.begin(), lp.end()).size()) / static_cast<double>(steps);
    counter->observe(r.out[i]);
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "../shared/data/text/moby-dick.txt";
  const std::size_t context_bytes = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 30000;
  const std::size_t n = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 100;
  const std::size_t slow_n = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 3;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    return 2;
  }
  const zgen::Bytes text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t from = text.size() > 100000 + context_bytes ? 100000 : 0;
  const zgen::Bytes context(text.begin() + static_cast<std::ptrdiff_t>(from),
                            text.begin() + static_cast<std::ptrdiff_t>(std::min(text.size(), from + context_bytes)));
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::printf("context: %zu bytes of %s from offset %zu; all 256 byte values costed per step; %d threads\n\n",
              context.size(), path.c_str(), from, cores);

  struct Pair {
    const char* recompressing;
    const char* fast;  // nullptr: no fast definition for this family yet
  };
  std::printf("| SPEC | definition | sampled bytes | bytes/s | bytes per CPU-second | distinct lengths / 256 | vs recompressing |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  bool deterministic = true;
  for (const Pair p : {Pair{"zstd:19", "zstd-dict:19"}, Pair{"xz:9", "xz-dict:9"}, Pair{"brotli:11", "brotli-dict:11"}}) {
    const Run slow = sample(p.recompressing, context, slow_n, cores, 1);
    std::printf("| %s | ℓ(c·x) − ℓ(c), recompressing | %zu | %.3f | %.3f | %.0f (1st step) | 1.0× |\n", p.recompressing,
                slow_n, slow.bytes_per_second, slow.bytes_per_cpu_second, slow.distinct);
    if (!p.fast) continue;
    const Run fast = sample(p.fast, context, n, cores, 10);
    const Run one = sample(p.fast, context, std::min<std::size_t>(n, 20), 1, 0);
    deterministic = deterministic && std::equal(one.out.begin(), one.out.end(), fast.out.begin());
    std::printf("| %s | context as dictionary / history (fast path) | %zu | %.1f | %.1f | %.1f (10 steps) | %.0f× (CPU: %.0f×) |\n",
                p.fast, n, fast.bytes_per_second, fast.bytes_per_cpu_second, fast.distinct,
                fast.bytes_per_second / slow.bytes_per_second, fast.bytes_per_cpu_second / slow.bytes_per_cpu_second);
  }
  std::printf("\nsame seed, same bytes on 1 thread and on %d: %s\n", cores, deterministic ? "yes" : "NO");
  return deterministic ? 0 : 1;
}
