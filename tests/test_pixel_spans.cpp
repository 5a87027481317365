// The pixel span method (PatchMethod::kSpans): its runs, their exact code lengths against
// recompression, determinism by seed and thread count, and the image commands' --method flags.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <set>
#include <string>

#include "samplers/pixel_spans.hpp"
#include "src/models/code_length_predictor.hpp"
#include "tests/cli_runner.hpp"
#include "tests/fixtures.hpp"
#include "tests/span_test_models.hpp"
#include "zgen/compressor.hpp"
#include "zgen/images.hpp"
#include "zgen/models.hpp"

using namespace zgen;

namespace {

const std::string kCamera = std::string(ZGEN_TEST_DATA) + "/camera-crop-64x48.png";  // 64x48


// A 64-wide region of the camera crop, `rows` high, whose rows' right halves are unknown, after
// the 4 rows above it.
struct Case {
  explicit Case(int rows)
      : region(crop(read_gray_image(kCamera), {0, 16, 64, rows})),
        known(known_left_columns(64, rows, 32)),
        prior(crop(read_gray_image(kCamera), {0, 12, 64, 4}).pixels) {}
  GrayImage region;
  KnownMask known;
  Bytes prior;
};

Bytes complete(CodeLengthPredictor& model, std::uint64_t seed, const PatchOptions& o, const Case& c) {
  SamplerParams p;
  p.seed = seed;
  SamplerChain chain = make_patch_chain(p, o);
  return complete_patch(model, chain, c.prior, c.region.pixels, c.known, o);
}

}  // namespace

TEST_CASE("pixel runs: distinct, most recent first, within the window") {
  const Bytes seen = {1, 2, 3, 1, 2, 3, 4, 9};
  CHECK(pixel_runs(seen, 2, 100) == std::vector<Bytes>{{4, 9}, {3, 4}, {2, 3}, {1, 2}, {3, 1}});
  CHECK(pixel_runs(seen, 3, 4) == std::vector<Bytes>{{3, 4, 9}, {2, 3, 4}});  // the last 4 bytes only
  CHECK(pixel_runs(seen, 1, 100) == std::vector<Bytes>{{9}, {4}, {3}, {2}, {1}});
  CHECK(pixel_runs(seen, 9, 100).empty());
  CHECK(pixel_runs(seen, 0, 100).empty());
  CHECK(pixel_runs(seen, 8, 100) == std::vector<Bytes>{seen});
}

TEST_CASE("every run's extra bits equal recompression: ℓ(c·run) − ℓ(c), gzip and png, hundreds of runs") {
  const Case c(16);
  // The model's context at a row's first unknown pixel: the rows above, then the region up to there.
  Bytes seen = c.prior;
  seen.insert(seen.end(), c.region.pixels.begin(), c.region.pixels.begin() + 5 * 64 + 32);
  for (const std::string spec : {"gzip:9", "png"}) {
    for (const std::size_t length : {1, 4, 32}) {
      CAPTURE(spec);
      CAPTURE(length);
      const std::vector<Bytes> runs = pixel_runs(seen, length, 4096);
      REQUIRE(runs.size() >= (length == 1 ? 8u : 150u));
      auto m = test::span_test_model(spec, 2);
      m.reset(seen);
      const std::vector<double> bits = m.extra_bits(runs);
      auto compressor = make_compressor(spec);
      const double base = compressor->code_length_bits(seen);
      for (std::size_t i = 0; i < runs.size(); i += length == 1 ? 1 : 3) {
        Bytes joined = seen;
        joined.insert(joined.end(), runs[i].begin(), runs[i].end());
        CHECK(bits[i] == compressor->code_length_bits(joined) - base);
      }
    }
  }
}

TEST_CASE("complete_patch by spans: known pixels kept, same seed same patch whatever the threads and the fast path") {
  const Case c(6);
  PatchOptions o;
  o.span_pixels = 8;
  auto one = test::span_test_model("gzip:9", 1);
  const Bytes a = complete(one, 3, o, c);
  for (std::size_t i = 0; i < a.size(); ++i)
    if (c.known[i]) CHECK(a[i] == c.region.pixels[i]);
  // Every sampled run of 8 pixels was a run of what the model had seen: each pixel value of the
  // result was in the rows above or the region before it.
  std::set<std::uint8_t> values(c.prior.begin(), c.prior.end());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!c.known[i]) CHECK(values.count(a[i]) == 1);
    values.insert(a[i]);
  }
  auto two = test::span_test_model("gzip:9", 2);
  CHECK(complete(two, 3, o, c) == a);
  auto slow = test::span_test_model("gzip:9", 2, false);  // recompressing from scratch prices every run the same
  CHECK(complete(slow, 3, o, c) == a);
  CHECK(complete(two, 4, o, c) != a);
  // png as well.
  auto png = test::span_test_model("png", 1), png2 = test::span_test_model("png", 2);
  CHECK(complete(png, 5, o, c) == complete(png2, 5, o, c));
}

TEST_CASE("complete_patch by pixels is the paper's method; models without span costs draw pixels") {
  const Case c(3);
  PatchOptions pixels;
  pixels.method = PatchMethod::kPixels;
  auto m = test::span_test_model("gzip:9", 2);
  SamplerParams p;
  p.seed = 9;
  SamplerChain chain = make_chain(p);
  const Bytes paper = complete_patch(m, chain, c.prior, c.region.pixels, c.known);
  CHECK(complete(m, 9, pixels, c) == paper);
  const std::string spec = "transformer:" + std::string(ZGEN_TEST_DATA) + "/../../models/patches-2x64.safetensors";
  auto tf = make_predictor(spec, PredictorOptions{});
  REQUIRE(tf->as_continuation_cost() == nullptr);
  SamplerChain a = make_patch_chain(p, PatchOptions{}), b = make_chain(p);
  CHECK(complete_patch(*tf, a, c.prior, c.region.pixels, c.known, PatchOptions{}) ==
        complete_patch(*tf, b, c.prior, c.region.pixels, c.known));
  PatchOptions bad;
  bad.span_pixels = 0;
  CHECK_THROWS_AS(complete_patch(m, chain, c.prior, c.region.pixels, c.known, bad), std::invalid_argument);
  CHECK(parse_patch_method("spans") == PatchMethod::kSpans);
  CHECK(patch_method_name(parse_patch_method("pixels")) == "pixels");
  CHECK_THROWS_AS(parse_patch_method("bytes"), UserError);
}

TEST_CASE("complete-image and sample-patches: --method and --span-pixels, bad values are one-line errors") {
  const std::string out = "/tmp/zgen-pixel-spans-" + std::to_string(::getpid());
  const std::string ci = "complete-image -m gzip:9 -i '" + kCamera + "' --region 0,8,32,8 --seed 2 -q -o " + out;
  for (const std::string flags : {"", " --method pixels", " --method spans --span-pixels 3"}) {
    CAPTURE(flags);
    const auto o = test::run_zgen(ci + "-a.png" + flags);
    CHECK(o.exit_code == 0);
    CHECK(o.err.empty());
  }
  CHECK(test::slurp(out + "-a.png").size() > 0);
  test::expect_user_error(ci + ".png --method bytes", "--method");
  test::expect_user_error(ci + ".png --span-pixels 0", "--span-pixels");
  test::expect_user_error(ci + ".png --span-pixels 65", "--span-pixels");
  test::expect_user_error("sample-patches --n 1 -q --method words -o " + out + ".png", "--method");
  const auto s = test::run_zgen("sample-patches --n 1 -q --seed 1 --span-pixels 64 -c '" + kCamera + "' -o " + out + "-s.png");
  CHECK(s.exit_code == 0);
  std::remove((out + "-a.png").c_str());
  std::remove((out + "-s.png").c_str());
}
