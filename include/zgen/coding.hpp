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
#include <iosfwd>
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
// Versions (src/coding/container.hpp has the layouts): 3 is the stream layout (per-frame lengths
// and CRCs, the total at the end), written by compress_stream and so by `zgen compress`; 2 is the
// whole-buffer layout (length and CRC up front, one payload), written by the in-memory
// compress_to_container and ArithmeticCompressor; 1 is version 2 with the older model hash.
inline constexpr std::uint8_t kContainerVersion = 3;        // the newest: what compress_stream writes
// The transformer coding this zgen writes (ContainerHeader::transformer_coding).
inline constexpr std::uint8_t kTransformerCoding = 3;
inline constexpr std::uint8_t kWholeContainerVersion = 2;   // what write_container writes by default
inline constexpr std::uint8_t kOldestContainerVersion = 1;  // the oldest that parse_container reads
// The most original bytes in one frame of the stream layout: chunks of 1..kStreamSegmentBytes
// are frames of their own, coded in parallel; chunk size 0 (one history) and larger chunks are
// coded in frames of this size, one after the other, the model keeping its state across them.
inline constexpr std::uint64_t kStreamSegmentBytes = std::uint64_t{1} << 20;
// How much original data the stream coders hold at a time (decoded output is written out a
// window at a time; see DecompressOptions::window_bytes).
inline constexpr std::uint64_t kDefaultStreamWindowBytes = std::uint64_t{4} << 20;
// Chunks a thread decodes in lockstep by default, where the model can (the transformer): 4
// keeps the lanes' KV caches (2 MB each for the 800k model) within the shared L3 cache; 16 ran
// slower (BENCHMARKS.md, issue 24 part 2).
inline constexpr int kDefaultBatchLanes = 4;

enum class CodingMode : std::uint8_t {
  bytes = 0,  // one 256-symbol table per byte (Predictor::log_probs, quantised to 2^24)
  bits = 1,   // eight binary decisions per byte, most significant first (BinaryPredictor)
};

// The .zgen file's header (src/coding/container.hpp has the layout and what each version means).
struct ContainerHeader {
  std::uint8_t version = kWholeContainerVersion;  // says the layout and what parameters_hash covers
  std::string model_spec;
  // Identifies the model so that decompress refuses a different one: model_identity_hash()
  // in version 2, model_parameters_hash() in version 1.
  std::uint64_t parameters_hash = 0;
  CodingMode coding = CodingMode::bytes;
  // The transformer coding a `transformer:PATH` part of model_spec computes in (its arithmetic and
  // window rule, src/transformer/coding_version.hpp): 3, what this zgen writes; 2, half floats; 1,
  // fp32 (files before half floats: their coding byte's high bits 0).
  std::uint8_t transformer_coding = kTransformerCoding;
  std::uint64_t original_length = 0;  // version 3: from the trailer (0 until it is read)
  std::uint64_t chunk_size = 0;
  std::uint32_t crc32 = 0;             // version 3: from the trailer
};

struct ParsedContainer {
  ContainerHeader header;
  ByteView payload;  // points into the parsed file (version 3: the frames and the trailer)
};

// Throws FormatError for anything but a well-formed container of a version this zgen reads
// (version 3: every frame's structure is walked, no decoding, and the trailer's length and
// CRC fill the header).
ParsedContainer parse_container(ByteView file);

// Whether a stream (version 3) with this chunk size codes its chunks in parallel, one model
// per thread (chunk sizes 1..kStreamSegmentBytes), or in one thread with one model (0, larger).
bool stream_chunks_in_parallel(std::uint64_t chunk_size);


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
  // The streaming decoder (decompress_stream): called once the header is read, before any model
  // is made (the CLI chooses the models' threads by the chunk size). Version 1 and 2 files are
  // read whole first, so original_length is known then; for version 3 it is 0.
  std::function<void(const ContainerHeader&)> header_read;
  // The streaming decoder holds at most this much decoded output (and chunks' streams) at a
  // time, and writes it only once every chunk in it passed its CRC (the last window: and the
  // trailer). 0: kDefaultStreamWindowBytes, at least 4 chunks per thread.
  std::uint64_t window_bytes = 0;
  // Chunks decoded in lockstep per thread, by a model that can batch itself (the transformer:
  // one matrix–matrix product per layer for all of them); 0: one chunk at a time. The output
  // does not depend on it.
  int batch = kDefaultBatchLanes;
};

// Parses, finds and loads the model named inside (or the override; find_model), checks that it
// is the same model, decodes and checks the CRC. Every failure is a one-line UserError; nothing
// partial escapes.
Bytes decompress_container(ByteView file, const PredictorFactory& make, const DecompressOptions& options = {});
// The same for a container already parsed (its payload still points into the file).
Bytes decompress_container(const ParsedContainer& parsed, const PredictorFactory& make,
                           const DecompressOptions& options = {});

// Streaming: the same coding over a source and a sink, in memory bounded by the models, the
// threads and the window, whatever the input's length (stdin of unknown length included).
//
// A source fills `buffer` with up to its size and returns how many bytes it wrote; 0 only at
// the end of the input. It throws (a UserError) when it cannot read.
using ByteSource = std::function<std::size_t(std::span<std::uint8_t> buffer)>;
// A sink takes the next bytes of the output; it throws when it cannot write.
using ByteSink = std::function<void(ByteView bytes)>;
ByteSource source_of(ByteView data);  // reads `data` (which must outlive the source)
ByteSource source_of(std::istream& in);
ByteSink sink_of(Bytes& out);         // appends
ByteSink sink_of(std::ostream& out);

struct StreamCompressOptions {
  std::uint64_t chunk_size = 2048;  // 0: one history over the whole input
  ChunkProgress progress;           // original bytes coded so far
  std::uint64_t window_bytes = 0;   // input read at a time; 0: kDefaultStreamWindowBytes (>= 4 chunks per thread)
  // Non-zero: a model that can (the transformer) computes each chunk's distributions a window at
  // a time, the bytes being known (one pass of matrix–matrix products per window instead of one
  // step per byte); 0: byte by byte. The file does not depend on it.
  int batch = kDefaultBatchLanes;
};

struct StreamCompressSummary {
  CodingMode coding = CodingMode::bytes;
  std::uint64_t original_bytes = 0, file_bytes = 0;
  std::uint64_t stream_bytes = 0;  // the coded streams alone (no framing): what encode_payload's streams would be
  std::uint64_t frames = 0;
  double ideal_bits = 0;           // as EncodedPayload::ideal_bits
};

// Writes a version-3 .zgen file of everything `in` yields to `out`, one window at a time. With
// a chunk size of 1..kStreamSegmentBytes, each thread codes whole chunks with its own predictor
// (all of one model; the file is the same byte for byte on any number); otherwise only the first
// predictor is used. Memory: the predictors, plus about 3 windows (input, streams, frames).
StreamCompressSummary compress_stream(std::span<Predictor* const> predictors, const std::string& spec,
                                      const ByteSource& in, const ByteSink& out, const StreamCompressOptions& options = {});

// Decodes a .zgen file of any version from `in` to `out`: finds and checks the model as
// decompress_container does. Version 3 is decoded a window at a time, and a window is written
// only after each of its chunks passed its CRC-32 (the last one: and the trailer's length and
// CRC), so a damaged chunk stops the output at the window before it, with a one-line UserError;
// a file of at most one window is written whole or not at all. Versions 1 and 2 are read whole
// and written after the CRC check, as before. Returns the header (length and CRC filled in).
ContainerHeader decompress_stream(const ByteSource& in, const ByteSink& out, const PredictorFactory& make,
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
