#pragma once
// The fuzz target's body, shared by the libFuzzer harness (fuzz_container.cpp) and the ctest
// replay of the saved corpus (tests/test_fuzz_corpus.cpp). Any input must end in a result or
// a UserError: a crash, a sanitizer report, a hang or a wrong round trip is a bug.
#include <cstdint>
#include <cstdlib>
#include <cstdio>

#include "src/coding/container.hpp"
#include "tests/coder_test_models.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"

namespace zgen::fuzz {

inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_container: %s\n", what);
    std::abort();
  }
}

inline int fuzz_container_one_input(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);

  // 1. The input as a whole .zgen file: parser, model check, decoder, CRC.
  try {
    DecompressOptions options;
    options.max_output = 1 << 16;  // keeps every run short; the real limits are tested elsewhere
    (void)decompress_container(input, test::make_test_predictor, options);
  } catch (const UserError&) {
  }

  // 2. Past the header checksum: the input's first bytes choose a model, a chunk size and a
  // length, the rest is a payload handed straight to the decoder.
  if (size >= 4) {
    static const char* const kModels[] = {"test-order0", "test-bits0", "test-bits-extreme"};
    static const std::uint64_t kChunks[] = {0, 1, 7, 64, 2048};
    try {
      const auto model = test::make_test_predictor(kModels[data[0] % 3]);
      const std::uint64_t length = data[2] | std::uint64_t{data[3] & 0x03u} << 8;  // < 1024
      (void)decode_payload(*model, coding_mode_of(*model), input.subspan(4), length, kChunks[data[1] % 5]);
    } catch (const UserError&) {
    }
  }

  // 3. The input as data: it must come back byte for byte.
  if (size <= 256) {
    for (const char* spec : {"test-order0", "test-bits0"}) {
      const auto model = test::make_test_predictor(spec);
      const Bytes file = compress_to_container(*model, spec, input, size % 3 == 0 ? 0 : 64).file;
      require(decompress_container(file, test::make_test_predictor) == Bytes(input.begin(), input.end()),
              "round trip changed the data");
    }
  }
  return 0;
}

}  // namespace zgen::fuzz
