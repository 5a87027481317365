// zgen score: bits per byte of a model's normalised distribution on data.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/cli/progress.hpp"
#include "src/cli/slow_model.hpp"
#include "src/eval/evaluation.hpp"

namespace zgen::cli {

int run_score(int argc, char** argv) {
  std::string model_spec, data_path;
  std::vector<std::string> contexts;
  long long max_bytes = 0, threads = 0, max_context = 0;
  po::options_description options("options");
  options.add_options()
      ("model,m", po::value(&model_spec)->required(), "model SPEC (see zgen sample --help)")
      ("context,c", po::value(&contexts)->composing(), "condition on this file first (repeatable)")
      ("data,d", po::value(&data_path)->required(), "the bytes to score ('-' for stdin)")
      ("max-bytes", po::value(&max_bytes)->default_value(2000), "score at most the first N bytes of the data, reading no more of it (0: all of it, held in memory: a compressor model's own code length needs it whole)")
      ("threads,j", po::value(&threads)->default_value(default_threads()), "threads that cost candidates")
      ("max-context", po::value(&max_context)->default_value(0), "bytes of context kept (0: the compressor's window, at most 64 KiB)")
      ("no-coder", "skip the arithmetic-coding pass (ideal vs actual coded size)")
      ("json", "print the result as JSON")
      ("quiet,q", "no progress on stderr");
  po::variables_map vm;
  if (!parse_or_help(argc, argv, options, vm,
                     "usage: zgen score --model SPEC [--context FILE]... --data FILE [--max-bytes N] [--json]\n"
                     "Bits per byte of the model on the data (each byte given the context and the data before it),\n"
                     "beside the compressor's own compressed size of the same bytes."))
    return 0;
  require_at_least("max-bytes", max_bytes, 0);
  use_threads(threads);
  require_at_least("max-context", max_context, 0);

  const Bytes context = read_inputs(contexts);
  const Bytes data = read_data(data_path, max_bytes);

  PredictorOptions popts;
  popts.threads = static_cast<int>(threads);
  popts.max_context = static_cast<std::size_t>(max_context);
  const bool quiet = vm.count("quiet") || vm.count("json");
  Progress progress("scored", data.size(), quiet);
  SlowModelNotice slow(model_spec, "scoring", data.size(), quiet);
  const auto on_byte = [&] {
    progress.advance(1);
    slow.advance(1);
  };
  const ScoreResult r = score_model(model_spec, context, data, popts, on_byte, vm.count("no-coder") == 0);
  if (!vm.count("json")) progress.finish();

  if (vm.count("json")) {
    std::cout << to_json(r).dump(2) << "\n";
    return 0;
  }
  std::printf("model            %s\n", r.model.c_str());
  std::printf("bytes scored     %zu (context %zu bytes)\n", r.bytes, context.size());
  std::printf("bits/byte        %.4f  (model's normalised distribution, log-loss)\n", r.bits_per_byte());
  if (r.own_bits_given_context) {
    // The SPEC's own ℓ(data | context): ℓ(context·data) − ℓ(context), or for a *-dict variant
    // the data compressed with the context as its dictionary.
    const bool dictionary = r.model.find("-dict:") != std::string::npos;
    std::printf("own bits/byte    %.4f  (%s: %s, %s)\n", *r.own_bits_given_context / static_cast<double>(r.bytes),
                r.model.c_str(), dictionary ? "ℓ(data | context as a dictionary)" : "ℓ(context·data) − ℓ(context)",
                r.own_bit_exact ? "bit-exact" : "whole bytes");
    std::printf("own rate alone   %.2f%%  (data compressed by itself)\n",
                100.0 * *r.own_bits_alone / (8.0 * static_cast<double>(r.bytes)));
  }
  if (r.coded_bits)
    std::printf("coded            %.0f bytes arithmetic-coded vs %.1f ideal (overhead %+.1f bytes)\n", *r.coded_bits / 8,
                *r.coded_ideal_bits / 8, (*r.coded_bits - *r.coded_ideal_bits) / 8);
  std::printf("speed            %.1f bytes scored/s (after %.2f s conditioning on the context)\n", r.bytes_per_second(),
              r.context_seconds);
  return 0;
}

}  // namespace zgen::cli
