// The sampler chain: each sampler on hand-checkable distributions, the seeded pick, the
// generator's reference values, parameter validation and chain order.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <vector>

#include "src/common/rng.hpp"
#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"
#include "zgen/sampler.hpp"
#include "zgen/sampling.hpp"

using namespace zgen;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Candidates with the given ids and probabilities, as log-probs (what a predictor gives).
CandidateSet from_probs(const std::vector<std::pair<int, double>>& probs) {
  CandidateSet set;
  for (auto [id, p] : probs) set.items.push_back({id, std::log(p), 0.0});
  return set;
}

std::vector<int> ids(const CandidateSet& set) {
  std::vector<int> out;
  for (const Candidate& c : set.items) out.push_back(c.id);
  std::sort(out.begin(), out.end());
  return out;
}

double prob_of(CandidateSet set, int id) {
  softmax(set);
  for (const Candidate& c : set.items)
    if (c.id == id) return c.p;
  return 0.0;
}

double entropy(CandidateSet set) {
  softmax(set);
  double h = 0.0;
  for (const Candidate& c : set.items)
    if (c.p > 0) h -= c.p * std::log(c.p);
  return h;
}

}  // namespace

TEST_CASE("rng: splitmix64 and xoshiro256** reference values") {
  std::uint64_t state = 0;
  CHECK(splitmix64(state) == 0xe220a8397b1dcdafULL);  // published splitmix64 value for seed 0

  // Our own regression values for seed 42 (computed once; a change here changes every
  // sample the tool has ever printed for a given seed).
  Rng rng(42);
  CHECK(rng.next() == 0x15780b2e0c2ec716ULL);
  CHECK(rng.next() == 0x6104d9866d113a7eULL);
  CHECK(rng.next() == 0xae17533239e499a1ULL);
  CHECK(rng.next() == 0xecb8ad4703b360a1ULL);
  CHECK(rng.uniform() == 0.9918039142821028);

  Rng a(7), b(7), c(8);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const double u = a.uniform();
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
    CHECK(u == b.uniform());
    differs |= (u != c.uniform());
  }
  CHECK(differs);
}

TEST_CASE("candidates: built from 256 log-probs, -inf bytes skipped") {
  std::array<double, 256> lp;
  lp.fill(-kInf);
  lp['a'] = std::log(0.75);
  lp['b'] = std::log(0.25);
  CandidateSet set = candidates_from_log_probs(lp);
  REQUIRE(set.items.size() == 2);
  CHECK(set.items[0].id == 'a');
  CHECK(set.items[1].id == 'b');
  softmax(set);
  CHECK(set.items[0].p == doctest::Approx(0.75).epsilon(1e-12));

  lp['c'] = std::nan("");
  CHECK_THROWS_AS(candidates_from_log_probs(lp), std::logic_error);
}

TEST_CASE("softmax: stable and total") {
  SUBCASE("far from zero") {
    CandidateSet set{{{1, -1000.0, 0}, {2, -1001.0, 0}}};
    softmax(set);
    CHECK(set.items[0].p == doctest::Approx(1.0 / (1.0 + std::exp(-1.0))));
    CHECK(set.items[0].p + set.items[1].p == doctest::Approx(1.0).epsilon(1e-15));
  }
  SUBCASE("large positive logits do not overflow") {
    CandidateSet set{{{1, 1000.0, 0}, {2, 1000.0, 0}}};
    softmax(set);
    CHECK(set.items[0].p == doctest::Approx(0.5));
  }
  SUBCASE("all -inf: uniform") {
    CandidateSet set{{{1, -kInf, 0}, {2, -kInf, 0}, {3, -kInf, 0}, {4, -kInf, 0}}};
    softmax(set);
    for (const Candidate& c : set.items) CHECK(c.p == 0.25);
  }
  SUBCASE("+inf: uniform over the infinite ones") {
    CandidateSet set{{{1, kInf, 0}, {2, 0.0, 0}, {3, kInf, 0}}};
    softmax(set);
    CHECK(set.items[0].p == 0.5);
    CHECK(set.items[1].p == 0.0);
    CHECK(set.items[2].p == 0.5);
  }
  SUBCASE("some -inf among finite") {
    CandidateSet set{{{1, -kInf, 0}, {2, -0.5, 0}}};
    softmax(set);
    CHECK(set.items[0].p == 0.0);
    CHECK(set.items[1].p == 1.0);
    CHECK_NOTHROW(check_candidates(set, "test", true, false));
  }
  SUBCASE("empty and NaN") {
    CandidateSet empty;
    CHECK_NOTHROW(softmax(empty));
    CandidateSet bad{{{1, std::nan(""), 0}}};
    CHECK_THROWS_AS(softmax(bad), std::logic_error);
  }
}

TEST_CASE("check_candidates catches broken invariants") {
  CandidateSet empty;
  CHECK_THROWS_AS(check_candidates(empty, "x", false, false), std::logic_error);
  CandidateSet set{{{1, -1.0, 0.5}, {2, -2.0, 0.4}}};
  CHECK_NOTHROW(check_candidates(set, "x", false, false));
  CHECK_THROWS_AS(check_candidates(set, "x", true, false), std::logic_error);  // sums to 0.9
  CHECK_THROWS_AS(check_candidates(set, "x", false, true), std::logic_error);  // nothing picked
  CandidateSet twice{{{1, -1.0, 0}, {1, -2.0, 0}}};
  CHECK_THROWS_AS(check_candidates(twice, "x", false, false), std::logic_error);
  CandidateSet unsorted{{{1, -2.0, 0}, {2, -1.0, 0}}, true};
  CHECK_THROWS_AS(check_candidates(unsorted, "x", false, false), std::logic_error);
}

TEST_CASE("top-k keeps exactly the k best, ties by smaller id") {
  CandidateSet set = from_probs({{10, 0.1}, {11, 0.4}, {12, 0.2}, {13, 0.3}});
  make_top_k(2)->apply(set);
  CHECK(ids(set) == std::vector<int>{11, 13});

  CandidateSet tie = from_probs({{9, 0.2}, {5, 0.2}, {7, 0.2}, {1, 0.4}});
  make_top_k(2)->apply(tie);
  CHECK(ids(tie) == std::vector<int>{1, 5});

  CandidateSet few = from_probs({{1, 0.5}, {2, 0.5}});
  make_top_k(5)->apply(few);
  CHECK(few.items.size() == 2);

  CHECK_THROWS_AS(make_top_k(0), std::invalid_argument);
}

TEST_CASE("top-p keeps the smallest set reaching p") {
  const auto run = [](double p) {
    CandidateSet set = from_probs({{1, 0.05}, {2, 0.5}, {3, 0.15}, {4, 0.3}});
    make_top_p(p)->apply(set);
    return ids(set);
  };
  CHECK(run(0.1) == std::vector<int>{2});
  CHECK(run(0.5) == std::vector<int>{2});  // exactly reached by the first
  CHECK(run(0.51) == std::vector<int>{2, 4});
  CHECK(run(0.8) == std::vector<int>{2, 4});  // 0.5 + 0.3 reaches 0.8 despite rounding
  CHECK(run(0.81) == std::vector<int>{2, 3, 4});
  CHECK(run(0.96) == std::vector<int>{1, 2, 3, 4});
  CHECK(run(1.0) == std::vector<int>{1, 2, 3, 4});
}

TEST_CASE("min-p drops what is below p times the best") {
  const auto run = [](double p) {
    CandidateSet set = from_probs({{1, 0.05}, {2, 0.5}, {3, 0.15}, {4, 0.3}});
    make_min_p(p)->apply(set);
    return ids(set);
  };
  CHECK(run(0.0) == std::vector<int>{1, 2, 3, 4});
  CHECK(run(0.2) == std::vector<int>{2, 3, 4});  // threshold 0.1
  CHECK(run(0.5) == std::vector<int>{2, 4});     // threshold 0.25
  CHECK(run(0.7) == std::vector<int>{2});        // threshold 0.35
  CHECK(run(1.0) == std::vector<int>{2});

  CandidateSet tie = from_probs({{1, 0.4}, {2, 0.4}, {3, 0.2}});
  make_min_p(1.0)->apply(tie);
  CHECK(ids(tie) == std::vector<int>{1, 2});
}

TEST_CASE("temperature sharpens, flattens, and 0 is greedy") {
  const CandidateSet base = from_probs({{1, 0.5}, {2, 0.25}, {3, 0.25}});

  CandidateSet sharp = base;
  make_temperature(0.5)->apply(sharp);
  // p ∝ p^(1/T): 0.25, 0.0625, 0.0625 → 2/3, 1/6, 1/6.
  CHECK(prob_of(sharp, 1) == doctest::Approx(2.0 / 3.0).epsilon(1e-12));
  CHECK(entropy(sharp) < entropy(base));

  CandidateSet flat = base;
  make_temperature(2.0)->apply(flat);
  CHECK(prob_of(flat, 1) / prob_of(flat, 2) == doctest::Approx(std::sqrt(2.0)).epsilon(1e-12));
  CHECK(entropy(flat) > entropy(base));

  CandidateSet same = base;
  make_temperature(1.0)->apply(same);
  CHECK(same.items[0].logit == base.items[0].logit);

  // Greedy with the best logit shared: the smallest id wins whatever the order.
  CandidateSet tie = from_probs({{9, 0.4}, {3, 0.4}, {1, 0.2}});
  make_temperature(0.0)->apply(tie);
  REQUIRE(tie.items.size() == 1);
  CHECK(tie.items[0].id == 3);

  // So small that dividing overflows: still greedy, not uniform.
  CandidateSet tiny = from_probs({{1, 0.3}, {2, 0.7}});
  make_temperature(1e-310)->apply(tiny);
  REQUIRE(tiny.items.size() == 1);
  CHECK(tiny.items[0].id == 2);

  CHECK_THROWS_AS(make_temperature(-1.0), std::invalid_argument);
}

TEST_CASE("repeat penalty lowers exactly the ids in the window") {
  const double R = 1.5;
  auto pen = make_repeat_penalty(R, 3);
  const CandidateSet base{{{'a', -1.0, 0}, {'b', -2.0, 0}, {'c', -3.0, 0}, {'d', 0.5, 0}, {'e', -0.5, 0}}};

  CandidateSet untouched = base;
  pen->apply(untouched);  // nothing accepted yet
  for (std::size_t i = 0; i < base.items.size(); ++i) CHECK(untouched.items[i].logit == base.items[i].logit);

  for (int b : {'a', 'd', 'a', 'b'}) pen->accept(b);  // window of 3: d, a, b
  CandidateSet set = base;
  pen->apply(set);
  CHECK(set.items[0].logit == -1.0 * R);  // a: seen twice, penalised once
  CHECK(set.items[1].logit == -2.0 * R);  // b
  CHECK(set.items[2].logit == -3.0);      // c: never seen
  CHECK(set.items[3].logit == 0.5 / R);   // d: a positive logit is divided
  CHECK(set.items[4].logit == -0.5);      // e
  CHECK_FALSE(set.sorted);

  pen->accept('c');  // d leaves the window
  CandidateSet slid = base;
  pen->apply(slid);
  CHECK(slid.items[2].logit == -3.0 * R);
  CHECK(slid.items[3].logit == 0.5);

  pen->reset();
  CandidateSet after_reset = base;
  pen->apply(after_reset);
  CHECK(after_reset.items[0].logit == -1.0);

  SUBCASE("multi-byte candidates are judged by their first byte") {
    const std::vector<std::string> strings = {"ab", "xy"};
    auto first = [&](int id) { return static_cast<unsigned char>(strings.at(id - 256)[0]); };
    auto with = make_repeat_penalty(2.0, 8, first);
    auto without = make_repeat_penalty(2.0, 8);
    with->accept('a');
    without->accept('a');
    with->accept(300);  // not a byte: ignored by the window
    CandidateSet s1{{{256, -1.0, 0}, {257, -1.0, 0}}};
    CandidateSet s2 = s1;
    with->apply(s1);
    without->apply(s2);
    CHECK(s1.items[0].logit == -2.0);
    CHECK(s1.items[1].logit == -1.0);
    CHECK(s2.items[0].logit == -1.0);
  }
  SUBCASE("penalty 1 and window 0 change nothing") {
    for (auto& s : {make_repeat_penalty(1.0, 8), make_repeat_penalty(3.0, 0)}) {
      s->accept('a');
      CandidateSet x = base;
      s->apply(x);
      CHECK(x.items[0].logit == -1.0);
    }
  }
}

TEST_CASE("pick: seeded, reproducible, faithful to the distribution") {
  const CandidateSet dist = from_probs({{0, 0.4}, {1, 0.3}, {2, 0.2}, {3, 0.07}, {4, 0.03}});
  const auto draw = [&](std::uint64_t seed, int n) {
    auto pick = make_pick(seed);
    std::vector<int> out;
    for (int i = 0; i < n; ++i) {
      CandidateSet set = dist;
      pick->apply(set);
      REQUIRE(set.selected >= 0);
      REQUIRE(set.selected < static_cast<int>(set.items.size()));
      out.push_back(set.items[static_cast<std::size_t>(set.selected)].id);
    }
    return out;
  };

  CHECK(draw(42, 200) == draw(42, 200));
  CHECK(draw(42, 200) != draw(43, 200));

  const int n = 20000;
  std::array<int, 5> counts{};
  for (int id : draw(1234, n)) ++counts[static_cast<std::size_t>(id)];
  const std::array<double, 5> p = {0.4, 0.3, 0.2, 0.07, 0.03};
  double chi2 = 0.0;
  for (std::size_t i = 0; i < 5; ++i) {
    const double expected = n * p[i];
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
    CHECK(std::abs(counts[i] - expected) < 5.0 * std::sqrt(expected * (1 - p[i])));
  }
  CHECK(chi2 < 25.0);  // 4 degrees of freedom: P(χ² > 18.5) = 0.001

  SUBCASE("reset restarts the stream") {
    auto pick = make_pick(9);
    std::vector<int> first, second;
    for (auto* out : {&first, &second}) {
      for (int i = 0; i < 50; ++i) {
        CandidateSet set = dist;
        pick->apply(set);
        out->push_back(set.items[static_cast<std::size_t>(set.selected)].id);
      }
      pick->reset();
    }
    CHECK(first == second);
  }
  SUBCASE("a probability that underflows to 0 is never chosen") {
    auto pick = make_pick(5);
    for (int i = 0; i < 2000; ++i) {
      CandidateSet set{{{1, 0.0, 0}, {2, -1e6, 0}}};
      pick->apply(set);
      CHECK(set.items[static_cast<std::size_t>(set.selected)].id == 1);
    }
  }
  SUBCASE("the choice does not depend on the order the candidates come in") {
    CandidateSet reversed = dist;
    std::reverse(reversed.items.begin(), reversed.items.end());
    auto a = make_pick(77), b = make_pick(77);
    for (int i = 0; i < 100; ++i) {
      CandidateSet x = dist, y = reversed;
      a->apply(x);
      b->apply(y);
      CHECK(x.items[static_cast<std::size_t>(x.selected)].id == y.items[static_cast<std::size_t>(y.selected)].id);
    }
  }
}

TEST_CASE("chain: validation names the bad parameter (the CLI rewords it as its flag: test_errors)") {
  const auto error_of = [](auto change) -> std::string {
    SamplerParams p;
    change(p);
    try {
      make_chain(p);
    } catch (const UserError& e) {
      return e.what();
    }
    return "";
  };
  const double nan = std::nan("");
  CHECK(error_of([](SamplerParams&) {}).empty());
  CHECK(error_of([](SamplerParams& p) { p.temperature = -0.1; }).find("temperature") == 0);
  CHECK(error_of([&](SamplerParams& p) { p.temperature = nan; }).find("temperature") == 0);
  CHECK(error_of([](SamplerParams& p) { p.temperature = kInf; }).find("temperature") == 0);
  CHECK(error_of([](SamplerParams& p) { p.top_k = -1; }).find("top_k") == 0);
  CHECK(error_of([](SamplerParams& p) { p.top_p = 0.0; }).find("top_p") == 0);
  CHECK(error_of([](SamplerParams& p) { p.top_p = 1.5; }).find("top_p") == 0);
  CHECK(error_of([&](SamplerParams& p) { p.top_p = nan; }).find("top_p") == 0);
  CHECK(error_of([](SamplerParams& p) { p.min_p = -0.1; }).find("min_p") == 0);
  CHECK(error_of([](SamplerParams& p) { p.min_p = 1.1; }).find("min_p") == 0);
  CHECK(error_of([&](SamplerParams& p) { p.min_p = nan; }).find("min_p") == 0);
  CHECK(error_of([](SamplerParams& p) { p.repeat_penalty = 0.0; }).find("repeat_penalty") == 0);
  CHECK(error_of([](SamplerParams& p) { p.repeat_penalty = -1.0; }).find("repeat_penalty") == 0);
  CHECK(error_of([&](SamplerParams& p) { p.repeat_penalty = nan; }).find("repeat_penalty") == 0);
  CHECK(error_of([](SamplerParams& p) { p.repeat_last_n = -1; }).find("repeat_last_n") == 0);
  CHECK(error_of([](SamplerParams& p) { p.order = "top-k,bogus"; }).find("unknown sampler 'bogus'") == 0);
  CHECK(error_of([](SamplerParams& p) { p.order = "top-k,,min-p"; }).find("empty name") != std::string::npos);
  CHECK(error_of([](SamplerParams& p) { p.order = "top-k,top_k"; }).find("twice") != std::string::npos);
  CHECK(error_of([](SamplerParams& p) { p.top_k = 5; p.order = "temperature"; }).find("top_k is set") == 0);
  CHECK(error_of([](SamplerParams& p) { p.order = ""; }).empty());
  CHECK(error_of([](SamplerParams& p) { p.order = " top_p , temperature "; }).empty());
  for (const std::string& msg : {error_of([](SamplerParams& p) { p.top_p = 2; }),
                                 error_of([](SamplerParams& p) { p.order = "x"; })})
    CHECK(msg.find('\n') == std::string::npos);
}

TEST_CASE("chain: built from params, runs in order, reproducible") {
  SamplerParams p;
  CHECK(make_chain(p).size() == 0);  // every default is "off"

  p.top_k = 40;
  p.top_p = 0.9;
  p.temperature = 0.8;
  p.repeat_penalty = 1.1;
  p.seed = 7;
  SamplerChain chain = make_chain(p);
  CHECK(chain.size() == 4);
  CHECK(chain.describe() ==
        "penalties(repeat 1.1, last 64) -> top-k(40) -> top-p(0.9) -> temperature(0.8) -> pick(seed 7)");

  std::array<double, 256> lp;
  lp.fill(-kInf);
  const std::string alphabet = "etaoin shrdlu";
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    lp[static_cast<unsigned char>(alphabet[i])] = std::log(1.0 / 13.0);
  const auto generate = [&](SamplerChain& c) {
    std::string out;
    for (int i = 0; i < 300; ++i) {
      const int b = c.sample(lp);
      CHECK(alphabet.find(static_cast<char>(b)) != std::string::npos);
      c.accept(b);
      out += static_cast<char>(b);
    }
    return out;
  };
  const std::string first = generate(chain);
  chain.reset();
  CHECK(generate(chain) == first);
  SamplerChain again = make_chain(p);
  CHECK(generate(again) == first);

  SUBCASE("empty set is a bug, not a silent choice") {
    CandidateSet empty;
    CHECK_THROWS_AS(chain.apply(empty), std::logic_error);
  }
}

TEST_CASE("chain: order matters (temperature before or after top-p)") {
  // 0.5, 0.3, 0.2 with top-p 0.8 keeps {A, B}; at T = 0.25 first the distribution becomes
  // ≈ 0.86, 0.11, 0.02 and top-p 0.8 keeps only A.
  const CandidateSet dist = from_probs({{'A', 0.5}, {'B', 0.3}, {'C', 0.2}});
  const auto count_b = [&](const std::string& order) {
    SamplerParams p;
    p.top_p = 0.8;
    p.temperature = 0.25;
    p.seed = 3;
    p.order = order;
    SamplerChain chain = make_chain(p);
    int b = 0, c = 0;
    for (int i = 0; i < 1000; ++i) {
      CandidateSet set = dist;
      const int id = chain.apply(set);
      CHECK(id == set.items[static_cast<std::size_t>(set.selected)].id);
      b += id == 'B';
      c += id == 'C';
    }
    CHECK(c == 0);
    return b;
  };
  CHECK(count_b("temperature,top-p") == 0);
  const int b_after = count_b("top-p,temperature");  // B has p = 0.3^4 / (0.5^4 + 0.3^4) ≈ 0.115
  CHECK(b_after > 60);
  CHECK(b_after < 180);
}
