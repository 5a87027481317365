// A compressor as a model: normalisation, exactness of the fast path, thread independence,
// context trimming, and generation on top of it.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <fstream>
#include <iterator>
#include <numbers>
#include <set>

#include "samplers/horizon.hpp"
#include "src/models/code_length_predictor.hpp"
#include "tests/fixtures.hpp"
#include "zgen/compressor.hpp"
#include "zgen/sampling.hpp"

using namespace zgen;

namespace {

Bytes fixture(std::size_t n) {
  Bytes all = test::read_fixture("sotu-valid-70k.txt");
  REQUIRE(all.size() >= n);
  all.resize(n);
  return all;
}

CodeLengthPredictor make(const std::string& spec, int threads, bool snapshot, const std::string& alphabet = "all",
                         std::size_t max_context = 0) {
  PredictorOptions o;
  o.threads = threads;
  o.snapshot = snapshot;
  o.alphabet = alphabet;
  o.max_context = max_context;
  return CodeLengthPredictor(make_compressor(spec), o);
}

}  // namespace

TEST_CASE("log_probs is a distribution: finite, sums to 1 within 1e-9") {
  const Bytes text = fixture(5000);
  for (const char* spec : {"gzip:9", "zstd:3", "bzip2:9"}) {
    CAPTURE(spec);
    auto m = make(spec, 2, true);
    m.reset(text);
    std::array<double, 256> lp{};
    m.log_probs(lp);
    double sum = 0;
    for (double v : lp) {
      REQUIRE(std::isfinite(v));
      sum += std::exp(v);
    }
    CHECK(std::abs(sum - 1.0) < 1e-9);
  }
}

TEST_CASE("the distribution follows p(x|c) ∝ 2^(−(ℓ(c·x) − ℓ(c))) with bit-exact gzip lengths") {
  const Bytes text = fixture(3000);
  auto m = make("gzip:9", 1, true);
  m.reset(text);
  std::array<double, 256> lp{};
  m.log_probs(lp);
  auto gzip = make_compressor("gzip:9");
  Bytes e = text;
  e.push_back('e');
  Bytes q = text;
  q.push_back('Q');
  const double de = gzip->code_length_bits(e), dq = gzip->code_length_bits(q);
  CHECK(lp['e'] - lp['Q'] == doctest::Approx(-std::numbers::ln2 * (de - dq)).epsilon(1e-12));
  // Bit-exact lengths separate the candidates that whole-byte lengths would tie.
  std::set<double> distinct_bits;
  std::set<long> distinct_bytes;
  Bytes cx = text;
  cx.push_back(0);
  for (int b = 0; b < 256; ++b) {
    cx.back() = static_cast<std::uint8_t>(b);
    const double bits = gzip->code_length_bits(cx);
    distinct_bits.insert(bits);
    distinct_bytes.insert(static_cast<long>(std::ceil(bits / 8)));
  }
  CHECK(distinct_bytes.size() <= 5);
  CHECK(distinct_bits.size() >= 3 * distinct_bytes.size());
  CHECK(std::set<double>(lp.begin(), lp.end()).size() == distinct_bits.size());
}

TEST_CASE("fast path, --no-snapshot and thread count give identical distributions") {
  const Bytes text = fixture(4000);
  auto fast1 = make("gzip:6", 1, true), fast2 = make("gzip:6", 2, true), slow = make("gzip:6", 2, false);
  fast1.reset(text);
  fast2.reset(text);
  slow.reset(text);
  for (int step = 0; step < 3; ++step) {
    std::array<double, 256> a{}, b{}, c{};
    fast1.log_probs(a);
    fast2.log_probs(b);
    slow.log_probs(c);
    CHECK(a == b);
    CHECK(a == c);
    const auto next = static_cast<std::uint8_t>("the"[step]);
    fast1.observe(next);
    fast2.observe(next);
    slow.observe(next);
  }
}

TEST_CASE("alphabets: printable and context restrict the candidates, never to nothing") {
  const Bytes text = fixture(2000);
  auto printable = make("gzip:9", 2, true, "printable");
  printable.reset(text);
  std::array<double, 256> lp{};
  printable.log_probs(lp);
  CHECK(std::isinf(lp[0]));
  CHECK(std::isfinite(lp['a']));
  auto context = make("gzip:9", 2, true, "context");
  context.reset(as_bytes("abcab"));
  CHECK(context.alphabet().size() == 3);
  context.reset({});
  CHECK(context.alphabet().size() == 256);  // an empty context proposes every byte
}

TEST_CASE("a context longer than the window is trimmed by the documented rule") {
  const Bytes text = fixture(69000);
  auto m = make("gzip:9", 2, true, "all", 1000);
  m.reset(text);
  CHECK(m.context().size() == 1000);
  for (int i = 0; i < 1001; ++i) m.observe('a');
  // It grew to 2000, then one more byte cut it back to the last 1000.
  CHECK(m.context().size() == 1000);
  // Whatever the trimming, the model equals a fresh one on the same kept bytes.
  auto fresh = make("gzip:9", 2, true, "all", 1000);
  fresh.reset(m.context());
  std::array<double, 256> a{}, b{};
  m.log_probs(a);
  fresh.log_probs(b);
  CHECK(a == b);
}

TEST_CASE("generation: same seed same bytes, greedy deterministic, horizon spans") {
  const Bytes text = fixture(6000);
  auto run = [&](std::uint64_t seed, double t, int horizon, int threads) {
    auto m = make("gzip:9", threads, true, "context");
    m.reset(text);
    SamplerParams p;
    p.seed = seed;
    p.temperature = t;
    GenerationOptions g;
    g.length = 12;
    g.horizon = horizon;
    g.beam = 4;
    SamplerChain chain = make_generation_chain(p, g);
    return generate(m, chain, g);
  };
  CHECK(run(5, 1.0, 1, 1) == run(5, 1.0, 1, 2));
  CHECK(run(5, 1.0, 1, 2) != run(6, 1.0, 1, 2));
  CHECK(run(5, 0.0, 1, 2) == run(9, 0.0, 1, 2));
  const Bytes spans = run(5, 1.0, 4, 2);
  CHECK(spans.size() == 12);
  CHECK(spans == run(5, 1.0, 4, 1));
}

TEST_CASE("beam candidates are the cheapest spans, with exact extra bits") {
  const Bytes text = fixture(3000);
  auto m = make("gzip:9", 2, true, "context");
  m.reset(text);
  const auto spans = beam_candidates(m, 3, 5);
  REQUIRE(spans.size() == 5);
  auto gzip = make_compressor("gzip:9");
  const double base = gzip->code_length_bits(text);
  for (std::size_t i = 0; i < spans.size(); ++i) {
    CHECK(spans[i].bytes.size() == 3);
    Bytes joined = text;
    joined.insert(joined.end(), spans[i].bytes.begin(), spans[i].bytes.end());
    CHECK(spans[i].extra_bits == gzip->code_length_bits(joined) - base);
    if (i) CHECK(spans[i - 1].extra_bits <= spans[i].extra_bits);
  }
}

TEST_CASE("the default context kept: the compressor's window, at most 64 KiB") {
  CHECK(context_bytes_kept(*make_compressor("gzip:9"), 0) == 32768);
  CHECK(context_bytes_kept(*make_compressor("bzip2:9"), 0) == 65536);
  CHECK(context_bytes_kept(*make_compressor("xz:9"), 0) == 65536);
  CHECK(context_bytes_kept(*make_compressor("xz:9"), 1000) == 1000);
  auto m = make("zstd:3", 1, true);
  m.reset(fixture(69000));
  CHECK(m.context().size() == 65536);
}
