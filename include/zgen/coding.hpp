#pragma once
// Coding: a model as a compressor. A Predictor's next-byte distributions drive the arithmetic
// coder, and the result is a .zgen file that names its model (src/coding/container.hpp has the
// layout), so that decompress_container can rebuild the model and decode.
//
// The data is cut into chunks (chunk_size bytes; 0 = one chunk with the whole history). Each
// chunk is coded on its own, as in the paper's protocol: the predictor is reset to an empty
// context and the chunk gets its own coded stream. Per byte, the encoder and the decoder run
// the very same steps (code_byte in the .cpp, instantiated once per side):
//   BinaryPredictor view present: 8 decisions, most significant bit first, with p1();
//   otherwise: log_probs → quantize → one 256-symbol table → observe.
// The payload is, per chunk, a varint stream length and the stream.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zgen/compressor.hpp"
#include "zgen/errors.hpp"
#include "zgen/predictor.hpp"

namespace zgen {

inline constexpr std::uint64_t kMaxOriginalLength = std::uint64_t{1} << 40;  // 1 TiB
inline constexpr std::uint8_t kContainerVersion = 2;        // what write_container writes by default
inline constexpr std::uint8_t kOldestContainerVersion = 1;  // the oldest that parse_container reads

enum class CodingMode : std::uint8_t {
  bytes = 0,  // one 256-symbol table per byte (Predictor::log_probs, quantised to 2^24)
  bits = 1,   // eight binary decisions per byte, most significant first (BinaryPredictor)
};

// The .zgen file's header (src/coding/container.hpp has the layout and what each version means).
struct ContainerHeader {
  std::uint8_t version = kContainerVersion;  // says what parameters_hash covers
  std::string model_spec;
  // Identifies the model so that decompress refuses a different one: model_identity_hash()
  // in version 2, model_parameters_hash() in version 1.
  std::uint64_t parameters_hash = 0;
  CodingMode coding = CodingMode::bytes;
  std::uint64_t original_length = 0;
  std::uint64_t chunk_size = 0;
  std::uint32_t crc32 = 0;
};

struct ParsedContainer {
  ContainerHeader header;
  ByteView payload;  // points into the parsed file
};

// Throws FormatError for anything but a well-formed container of a version this zgen reads.
ParsedContainer parse_container(ByteView file);


struct EncodedPayload {
  Bytes payload;
  CodingMode coding = CodingMode::bytes;
  std::size_t chunks = 0;
  // Σ −log2 p(byte) under the model's own probabilities (the floats before quantisation,
  // or the 16-bit bit probabilities): the size an ideal coder would reach. +inf when the
  // model gave a coded byte probability 0.
  double ideal_bits = 0;
  double actual_bits() const { return 8.0 * static_cast<double>(payload.size()); }
};

// Called after each chunk with the number of original bytes coded so far.
using ChunkProgress = std::function<void(std::uint64_t bytes_done)>;

EncodedPayload encode_payload(Predictor& predictor, ByteView data, std::uint64_t chunk_size,
                              const ChunkProgress& progress = {});
// Chunks processed together: one thread per predictor, each coding whole chunks with its own
// predictor (all of the same model). Every chunk starts from an empty context, so the payload is
// the same byte for byte whatever the number of predictors (tested).
EncodedPayload encode_payload(std::span<Predictor* const> predictors, ByteView data, std::uint64_t chunk_size,
                              const ChunkProgress& progress = {});

// Decodes `length` bytes. Throws UserError when the payload is not what encode_payload
// wrote for this predictor, length and chunk size (structure, lengths, streams), except
// that a payload can decode to wrong bytes: the container's CRC catches those.
Bytes decode_payload(Predictor& predictor, CodingMode coding, ByteView payload, std::uint64_t length,
                     std::uint64_t chunk_size, const ChunkProgress& progress = {});
// The same with one thread per predictor (the payload's structure is checked first, serially).
Bytes decode_payload(std::span<Predictor* const> predictors, CodingMode coding, ByteView payload,
                     std::uint64_t length, std::uint64_t chunk_size, const ChunkProgress& progress = {});

// The hash stored in a .zgen file (version 2) to recognise the model by content:
// Predictor::identity() (the canonical name without a checkpoint's path) combined with
// Predictor::parameters_hash() (weights, primer, the arithmetic's fingerprint). It does not
// depend on where a checkpoint was loaded from.
std::uint64_t model_identity_hash(const Predictor& predictor);
// Version 1's hash: Predictor::name() (which includes a checkpoint's path as given) combined
// with Predictor::parameters_hash(). Equal to model_identity_hash for models without a path.
std::uint64_t model_parameters_hash(const Predictor& predictor);
// Both from their ingredients: a label (identity() or name()) and a parameters_hash.
std::uint64_t model_hash(std::string_view label, std::uint64_t parameters_hash);

// How many chunks `length` bytes make (0 bytes: none; chunk_size 0: one).
std::uint64_t chunk_count(std::uint64_t length, std::uint64_t chunk_size);

// The coding mode a predictor uses (bits when it has a BinaryPredictor view).
CodingMode coding_mode_of(Predictor& predictor);

// A whole .zgen file. `spec` is stored so that decompress can make the model again.
struct CompressResult {
  Bytes file;
  EncodedPayload encoded;
};
CompressResult compress_to_container(Predictor& predictor, const std::string& spec, ByteView data,
                                     std::uint64_t chunk_size, const ChunkProgress& progress = {});
// Chunks processed together, one thread per predictor (the same file as with one predictor).
CompressResult compress_to_container(std::span<Predictor* const> predictors, const std::string& spec, ByteView data,
                                     std::uint64_t chunk_size, const ChunkProgress& progress = {});

// Makes the predictor that a SPEC names (make_predictor in the CLI; test models in tests).
using PredictorFactory = std::function<std::unique_ptr<Predictor>(const std::string& spec)>;

struct DecompressOptions {
  std::string model_override;  // non-empty: use this SPEC instead of the stored one (same model)
  // Where else a checkpoint named in the file is looked for (src/models/model_search.hpp):
  std::string file_dir;                 // the .zgen file's directory ("": none, e.g. stdin)
  std::vector<std::string> model_dirs;  // by file name, in order (the CLI: --model-dir, then ZGEN_MODEL_PATH)
  std::uint64_t max_output = kMaxOriginalLength;  // refuse files that claim more
  ChunkProgress progress;
  int threads = 1;  // chunks decoded together, each thread with its own copy of the model
};

// Parses, finds and loads the model named inside (or the override; find_model), checks that it
// is the same model, decodes and checks the CRC. Every failure is a one-line UserError; nothing
// partial escapes.
Bytes decompress_container(ByteView file, const PredictorFactory& make, const DecompressOptions& options = {});
// The same for a container already parsed (its payload still points into the file).
Bytes decompress_container(const ParsedContainer& parsed, const PredictorFactory& make,
                           const DecompressOptions& options = {});

// The Compressor face of a predictor (DESIGN.md: ArithmeticCompressor(Predictor) is a
// Compressor). compress() writes a whole .zgen file. The predictor is stateful, so calls are
// serialised by a mutex; use one instance per thread for parallel work.
class ArithmeticCompressor final : public Compressor {
 public:
  ArithmeticCompressor(std::unique_ptr<Predictor> predictor, std::string spec, std::uint64_t chunk_size = 2048);
  std::string name() const override { return spec_; }
  Bytes compress(ByteView data) const override;
  Bytes decompress(ByteView data) const override;
  double code_length_bits(ByteView data) const override;
  bool bit_exact() const override { return false; }
  // Chunks see no earlier chunk; with chunk size 0 the whole history counts (capped here).
  std::size_t window_bytes() const override { return chunk_size_ ? chunk_size_ : std::size_t{1} << 30; }

 private:
  std::unique_ptr<Predictor> predictor_;
  std::string spec_;
  std::uint64_t chunk_size_;
  mutable std::mutex mutex_;
};

}  // namespace zgen
