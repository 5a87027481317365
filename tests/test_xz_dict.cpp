// xz-dict:P — the fast path (an encoder kept per state and initialised again for every
// candidate) against its definition computed from scratch (code_length_bits_given: a new encoder
// per call), on random and real contexts, single bytes and spans, after append and in clones; the
// model's distribution is the same on one thread, on two, and with --no-snapshot.
#include <doctest/doctest.h>

#include "tests/fixtures.hpp"

#include <lzma.h>

#include <array>
#include <random>
#include <set>
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

// The raw LZMA2 stream, decoded with the same preset dictionary: the definition's frame is a
// real stream that gives t·x back.
Bytes decode_raw(ByteView stream, ByteView dictionary, std::uint32_t dict_size, int preset) {
  lzma_options_lzma opt{};
  REQUIRE(lzma_lzma_preset(&opt, static_cast<std::uint32_t>(preset)) == 0);
  opt.dict_size = dict_size;
  opt.preset_dict = dictionary.empty() ? nullptr : dictionary.data();
  opt.preset_dict_size = static_cast<std::uint32_t>(dictionary.size());
  const lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, nullptr}};
  Bytes out(1 << 16);
  std::size_t in_pos = 0, out_pos = 0;
  REQUIRE(lzma_raw_buffer_decode(filters, nullptr, stream.data(), &in_pos, stream.size(), out.data(), &out_pos,
                                 out.size()) == LZMA_OK);
  out.resize(out_pos);
  return out;
}

}  // namespace

TEST_CASE("xz-dict: the definition, spelled out with liblzma") {
  const auto c = make_compressor("xz-dict:9");
  CHECK(c->name() == "xz-dict:9");
  CHECK(make_compressor("xz-dict")->name() == "xz-dict:9");
  // Without a context, as a compressor, it is xz:P.
  const Bytes data = slice(text(), 0, 5000);
  CHECK(c->compress(data) == make_xz(9)->compress(data));
  CHECK(c->decompress(c->compress(data)) == data);
  // The stream the definition measures decodes to t·x with h as the preset dictionary: check it
  // by building it by hand (4096 + 40 bytes → an 8 KiB dictionary).
  const Bytes context = slice(text(), 20000, 4096);
  const Bytes x = slice(text(), 24096, 40);
  lzma_options_lzma opt{};
  REQUIRE(lzma_lzma_preset(&opt, 9) == 0);
  opt.dict_size = 8192;
  opt.preset_dict = context.data();
  opt.preset_dict_size = 4096 - 256;
  const lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, nullptr}};
  const Bytes tx = concat(slice(context, 4096 - 256, 256), x);
  Bytes stream(1000);
  std::size_t out_pos = 0;
  REQUIRE(lzma_raw_buffer_encode(filters, nullptr, tx.data(), tx.size(), stream.data(), &out_pos, stream.size()) == LZMA_OK);
  stream.resize(out_pos);
  CHECK(c->code_length_bits_given(context, x) == 8.0 * static_cast<double>(stream.size()));
  CHECK(decode_raw(stream, slice(context, 0, 4096 - 256), 8192, 9) == tx);
  // The dictionary helps: x costs less given the context than given only its tail.
  const Bytes big = slice(text(), 0, 20000), next = slice(text(), 20000, 400);
  const Bytes tail = slice(big, 20000 - 256, 256);
  CHECK(c->code_length_bits_given(big, next) - c->code_length_bits_given(big, {}) <
        c->code_length_bits_given(tail, next) - c->code_length_bits_given(tail, {}));
}

TEST_CASE("xz-dict: the fast path equals the definition on random and real contexts") {
  std::mt19937_64 rng(22);
  int cases = 0, bad = 0;
  for (int preset : {0, 6, 9}) {
    const auto c = make_compressor("xz-dict:" + std::to_string(preset));
    CAPTURE(preset);
    for (int i = 0; i < 8; ++i) {
      // Sizes around the tail (256 bytes) and the smallest dictionary (4 KiB), and past them.
      const std::size_t n = std::vector<std::size_t>{0, 1, 255, 256, 257, 3900, 4096, 12000}[static_cast<std::size_t>(i)];
      Bytes context = (i % 2 == 0) ? slice(text(), rng() % 50000, n) : random_bytes(n, rng());
      if (i == 7) context = concat(slice(text(), 3000, 6000), random_bytes(2000, 5));
      const std::vector<Bytes> spans = {slice(text(), 1000 + rng() % 1000, 1 + rng() % 30), random_bytes(9, rng()),
                                        random_bytes(300, rng())};
      auto state = c->begin(context);
      bad += mismatches(*c, *state, context, spans, 3);
      cases += 86 + static_cast<int>(spans.size());
    }
  }
  CHECK(bad == 0);
  CHECK(cases > 2000);
}

TEST_CASE("xz-dict: append and clone keep the fast path on its definition") {
  const auto c = make_compressor("xz-dict:9");
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
    bad += mismatches(*c, *state, context, spans, 5);
  }
  bad += mismatches(*c, *early, slice(text(), 40000, 3002), spans, 5);
  const Bytes chunk = slice(text(), 43004, 1200);  // crosses 4 KiB: a larger dictionary
  state->append(chunk);
  context = concat(context, chunk);
  auto copy = state->clone();
  bad += mismatches(*c, *copy, context, spans, 5);
  bad += mismatches(*c, *state, context, spans, 5);
  CHECK(bad == 0);
}

TEST_CASE("xz-dict: the distribution is the same on 1 and 2 threads and with --no-snapshot") {
  const Bytes context = slice(text(), 10000, 6000);
  auto make = [](int threads, bool snapshot) {
    PredictorOptions o;
    o.threads = threads;
    o.snapshot = snapshot;
    o.alphabet = "all";
    return CodeLengthPredictor(make_compressor("xz-dict:6"), o);
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
