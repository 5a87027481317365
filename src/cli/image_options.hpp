#pragma once
// What `zgen complete-image` and `zgen sample-patches` share: the sampler and model options
// (the same names and meanings as in `zgen sample`), the list of model SPECs, and how a grid
// of patches is drawn.
#include <cstdint>
#include <string>
#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/cli/draw/image_grid.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"
#include "zgen/models.hpp"
#include "zgen/sampling.hpp"

namespace zgen::cli {

struct ImageSamplingOptions {
  long long top_k = 0, repeat_last_n = 64, threads = 1, scale = 0;
  double temperature = 1, top_p = 1, min_p = 0, repeat_penalty = 1, cmd_timeout = 30;
  std::uint64_t seed = 0;
  std::string order, alphabet, method;
  long long span_pixels = 32, lookahead = 0, block_rows = 4;
};

// Adds --temperature, --top-k, --top-p, --min-p, --repeat-penalty, --repeat-last-n, --samplers,
// --seed, --threads, --alphabet, --method, --span-pixels, --lookahead, --block-rows, --cmd-timeout and --scale, all stored into `o`.
void add_image_sampling_options(po::options_description& options, ImageSamplingOptions& o);

// Checks the values (one-line UserError) and fills in a fresh seed when none was given.
// Returns the sampler parameters, validated, with params.seed the run's seed.
SamplerParams image_sampler_params(const po::variables_map& vm, ImageSamplingOptions& o);

PredictorOptions image_predictor_options(const ImageSamplingOptions& o);

// How pixels are drawn (--method, --span-pixels, --lookahead, --block-rows), checked (one-line UserError).
PatchOptions image_patch_options(const ImageSamplingOptions& o);

// Refuses, before any long sampling, an output whose folder does not exist (UserError naming it).
void require_output_folder(const std::string& option, const std::string& path);
// The same for a folder that must itself exist.
void require_folder(const std::string& option, const std::string& dir);

// Grid options for tiles `tile_width` pixels wide: --scale when given, else the factor that makes
// them about 256 pixels wide (1 to 8); labels at twice the font size when they all fit.
GridOptions image_grid_options(const ImageSamplingOptions& o, int tile_width, const std::vector<std::string>& labels,
                               int columns);

}  // namespace zgen::cli
