// zgen score: bits per byte of a model's normalised distribution on data.
#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/cli/processes.hpp"
#include "src/cli/progress.hpp"
#include "src/cli/slow_model.hpp"
#include "src/coding/stream_coding.hpp"
#include "src/eval/evaluation.hpp"
#include "src/parallel/world.hpp"
#include "zgen/models.hpp"

namespace zgen::cli {
namespace {

// −log2 p of `chunk`, each byte given the context and the chunk before it (score_model's sum).
double chunk_bits(Predictor& model, ByteView context, ByteView chunk, const std::function<void()>& on_byte) {
  model.reset(context);
  return data_bits(model, chunk, context.empty(), on_byte);
}

// The data a window at a time, read by process 0 and sent to the others: whole chunks, at least
// kScoreWindow bytes, at most --max-bytes in all. An empty window is the end, on every process.
class ChunkWindows {
 public:
  ChunkWindows(parallel::World& world, InputStream* in, std::uint64_t chunk, std::uint64_t max_bytes)
      : world_(world), left_(max_bytes ? max_bytes : UINT64_MAX),
        window_bytes_(chunk * std::max<std::uint64_t>(1, (kScoreWindow + chunk - 1) / chunk)) {
    if (in) source_ = in->source();
  }
  const Bytes& next() {
    on_every_process([&] {  // a read error on process 0 stops every process
      if (!world_.leader()) return;
      window_.resize(static_cast<std::size_t>(std::min(window_bytes_, left_)));
      window_.resize(fill_from(source_, window_));
      left_ -= window_.size();
    });
    world_.broadcast(window_);
    return window_;
  }

 private:
  parallel::World& world_;
  ByteSource source_;  // process 0's input (empty on the others)
  std::uint64_t left_, window_bytes_;
  Bytes window_;
};

// --chunk-size N: every chunk scored on its own, window by window; within a window each process
// scores its share of the chunks (contiguous, in rank order) and process 0 adds the chunks' bits
// in chunk order, so the figure is the same bits on any number of processes and windows.
ScoreResult score_chunks(parallel::World& world, const std::string& spec, const Bytes& context, ChunkWindows& windows,
                         std::uint64_t chunk, const PredictorOptions& options, const std::function<void()>& on_byte) {
  ScoreResult r;
  std::unique_ptr<Predictor> model;
  on_every_process([&] {
    PredictorOptions all = options;
    all.alphabet = "all";  // a score must give every byte a finite probability
    model = make_predictor(spec, all);
    r.model = model->name();
  });
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const Bytes& data = windows.next();
    if (data.empty()) break;
    const std::size_t count = (data.size() + chunk - 1) / chunk;
    const auto share = [&](int rank) {
      return count * static_cast<std::size_t>(rank) / static_cast<std::size_t>(world.size());
    };
    std::vector<std::uint8_t> mine;
    on_every_process([&] {
      for (std::size_t i = share(world.rank()); i < share(world.rank() + 1); ++i) {
        const std::size_t at = i * chunk;
        const double bits = chunk_bits(*model, context, ByteView(data).subspan(at, std::min<std::size_t>(chunk, data.size() - at)),
                                       on_byte);
        const auto raw = std::bit_cast<std::uint64_t>(bits);
        for (int k = 0; k < 8; ++k) mine.push_back(static_cast<std::uint8_t>(raw >> (8 * k)));
      }
    });
    for (const std::vector<std::uint8_t>& part : world.gather(mine))
      for (std::size_t k = 0; k + 8 <= part.size(); k += 8) {
        std::uint64_t raw = 0;
        for (int b = 0; b < 8; ++b) raw |= std::uint64_t{part[k + static_cast<std::size_t>(b)]} << (8 * b);
        r.model_bits += std::bit_cast<double>(raw);
      }
    r.bytes += data.size();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace

int run_score(int argc, char** argv) {
  std::string model_spec, data_path;
  std::vector<std::string> contexts;
  long long max_bytes = 0, threads = 0, max_context = 0, chunk_size = 0;
  po::options_description options("options");
  options.add_options()
      ("model,m", po::value(&model_spec)->required(), "model SPEC (see zgen sample --help)")
      ("context,c", po::value(&contexts)->composing(), "condition on this file first (repeatable)")
      ("data,d", po::value(&data_path)->required(), "the bytes to score ('-' for stdin)")
      ("max-bytes", po::value(&max_bytes)->default_value(2000), "score at most the first N bytes of the data, reading no more of it (0: all of it, read a window of 1 MiB at a time; a compressor model keeps the bytes it scored, for its own code length)")
      ("threads,j", po::value(&threads)->default_value(default_threads()), "threads that cost candidates (per process under mpirun)")
      ("max-context", po::value(&max_context)->default_value(0), "bytes of context kept (0: the compressor's window, at most 64 KiB)")
      ("chunk-size", po::value(&chunk_size)->default_value(0), "score each N-byte chunk on its own, the model reset to the context before each (what compress --chunk-size N codes; no coder pass, no compressor's own size); 0: every byte given all the data before it")
      ("no-coder", "skip the arithmetic-coding pass (ideal vs actual coded size)")
      ("json", "print the result as JSON")
      ("quiet,q", "no progress on stderr");
  po::variables_map vm;
  parallel::World& world = parallel::world();
  bool help = false;
  Bytes context;
  std::optional<InputStream> in;
  on_every_process([&] {
    help = !parse_or_help(argc, argv, options, vm,
                          "usage: zgen score --model SPEC [--context FILE]... --data FILE [--max-bytes N] [--chunk-size N] [--json]\n"
                          "Bits per byte of the model on the data (each byte given the context and the data before it),\n"
                          "beside the compressor's own compressed size of the same bytes.\n"
                          "Under mpirun -np N (or srun), with --chunk-size, the chunks are shared by the N processes\n"
                          "(each with --threads threads); process 0 reads the files and prints the figures, the same\n"
                          "bits as one process's.");
    if (help) return;
    require_at_least("max-bytes", max_bytes, 0);
    use_threads(threads);
    require_at_least("max-context", max_context, 0);
    require_at_least("chunk-size", chunk_size, 0);
    if (!world.alone() && chunk_size == 0)
      throw UserError("score on several processes needs --chunk-size N (one history over the data is one process's work)");
    if (!world.leader()) return;
    context = read_inputs(contexts);
    in.emplace(data_path);
  });
  if (help) return 0;
  // Process 0 read the context and reads the data a window at a time; the others get the context
  // whole and the data's windows as they come (memory bounded by a window, not the data).
  world.broadcast(context);
  const std::uint64_t limit = static_cast<std::uint64_t>(max_bytes);
  std::uint64_t expected = limit;
  if (in && in->size()) expected = limit ? std::min(limit, *in->size()) : *in->size();

  PredictorOptions popts;
  popts.threads = static_cast<int>(threads);
  popts.max_context = static_cast<std::size_t>(max_context);
  const bool quiet = vm.count("quiet") || vm.count("json") || !world.leader();
  Progress progress("scored", static_cast<std::size_t>(expected) / static_cast<std::size_t>(world.size()), quiet);
  SlowModelNotice slow(model_spec, "scoring", static_cast<std::size_t>(expected), quiet);
  const auto on_byte = [&] {
    progress.advance(1);
    slow.advance(1);
  };
  ScoreResult r;
  if (chunk_size > 0) {
    ChunkWindows windows(world, in ? &*in : nullptr, static_cast<std::uint64_t>(chunk_size), limit);
    r = score_chunks(world, model_spec, context, windows, static_cast<std::uint64_t>(chunk_size), popts, on_byte);
  } else {  // one process (checked above)
    std::uint64_t read = 0;
    const ByteSource source = [&read, inner = in->source()](std::span<std::uint8_t> buffer) {
      const std::size_t n = inner(buffer);
      read += n;
      return n;
    };
    try {
      r = score_model(model_spec, context, source, limit, popts, on_byte, vm.count("no-coder") == 0);
    } catch (const UserError&) {
      if (read == 0) throw UserError("'" + data_path + "' is empty: nothing to score");
      throw;
    }
  }
  on_every_process([&] {
    if (r.bytes == 0) throw UserError("'" + data_path + "' is empty: nothing to score");
  });
  if (!world.leader()) return 0;
  if (!vm.count("json")) progress.finish();

  if (vm.count("json")) {
    nlohmann::json j = to_json(r);
    if (chunk_size > 0) j["chunk_size"] = chunk_size;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("model            %s\n", r.model.c_str());
  if (chunk_size > 0)
    std::printf("bytes scored     %zu in chunks of %lld, each given the context alone (context %zu bytes)\n", r.bytes,
                chunk_size, context.size());
  else
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
