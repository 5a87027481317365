#pragma once
// Fuzz target "container": the .zgen container parser and the model-driven decoder
// (src/coding/container.*, src/coding/arithmetic_compressor.*).
//
// Every input is read as a whole .zgen file (that outcome is the target's): parser, model SPEC,
// parameters hash, decoder, CRC; the SPEC inside is built by make_predictor (fuzz_models.hpp).
// An input that cannot be one (its first byte is not the magic's) is also, as its first byte
// says, either
//   - a payload handed straight to decode_payload, past the header checksum that guards it in a
//     file: its first bytes pick a model, a chunk size and a length; or
//   - data, compressed and decompressed again with a model: it must come back unchanged.
//
// Speed: at least 1,000 inputs/s under the sanitizers, where a byte costs ~50 µs to code with a
// 256-symbol table, ~15 µs with ppm and ~2 ms with gzip as a model (256 compressions). So models
// are built once per process (fuzz_models.hpp), each input does one of the things above besides
// the file, and each model has a cap on the bytes one input may decode to: a file that claims
// more is refused by decompress's own limit before any decoding. The compressor families
// (bzip2:9 takes ~2 s per byte here) decode at most a few bytes.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_common.hpp"
#include "fuzz/fuzz_models.hpp"
#include "src/coding/container.hpp"
#include "src/models/mixed_predictor.hpp"
#include "zgen/coding.hpp"

namespace zgen::fuzz {

// The most bytes one input may decode to with the model `spec` in a file.
inline std::uint64_t container_output_cap(const std::string& spec) {
  if (spec.rfind("mix:", 0) == 0) {
    const std::vector<std::string> parts = mix_part_specs(spec);
    std::uint64_t cap = 256;
    for (const auto& part : parts) cap = std::min(cap, container_output_cap(part));
    return cap / parts.size();
  }
  if (spec.rfind("test-", 0) == 0) return 256;
  if (spec.rfind("ppm", 0) == 0) return 64;
  if (spec.rfind("gzip", 0) == 0) return 2;
  return 0;  // the other compressor families: built, and an empty file decoded
}

inline Outcome fuzz_container(ByteView input) {
  ModelCache& models = ModelCache::instance();
  const PredictorFactory lend = [&](const std::string& spec) { return models.lend(spec); };

  const Outcome outcome = outcome_of([&] {
    DecompressOptions options;
    options.max_output = container_output_cap(parse_container(input).header.model_spec);
    (void)decompress_container(input, lend, options);
  });
  if (input.size() < 4 || input[0] == kContainerMagic[0]) return outcome;

  struct Use {
    const char* spec;
    std::uint64_t max_bytes;
  };
  const std::uint8_t pick = input[0] >> 1;
  if (input[0] & 1) {
    // A payload: 4 bytes of choices, then the payload.
    static const Use kModels[] = {{"test-order0", 63}, {"test-bits0", 255}, {"test-bits-extreme", 255},
                                  {"ppm:2:unprimed", 31}};
    static const std::uint64_t kChunks[] = {0, 1, 7, 64, 2048};
    const Use& use = kModels[pick % std::size(kModels)];
    const std::uint64_t length = (input[2] | std::uint64_t{input[3]} << 8) % (use.max_bytes + 1);
    (void)outcome_of([&] {
      const auto predictor = models.lend(use.spec);
      (void)decode_payload(*predictor, coding_mode_of(*predictor), input.subspan(4), length,
                           kChunks[input[1] % std::size(kChunks)]);
    });
  } else {
    // Data: the bytes after the first.
    static const Use kModels[] = {{"test-order0", 24}, {"test-bits0", 128}, {"ppm:2:unprimed", 24}};
    const Use& use = kModels[pick % std::size(kModels)];
    const ByteView data = input.subspan(1);
    if (data.size() <= use.max_bytes) {
      const std::uint64_t chunk_size = input[1] % 3 == 0 ? 8 : 0;
      const Bytes file = compress_to_container(*models.lend(use.spec), use.spec, data, chunk_size).file;
      check(decompress_container(file, lend) == Bytes(data.begin(), data.end()),
            std::string("round trip through ") + use.spec + " changed the data");
      // The stream layout (version 3) of the same data, through the stream decoder.
      const auto lent = models.lend(use.spec);
      Predictor* const one[] = {lent.get()};
      StreamCompressOptions so;
      so.chunk_size = chunk_size;
      Bytes stream_file, back;
      (void)compress_stream(one, use.spec, source_of(data), sink_of(stream_file), so);
      (void)decompress_stream(source_of(stream_file), sink_of(back), lend);
      check(back == Bytes(data.begin(), data.end()), std::string("stream round trip through ") + use.spec + " changed the data");
    }
  }
  return outcome;
}

}  // namespace zgen::fuzz
