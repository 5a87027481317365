// brotli-dict:Q — the fast path (an encoder that compressed the context's head once, its memory
// restored for every candidate) against its definition computed from scratch
// (code_length_bits_given: a new encoder per call), on random and real contexts, single bytes and
// spans, after append and in clones; the model's distribution is the same on one thread, on two,
// and with --no-snapshot.
#include <doctest/doctest.h>

#include "tests/fixtures.hpp"

#include <brotli/encode.h>

#include <array>
#include <random>
#include <string>

#include "compressors/families.hpp"
#include "src/models/code_length_predictor.hpp"
#include "zgen/compressor.hpp"

using namespace zgen;
using zgen::test::random_bytes;

namespace {

const Bytes& text() {
  static const Bytes all = zgen::test::read_fixture("sotu-valid-70k.txt");
  return all;
}

Bytes slice(const Bytes& b, std::size_t from, std::size_t n) {
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(from + n));
}

Bytes concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

int mismatches(const Compressor& c, CodeLengthState& state, const Bytes& context, const std::vector<Bytes>& spans,
               int step = 1) {
  int bad = state.context_bits() == c.code_length_bits_given(context, {}) ? 0 : 1;
  for (int x = 0; x < 256; x += step) {
    const std::uint8_t b = static_cast<std::uint8_t>(x);
    if (state.bits_with(ByteView(&b, 1)) != c.code_length_bits_given(context, ByteView(&b, 1))) ++bad;
  }
  for (const Bytes& s : spans)
    if (state.bits_with(s) != c.code_length_bits_given(context, s)) ++bad;
  return bad;
}

// Everything a fresh encoder writes for `in` with `op`, appended to `out`.
void encode(BrotliEncoderState* s, ByteView in, BrotliEncoderOperation op, Bytes& out) {
  const std::uint8_t* next_in = in.data();
  std::size_t avail_in = in.size();
  for (;;) {
    Bytes buf(1 << 16);
    std::uint8_t* next_out = buf.data();
    std::size_t avail_out = buf.size();
    REQUIRE(BrotliEncoderCompressStream(s, op, &avail_in, &next_in, &avail_out, &next_out, nullptr));
    out.insert(out.end(), buf.data(), next_out);
    if (op == BROTLI_OPERATION_FINISH ? BrotliEncoderIsFinished(s) != 0 : avail_in == 0 && !BrotliEncoderHasMoreOutput(s))
      return;
  }
}

}  // namespace

TEST_CASE("brotli-dict: the definition, spelled out with the brotli encoder") {
  const auto c = make_compressor("brotli-dict:11");
  CHECK(c->name() == "brotli-dict:11");
  CHECK(make_compressor("brotli-dict")->name() == "brotli-dict:11");
  // Without a context, as a compressor, it is brotli:Q.
  const Bytes data = slice(text(), 0, 5000);
  CHECK(c->compress(data) == make_brotli(11)->compress(data));
  CHECK(c->decompress(c->compress(data)) == data);
  // By hand: h (4096 − 256 bytes) flushed, then t·x finished, window 2^13 (4096 + 40 bytes need
  // more than 2^12 − 16). The bytes after the flush are the length; the whole stream decodes
  // with brotli's own decoder to c·x.
  const Bytes context = slice(text(), 20000, 4096);
  const Bytes x = slice(text(), 24096, 40);
  BrotliEncoderState* s = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
  REQUIRE(s);
  REQUIRE(BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, 11));
  REQUIRE(BrotliEncoderSetParameter(s, BROTLI_PARAM_LGWIN, 13));
  REQUIRE(BrotliEncoderSetParameter(s, BROTLI_PARAM_MODE, BROTLI_MODE_GENERIC));
  Bytes stream;
  encode(s, slice(context, 0, 4096 - 256), BROTLI_OPERATION_FLUSH, stream);
  const std::size_t flushed = stream.size();
  encode(s, concat(slice(context, 4096 - 256, 256), x), BROTLI_OPERATION_FINISH, stream);
  BrotliEncoderDestroyInstance(s);
  CHECK(c->code_length_bits_given(context, x) == 8.0 * static_cast<double>(stream.size() - flushed));
  CHECK(make_brotli(11)->decompress(stream) == concat(context, x));
  // The history helps: x costs less given the context than given only its tail.
  const Bytes big = slice(text(), 0, 20000), next = slice(text(), 20000, 400);
  const Bytes tail = slice(big, 20000 - 256, 256);
  CHECK(c->code_length_bits_given(big, next) - c->code_length_bits_given(big, {}) <
        c->code_length_bits_given(tail, next) - c->code_length_bits_given(tail, {}));
}

TEST_CASE("brotli-dict: the fast path equals the definition on random and real contexts") {
  std::mt19937_64 rng(23);
  int cases = 0, bad = 0;
  for (int quality : {1, 5, 11}) {
    const auto c = make_compressor("brotli-dict:" + std::to_string(quality));
    CAPTURE(quality);
    for (int i = 0; i < 7; ++i) {
      // Sizes around the tail (256 bytes) and a window's edge (2^12 − 16), and past them.
      const std::size_t n = std::vector<std::size_t>{0, 1, 255, 256, 257, 4070, 8000}[static_cast<std::size_t>(i)];
      Bytes context = (i % 2 == 0) ? slice(text(), rng() % 50000, n) : random_bytes(n, rng());
      if (i == 6) context = concat(slice(text(), 3000, 6000), random_bytes(2000, 5));
      const std::vector<Bytes> spans = {slice(text(), 1000 + rng() % 1000, 1 + rng() % 30), random_bytes(9, rng()),
                                        random_bytes(300, rng())};
      auto state = c->begin(context);
      bad += mismatches(*c, *state, context, spans, 5);
      cases += 52 + static_cast<int>(spans.size());
    }
  }
  CHECK(bad == 0);
  CHECK(cases > 1000);
}

TEST_CASE("brotli-dict: append and clone keep the fast path on its definition") {
  const auto c = make_compressor("brotli-dict:11");
  Bytes context = slice(text(), 40000, 3000);
  auto state = c->begin(context);
  const std::vector<Bytes> spans = {slice(text(), 43000, 8), random_bytes(5, 3)};
  int bad = 0;
  std::unique_ptr<CodeLengthState> early;
  for (int step = 0; step < 4; ++step) {
    const Bytes one = slice(text(), 43000 + static_cast<std::size_t>(step), 1);
    state->append(one);
    context = concat(context, one);
    if (step == 1) early = state->clone();
    bad += mismatches(*c, *state, context, spans, 7);
  }
  bad += mismatches(*c, *early, slice(text(), 40000, 3002), spans, 7);
  const Bytes chunk = slice(text(), 43004, 1200);  // past 2^12 − 16 bytes: a larger window
  state->append(chunk);
  context = concat(context, chunk);
  auto copy = state->clone();
  bad += mismatches(*c, *copy, context, spans, 7);
  bad += mismatches(*c, *state, context, spans, 7);
  CHECK(bad == 0);
}

TEST_CASE("brotli-dict: the distribution is the same on 1 and 2 threads and with --no-snapshot") {
  const Bytes context = slice(text(), 10000, 6000);
  auto make = [](int threads, bool snapshot) {
    PredictorOptions o;
    o.threads = threads;
    o.snapshot = snapshot;
    o.alphabet = "all";
    return CodeLengthPredictor(make_compressor("brotli-dict:9"), o);
  };
  auto one = make(1, true), two = make(2, true), slow = make(2, false);
  one.reset(context);
  two.reset(context);
  slow.reset(context);
  for (int step = 0; step < 2; ++step) {
    std::array<double, 256> a{}, b{}, s{};
    one.log_probs(a);
    two.log_probs(b);
    slow.log_probs(s);
    CHECK(a == b);
    CHECK(a == s);
    const auto next = static_cast<std::uint8_t>("th"[step]);
    one.observe(next);
    two.observe(next);
    slow.observe(next);
  }
}
