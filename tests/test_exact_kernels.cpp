// The coding path's canonical arithmetic (src/transformer/kernels/exact.hpp,
// src/common/exact_math.hpp): the portable, AVX2 and AVX-512 implementations give the same bits
// on odd shapes, whether they read floats or half floats (the half arithmetic), the results are
// the right numbers (against double), a batched prefill equals stepping byte by byte, and the KV
// cache agrees with the training forward up to rounding.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "src/common/exact_math.hpp"
#include "src/transformer/kernels/exact.hpp"
#include "src/transformer/kv_cache.hpp"
#include "src/transformer/layers.hpp"
#include "src/transformer/model.hpp"

using namespace zgen;
using namespace zgen::transformer;

namespace {

std::vector<float> normal(std::size_t n, std::uint64_t seed, float sd = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Runs f under each implementation this CPU has; returns their results (the portable one first).
template <typename F>
std::vector<std::vector<float>> under_each_isa(F&& f) {
  const exact::Isa before = exact::isa();
  std::vector<std::vector<float>> results;
  for (exact::Isa isa : {exact::Isa::portable, exact::Isa::avx2, exact::Isa::avx512}) {
    if (!exact::isa_supported(isa)) continue;
    exact::set_isa(isa);
    results.push_back(f());
  }
  exact::set_isa(before);
  return results;
}

void check_all_equal(const std::vector<std::vector<float>>& results) {
  REQUIRE(!results.empty());
  if (results.size() == 1) MESSAGE("this CPU has no AVX2 + FMA: the portable implementation alone");
  if (results.size() == 2) MESSAGE("this CPU has no AVX-512F: the portable and AVX2 implementations only");
  for (std::size_t i = 1; i < results.size(); ++i) CHECK(same_bits(results[0], results[i]));
}

}  // namespace

TEST_CASE("exp_canonical is expf within 2 ulp-ish (2.5e-7 relative) over the softmax's range") {
  double worst = 0;
  for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(exact::exp_canonical(x) - want) / want);
  }
  CHECK(worst < 2.5e-7);
  CHECK(exact::exp_canonical(0.0f) == 1.0f);
  CHECK(exact::exp_canonical(-1000.0f) < 1e-37f);  // clamped: stands in for 0
}

TEST_CASE("exact_log, exact_sin, exact_cos agree with libm to 1e-15") {
  double worst_log = 0, worst_trig = 0;
  for (double x = 1e-300; x < 1e300; x *= 1.7320508) worst_log = std::max(worst_log, std::abs(exact_log(x) - std::log(x)) / std::max(1.0, std::abs(std::log(x))));
  for (double x = 0.001; x < 3.0; x += 0.000731) worst_log = std::max(worst_log, std::abs(exact_log(x) - std::log(x)));
  for (double x = -2000.0; x < 2000.0; x += 0.0917) {
    worst_trig = std::max(worst_trig, std::abs(exact_sin(x) - std::sin(x)));
    worst_trig = std::max(worst_trig, std::abs(exact_cos(x) - std::cos(x)));
  }
  CHECK(worst_log < 1e-15);
  CHECK(worst_trig < 1e-15 * 2000);  // the reduction's error grows with |x|: ulp(x)
  CHECK(exact_log(1.0) == 0.0);
  CHECK(std::isinf(exact_log(0.0)));
  CHECK(std::isnan(exact_log(-1.0)));
}

TEST_CASE("linear: every implementation and every row count give the same bits, the right numbers") {
  // Shapes cover every row-count tail of the AVX2 (blocks of 6) and AVX-512 (blocks of 8) code,
  // panel counts past a group of 8 and 2, and a last panel cut short.
  for (auto [rows, depth, m] : {std::tuple{37, 19, 13}, std::tuple{64, 128, 7}, std::tuple{16, 1, 1}, std::tuple{5, 40, 6},
                                std::tuple{150, 33, 19}, std::tuple{384, 128, 1}, std::tuple{24, 9, 2},
                                std::tuple{200, 17, 4}, std::tuple{48, 5, 3}, std::tuple{130, 12, 8}}) {
    CAPTURE(rows);
    CAPTURE(depth);
    CAPTURE(m);
    const auto w = normal(static_cast<std::size_t>(rows) * depth, 1), b = normal(static_cast<std::size_t>(rows), 2);
    const auto x = normal(static_cast<std::size_t>(m) * depth, 3);
    const auto packed = exact::pack(w.data(), b.data(), rows, depth);
    const auto results = under_each_isa([&] {
      std::vector<float> out(static_cast<std::size_t>(m) * rows);
      exact::linear(out.data(), rows, x.data(), depth, packed, m);
      return out;
    });
    check_all_equal(results);
    // Row by row (the step's one-row products) gives the batch's bits.
    std::vector<float> rowwise(static_cast<std::size_t>(m) * rows);
    for (int i = 0; i < m; ++i) exact::linear(rowwise.data() + i * rows, rows, x.data() + i * depth, depth, packed, 1);
    CHECK(same_bits(rowwise, results[0]));
    double worst = 0;
    for (int i = 0; i < m; ++i)
      for (int o = 0; o < rows; ++o) {
        double want = b[o];
        for (int k = 0; k < depth; ++k) want += static_cast<double>(x[i * depth + k]) * w[o * depth + k];
        worst = std::max(worst, std::abs(want - results[0][i * rows + o]));
      }
    CHECK(worst < 1e-4);
  }
}

TEST_CASE("linear over half-float weights: every implementation the bits of the widened floats") {
  // After round_to_half, AVX2 and AVX-512 read PackedMatrix::halves (vcvtph2ps as they load),
  // the portable code the widened panels: the same shapes as above (every row-count tail, a last
  // panel cut short), each ISA against the portable result and against itself on the widened
  // floats alone (the halves dropped).
  for (auto [rows, depth, m] : {std::tuple{37, 19, 13}, std::tuple{64, 128, 7}, std::tuple{16, 1, 1}, std::tuple{5, 40, 6},
                                std::tuple{150, 33, 19}, std::tuple{384, 128, 1}, std::tuple{24, 9, 2},
                                std::tuple{200, 17, 4}, std::tuple{48, 5, 3}, std::tuple{130, 12, 8},
                                std::tuple{512, 128, 4}, std::tuple{128, 512, 2}}) {
    CAPTURE(rows);
    CAPTURE(depth);
    CAPTURE(m);
    const auto w = normal(static_cast<std::size_t>(rows) * depth, 31, 0.3f), b = normal(static_cast<std::size_t>(rows), 32);
    const auto x = normal(static_cast<std::size_t>(m) * depth, 33);
    auto halves = exact::pack(w.data(), b.data(), rows, depth);
    exact::round_to_half(halves);
    REQUIRE(halves.halves.size() == halves.panels.size());
    auto widened = halves;  // the same widened panels, no halves: every ISA reads the floats
    widened.halves.clear();
    const auto plain = exact::pack(w.data(), b.data(), rows, depth);
    CHECK(plain.panels != widened.panels);  // the rounding changed the weights
    const auto results = under_each_isa([&] {
      std::vector<float> from_halves(static_cast<std::size_t>(m) * rows), from_floats(from_halves.size());
      exact::linear(from_halves.data(), rows, x.data(), depth, halves, m);
      exact::linear(from_floats.data(), rows, x.data(), depth, widened, m);
      CHECK(same_bits(from_halves, from_floats));
      // Row by row (the step's one-row products) too.
      std::vector<float> rowwise(from_halves.size());
      for (int i = 0; i < m; ++i) exact::linear(rowwise.data() + i * rows, rows, x.data() + i * depth, depth, halves, 1);
      CHECK(same_bits(rowwise, from_halves));
      return from_halves;
    });
    check_all_equal(results);
  }
}

TEST_CASE("gelu and attention_row: every implementation gives the same bits, the right numbers") {
  const auto in = normal(1003, 4, 3.0f);
  const auto g = under_each_isa([&] {
    std::vector<float> out(in.size());
    exact::gelu(out.data(), in.data(), static_cast<std::ptrdiff_t>(in.size()));
    return out;
  });
  check_all_equal(g);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const double x = in[i], want = 0.5 * x * (1 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    CHECK(std::abs(g[0][i] - want) < 1e-6 * (1 + std::abs(want)));
  }
  // Heads of 32 (the shipped model's), 8, 40 (wider than four vectors), 12 (not whole vectors),
  // against 1, 7, 8 and 77 keys.
  for (auto [C, H] : {std::pair{128, 4}, std::pair{16, 2}, std::pair{80, 2}, std::pair{24, 2}}) {
    for (int n : {1, 7, 8, 77}) {
      CAPTURE(C);
      CAPTURE(n);
      const int hs = C / H, T = 80;
      const auto q = normal(static_cast<std::size_t>(C), 5, 2.0f);
      const auto keys = normal(static_cast<std::size_t>(H) * T * hs, 6), values = normal(keys.size(), 7);
      const auto results = under_each_isa([&] {
        std::vector<float> out(static_cast<std::size_t>(C)), scores(static_cast<std::size_t>(H) * T);
        exact::attention_row(out.data(), q.data(), keys.data(), values.data(), static_cast<std::ptrdiff_t>(T) * hs, n, C,
                             H, scores.data());
        return out;
      });
      check_all_equal(results);
      for (int h = 0; h < H; ++h) {
        std::vector<double> s(static_cast<std::size_t>(n));
        double top = -1e300, sum = 0;
        for (int j = 0; j < n; ++j) {
          s[j] = 0;
          for (int d = 0; d < hs; ++d) s[j] += static_cast<double>(q[h * hs + d]) * keys[(h * T + j) * hs + d];
          s[j] /= std::sqrt(static_cast<double>(hs));
          top = std::max(top, s[j]);
        }
        for (auto& v : s) sum += (v = std::exp(v - top));
        for (int d = 0; d < hs; ++d) {
          double want = 0;
          for (int j = 0; j < n; ++j) want += s[j] / sum * values[(h * T + j) * hs + d];
          CHECK(std::abs(results[0][h * hs + d] - want) < 1e-5);
        }
      }
    }
  }
}

TEST_CASE("attention: every implementation the same bits for every key count and head size") {
  // AVX-512 holds two keys a register and runs in blocks of 16 keys and 16 columns: every count
  // of keys up to three blocks and past, every head size in whole vectors up to 128 (and a few
  // it hands to the portable code), each equal bit for bit to the portable and AVX2 results.
  std::vector<int> counts;
  for (int n = 1; n <= 49; ++n) counts.push_back(n);
  for (int n : {63, 64, 65, 77, 200, 383, 512}) counts.push_back(n);
  const int T = 512;
  for (int hs : {8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 96, 104, 120, 128, 12, 136}) {
    const int H = 3, C = H * hs;  // two heads together, then one alone
    const auto keys = normal(static_cast<std::size_t>(H) * T * hs, 16), values = normal(keys.size(), 17);
    for (int which = 0; which < 3; ++which) {
      // A random query; one whose scores are all +0 (every key ties for the maximum); one whose
      // keys repeat, so that the maximum is reached by several keys in several lanes.
      auto q = normal(static_cast<std::size_t>(C), 18 + which, 2.0f);
      if (which == 1) q.assign(q.size(), 0.0f);
      std::vector<float> k = keys;
      if (which == 2)
        for (int j = 0; j < T; ++j)
          for (int h = 0; h < H; ++h)
            std::memcpy(k.data() + (static_cast<std::ptrdiff_t>(h) * T + j) * hs,
                        keys.data() + (static_cast<std::ptrdiff_t>(h) * T + j % 5) * hs, hs * sizeof(float));
      for (int n : counts) {
        CAPTURE(hs);
        CAPTURE(which);
        CAPTURE(n);
        const auto results = under_each_isa([&] {
          std::vector<float> out(static_cast<std::size_t>(C)), scores(static_cast<std::size_t>(H) * T);
          exact::attention_row(out.data(), q.data(), k.data(), values.data(), static_cast<std::ptrdiff_t>(T) * hs, n,
                               C, H, scores.data());
          return out;
        });
        for (std::size_t i = 1; i < results.size(); ++i) CHECK(same_bits(results[0], results[i]));
      }
    }
  }
}

TEST_CASE("attention_row_half: AVX2 and AVX-512 over half floats give the widened floats' bits") {
  // Keys and values stored as halves (the half arithmetic's cache): where reads_halves, the
  // step's attention reads them (AVX2: head by head, 8 columns a register; AVX-512: two heads at
  // a time, 16 columns a register) and must equal the portable attention_row on their widened
  // values bit for bit: every key count up to three of AVX-512's 16-key blocks and past, every
  // head size in whole vectors up to 128, an odd and an even number of heads.
  std::vector<int> counts;
  for (int n = 1; n <= 49; ++n) counts.push_back(n);
  for (int n : {63, 64, 65, 77, 200, 383, 512}) counts.push_back(n);
  const int T = 512;
  const exact::Isa before = exact::isa();
  int half_runs[3] = {};  // per ISA: the shapes it read as halves
  for (int hs : {8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 96, 104, 112, 120, 128, 12, 136}) {
    for (int H : {3, 4}) {
      const int C = H * hs;
      const std::size_t size = static_cast<std::size_t>(H) * T * hs;
      const auto k32 = normal(size, 40), v32 = normal(size, 41);
      std::vector<unsigned short> k16(size), v16(size);
      std::vector<float> keys(size), values(size);  // the halves widened
      for (std::size_t i = 0; i < size; ++i) {
        k16[i] = exact::to_half(k32[i]), v16[i] = exact::to_half(v32[i]);
        keys[i] = exact::from_half(k16[i]), values[i] = exact::from_half(v16[i]);
      }
      const auto q = normal(static_cast<std::size_t>(C), 42, 2.0f);
      std::vector<float> scores(exact::attention_rows_scratch(T, H));
      const std::ptrdiff_t stride = static_cast<std::ptrdiff_t>(T) * hs;
      for (exact::Isa isa : {exact::Isa::avx2, exact::Isa::avx512}) {
        if (!exact::isa_supported(isa)) continue;
        CAPTURE(hs);
        CAPTURE(H);
        CAPTURE(static_cast<int>(isa));
        exact::set_isa(isa);
        const bool reads = exact::reads_halves(C, H);
        if (isa == exact::Isa::avx2) CHECK(reads == (hs % 8 == 0 && hs <= 128));
        else CHECK(reads == (hs % 16 == 0 && hs <= 128 && H % 2 == 0));
        if (!reads) {
          std::vector<float> out(static_cast<std::size_t>(C));
          CHECK_THROWS_AS(exact::attention_row_half(out.data(), q.data(), k16.data(), v16.data(), stride, 1, C, H,
                                                    scores.data()),
                          std::logic_error);
          continue;
        }
        ++half_runs[static_cast<int>(isa)];
        for (int n : counts) {
          CAPTURE(n);
          std::vector<float> want(static_cast<std::size_t>(C)), got(want.size());
          exact::set_isa(exact::Isa::portable);
          exact::attention_row(want.data(), q.data(), keys.data(), values.data(), stride, n, C, H, scores.data());
          exact::set_isa(isa);
          exact::attention_row_half(got.data(), q.data(), k16.data(), v16.data(), stride, n, C, H, scores.data());
          CHECK(same_bits(want, got));
        }
      }
    }
  }
  exact::set_isa(before);
  if (exact::isa_supported(exact::Isa::avx2)) CHECK(half_runs[1] == 2 * 15);  // every hs in whole vectors, H = 3 and 4
  if (exact::isa_supported(exact::Isa::avx512)) CHECK(half_runs[2] == 8);     // hs = 16, 32, …, 128 with H = 4
  if (!exact::isa_supported(exact::Isa::avx2)) MESSAGE("this CPU has no AVX2 + FMA + F16C: no kernel reads halves");
}

TEST_CASE("attention_rows: consecutive rows together give each row's attention_row, bit for bit") {
  // AVX-512 takes up to four rows at a time (scores two queries at a time, the values' chains of
  // four rows together, then each row's further keys): every row count up to 9 (groups of four
  // and the rest), first rows' key counts across the 16-key blocks and the pairs of keys, head
  // sizes in one or two strips of 32 columns, masked or not, and wider ones (row by row).
  const int T = 300;
  for (int hs : {8, 16, 24, 32, 40, 56, 64, 12}) {
    const int H = 3, C = H * hs;
    const auto keys = normal(static_cast<std::size_t>(H) * T * hs, 26), values = normal(keys.size(), 27);
    const auto q = normal(static_cast<std::size_t>(9) * C, 28, 2.0f);
    for (int n0 : {1, 2, 3, 14, 15, 16, 17, 31, 32, 33, 100, 255}) {
      for (int R : {1, 2, 3, 4, 5, 9}) {
        CAPTURE(hs);
        CAPTURE(n0);
        CAPTURE(R);
        std::vector<float> scratch(exact::attention_rows_scratch(n0 + R, H));
        const auto results = under_each_isa([&] {
          std::vector<float> together(static_cast<std::size_t>(R) * C), alone(together.size());
          exact::attention_rows(together.data(), C, q.data(), C, keys.data(), values.data(),
                                static_cast<std::ptrdiff_t>(T) * hs, n0, R, C, H, scratch.data());
          for (int i = 0; i < R; ++i)
            exact::attention_row(alone.data() + i * C, q.data() + i * C, keys.data(), values.data(),
                                 static_cast<std::ptrdiff_t>(T) * hs, n0 + i, C, H, scratch.data());
          CHECK(same_bits(together, alone));
          return together;
        });
        for (std::size_t i = 1; i < results.size(); ++i) CHECK(same_bits(results[0], results[i]));
      }
    }
  }
}

// A small model: width 64, two heads of 32 (so the AVX-512 step reads halves in the half
// arithmetic).
TransformerConfig small_config() {
  TransformerConfig c;
  c.vocab = 256;
  c.dim = 64;
  c.heads = 2;
  c.layers = 2;
  c.seq = 40;
  return c;
}

// Initialises `model` from `seed`, moves every parameter (biases and gains included) off its
// initial value, and returns 37 random letters to feed it.
std::vector<std::uint8_t> perturb(Transformer<float>& model, std::uint64_t seed) {
  model.init_weights(seed);
  std::mt19937_64 rng(seed + 1);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  for (auto& p : model.parameters()) p += noise(rng);
  std::vector<std::uint8_t> bytes(37);
  for (auto& b : bytes) b = static_cast<std::uint8_t>('a' + rng() % 26);
  return bytes;
}

TEST_CASE("KV cache: a prefill equals stepping, on every implementation; both near the training forward") {
  Transformer<float> model(small_config());
  const std::vector<std::uint8_t> bytes = perturb(model, 9);
  const auto results = under_each_isa([&] {
    KVCache stepping(model), prefilling(model);
    std::vector<float> stepped(256), prefilled(256);
    for (std::uint8_t b : bytes) stepping.step(b, stepped.data());
    prefilling.prefill(ByteView(bytes.data(), bytes.size()), prefilled.data());
    CHECK(same_bits(stepped, prefilled));
    // After the prefill the cache goes on as after the steps.
    std::vector<float> next_a(256), next_b(256);
    stepping.step('x', next_a.data());
    prefilling.step('x', next_b.data());
    CHECK(same_bits(next_a, next_b));
    return stepped;
  });
  check_all_equal(results);
  model.forward(bytes.data(), nullptr, 1, static_cast<int>(bytes.size()));
  const float* full = model.logits() + (bytes.size() - 1) * 256;
  double worst = 0;
  for (int v = 0; v < 256; ++v) worst = std::max(worst, static_cast<double>(std::abs(full[v] - results[0][v])));
  CHECK(worst < 1e-4);
}

namespace {

// The half float nearest to x, ties to even, saturated to ±65504 (exact.hpp), computed another
// way: in double, with the ulp of x's binade (2^−24 below 2^−14) and nearbyint (ties to even).
float half_reference(float x) {
  if (std::isnan(x)) return 65504.0f;
  const double d = std::clamp(static_cast<double>(x), -65504.0, 65504.0);
  if (d == 0) return static_cast<float>(d);
  const int e = std::max(std::ilogb(d), -14);
  const double ulp = std::ldexp(1.0, e - 10);
  return static_cast<float>(std::copysign(std::nearbyint(d / ulp) * ulp, d));  // keeps −0
}

std::uint32_t bits_of(float x) {
  std::uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

}  // namespace

TEST_CASE("to_half rounds to nearest even, subnormals included, and saturates instead of overflowing") {
  const float denorm = std::numeric_limits<float>::denorm_min();
  const float cases[] = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.0f, 65520.0f, -65520.0f, 1e38f, -1e38f,
                         std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                         std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN(),
                         std::ldexp(1.0f, -24), std::ldexp(1.0f, -25), std::ldexp(3.0f, -25), std::ldexp(5.0f, -25),
                         std::ldexp(1.0f, -26), std::ldexp(1.0f, -14), std::ldexp(1023.0f, -24),
                         std::ldexp(2047.0f, -25),  // halfway between the largest subnormal and 2^−14
                         1.0f + std::ldexp(1.0f, -11), 1.0f + std::ldexp(3.0f, -11), 1.0f + std::ldexp(1.0f, -12),
                         2048.5f, 2049.0f, 2051.0f, 1e-10f, denorm, -denorm, 0.1f, -3.14159f};
  for (float x : cases) {
    CAPTURE(x);
    CHECK(bits_of(exact::from_half(exact::to_half(x))) == bits_of(half_reference(x)));
  }
  CHECK(exact::to_half(65520.0f) == 0x7BFF);  // saturated, not ∞ (0x7C00)
  CHECK(exact::to_half(std::numeric_limits<float>::quiet_NaN()) == 0x7BFF);
  CHECK(exact::to_half(-std::numeric_limits<float>::infinity()) == 0xFBFF);
  CHECK(exact::to_half(std::ldexp(1.0f, -25)) == 0x0000);  // a tie: to the even 0
  CHECK(exact::to_half(std::ldexp(3.0f, -25)) == 0x0002);  // a tie: to the even 2·2^−24
  CHECK(exact::to_half(std::ldexp(2047.0f, -25)) == 0x0400);  // rounds up into the normals
  // Every finite half widens to itself and back.
  for (std::uint32_t h = 0; h < 65536; ++h) {
    if (((h >> 10) & 31) == 31) continue;
    const auto half = static_cast<unsigned short>(h);
    REQUIRE(exact::to_half(exact::from_half(half)) == half);
  }
}

TEST_CASE("to_halves and from_halves: every implementation the scalar rounding's bits (300k values)") {
  // Random bit patterns (every binade, NaNs and infinities among them) and activations' sizes.
  std::mt19937_64 rng(24);
  std::vector<float> in(300'000);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::uint32_t b = static_cast<std::uint32_t>(rng());
    float x;
    std::memcpy(&x, &b, sizeof x);
    in[i] = i % 2 ? x : std::normal_distribution<float>(0.0f, i % 4 == 0 ? 1.0f : 1e-4f)(rng);
  }
  std::vector<unsigned short> scalar(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    scalar[i] = exact::to_half(in[i]);
    if (i % 7 == 0) REQUIRE(bits_of(exact::from_half(scalar[i])) == bits_of(half_reference(in[i])));
  }
  const exact::Isa before = exact::isa();
  for (exact::Isa isa : {exact::Isa::portable, exact::Isa::avx2, exact::Isa::avx512}) {
    if (!exact::isa_supported(isa)) continue;
    CAPTURE(static_cast<int>(isa));
    exact::set_isa(isa);
    std::vector<unsigned short> halves(in.size());
    exact::to_halves(halves.data(), in.data(), static_cast<std::ptrdiff_t>(in.size()) - 3);  // a tail too
    halves[in.size() - 3] = scalar[in.size() - 3], halves[in.size() - 2] = scalar[in.size() - 2];
    halves[in.size() - 1] = scalar[in.size() - 1];
    CHECK(halves == scalar);
    std::vector<float> wide(in.size()), wide_scalar(in.size());
    exact::from_halves(wide.data(), halves.data(), static_cast<std::ptrdiff_t>(in.size()));
    for (std::size_t i = 0; i < in.size(); ++i) wide_scalar[i] = exact::from_half(scalar[i]);
    CHECK(same_bits(wide, wide_scalar));
  }
  exact::set_isa(before);
}

TEST_CASE("KV cache, half arithmetic: the same bits on every implementation, a prefill equals stepping") {
  // Heads of 32 (the shipped model's: AVX2 and AVX-512 both read the halves in a step), and
  // three heads of 24 (AVX2 reads them, AVX-512 the widened floats).
  TransformerConfig odd = small_config();
  odd.dim = 72;
  odd.heads = 3;
  for (const TransformerConfig& config : {small_config(), odd}) {
    CAPTURE(config.dim);
    CAPTURE(config.heads);
    if (exact::isa_supported(exact::Isa::avx2)) {
      const exact::Isa before = exact::isa();
      exact::set_isa(exact::Isa::avx2);
      CHECK(exact::reads_halves(config.dim, config.heads));  // the path under test is taken
      exact::set_isa(before);
    }
    Transformer<float> model(config);
    const std::vector<std::uint8_t> bytes = perturb(model, 11);
    const auto results = under_each_isa([&] {
      KVCache stepping(model, 2, Arithmetic::half), prefilling(model, 1, Arithmetic::half);
      std::vector<float> stepped(2 * 256), prefilled(256);
      // Lane 1 steps beside lane 0 (two rows per step) from the fifth byte on.
      for (std::size_t t = 0; t < bytes.size(); ++t) {
        std::vector<KVCache::Row> rows{{0, bytes[t], 0}};
        if (t >= 4) rows.push_back({1, bytes[t - 4], 0});
        stepping.step(rows, stepped.data());
      }
      prefilling.prefill(ByteView(bytes.data(), bytes.size()), prefilled.data());
      stepped.resize(256);  // lane 0's
      CHECK(same_bits(stepped, prefilled));
      return stepped;
    });
    check_all_equal(results);
    // Another arithmetic: other bits, near fp32's.
    KVCache fp32(model);
    std::vector<float> logits(256);
    fp32.prefill(ByteView(bytes.data(), bytes.size()), logits.data());
    CHECK(!same_bits(logits, results[0]));
    double worst = 0;
    for (int v = 0; v < 256; ++v) worst = std::max(worst, static_cast<double>(std::abs(logits[v] - results[0][v])));
    CHECK(worst < 0.05);
  }
}
