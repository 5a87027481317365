#include "zgen/coding.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <exception>
#include <stdexcept>
#include <cmath>
#include <limits>
#include <vector>

#include "src/coding/arithmetic_coder.hpp"
#include "src/coding/container.hpp"
#include "src/coding/stream_coding.hpp"
#include "src/coding/quantize.hpp"
#include "src/common/hash.hpp"
#include "src/models/model_search.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

// Σ −log2 p kept as a product with a separate binary exponent: one multiply per event instead
// of one log, exact enough for a report.
class IdealBits {
 public:
  void add(double p) {
    if (!(p > 0)) {
      infinite_ = true;
      return;
    }
    product_ *= p;
    if (product_ < 0x1p-512) {
      int e;
      product_ = std::frexp(product_, &e);
      exponent_ += e;
    }
  }
  double bits() const {
    return infinite_ ? std::numeric_limits<double>::infinity() : -(std::log2(product_) + static_cast<double>(exponent_));
  }

 private:
  double product_ = 1;
  long long exponent_ = 0;
  bool infinite_ = false;
};

// The two sides of the coder behind one interface, so that code_byte below is the only place
// that asks the model for probabilities: the encoder codes the byte it is given, the decoder
// ignores it and returns what it decodes.
struct EncodeSide {
  ArithmeticEncoder coder;
  IdealBits ideal;
  int bit(std::uint32_t p1, int bit) {
    coder.encode_bit(bit, p1);
    ideal.add((bit ? p1 : 65536 - p1) / 65536.0);
    return bit;
  }
  std::uint8_t symbol(std::span<const double, 256> log_probs, std::uint8_t s) {
    std::array<double, 256> p;
    const CumulativeTable t = quantize(log_probs, &p);
    encode_symbol(coder, t, s);
    ideal.add(p[s]);
    return s;
  }
};

struct DecodeSide {
  ArithmeticDecoder coder;
  int bit(std::uint32_t p1, int) { return coder.decode_bit(p1); }
  std::uint8_t symbol(std::span<const double, 256> log_probs, std::uint8_t) {
    return decode_symbol(coder, quantize(log_probs));
  }
};

// A model outside its contract (p1 in [1, 65535]) is clamped the same way on both sides.
std::uint32_t clamp_p1(std::uint32_t p1) { return p1 < 1 ? 1 : p1 > 65535 ? 65535 : p1; }

template <class Side>
std::uint8_t code_byte(Predictor& predictor, BinaryPredictor* binary, Side& side, std::uint8_t byte) {
  if (binary) {
    int value = 0;
    for (int i = 7; i >= 0; --i) {
      const int bit = side.bit(clamp_p1(binary->p1()), (byte >> i) & 1);
      binary->update_bit(bit);
      value = value << 1 | bit;
    }
    return static_cast<std::uint8_t>(value);
  }
  std::array<double, 256> log_probs;
  predictor.log_probs(log_probs);
  const std::uint8_t s = side.symbol(log_probs, byte);
  predictor.observe(s);
  return s;
}

BinaryPredictor* binary_view(Predictor& predictor, CodingMode coding) {
  return coding == CodingMode::bits ? predictor.as_binary() : nullptr;
}


// A stream of n bytes codes at most (n + 8) · 2^19 bytes: the cheapest byte costs more than
// 2^-16 bits (the most likely symbol of a 2^24 table has at most 2^24 − 255 counts:
// −log2(1 − 255/2^24) > 2.19e-5 bits; eight decisions at 65535/65536 cost more still), and a
// stream of n bytes holds at most 8n + 32 bits of code. Checked before decoding, it bounds the
// work a corrupt length can ask for.
constexpr std::uint64_t kMaxBytesPerStreamByte = std::uint64_t{1} << 19;

}  // namespace

std::uint64_t chunk_count(std::uint64_t length, std::uint64_t chunk_size) {
  if (length == 0) return 0;
  return chunk_size == 0 ? 1 : (length - 1) / chunk_size + 1;
}

CodingMode coding_mode_of(Predictor& predictor) {
  return predictor.as_binary() ? CodingMode::bits : CodingMode::bytes;
}

std::uint64_t model_hash(std::string_view label, std::uint64_t parameters_hash) {
  // The label and the parameters together: fnv1a64(label) mixed with the model's own hash.
  const std::uint64_t h = fnv1a64(label);
  return h ^ (parameters_hash * 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

std::uint64_t model_identity_hash(const Predictor& predictor) {
  return model_hash(predictor.identity(), predictor.parameters_hash());
}

std::uint64_t model_parameters_hash(const Predictor& predictor) {
  return model_hash(predictor.name(), predictor.parameters_hash());
}

std::uint64_t stored_hash_of(const Predictor& predictor, std::uint8_t version) {
  return version >= 2 ? model_identity_hash(predictor) : model_parameters_hash(predictor);
}

double encode_frame(Predictor& predictor, CodingMode coding, ByteView data, bool reset, Bytes& stream, bool fast) {
  BinaryPredictor* binary = binary_view(predictor, coding);
  stream.clear();
  EncodeSide side{ArithmeticEncoder(stream), {}};
  if (auto* forced = dynamic_cast<BatchablePredictor*>(&predictor); fast && reset && forced && !binary) {
    // The bytes are known: the model's distributions a window at a time (the same bits).
    forced->forced_log_probs(data, [&](std::size_t t, std::span<const double, 256> log_probs) {
      side.symbol(log_probs, data[t]);
    });
    side.coder.finish();
    return side.ideal.bits();
  }
  if (reset) predictor.reset({});
  for (std::uint8_t byte : data) code_byte(predictor, binary, side, byte);
  side.coder.finish();
  return side.ideal.bits();
}

// The output grows as it is decoded (a corrupt length claims memory only as fast as the stream
// yields bytes).
void decode_frame(Predictor& predictor, CodingMode coding, ByteView stream, std::uint64_t n, bool reset, Bytes& out) {
  BinaryPredictor* binary = binary_view(predictor, coding);
  if (reset) predictor.reset({});
  DecodeSide side{ArithmeticDecoder(stream)};
  out.clear();
  out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(n, std::uint64_t{64} << 20)));
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(code_byte(predictor, binary, side, 0));
  side.coder.finish();
}

bool can_batch(const Predictor& predictor, CodingMode coding) {
  return coding == CodingMode::bytes && dynamic_cast<const BatchablePredictor*>(&predictor) != nullptr;
}

std::unique_ptr<PredictorBatch> make_batch_of(const Predictor& predictor, CodingMode coding, int lanes) {
  if (!can_batch(predictor, coding) || lanes < 1) return nullptr;
  return dynamic_cast<const BatchablePredictor&>(predictor).make_batch(lanes);
}

std::vector<ChunkGroup> batch_groups(std::size_t count, std::size_t threads, std::size_t lanes) {
  std::vector<ChunkGroup> groups;
  if (count == 0) return groups;
  lanes = std::max<std::size_t>(lanes, 1);
  threads = std::max<std::size_t>(threads, 1);
  // As few groups as the lanes allow, rounded up to a multiple of the threads (while each group
  // keeps a chunk) so that the threads finish together; then the chunks spread evenly.
  std::size_t n = (count + lanes - 1) / lanes;
  n = std::min(count, (n + threads - 1) / threads * threads);
  for (std::size_t g = 0, first = 0; g < n; ++g) {
    const std::size_t size = count / n + (g < count % n ? 1 : 0);
    groups.push_back({first, first + size});
    first += size;
  }
  return groups;
}

void decode_chunks_batched(PredictorBatch& batch, std::span<const ByteView> streams,
                           std::span<const std::uint64_t> lengths, std::span<Bytes> out,
                           const std::function<std::string(std::size_t)>& where) {
  const std::size_t B = streams.size();
  if (B > static_cast<std::size_t>(batch.lanes()) || lengths.size() < B || out.size() < B)
    throw std::logic_error("decode_chunks_batched: more chunks than lanes");
  // A stream's error names its chunk: where(b) is the prefix.
  auto in_chunk = [&](std::size_t b, auto&& work) {
    try {
      return work();
    } catch (const FormatError& e) {
      throw FormatError(Wording{where(b) + e.wording().text});
    }
  };
  std::vector<DecodeSide> sides;  // (B)
  std::uint64_t longest = 0;
  for (std::size_t b = 0; b < B; ++b) {
    batch.reset(static_cast<int>(b), {});
    sides.push_back(in_chunk(b, [&] { return DecodeSide{ArithmeticDecoder(streams[b])}; }));
    out[b].clear();
    out[b].reserve(static_cast<std::size_t>(std::min<std::uint64_t>(lengths[b], std::uint64_t{64} << 20)));
    longest = std::max(longest, lengths[b]);
  }
  std::array<double, 256> log_probs;
  std::vector<int> lanes;           // (≤ B) the lanes that observe after this step
  std::vector<std::uint8_t> bytes;  // (≤ B) what they observe
  for (std::uint64_t t = 0; t < longest; ++t) {
    lanes.clear();
    bytes.clear();
    for (std::size_t b = 0; b < B; ++b) {
      if (t >= lengths[b]) continue;
      batch.log_probs(static_cast<int>(b), log_probs);
      const std::uint8_t s = in_chunk(b, [&] { return sides[b].symbol(log_probs, 0); });
      out[b].push_back(s);
      if (t + 1 < lengths[b]) {
        lanes.push_back(static_cast<int>(b));
        bytes.push_back(s);
      }
    }
    if (!lanes.empty()) batch.observe(lanes, bytes);
  }
  for (std::size_t b = 0; b < B; ++b) in_chunk(b, [&] { sides[b].coder.finish(); });
}

std::vector<std::unique_ptr<Predictor>> load_models(const ContainerHeader& h, const PredictorFactory& make,
                                                    const DecompressOptions& options, int copies) {
  // The model, found and checked against the file's hash; then the same one for each further
  // thread, each copy checked against the first.
  FoundModel found = find_model(h, options, make);
  const std::uint64_t identity = model_identity_hash(*found.predictor);
  std::vector<std::unique_ptr<Predictor>> owned;
  owned.push_back(std::move(found.predictor));
  for (int i = 1; i < copies; ++i) owned.push_back(another_copy(found.spec, identity, make));
  return owned;
}

std::unique_ptr<Predictor> another_copy(const std::string& spec, std::uint64_t identity, const PredictorFactory& make) {
  std::unique_ptr<Predictor> copy;
  try {
    copy = make(spec);
  } catch (const UserError& e) {
    throw UserError(Wording{"cannot load the model '" + literal(spec) + "' again: " + e.wording().text});
  }
  if (!copy || model_identity_hash(*copy) != identity)
    throw UserError("the model '" + spec + "' changed while it was loaded (a second copy differs)");
  return copy;
}

namespace {

// One chunk through a fresh context: its own coded stream, and its ideal bits.
double encode_chunk(Predictor& predictor, CodingMode coding, ByteView chunk, Bytes& stream) {
  return encode_frame(predictor, coding, chunk, true, stream);
}

Bytes decode_chunk(Predictor& predictor, CodingMode coding, ByteView stream, std::uint64_t n) {
  Bytes out;
  decode_frame(predictor, coding, stream, n, true, out);
  return out;
}

// Runs work(chunk, predictor) for every chunk, on one thread per predictor (each thread keeps
// its own predictor; chunks go to whichever thread is free). Every chunk starts from reset({}),
// so the result cannot depend on which predictor codes it. progress(bytes done) is called after
// each chunk, one call at a time. The first exception is rethrown after all threads stop.
template <class Work>
void for_each_chunk(std::span<Predictor* const> predictors, std::uint64_t chunks,
                    const std::function<std::uint64_t(std::uint64_t)>& chunk_bytes, const ChunkProgress& progress,
                    Work&& work) {
  const int threads = static_cast<int>(std::min<std::uint64_t>(predictors.size(), std::max<std::uint64_t>(chunks, 1)));
  std::exception_ptr failure;
  std::uint64_t done = 0;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (std::uint64_t c = 0; c < chunks; ++c) {
    try {
      work(c, *predictors[static_cast<std::size_t>(omp_get_thread_num())]);
#pragma omp critical(zgen_chunk_progress)
      {
        done += chunk_bytes(c);
        if (progress) progress(done);
      }
    } catch (...) {
#pragma omp critical(zgen_chunk_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

EncodedPayload encode_payload(Predictor& predictor, ByteView data, std::uint64_t chunk_size,
                              const ChunkProgress& progress) {
  Predictor* one[] = {&predictor};
  return encode_payload(std::span<Predictor* const>(one), data, chunk_size, progress);
}

EncodedPayload encode_payload(std::span<Predictor* const> predictors, ByteView data, std::uint64_t chunk_size,
                              const ChunkProgress& progress) {
  if (predictors.empty()) throw std::logic_error("encode_payload: no predictor");
  EncodedPayload result;
  result.coding = coding_mode_of(*predictors[0]);
  for (Predictor* p : predictors)
    if (coding_mode_of(*p) != result.coding) throw std::logic_error("encode_payload: predictors code differently");
  const std::uint64_t n = data.size();
  result.chunks = chunk_count(n, chunk_size);
  auto bounds = [&](std::uint64_t c) {
    const std::uint64_t begin = chunk_size ? c * chunk_size : 0;
    return std::pair{begin, chunk_size ? std::min(n, begin + chunk_size) : n};
  };
  std::vector<Bytes> streams(static_cast<std::size_t>(result.chunks));
  std::vector<double> ideal(streams.size());
  for_each_chunk(
      predictors, result.chunks, [&](std::uint64_t c) { return bounds(c).second - bounds(c).first; }, progress,
      [&](std::uint64_t c, Predictor& p) {
        const auto [begin, end] = bounds(c);
        ideal[c] = encode_chunk(p, result.coding, data.subspan(begin, end - begin), streams[c]);
      });
  for (std::size_t c = 0; c < streams.size(); ++c) {  // in chunk order: the same sums on any thread count
    result.ideal_bits += ideal[c];
    put_varint(result.payload, streams[c].size());
    result.payload.insert(result.payload.end(), streams[c].begin(), streams[c].end());
  }
  return result;
}

Bytes decode_payload(Predictor& predictor, CodingMode coding, ByteView payload, std::uint64_t length,
                     std::uint64_t chunk_size, const ChunkProgress& progress) {
  Predictor* one[] = {&predictor};
  return decode_payload(std::span<Predictor* const>(one), coding, payload, length, chunk_size, progress);
}

Bytes decode_payload(std::span<Predictor* const> predictors, CodingMode coding, ByteView payload,
                     std::uint64_t length, std::uint64_t chunk_size, const ChunkProgress& progress) {
  if (predictors.empty()) throw std::logic_error("decode_payload: no predictor");
  for (Predictor* p : predictors)
    if (coding != coding_mode_of(*p))
      throw FormatError(std::string("the file codes ") + (coding == CodingMode::bits ? "bits" : "whole bytes") +
                      " but the model predicts " + (coding == CodingMode::bits ? "whole bytes" : "bits"));
  const std::uint64_t chunks = chunk_count(length, chunk_size);
  // Each chunk has a stream of at least its length prefix: a cheap check before any work.
  if (chunks > payload.size()) throw FormatError("corrupt payload: too short for " + std::to_string(chunks) + " chunks");
  auto bounds = [&](std::uint64_t c) {
    const std::uint64_t begin = chunk_size ? c * chunk_size : 0;
    return std::pair{begin, chunk_size ? std::min(length, begin + chunk_size) : length};
  };
  // The structure first, serially: every chunk's stream, checked before any decoding.
  ByteReader reader(payload, "corrupt payload");
  std::vector<ByteView> streams(static_cast<std::size_t>(chunks));
  for (std::uint64_t c = 0; c < chunks; ++c) {
    const auto [begin, end] = bounds(c);
    streams[c] = reader.take(reader.varint());
    if ((end - begin) / kMaxBytesPerStreamByte > streams[c].size() + 8)
      throw FormatError("corrupt payload: a " + std::to_string(streams[c].size()) + "-byte stream cannot hold " +
                      std::to_string(end - begin) + " bytes");
  }
  if (reader.remaining() != 0)
    throw FormatError("corrupt payload: " + std::to_string(reader.remaining()) + " byte(s) after the last chunk");
  std::vector<Bytes> decoded(streams.size());
  for_each_chunk(
      predictors, chunks, [&](std::uint64_t c) { return bounds(c).second - bounds(c).first; }, progress,
      [&](std::uint64_t c, Predictor& p) {
        const auto [begin, end] = bounds(c);
        decoded[c] = decode_chunk(p, coding, streams[c], end - begin);
      });
  if (decoded.size() == 1) return std::move(decoded[0]);
  Bytes out;
  out.reserve(static_cast<std::size_t>(length));  // bounded: every chunk decoded to its full length
  for (const auto& d : decoded) out.insert(out.end(), d.begin(), d.end());
  return out;
}

CompressResult compress_to_container(Predictor& predictor, const std::string& spec, ByteView data,
                                     std::uint64_t chunk_size, const ChunkProgress& progress) {
  Predictor* one[] = {&predictor};
  return compress_to_container(std::span<Predictor* const>(one), spec, data, chunk_size, progress);
}

CompressResult compress_to_container(std::span<Predictor* const> predictors, const std::string& spec, ByteView data,
                                     std::uint64_t chunk_size, const ChunkProgress& progress) {
  if (predictors.empty()) throw std::logic_error("compress_to_container: no predictor");
  for (Predictor* p : predictors)
    if (model_identity_hash(*p) != model_identity_hash(*predictors[0]))
      throw std::logic_error("compress_to_container: the predictors are not one model");
  CompressResult r;
  r.encoded = encode_payload(predictors, data, chunk_size, progress);
  ContainerHeader h;
  h.model_spec = spec;
  h.parameters_hash = stored_hash_of(*predictors[0], h.version);
  h.coding = r.encoded.coding;
  h.original_length = data.size();
  h.chunk_size = chunk_size;
  h.crc32 = crc32_of(data);
  r.file = write_container(h, r.encoded.payload);
  return r;
}

Bytes decompress_container(ByteView file, const PredictorFactory& make, const DecompressOptions& options) {
  return decompress_container(parse_container(file), make, options);
}

Bytes decompress_container(const ParsedContainer& parsed, const PredictorFactory& make, const DecompressOptions& options) {
  const ContainerHeader& h = parsed.header;
  if (h.original_length > options.max_output)
    throw FormatError("the file claims " + std::to_string(h.original_length) + " bytes, more than the limit of " +
                    std::to_string(options.max_output));
  // One predictor per thread, no more than chunks.
  const std::uint64_t chunks = chunk_count(h.original_length, h.chunk_size);
  const bool parallel = h.version < kStreamContainerVersion || stream_chunks_in_parallel(h.chunk_size);
  const int n = parallel ? static_cast<int>(std::clamp<std::uint64_t>(chunks, 1, static_cast<std::uint64_t>(std::max(1, options.threads)))) : 1;
  const std::vector<std::unique_ptr<Predictor>> owned = load_models(h, make, options, n);
  std::vector<Predictor*> predictors;
  for (const auto& p : owned) predictors.push_back(p.get());
  if (h.version == kStreamContainerVersion) {
    Bytes out;
    ContainerHeader header = h;
    StreamIn in(source_of(parsed.payload));
    decode_frames(header, in, predictors, n, nullptr, sink_of(out), options);
    return out;
  }
  Bytes out = decode_payload(predictors, h.coding, parsed.payload, h.original_length, h.chunk_size, options.progress);
  if (crc32_of(out) != h.crc32) throw FormatError("corrupt file: CRC-32 mismatch after decoding");
  return out;
}

ArithmeticCompressor::ArithmeticCompressor(std::unique_ptr<Predictor> predictor, std::string spec,
                                           std::uint64_t chunk_size)
    : predictor_(std::move(predictor)), spec_(std::move(spec)), chunk_size_(chunk_size) {}

Bytes ArithmeticCompressor::compress(ByteView data) const {
  std::lock_guard lock(mutex_);
  return compress_to_container(*predictor_, spec_, data, chunk_size_).file;
}

Bytes ArithmeticCompressor::decompress(ByteView data) const {
  std::lock_guard lock(mutex_);
  const ParsedContainer parsed = parse_container(data);
  if (parsed.header.parameters_hash != stored_hash_of(*predictor_, parsed.header.version))
    throw ModelMismatch("model mismatch: the file was compressed with '" + parsed.header.model_spec + "', not '" +
                    spec_ + "'");
  if (parsed.header.version == kStreamContainerVersion) {
    Bytes out;
    ContainerHeader header = parsed.header;
    StreamIn in(source_of(parsed.payload));
    decode_frames(header, in, {predictor_.get()}, 1, nullptr, sink_of(out), {});
    return out;
  }
  Bytes out = decode_payload(*predictor_, parsed.header.coding, parsed.payload, parsed.header.original_length,
                             parsed.header.chunk_size);
  if (crc32_of(out) != parsed.header.crc32) throw FormatError("corrupt file: CRC-32 mismatch after decoding");
  return out;
}

// The payload alone: the model's cost, without the container header that names it (so that
// rate tables over many small chunks do not count a header per chunk).
double ArithmeticCompressor::code_length_bits(ByteView data) const {
  std::lock_guard lock(mutex_);
  return encode_payload(*predictor_, data, chunk_size_).actual_bits();
}

}  // namespace zgen
