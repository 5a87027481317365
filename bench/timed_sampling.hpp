#pragma once
// One timed sampling run, shared by the sampling benchmarks: the model SPEC (every byte value a
// candidate, `threads` threads, the fast path unless snapshot is false) conditioned on `context`
// samples n bytes with seed 7 from the default sampler chain. Wall clock and the process's CPU
// time are both kept: on a machine shared with other work, CPU time is the comparable figure.
#include <time.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "zgen/models.hpp"
#include "zgen/sampling.hpp"

namespace zgen::bench {

struct TimedSampling {
  double bytes_per_second = 0;      // wall clock
  double bytes_per_cpu_second = 0;  // all threads' CPU time
  Bytes out;
};

inline double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

inline TimedSampling time_sampling(const std::string& spec, const Bytes& context, std::size_t n, int threads,
                                   bool snapshot = true) {
  PredictorOptions options;
  options.alphabet = "all";
  options.threads = threads;
  options.snapshot = snapshot;
  auto model = make_predictor(spec, options);
  model->reset(context);
  SamplerParams params;
  params.seed = 7;
  SamplerChain chain = make_chain(params);
  GenerationOptions g;
  g.length = n;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = process_cpu_seconds();
  TimedSampling r;
  r.out = generate(*model, chain, g);
  const double cpu = process_cpu_seconds() - c0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.bytes_per_second = static_cast<double>(n) / wall;
  r.bytes_per_cpu_second = static_cast<double>(n) / cpu;
  return r;
}

}  // namespace zgen::bench
