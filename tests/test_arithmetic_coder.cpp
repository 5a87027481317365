// The arithmetic coder and the quantiser: round trips, the stream's end, overhead, invariants.
#include <doctest/doctest.h>

#include "tests/fixtures.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "src/coding/arithmetic_coder.hpp"
#include "src/coding/quantize.hpp"
#include "src/coding/symbol_index.hpp"
#include "tests/coder_test_models.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"

namespace {

using zgen::ArithmeticDecoder;
using zgen::ArithmeticEncoder;
using zgen::Bytes;
using zgen::CumulativeTable;

using zgen::test::read_fixture;

CumulativeTable table_from(const std::vector<std::uint32_t>& freq, unsigned bits) {
  CumulativeTable t;
  t.bits = bits;
  t.cum[0] = 0;
  for (int s = 0; s < 256; ++s) t.cum[s + 1] = t.cum[s] + freq[s];
  REQUIRE(t.cum[256] == (1u << bits));
  return t;
}

// Random frequencies over 256 symbols summing to 2^bits, each >= 1; `skew` concentrates mass.
std::vector<std::uint32_t> random_frequencies(std::mt19937_64& rng, unsigned bits, double skew) {
  std::vector<double> w(256);
  std::exponential_distribution<double> e(1.0);
  for (double& x : w) x = std::pow(e(rng), skew);
  const double sum = std::accumulate(w.begin(), w.end(), 0.0);
  const std::uint32_t total = 1u << bits;
  std::vector<std::uint32_t> f(256);
  std::uint32_t used = 0;
  for (int s = 0; s < 256; ++s) used += f[s] = 1 + static_cast<std::uint32_t>(w[s] / sum * (total - 256));
  f[std::max_element(w.begin(), w.end()) - w.begin()] += total - used;
  return f;
}

// An event in a mixed stream: a table symbol or a binary decision.
struct Event {
  bool binary;
  int table;        // index into the tables when !binary
  std::uint32_t p1;  // when binary
  int value;        // the symbol or the bit
};

void round_trip(const std::vector<Event>& events, const std::vector<CumulativeTable>& tables) {
  Bytes stream;
  ArithmeticEncoder enc(stream);
  for (const Event& e : events) {
    if (e.binary) enc.encode_bit(e.value, e.p1);
    else zgen::encode_symbol(enc, tables[e.table], static_cast<std::uint8_t>(e.value));
  }
  enc.finish();
  ArithmeticDecoder dec(stream);
  for (const Event& e : events) {
    const int got = e.binary ? dec.decode_bit(e.p1) : zgen::decode_symbol(dec, tables[e.table]);
    REQUIRE(got == e.value);
  }
  CHECK_NOTHROW(dec.finish());

  // The same stream through each table's lookup index: the same symbols, the same states.
  std::vector<zgen::SymbolIndex> indexes(tables.begin(), tables.end());
  ArithmeticDecoder indexed(stream);
  for (const Event& e : events) {
    const int got = e.binary ? indexed.decode_bit(e.p1) : zgen::decode_symbol(indexed, tables[e.table], indexes[e.table]);
    REQUIRE(got == e.value);
  }
  CHECK_NOTHROW(indexed.finish());
}

}  // namespace

TEST_CASE("an empty stream is empty and decodes") {
  Bytes stream;
  ArithmeticEncoder enc(stream);
  enc.finish();
  CHECK(stream.empty());
  ArithmeticDecoder dec(stream);
  CHECK_NOTHROW(dec.finish());
}

TEST_CASE("fixed distribution round trip, and the size is near the entropy") {
  std::mt19937_64 rng(1);
  const auto freq = random_frequencies(rng, 16, 2.0);
  const CumulativeTable t = table_from(freq, 16);
  std::discrete_distribution<int> pick(freq.begin(), freq.end());
  std::vector<Event> events;
  double ideal = 0;
  for (int i = 0; i < 100000; ++i) {
    const int s = pick(rng);
    events.push_back({false, 0, 0, s});
    ideal -= std::log2(freq[s] / 65536.0);
  }
  round_trip(events, {t});
  Bytes stream;
  ArithmeticEncoder enc(stream);
  for (const Event& e : events) zgen::encode_symbol(enc, t, static_cast<std::uint8_t>(e.value));
  enc.finish();
  CHECK(stream.size() * 8.0 <= ideal * 1.0001 + 64);
}

TEST_CASE("the lookup index finds every position's symbol, for tables of 8 to 28 bits") {
  std::mt19937_64 rng(7);
  for (unsigned bits = 8; bits <= zgen::kMaxFrequencyBits; ++bits) {
    for (double skew : {0.0, 1.0, 20.0}) {
      const CumulativeTable t = table_from(random_frequencies(rng, bits, skew), bits);
      const zgen::SymbolIndex index(t);
      // Every symbol's first and last position, and random ones.
      for (int s = 0; s < 256; ++s) {
        REQUIRE(index.find(t, t.cum[s]) == s);
        REQUIRE(index.find(t, t.cum[s + 1] - 1) == s);
      }
      for (int i = 0; i < 2000; ++i) {
        const auto target = static_cast<std::uint32_t>(rng() % t.cum[256]);
        REQUIRE(index.find(t, target) == t.find(target));
        // A pure bucket's entry is its symbol's range, as the decoder's one load reads it.
        const auto e = index.entry(target);
        if (e.freq != 0) {
          REQUIRE(index.first(target) == t.find(target));
          REQUIRE(e.cum == t.cum[t.find(target)]);
          REQUIRE(e.freq == t.cum[t.find(target) + 1] - e.cum);
        }
      }
      // Quotients past 2^bits (the interval's remainder, up to the largest range allows)
      // belong to the last symbol, through its entry.
      const std::uint64_t total = std::uint64_t{1} << bits;
      for (std::uint64_t q : {total, total + ((total - 1) >> (32 - bits))}) {
        REQUIRE(index.first(q) == 255);
        REQUIRE(index.entry(q).cum == t.cum[255]);
        REQUIRE(index.entry(q).freq == total - t.cum[255]);
      }
    }
  }
  // (8 bits is the smallest 256-symbol table, and smaller than the index's 2^12 buckets.)
  // A crowded bucket: one dominant symbol, 255 of frequency 1, searched rather than walked.
  std::vector<std::uint32_t> crowded(256, 1);
  crowded[128] = (1u << 24) - 255;
  const CumulativeTable t = table_from(crowded, 24);
  const zgen::SymbolIndex index(t);
  for (int s = 0; s < 256; ++s) REQUIRE(index.find(t, t.cum[s]) == s);
}

TEST_CASE("binary decisions at the extreme probabilities 1 and 65535") {
  std::mt19937_64 rng(2);
  std::vector<Event> events;
  for (int i = 0; i < 20000; ++i) {
    const std::uint32_t p1 = (i / 100) % 2 ? 65535 : 1;
    // Mostly the likely bit, sometimes the 16-bit-costly unlikely one.
    const bool likely = rng() % 50 != 0;
    const int bit = (p1 == 65535) == likely ? 1 : 0;
    events.push_back({true, 0, p1, bit});
  }
  round_trip(events, {});
  // All-unlikely: every decision costs 16 bits, the stream must still end cleanly.
  std::vector<Event> worst;
  for (int i = 0; i < 1000; ++i) worst.push_back({true, 0, i % 2 ? 1u : 65535u, i % 2});
  round_trip(worst, {});
}

TEST_CASE("property: thousands of random mixed streams round-trip") {
  for (std::uint64_t seed = 0; seed < 3000; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<CumulativeTable> tables;
    const int n_tables = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n_tables; ++i) {
      const unsigned bits = 8 + static_cast<unsigned>(rng() % (zgen::kMaxFrequencyBits - 7));  // 8..28
      const double skew = std::array{0.0, 1.0, 4.0, 20.0}[rng() % 4];  // uniform .. one dominant symbol
      tables.push_back(table_from(random_frequencies(rng, bits, skew), bits));
    }
    const int length = static_cast<int>(rng() % (seed % 10 == 0 ? 5000 : 300));
    const bool binary_only = seed % 7 == 0, tables_only = seed % 7 == 1;
    std::vector<Event> events;
    for (int i = 0; i < length; ++i) {
      const bool binary = binary_only || (!tables_only && rng() % 2);
      if (binary) {
        std::uint32_t p1 = static_cast<std::uint32_t>(rng() % 65535) + 1;
        if (rng() % 4 == 0) p1 = rng() % 2 ? 1 : 65535;
        // Draw the bit from p1 most of the time, so skewed runs are likely, as with real models.
        const int bit = rng() % 8 == 0 ? static_cast<int>(rng() % 2) : (rng() % 65536 < p1);
        events.push_back({true, 0, p1, bit});
      } else {
        const int k = static_cast<int>(rng() % tables.size());
        const auto& cum = tables[k].cum;
        // Draw from the table itself (or uniformly, to hit the rare symbols).
        int s;
        if (rng() % 8 == 0) {
          s = static_cast<int>(rng() % 256);
        } else {
          const std::uint32_t target = static_cast<std::uint32_t>(rng() % cum[256]);
          s = tables[k].find(target);
        }
        events.push_back({false, k, 0, s});
      }
    }
    round_trip(events, tables);
  }
}

TEST_CASE("the decoder rejects streams that end too early or too late") {
  std::mt19937_64 rng(3);
  Bytes stream;
  ArithmeticEncoder enc(stream);
  for (int i = 0; i < 1000; ++i) enc.encode(static_cast<std::uint32_t>(rng() % 256), 1, 8);
  enc.finish();
  REQUIRE(stream.size() > 900);

  // Reading far past the end: a uniform table consumes 8 bits a symbol.
  ArithmeticDecoder past(stream);
  CHECK_THROWS_AS(
      [&] {
        for (int i = 0; i < 1100; ++i) past.consume(past.target(8), 1, 8);
      }(),
      zgen::UserError);

  // Bytes left over after the last symbol.
  Bytes longer = stream;
  longer.insert(longer.end(), {1, 2, 3, 4, 5, 6, 7, 8});
  ArithmeticDecoder extra(longer);
  for (int i = 0; i < 1000; ++i) extra.consume(extra.target(8), 1, 8);
  CHECK_THROWS_AS(extra.finish(), zgen::UserError);

  // A first window at the very top of the code space is not a stream.
  const Bytes ones(8, 0xFF);
  CHECK_THROWS_AS(ArithmeticDecoder{ones}, zgen::UserError);
}

TEST_CASE("carries propagate through runs of 0xFF") {
  // Built by hand, with the uniform 8-bit table (r = floor(range / 256)): symbol 1 gives the
  // interval [2^56 − 1, 2^57 − 2), which straddles 2^56; three 0s keep low at 2^56 − 1 and
  // shrink range below 2^32, so the word 00 FF FF FF goes out while the interval still
  // straddles; the top symbol then carries through all three 0xFF bytes.
  Bytes stream;
  ArithmeticEncoder enc(stream);
  for (std::uint32_t s : {1, 0, 0, 0}) enc.encode(s, 1, 8);
  REQUIRE(stream == Bytes{0x00, 0xFF, 0xFF, 0xFF});
  enc.encode(255, 1, 8);
  CHECK(stream == Bytes{0x01, 0x00, 0x00, 0x00});
  enc.finish();
  ArithmeticDecoder dec(stream);
  for (std::uint32_t s : {1, 0, 0, 0, 255}) {
    REQUIRE(dec.target(8) == s);
    dec.consume(s, 1, 8);
  }
  CHECK_NOTHROW(dec.finish());

  // Random streams, watching the bytes already written: a carry adds 1 to the last of them,
  // and through a 0xFF to the ones before. A stream of mostly the top symbol of a 16-bit
  // table, and uniform bytes (whose carries pass a 0xFF about once in 256).
  std::size_t carries = 0, through_ff = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::uint32_t> freq(256, 1);
    freq[255] = (1u << 16) - 255 - 1;
    freq[0] = 2;
    const std::vector<CumulativeTable> tables = {table_from(freq, 16), table_from(std::vector<std::uint32_t>(256, 1), 8)};
    std::vector<Event> events;
    for (int i = 0; i < 4000; ++i) {
      const int table = seed % 2 ? 1 : 0;
      const int s = table == 1 || rng() % 64 == 0 ? static_cast<int>(rng() % 256) : 255;
      events.push_back({false, table, 0, s});
    }
    round_trip(events, tables);
    Bytes written;
    ArithmeticEncoder watched(written);
    for (const Event& e : events) {
      const std::size_t n = written.size();
      const std::uint8_t last = n ? written[n - 1] : 0;
      zgen::encode_symbol(watched, tables[e.table], static_cast<std::uint8_t>(e.value));
      if (n && written[n - 1] != last) {
        ++carries;
        REQUIRE(written[n - 1] == static_cast<std::uint8_t>(last + 1));
        through_ff += last == 0xFF;
      }
    }
  }
  MESSAGE(carries << " carries in the random streams, " << through_ff << " of them through a 0xFF");
  CHECK(through_ff > 0);
}

TEST_CASE("overhead on real text is within 0.1% + 8 bytes per chunk of the ideal code length") {
  const Bytes text = read_fixture("sotu-valid-30k.txt");
  for (std::uint64_t chunk : {std::uint64_t{0}, std::uint64_t{2048}}) {
    zgen::test::Order2Predictor model;
    const zgen::EncodedPayload e = zgen::encode_payload(model, text, chunk);
    // The same costs recomputed the slow way: under the model's floats, and under the
    // quantised tables that the coder actually used.
    double float_bits = 0, table_bits = 0;
    for (std::size_t begin = 0; begin < text.size(); begin += chunk ? chunk : text.size()) {
      model.reset({});
      const std::size_t end = chunk ? std::min(text.size(), begin + chunk) : text.size();
      for (std::size_t i = begin; i < end; ++i) {
        std::array<double, 256> lp, p;
        model.log_probs(lp);
        const CumulativeTable t = zgen::quantize(lp, &p);
        float_bits -= std::log2(p[text[i]]);
        table_bits -= std::log2((t.cum[text[i] + 1] - t.cum[text[i]]) / static_cast<double>(zgen::kQuantizedTotal));
        model.observe(text[i]);
      }
    }
    CHECK(e.ideal_bits == doctest::Approx(float_bits).epsilon(1e-9));
    const double ideal_bytes = e.ideal_bits / 8, table_bytes = table_bits / 8;
    const double actual = static_cast<double>(e.payload.size());
    const double chunks = static_cast<double>(e.chunks);
    MESSAGE("chunk " << chunk << ", " << e.chunks << " chunk(s): ideal " << ideal_bytes << " B, under the tables "
                     << table_bytes << " B, actual " << actual << " B (" << 8 * actual / text.size()
                     << " bits/byte)");
    CHECK(e.ideal_bits / text.size() < 4.5);  // a real model, not a uniform one
    // The target, and the coder alone against the tables it coded with (the floor of 1 count
    // per symbol can make the tables cheaper than the floats on novel bytes).
    CHECK(actual <= ideal_bytes * 1.001 + 8.0 * chunks);
    CHECK(actual <= table_bytes * 1.001 + 8.0 * chunks);
    CHECK(actual >= table_bytes - 8.0 * chunks);
  }
}

TEST_CASE("quantize: exact total, every symbol at least 1, deterministic") {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int round = 0; round < 2000; ++round) {
    std::array<double, 256> lp;
    const double spread = std::array{0.1, 3.0, 30.0, 800.0}[round % 4];
    for (double& x : lp) x = normal(rng) * spread - 5;
    if (round % 5 == 0)
      for (int i = 0; i < 40; ++i) lp[rng() % 256] = -std::numeric_limits<double>::infinity();
    if (round % 11 == 0) lp[rng() % 256] = std::numeric_limits<double>::quiet_NaN();
    if (round % 13 == 0) lp[rng() % 256] = std::numeric_limits<double>::infinity();
    const CumulativeTable a = zgen::quantize(lp);
    const CumulativeTable b = zgen::quantize(lp);
    REQUIRE(a.cum == b.cum);
    REQUIRE(a.bits == zgen::kQuantizedBits);
    REQUIRE(a.cum[0] == 0);
    REQUIRE(a.cum[256] == zgen::kQuantizedTotal);
    // Every frequency >= 1, compared as cum values: cum[s + 1] − cum[s] >= 1 would also hold,
    // unsigned, for a count that wrapped.
    for (int s = 0; s < 256; ++s) REQUIRE(a.cum[s + 1] > a.cum[s]);
    // Monotone up to the rounding of one count: more log-probability, no fewer counts.
    for (int i = 0; i < 64; ++i) {
      const int x = static_cast<int>(rng() % 256), y = static_cast<int>(rng() % 256);
      if (std::isfinite(lp[x]) && std::isfinite(lp[y]) && lp[x] >= lp[y])
        REQUIRE(a.cum[x + 1] - a.cum[x] + 1 >= a.cum[y + 1] - a.cum[y]);
    }
  }
}

TEST_CASE("quantize: special inputs") {
  std::array<double, 256> lp;
  lp.fill(-std::numeric_limits<double>::infinity());
  CumulativeTable t = zgen::quantize(lp);
  for (int s = 0; s < 256; ++s) CHECK(t.cum[s + 1] - t.cum[s] == zgen::kQuantizedTotal / 256);

  lp.fill(std::numeric_limits<double>::quiet_NaN());  // no usable entry: uniform, as for −inf
  t = zgen::quantize(lp);
  for (int s = 0; s < 256; ++s) CHECK(t.cum[s + 1] - t.cum[s] == zgen::kQuantizedTotal / 256);

  lp.fill(-1000);
  lp[65] = 0;  // one certain symbol: the others keep the minimum
  t = zgen::quantize(lp);
  CHECK(t.cum[66] - t.cum[65] == zgen::kQuantizedTotal - 255);

  std::array<double, 256> p;
  lp.fill(std::log(1.0 / 256));  // uniform: exactly equal counts
  t = zgen::quantize(lp, &p);
  for (int s = 0; s < 256; ++s) CHECK(t.cum[s + 1] - t.cum[s] == zgen::kQuantizedTotal / 256);
  CHECK(p[7] == doctest::Approx(1.0 / 256));

  // Not normalised: the same table as its normalised twin, up to rounding of the shift.
  for (int s = 0; s < 256; ++s) lp[s] = -0.01 * s;
  const CumulativeTable a = zgen::quantize(lp);
  for (double& x : lp) x += 40;
  const CumulativeTable b = zgen::quantize(lp);
  CHECK(a.cum == b.cum);
}

TEST_CASE("quantisation loss is tiny") {
  // A realistic text-like distribution: the coded cost under the table is within 1e-4 bits
  // of the float cost per symbol.
  std::mt19937_64 rng(5);
  std::array<double, 256> lp;
  for (int s = 0; s < 256; ++s) lp[s] = -0.07 * s - (rng() % 5);
  std::array<double, 256> p;
  const CumulativeTable t = zgen::quantize(lp, &p);
  double kl = 0;
  for (int s = 0; s < 256; ++s)
    kl += p[s] * std::log2(p[s] / ((t.cum[s + 1] - t.cum[s]) / static_cast<double>(zgen::kQuantizedTotal)));
  CHECK(kl < 1e-4);
}

TEST_CASE("deterministic_exp matches exp") {
  for (double x = -707.9; x <= 0; x += 0.01237) {
    const double want = std::exp(x);
    CHECK(std::abs(zgen::deterministic_exp(x) - want) <= 1e-14 * want);
  }
  CHECK(zgen::deterministic_exp(0) == 1.0);
  CHECK(zgen::deterministic_exp(-1e9) == 0.0);
  CHECK(zgen::deterministic_exp(-std::numeric_limits<double>::infinity()) == 0.0);
  CHECK(zgen::deterministic_exp(std::numeric_limits<double>::quiet_NaN()) == 0.0);
}

namespace {
// deterministic_exp as first written (branches, a conversion to int64): the coded bytes depend on
// its bits, so the branch-free and array forms must give exactly these.
double exp_as_first_written(double x) {
  if (!(x >= -708.0)) return 0.0;
  if (x > 0.0) x = 0.0;
  const double k = (x * 1.4426950408889634 + 6755399441055744.0) - 6755399441055744.0;
  const double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
  double p = 1.0 / 6227020800.0;
  for (double c : {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0,
                   1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0})
    p = p * r + c;
  return p * std::bit_cast<double>(static_cast<std::uint64_t>(static_cast<std::int64_t>(k) + 1023) << 52);
}
}  // namespace

TEST_CASE("deterministic_exp: the scalar and array forms give the bits of the definition") {
  std::vector<double> x;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> d(-720.0, 5.0);
  for (int i = 0; i < 20000; ++i) x.push_back(d(rng));
  for (double v : {0.0, -0.0, 1e-300, -1e-300, 3.0, -708.0, -707.9999999, -708.0000001, -1e9, -0.34657359027997264,
                   0.34657359027997264, -std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()})
    x.push_back(v);
  std::vector<double> array(x.size());
  zgen::deterministic_exp(x.data(), array.data(), x.size() - 3);  // an odd count: the vector loop's tail
  array[x.size() - 3] = array[x.size() - 2] = array[x.size() - 1] = 0;
  zgen::deterministic_exp(x.data() + x.size() - 3, array.data() + x.size() - 3, 3);
  for (std::size_t i = 0; i < x.size(); ++i) {
    CAPTURE(x[i]);
    const double want = exp_as_first_written(x[i]);
    CHECK(std::bit_cast<std::uint64_t>(zgen::deterministic_exp(x[i])) == std::bit_cast<std::uint64_t>(want));
    CHECK(std::bit_cast<std::uint64_t>(array[i]) == std::bit_cast<std::uint64_t>(want));
  }
}
