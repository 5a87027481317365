// zstd-dict:L — the fast path (one CDict per context, shared by clones, one CCtx per state)
// against its definition computed from scratch (code_length_bits_given: a new CDict and CCtx per
// call), on random and real contexts, single bytes and spans, after append and in clones; the
// model's distribution is the same on one thread, on two, and with --no-snapshot.
#include <doctest/doctest.h>

#include "tests/dict_variant_checks.hpp"
#include "tests/fixtures.hpp"

#include <array>
#include <random>
#include <set>
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

}  // namespace

TEST_CASE("zstd-dict: the definition, spelled out with libzstd") {
  const auto c = make_compressor("zstd-dict:19");
  CHECK(c->name() == "zstd-dict:19");
  CHECK(make_compressor("zstd-dict")->name() == "zstd-dict:19");
  // Without a context it is zstd:L itself: the same frame, and ℓ(x | ε) = ℓ(x).
  const Bytes data = slice(text(), 0, 5000);
  CHECK(c->compress(data) == make_zstd(19)->compress(data));
  CHECK(c->decompress(c->compress(data)) == data);
  CHECK(c->code_length_bits_given({}, data) == make_zstd(19)->code_length_bits(data));
  // A context no longer than the tail (256 bytes) is compressed with x, no dictionary:
  // ℓ(x | c) = ℓ(c·x) of zstd:L.
  const Bytes short_context = slice(text(), 100, 256);
  const Bytes x = slice(text(), 356, 40);
  CHECK(c->code_length_bits_given(short_context, x) == make_zstd(19)->code_length_bits(concat(short_context, x)));
  // A longer context: the part before the tail is a dictionary, so x costs less than alone and
  // the frame is smaller than compressing the whole context with x.
  const Bytes context = slice(text(), 0, 20000);
  const Bytes next = slice(text(), 20000, 400);
  const double given = c->code_length_bits_given(context, next) - c->code_length_bits_given(context, {});
  const double tail_only = c->code_length_bits_given(slice(context, 20000 - 256, 256), next) -
                           c->code_length_bits_given(slice(context, 20000 - 256, 256), {});
  CHECK(given < tail_only);
  CHECK(c->code_length_bits_given(context, next) < make_zstd(19)->code_length_bits(concat(context, next)));
  // Contexts that begin with zstd's dictionary magic are plain bytes (raw content), not a
  // dictionary format to parse.
  Bytes magic = {0x37, 0xA4, 0x30, 0xEC};
  magic.insert(magic.end(), context.begin(), context.begin() + 3000);
  CHECK(c->code_length_bits_given(magic, next) > 0);
}

TEST_CASE("zstd-dict: the fast path equals the definition on random and real contexts") {
  std::mt19937_64 rng(21);
  int cases = 0, bad = 0;
  for (int level : {1, 3, 9, 19}) {
    const auto c = make_compressor("zstd-dict:" + std::to_string(level));
    CAPTURE(level);
    for (int i = 0; i < 8; ++i) {
      // Sizes around the tail (256 bytes) and well past it; half real prose, half random bytes
      // or a mix (random bytes inside text: incompressible stretches next to matches).
      const std::size_t n = std::vector<std::size_t>{0, 1, 255, 256, 257, 1000, 4096, 12000}[static_cast<std::size_t>(i)];
      Bytes context = (i % 2 == 0) ? slice(text(), rng() % 50000, n) : random_bytes(n, rng());
      if (i == 7) context = concat(slice(text(), 3000, 6000), random_bytes(2000, 5));
      const std::vector<Bytes> spans = {slice(text(), 1000 + rng() % 1000, 1 + rng() % 30), random_bytes(9, rng()),
                                        slice(context.empty() ? text() : context, 0, std::min<std::size_t>(context.size() ? context.size() : 50, 50))};
      auto state = c->begin(context);
      bad += mismatches(*c, *state, context, spans);
      cases += 257 + static_cast<int>(spans.size());
    }
  }
  CHECK(bad == 0);
  CHECK(cases > 8000);
}

TEST_CASE("zstd-dict: append and clone keep the fast path on its definition") {
  const auto c = make_compressor("zstd-dict:19");
  Bytes context = slice(text(), 40000, 3000);
  auto state = c->begin(context);
  const std::vector<Bytes> spans = {slice(text(), 43000, 8), random_bytes(5, 3)};
  int bad = 0;
  // One byte at a time (as sampling does), then a chunk, with a clone taken on the way that
  // must keep the context it was cloned with.
  std::unique_ptr<CodeLengthState> early;
  for (int step = 0; step < 6; ++step) {
    const Bytes one = slice(text(), 43000 + static_cast<std::size_t>(step), 1);
    state->append(one);
    context = concat(context, one);
    if (step == 2) early = state->clone();
    bad += mismatches(*c, *state, context, spans);
  }
  const Bytes early_context = slice(text(), 40000, 3003);
  bad += mismatches(*c, *early, early_context, spans);
  const Bytes chunk = slice(text(), 43006, 700);
  state->append(chunk);
  context = concat(context, chunk);
  auto copy = state->clone();
  bad += mismatches(*c, *copy, context, spans);
  bad += mismatches(*c, *state, context, spans);
  CHECK(bad == 0);
}

TEST_CASE("zstd-dict: the distribution is the same on 1 and 2 threads and with --no-snapshot") {
  // The tail makes single bytes differ (a frame of x alone would give all 256 the same length).
  CHECK(zgen::test::check_same_on_threads_and_without_snapshot("zstd-dict:19", slice(text(), 10000, 8000), "the") > 1);
}
