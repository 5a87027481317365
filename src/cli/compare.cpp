// zgen compare: several models on the same data, one table, then samples from each (one per
// seed); with --judge, each model's samples judged column by column (src/eval/judge.hpp) beside
// passages of the data judged the same way (the real-text row).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/cli/judge_report.hpp"
#include "src/cli/method_options.hpp"
#include "src/cli/progress.hpp"
#include "src/cli/slow_model.hpp"
#include "src/eval/evaluation.hpp"
#include "src/eval/judge.hpp"
#include "zgen/errors.hpp"
#include "zgen/sampling.hpp"

namespace zgen::cli {

int run_compare(int argc, char** argv) {
  std::string models_list, data_path, prompt, judge;
  std::vector<std::string> contexts;
  long long max_bytes = 0, length = 0, threads = 0, seeds = 1;
  double temperature = 1;
  std::uint64_t seed = 0;
  MethodFlags method;
  po::options_description options("options");
  options.add_options()
      ("models", po::value(&models_list)->default_value("gzip:9,zstd-dict:19,xz-dict:9,bzip2:9,brotli-dict:9"),
       "comma-separated model SPECs (default: one of each family, by its fast definition; brotli at quality 9, "
       "as quality 10 and 11 run their optimal parse for every candidate, about 10x the time; zstd:19, xz:9 and "
       "brotli:11 recompress c·x for every candidate: hours)")
      ("context,c", po::value(&contexts)->composing(), "condition on this file (repeatable)")
      ("data,d", po::value(&data_path)->required(), "the bytes to score")
      ("max-bytes", po::value(&max_bytes)->default_value(500), "score at most the first N bytes of the data (0: all)")
      ("prompt,p", po::value(&prompt)->default_value(""), "prompt for the samples (after the context)")
      ("length,n", po::value(&length)->default_value(80), "bytes sampled from each model (0: no samples)")
      ("temperature,t", po::value(&temperature)->default_value(1.0), "sampling temperature")
      ("seed,s", po::value(&seed), "random seed for the samples (default: fresh, printed)")
      ("seeds", po::value(&seeds)->default_value(1), "samples per model, with seeds S, S+1, ... (the judge's columns: mean and spread)")
      ("threads,j", po::value(&threads)->default_value(default_threads()), "threads that cost candidates")
      ("judge", po::value(&judge), "judge the samples with this model SPEC: bits/byte given the prompt, order gain "
                                   "(bits/byte with the words shuffled, minus it), copy rate (share of 16-byte windows "
                                   "found verbatim in context + prompt), self-repetition (share already earlier in the "
                                   "sample); beside the same for --seeds passages of the whole --data file (zgen judge --help)")
      ("json", "print the results as JSON");
  add_method_options(options, method);
  po::variables_map vm;
  if (!parse_or_help(argc, argv, options, vm,
                     "usage: zgen compare [--models gzip:9,zstd-dict:19,...] --context FILE --data FILE\n"
                     "                    [--prompt TEXT --length N --seed S --seeds N] [--judge SPEC] [--json]\n"
                     "Scores several models on the same data (bits/byte, own-format rate, speed), then samples\n"
                     "from each with the same prompt and seed, by `zgen sample`'s method (--method spans by default;\n"
                     "models that cannot price spans, such as the transformer, sample bytes)."))
    return 0;
  require_at_least("max-bytes", max_bytes, 0);
  require_at_least("length", length, 0);
  require_at_least("seeds", seeds, 1);
  use_threads(threads);
  require_finite("temperature", temperature);
  if (temperature < 0) throw UserError("--temperature must be at least 0 (0 is greedy)");
  GenerationOptions gopts;  // the samples' method, as `zgen sample` makes them
  gopts.length = static_cast<std::size_t>(length);
  apply_method_options(method, vm, 1, gopts);
  const std::vector<std::string> specs = split_specs("models", models_list);
  const bool judging = vm.count("judge") > 0;
  if (judging && length == 0) throw UserError("--judge needs samples to judge (--length is 0)");
  PredictorOptions jopts;  // alphabet "all": a judge gives every byte a probability
  jopts.threads = static_cast<int>(threads);
  std::unique_ptr<Predictor> judge_model;
  if (judging) judge_model = make_predictor(judge, jopts);  // a bad judge SPEC fails before any work

  const Bytes context = read_inputs(contexts);
  const Bytes data = read_data(data_path, max_bytes);
  if (!vm.count("seed")) seed = fresh_seed();
  const bool json = vm.count("json") > 0;
  if (!json) std::fprintf(stderr, "zgen compare: %zu models, %zu bytes scored, seed %llu\n", specs.size(), data.size(),
                          static_cast<unsigned long long>(seed));

  PredictorOptions popts;
  popts.threads = static_cast<int>(threads);
  const std::size_t count = static_cast<std::size_t>(seeds), n = static_cast<std::size_t>(length);
  const Bytes source = [&] {
    Bytes b = context;
    b.insert(b.end(), prompt.begin(), prompt.end());
    return b;
  }();
  JudgeOptions jo;
  JudgeProgress progress("zgen compare", json);
  const double judged_per_text = static_cast<double>(n) * (1.0 + jo.shuffles);

  // The real-text row: passages of the whole data file (not only the --max-bytes scored), as many
  // as seeds, each judged given the prompt's length of text before it. Data too short for them:
  // the row is left out, with a note (the rest of compare does not need it).
  Bytes whole_data;
  std::vector<std::size_t> offsets;
  if (judging) {
    whole_data = read_input(data_path);
    try {
      offsets = passage_offsets(whole_data, n, count, prompt.size());
    } catch (const InvalidParameter& e) {
      std::fprintf(stderr, "zgen compare: no real-text row: %s\n", e.worded(flag_for).c_str());
    }
    progress.plan("judge", judged_per_text * static_cast<double>(offsets.size() + specs.size() * count));
  }
  for (const auto& spec : specs) progress.plan("sample " + spec, static_cast<double>(n * count));

  nlohmann::json results = nlohmann::json::array();
  std::vector<ScoreResult> scores;
  std::vector<JudgedRow> rows;  // one per model: its samples (judged when judging)
  JudgedRow reference;
  reference.label = "real text";
  reference.reference = true;
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const std::size_t at = offsets[i];
    const ByteView lead(whole_data.data() + at - prompt.size(), prompt.size());
    Bytes ref_source = context;
    ref_source.insert(ref_source.end(), lead.begin(), lead.end());
    JudgedText t;
    t.offset = at;
    t.text.assign(whole_data.begin() + static_cast<std::ptrdiff_t>(at), whole_data.begin() + static_cast<std::ptrdiff_t>(at + n));
    const auto started = std::chrono::steady_clock::now();
    t.verdict = judge_text(*judge_model, lead, t.text, ref_source, jo);
    progress.done("judge", judged_per_text, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                  "real text passage " + std::to_string(i + 1) + "/" + std::to_string(offsets.size()) + " judged");
    reference.texts.push_back(std::move(t));
  }
  constexpr std::size_t kCopyWindow = 16;
  for (const auto& spec : specs) {
    if (!json) std::fprintf(stderr, "  scoring %s ...\n", spec.c_str());
    Progress scored("  " + spec + ": scored", data.size(), json);  // per model, with its ETA
    SlowModelNotice slow(spec, "scoring", data.size(), json);
    scores.push_back(score_model(spec, context, data, popts, [&] {
      scored.advance(1);
      slow.advance(1);
    }));
    scored.finish();
    JudgedRow row;
    row.label = scores.back().model;
    if (length > 0) {
      PredictorOptions sopts = popts;
      sopts.alphabet = "context";
      auto model = make_predictor(spec, sopts);
      for (std::size_t k = 0; k < count; ++k) {
        JudgedText t;
        t.seed = seed + k;
        const std::string which = spec + " seed " + std::to_string(t.seed);
        auto started = std::chrono::steady_clock::now();
        SamplerParams params;
        params.temperature = temperature;
        params.seed = t.seed;
        SamplerChain chain = make_generation_chain(params, gopts);
        Progress sampled("  " + which + ": sampled", gopts.length, json);
        SlowModelNotice slow_sampling(spec, "sampling", gopts.length, json);
        t.text = generate_after(*model, chain, source, gopts, [&](ByteView piece) {
          sampled.advance(piece.size());
          slow_sampling.advance(piece.size());
        });
        sampled.finish();
        auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
        progress.done("sample " + spec, static_cast<double>(n), seconds(), which + " sampled");
        if (judging) {
          // The judge reads the prompt, not the context: a copy of the context must not look
          // natural merely because the judge has just seen it.
          started = std::chrono::steady_clock::now();
          t.verdict = judge_text(*judge_model, as_bytes(prompt), t.text, source, jo);
          progress.done("judge", judged_per_text, seconds(), which + " judged");
        }
        row.texts.push_back(std::move(t));
      }
    }
    nlohmann::json j = to_json(scores.back());
    j["sample"] = row.texts.empty() ? std::string() : as_string(row.texts.front().text);
    nlohmann::json all = nlohmann::json::array();
    for (const auto& t : row.texts) all.push_back(as_string(t.text));
    j["samples"] = all;
    if (judging) {
      const nlohmann::json columns = row_json(row, true);
      j["judge"] = {{"model", judge},
                    {"bits_per_byte", columns["bits_per_byte"]["mean"]},
                    {"copy_rate", columns["copy_rate"]["mean"]},
                    {"copy_window", kCopyWindow},
                    {"order_gain", columns["order_gain"]["mean"]},
                    {"shuffled_bits_per_byte", columns["shuffled_bits_per_byte"]["mean"]},
                    {"self_repetition", columns["self_repetition"]["mean"]},
                    {"columns", columns}};
    }
    results.push_back(j);
    rows.push_back(std::move(row));
  }

  if (json) {
    nlohmann::json out = {{"data_bytes", data.size()}, {"context_bytes", context.size()}, {"seed", seed},
                          {"seeds", count}, {"method", method.method}, {"temperature", temperature}, {"prompt", prompt}, {"models", results}};
    if (!reference.texts.empty()) {
      out["reference"] = row_json(reference, true);
      out["reference"]["lead"] = prompt.size();
    }
    std::cout << json_text(out);
    return 0;
  }
  std::printf("| %-14s | %9s | %14s | %13s | %11s |\n", "model", "bits/byte", "own bits/byte", "own rate alone", "scored B/s");
  std::printf("|----------------|-----------|----------------|---------------|-------------|\n");
  for (const auto& r : scores) {
    const double bytes = static_cast<double>(r.bytes);
    char own[32] = "-", alone[32] = "-";
    if (r.own_bits_given_context) {
      std::snprintf(own, sizeof own, "%.4f%s", *r.own_bits_given_context / bytes, r.own_bit_exact ? "" : " (B)");
      std::snprintf(alone, sizeof alone, "%.2f%%", 100.0 * *r.own_bits_alone / (8.0 * bytes));
    }
    std::printf("| %-14s | %9.4f | %14s | %13s | %11.1f |\n", r.model.c_str(), r.bits_per_byte(), own, alone,
                r.bytes_per_second());
  }
  std::printf("(B): whole-byte code lengths; the others are bit-exact.\n");
  if (length > 0) {
    std::printf("\nsamples (method %s, prompt \"%s\", seed %llu%s, temperature %g):\n", method.method.c_str(),
                printable(as_bytes(prompt)).c_str(), static_cast<unsigned long long>(seed),
                count > 1 ? " and on; --json gives them all" : "", temperature);
    for (const auto& row : rows)
      std::printf("  %-14s %s\n", row.label.c_str(), printable(row.texts.front().text).c_str());
  }
  if (judging) {
    std::printf("\njudged by %s: bits/byte of each sample given the prompt; order gain: its bits/byte with\n"
                "its words shuffled, minus that; copy rate: share of its %zu-byte windows found verbatim in the\n"
                "context and prompt; self-repetition: share already earlier in the sample%s.\n",
                judge.c_str(), kCopyWindow, count > 1 ? "; mean (min-max) over seeds" : "");
    if (!reference.texts.empty())
      std::printf("Real text: %zu passage(s) of %s, each given the %zu bytes before it.\n", reference.texts.size(),
                  data_path.c_str(), prompt.size());
    std::vector<JudgedRow> table;
    if (!reference.texts.empty()) table.push_back(reference);
    table.insert(table.end(), rows.begin(), rows.end());
    print_judge_table(stdout, table);
  }
  return 0;
}

}  // namespace zgen::cli
