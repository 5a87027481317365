// The pixel span method (PatchMethod::kSpans): its runs, their exact code lengths against
// recompression (the runs alone and with the known pixels after them, --lookahead), determinism
// by seed and thread count, and the image commands' --method and --lookahead flags.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <numbers>
#include <tuple>
#include <utility>
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
// the `prior_rows` rows above it.
struct Case {
  explicit Case(int rows, int prior_rows = 4)
      : region(crop(read_gray_image(kCamera), {0, 16, 64, rows})),
        known(known_left_columns(64, rows, 32)),
        prior(crop(read_gray_image(kCamera), {0, 16 - prior_rows, 64, prior_rows}).pixels) {}
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

// complete_patch by spans with lookahead N, written out with recompression for every price:
// at each unknown pixel each run r is priced ℓ(seen·r·after) − ℓ(seen), `after` being the up to
// N known pixels right after the run, and drawn by a chain of the same seed.
Bytes complete_by_recompression(const std::string& spec, std::uint64_t seed, std::size_t span_pixels,
                                std::size_t lookahead, const Case& c) {
  const auto compressor = make_compressor(spec);
  PatchOptions o;
  o.span_pixels = span_pixels;
  o.block_rows = 1;
  SamplerParams p;
  p.seed = seed;
  SamplerChain chain = make_patch_chain(p, o);
  Bytes seen = c.prior, out = c.region.pixels;
  std::size_t i = 0;
  while (i < out.size()) {
    if (c.known[i]) {
      seen.push_back(out[i++]);
      continue;
    }
    std::size_t unknown = 0, after = 0;
    while (i + unknown < out.size() && !c.known[i + unknown]) ++unknown;
    const std::size_t length = std::min({span_pixels, unknown, seen.size()});
    while (after < lookahead && i + length + after < out.size() && c.known[i + length + after]) ++after;
    *o.spans = pixel_runs(seen, length, o.window);
    const double base = compressor->code_length_bits(seen);
    CandidateSet set;
    for (std::size_t k = 0; k < o.spans->size(); ++k) {
      Bytes joined = seen;
      joined.insert(joined.end(), (*o.spans)[k].begin(), (*o.spans)[k].end());
      joined.insert(joined.end(), out.begin() + static_cast<std::ptrdiff_t>(i + length),
                    out.begin() + static_cast<std::ptrdiff_t>(i + length + after));
      set.items.push_back({256 + static_cast<int>(k), -std::numbers::ln2 * (compressor->code_length_bits(joined) - base), 0.0});
    }
    for (std::uint8_t b : (*o.spans)[static_cast<std::size_t>(chain.apply(set) - 256)]) {
      chain.accept(b);
      out[i++] = b;
      seen.push_back(b);
    }
  }
  return out;
}

// complete_patch by spans with blocks of up to K rows (`--known left`, so each row's unknown half
// is L = 32 pixels and the rows are 64 apart), written out with recompression for every price:
// at each row's unknown half the candidates are pixel_blocks of as many rows as remain (at most
// K) and as what has been seen holds, each placed with the known halves between its runs and
// priced ℓ(seen·placed) − ℓ(seen).
Bytes complete_blocks_by_recompression(const std::string& spec, std::uint64_t seed, std::size_t block_rows,
                                       const Case& c) {
  const auto compressor = make_compressor(spec);
  PatchOptions o;
  o.block_rows = block_rows;
  SamplerParams p;
  p.seed = seed;
  SamplerChain chain = make_patch_chain(p, o);
  Bytes seen = c.prior, out = c.region.pixels;
  const std::size_t height = out.size() / 64;
  for (std::size_t y = 0; y < height;) {
    seen.insert(seen.end(), out.begin() + static_cast<std::ptrdiff_t>(64 * y),
                out.begin() + static_cast<std::ptrdiff_t>(64 * y + 32));
    std::size_t rows = std::min(block_rows, height - y);
    // The 2-D anti-copy rule: no block whose pixels above are those above the row's unknown half.
    const Bytes above(seen.end() - 64, seen.end() - 32);
    *o.spans = pixel_blocks(seen, 32, rows, 64, o.window, rows > 1 ? above : Bytes{});
    while (o.spans->empty()) {
      --rows;
      *o.spans = pixel_blocks(seen, 32, rows, 64, o.window, rows > 1 ? above : Bytes{});
    }
    const double base = compressor->code_length_bits(seen);
    CandidateSet set;
    for (std::size_t k = 0; k < o.spans->size(); ++k) {
      Bytes joined = seen;
      for (std::size_t r = 0; r < rows; ++r) {
        const auto run = (*o.spans)[k].begin() + static_cast<std::ptrdiff_t>(32 * r);
        joined.insert(joined.end(), run, run + 32);
        if (r + 1 < rows) {  // the next row's known half
          const auto half = out.begin() + static_cast<std::ptrdiff_t>(64 * (y + r + 1));
          joined.insert(joined.end(), half, half + 32);
        }
      }
      set.items.push_back({256 + static_cast<int>(k), -std::numbers::ln2 * (compressor->code_length_bits(joined) - base), 0.0});
    }
    const Bytes block = (*o.spans)[static_cast<std::size_t>(chain.apply(set) - 256)];
    for (std::size_t r = 0; r < rows; ++r) {
      if (r > 0)
        seen.insert(seen.end(), out.begin() + static_cast<std::ptrdiff_t>(64 * (y + r)),
                    out.begin() + static_cast<std::ptrdiff_t>(64 * (y + r) + 32));
      for (std::size_t k = 0; k < 32; ++k) {
        chain.accept(block[32 * r + k]);
        out[64 * (y + r) + 32 + k] = block[32 * r + k];
        seen.push_back(block[32 * r + k]);
      }
    }
    y += rows;
  }
  return out;
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

TEST_CASE("lookahead: each run priced with the known pixels after it, exactly as recompression prices run and pixels") {
  // Two rows after one row above (few runs to recompress: png's recompression is slow under the
  // sanitizers): the first row's unknown half is followed by the second's known half, the
  // second's by nothing (the region ends there).
  const Case c(2, 1);
  using Setting = std::tuple<std::string, std::size_t, std::size_t>;  // spec, L, N
  // A run that stops short of its row's unknown half (L = 16) is followed by an unknown pixel, the
  // row's last run by the next row's known half: 5 of its pixels, or all 32.
  for (const auto& [spec, span, lookahead] :
       {Setting{"gzip:9", 16, 5}, Setting{"gzip:9", 32, 32}, Setting{"png", 32, 5}, Setting{"png", 32, 32}}) {
    CAPTURE(spec);
    CAPTURE(span);
    CAPTURE(lookahead);
    PatchOptions o;
    o.span_pixels = span;
    o.lookahead = lookahead;
    o.block_rows = 1;  // one run at a time
    auto m = test::span_test_model(spec, 2);
    const Bytes fast = complete(m, 7, o, c);
    CHECK(fast == complete_by_recompression(spec, 7, span, lookahead, c));
    auto one = test::span_test_model(spec, 1);
    CHECK(complete(one, 7, o, c) == fast);
    // Known pixels stop at the next unknown one: a larger cap prices the same pixels.
    o.lookahead = 100;
    if (lookahead == 32) CHECK(complete(m, 7, o, c) == fast);
  }
  // Lookahead 0 is the method without it; the written-out loop agrees there too.
  auto m = test::span_test_model("gzip:9", 2);
  PatchOptions plain;
  plain.block_rows = 1;
  CHECK(complete(m, 7, plain, c) == complete_by_recompression("gzip:9", 7, 32, 0, c));
  // The pixels after a run change which runs are drawn: over a few seeds some completion differs.
  PatchOptions ahead = plain;
  ahead.lookahead = 32;
  int differ = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) differ += complete(m, seed, ahead, c) != complete(m, seed, plain, c);
  CHECK(differ > 0);
}

TEST_CASE("pixel blocks: runs one stride apart, distinct, most recent first, every byte seen") {
  const Bytes seen = {1, 2, 3, 4, 5, 6, 1, 2, 3, 4};
  CHECK(pixel_blocks(seen, 2, 2, 3, 100) ==
        std::vector<Bytes>{{6, 1, 3, 4}, {5, 6, 2, 3}, {4, 5, 1, 2}, {3, 4, 6, 1}, {2, 3, 5, 6}, {1, 2, 4, 5}});
  CHECK(pixel_blocks(seen, 2, 3, 3, 100) == std::vector<Bytes>{{3, 4, 6, 1, 3, 4}, {2, 3, 5, 6, 2, 3}, {1, 2, 4, 5, 1, 2}});
  CHECK(pixel_blocks(seen, 2, 3, 3, 8) == std::vector<Bytes>{{3, 4, 6, 1, 3, 4}});  // within the last 8 bytes
  CHECK(pixel_blocks(seen, 2, 1, 0, 100) == pixel_runs(seen, 2, 100));
  CHECK(pixel_blocks(seen, 4, 2, 7, 100).empty());  // 11 bytes do not fit in 10
  CHECK(pixel_blocks(seen, 2, 0, 3, 100).empty());
  CHECK_THROWS_AS(pixel_blocks(seen, 3, 2, 2, 100), std::invalid_argument);
  // The anti-copy rule: the blocks whose pixels above (3 before) are {1, 2} or {3, 4} are left out;
  // those with nothing seen above them stay.
  CHECK(pixel_blocks(seen, 2, 2, 3, 100, Bytes{1, 2}) ==
        std::vector<Bytes>{{6, 1, 3, 4}, {5, 6, 2, 3}, {3, 4, 6, 1}, {2, 3, 5, 6}, {1, 2, 4, 5}});
  CHECK(pixel_blocks(seen, 2, 2, 3, 100, Bytes{3, 4}) ==
        std::vector<Bytes>{{5, 6, 2, 3}, {4, 5, 1, 2}, {3, 4, 6, 1}, {2, 3, 5, 6}, {1, 2, 4, 5}});
  CHECK_THROWS_AS(pixel_blocks(seen, 2, 2, 3, 100, Bytes{1}), std::invalid_argument);
}

TEST_CASE("block rows: each block priced with the known pixels between its runs, exactly as recompression prices them") {
  // Five rows after one row above: blocks of 2 rows from row 0 on (96 bytes seen then, one
  // block), of 3 rows once more has been seen, the last block cut to the rows left.
  const Case c(5, 1);
  for (const std::string spec : {"gzip:9", "png"}) {
    for (const std::size_t rows : {2, 3}) {
      CAPTURE(spec);
      CAPTURE(rows);
      PatchOptions o;
      o.block_rows = rows;
      auto m = test::span_test_model(spec, 2);
      const Bytes fast = complete(m, 5, o, c);
      CHECK(fast == complete_blocks_by_recompression(spec, 5, rows, c));
      auto one = test::span_test_model(spec, 1);
      CHECK(complete(one, 5, o, c) == fast);
      for (std::size_t i = 0; i < fast.size(); ++i)
        if (c.known[i]) CHECK(fast[i] == c.region.pixels[i]);
    }
  }
  // One row is the run method; blocks change the completions over a few seeds.
  auto m = test::span_test_model("gzip:9", 2);
  PatchOptions runs, blocks;
  runs.block_rows = 1;
  blocks.block_rows = 3;
  int differ = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    CHECK(complete(m, seed, runs, c) == complete_by_recompression("gzip:9", seed, 32, 0, c));
    differ += complete(m, seed, blocks, c) != complete(m, seed, runs, c);
  }
  CHECK(differ > 0);
  PatchOptions bad;
  bad.block_rows = 0;
  SamplerParams p;
  SamplerChain chain = make_patch_chain(p, bad);
  CHECK_THROWS_AS(complete_patch(m, chain, c.prior, c.region.pixels, c.known, bad), std::invalid_argument);
}

TEST_CASE("lookahead with the top rows known: no known pixel follows an unknown one, so nothing changes") {
  const GrayImage image = read_gray_image(kCamera);
  const GrayImage region = crop(image, {0, 8, 64, 6});
  const KnownMask known = known_top_rows(64, 6, 3);
  auto m = test::span_test_model("gzip:9", 2);
  PatchOptions plain, ahead;
  ahead.lookahead = 32;
  SamplerParams p;
  p.seed = 3;
  SamplerChain a = make_patch_chain(p, plain), b = make_patch_chain(p, ahead);
  const Bytes without = complete_patch(m, a, {}, region.pixels, known, plain);
  CHECK(complete_patch(m, b, {}, region.pixels, known, ahead) == without);
  CHECK(std::equal(without.begin(), without.begin() + 3 * 64, region.pixels.begin()));
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
  for (const std::string flags : {"", " --method pixels", " --method spans --span-pixels 3", " --lookahead 32",
                                  " --lookahead 4 --known top", " --block-rows 4", " --block-rows 3 --known top"}) {
    CAPTURE(flags);
    const auto o = test::run_zgen(ci + "-a.png" + flags);
    CHECK(o.exit_code == 0);
    CHECK(o.err.empty());
  }
  CHECK(test::slurp(out + "-a.png").size() > 0);
  test::expect_user_error(ci + ".png --method bytes", "--method");
  test::expect_user_error(ci + ".png --span-pixels 0", "--span-pixels");
  test::expect_user_error(ci + ".png --span-pixels 65", "--span-pixels");
  test::expect_user_error(ci + ".png --lookahead 4097", "--lookahead");
  test::expect_user_error(ci + ".png --lookahead -1", "--lookahead");
  test::expect_user_error(ci + ".png --block-rows 0", "--block-rows");
  test::expect_user_error(ci + ".png --block-rows 33", "--block-rows");
  test::expect_user_error("sample-patches --n 1 -q --block-rows x -o " + out + ".png", "--block-rows");
  test::expect_user_error("sample-patches --n 1 -q --method words -o " + out + ".png", "--method");
  const auto s = test::run_zgen("sample-patches --n 1 -q --seed 1 --span-pixels 64 -c '" + kCamera + "' -o " + out + "-s.png");
  CHECK(s.exit_code == 0);
  std::remove((out + "-a.png").c_str());
  std::remove((out + "-s.png").c_str());
}
