// Sampling speed of the png, flac and bzip2 fast paths beside recompressing c·x for every
// candidate (--no-snapshot), in the same run; every step costs all 256 bytes. Both paths run on
// one thread and are compared in CPU time (a loaded machine distorts wall clock, not CPU time);
// then the fast path runs on all cores.
//
//   bench_fast_cost [--text FILE] [FAMILY...]
//   (default: png flac bzip2 and ../shared/data/text/moby-dick.txt; run from the repository root)
//
// Contexts (the settings): png on a 2048-byte photo patch (the camera crop's patches,
// tests/data) and on 512 bytes of speech; flac on a 2048-byte speech chunk and on 6,000 bytes
// (two frames); bzip2:9 on the first 30,000 bytes of Moby Dick (../shared/data). The same seed
// samples the same bytes on both paths (their lengths are equal), which the run checks, as it
// checks one thread against all cores for the fast path. Exit status 1 if any differ.
#include <algorithm>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "src/common/file_io.hpp"
#include "zgen/audio.hpp"
#include "zgen/images.hpp"
#include "zgen/models.hpp"
#include "zgen/sampling.hpp"
#include "bench/timed_sampling.hpp"

namespace {

using Run = zgen::bench::TimedSampling;
using zgen::bench::time_sampling;

bool all_ok = true;

void row(const std::string& spec, const std::string& what, const zgen::Bytes& context, std::size_t n_fast,
         std::size_t n_slow, int cores) {
  const Run slow = time_sampling(spec, context, n_slow, 1, false);
  const Run fast1 = time_sampling(spec, context, n_fast, 1, true);
  const Run fast = time_sampling(spec, context, n_fast, cores, true);
  const bool same = std::equal(slow.out.begin(), slow.out.end(), fast.out.begin()) && fast1.out == fast.out;
  all_ok = all_ok && same;
  std::printf("| %s | %s | %zu | %.2f | %.2f | %zu | %.1f | **%.1f** | %.0f× | %.1f | %.1f | %s |\n", spec.c_str(),
              what.c_str(), n_slow, slow.bytes_per_second, slow.bytes_per_cpu_second, n_fast, fast1.bytes_per_second,
              fast1.bytes_per_cpu_second, fast1.bytes_per_cpu_second / slow.bytes_per_cpu_second, fast.bytes_per_second,
              fast.bytes_per_cpu_second, same ? "yes" : "NO");
  std::fflush(stdout);
}

zgen::Bytes first(const zgen::Bytes& b, std::size_t from, std::size_t n) {
  from = std::min(from, b.size());
  return zgen::Bytes(b.begin() + static_cast<std::ptrdiff_t>(from),
                     b.begin() + static_cast<std::ptrdiff_t>(std::min(b.size(), from + n)));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> families(argv + 1, argv + argc);
  std::string text_path = "../shared/data/text/moby-dick.txt";
  if (families.size() >= 2 && families[0] == "--text") {
    text_path = families[1];
    families.erase(families.begin(), families.begin() + 2);
  }
  if (families.empty()) families = {"png", "flac", "bzip2"};
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::printf("all 256 byte values costed per step. Recompressing c·x (--no-snapshot) and the fast path, each on one\n"
              "thread: bytes/s of wall clock and per CPU-second of the process (what one idle core does), the\n"
              "speed-up in CPU time; then the fast path on %d threads: wall clock, and per CPU-second of all\n"
              "threads (as the one-thread figure when the threads share the work without doing any twice or\n"
              "spinning; wall clock reaches threads x that on idle cores).\n\n", cores);
  std::printf("| model | context | recompress: bytes | bytes/s | per CPU-s | fast path: bytes | bytes/s | per CPU-s | CPU speed-up | fast, %d threads: bytes/s | per CPU-s | same bytes |\n", cores);
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  const zgen::Bytes speech = zgen::read_audio_bytes("tests/data/asterisk-to-extension.wav").samples;
  for (const std::string& family : families) {
    if (family == "png") {
      const zgen::GrayImage im{256, 192, zgen::read_file("tests/data/camera-crop-256x192.gray")};
      const std::vector<zgen::Bytes> patches = zgen::image_patches(im, "camera crop");
      row("png", "photo patch, 2048 bytes", patches[5], 200, 3, cores);
      row("png", "speech, 512 bytes", first(speech, 4000, 512), 200, 5, cores);
    } else if (family == "flac") {
      row("flac", "speech chunk, 2048 bytes", first(speech, 4000, 2048), 100, 5, cores);
      row("flac", "speech, 6000 bytes", first(speech, 4000, 6000), 100, 5, cores);
    } else if (family == "bzip2") {
      const zgen::Bytes text = zgen::read_file(text_path);
      row("bzip2:9", "Moby Dick, 30,000 bytes", first(text, 0, 30000), 60, 3, cores);
    } else {
      std::fprintf(stderr, "unknown family %s (png, flac, bzip2)\n", family.c_str());
      return 2;
    }
  }
  return all_ok ? 0 : 1;
}
