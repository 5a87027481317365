#include "src/cli/image_options.hpp"

#include <algorithm>
#include <filesystem>

#include "src/cli/draw/bitmap_font.hpp"
#include "zgen/errors.hpp"

namespace zgen::cli {

void add_image_sampling_options(po::options_description& options, ImageSamplingOptions& o) {
  options.add_options()
      ("temperature,t", po::value(&o.temperature)->default_value(1.0), "p(x|c) ∝ 2^(−Δℓ/T); 0 = greedy")
      ("top-k", po::value(&o.top_k), "keep the K most likely pixel values (K ≥ 1)")
      ("top-p", po::value(&o.top_p)->default_value(1.0), "keep the smallest set with probability ≥ P, P in (0,1]")
      ("min-p", po::value(&o.min_p)->default_value(0.0), "drop values below P × the best one's probability")
      ("repeat-penalty", po::value(&o.repeat_penalty)->default_value(1.0), "penalise values among the last --repeat-last-n sampled (1 = off)")
      ("repeat-last-n", po::value(&o.repeat_last_n)->default_value(64), "window of the repeat penalty")
      ("samplers", po::value(&o.order)->default_value("penalties,top-k,top-p,min-p,temperature"), "sampler order")
      ("seed,s", po::value(&o.seed), "random seed (default: a fresh one, printed on stderr)")
      ("threads,j", po::value(&o.threads)->default_value(default_threads()), "threads that cost candidates (results do not depend on it)")
      ("alphabet", po::value(&o.alphabet)->default_value("context"),
       "candidate pixel values of compressor models: context (the values seen so far in the model's context: the "
       "region's known pixels and rows above; BENCHMARKS.md) or all 256")
      ("method", po::value(&o.method)->default_value("spans"),
       "how compressor models draw pixels: spans (runs of L pixels taken from what the model has seen, each priced by "
       "its exact code length; BENCHMARKS.md) or pixels (one pixel at a time, the paper's method); other models always "
       "draw pixels")
      ("span-pixels", po::value(&o.span_pixels)->default_value(32), "L, the longest run --method spans offers (1 to 64)")
      ("lookahead", po::value(&o.lookahead)->default_value(0),
       "--method spans prices each run together with up to N known pixels that follow it (0 to 4096; 0 = the run "
       "alone; BENCHMARKS.md)")
      ("block-rows", po::value(&o.block_rows)->default_value(4),
       "--method spans draws blocks of up to K runs one row apart (a row's whole unknown stretch each), taken from "
       "pixels already seen and priced with the known pixels between their runs (1 to 32; 1 = one run at a time; "
       "BENCHMARKS.md)")
      ("cmd-timeout", po::value(&o.cmd_timeout)->default_value(30.0), "seconds a cmd: compressor may run on one input")
      ("scale", po::value(&o.scale), "upscale each tile by this factor in the PNG (default: about 256 pixels wide)");
}

SamplerParams image_sampler_params(const po::variables_map& vm, ImageSamplingOptions& o) {
  require_finite("temperature", o.temperature);
  if (o.temperature < 0) throw UserError("--temperature must be at least 0 (0 is greedy), got " + std::to_string(o.temperature));
  if (vm.count("top-k")) require_at_least("top-k", o.top_k, 1);
  require_at_least("repeat-last-n", o.repeat_last_n, 0);
  require_at_least("threads", o.threads, 1);
  require_finite("cmd-timeout", o.cmd_timeout);
  if (o.cmd_timeout <= 0) throw UserError("--cmd-timeout must be more than 0 seconds");
  if (vm.count("scale")) require_range("scale", static_cast<double>(o.scale), 1, 16, "[1, 16]");
  if (o.alphabet != "all" && o.alphabet != "context")
    throw UserError("--alphabet must be all or context for images, got '" + o.alphabet + "'");
  if (!vm.count("seed")) o.seed = fresh_seed();
  SamplerParams params;
  params.temperature = o.temperature;
  params.top_k = static_cast<int>(o.top_k);
  params.top_p = o.top_p;
  params.min_p = o.min_p;
  params.repeat_penalty = o.repeat_penalty;
  params.repeat_last_n = static_cast<int>(o.repeat_last_n);
  params.seed = o.seed;
  params.order = o.order;
  validate(params);
  return params;
}

PredictorOptions image_predictor_options(const ImageSamplingOptions& o) {
  PredictorOptions p;
  p.alphabet = o.alphabet;
  p.threads = static_cast<int>(o.threads);
  p.command_timeout = o.cmd_timeout;
  return p;
}

void require_output_folder(const std::string& option, const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
    throw UserError("--" + option + " " + path + ": folder '" + parent.string() + "' does not exist");
}

void require_folder(const std::string& option, const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw UserError("--" + option + " '" + dir + "' is not a folder");
}

PatchOptions image_patch_options(const ImageSamplingOptions& o) {
  PatchOptions p;
  p.method = parse_patch_method(o.method);
  require_range("span-pixels", static_cast<double>(o.span_pixels), 1, 64, "[1, 64]");
  p.span_pixels = static_cast<std::size_t>(o.span_pixels);
  require_range("lookahead", static_cast<double>(o.lookahead), 0, 4096, "[0, 4096]");
  p.lookahead = static_cast<std::size_t>(o.lookahead);
  require_range("block-rows", static_cast<double>(o.block_rows), 1, 32, "[1, 32]");
  p.block_rows = static_cast<std::size_t>(o.block_rows);
  return p;
}

GridOptions image_grid_options(const ImageSamplingOptions& o, int tile_width, const std::vector<std::string>& labels,
                               int columns) {
  GridOptions g;
  g.columns = columns;
  g.scale = o.scale > 0 ? static_cast<int>(o.scale) : std::clamp(256 / std::max(tile_width, 1), 1, 8);
  int widest = 0;
  for (const auto& label : labels) widest = std::max(widest, text_width(shorten_label(label), 2));
  g.text_scale = widest <= tile_width * g.scale ? 2 : 1;
  g.margin = 4 * g.text_scale;
  return g;
}

}  // namespace zgen::cli
