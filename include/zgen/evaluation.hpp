#pragma once
// Evaluation: scoring a model on data (its log-loss beside the compressor's own code length)
// and the measurements behind `zgen bench` (the paper's Table 1), for programs and bindings
// that report them their own way (the CLI prints tables and JSON; the Python package returns
// plain data).
//
// Scoring: the log-loss that lets compressor-derived models be compared like language models,
// beside the compressor's own code length of the same bytes.
//
// The measurements behind `zgen bench` (the paper's Table 1): how small a model makes each
// modality's chunks, each chunk on its own and all of them at once, and how well it predicts.
//
// A model SPEC is either a compressor SPEC (its own format: the size is compress(data).size())
// or a predictor SPEC, `ppm[:N]` or `transformer:PATH`, whose size is what the arithmetic coder
// actually writes for it (encode_payload: per coded piece a varint length and the coded stream;
// the ideal code length Σ −log2 p is recorded beside it).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "zgen/bytes.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"

namespace zgen {

struct ScoreResult {
  std::string model;
  std::size_t bytes = 0;           // bytes of data scored
  double model_bits = 0;           // Σ −log2 p(byte | context, data before it)
  double seconds = 0;              // time spent scoring the data
  double context_seconds = 0;      // time spent conditioning on the context first
  // The compressor's own code length of the same bytes, for compressor models:
  std::optional<double> own_bits_given_context;  // ℓ(d | c) − ℓ(ε | c): ℓ(c·d) − ℓ(c) for most SPECs
  std::optional<double> own_bits_alone;          // ℓ(d), d compressed by itself
  bool own_bit_exact = false;
  // The arithmetic coder driven by the model on the same bytes (when asked for): its actual
  // size beside the model's ideal code length, Σ −log2 of the probabilities it codes with.
  std::optional<double> coded_bits, coded_ideal_bits;

  double bits_per_byte() const { return bytes ? model_bits / static_cast<double>(bytes) : 0; }
  double bytes_per_second() const { return seconds > 0 ? static_cast<double>(bytes) / seconds : 0; }
};

// Scores `data` (every byte given the context and the data before it) under the model's
// normalised distribution over all 256 bytes. `on_byte` is called after each byte (progress).
// With `with_coder`, the data is also arithmetic-coded given the context (a second pass).
ScoreResult score_model(const std::string& spec, ByteView context, ByteView data, const PredictorOptions& options,
                        const std::function<void()>& on_byte = {}, bool with_coder = false);

// The same, reading at most `max_bytes` (0: all) from `data` a window of `window` bytes at a
// time, so that memory does not grow with the data for a predictor (ppm, transformer); a
// compressor model keeps the bytes it scored for its own code length (it scores a few hundred
// bytes a second: the data it can score fits in memory). The coder codes the windows as one
// history in frames of `window` bytes (as `zgen compress --chunk-size 0` codes 1 MiB frames): the
// model's bits are score_model's above to the bit, and so is the coded size on data of at most
// one window. Scoring nothing is a UserError.
inline constexpr std::size_t kScoreWindow = std::size_t{1} << 20;
ScoreResult score_model(const std::string& spec, ByteView context, const ByteSource& data, std::uint64_t max_bytes,
                        const PredictorOptions& options, const std::function<void()>& on_byte = {},
                        bool with_coder = false, std::size_t window = kScoreWindow);

struct BenchModel {
  std::string spec;               // as given
  std::string name;               // canonical, e.g. "gzip:9"
  bool coded = false;             // a predictor driving the arithmetic coder
  std::uint64_t parameters = 0;   // learned parameters (transformers); 0 for the others
};

// Checks the SPEC (UserError when it names no model) and describes it.
BenchModel describe_bench_model(const std::string& spec);

struct SizeCell {
  std::size_t raw_bytes = 0;
  double compressed_bytes = 0;             // the actual output
  std::optional<double> ideal_bytes;       // coded models: Σ −log2 p / 8
  double rate() const { return raw_bytes ? compressed_bytes / static_cast<double>(raw_bytes) : 0; }
  // The paper's adjusted rate: the model's parameters count 2 bytes each (float16).
  double adjusted_rate(std::uint64_t parameters) const {
    return raw_bytes ? (compressed_bytes + 2.0 * static_cast<double>(parameters)) / static_cast<double>(raw_bytes) : 0;
  }
};

// Called with the number of raw bytes just finished (from any thread, serialised by the caller's
// lock inside these functions).
using BenchProgress = std::function<void(std::size_t bytes_done)>;

// Every chunk compressed on its own; sizes summed. `threads` workers each make their own model
// instance; the result does not depend on the thread count.
SizeCell measure_chunked(const BenchModel& model, const std::vector<Bytes>& chunks, int threads,
                         const BenchProgress& progress = {});

// The chunks concatenated in order and compressed once (one coded piece, the full history).
SizeCell measure_unchunked(const BenchModel& model, const std::vector<Bytes>& chunks, const BenchProgress& progress = {});

// Evenly spaced selection: chunk ⌊i·M / limit⌋ for i < limit, of M chunks (all when limit is 0
// or at least M). Deterministic, keeps the order, and spreads over every file of a modality.
std::vector<Bytes> select_evenly(std::vector<Bytes> chunks, std::size_t limit);

}  // namespace zgen
