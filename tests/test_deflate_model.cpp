// The deflate cost model against zlib itself: for every level, the model's bit count equals the
// bit length of zlib's raw deflate stream ended with Z_BLOCK (Gzip::code_length_bits − framing),
// from scratch and when split into a committed context and a continuation.
#include <doctest/doctest.h>

#include "tests/fixtures.hpp"

#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include <zlib.h>

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

namespace {

// zlib itself with a zlib wrapper (which allows windowBits 8, raised to 9): the bits after the
// 2-byte header, ended by Z_BLOCK (measured with deflatePending) or Z_FINISH (whole bytes, less
// the 4-byte Adler-32 trailer).
std::uint64_t zlib_bits(ByteView data, const deflate::DeflateParams& p, deflate::StreamEnd end) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, p.level, Z_DEFLATED, p.window_bits, p.mem_level,
                       p.filtered ? Z_FILTERED : Z_DEFAULT_STRATEGY) == Z_OK);
  Bytes out(deflateBound(&zs, data.size()) + 64);
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const bool finish = end == deflate::StreamEnd::kFinish;
  const int rc = ::deflate(&zs, finish ? Z_FINISH : Z_BLOCK);
  unsigned pending = 0;
  int bits = 0;
  deflatePending(&zs, &pending, &bits);
  const std::uint64_t total = 8 * (zs.total_out + pending) + static_cast<std::uint64_t>(bits);
  deflateEnd(&zs);
  REQUIRE(rc == (finish ? Z_STREAM_END : Z_OK));
  return total - 16 - (finish ? 32 : 0);
}

std::uint64_t model_bits(ByteView data, const deflate::DeflateParams& p, deflate::StreamEnd end) {
  const std::uint64_t bits = deflate::deflate_bits(data, p, end);
  return end == deflate::StreamEnd::kFinish ? (bits + 7) / 8 * 8 : bits;
}

}  // namespace

// libpng's settings (memLevel 9, a window fitted to the image, Z_FILTERED) and other
// combinations, ended both ways, from scratch and split into committed state + continuation.
TEST_CASE("other windowBits, memLevel and Z_FILTERED, ended by Z_BLOCK or Z_FINISH") {
  std::mt19937 rng(9);
  const deflate::StreamEnd ends[] = {deflate::StreamEnd::kBlock, deflate::StreamEnd::kFinish};
  std::uniform_int_distribution<std::size_t> len(0, 40000);
  int cases = 0;
  for (int level : {1, 4, 6, 9}) {
    for (int wb = 8; wb <= 15; ++wb) {
      for (int mem : {1, 8, 9}) {
        for (bool filtered : {false, true}) {
          const deflate::DeflateParams p{level, wb, mem, filtered};
          const std::size_t n = (wb == 15 && mem == 9 && level == 9) ? 70000 : len(rng);
          const Bytes data = (cases % 3 == 0) ? prefix(n) : mixed(rng, n);
          for (const auto end : ends) {
            INFO("level " << level << ", windowBits " << wb << ", memLevel " << mem << ", filtered " << filtered
                          << ", " << n << " bytes, finish " << (end == deflate::StreamEnd::kFinish));
            CHECK(model_bits(data, p, end) == zlib_bits(data, p, end));
            // Split: a committed context and a continuation.
            const std::size_t a = n ? rng() % n : 0;
            deflate::DeflateModel model(p);
            model.append(ByteView(data.data(), a));
            const std::uint64_t split = model.bits_with(ByteView(data.data() + a, n - a), end);
            CHECK((end == deflate::StreamEnd::kFinish ? (split + 7) / 8 * 8 : split) == zlib_bits(data, p, end));
          }
          ++cases;
        }
      }
    }
  }
  // An input that ends exactly where a block is flushed: Z_FINISH adds an empty last block.
  const deflate::DeflateParams p{9, 15, 1, false};  // 127 symbols per block
  const Bytes r = random_bytes(rng, 127 * 4);
  CHECK(model_bits(r, p, deflate::StreamEnd::kFinish) == zlib_bits(r, p, deflate::StreamEnd::kFinish));
}

// bits_with(x, end, give_up_at): exact below give_up_at; at or above it only when the exact count
// is too (the lower bound never exceeds the real block).
TEST_CASE("giving up on a block by its lower bound never hides a smaller count") {
  std::mt19937 rng(10);
  int gave_up = 0, exact = 0;
  for (int i = 0; i < 120; ++i) {
    const deflate::DeflateParams p{9, 9 + i % 7, 8 + i % 2, i % 3 == 0};
    const std::size_t n = 50 + rng() % 6000;
    const Bytes data = (i % 2) ? prefix(n) : mixed(rng, n);
    const std::size_t a = rng() % n;
    deflate::DeflateModel model(p);
    model.append(ByteView(data.data(), a));
    const ByteView x(data.data() + a, n - a);
    const auto end = (i % 4 == 1) ? deflate::StreamEnd::kBlock : deflate::StreamEnd::kFinish;
    const std::uint64_t truth = model.bits_with(x, end);
    for (const std::int64_t delta : {-200, -20, -1, 0, 1, 30}) {
      const std::uint64_t give_up = static_cast<std::uint64_t>(std::max<std::int64_t>(1, static_cast<std::int64_t>(truth) + delta));
      const std::uint64_t got = model.bits_with(x, end, give_up);
      INFO("case " << i << ", truth " << truth << ", give up at " << give_up << ", got " << got);
      if (got < give_up) {
        CHECK(got == truth);
        ++exact;
      } else {
        CHECK(truth >= give_up);
        CHECK(got <= truth);
        ++gave_up;
      }
    }
    CHECK(model.bits_with(x, end) == truth);  // the state is unchanged
  }
  CHECK(gave_up > 100);
  CHECK(exact > 100);
}
