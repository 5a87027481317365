// brotli-dict:Q — the fast path (an encoder that compressed the context's head once, its memory
// restored for every candidate) against its definition computed from scratch
// (code_length_bits_given: a new encoder per call), on random and real contexts, single bytes and
// spans, after append and in clones; the model's distribution is the same on one thread, on two,
// and with --no-snapshot.
#include <doctest/doctest.h>

#include "tests/dict_variant_checks.hpp"
#include "tests/fixtures.hpp"

#include <brotli/encode.h>

#include <array>
#include <random>
#include <string>

#include "compressors/families.hpp"
#include "src/models/code_length_predictor.hpp"
#include "zgen/compressor.hpp"

using namespace zgen;
using zgen::test::concat;
using zgen::test::mismatches;
using zgen::test::random_bytes;
using zgen::test::slice;

namespace {

const Bytes& text() { return zgen::test::sotu_70k(); }

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
    CAPTURE(quality);
    // Sizes around the tail (256 bytes) and a window's edge (2^12 − 16), and past them.
    bad += zgen::test::mismatches_over_contexts(*make_compressor("brotli-dict:" + std::to_string(quality)),
                                                {0, 1, 255, 256, 257, 4070, 8000}, 5, rng, cases);
  }
  CHECK(bad == 0);
  CHECK(cases > 1000);
}

TEST_CASE("brotli-dict: append and clone keep the fast path on its definition") {
  // 1200 more bytes pass 2^12 − 16: a larger window
  CHECK(zgen::test::mismatches_after_append(*make_compressor("brotli-dict:11"), 1200, 7) == 0);
}

TEST_CASE("brotli-dict: the distribution is the same on 1 and 2 threads and with --no-snapshot") {
  zgen::test::check_same_on_threads_and_without_snapshot("brotli-dict:9", slice(text(), 10000, 6000), "th");
}
