// zgen compress / zgen decompress: any model drives the arithmetic coder (.zgen files).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/cli/progress.hpp"
#include "src/models/model_search.hpp"
#include "zgen/coding.hpp"
#include "zgen/compressor.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"

namespace zgen::cli {
namespace {

// Compressed bytes on a terminal are never what the user wanted.
void refuse_terminal(const std::string& output) {
  if (output == "-" && ::isatty(STDOUT_FILENO))
    throw UserError("refusing to write compressed data to a terminal (use -o FILE or redirect stdout)");
}

// Advances a Progress by the bytes done since the last call.
ChunkProgress progress_callback(Progress& progress) {
  return [&progress, last = std::uint64_t{0}](std::uint64_t done) mutable {
    progress.advance(static_cast<std::size_t>(done - last));
    last = done;
  };
}

}  // namespace

int run_compress(int argc, char** argv) {
  std::string model_spec, input = "-", output = "-";
  long long chunk_size = 2048, threads = 0;
  po::options_description options("options");
  options.add_options()
      ("model,m", po::value(&model_spec)->required(), "model SPEC: ppm:N, transformer:PATH, mix:A+B, or a compressor turned into a model (gzip:9, zstd:19, ...)")
      ("chunk-size", po::value(&chunk_size)->default_value(2048), "code each N-byte chunk on its own, the model reset (the paper's protocol); 0: the whole input with its full history")
      ("native", "write the compressor's own format instead (compressor SPECs only; the whole input)")
      ("output,o", po::value(&output)->default_value("-"), "output file ('-': stdout)")
      ("input", po::value(&input)->default_value("-"), "input file ('-': stdin)")
      ("threads,j", po::value(&threads)->default_value(default_threads()), "threads: chunks coded together, each with its own copy of the model (one chunk: threads that cost candidates, for compressor models); the output does not depend on it")
      ("quiet,q", "no progress or summary on stderr");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  if (!parse_or_help(argc, argv, options, vm,
                     "usage: zgen compress --model SPEC [--chunk-size 2048|0] [--native] [--threads N] [-o OUT] [IN|-]\n"
                     "Compresses IN with the model's next-byte probabilities and an arithmetic coder into a .zgen\n"
                     "file that `zgen decompress` restores on its own (the model is named inside).",
                     &positional))
    return 0;
  require_at_least("chunk-size", chunk_size, 0);
  use_threads(threads);
  const bool quiet = vm.count("quiet") > 0;
  refuse_terminal(output);
  const Bytes data = read_input(input);

  if (vm.count("native")) {
    if (!vm["chunk-size"].defaulted()) throw UserError("--native compresses the whole input: --chunk-size does not apply");
    const std::unique_ptr<Compressor> compressor = make_compressor(model_spec);
    const Bytes out = compressor->compress(data);
    write_output(output, out);
    if (!quiet)
      std::fprintf(stderr, "%s (native): %zu -> %zu bytes (%.2f%%)\n", compressor->name().c_str(), data.size(), out.size(),
                   data.empty() ? 0.0 : 100.0 * static_cast<double>(out.size()) / static_cast<double>(data.size()));
    return 0;
  }

  // Several chunks: one copy of the model per thread, each coding whole chunks (better than
  // splitting one model's candidates). One chunk: one model, its candidates costed in parallel.
  const std::uint64_t chunks = chunk_count(data.size(), static_cast<std::uint64_t>(chunk_size));
  const int copies = static_cast<int>(std::clamp<std::uint64_t>(chunks, 1, static_cast<std::uint64_t>(threads)));
  PredictorOptions popts;  // alphabet "all": coding needs every byte possible
  popts.threads = copies > 1 ? 1 : static_cast<int>(threads);
  std::vector<std::unique_ptr<Predictor>> models;
  std::vector<Predictor*> predictors;
  for (int i = 0; i < copies; ++i) {
    models.push_back(make_predictor(model_spec, popts));
    predictors.push_back(models.back().get());
  }
  Progress progress("compressed", data.size(), quiet);
  const CompressResult r = compress_to_container(std::span<Predictor* const>(predictors), model_spec, data,
                                                 static_cast<std::uint64_t>(chunk_size), progress_callback(progress));
  progress.finish();
  write_output(output, r.file);
  if (!quiet) {
    const double n = static_cast<double>(data.size());
    const double payload = static_cast<double>(r.encoded.payload.size());
    std::fprintf(stderr, "%s: %zu -> %zu bytes (%.2f%%), %zu chunk(s) of %lld\n", model_spec.c_str(), data.size(),
                 r.file.size(), n > 0 ? 100.0 * static_cast<double>(r.file.size()) / n : 0.0, r.encoded.chunks, chunk_size);
    std::fprintf(stderr, "  payload %.0f bytes = %.4f bits/byte; ideal %.1f bytes = %.4f bits/byte; coder overhead %+.1f bytes\n",
                 payload, n > 0 ? 8 * payload / n : 0.0, r.encoded.ideal_bits / 8, n > 0 ? r.encoded.ideal_bits / n : 0.0,
                 payload - r.encoded.ideal_bits / 8);
  }
  return 0;
}

int run_decompress(int argc, char** argv) {
  std::string model_override, input = "-", output = "-";
  std::vector<std::string> model_dirs;
  long long threads = 0;
  po::options_description options("options");
  options.add_options()
      ("model,m", po::value(&model_override), "use this SPEC instead of the one in the file, and nothing else (it must be the same model, e.g. transformer:NEW-PATH for a moved checkpoint)")
      ("model-dir", po::value(&model_dirs)->composing(), "also look for a checkpoint named in the file by its file name in DIR (repeatable; before the ZGEN_MODEL_PATH entries)")
      ("output,o", po::value(&output)->default_value("-"), "output file ('-': stdout, written only once the whole result is checked)")
      ("input", po::value(&input)->default_value("-"), "a .zgen file ('-': stdin)")
      ("threads,j", po::value(&threads)->default_value(default_threads()), "threads: chunks decoded together, each with its own copy of the model (one chunk: threads that cost candidates, for compressor models)")
      ("quiet,q", "no progress on stderr");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  if (!parse_or_help(argc, argv, options, vm,
                     "usage: zgen decompress [--model SPEC] [--model-dir DIR]... [-o OUT] [IN|-]\n"
                     "Restores a file written by `zgen compress`. Output appears only whole: OUT is written to a\n"
                     "temporary file and renamed after the CRC-32 check; stdout is written after it.\n"
                     "\n"
                     "The file names its model by SPEC and by a hash of its content (a checkpoint's weights and\n"
                     "arithmetic, not its path). A checkpoint (transformer:PATH, also inside mix:A+B) is looked\n"
                     "for in this order, and the first with the same content is used:\n"
                     "  1. --model SPEC, when given (then nothing else);\n"
                     "  2. PATH as stored in the file (a relative PATH: from the current directory);\n"
                     "  3. a relative PATH from the .zgen file's directory;\n"
                     "  4. PATH's file name in each --model-dir DIR, then in each directory of the\n"
                     "     colon-separated environment variable ZGEN_MODEL_PATH.\n"
                     "If none matches: one line saying what was tried and why each was refused, exit code 2.",
                     &positional))
    return 0;
  use_threads(threads);
  const Bytes file = read_input(input);
  DecompressOptions dopts;
  dopts.model_override = model_override;
  if (input != "-") dopts.file_dir = std::filesystem::path(input).parent_path().string();
  if (input != "-" && dopts.file_dir.empty()) dopts.file_dir = ".";
  dopts.model_dirs = model_dirs;
  if (const char* env = std::getenv("ZGEN_MODEL_PATH"))
    for (std::string& dir : split_model_path(env)) dopts.model_dirs.push_back(std::move(dir));
  dopts.threads = static_cast<int>(threads);
  Bytes out;
  try {
    const ParsedContainer parsed = parse_container(file);
    const ContainerHeader& h = parsed.header;
    // One chunk: its model's threads cost candidates; several: each thread decodes whole chunks.
    PredictorOptions popts;
    popts.threads = chunk_count(h.original_length, h.chunk_size) <= 1 ? static_cast<int>(threads) : 1;
    Progress progress("decompressed", static_cast<std::size_t>(h.original_length), vm.count("quiet") > 0);
    dopts.progress = progress_callback(progress);
    out = decompress_container(parsed, [&](const std::string& spec) { return make_predictor(spec, popts); }, dopts);
    progress.finish();
  } catch (const UserError& e) {
    throw UserError(Wording{e.wording().text + literal(output == "-" ? " (nothing was written to standard output)"
                                                                     : " ('" + output + "' was not written)")});
  }
  write_output(output, out);
  return 0;
}

}  // namespace zgen::cli
