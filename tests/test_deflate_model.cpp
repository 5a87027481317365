// The deflate cost model against zlib itself: for every level, the model's bit count equals the
// bit length of zlib's raw deflate stream ended with Z_BLOCK (Gzip::code_length_bits − framing),
// from scratch and when split into a committed context and a continuation.
#include <doctest/doctest.h>

#include "tests/fixtures.hpp"

#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "compressors/deflate/model.hpp"
#include "compressors/families.hpp"

using namespace zgen;

namespace {

constexpr double kFramingBits = 8.0 * 18;

const Bytes& text() {
  static const Bytes all = zgen::test::read_fixture("sotu-valid-70k.txt");
  return all;
}

std::uint64_t reference_bits(ByteView data, int level) {
  static std::unique_ptr<Compressor> gz[10];
  if (!gz[level]) gz[level] = make_gzip(level);
  return static_cast<std::uint64_t>(gz[level]->code_length_bits(data) - kFramingBits);
}

Bytes prefix(std::size_t n) { return Bytes(text().begin(), text().begin() + static_cast<std::ptrdiff_t>(n)); }

Bytes random_bytes(std::mt19937& rng, std::size_t n, int alphabet = 256) {
  Bytes out(n);
  std::uniform_int_distribution<int> d(0, alphabet - 1);
  for (auto& b : out) b = static_cast<std::uint8_t>(d(rng));
  return out;
}

// Text with binary bursts and runs: exercises stored/fixed/dynamic choices within one stream.
Bytes mixed(std::mt19937& rng, std::size_t n) {
  Bytes out;
  std::uniform_int_distribution<std::size_t> piece(1, 3000);
  std::uniform_int_distribution<int> kind(0, 3);
  while (out.size() < n) {
    const std::size_t len = piece(rng);
    switch (kind(rng)) {
      case 0: {
        std::uniform_int_distribution<std::size_t> at(0, text().size() - len);
        const std::size_t a = at(rng);
        out.insert(out.end(), text().begin() + static_cast<std::ptrdiff_t>(a), text().begin() + static_cast<std::ptrdiff_t>(a + len));
        break;
      }
      case 1: {
        const Bytes r = random_bytes(rng, len);
        out.insert(out.end(), r.begin(), r.end());
        break;
      }
      case 2: out.insert(out.end(), len, static_cast<std::uint8_t>(rng())); break;
      default: {
        const Bytes r = random_bytes(rng, len, 4);
        out.insert(out.end(), r.begin(), r.end());
      }
    }
  }
  out.resize(n);
  return out;
}

void check_all_levels(ByteView data, const char* what) {
  for (int level = 1; level <= 9; ++level) {
    INFO(what << ", " << data.size() << " bytes, level " << level);
    CHECK(deflate::deflate_bits(data, level) == reference_bits(data, level));
  }
}

}  // namespace

TEST_CASE("tiny inputs") {
  check_all_levels({}, "empty");
  for (std::size_t n = 1; n <= 8; ++n) {
    check_all_levels(prefix(n), "text");
    check_all_levels(Bytes(n, 'a'), "run");
    check_all_levels(Bytes(n, 0), "zeros");
  }
}

TEST_CASE("text prefixes of many lengths") {
  std::mt19937 rng(1);
  std::vector<std::size_t> lengths = {9, 10, 100, 257, 258, 259, 261, 262, 263, 1000, 4096, 10000, 32768, 32769};
  std::uniform_int_distribution<std::size_t> any(10, 20000);
  for (int i = 0; i < 16; ++i) lengths.push_back(any(rng));
  for (const std::size_t n : lengths) check_all_levels(prefix(n), "text prefix");
}

TEST_CASE("random bytes: stored blocks") {
  std::mt19937 rng(2);
  for (const std::size_t n : {1u, 2u, 3u, 5u, 50u, 300u, 1000u, 5000u, 40000u}) check_all_levels(random_bytes(rng, n), "random");
}

TEST_CASE("long runs and small alphabets") {
  std::mt19937 rng(3);
  for (const std::size_t n : {300u, 1000u, 70000u}) check_all_levels(Bytes(n, 'x'), "run");
  // Many literals: more than 16383 symbols forces several blocks.
  check_all_levels(random_bytes(rng, 50000, 3), "alphabet 3");
  check_all_levels(random_bytes(rng, 30000, 16), "alphabet 16");
  Bytes pattern;
  for (int i = 0; i < 20000; ++i) pattern.push_back(static_cast<std::uint8_t>("abcab"[i % 5]));
  check_all_levels(pattern, "period 5");
}

TEST_CASE("mixed text and binary") {
  std::mt19937 rng(4);
  for (const std::size_t n : {2000u, 20000u, 60000u}) check_all_levels(mixed(rng, n), "mixed");
}

TEST_CASE("inputs longer than the 64 KiB window") {
  std::mt19937 rng(5);
  check_all_levels(text(), "whole fixture");
  Bytes big = text();
  const Bytes r = random_bytes(rng, 10000);
  big.insert(big.end(), r.begin(), r.end());
  big.insert(big.end(), text().begin(), text().end());
  big.resize(150000, 'z');
  check_all_levels(big, "150 KB");
  check_all_levels(mixed(rng, 140000), "mixed 140 KB");
  // Around the slide: zlib slides when strstart reaches 65274 and a fill is asked for.
  for (const std::size_t n : {65273u, 65274u, 65275u, 65536u, 65537u, 65536u + 262u, 65274u + 262u})
    check_all_levels(mixed(rng, n), "near the slide");
}

// The committed state (append) plus a continuation must equal zlib on the concatenation,
// wherever the split falls: inside matches, just before the slide, in the last 262 bytes.
TEST_CASE("split into committed context and continuation") {
  std::mt19937 rng(6);
  const Bytes data = mixed(rng, 90000);
  Bytes texty = text();
  texty.resize(90000, 'q');
  std::uniform_int_distribution<std::size_t> split(0, 90000);
  std::uniform_int_distribution<std::size_t> tail(0, 600);
  for (int level = 1; level <= 9; ++level) {
    for (int i = 0; i < 14; ++i) {
      const Bytes& src = (i % 2) ? data : texty;
      std::size_t a = split(rng);
      if (i == 0) a = 65274 + 262 - 1 - 3;
      if (i == 1) a = 65274 + 5;
      if (i == 2) a = 65536 - 1;
      const std::size_t b = std::min(src.size(), a + tail(rng));
      const ByteView whole(src.data(), b);
      deflate::DeflateModel model(level);
      // Commit in two pieces to exercise append after append.
      model.append(whole.subspan(0, a / 2));
      model.append(whole.subspan(a / 2, a - a / 2));
      INFO("level " << level << ", context " << a << ", continuation " << b - a);
      CHECK(model.bits_with(whole.subspan(a)) == reference_bits(whole, level));
      CHECK(model.bits() == reference_bits(whole.subspan(0, a), level));
    }
  }
}

// Sampling appends one byte at a time. Crossing the end of the first 64 KiB, the byte that no
// longer fits waits for the fill that slides the window; when that fill uses up the input, the
// same step is already a tail step and must be checked (a bug found by random testing).
TEST_CASE("one byte at a time across the first slide") {
  std::mt19937 rng(8);
  for (int i = 0; i < 45; ++i) {
    const int level = 1 + i % 9;
    const Bytes data = mixed(rng, 65800);
    const std::size_t start = 65470 + rng() % 60;
    const std::size_t stop = 65540 + rng() % 40;
    deflate::DeflateModel model(level);
    model.append(ByteView(data.data(), start));
    for (std::size_t n = start; n < stop; ++n) model.append(ByteView(data.data() + n, 1));
    INFO("level " << level << ", from " << start << " to " << stop);
    CHECK(model.bits() == reference_bits(ByteView(data.data(), stop), level));
    CHECK(model.bits_with(ByteView(data.data() + stop, 150)) == reference_bits(ByteView(data.data(), stop + 150), level));
  }
}
