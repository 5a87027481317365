// zgen judge: how good are a generator's samples? Several seeds of long samples from each
// generator (or sample files), judged column by column (src/eval/judge.hpp) beside passages of
// real text judged the same way; mean and spread over seeds, as a table or as JSON.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/cli/generators.hpp"
#include "src/cli/image_options.hpp"
#include "src/cli/judge_report.hpp"
#include "src/eval/judge.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"

namespace zgen::cli {
namespace {

// "[LABEL=]FILE[,FILE...]": one row whose texts are the files (a whole argument that names an
// existing file is that one file, commas or '=' in its name notwithstanding).
JudgedRow parse_sample_files(const std::string& arg) {
  JudgedRow row;
  std::vector<std::string> files;
  if (std::filesystem::is_regular_file(arg)) {
    files.push_back(arg);
    row.label = arg;
  } else {
    std::string list = arg;
    const std::size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      row.label = arg.substr(0, eq);
      list = arg.substr(eq + 1);
    }
    files = split_specs("samples", list);
    if (row.label.empty()) row.label = list;
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    JudgedText t;
    t.seed = i;
    t.text = read_input(files[i]);
    if (t.text.empty()) throw UserError("--samples: '" + files[i] + "' is empty: nothing to judge");
    row.texts.push_back(std::move(t));
  }
  return row;
}

Bytes joined(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int run_judge(int argc, char** argv) {
  std::string judge_spec, data_path, prompt, models_list, json_out;
  std::vector<std::string> contexts, generator_args, sample_args;
  long long length = 1000, seeds = 5, shuffles = 3, threads = 0;
  std::uint64_t seed = 1;
  po::options_description options("options");
  options.add_options()
      ("judge", po::value(&judge_spec)->required(), "the judge: a model SPEC (typically transformer:models/sotu-800k.safetensors); it only measures")
      ("context,c", po::value(&contexts)->composing(), "the generators' context (repeatable); copies are sought in it and the prompt")
      ("data,d", po::value(&data_path), "real text for the reference row (use other text than the context)")
      ("prompt,p", po::value(&prompt)->default_value(""), "the text after the context that samples continue; the judge reads it first")
      ("models,m", po::value(&models_list), "comma-separated model SPECs, each sampled with zgen sample's defaults")
      ("generator,g", po::value(&generator_args)->composing(), "a model SPEC with sampling options, e.g. \"gzip:9 --temperature 0.6\" or \"gzip:9 --horizon 4 --beam 8\" (repeatable)")
      ("samples", po::value(&sample_args)->composing(), "judge files instead: [LABEL=]FILE[,FILE...], one row, one text per file (repeatable)")
      ("length,n", po::value(&length)->default_value(1000), "bytes per sample and per real-text passage")
      ("seeds", po::value(&seeds)->default_value(5), "samples per generator (seeds S, S+1, ...) and real-text passages")
      ("seed,s", po::value(&seed)->default_value(1), "the first seed S")
      ("shuffles", po::value(&shuffles)->default_value(3), "word shuffles (seeds 0, 1, ...) averaged by the order gain")
      ("threads,j", po::value(&threads)->default_value(default_threads()), "threads for costing candidates and for the judge")
      ("json", "print the results as JSON (every text included) instead of the table")
      ("json-out", po::value(&json_out), "also write that JSON to FILE (with the table on stdout)")
      ("quiet,q", "no progress on stderr");
  po::variables_map vm;
  if (!parse_or_help(argc, argv, options, vm,
                     "usage: zgen judge --judge SPEC --context FILE --data FILE --prompt TEXT\n"
                     "                  (--models SPEC,... | --generator \"SPEC [options]\"... | --samples FILE...)\n"
                     "                  [--length 1000] [--seeds 5] [--seed 1] [--json]\n"
                     "Judges each generator's samples (one per seed, after context and prompt) and passages of real\n"
                     "text from --data, all by the same judge model, which never takes part in generating. Columns:\n"
                     "  judge bits/byte  the text's bits/byte under the judge, given the prompt only (a sample) or the\n"
                     "                   prompt's length of real text before it (a passage): lower reads more natural;\n"
                     "  order gain       the judge's bits/byte with the text's words shuffled, minus its own: real\n"
                     "                   text loses about half a bit per byte, word salad nothing;\n"
                     "  copy rate        share of its 16-byte windows found verbatim in the context and prompt;\n"
                     "  self-repetition  share of its 16-byte windows that already occurred earlier in it.\n"
                     "Each cell: the mean over seeds (passages), then min-max."))
    return 0;
  require_at_least("length", length, 1);
  require_at_least("seeds", seeds, 1);
  require_at_least("shuffles", shuffles, 1);
  use_threads(threads);
  if (!json_out.empty()) require_output_folder("json-out", json_out);
  const bool quiet = vm.count("quiet") > 0, json = vm.count("json") > 0;

  std::vector<Generator> generators;
  if (vm.count("models"))
    for (const auto& spec : split_specs("models", models_list))
      generators.push_back(parse_generator("models", spec, static_cast<int>(threads)));
  for (const auto& g : generator_args) generators.push_back(parse_generator("generator", g, static_cast<int>(threads)));
  std::vector<JudgedRow> file_rows;
  for (const auto& s : sample_args) file_rows.push_back(parse_sample_files(s));
  if (generators.empty() && file_rows.empty() && !vm.count("data"))
    throw UserError("nothing to judge: give --models, --generator, --samples or --data");

  PredictorOptions jopts;  // alphabet "all": a judge gives every byte a probability
  jopts.threads = static_cast<int>(threads);
  auto judge = make_predictor(judge_spec, jopts);
  const Bytes context = read_inputs(contexts);
  const Bytes source = joined(context, as_bytes(prompt));
  JudgeOptions jo;
  jo.shuffles = static_cast<int>(shuffles);
  const std::size_t n = static_cast<std::size_t>(length), count = static_cast<std::size_t>(seeds);

  Bytes data;
  std::vector<std::size_t> offsets;
  if (vm.count("data")) {
    data = read_input(data_path);
    offsets = passage_offsets(data, n, count, prompt.size());
  }

  // The plan, in bytes, for the ETA: every text is judged 1 + shuffles times.
  JudgeProgress progress("zgen judge", quiet);
  const double judged_per_text = static_cast<double>(n) * static_cast<double>(1 + shuffles);
  progress.plan("judge", judged_per_text * static_cast<double>(offsets.size() + generators.size() * count));
  for (const auto& r : file_rows)
    for (const auto& t : r.texts) progress.plan("judge", static_cast<double>(t.text.size() * (1 + shuffles)));
  for (const auto& g : generators) progress.plan("sample " + g.label, static_cast<double>(n * count));
  if (!quiet)
    std::fprintf(stderr, "zgen judge: judge %s, %zu generator(s) x %zu seed(s) of %zu bytes, %zu sample file row(s), "
                 "%zu real passage(s); context %zu bytes, prompt \"%s\"\n",
                 judge->name().c_str(), generators.size(), count, n, file_rows.size(), offsets.size(), context.size(),
                 printable(as_bytes(prompt)).c_str());

  std::vector<JudgedRow> rows;
  if (!offsets.empty()) {
    JudgedRow ref;
    ref.label = "real text";
    ref.reference = true;
    for (std::size_t i = 0; i < offsets.size(); ++i) {
      const std::size_t at = offsets[i];
      const ByteView lead(data.data() + at - prompt.size(), prompt.size());
      JudgedText t;
      t.offset = at;
      t.text.assign(data.begin() + static_cast<std::ptrdiff_t>(at), data.begin() + static_cast<std::ptrdiff_t>(at + n));
      const auto started = std::chrono::steady_clock::now();
      t.verdict = judge_text(*judge, lead, t.text, joined(context, lead), jo);
      progress.done("judge", judged_per_text, seconds_since(started),
                    "real text passage " + std::to_string(i + 1) + "/" + std::to_string(offsets.size()) + " judged");
      ref.texts.push_back(std::move(t));
    }
    rows.push_back(std::move(ref));
  }
  for (const auto& g : generators) {
    JudgedRow row;
    row.label = g.label;
    auto model = make_predictor(g.spec, g.model);
    for (std::size_t i = 0; i < count; ++i) {
      JudgedText t;
      t.seed = seed + i;
      const std::string which = g.label + " seed " + std::to_string(t.seed);
      auto started = std::chrono::steady_clock::now();
      t.text = sample_with(g, *model, source, n, t.seed);
      progress.done("sample " + g.label, static_cast<double>(n), seconds_since(started), which + " sampled");
      started = std::chrono::steady_clock::now();
      t.verdict = judge_text(*judge, as_bytes(prompt), t.text, source, jo);
      progress.done("judge", judged_per_text, seconds_since(started), which + " judged");
      row.texts.push_back(std::move(t));
    }
    rows.push_back(std::move(row));
  }
  for (auto& r : file_rows) {
    for (auto& t : r.texts) {
      const auto started = std::chrono::steady_clock::now();
      t.verdict = judge_text(*judge, as_bytes(prompt), t.text, source, jo);
      progress.done("judge", static_cast<double>(t.text.size() * (1 + shuffles)), seconds_since(started),
                    r.label + " text " + std::to_string(t.seed + 1) + " judged");
    }
    rows.push_back(std::move(r));
  }

  if (json || !json_out.empty()) {
    nlohmann::json gens = nlohmann::json::array();
    nlohmann::json out = {{"judge", judge_spec}, {"prompt", prompt}, {"length", n}, {"first_seed", seed},
                          {"seeds", count}, {"shuffles", shuffles}, {"window", jo.window},
                          {"context_bytes", context.size()}, {"seconds", progress.elapsed()}};
    for (const auto& r : rows) {
      if (r.reference) {
        out["reference"] = row_json(r, true);
        out["reference"]["data"] = data_path;
        out["reference"]["lead"] = prompt.size();
      } else {
        gens.push_back(row_json(r, true));
      }
    }
    out["generators"] = gens;
    if (!json_out.empty()) {
      const std::string text = out.dump(2) + "\n";
      write_output(json_out, as_bytes(text));
    }
    if (json) {
      std::cout << out.dump(2) << "\n";
      return 0;
    }
  }
  std::printf("judged by %s: %zu-byte texts after \"%s\", %zu seed(s) from %llu, %zu bytes of context;\n"
              "each cell is the mean over seeds (passages), then min-max. Real text: %zu passage(s) of %s,\n"
              "each given the %zu bytes before it. Order gain: mean over %lld word shuffles.\n\n",
              judge_spec.c_str(), n, printable(as_bytes(prompt)).c_str(), count, static_cast<unsigned long long>(seed),
              context.size(), offsets.size(), offsets.empty() ? "(no --data)" : data_path.c_str(), prompt.size(),
              shuffles);
  print_judge_table(stdout, rows);
  std::printf("\nexamples (the first 200 bytes of each row's first text):\n");
  for (const auto& r : rows) {
    if (r.texts.empty()) continue;
    const Bytes& t = r.texts.front().text;
    std::printf("  %s: %s\n", r.label.c_str(), printable(ByteView(t.data(), std::min<std::size_t>(t.size(), 200))).c_str());
  }
  return 0;
}

}  // namespace zgen::cli
