// xz-dict:P — the fast path (an encoder kept per state and initialised again for every
// candidate) against its definition computed from scratch (code_length_bits_given: a new encoder
// per call), on random and real contexts, single bytes and spans, after append and in clones; the
// model's distribution is the same on one thread, on two, and with --no-snapshot.
#include <doctest/doctest.h>

#include "tests/dict_variant_checks.hpp"
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
using zgen::test::concat;
using zgen::test::mismatches;
using zgen::test::random_bytes;
using zgen::test::slice;

namespace {

const Bytes& text() { return zgen::test::sotu_70k(); }

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
    CAPTURE(preset);
    // Sizes around the tail (256 bytes) and the smallest dictionary (4 KiB), and past them.
    bad += zgen::test::mismatches_over_contexts(*make_compressor("xz-dict:" + std::to_string(preset)),
                                                {0, 1, 255, 256, 257, 3900, 4096, 12000}, 3, rng, cases);
  }
  CHECK(bad == 0);
  CHECK(cases > 2000);
}

TEST_CASE("xz-dict: append and clone keep the fast path on its definition") {
  // 1200 more bytes cross 4 KiB: a larger dictionary
  CHECK(zgen::test::mismatches_after_append(*make_compressor("xz-dict:9"), 1200, 5) == 0);
}

TEST_CASE("xz-dict: the distribution is the same on 1 and 2 threads and with --no-snapshot") {
  zgen::test::check_same_on_threads_and_without_snapshot("xz-dict:6", slice(text(), 10000, 6000), "th");
}
