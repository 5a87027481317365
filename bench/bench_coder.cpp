// The arithmetic coder alone: encode and decode speed with a fixed distribution (target
// >= 50 MB/s, so that the coder is never the bottleneck), beside gzip -1 on the same bytes in
// the same run; then, given a text file, the coder's overhead over the ideal code length.
//
//   bench_coder [TEXT_FILE [MODEL_SPEC...]]
//
// Overhead is measured with the adaptive order-2 test model (whole-byte tables) and the
// order-0 bit-tree test model (binary decisions), plus any MODEL_SPEC given (make_predictor),
// in 2048-byte chunks and unchunked. Target: actual <= ideal · 1.001 + 8 bytes per chunk.
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "src/coding/arithmetic_coder.hpp"
#include "src/coding/quantize.hpp"
#include "src/coding/symbol_index.hpp"
#include "tests/coder_test_models.hpp"
#include "zgen/coding.hpp"
#include "zgen/compressor.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"

namespace {

// This process's CPU seconds: on a shared machine, wall time counts the other jobs too.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Runs f a few times and keeps the fastest, in CPU time (single-threaded work).
template <class F>
double best_of(int runs, F f) {
  double best = 1e300;
  for (int i = 0; i < runs; ++i) {
    const double t = cpu_seconds();
    f();
    best = std::min(best, cpu_seconds() - t);
  }
  return best;
}

void bench_speed() {
  constexpr std::size_t n = 16 << 20;
  // A text-like fixed distribution: geometric over byte ranks.
  std::array<double, 256> lp;
  for (int s = 0; s < 256; ++s) lp[s] = -0.06 * s;
  std::array<double, 256> p;
  const zgen::CumulativeTable table = zgen::quantize(lp, &p);
  std::mt19937_64 rng(1);
  std::discrete_distribution<int> pick(p.begin(), p.end());
  zgen::Bytes symbols(n);
  double entropy_bits = 0;
  for (auto& s : symbols) {
    s = static_cast<std::uint8_t>(pick(rng));
    entropy_bits -= std::log2(p[s]);
  }

  zgen::Bytes stream;
  const double enc = best_of(3, [&] {
    stream.clear();
    zgen::ArithmeticEncoder e(stream);
    for (std::uint8_t s : symbols) zgen::encode_symbol(e, table, s);
    e.finish();
  });
  // A fixed table is decoded through its lookup index; the search that an adaptive model's
  // fresh table per byte needs is timed beside it on the same stream.
  zgen::Bytes decoded(n);
  const zgen::SymbolIndex index(table);
  const double dec = best_of(3, [&] {
    zgen::ArithmeticDecoder d(stream);
    for (auto& s : decoded) s = zgen::decode_symbol(d, table, index);
    d.finish();
  });
  if (decoded != symbols) std::printf("ERROR: 256-symbol round trip (index) failed\n");
  std::fill(decoded.begin(), decoded.end(), 0);
  const double dec_search = best_of(3, [&] {
    zgen::ArithmeticDecoder d(stream);
    for (auto& s : decoded) s = zgen::decode_symbol(d, table);
    d.finish();
  });
  if (decoded != symbols) std::printf("ERROR: 256-symbol round trip (search) failed\n");

  // Binary decisions: 8 per byte with fixed bit probabilities (a static bit tree of the same
  // distribution would be fairer to compression, but speed is what this measures).
  std::array<std::uint32_t, 256> tree;
  for (int node = 0; node < 256; ++node) tree[node] = 1 + static_cast<std::uint32_t>(rng() % 65535);
  zgen::Bytes bits_stream;
  const double enc_bits = best_of(3, [&] {
    bits_stream.clear();
    zgen::ArithmeticEncoder e(bits_stream);
    for (std::uint8_t s : symbols)
      for (int i = 7, node = 1; i >= 0; --i) {
        const int bit = (s >> i) & 1;
        e.encode_bit(bit, tree[node]);
        node = node * 2 + bit;
      }
    e.finish();
  });
  const double dec_bits = best_of(3, [&] {
    zgen::ArithmeticDecoder d(bits_stream);
    for (auto& s : decoded) {
      int node = 1;
      for (int i = 0; i < 8; ++i) node = node * 2 + d.decode_bit(tree[node]);
      s = static_cast<std::uint8_t>(node);
    }
    d.finish();
  });
  if (decoded != symbols) std::printf("ERROR: binary round trip failed\n");

  const auto gzip = zgen::make_compressor("gzip:1");
  zgen::Bytes gz;
  const double gz_enc = best_of(1, [&] { gz = gzip->compress(symbols); });
  const double gz_dec = best_of(1, [&] { (void)gzip->decompress(gz); });

  const double mb = static_cast<double>(n) / 1e6;
  std::printf("coder alone, fixed distribution, %zu MiB of symbols (best of 3, CPU time)\n", n >> 20);
  std::printf("  256-symbol table (2^24)   encode %7.1f MB/s  decode %7.1f MB/s  size %.5f x entropy\n", mb / enc,
              mb / dec, 8.0 * static_cast<double>(stream.size()) / entropy_bits);
  std::printf("    decode searching the table instead of its index (an adaptive model's path): %.1f MB/s\n",
              mb / dec_search);
  std::printf("  8 binary decisions/byte   encode %7.1f MB/s  decode %7.1f MB/s  (%.0f / %.0f M decisions/s)\n",
              mb / enc_bits, mb / dec_bits, 8 * mb / enc_bits, 8 * mb / dec_bits);
  std::printf("  baseline gzip:1, same bytes: compress %7.1f MB/s  decompress %7.1f MB/s  size %.4f x entropy\n",
              mb / gz_enc, mb / gz_dec, 8.0 * static_cast<double>(gz.size()) / entropy_bits);
  std::printf("  target: >= 50 MB/s encode and decode; ratio to gzip:1 decompress, same run: encode %.2fx, decode %.2fx\n",
              gz_dec / enc, gz_dec / dec);
}

void bench_overhead(const std::string& name, zgen::Predictor& model, const zgen::Bytes& text) {
  for (std::uint64_t chunk : {std::uint64_t{2048}, std::uint64_t{0}}) {
    const double t = cpu_seconds();
    const zgen::EncodedPayload e = zgen::encode_payload(model, text, chunk);
    const double secs = cpu_seconds() - t;
    const double ideal = e.ideal_bits / 8, actual = static_cast<double>(e.payload.size());
    const double allowed = ideal * 1.001 + 8.0 * static_cast<double>(e.chunks);
    std::printf("  %-18s chunk %5llu: ideal %10.1f B  actual %9.0f B  overhead %+8.1f B = %+.4f%% (%+.2f B/chunk)  "
                "%.3f bits/byte  %s  [%.2f MB/s]\n",
                name.c_str(), static_cast<unsigned long long>(chunk), ideal, actual, actual - ideal,
                100 * (actual - ideal) / ideal, (actual - ideal) / static_cast<double>(e.chunks),
                8 * actual / static_cast<double>(text.size()), actual <= allowed ? "within target" : "OVER TARGET",
                static_cast<double>(text.size()) / 1e6 / secs);
  }
}

}  // namespace

int main(int argc, char** argv) {
  bench_speed();
  if (argc < 2) {
    std::printf("(give a text file to measure the overhead on real text)\n");
    return 0;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bench_coder: cannot open %s\n", argv[1]);
    return 2;
  }
  const zgen::Bytes text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::printf("overhead on %s (%zu bytes); target: actual <= ideal * 1.001 + 8 B per chunk\n", argv[1], text.size());
  zgen::test::Order2Predictor order2;
  bench_overhead("test-order2", order2, text);
  zgen::test::BitTreePredictor bits;
  bench_overhead("test-bits0", bits, text);
  for (int i = 2; i < argc; ++i) {
    try {
      const auto model = zgen::make_predictor(argv[i]);
      bench_overhead(argv[i], *model, text);
    } catch (const zgen::UserError& e) {
      std::fprintf(stderr, "bench_coder: %s: %s\n", argv[i], e.what());
    }
  }
  return 0;
}
