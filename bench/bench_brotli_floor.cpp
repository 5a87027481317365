// Where a brotli-dict candidate's time goes (issue 21): restoring the encoder's memory (the fast
// path's own cost) against libbrotlienc coding t·x and ending the stream (the definition's cost,
// which no exact fast path can skip while the library does the coding). From the library's share
// alone, the most any exact fast path could sample on two free cores with all 256 byte values
// costed per step: 2 / (256 · library time per candidate).
//
//   bench_brotli_floor [TEXT_FILE] [CONTEXT_BYTES] [ROUNDS]
//   (defaults: ../shared/data/text/moby-dick.txt, 30000, 3)
//
// Context = CONTEXT_BYTES of the file from offset 100000, as in bench_dict_cost. For each row the
// encoder is set up as brotli_dict.cpp's definition says (h compressed and flushed, window 2^W
// for c·x), its arena saved, then every round costs the 256 one-byte continuations: restore, then
// t·x with FINISH, each timed on the thread's CPU clock; the least disturbed round is printed
// (the project's machine is shared). The definition's rows are checked against the library's own
// fast path (brotli-dict:Q's CodeLengthState), whose time per candidate is printed beside them.
// The rows marked "not the definition" change it (a shorter tail, literal context modelling off)
// and only show what such a new variant would cost.
#include <brotli/encode.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "compressors/snapshot_arena.hpp"
#include "zgen/compressor.hpp"

namespace {

using zgen::Bytes;
using zgen::ByteView;

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// All of `in` with `op`, every output byte taken; the bytes written.
std::size_t feed(BrotliEncoderState* s, ByteView in, BrotliEncoderOperation op) {
  const std::uint8_t* next_in = in.data();
  std::size_t avail_in = in.size(), written = 0;
  for (;;) {
    std::size_t avail_out = 0;
    std::uint8_t* next_out = nullptr;
    if (!BrotliEncoderCompressStream(s, op, &avail_in, &next_in, &avail_out, &next_out, nullptr))
      throw std::runtime_error("BrotliEncoderCompressStream failed");
    std::size_t taken = 0;
    BrotliEncoderTakeOutput(s, &taken);
    written += taken;
    if (op == BROTLI_OPERATION_FINISH ? BrotliEncoderIsFinished(s) != 0
                                      : avail_in == 0 && !BrotliEncoderHasMoreOutput(s))
      return written;
  }
}

struct Row {
  int quality;
  std::size_t tail;  // brotli_dict.cpp's: 256 to 511 bytes, h a multiple of 256
  bool literal_context_modelling;
  bool definition;
};

struct Split {
  std::size_t arena_bytes = 0;
  double restore_us = 1e300, library_us = 1e300;  // per candidate, the least disturbed round
  std::size_t bytes_written = 0;                   // over the 256 candidates of one round
};

Split measure(const Row& row, const Bytes& context, int rounds) {
  const std::size_t head = row.definition ? (context.size() - 256) / 256 * 256 : context.size() - row.tail;
  int window_bits = BROTLI_MIN_WINDOW_BITS;
  while (window_bits < BROTLI_MAX_WINDOW_BITS && (std::size_t{1} << window_bits) - 16 < context.size() + 1) ++window_bits;
  zgen::SnapshotArena arena;
  BrotliEncoderState* s = BrotliEncoderCreateInstance(&zgen::SnapshotArena::allocate, &zgen::SnapshotArena::release, &arena);
  if (!s) throw std::runtime_error("BrotliEncoderCreateInstance failed");
  BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, static_cast<std::uint32_t>(row.quality));
  BrotliEncoderSetParameter(s, BROTLI_PARAM_LGWIN, static_cast<std::uint32_t>(window_bits));
  BrotliEncoderSetParameter(s, BROTLI_PARAM_MODE, BROTLI_MODE_GENERIC);
  BrotliEncoderSetParameter(s, BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING, row.literal_context_modelling ? 0 : 1);
  if (head > 0) feed(s, ByteView(context).first(head), BROTLI_OPERATION_FLUSH);  // without h nothing is flushed
  arena.take_snapshot();
  Split split;
  split.arena_bytes = arena.bytes();
  Bytes tx(context.begin() + static_cast<std::ptrdiff_t>(head), context.end());
  tx.push_back(0);
  for (int r = 0; r < rounds; ++r) {
    double restore = 0, library = 0;
    std::size_t written = 0;
    for (int x = 0; x < 256; ++x) {
      const double t0 = thread_cpu_seconds();
      arena.restore();
      const double t1 = thread_cpu_seconds();
      tx.back() = static_cast<std::uint8_t>(x);
      written += feed(s, tx, BROTLI_OPERATION_FINISH);
      const double t2 = thread_cpu_seconds();
      restore += t1 - t0;
      library += t2 - t1;
    }
    split.restore_us = std::min(split.restore_us, restore / 256 * 1e6);
    split.library_us = std::min(split.library_us, library / 256 * 1e6);
    split.bytes_written = written;
  }
  return split;  // the arena frees the encoder's memory
}

// brotli-dict:Q's own fast path over the same 256 continuations: µs per candidate (least disturbed
// round) and the bytes it counts over one round, to check the rows above follow the definition.
std::pair<double, std::size_t> fast_path(int quality, const Bytes& context, int rounds) {
  auto state = zgen::make_compressor("brotli-dict:" + std::to_string(quality))->begin(context);
  state->context_bits();  // compresses h
  double best = 1e300, bits = 0;
  for (int r = 0; r < rounds; ++r) {
    bits = 0;
    const double t0 = thread_cpu_seconds();
    for (int x = 0; x < 256; ++x) {
      const std::uint8_t b = static_cast<std::uint8_t>(x);
      bits += state->bits_with(ByteView(&b, 1));
    }
    best = std::min(best, (thread_cpu_seconds() - t0) / 256 * 1e6);
  }
  return {best, static_cast<std::size_t>(bits / 8)};
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "../shared/data/text/moby-dick.txt";
  const std::size_t context_bytes = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 30000;
  const int rounds = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    return 2;
  }
  const Bytes text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t from = text.size() > 100000 + context_bytes ? 100000 : 0;
  const Bytes context(text.begin() + static_cast<std::ptrdiff_t>(from),
                      text.begin() + static_cast<std::ptrdiff_t>(std::min(text.size(), from + context_bytes)));
  if (context.size() < 512) {
    std::fprintf(stderr, "the context must hold at least 512 bytes (an h before t)\n");
    return 2;
  }
  std::printf("context: %zu bytes of %s from offset %zu; 256 one-byte candidates per round, %d rounds, one thread\n\n",
              context.size(), path.c_str(), from, rounds);
  std::printf("| row | arena | restore µs | library µs | fast path µs (checked) | ceiling on 2 free cores, restore free | with restore |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  const std::size_t tail = context.size() - (context.size() - 256) / 256 * 256;
  bool same = true;
  for (const Row row : {Row{9, tail, true, true}, Row{10, tail, true, true}, Row{11, tail, true, true},
                        Row{11, 64, true, false}, Row{11, tail, false, false}, Row{11, 64, false, false}}) {
    const Split split = measure(row, context, rounds);
    std::string label = "brotli-dict:" + std::to_string(row.quality) + ", t " + std::to_string(row.tail) + " bytes";
    std::string checked = "–";
    if (row.definition) {
      const auto [us, bytes] = fast_path(row.quality, context, rounds);
      same = same && bytes == split.bytes_written;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.0f (%s)", us, bytes == split.bytes_written ? "same bytes" : "DIFFERENT");
      checked = buf;
    } else {
      label += row.literal_context_modelling ? "" : ", no literal context modelling";
      label += " (not the definition)";
    }
    std::printf("| %s | %.2f MB | %.0f | %.0f | %s | %.1f bytes/s | %.1f bytes/s |\n", label.c_str(),
                static_cast<double>(split.arena_bytes) / 1e6, split.restore_us, split.library_us, checked.c_str(),
                2e6 / (256 * split.library_us), 2e6 / (256 * (split.library_us + split.restore_us)));
  }
  std::printf("\nthe definition's rows cost the same bytes as brotli-dict's fast path: %s\n", same ? "yes" : "NO");
  return same ? 0 : 1;
}
