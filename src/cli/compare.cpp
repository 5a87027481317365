// zgen compare: several models on the same data, one table, then one sample from each; with
// --judge, each sample's bits/byte under a judge model and its copy rate from the context.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/cli/progress.hpp"
#include "src/cli/slow_model.hpp"
#include "src/eval/copy_rate.hpp"
#include "src/eval/evaluation.hpp"
#include "zgen/errors.hpp"
#include "zgen/sampling.hpp"

namespace zgen::cli {
namespace {


// Printable rendering of a sample for the table: control bytes shown as escapes.
std::string printable(ByteView b) {
  std::string s;
  for (auto c : b) {
    if (c == '\n') s += "\\n";
    else if (c == '\t') s += "\\t";
    else if (c < 0x20 || c == 0x7f) { char buf[8]; std::snprintf(buf, sizeof buf, "\\x%02x", c); s += buf; }
    else s += static_cast<char>(c);
  }
  return s;
}

}  // namespace

int run_compare(int argc, char** argv) {
  std::string models_list, data_path, prompt, judge;
  std::vector<std::string> contexts;
  long long max_bytes = 0, length = 0, threads = 0;
  double temperature = 1;
  std::uint64_t seed = 0;
  po::options_description options("options");
  options.add_options()
      ("models", po::value(&models_list)->default_value("gzip:9,zstd:19,xz:9,bzip2:9,brotli:11"), "comma-separated model SPECs")
      ("context,c", po::value(&contexts)->composing(), "condition on this file (repeatable)")
      ("data,d", po::value(&data_path)->required(), "the bytes to score")
      ("max-bytes", po::value(&max_bytes)->default_value(500), "score at most the first N bytes of the data (0: all)")
      ("prompt,p", po::value(&prompt)->default_value(""), "prompt for the samples (after the context)")
      ("length,n", po::value(&length)->default_value(80), "bytes sampled from each model (0: no samples)")
      ("temperature,t", po::value(&temperature)->default_value(1.0), "sampling temperature")
      ("seed,s", po::value(&seed), "random seed for the samples (default: fresh, printed)")
      ("threads,j", po::value(&threads)->default_value(default_threads()), "threads that cost candidates")
      ("judge", po::value(&judge), "judge the samples: their bits/byte under this model SPEC given the prompt, and "
                                   "their copy rate (share of 16-byte windows found verbatim in context + prompt)")
      ("json", "print the results as JSON");
  po::variables_map vm;
  if (!parse_or_help(argc, argv, options, vm,
                     "usage: zgen compare --models gzip,zstd:19,xz,bzip2,brotli --context FILE --data FILE\n"
                     "                    [--prompt TEXT --length N --seed S] [--judge SPEC] [--json]\n"
                     "Scores several models on the same data (bits/byte, own-format rate, speed), then samples\n"
                     "from each with the same prompt and seed."))
    return 0;
  require_at_least("max-bytes", max_bytes, 0);
  require_at_least("length", length, 0);
  require_at_least("threads", threads, 1);
  require_finite("temperature", temperature);
  if (temperature < 0) throw UserError("--temperature must be at least 0 (0 is greedy)");
  const std::vector<std::string> specs = split_specs("models", models_list);
  const bool judging = vm.count("judge") > 0;
  if (judging && length == 0) throw UserError("--judge needs samples to judge (--length is 0)");
  if (judging) make_predictor(judge, PredictorOptions{});  // a bad judge SPEC fails before any work

  const Bytes context = read_inputs(contexts);
  const Bytes data = read_data(data_path, max_bytes);
  if (!vm.count("seed")) seed = fresh_seed();
  const bool json = vm.count("json") > 0;
  if (!json) std::fprintf(stderr, "zgen compare: %zu models, %zu bytes scored, seed %llu\n", specs.size(), data.size(),
                          static_cast<unsigned long long>(seed));

  PredictorOptions popts;
  popts.threads = static_cast<int>(threads);
  nlohmann::json results = nlohmann::json::array();
  std::vector<ScoreResult> scores;
  std::vector<Bytes> samples;
  struct Judged {
    double bits_per_byte, copy_rate;
  };
  std::vector<Judged> judged;
  constexpr std::size_t kCopyWindow = 16;
  for (const auto& spec : specs) {
    if (!json) std::fprintf(stderr, "  scoring %s ...\n", spec.c_str());
    Progress progress("  " + spec + ": scored", data.size(), json);  // per model, with its ETA
    SlowModelNotice slow(spec, "scoring", data.size(), json);
    scores.push_back(score_model(spec, context, data, popts, [&] {
      progress.advance(1);
      slow.advance(1);
    }));
    progress.finish();
    Bytes sample;
    if (length > 0) {
      PredictorOptions sopts = popts;
      sopts.alphabet = "context";
      auto model = make_predictor(spec, sopts);
      Bytes ctx = context;
      ctx.insert(ctx.end(), prompt.begin(), prompt.end());
      model->reset(ctx);
      SamplerParams params;
      params.temperature = temperature;
      params.seed = seed;
      SamplerChain chain = make_chain(params);
      GenerationOptions gopts;
      gopts.length = static_cast<std::size_t>(length);
      Progress sampled("  " + spec + ": sampled", gopts.length, json);
      SlowModelNotice slow_sampling(spec, "sampling", gopts.length, json);
      sample = generate(*model, chain, gopts, [&](ByteView piece) {
        sampled.advance(piece.size());
        slow_sampling.advance(piece.size());
      });
      sampled.finish();
    }
    samples.push_back(sample);
    nlohmann::json j = to_json(scores.back());
    j["sample"] = as_string(sample);
    if (judging) {
      // The judge reads the prompt, not the context: a copy of the context must not look natural
      // merely because the judge has just seen it.
      const ScoreResult verdict = score_model(judge, as_bytes(prompt), sample, popts);
      Bytes source = context;
      source.insert(source.end(), prompt.begin(), prompt.end());
      judged.push_back({verdict.bits_per_byte(), copy_rate(sample, source, kCopyWindow)});
      j["judge"] = {{"model", judge}, {"bits_per_byte", judged.back().bits_per_byte},
                    {"copy_rate", judged.back().copy_rate}, {"copy_window", kCopyWindow}};
    }
    results.push_back(j);
  }

  if (json) {
    std::cout << nlohmann::json{{"data_bytes", data.size()}, {"context_bytes", context.size()}, {"seed", seed},
                                {"temperature", temperature}, {"prompt", prompt}, {"models", results}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::printf("| %-14s | %9s | %14s | %13s | %11s |\n", "model", "bits/byte", "own bits/byte", "own rate alone", "scored B/s");
  std::printf("|----------------|-----------|----------------|---------------|-------------|\n");
  for (const auto& r : scores) {
    const double n = static_cast<double>(r.bytes);
    char own[32] = "-", alone[32] = "-";
    if (r.own_bits_given_context) {
      std::snprintf(own, sizeof own, "%.4f%s", *r.own_bits_given_context / n, r.own_bit_exact ? "" : " (B)");
      std::snprintf(alone, sizeof alone, "%.2f%%", 100.0 * *r.own_bits_alone / (8.0 * n));
    }
    std::printf("| %-14s | %9.4f | %14s | %13s | %11.1f |\n", r.model.c_str(), r.bits_per_byte(), own, alone,
                r.bytes_per_second());
  }
  std::printf("(B): whole-byte code lengths; the others are bit-exact.\n");
  if (length > 0) {
    std::printf("\nsamples (prompt \"%s\", seed %llu, temperature %g):\n", printable(as_bytes(prompt)).c_str(),
                static_cast<unsigned long long>(seed), temperature);
    for (std::size_t i = 0; i < scores.size(); ++i)
      std::printf("  %-14s %s\n", scores[i].model.c_str(), printable(samples[i]).c_str());
  }
  if (judging) {
    std::printf("\njudged by %s (bits/byte of each sample given the prompt; copy rate: share of its %zu-byte\n"
                "windows found verbatim in the context and prompt):\n",
                judge.c_str(), kCopyWindow);
    std::printf("| %-14s | %15s | %9s |\n", "generator", "judge bits/byte", "copy rate");
    std::printf("|----------------|-----------------|-----------|\n");
    for (std::size_t i = 0; i < scores.size(); ++i)
      std::printf("| %-14s | %15.3f | %8.1f%% |\n", scores[i].model.c_str(), judged[i].bits_per_byte,
                  100.0 * judged[i].copy_rate);
  }
  return 0;
}

}  // namespace zgen::cli
