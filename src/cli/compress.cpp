// zgen compress / zgen decompress: any model drives the arithmetic coder (.zgen files).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/cli/coding_on_processes.hpp"
#include "src/cli/processes.hpp"
#include "src/cli/progress.hpp"
#include "src/models/model_search.hpp"
#include "src/parallel/world.hpp"
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

// Under mpirun a window travels between processes in one message, whose count MPI takes as an
// int: 1 GiB leaves room for a window's frames beside its bytes.
void require_window_for_processes(long long window) {
  if (!parallel::world().alone() && window > (1LL << 30))
    throw UserError("--window must be at most 1 GiB (1073741824) under mpirun, got " + std::to_string(window));
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
  long long chunk_size = 2048, threads = 0, window = 0;
  po::options_description options("options");
  options.add_options()
      ("model,m", po::value(&model_spec)->required(), "model SPEC: ppm:N, ppm2:N, ppm3:N, transformer:PATH, mix:A+B, or a compressor turned into a model (gzip:9, zstd:19, ...)")
      ("chunk-size", po::value(&chunk_size)->default_value(2048), "code each N-byte chunk on its own, the model reset (the paper's protocol); 0: the whole input with its full history, in one thread (memory: one model, e.g. ppm:6 about 150 MB, a compressor model twice its kept context, plus about 12 MB of buffers, whatever the input's size)")
      ("native", "write the compressor's own format instead (compressor SPECs only; the whole input)")
      ("output,o", po::value(&output)->default_value("-"), "output file ('-': stdout)")
      ("input", po::value(&input)->default_value("-"), "input file ('-': stdin)")
      ("threads,j", po::value(&threads)->default_value(default_threads()), "threads (per process under mpirun): chunks coded together, each with its own copy of the model (one chunk: threads that cost candidates, for compressor models); the output does not depend on it")
      ("window", po::value(&window)->default_value(0), "bytes of input read and coded at a time (0: 4 MiB; at least 4 chunks per thread, of every process); the output does not depend on it")
      ("quiet,q", "no progress or summary on stderr");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  parallel::World& world = parallel::world();
  bool help = false;
  on_every_process([&] {
    help = !parse_or_help(argc, argv, options, vm,
                          "usage: zgen compress --model SPEC [--chunk-size 2048|0] [--native] [--threads N] [-o OUT] [IN|-]\n"
                          "Compresses IN with the model's next-byte probabilities and an arithmetic coder into a .zgen\n"
                          "file that `zgen decompress` restores on its own (the model is named inside).\n"
                          "The input is streamed (stdin of any length): memory is the models (one per thread with\n"
                          "chunks of up to 1 MiB, else one) plus a window of max(4 MiB, 4 chunks per thread), three\n"
                          "times over, whatever the input's size. OUT appears when the whole input is coded.\n"
                          "Under mpirun -np N (or srun), chunks of up to 1 MiB are shared by the N processes (each\n"
                          "with --threads threads); process 0 reads IN and writes OUT, the same bytes as alone.",
                          &positional);
    if (help) return;
    require_at_least("chunk-size", chunk_size, 0);
    require_at_least("window", window, 0);
    require_window_for_processes(window);
    use_threads(threads);
    // Under mpirun every process's stdout is a pseudo-terminal of Open MPI's (which passes bytes
    // through unchanged to wherever mpirun's own stdout goes): only a process alone can tell.
    if (world.alone()) refuse_terminal(output);
    if (vm.count("native") && !world.alone()) throw UserError("--native runs on one process: run it without mpirun");
  });
  if (help) return 0;
  const bool quiet = vm.count("quiet") > 0 || !world.leader();

  if (vm.count("native")) {
    if (!vm["chunk-size"].defaulted()) throw UserError("--native compresses the whole input: --chunk-size does not apply");
    const Bytes data = read_input(input);
    const std::unique_ptr<Compressor> compressor = make_compressor(model_spec);
    const Bytes out = compressor->compress(data);
    write_output(output, out);
    if (!quiet)
      std::fprintf(stderr, "%s (native): %zu -> %zu bytes (%.2f%%)\n", compressor->name().c_str(), data.size(), out.size(),
                   data.empty() ? 0.0 : 100.0 * static_cast<double>(out.size()) / static_cast<double>(data.size()));
    return 0;
  }

  // Streamed a window at a time (compress_stream). Chunks of up to 1 MiB: one copy of the model
  // per thread, each coding whole chunks (better than splitting one model's candidates), no more
  // copies than a file of known size has chunks. One history (0) or larger chunks: one model, its
  // candidates costed in parallel. Several processes share chunks of up to 1 MiB
  // (compress_on_processes); a single history is process 0's alone.
  const std::uint64_t chunk = static_cast<std::uint64_t>(chunk_size);
  const bool shared = !world.alone() && stream_chunks_in_parallel(chunk);
  const bool mine = world.leader() || shared;
  std::optional<InputStream> in;
  std::vector<std::unique_ptr<Predictor>> models;
  std::vector<Predictor*> predictors;
  std::optional<Progress> progress;
  std::optional<OutputStream> out;
  on_every_process([&] {
    if (world.leader()) in.emplace(input);
    if (!mine) return;
    std::uint64_t copies = 1;
    if (stream_chunks_in_parallel(chunk)) {
      const std::uint64_t processes = static_cast<std::uint64_t>(shared ? world.size() : 1);
      copies = static_cast<std::uint64_t>(threads);
      if (in && in->size()) copies = std::clamp<std::uint64_t>((chunk_count(*in->size(), chunk) + processes - 1) / processes, 1, copies);
    }
    PredictorOptions popts;  // alphabet "all": coding needs every byte possible
    popts.threads = copies > 1 ? 1 : static_cast<int>(threads);
    for (std::uint64_t i = 0; i < copies; ++i) {
      models.push_back(make_predictor(model_spec, popts));
      predictors.push_back(models.back().get());
    }
    if (!world.leader()) return;
    progress.emplace("compressed", static_cast<std::size_t>(in->size().value_or(0)), quiet);
    out.emplace(output);
  });
  StreamCompressOptions sopts;
  sopts.chunk_size = chunk;
  sopts.window_bytes = static_cast<std::uint64_t>(window);
  StreamCompressSummary r;
  if (shared) {
    ByteSource source;
    ByteSink sink;
    if (world.leader()) {
      sopts.progress = progress_callback(*progress);
      source = in->source();
      sink = out->sink();
    }
    r = compress_on_processes(world, std::span<Predictor* const>(predictors), model_spec, source, sink, sopts);
  }
  on_every_process([&] {
    if (!world.leader()) return;
    if (!shared) {
      sopts.progress = progress_callback(*progress);
      r = compress_stream(std::span<Predictor* const>(predictors), model_spec, in->source(), out->sink(), sopts);
    }
    out->commit();
  });
  if (!world.leader()) return 0;
  progress->finish();
  if (!quiet) {
    const double n = static_cast<double>(r.original_bytes);
    const double streams = static_cast<double>(r.stream_bytes);
    std::fprintf(stderr, "%s: %llu -> %llu bytes (%.2f%%), %llu frame(s), chunks of %lld\n", model_spec.c_str(),
                 static_cast<unsigned long long>(r.original_bytes), static_cast<unsigned long long>(r.file_bytes),
                 n > 0 ? 100.0 * static_cast<double>(r.file_bytes) / n : 0.0, static_cast<unsigned long long>(r.frames),
                 chunk_size);
    std::fprintf(stderr, "  coded streams %.0f bytes = %.4f bits/byte; ideal %.1f bytes = %.4f bits/byte; coder overhead %+.1f bytes\n",
                 streams, n > 0 ? 8 * streams / n : 0.0, r.ideal_bits / 8, n > 0 ? r.ideal_bits / n : 0.0,
                 streams - r.ideal_bits / 8);
  }
  return 0;
}

int run_decompress(int argc, char** argv) {
  std::string model_override, input = "-", output = "-";
  std::vector<std::string> model_dirs;
  long long threads = 0, window = 0;
  po::options_description options("options");
  options.add_options()
      ("model,m", po::value(&model_override), "use this SPEC instead of the one in the file, and nothing else (it must be the same model, e.g. transformer:NEW-PATH for a moved checkpoint)")
      ("model-dir", po::value(&model_dirs)->composing(), "also look for a checkpoint named in the file by its file name in DIR (repeatable; before the ZGEN_MODEL_PATH entries)")
      ("output,o", po::value(&output)->default_value("-"), "output file ('-': stdout, a window at a time, each checked first)")
      ("input", po::value(&input)->default_value("-"), "a .zgen file ('-': stdin)")
      ("threads,j", po::value(&threads)->default_value(default_threads()), "threads: chunks decoded together, each with its own copy of the model (one chunk: threads that cost candidates, for compressor models)")
      ("window", po::value(&window)->default_value(0), "bytes of output decoded, checked and held before they are written (0: 4 MiB; at least 4 chunks per thread)")
      ("quiet,q", "no progress on stderr");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  parallel::World& world = parallel::world();
  bool help = false;
  on_every_process([&] {
    help = !parse_or_help(argc, argv, options, vm,
                     "usage: zgen decompress [--model SPEC] [--model-dir DIR]... [-o OUT] [IN|-]\n"
                     "Restores a file written by `zgen compress`, a window (--window) at a time. OUT is written to a\n"
                     "temporary file and renamed after the last check; stdout gets each window once every chunk\n"
                     "in it passed its CRC-32 (and, for the last, the total length and CRC): a damaged chunk\n"
                     "stops the output before its window, with one line on stderr and exit code 2.\n"
                     "\n"
                     "The file names its model by SPEC and by a hash of its content (a checkpoint's weights and\n"
                     "transformer coding, not its path; transformer:PATH in a file of an earlier coding is read\n"
                     "as transformer-v2:PATH or transformer-fp32:PATH). A checkpoint (transformer:PATH, also\n"
                     "inside mix:A+B) is looked for in this order, and the first with the same content is used:\n"
                     "  1. --model SPEC, when given (then nothing else);\n"
                     "  2. PATH as stored in the file (a relative PATH: from the current directory);\n"
                     "  3. a relative PATH from the .zgen file's directory;\n"
                     "  4. PATH's file name in each --model-dir DIR, then in each directory of the\n"
                     "     colon-separated environment variable ZGEN_MODEL_PATH.\n"
                     "If none matches: one line saying what was tried and why each was refused, exit code 2.\n"
                     "Under mpirun -np N (or srun), the chunks of a file with chunks of up to 1 MiB are shared by\n"
                     "the N processes (each with --threads threads, each finding the model itself); process 0\n"
                     "reads IN and writes OUT.",
                     &positional);
    if (help) return;
    use_threads(threads);
    require_at_least("window", window, 0);
    require_window_for_processes(window);
  });
  if (help) return 0;
  DecompressOptions dopts;
  dopts.window_bytes = static_cast<std::uint64_t>(window);
  dopts.model_override = model_override;
  if (input != "-") dopts.file_dir = std::filesystem::path(input).parent_path().string();
  if (input != "-" && dopts.file_dir.empty()) dopts.file_dir = ".";
  dopts.model_dirs = model_dirs;
  if (const char* env = std::getenv("ZGEN_MODEL_PATH"))
    for (std::string& dir : split_model_path(env)) dopts.model_dirs.push_back(std::move(dir));
  dopts.threads = static_cast<int>(threads);
  // Chunks decoded in parallel: each thread its own model; otherwise one model whose threads
  // cost candidates (compressor models). Known once the header is read.
  PredictorOptions popts;
  std::optional<Progress> progress;
  dopts.header_read = [&](const ContainerHeader& h) {
    const bool parallel = h.version < kStreamContainerVersion ? chunk_count(h.original_length, h.chunk_size) > 1
                                                              : stream_chunks_in_parallel(h.chunk_size);
    popts.threads = parallel ? 1 : static_cast<int>(threads);
    progress.emplace("decompressed", static_cast<std::size_t>(h.original_length), vm.count("quiet") > 0 || !world.leader());
    dopts.progress = progress_callback(*progress);
  };
  const PredictorFactory make = [&](const std::string& spec) { return make_predictor(spec, popts); };
  if (!world.alone()) {
    std::optional<InputStream> in;
    std::optional<OutputStream> out;
    on_every_process([&] {
      if (!world.leader()) return;
      in.emplace(input);
      out.emplace(output);
    });
    DecompressOnProcesses io;
    io.output = output;
    if (world.leader()) {
      io.in = in->source();
      io.out = out->sink();
      io.commit = [&] { out->commit(); };
      io.written = [&] { return out->written(); };
    }
    decompress_on_processes(world, io, make, dopts);
    if (world.leader() && progress) progress->finish();
    return 0;
  }
  InputStream in(input);
  OutputStream out(output);
  try {
    decompress_stream(in.source(), out.sink(), make, dopts);
    out.commit();
    if (progress) progress->finish();
  } catch (const UserError& e) {
    std::string what;
    if (output != "-")
      what = " ('" + output + "' was not written)";
    else if (out.written() == 0)
      what = " (nothing was written to standard output)";
    else
      what = " (standard output got the first " + std::to_string(out.written()) +
             " bytes, every chunk in them checked; the rest was not written)";
    throw UserError(Wording{e.wording().text + literal(what)});
  }
  return 0;
}

}  // namespace zgen::cli
