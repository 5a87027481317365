// gzip:L — the fast path (begin/bits_with/append/clone over the deflate model) against
// recompressing from scratch with zlib, plus the container round trip and bad input.
#include <doctest/doctest.h>

#include "tests/fixtures.hpp"

#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "compressors/families.hpp"
#include "zgen/errors.hpp"
#include "zgen/compressor.hpp"

using namespace zgen;

namespace {

const Bytes& text() {
  static const Bytes all = zgen::test::read_fixture("sotu-valid-70k.txt");
  return all;
}

Bytes concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Every one-byte continuation of the state equals zlib on context·x.
void check_all_bytes(const Compressor& gz, CodeLengthState& state, const Bytes& context) {
  REQUIRE(state.context_bits() == gz.code_length_bits(context));
  Bytes scratch = context;
  scratch.push_back(0);
  int mismatches = 0;
  for (int x = 0; x < 256; ++x) {
    const std::uint8_t b = static_cast<std::uint8_t>(x);
    scratch.back() = b;
    if (state.bits_with(ByteView(&b, 1)) != gz.code_length_bits(scratch)) ++mismatches;
  }
  INFO(gz.name() << ", context " << context.size() << " bytes");
  CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("fast path equals zlib for every next byte") {
  for (const int level : {1, 6, 9}) {
    const auto gz = make_gzip(level);
    for (const std::size_t n : {0u, 1u, 2u, 300u, 5000u, 30000u, 69000u}) {
      const Bytes context(text().begin(), text().begin() + static_cast<std::ptrdiff_t>(n));
      auto state = gz->begin(context);
      check_all_bytes(*gz, *state, context);
    }
  }
}

TEST_CASE("append keeps the fast path exact") {
  for (const int level : {1, 6, 9}) {
    const auto gz = make_gzip(level);
    Bytes context(text().begin(), text().begin() + 29990);
    auto state = gz->begin(context);
    // One byte at a time, as sampling does, then a larger piece.
    for (int i = 0; i < 6; ++i) {
      const std::uint8_t b = text()[context.size()];
      state->append(ByteView(&b, 1));
      context.push_back(b);
    }
    check_all_bytes(*gz, *state, context);
    const ByteView piece(text().data() + context.size(), 700);
    state->append(piece);
    context.insert(context.end(), piece.begin(), piece.end());
    check_all_bytes(*gz, *state, context);
  }
}

TEST_CASE("append across the window slide and beyond 64 KiB") {
  const auto gz = make_gzip(9);
  Bytes context(text().begin(), text().begin() + 65000);
  auto state = gz->begin(context);
  for (std::size_t at = 65000; at < 65900; ++at) {
    const std::uint8_t b = text()[at];
    state->append(ByteView(&b, 1));
    context.push_back(b);
    if (at % 97 == 0) {
      const std::uint8_t x = 'e';
      CHECK(state->bits_with(ByteView(&x, 1)) == gz->code_length_bits(concat(context, ByteView(&x, 1))));
    }
  }
  check_all_bytes(*gz, *state, context);
  // A 150 KB context: several slides behind the committed state.
  Bytes big = text();
  big.insert(big.end(), text().begin(), text().end());
  big.insert(big.end(), text().begin(), text().begin() + 10000);
  auto big_state = gz->begin(big);
  CHECK(big_state->context_bits() == gz->code_length_bits(big));
  for (const int xi : {int{'a'}, int{'T'}, int{'\n'}, 0, 255}) {
    const std::uint8_t x = static_cast<std::uint8_t>(xi);
    CHECK(big_state->bits_with(ByteView(&x, 1)) == gz->code_length_bits(concat(big, ByteView(&x, 1))));
  }
}

TEST_CASE("multi-byte continuations") {
  std::mt19937 rng(7);
  for (const int level : {1, 6, 9}) {
    const auto gz = make_gzip(level);
    const Bytes context(text().begin(), text().begin() + 30000);
    auto state = gz->begin(context);
    for (const std::size_t len : {2u, 3u, 10u, 100u, 261u, 262u, 1000u, 40000u}) {
      const std::size_t at = std::uniform_int_distribution<std::size_t>(0, text().size() - len)(rng);
      const ByteView x(text().data() + at, len);
      INFO("level " << level << ", continuation " << len);
      CHECK(state->bits_with(x) == gz->code_length_bits(concat(context, x)));
      Bytes noise(len);
      for (auto& b : noise) b = static_cast<std::uint8_t>(rng());
      CHECK(state->bits_with(noise) == gz->code_length_bits(concat(context, noise)));
    }
  }
}

TEST_CASE("clones are independent") {
  const auto gz = make_gzip(6);
  const Bytes context(text().begin(), text().begin() + 20000);
  auto a = gz->begin(context);
  auto b = a->clone();
  const ByteView more(text().data() + 20000, 50);
  a->append(more);
  const std::uint8_t x = 's';
  CHECK(b->bits_with(ByteView(&x, 1)) == gz->code_length_bits(concat(context, ByteView(&x, 1))));
  CHECK(a->bits_with(ByteView(&x, 1)) == gz->code_length_bits(concat(concat(context, more), ByteView(&x, 1))));
  CHECK(b->context_bits() == gz->code_length_bits(context));
}

TEST_CASE("round trip and corrupt input") {
  const auto gz = make_gzip(9);
  const Bytes data(text().begin(), text().begin() + 12345);
  const Bytes packed = gz->compress(data);
  CHECK(packed.size() < data.size());
  CHECK(gz->decompress(packed) == data);
  CHECK(gz->decompress(gz->compress({})).empty());
  Bytes corrupt = packed;
  corrupt[packed.size() / 2] ^= 0x55;
  CHECK_THROWS_AS(gz->decompress(corrupt), UserError);
  CHECK_THROWS_AS(gz->decompress(ByteView(packed.data(), packed.size() / 2)), UserError);
  CHECK_THROWS_AS(gz->decompress(as_bytes("not gzip at all")), UserError);
}
