// The span method (GenerationMethod::kSpans): the context's pieces, their exact span costs, the
// anti-copy rule on real text, determinism by seed and thread count, and the CLI's default.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <string>

#include "samplers/copy_guard.hpp"
#include "samplers/span_sampler.hpp"
#include "samplers/span_vocabulary.hpp"
#include "src/models/code_length_predictor.hpp"
#include "tests/cli_runner.hpp"
#include "tests/fixtures.hpp"
#include "tests/span_test_models.hpp"
#include "zgen/compressor.hpp"
#include "zgen/sampling.hpp"

using namespace zgen;

namespace {

Bytes fixture(std::size_t n, std::size_t from = 0) {
  Bytes all = test::read_fixture("sotu-valid-70k.txt");
  REQUIRE(all.size() >= from + n);
  return Bytes(all.begin() + static_cast<std::ptrdiff_t>(from), all.begin() + static_cast<std::ptrdiff_t>(from + n));
}

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string text_of(ByteView b) { return std::string(b.begin(), b.end()); }


// The longest run of the sample found verbatim in `source`, by brute force (independent of
// CopyGuard): the largest n such that some n bytes of the sample occur in the source.
std::size_t longest_copy(const std::string& sample, const std::string& source) {
  std::size_t best = 0;
  for (std::size_t i = 0; i < sample.size(); ++i)
    while (i + best < sample.size() && source.find(sample.substr(i, best + 1)) != std::string::npos) ++best;
  return best;
}

Bytes sample_spans(const Bytes& context, std::uint64_t seed, int threads, std::size_t length, SpanOptions span = {},
                   const std::string& spec = "gzip:9") {
  auto m = test::span_test_model(spec, threads);
  SamplerParams p;
  p.seed = seed;
  GenerationOptions g;
  g.length = length;
  g.method = GenerationMethod::kSpans;
  g.span = span;
  SamplerChain chain = make_generation_chain(p, g);
  return generate_after(m, chain, context, g);
}

}  // namespace

TEST_CASE("pieces: words with their space, numbers, punctuation runs, whitespace runs; nothing lost") {
  const std::string s = "The people's  well-being, in 1999.\n\n  Thank you!";
  std::vector<std::string> got;
  std::string joined;
  for (ByteView p : split_pieces(as_bytes(s))) {
    got.push_back(text_of(p));
    joined += text_of(p);
  }
  CHECK(joined == s);
  const std::vector<std::string> want = {"The", " people's", " ", " well-being", ",", " in", " 1999", ".", "\n\n ",
                                         " Thank", " you", "!"};
  CHECK_MESSAGE(got == want, [&] { std::string m; for (auto& g : got) m += "[" + g + "]"; return m; }());

  // Every piece of real text joins back to it, and no piece is empty.
  const Bytes text = fixture(20000);
  std::string all;
  for (ByteView p : split_pieces(text)) {
    CHECK(!p.empty());
    all += text_of(p);
  }
  CHECK(all == text_of(text));
}

TEST_CASE("vocabulary: distinct inner pieces, most frequent first, phrases seen twice") {
  const std::string s = "x the cat and the dog and the cat y";
  const auto v = piece_vocabulary(as_bytes(s), 32);
  REQUIRE(!v.empty());
  CHECK(text_of(v[0]) == " the");  // three times
  std::set<std::string> all;
  for (const auto& p : v) all.insert(text_of(p));
  CHECK(all.size() == v.size());
  CHECK(all.count("x") == 0);   // the first piece may be cut: not offered
  CHECK(all.count(" y") == 0);  // nor the last
  CHECK(all.count(" the cat") == 0);
  const auto with_phrases = piece_vocabulary(as_bytes(s), 32, 0, 2);
  std::set<std::string> ph;
  for (const auto& p : with_phrases) ph.insert(text_of(p));
  CHECK(ph.count(" the cat") == 1);  // twice
  CHECK(ph.count(" and the") == 1);
  CHECK(ph.count(" the dog") == 0);  // once
  CHECK(piece_vocabulary(as_bytes(s), 32, 2).size() == 2);
}

TEST_CASE("every piece's extra bits equal recompression: ℓ(c·piece) − ℓ(c), hundreds of cases") {
  // Real text as the context, its own pieces and phrases as the continuations, every family.
  const Bytes context = fixture(3000, 1000);
  SpanOptions o;
  o.phrase_pieces = 2;
  const SpanProposer proposer(context, o);
  std::vector<Bytes> pieces = proposer.vocabulary();
  REQUIRE(pieces.size() >= 300);
  for (const std::string spec : {"gzip:9", "gzip:1", "zstd:19", "xz:9", "bzip2:9", "brotli:11"}) {
    CAPTURE(spec);
    const std::size_t n = spec.rfind("gzip", 0) == 0 ? pieces.size() : 60;  // recompressing families are slow
    const std::vector<Bytes> some(pieces.begin(), pieces.begin() + static_cast<std::ptrdiff_t>(n));
    auto m = test::span_test_model(spec, 2);
    m.reset(context);
    const std::vector<double> bits = m.extra_bits(some);
    auto c = make_compressor(spec);
    const double base = c->code_length_bits(context);
    for (std::size_t i = 0; i < n; ++i) {
      Bytes joined = context;
      joined.insert(joined.end(), some[i].begin(), some[i].end());
      CHECK_MESSAGE(bits[i] == c->code_length_bits(joined) - base, text_of(some[i]));
    }
  }
}

TEST_CASE("candidate logits: typical lengths, shares and the bonus rule") {
  const Bytes context = fixture(4000);
  const std::vector<Bytes> pieces = {bytes_of(" the"), bytes_of(" and"), bytes_of(" people"), bytes_of(",")};
  const std::vector<double> bits = {10.0, 14.0, 20.0, 6.0};
  SpanOptions o;
  o.lengths = SpanOptions::Lengths::kBonus;
  o.length_bonus = 2.0;
  const CandidateSet bonus = SpanProposer(context, o).candidates(pieces, bits);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    CHECK(bonus.items[i].id == 256 + static_cast<int>(i));
    CHECK(bonus.items[i].logit == doctest::Approx(-std::log(2.0) * (bits[i] - 2.0 * pieces[i].size())));
  }
  o.lengths = SpanOptions::Lengths::kTypical;
  const CandidateSet typical = SpanProposer(context, o).candidates(pieces, bits);
  // Within a length the compressor decides: " the" is 4 bits cheaper than " and".
  CHECK(typical.items[0].logit - typical.items[1].logit == doctest::Approx(4.0 * std::log(2.0)));
  o.lengths = SpanOptions::Lengths::kShare;
  CandidateSet share = SpanProposer(context, o).candidates(pieces, bits);
  softmax(share);
  // The lengths on offer (1, 4, 7) share probability in the context's proportions.
  CHECK(share.items[0].p / share.items[1].p == doctest::Approx(16.0));
}

TEST_CASE("offer: no word glued to a word, seams the context shows, a prompt's trailing space") {
  const std::string ctx = "We hold these truths. The people of the land, the people of 1776, hold them.";
  SpanOptions o;
  o.copy_window = 0;
  const SpanProposer proposer(as_bytes(ctx), o);
  const std::vector<std::uint8_t> alphabet = {' ', 'a'};
  std::set<std::string> after_word, after_space;
  for (const auto& p : proposer.offer(as_bytes(std::string("We hold")), 100, alphabet)) after_word.insert(text_of(p));
  for (const auto& p : proposer.offer(as_bytes(std::string("The ")), 100, alphabet)) after_space.insert(text_of(p));
  CHECK(after_word.count(" people") == 1);
  CHECK(after_word.count("people") == 0);  // would glue to "hold"
  CHECK(after_word.count(".") == 0);       // "d." never occurs in the context
  CHECK(after_space.count("people") == 1); // the prompt's space is the piece's own
  CHECK(after_space.count(" people") == 0);
  CHECK(after_space.count(" 1776") == 0);
  CHECK(after_space.count("1776") == 1);
}

TEST_CASE("copy guard: exact windows, own windows, and the text's tail") {
  const std::string source = "we hold these truths to be self-evident";
  CopyGuard g(as_bytes(source), 8);
  CHECK(g.in_source(as_bytes(std::string("truths t"))));
  CHECK(!g.in_source(as_bytes(std::string("truths x"))));
  CHECK(g.allows(as_bytes(std::string("I hold")), as_bytes(std::string(" many"))));
  CHECK(!g.allows(as_bytes(std::string("we hold")), as_bytes(std::string(" these"))));  // "hold the" spans the seam
  CHECK(g.allows(as_bytes(std::string("")), as_bytes(std::string("truths"))));        // 6 < 8 bytes
  g.add_window(as_bytes(std::string("abcdefgh")));
  CHECK(!g.allows(as_bytes(std::string("xxabcd")), as_bytes(std::string("efgh"))));
  CHECK(g.ends_in_source(as_bytes(std::string("hold th")), as_bytes(std::string("ese"))));
  CHECK(!g.ends_in_source(as_bytes(std::string("hold th")), as_bytes(std::string("ose"))));
}

TEST_CASE("the anti-copy rule is never broken on real text, for several windows and seeds") {
  const Bytes context = fixture(12000, 30000);
  const std::string source = text_of(context);
  for (std::size_t window : {std::size_t{8}, std::size_t{12}, std::size_t{16}}) {
    for (std::uint64_t seed : {1, 2}) {
      CAPTURE(window);
      CAPTURE(seed);
      SpanOptions o;
      o.copy_window = window;
      o.phrase_pieces = 2;
      const std::string sample = text_of(sample_spans(context, seed, 2, 400, o));
      REQUIRE(sample.size() == 400);
      // Nor with the context's tail in front: windows that run from the context into the sample.
      const std::string lead = source.substr(source.size() - (window - 1));
      CHECK(longest_copy(lead + sample, source) < window);
      // The sample repeats no window of itself either.
      std::set<std::string> seen;
      for (std::size_t i = 0; i + window <= sample.size(); ++i) CHECK(seen.insert(sample.substr(i, window)).second);
    }
  }
}

TEST_CASE("span sampling: same seed same text, whatever the thread count and the fast path") {
  const Bytes context = fixture(8000, 20000);
  const Bytes a = sample_spans(context, 7, 1, 120);
  CHECK(a.size() == 120);
  CHECK(a == sample_spans(context, 7, 2, 120));
  CHECK(a != sample_spans(context, 8, 2, 120));
  // Recompressing from scratch prices every piece the same, so it picks the same pieces.
  auto slow = test::span_test_model("gzip:9", 2, false);
  SamplerParams p;
  p.seed = 7;
  GenerationOptions g;
  g.length = 120;
  SamplerChain chain = make_generation_chain(p, g);
  CHECK(generate_after(slow, chain, context, g) == a);
  // A short memory conditions afresh on the context and the last bytes: still deterministic.
  SpanOptions o;
  o.memory = 4;
  CHECK(sample_spans(context, 7, 1, 80, o) == sample_spans(context, 7, 2, 80, o));
}

TEST_CASE("span sampling on a recompressing family and a model without span costs") {
  const Bytes context = fixture(3000, 5000);
  const Bytes z = sample_spans(context, 3, 2, 30, {}, "zstd:19");
  CHECK(z.size() == 30);
  // A transformer prices one byte at a time: generate_after falls back to the byte method, whose
  // bytes are generate()'s after the same context.
  const std::string spec = "transformer:" + std::string(ZGEN_TEST_DATA) + "/../../models/patches-2x64.safetensors";
  auto model = make_predictor(spec, PredictorOptions{});
  REQUIRE(model->as_continuation_cost() == nullptr);
  SamplerParams p;
  p.seed = 3;
  GenerationOptions g;
  g.length = 20;
  SamplerChain chain = make_generation_chain(p, g);
  const Bytes spans_asked = generate_after(*model, chain, context, g);
  CHECK(spans_asked.size() == 20);
  model->reset(context);
  SamplerChain again = make_generation_chain(p, g);
  CHECK(generate(*model, again, g) == spans_asked);
}

TEST_CASE("zgen sample: spans by default, --method bytes keeps the paper's method, bad flags are one-line errors") {
  const std::string ctx = std::string(ZGEN_TEST_DATA) + "/sotu-valid-30k.txt";
  const auto spans = test::run_zgen("sample --context " + ctx + " --prompt 'The ' --length 200 --seed 4 --threads 1");
  REQUIRE(spans.exit_code == 0);
  CHECK(spans.out.size() == 200);
  CHECK(spans.err.find("method spans") != std::string::npos);
  // Readable: made of the context's words, so nearly every word of it occurs in the context.
  const std::string source = text_of(test::read_fixture("sotu-valid-30k.txt"));
  std::size_t words = 0, known = 0, start = 0;
  const std::string& s = spans.out;
  while (start < s.size()) {
    const std::size_t end = s.find(' ', start);
    const std::string w = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (w.size() >= 3) {
      ++words;
      known += source.find(w) != std::string::npos;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  CHECK(words >= 20);
  CHECK(known * 10 >= words * 9);
  CHECK(longest_copy(s, source + "The ") < 16);
  const auto again = test::run_zgen("sample --context " + ctx + " --prompt 'The ' --length 200 --seed 4 --threads 2 -q");
  CHECK(again.out == spans.out);
  const auto bytes = test::run_zgen("sample --context " + ctx + " --length 50 --seed 4 --threads 1 --method bytes");
  CHECK(bytes.exit_code == 0);
  CHECK(bytes.out.size() == 50);
  CHECK(bytes.err.find("method bytes") != std::string::npos);
  test::expect_user_error("sample --method words", "method");
  test::expect_user_error("sample --copy-window -1", "copy-window");
  test::expect_user_error("sample --lengths long", "lengths");
  test::expect_user_error("sample --method spans --horizon 4", "horizon");
}
