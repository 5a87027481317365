// zgen complete-image: the paper's Figure 3. A region of a photo (default: the central 64×32
// patch) keeps its known part; each model samples the rest pixel by pixel in raster order,
// conditioned on everything before the pixel. One PNG grid: original, masked input, one
// completion per model; one grid row per patch.
//
// The context a model sees before the region's first pixel (documented choice): nothing, or with
// --context-rows R the R image rows right above the region, cut to the region's columns so that
// the row stride stays the region's width. Inside the region the context is the region's own
// pixels so far: the known ones and those already sampled.
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/cli/draw/image_grid.hpp"
#include "src/cli/image_options.hpp"
#include "src/cli/judge_report.hpp"
#include "src/cli/progress.hpp"
#include "src/eval/judge.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"

namespace zgen::cli {
namespace {

// "X,Y,W,H" with whole numbers, W and H at least 1.
Region parse_region(const std::string& text) {
  Region r;
  char c1 = 0, c2 = 0, c3 = 0;
  std::istringstream in(text);
  if (!(in >> r.x >> c1 >> r.y >> c2 >> r.width >> c3 >> r.height) || c1 != ',' || c2 != ',' || c3 != ',' ||
      in.peek() != std::char_traits<char>::eof() || r.x < 0 || r.y < 0 || r.width < 1 || r.height < 1)
    throw UserError("--region must be X,Y,W,H (whole numbers, W and H at least 1), got '" + text + "'");
  return r;
}

// The known part of a width×height region from --known: left (each row's left half), top (the
// top half of the rows) or a fraction f in [0, 1) (each row's first round(f·width) pixels).
KnownMask parse_known(const std::string& text, int width, int height) {
  if (text == "left") return known_left_columns(width, height, width / 2);
  if (text == "top") return known_top_rows(width, height, height / 2);
  double f = -1;
  std::istringstream in(text);
  if (!(in >> f) || in.peek() != std::char_traits<char>::eof() || !(f >= 0 && f < 1))
    throw UserError("--known must be left, top or a fraction in [0, 1), got '" + text + "'");
  return known_left_columns(width, height, static_cast<int>(std::lround(f * width)));
}

// The regions to complete: --region, --patches N (N whole protocol patches spread evenly over the
// image's patch grid), or the 64×32 patch at the image's centre.
std::vector<Region> choose_regions(const GrayImage& image, const std::string& path, const po::variables_map& vm,
                                   const std::string& region_text, long long patches) {
  const std::string size = std::to_string(image.width) + "x" + std::to_string(image.height);
  if (vm.count("region")) {
    const Region r = parse_region(region_text);
    if (!region_inside(image, r))
      throw UserError("--region " + region_text + " does not lie inside '" + path + "' (" + size + ")");
    return {r};
  }
  if (image.width < kPatchWidth || image.height < kPatchHeight)
    throw UserError("'" + path + "' (" + size + ") is smaller than one 64x32 patch");
  if (!vm.count("patches"))
    return {{(image.width - kPatchWidth) / 2, (image.height - kPatchHeight) / 2, kPatchWidth, kPatchHeight}};
  const std::vector<Region> grid = patch_grid(image);
  if (static_cast<std::size_t>(patches) > grid.size())
    throw UserError("--patches " + std::to_string(patches) + ": '" + path + "' (" + size + ") has only " +
                    std::to_string(grid.size()) + " whole 64x32 patches");
  std::vector<Region> out;
  for (long long i = 0; i < patches; ++i)
    out.push_back(grid[static_cast<std::size_t>((2 * i + 1) * static_cast<long long>(grid.size()) / (2 * patches))]);
  return out;
}

// The R rows above the region (fewer at the image's top), the region's columns only.
Bytes rows_above(const GrayImage& image, const Region& r, long long rows) {
  const int n = static_cast<int>(std::min<long long>(rows, r.y));
  return n > 0 ? crop(image, {r.x, r.y - n, r.width, n}).pixels : Bytes{};
}

// The masked input as shown: unknown pixels as a mid-gray checkerboard of 2×2-pixel squares.
GrayImage masked_view(const GrayImage& region, const KnownMask& known) {
  GrayImage out = region;
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      const std::size_t i = static_cast<std::size_t>(y) * out.width + x;
      if (!known[i]) out.pixels[i] = ((x / 2 + y / 2) % 2) ? 112 : 144;
    }
  return out;
}

// Tile i of the grid row p is written as DIR/patch<p+1>-original.png, -input.png, -model<m+1>.png.
void write_tiles(const std::string& dir, const std::vector<GridTile>& tiles, std::size_t per_patch) {
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const std::size_t column = i % per_patch;
    const std::string what = column == 0 ? "original" : column == 1 ? "input" : "model" + std::to_string(column - 1);
    write_gray_png(dir + "/patch" + std::to_string(i / per_patch + 1) + "-" + what + ".png", tiles[i].image);
  }
}

// The judge's table: bits/pixel of the sampled pixels, mean (min-max) over the patches, for the
// real photo and each completion, and each completion's excess over the real photo's, patch by patch.
void print_judged_completions(const std::string& judge, const std::vector<std::string>& specs,
                              const std::vector<double>& real, const std::vector<std::vector<double>>& judged,
                              std::size_t sampled, long long context_rows) {
  std::printf("judged by %s: bits/pixel of the %zu sampled pixels of each region, each given the region's\n"
              "pixels before it%s; mean (min-max) over %zu patch(es):\n",
              judge.c_str(), sampled, context_rows > 0 ? " and the rows above it" : "", real.size());
  std::vector<std::vector<std::string>> lines = {{"completion", "judge bits/pixel", "minus the real photo's"},
                                                 {"real photo", format_spread(spread(real), false), ""}};
  for (std::size_t m = 0; m < specs.size(); ++m) {
    std::vector<double> excess;
    for (std::size_t p = 0; p < real.size(); ++p) excess.push_back(judged[m][p] - real[p]);
    lines.push_back({specs[m], format_spread(spread(judged[m]), false), format_spread(spread(excess), false)});
  }
  print_table(stdout, lines);
}

}  // namespace

int run_complete_image(int argc, char** argv) {
  std::string models_list, image_path, region_text, known_text, out_path, tiles_dir, judge_spec;
  long long patches = 1, context_rows = 0;
  ImageSamplingOptions so;

  po::options_description options("options");
  options.add_options()
      ("models,m", po::value(&models_list)->default_value("gzip:9"), "comma-separated model SPECs: gzip[:1-9], zstd[:1-22], xz[:0-9], bzip2[:1-9], brotli[:0-11], ppm[:N], ppm2[:N], ppm3[:N], transformer:PATH, mix:A+B, cmd:\"COMMAND\"")
      ("image,i", po::value(&image_path)->required(), "the photo (PNG or JPEG; colour becomes the channel mean)")
      ("region", po::value(&region_text), "complete this rectangle X,Y,W,H (default: the 64x32 patch at the centre)")
      ("patches", po::value(&patches), "complete N 64x32 patches spread evenly over the image's patch grid")
      ("known", po::value(&known_text)->default_value("left"), "the known part: left (each row's left half), top (the top half of the rows), or a fraction F in [0,1) of each row from the left")
      ("context-rows", po::value(&context_rows)->default_value(0), "also condition on up to R image rows above the region (its columns only)")
      ("out,o", po::value(&out_path)->required(), "the PNG grid to write")
      ("tiles-dir", po::value(&tiles_dir), "also write every tile, unscaled, to DIR/patchP-original.png, -input.png, -model1.png, ...")
      ("judge", po::value(&judge_spec), "judge the completions with this model SPEC (e.g. transformer:models/patches-2x64.safetensors): "
                                        "its bits/pixel of the sampled pixels beside the real photo's same pixels, printed as a table")
      ("quiet,q", "no progress on stderr");
  add_image_sampling_options(options, so);
  po::variables_map vm;
  if (!parse_or_help(argc, argv, options, vm,
                     "usage: zgen complete-image --models SPEC[,SPEC...] --image PHOTO [--region X,Y,W,H | --patches N]\n"
                     "                           [--known left|top|F] [--seed S] [sampler options] --out GRID.png\n"
                     "Keeps the known part of each region and samples the rest in raster order from each model\n"
                     "(--method: runs of pixels, or pixel by pixel); writes a grid: original, masked input, one completion per model. A model sees the\n"
                     "region's own pixels so far (known or sampled), after --context-rows rows above it; patch i is\n"
                     "sampled with seed S+i by every model."))
    return 0;

  const std::vector<std::string> specs = split_specs("models", models_list);
  if (vm.count("region") && vm.count("patches")) throw UserError("give --region or --patches, not both");
  if (vm.count("patches")) require_range("patches", static_cast<double>(patches), 1, 1024, "[1, 1024]");
  require_at_least("context-rows", context_rows, 0);
  require_output_folder("out", out_path);
  if (vm.count("tiles-dir")) require_folder("tiles-dir", tiles_dir);
  SamplerParams params = image_sampler_params(vm, so);
  const PatchOptions patch_options = image_patch_options(so);
  const GrayImage image = read_gray_image(image_path);
  const std::vector<Region> regions = choose_regions(image, image_path, vm, region_text, patches);
  const int width = regions.front().width, height = regions.front().height;
  const KnownMask known = parse_known(known_text, width, height);
  std::size_t unknown = 0;
  for (auto k : known) unknown += !k;
  const bool quiet = vm.count("quiet") > 0;

  std::unique_ptr<Predictor> judge;  // measures only: it never takes part in completing
  if (vm.count("judge")) {
    PredictorOptions jopts;  // alphabet "all": a judge gives every pixel value a probability
    jopts.threads = static_cast<int>(so.threads);
    judge = make_predictor(judge_spec, jopts);
  }
  std::vector<double> real_bits;                      // per patch: the real region's sampled pixels
  std::vector<std::vector<double>> judged_bits(specs.size());  // per model, per patch
  std::vector<std::unique_ptr<Predictor>> models;
  for (const auto& spec : specs) models.push_back(make_predictor(spec, image_predictor_options(so)));
  if (!quiet)
    std::fprintf(stderr, "zgen complete-image: %s (%dx%d), %zu region(s) of %dx%d, %zu pixels sampled each, seed %llu\n",
                 image_path.c_str(), image.width, image.height, regions.size(), width, height, unknown,
                 static_cast<unsigned long long>(params.seed));

  std::vector<GridTile> tiles;
  std::vector<std::string> labels;
  for (std::size_t p = 0; p < regions.size(); ++p) {
    const Region& r = regions[p];
    const GrayImage original = crop(image, r);
    const Bytes prior = rows_above(image, r, context_rows);
    tiles.push_back({original, "original x=" + std::to_string(r.x) + " y=" + std::to_string(r.y)});
    tiles.push_back({masked_view(original, known), "input"});
    if (judge) real_bits.push_back(judge_sampled_pixels(*judge, prior, original.pixels, known));
    for (std::size_t m = 0; m < models.size(); ++m) {
      // Patch p is sampled with seed S+p by every model, so the models are compared on one stream.
      SamplerParams patch_params = params;
      patch_params.seed = params.seed + p;
      SamplerChain chain = make_patch_chain(patch_params, patch_options);
      Progress progress("zgen complete-image: patch " + std::to_string(p + 1) + "/" + std::to_string(regions.size()) +
                            " " + specs[m] + " sampled",
                        unknown, quiet);
      GrayImage completion = original;
      completion.pixels = complete_patch(*models[m], chain, prior, original.pixels, known, patch_options,
                                         [&] { progress.advance(1); });
      progress.finish();
      if (judge) judged_bits[m].push_back(judge_sampled_pixels(*judge, prior, completion.pixels, known));
      tiles.push_back({std::move(completion), specs[m]});
    }
  }
  for (const auto& t : tiles) labels.push_back(t.label);
  if (!tiles_dir.empty()) write_tiles(tiles_dir, tiles, 2 + models.size());
  const GridOptions grid = image_grid_options(so, width, labels, static_cast<int>(2 + models.size()));
  write_gray_png(out_path, compose_grid(tiles, grid));
  if (!quiet) std::fprintf(stderr, "zgen complete-image: wrote %s\n", out_path.c_str());
  if (judge) print_judged_completions(judge_spec, specs, real_bits, judged_bits, unknown, context_rows);
  return 0;
}

}  // namespace zgen::cli
