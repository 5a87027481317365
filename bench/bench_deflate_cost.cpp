// µs per candidate to cost ℓ(c·x) for all 256 next bytes x of a 30,000-byte context at gzip:9,
// averaged over steps that append one byte each (what `zgen sample --model gzip:9` does):
//   (a) zlib from scratch on c·x,
//   (b) zlib deflateCopy of the stream after c + deflate(x, Z_BLOCK) + deflatePending, the best
//       zlib-only approach,
//   (c) the zgen deflate model's fast path (Gzip::begin).
// All three are checked to agree bit for bit. Before them, the one-time cost of the fast path's
// guard: the first begin() in a process checks the model against the linked zlib
// (compressors/gzip_guard.hpp).
//
// usage: bench_deflate_cost [FILE] [STEPS] [LEVEL]   (default: moby-dick.txt, 20 steps, level 9)
#include <zlib.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "compressors/families.hpp"
#include "compressors/gzip_guard.hpp"

using namespace zgen;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU time of this thread: on a shared machine it is the figure that says what one core does.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// A raw deflate stream fed with Z_NO_FLUSH, copied for each candidate.
struct ZlibStream {
  z_stream zs{};
  Bytes out;
  explicit ZlibStream(int level) : out(1 << 20) {
    if (deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflateInit2");
  }
  ~ZlibStream() { deflateEnd(&zs); }
  void feed(ByteView data) {
    zs.next_in = const_cast<Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    while (zs.avail_in != 0) {
      zs.next_out = out.data();
      zs.avail_out = static_cast<uInt>(out.size());
      ::deflate(&zs, Z_NO_FLUSH);
    }
  }
  // Bits of the stream after c·x ended with Z_BLOCK, plus the gzip framing.
  double bits_with(ByteView x, Bytes& scratch) const {
    z_stream copy{};
    deflateCopy(&copy, const_cast<z_stream*>(&zs));
    copy.next_in = const_cast<Bytef*>(x.data());
    copy.avail_in = static_cast<uInt>(x.size());
    copy.next_out = scratch.data();
    copy.avail_out = static_cast<uInt>(scratch.size());
    ::deflate(&copy, Z_BLOCK);
    unsigned pending = 0;
    int bits = 0;
    deflatePending(&copy, &pending, &bits);
    const double total = 8.0 * (static_cast<double>(copy.total_out) + pending) + bits;
    deflateEnd(&copy);
    return 8.0 * 18 + total;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "/work/shared/data/text/moby-dick.txt";
  const int steps = argc > 2 ? std::stoi(argv[2]) : 20;
  const int level = argc > 3 ? std::stoi(argv[3]) : 9;
  constexpr std::size_t kContext = 30000;
  std::ifstream in(path, std::ios::binary);
  const Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() < kContext + static_cast<std::size_t>(steps)) {
    std::fprintf(stderr, "bench_deflate_cost: %s: need at least %zu bytes\n", path.c_str(), kContext + steps);
    return 2;
  }
  const auto gz = make_gzip(level);
  Bytes context(file.begin(), file.begin() + kContext);

  // The guard's check runs here, once; every begin() below only reads its verdict.
  const auto guard_t0 = Clock::now();
  const double guard_c0 = cpu_seconds();
  const bool verified = gzip_fast_path_verified();
  const double guard_cpu_ms = 1e3 * (cpu_seconds() - guard_c0), guard_wall_ms = 1e3 * seconds_since(guard_t0);

  // (a) from scratch is slow (ms per candidate): two steps are enough for its average.
  const int scratch_steps = std::min(steps, 2);
  std::vector<double> ref;  // ℓ(c·x) per step and x, from (a) where measured, else from (b)
  double t_scratch = 0, t_copy = 0, t_model = 0;        // wall
  double c_scratch = 0, c_copy = 0, c_model = 0;        // thread CPU
  int mismatches = 0;

  auto state = gz->begin(context);
  ZlibStream stream(level);
  stream.feed(context);
  Bytes scratch_out(1 << 20);
  Bytes cx = context;
  cx.push_back(0);
  std::vector<double> a(256), b(256), c(256);
  std::size_t begin_us = 0;
  {
    const auto t0 = Clock::now();
    auto s2 = gz->begin(context);
    begin_us = static_cast<std::size_t>(seconds_since(t0) * 1e6);
  }

  for (int step = 0; step < steps; ++step) {
    if (step < scratch_steps) {
      const auto t0 = Clock::now();
      const double c0 = cpu_seconds();
      for (int x = 0; x < 256; ++x) {
        cx.back() = static_cast<std::uint8_t>(x);
        a[x] = gz->code_length_bits(cx);
      }
      t_scratch += seconds_since(t0);
      c_scratch += cpu_seconds() - c0;
    }
    {
      const auto t0 = Clock::now();
      const double c0 = cpu_seconds();
      for (int x = 0; x < 256; ++x) {
        const std::uint8_t byte = static_cast<std::uint8_t>(x);
        b[x] = stream.bits_with(ByteView(&byte, 1), scratch_out);
      }
      t_copy += seconds_since(t0);
      c_copy += cpu_seconds() - c0;
    }
    {
      const auto t0 = Clock::now();
      const double c0 = cpu_seconds();
      for (int x = 0; x < 256; ++x) {
        const std::uint8_t byte = static_cast<std::uint8_t>(x);
        c[x] = state->bits_with(ByteView(&byte, 1));
      }
      t_model += seconds_since(t0);
      c_model += cpu_seconds() - c0;
    }
    for (int x = 0; x < 256; ++x) {
      if (c[x] != b[x] || (step < scratch_steps && a[x] != c[x])) ++mismatches;
    }
    // Commit the next byte of the file, as sampling commits the byte it drew.
    const std::uint8_t next = file[kContext + static_cast<std::size_t>(step)];
    state->append(ByteView(&next, 1));
    stream.feed(ByteView(&next, 1));
    cx.back() = next;
    cx.push_back(0);
  }

  const double per_scratch = 1e6 / (256.0 * scratch_steps), per = 1e6 / (256.0 * steps);
  std::printf("deflate cost of 256 candidates, context %zu bytes of %s, gzip:%d, %d steps\n", kContext, path.c_str(),
              level, steps);
  std::printf("                                        wall us/cand   CPU us/cand\n");
  std::printf("  (a) zlib from scratch               %12.2f %13.2f   (%d steps)\n", t_scratch * per_scratch,
              c_scratch * per_scratch, scratch_steps);
  std::printf("  (b) zlib deflateCopy + Z_BLOCK      %12.2f %13.2f\n", t_copy * per, c_copy * per);
  std::printf("  (c) zgen deflate model fast path    %12.2f %13.2f\n", t_model * per, c_model * per);
  std::printf("  speed-up of (c), CPU time: %.0fx over (a), %.1fx over (b); begin(context) %zu us wall\n",
              (c_scratch * per_scratch) / (c_model * per), (c_copy * per) / (c_model * per), begin_us);
  std::printf("  one core: %.0f sampled bytes/s at 256 candidates per byte (CPU time)\n", 1e6 / (256.0 * c_model * per));
  std::printf("  zlib guard (first begin() of the process): %s against zlib %s, %.2f ms wall, %.2f ms CPU, once\n",
              verified ? "matches" : "DIFFERS, recompressing", zlibVersion(), guard_wall_ms, guard_cpu_ms);
  std::printf("  agreement: %s (%d mismatching candidates)\n", mismatches == 0 ? "all equal" : "MISMATCH", mismatches);
  return mismatches == 0 ? 0 : 1;
}
