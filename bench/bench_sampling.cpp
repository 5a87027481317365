// Sampling speed of compressor models, with the baselines measured in the same run.
//
//   bench_sampling [TEXT_FILE] [CONTEXT_BYTES] [SAMPLED_BYTES]
//   (defaults: ../shared/data/text/moby-dick.txt, 30000, 200)
//
// Context = the first CONTEXT_BYTES of the file; every step costs all 256 byte values.
// Rows: gzip:9 recompressing c·x from scratch (--no-snapshot), the fast path on one thread,
// the fast path on all cores; then zstd:19, xz:9, bzip2:9 and brotli:11 (which recompress);
// then `zgen score` throughput. The slow rows sample fewer bytes (the rate is per byte).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "src/eval/evaluation.hpp"
#include "zgen/models.hpp"
#include "zgen/sampling.hpp"
#include "bench/timed_sampling.hpp"

namespace {

using Run = zgen::bench::TimedSampling;
using zgen::bench::time_sampling;

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "../shared/data/text/moby-dick.txt";
  const std::size_t context_bytes = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 30000;
  const std::size_t n = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 200;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    return 2;
  }
  zgen::Bytes text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  zgen::Bytes context(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(std::min(context_bytes, text.size())));
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::printf("context: first %zu bytes of %s; all 256 byte values costed per step; %d cores\n\n", context.size(),
              path.c_str(), cores);

  const std::size_t slow_n = std::max<std::size_t>(3, n / 40);
  const Run scratch = time_sampling("gzip:9", context, slow_n, 1, false);
  const Run fast1 = time_sampling("gzip:9", context, n, 1, true);
  const Run fastn = time_sampling("gzip:9", context, n, cores, true);
  std::printf("| gzip:9 path | sampled bytes | bytes/s | vs --no-snapshot |\n|---|---|---|---|\n");
  std::printf("| --no-snapshot (recompress c·x), 1 thread | %zu | %.2f | 1.0× |\n", slow_n, scratch.bytes_per_second);
  std::printf("| fast path, 1 thread | %zu | %.1f | %.0f× |\n", n, fast1.bytes_per_second,
              fast1.bytes_per_second / scratch.bytes_per_second);
  std::printf("| fast path, %d threads | %zu | %.1f | %.0f× (%.2f× over 1 thread) |\n", cores, n, fastn.bytes_per_second,
              fastn.bytes_per_second / scratch.bytes_per_second, fastn.bytes_per_second / fast1.bytes_per_second);
  const bool same_prefix = std::equal(scratch.out.begin(), scratch.out.end(), fast1.out.begin());
  std::printf("\nsame seed, same bytes: 1 thread vs %d threads %s; --no-snapshot vs fast path (first %zu) %s\n", cores,
              fast1.out == fastn.out ? "yes" : "NO", slow_n, same_prefix ? "yes" : "NO");

  std::printf("\n| model (recompressing) | sampled bytes | bytes/s (%d threads) |\n|---|---|---|\n", cores);
  for (const char* spec : {"zstd:19", "xz:9", "bzip2:9", "brotli:11"}) {
    const Run r = time_sampling(spec, context, 3, cores, true);
    std::printf("| %s | 3 | %.3f |\n", spec, r.bytes_per_second);
  }

  const zgen::Bytes data(text.begin() + static_cast<std::ptrdiff_t>(context.size()),
                         text.begin() + static_cast<std::ptrdiff_t>(std::min(text.size(), context.size() + n)));
  zgen::PredictorOptions options;
  options.threads = cores;
  const zgen::ScoreResult s = zgen::score_model("gzip:9", context, data, options);
  std::printf("\nzgen score gzip:9: %zu bytes at %.1f bytes scored/s, %.3f bits/byte (own: %.3f bits/byte)\n", s.bytes,
              s.bytes_per_second(), s.bits_per_byte(), *s.own_bits_given_context / static_cast<double>(s.bytes));
  return fast1.out == fastn.out && same_prefix ? 0 : 1;
}
