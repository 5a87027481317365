// Finite-difference gradient checks for every transformer layer, in double precision, plus
// the attention kernel against a naive (T,T) reference and the decode path against the full one.
//
// Tolerance (all checks): |analytic − numeric| ≤ 1e-7 + 1e-6·|numeric|, with central differences
// of step 1e-6 on a double-precision loss Σ out·R (R fixed random). Truncation error is
// O(step²) ≈ 1e-12 and rounding O(1e-16·|loss|/step) ≈ 1e-9, far inside it; a wrong term in a
// backward pass shows up as an O(1) relative error.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "src/transformer/kernels/attention.hpp"
#include "src/transformer/kernels/gemm.hpp"
#include "src/transformer/kernels/isa.hpp"
#include "src/transformer/layers.hpp"

#include <omp.h>

using namespace zgen::transformer;

namespace {

constexpr double kStep = 1e-6, kAbsTol = 1e-7, kRelTol = 1e-6;

namespace kernels = zgen::transformer::kernels;

// Puts back the training kernels' instruction set in use when it was made (tests select each).
struct RestoreIsa {
  kernels::Isa isa = kernels::active_isa();
  ~RestoreIsa() { kernels::select_isa(isa); }
};

// Runs body() with the training kernels on each instruction set this CPU has (portable, AVX2,
// AVX-512: kernels/isa.hpp), the one in use restored afterwards; a set the CPU lacks is skipped
// with a message, so that the test passes, checking less, on an AVX2-only machine.
template <typename Body>
void for_each_isa(Body&& body) {
  RestoreIsa restore;
  for (const auto isa : {kernels::Isa::portable, kernels::Isa::avx2, kernels::Isa::avx512}) {
    const std::string name = kernels::isa_name(isa);
    if (!kernels::select_isa(isa)) {
      MESSAGE("this CPU lacks " << name << ": skipped");
      continue;
    }
    CAPTURE(name);
    body();
  }
}

std::vector<double> random_vector(std::size_t n, std::mt19937_64& rng, double scale = 1.0) {
  std::normal_distribution<double> d(0.0, scale);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Checks analytic[i] against the central difference of loss() in x[i], for every i.
void check_gradient(const char* what, std::vector<double>& x, const std::vector<double>& analytic,
                    const std::function<double()>& loss) {
  REQUIRE(x.size() == analytic.size());
  int bad = 0;
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + kStep;
    const double up = loss();
    x[i] = saved - kStep;
    const double down = loss();
    x[i] = saved;
    const double numeric = (up - down) / (2 * kStep);
    const double err = std::abs(analytic[i] - numeric);
    worst = std::max(worst, err / (kAbsTol + kRelTol * std::abs(numeric)));
    if (err > kAbsTol + kRelTol * std::abs(numeric) && bad++ < 5)
      MESSAGE(what << "[" << i << "]: analytic " << analytic[i] << " numeric " << numeric);
  }
  CAPTURE(what);
  CAPTURE(worst);  // error as a fraction of the tolerance; < 1 passes
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("layernorm: gradients of input, gain and bias") {
  std::mt19937_64 rng(1);
  const int N = 6, C = 16;
  auto x = random_vector(N * C, rng, 2.0), w = random_vector(C, rng), b = random_vector(C, rng);
  for (int i = 0; i < C; ++i) x[i] += 5.0;  // a row with a large mean
  const auto R = random_vector(N * C, rng);
  std::vector<double> out(N * C), mean(N), rstd(N);
  auto loss = [&] {
    layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C);
    return dot(out, R);
  };
  loss();
  std::vector<double> dx(N * C, 0.0), dw(C, 0.0), db(C, 0.0);
  layernorm_backward(dx.data(), dw.data(), db.data(), R.data(), x.data(), w.data(), mean.data(), rstd.data(), N, C);
  check_gradient("ln dinp", x, dx, loss);
  check_gradient("ln dweight", w, dw, loss);
  check_gradient("ln dbias", b, db, loss);

  // dinp accumulates: a second backward adds the same amount again.
  std::vector<double> dx2 = dx, dw2(C, 0.0), db2(C, 0.0);
  layernorm_backward(dx2.data(), dw2.data(), db2.data(), R.data(), x.data(), w.data(), mean.data(), rstd.data(), N, C);
  for (int i = 0; i < N * C; ++i) CHECK(dx2[i] == doctest::Approx(2 * dx[i]).epsilon(1e-12));
}

TEST_CASE("matmul: gradients of input, weight and bias") {
  std::mt19937_64 rng(2);
  const int N = 5, C = 7, OC = 6;
  auto x = random_vector(N * C, rng), w = random_vector(OC * C, rng), b = random_vector(OC, rng);
  const auto R = random_vector(N * OC, rng);
  std::vector<double> out(N * OC);
  auto loss = [&] {
    matmul_forward(out.data(), x.data(), w.data(), b.data(), N, C, OC);
    return dot(out, R);
  };
  loss();
  // The forward is inp·Wᵀ + b, element by element.
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < OC; ++o) {
      double s = b[o];
      for (int c = 0; c < C; ++c) s += x[n * C + c] * w[o * C + c];
      CHECK(out[n * OC + o] == doctest::Approx(s).epsilon(1e-12));
    }
  std::vector<double> dx(N * C, 0.0), dw(OC * C, 0.0), db(OC, 0.0);
  matmul_backward(dx.data(), dw.data(), db.data(), R.data(), x.data(), w.data(), N, C, OC);
  check_gradient("matmul dinp", x, dx, loss);
  check_gradient("matmul dweight", w, dw, loss);
  check_gradient("matmul dbias", b, db, loss);
}

TEST_CASE("gelu (tanh approximation): values and gradient") {
  std::mt19937_64 rng(3);
  const int N = 40;
  auto x = random_vector(N, rng, 2.5);
  const auto R = random_vector(N, rng);
  std::vector<double> out(N);
  auto loss = [&] {
    gelu_forward(out.data(), x.data(), N);
    return dot(out, R);
  };
  loss();
  for (int i = 0; i < N; ++i) {
    const double v = x[i];
    CHECK(out[i] == doctest::Approx(0.5 * v * (1 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))))
                        .epsilon(1e-12));
  }
  std::vector<double> dx(N);
  gelu_backward(dx.data(), x.data(), R.data(), N);
  check_gradient("gelu dinp", x, dx, loss);
}

TEST_CASE("embeddings: gradients of the token and position tables") {
  std::mt19937_64 rng(4);
  const int B = 2, T = 5, C = 4, V = 256;
  std::vector<std::uint8_t> tokens = {3, 7, 3, 255, 0, 7, 7, 1, 2, 3};  // repeats: rows add up
  auto wte = random_vector(V * C, rng), wpe = random_vector(T * C, rng);
  const auto R = random_vector(B * T * C, rng);
  std::vector<double> out(B * T * C);
  auto loss = [&] {
    encoder_forward(out.data(), tokens.data(), wte.data(), wpe.data(), B, T, C);
    return dot(out, R);
  };
  loss();
  std::vector<double> dwte(V * C, 0.0), dwpe(T * C, 0.0);
  encoder_backward(dwte.data(), dwpe.data(), R.data(), tokens.data(), B, T, C);
  check_gradient("encoder dwte", wte, dwte, loss);
  check_gradient("encoder dwpe", wpe, dwpe, loss);

  // A second table added on top (raster hints), rows repeated too.
  const std::vector<std::uint8_t> hints = {9, 9, 0, 255, 4, 4, 4, 9, 1, 0};
  auto wme = random_vector(V * C, rng);
  auto hinted_loss = [&] {
    encoder_forward(out.data(), tokens.data(), wte.data(), wpe.data(), B, T, C);
    embedding_add_forward(out.data(), hints.data(), wme.data(), B * T, C);
    return dot(out, R);
  };
  hinted_loss();
  std::vector<double> dwme(V * C, 0.0);
  embedding_add_backward(dwme.data(), R.data(), hints.data(), B * T, C);
  check_gradient("hint dwme", wme, dwme, hinted_loss);
}

TEST_CASE("softmax cross-entropy: mean loss and gradient of the logits") {
  std::mt19937_64 rng(5);
  const int N = 3, V = 256;
  auto logits = random_vector(N * V, rng, 3.0);
  const std::vector<std::uint8_t> targets = {0, 200, 17};
  std::vector<double> probs(N * V), losses(N);
  auto loss = [&] { return crossentropy_forward(probs.data(), losses.data(), logits.data(), targets.data(), N, V); };
  const double mean = loss();
  double ref = 0;
  for (int n = 0; n < N; ++n) {
    double m = -1e300, s = 0;
    for (int v = 0; v < V; ++v) m = std::max(m, logits[n * V + v]);
    for (int v = 0; v < V; ++v) s += std::exp(logits[n * V + v] - m);
    ref += m + std::log(s) - logits[n * V + targets[n]];
  }
  CHECK(mean == doctest::Approx(ref / N).epsilon(1e-12));
  // In place (probs over the logits, as the model does it): the same loss and probabilities.
  std::vector<double> in_place = logits;
  CHECK(crossentropy_forward(in_place.data(), losses.data(), in_place.data(), targets.data(), N, V) ==
        doctest::Approx(ref / N).epsilon(1e-12));
  for (int i = 0; i < N * V; ++i) REQUIRE(in_place[i] == doctest::Approx(probs[i]).epsilon(1e-12));
  std::vector<double> dlogits(N * V);
  crossentropy_backward(dlogits.data(), probs.data(), targets.data(), 1.0 / N, N, V);
  check_gradient("crossentropy dlogits", logits, dlogits, loss);
}

namespace {

// The textbook attention with an explicit (T,T) score matrix per (b,h): the reference.
void naive_attention(std::vector<double>& out, const std::vector<double>& qkv, int B, int T, int C, int H) {
  const int hs = C / H;
  out.assign(static_cast<std::size_t>(B) * T * C, 0.0);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < H; ++h)
      for (int i = 0; i < T; ++i) {
        std::vector<double> s(i + 1);
        double m = -1e300;
        for (int j = 0; j <= i; ++j) {
          double d = 0;
          for (int k = 0; k < hs; ++k)
            d += qkv[(b * T + i) * 3 * C + h * hs + k] * qkv[(b * T + j) * 3 * C + C + h * hs + k];
          s[j] = d / std::sqrt(double(hs));
          m = std::max(m, s[j]);
        }
        double z = 0;
        for (auto& v : s) z += (v = std::exp(v - m));
        for (int j = 0; j <= i; ++j)
          for (int k = 0; k < hs; ++k)
            out[(b * T + i) * C + h * hs + k] += s[j] / z * qkv[(b * T + j) * 3 * C + 2 * C + h * hs + k];
      }
}

}  // namespace

TEST_CASE("attention: matches the naive reference for every tile size, and its gradient checks") {
  std::mt19937_64 rng(6);
  const int B = 2, T = 40, C = 16, H = 2;
  auto qkv = random_vector(B * T * 3 * C, rng, 1.5);
  const auto R = random_vector(B * T * C, rng);
  std::vector<double> ref;
  naive_attention(ref, qkv, B, T, C, H);
  // Query tiles of 1 row up to all of them; the backward's key blocks of 16 (three blocks, the
  // last partial) and of all 40 keys.
  struct Tiles { int q_block, key_block; };
  for (const Tiles tiles : {Tiles{1, 16}, Tiles{3, 40}, Tiles{8, 16}, Tiles{64, 16}, Tiles{64, 256}}) {
    const auto [q_block, key_block] = tiles;
    CAPTURE(q_block);
    CAPTURE(key_block);
    std::vector<double> out(B * T * C), lse(B * H * T);
    attention_forward(out.data(), lse.data(), nullptr, qkv.data(), B, T, C, H, q_block);
    for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == doctest::Approx(ref[i]).epsilon(1e-12));
    auto loss = [&] {
      attention_forward(out.data(), lse.data(), nullptr, qkv.data(), B, T, C, H, q_block);
      return dot(out, R);
    };
    loss();
    std::vector<double> dqkv(B * T * 3 * C);
    attention_backward(dqkv.data(), R.data(), qkv.data(), out.data(), lse.data(), nullptr, B, T, C, H, q_block, key_block);
    check_gradient("attention dqkv", qkv, dqkv, loss);
  }
}

TEST_CASE("attention: one query against cached keys equals the full pass's last row") {
  std::mt19937_64 rng(7);
  const int T = 9, C = 12, H = 3;
  auto qkv = random_vector(T * 3 * C, rng);
  std::vector<double> out(T * C), lse(H * T);
  attention_forward(out.data(), lse.data(), nullptr, qkv.data(), 1, T, C, H, 4);
  for (int n = 1; n <= T; ++n) {
    std::vector<double> row(C);
    attention_decode(row.data(), qkv.data() + (n - 1) * 3 * C, qkv.data() + C, qkv.data() + 2 * C, 3 * C, C / H, n,
                     C, H);
    for (int k = 0; k < C; ++k) CHECK(row[k] == doctest::Approx(out[(n - 1) * C + k]).epsilon(1e-12));
  }
}

TEST_CASE("float and double decoding agree: one query against cached keys, on every instruction set") {
  // Float decodes through the AVX2 kernels where the CPU has them and the head size is a
  // multiple of 8 (rows in groups of 8, a partial group at the end; values in strips of up to
  // 32 columns, rows in pairs); double runs Eigen.
  for_each_isa([] {
  std::mt19937_64 rng(9);
  struct Shape { int n, C, H; };
  for (const Shape sh : {Shape{1, 32, 4}, Shape{7, 64, 2}, Shape{8, 16, 2}, Shape{9, 96, 2}, Shape{150, 128, 4},
                         Shape{33, 120, 3}, Shape{17, 80, 1}}) {
    const auto [n, C, H] = sh;
    CAPTURE(n);
    CAPTURE(C / H);
    const auto qkvd = random_vector(static_cast<std::size_t>(n) * 3 * C, rng);
    const std::vector<float> qkvf(qkvd.begin(), qkvd.end());
    std::vector<double> rowd(C);
    std::vector<float> rowf(C);
    const std::ptrdiff_t last = static_cast<std::ptrdiff_t>(n - 1) * 3 * C;
    attention_decode(rowd.data(), qkvd.data() + last, qkvd.data() + C, qkvd.data() + 2 * C, 3 * C, C / H, n, C, H);
    attention_decode(rowf.data(), qkvf.data() + last, qkvf.data() + C, qkvf.data() + 2 * C, 3 * C, C / H, n, C, H);
    for (int k = 0; k < C; ++k) REQUIRE(rowf[k] == doctest::Approx(rowd[k]).epsilon(1e-5).scale(1));
  }
  });
}

TEST_CASE("float and double attention agree, forward and backward, for every head size and instruction set") {
  // Float runs the AVX2 kernels (src/transformer/kernels/attention.hpp) where the CPU has them and the head
  // size is a multiple of 8, Eigen otherwise; double always runs Eigen. Shapes cover partial
  // 16-column blocks, partial 6-row tiles, more than one query tile, more than one of the
  // kernels' key blocks (128) and more than one of the backward pass's (kAttentionKeyBlock).
  for_each_isa([] {
  std::mt19937_64 rng(8);
  struct Shape { int B, T, C, H; };
  for (const Shape sh : {Shape{2, 70, 16, 4}, Shape{1, 1, 32, 4}, Shape{2, 7, 64, 8}, Shape{1, 131, 96, 4},
                         Shape{2, 70, 128, 4}, Shape{1, 150, 80, 2}, Shape{1, 33, 120, 3}, Shape{1, 300, 64, 2},
                         Shape{1, 530, 60, 3}}) {
    const auto [B, T, C, H] = sh;
    CAPTURE(T);
    CAPTURE(C / H);
    const auto qkvd = random_vector(static_cast<std::size_t>(B) * T * 3 * C, rng);
    const auto doutd = random_vector(static_cast<std::size_t>(B) * T * C, rng);
    std::vector<float> qkvf(qkvd.begin(), qkvd.end()), doutf(doutd.begin(), doutd.end());
    std::vector<double> outd(doutd.size()), lsed(static_cast<std::size_t>(B) * H * T), dqkvd(qkvd.size());
    std::vector<float> outf(doutd.size()), lsef(lsed.size()), dqkvf(qkvd.size());
    attention_forward(outd.data(), lsed.data(), nullptr, qkvd.data(), B, T, C, H);
    attention_forward(outf.data(), lsef.data(), nullptr, qkvf.data(), B, T, C, H);
    for (std::size_t i = 0; i < outd.size(); ++i) REQUIRE(outf[i] == doctest::Approx(outd[i]).epsilon(1e-5).scale(1));
    for (std::size_t i = 0; i < lsed.size(); ++i) REQUIRE(lsef[i] == doctest::Approx(lsed[i]).epsilon(1e-5).scale(1));
    attention_backward(dqkvd.data(), doutd.data(), qkvd.data(), outd.data(), lsed.data(), nullptr, B, T, C, H);
    for (const int key_block : {kAttentionKeyBlock, 48}) {  // 48: blocks that split the kernels' 128
      CAPTURE(key_block);
      attention_backward(dqkvf.data(), doutf.data(), qkvf.data(), outf.data(), lsef.data(), nullptr, B, T, C, H,
                         kAttentionQueryBlock, key_block);
      for (std::size_t i = 0; i < dqkvd.size(); ++i)
        REQUIRE(dqkvf[i] == doctest::Approx(dqkvd[i]).epsilon(1e-4).scale(1));
    }
    // Training's path: the forward keeps the probabilities in half precision (same output, same
    // bits), the backward reads them. Tolerance: each probability is rounded to 11 bits
    // (relative error up to 2⁻¹²), which moved a gradient by up to 2.6e-4 here (scores of size
    // 1 to 5 give probabilities near 1); 2e-3 is 8 times that, and a row or a block out of
    // place is O(1).
    if (attention_keeps_probs<float>(C / H)) {
      std::vector<std::uint16_t> probs(static_cast<std::size_t>(B) * H * attention_probs_per_head(T));
      std::vector<float> outk(outf.size()), lsek(lsef.size());
      for (const int q_block : {kAttentionQueryBlock, 5}) {
        CAPTURE(q_block);
        attention_forward(outk.data(), lsek.data(), probs.data(), qkvf.data(), B, T, C, H, q_block);
        std::vector<float> outq(outf.size()), lseq(lsef.size());  // the same tiles, not keeping
        attention_forward(outq.data(), lseq.data(), nullptr, qkvf.data(), B, T, C, H, q_block);
        REQUIRE(outk == outq);
        REQUIRE(lsek == lseq);
        for (const int key_block : {kAttentionKeyBlock, 48}) {
          CAPTURE(key_block);
          std::fill(dqkvf.begin(), dqkvf.end(), 0.0f);
          attention_backward(dqkvf.data(), doutf.data(), qkvf.data(), outk.data(), lsek.data(), probs.data(), B, T, C,
                             H, q_block, key_block);
          for (std::size_t i = 0; i < dqkvd.size(); ++i)
            REQUIRE(dqkvf[i] == doctest::Approx(dqkvd[i]).epsilon(2e-3).scale(1));
        }
      }
    }
  }
  });
}

TEST_CASE("float and double linear layers agree through the packed GEMM, on every kind of edge, on any thread count") {
  // Float products of 16 rows and more run the packed GEMM (src/transformer/kernels/gemm.hpp) where
  // the CPU has AVX2 (6×16 tiles) or AVX-512 (14×32 tiles, masked edges), fewer rows and double run
  // Eigen; each instruction set in turn. Shapes cover partial row tiles, partial column panels,
  // more than one depth block (256) and more than one column block (256), in the forward
  // product, in the input gradient and in the weight gradient (whose depth is N).
  // Tolerance: 1e-6 × the depth K of the sum, against float's rounding of K products of
  // unit-variance terms (about 6e-8 × K at worst); an index or a block out of place is O(1).
  for_each_isa([] {
  std::mt19937_64 rng(10);
  struct Shape { int N, C, OC; };
  for (const Shape sh : {Shape{5, 24, 40}, Shape{16, 8, 16}, Shape{43, 300, 270}, Shape{600, 131, 37},
                         Shape{97, 520, 129}}) {
    const auto [N, C, OC] = sh;
    CAPTURE(N);
    CAPTURE(C);
    CAPTURE(OC);
    const auto xd = random_vector(static_cast<std::size_t>(N) * C, rng);
    const auto wd = random_vector(static_cast<std::size_t>(OC) * C, rng);
    const auto bd = random_vector(static_cast<std::size_t>(OC), rng);
    const auto dyd = random_vector(static_cast<std::size_t>(N) * OC, rng);
    const auto gd = random_vector(static_cast<std::size_t>(OC) * C, rng);  // gradients accumulated before
    const std::vector<float> xf(xd.begin(), xd.end()), wf(wd.begin(), wd.end()), bf(bd.begin(), bd.end()),
        dyf(dyd.begin(), dyd.end());
    for (const bool with_bias : {true, false}) {
      std::vector<double> outd(static_cast<std::size_t>(N) * OC);
      std::vector<float> outf(outd.size());
      matmul_forward(outd.data(), xd.data(), wd.data(), with_bias ? bd.data() : nullptr, N, C, OC);
      matmul_forward(outf.data(), xf.data(), wf.data(), with_bias ? bf.data() : nullptr, N, C, OC);
      for (std::size_t i = 0; i < outd.size(); ++i) REQUIRE(outf[i] == doctest::Approx(outd[i]).epsilon(1e-6).scale(C));
    }
    std::vector<double> dxd(xd.size()), dwd(gd), dbd(OC, 0.5);
    std::vector<float> dxf(xf.size()), dwf(gd.begin(), gd.end()), dbf(OC, 0.5f);
    matmul_backward(dxd.data(), dwd.data(), dbd.data(), dyd.data(), xd.data(), wd.data(), N, C, OC);
    matmul_backward(dxf.data(), dwf.data(), dbf.data(), dyf.data(), xf.data(), wf.data(), N, C, OC);
    for (std::size_t i = 0; i < dxd.size(); ++i) REQUIRE(dxf[i] == doctest::Approx(dxd[i]).epsilon(1e-6).scale(OC));
    for (std::size_t i = 0; i < dwd.size(); ++i) REQUIRE(dwf[i] == doctest::Approx(dwd[i]).epsilon(1e-6).scale(N));
    for (int o = 0; o < OC; ++o) REQUIRE(dbf[o] == doctest::Approx(dbd[o]).epsilon(1e-6).scale(N));
  }
  // The split of rows across threads does not change a bit (600·131·270 multiply-adds: a team),
  // in the products nor in the bias gradient's sums (four pieces of rows). The weight gradient
  // splits its output across threads by rows where OC > C and by columns where OC <= C: both.
  for (const Shape sh : {Shape{600, 131, 270}, Shape{600, 270, 131}}) {
    const auto [N, C, OC] = sh;
    CAPTURE(C);
    CAPTURE(OC);
    const auto xd = random_vector(static_cast<std::size_t>(N) * C, rng);
    const auto wd = random_vector(static_cast<std::size_t>(OC) * C, rng);
    const auto dyd = random_vector(static_cast<std::size_t>(N) * OC, rng);
    const std::vector<float> x(xd.begin(), xd.end()), w(wd.begin(), wd.end()), dy(dyd.begin(), dyd.end());
    auto run = [&](int threads) {
      omp_set_num_threads(threads);
      std::vector<float> out(static_cast<std::size_t>(N) * OC), dx(x.size()), dw(w.size(), 0.0f), db(OC, 0.0f),
          db_alone(OC, 0.0f);
      matmul_forward(out.data(), x.data(), w.data(), static_cast<const float*>(nullptr), N, C, OC);
      matmul_backward(dx.data(), dw.data(), db.data(), dy.data(), x.data(), w.data(), N, C, OC);
      std::vector<float> dw_again(w.size(), 0.0f);  // the bias gradient without an input gradient
      matmul_backward(static_cast<float*>(nullptr), dw_again.data(), db_alone.data(), dy.data(), x.data(), w.data(), N,
                      C, OC);
      CHECK(dw_again == dw);
      for (int o = 0; o < OC; ++o) CHECK(db_alone[o] == doctest::Approx(db[o]).epsilon(1e-6).scale(N));
      for (const auto* part : {&dx, &dw, &db}) out.insert(out.end(), part->begin(), part->end());
      return out;
    };
    const int before = omp_get_max_threads();
    const auto one = run(1), two = run(2), three = run(3);
    omp_set_num_threads(before);
    CHECK(one == two);
    CHECK(one == three);
  }
  });
}

TEST_CASE("the kernels' softmax exponentials match std::exp, lane by lane and in the tail, and sum what they wrote") {
  for_each_isa([] {
  if (kernels::available()) {  // none on the portable instruction set
    // Arguments across float's exponent range after scale and shift (x·0.5 − 3), lengths that
    // leave 0..7 values for the padded tail; relative error within 4e-7 (Cephes' expf ≈ 2e-7).
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<float> u(-160.0f, 170.0f);
    for (const int n : {1, 7, 8, 9, 64, 1003}) {
      CAPTURE(n);
      std::vector<float> x(n);
      for (auto& v : x) v = u(rng);
      const std::vector<float> before = x;
      const float sum = kernels::exp_scaled_sum(x.data(), n, 0.5f, 3.0f);
      double total = 0;
      for (int i = 0; i < n; ++i) {
        const double want = std::exp(static_cast<double>(before[i]) * 0.5 - 3.0);
        REQUIRE(x[i] == doctest::Approx(want).epsilon(4e-7));
        total += x[i];
      }
      CHECK(sum == doctest::Approx(total).epsilon(1e-6));
    }
    // Clamped at the ends: exp(−87.3) stands in for 0 and nothing overflows to infinity.
    std::vector<float> ends = {-1e30f, -200.0f, 88.3f, 1e30f};
    kernels::exp_scaled_sum(ends.data(), 4, 1.0f, 0.0f);
    CHECK(ends[0] > 0.0f);
    CHECK(ends[0] < 1e-37f);
    CHECK(std::isfinite(ends[3]));
    CHECK(ends[3] == doctest::Approx(std::exp(static_cast<double>(88.3f))).epsilon(4e-7));
  }
  });
}

TEST_CASE("the AVX2 and AVX-512 GEMMs give the same bits, on every edge and operand layout") {
  // Both sum each element in one chain of fused multiply-adds over k in order, from zero, the
  // bias or C (kernels/gemm.hpp), so their results are equal bit for bit; a lane, a row or a
  // block out of place, or a masked edge that reads or writes past its corner, is not. Shapes:
  // partial tiles of both (6×16, 14×32), more than one depth block (256) and column block (256),
  // one row, one column; A and B each read in place or transposed; C guarded by a border of NaN
  // that no product may touch.
  if (!kernels::isa_supported(kernels::Isa::avx512)) {
    MESSAGE("this CPU lacks AVX-512: nothing to compare");
    return;
  }
  RestoreIsa restore;
  std::mt19937_64 rng(12);
  std::normal_distribution<float> d(0.0f, 1.0f);
  struct Shape { int m, n, k; };
  for (const Shape sh : {Shape{1, 1, 1}, Shape{13, 31, 7}, Shape{14, 32, 256}, Shape{29, 47, 300}, Shape{6, 290, 257},
                         Shape{100, 17, 513}, Shape{43, 33, 1}}) {
    const auto [m, n, k] = sh;
    CAPTURE(m);
    CAPTURE(n);
    CAPTURE(k);
    std::vector<float> A(static_cast<std::size_t>(m) * k), B(static_cast<std::size_t>(k) * n), bias(n), C0;
    for (auto* v : {&A, &B, &bias})
      for (float& x : *v) x = d(rng);
    const int ldc = n + 3;  // three guard columns a row, and a guard row below
    C0.assign(static_cast<std::size_t>(m + 1) * ldc, std::nanf(""));
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) C0[i * ldc + j] = d(rng);
    for (const bool a_transposed : {false, true}) {
      for (const bool b_transposed : {false, true}) {
        for (const int start : {0, 1, 2}) {  // from zero, from the bias, accumulating into C
          CAPTURE(a_transposed);
          CAPTURE(b_transposed);
          CAPTURE(start);
          // A (m,k) stored as is, or as its transpose (k,m); B (k,n) likewise.
          std::vector<float> At(A.size()), Bt(B.size());
          for (int i = 0; i < m; ++i)
            for (int p = 0; p < k; ++p) At[p * m + i] = A[i * k + p];
          for (int p = 0; p < k; ++p)
            for (int j = 0; j < n; ++j) Bt[j * k + p] = B[p * n + j];
          const float* a = a_transposed ? At.data() : A.data();
          const float* b = b_transposed ? Bt.data() : B.data();
          const std::ptrdiff_t a_row = a_transposed ? 1 : k, a_col = a_transposed ? m : 1;
          const std::ptrdiff_t b_row = b_transposed ? 1 : n, b_col = b_transposed ? k : 1;
          auto product = [&](kernels::Isa isa) {
            REQUIRE(kernels::select_isa(isa));
            std::vector<float> C = C0;
            kernels::gemm(C.data(), ldc, a, a_row, a_col, b, b_row, b_col, start == 1 ? bias.data() : nullptr, m, n, k,
                          start == 2);
            return C;
          };
          const auto c2 = product(kernels::Isa::avx2), c512 = product(kernels::Isa::avx512);
          int differ = 0;
          for (std::size_t i = 0; i < c2.size(); ++i) {
            const bool guard = i / ldc == static_cast<std::size_t>(m) || i % ldc >= static_cast<std::size_t>(n);
            if (guard) {
              REQUIRE(std::isnan(c2[i]));
              REQUIRE(std::isnan(c512[i]));
            } else {
              differ += std::memcmp(&c2[i], &c512[i], sizeof(float)) != 0;
            }
          }
          CHECK(differ == 0);
          // And the value: against a double product, 1e-6 × k as in the layers' test.
          for (int i = 0; i < m; i += 7)
            for (int j = 0; j < n; j += 5) {
              double want = start == 1 ? bias[j] : start == 2 ? C0[i * ldc + j] : 0.0;
              for (int p = 0; p < k; ++p) want += static_cast<double>(A[i * k + p]) * B[p * n + j];
              REQUIRE(c512[i * ldc + j] == doctest::Approx(want).epsilon(1e-6).scale(k));
            }
        }
      }
    }
  }
}

TEST_CASE("LayerNorm and the embeddings: rows on a team (past the parallel threshold) give a lone row's bits") {
  // The KV cache's step runs these on one row in a plain loop, a prefill of a long window on a
  // team: the same body, so every row must match bit for bit.
  const int C = 128, N = 2100;  // N·C = 268,800 > 2¹⁸: the team's loop
  std::mt19937_64 rng(31);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(N) * C), w(C), b(C), table(256 * C);
  for (auto* v : {&x, &w, &b, &table})
    for (float& f : *v) f = d(rng);
  std::vector<std::uint8_t> ids(static_cast<std::size_t>(N));
  for (auto& id : ids) id = static_cast<std::uint8_t>(rng() % 256);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(2);
  std::vector<float> all(x.size()), mean(N), rstd(N), one(x.size()), m1(N), r1(N);
  layernorm_forward(all.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C);
  for (int n = 0; n < N; ++n)
    layernorm_forward(one.data() + n * C, &m1[n], &r1[n], x.data() + n * C, w.data(), b.data(), 1, C);
  CHECK(std::memcmp(all.data(), one.data(), all.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(rstd.data(), r1.data(), rstd.size() * sizeof(float)) == 0);
  std::vector<float> added = x, added_one = x;
  embedding_add_forward(added.data(), ids.data(), table.data(), N, C);
  for (int n = 0; n < N; ++n) embedding_add_forward(added_one.data() + n * C, &ids[n], table.data(), 1, C);
  CHECK(std::memcmp(added.data(), added_one.data(), added.size() * sizeof(float)) == 0);
  omp_set_num_threads(threads);
}
