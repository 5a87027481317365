// Batched transformer coding (issue 24, part 2) against the byte-by-byte path, in the same run:
// compress_stream and decompress_stream of the same bytes with batch 0 (each chunk byte by byte,
// one GEMV per layer per byte) and with batch B (compress: each chunk's distributions a window
// at a time, one pass of matrix–matrix products per window; decompress: B chunks per thread in
// lockstep, one matrix–matrix product per layer per step), both on T threads. Prints KB/s by
// wall time and by CPU time, the ratios, the load average, and checks that both paths write the
// same file and decode it to the input. Target (issue 24): >= 50 KB/s on 2 cores with the 800k
// model.
//
//   bench_batched_coding TEXT_FILE [BYTES [MODEL_SPEC [THREADS [BATCH [CHUNK]]]]]
//
// Defaults: 100000 bytes, transformer:models/sotu-800k.safetensors, 2 threads, batch 4,
// chunks of 2048 bytes.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "zgen/coding.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

struct Timing {
  double wall = 0, cpu = 0;
};

template <class F>
Timing timed(F&& f) {
  const double w = wall_seconds(), c = cpu_seconds();
  f();
  return {wall_seconds() - w, cpu_seconds() - c};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::fprintf(stderr, "usage: bench_batched_coding TEXT_FILE [BYTES [MODEL_SPEC [THREADS [BATCH [CHUNK]]]]]\n");
      return 2;
    }
    std::ifstream f(argv[1], std::ios::binary);
    if (!f) throw zgen::UserError(std::string("cannot open ") + argv[1]);
    zgen::Bytes data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const std::size_t bytes = argc > 2 ? std::stoul(argv[2]) : 100000;
    if (data.size() > bytes) data.resize(bytes);
    const std::string spec = argc > 3 ? argv[3] : "transformer:models/sotu-800k.safetensors";
    const int threads = argc > 4 ? std::stoi(argv[4]) : 2;
    const int batch = argc > 5 ? std::stoi(argv[5]) : zgen::kDefaultBatchLanes;
    const std::uint64_t chunk = argc > 6 ? std::stoull(argv[6]) : 2048;

    zgen::PredictorOptions po;
    po.threads = 1;  // the threads go to chunks, not to one model's step
    std::vector<std::unique_ptr<zgen::Predictor>> owned;
    std::vector<zgen::Predictor*> predictors;
    for (int t = 0; t < threads; ++t) {
      owned.push_back(zgen::make_predictor(spec, po));
      predictors.push_back(owned.back().get());
    }
    const auto make = [&](const std::string& s) { return zgen::make_predictor(s, po); };
    std::printf("%s: %zu bytes, %s, %d threads, chunks of %llu bytes; load average before: %s\n", argv[1], data.size(),
                spec.c_str(), threads, static_cast<unsigned long long>(chunk), load_average().c_str());
    std::printf("\n| path | compress KB/s (wall) | CPU s | KB/s per CPU s | decompress KB/s (wall) | CPU s | KB/s per CPU s | file bytes |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    zgen::Bytes files[2];
    Timing enc[2], dec[2];
    const int batches[2] = {0, batch};
    for (int i = 0; i < 2; ++i) {
      zgen::StreamCompressOptions co;
      co.chunk_size = chunk;
      co.batch = batches[i];
      enc[i] = timed([&] {
        zgen::compress_stream(predictors, spec, zgen::source_of(data), zgen::sink_of(files[i]), co);
      });
      zgen::Bytes decoded;
      zgen::DecompressOptions dopts;
      dopts.threads = threads;
      dopts.batch = batches[i];
      dec[i] = timed([&] { zgen::decompress_stream(zgen::source_of(files[i]), zgen::sink_of(decoded), make, dopts); });
      if (decoded != data) throw zgen::UserError("the file did not decode to the input");
      const double kb = static_cast<double>(data.size()) / 1000.0;
      std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %zu |\n",
                  i == 0 ? "one chunk at a time (batch 0)" : ("batched (batch " + std::to_string(batch) + ")").c_str(),
                  kb / enc[i].wall, enc[i].cpu, kb / enc[i].cpu, kb / dec[i].wall, dec[i].cpu, kb / dec[i].cpu,
                  files[i].size());
    }
    if (files[0] != files[1]) throw zgen::UserError("the batched file differs from the unbatched one");
    std::printf("\nsame file both ways: yes. batched / unbatched: compress %.2fx wall, %.2fx CPU; decompress %.2fx wall, "
                "%.2fx CPU\nload average after: %s\n",
                enc[0].wall / enc[1].wall, enc[0].cpu / enc[1].cpu, dec[0].wall / dec[1].wall, dec[0].cpu / dec[1].cpu,
                load_average().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zgen: %s\n", e.what());
    return 2;
  }
}
