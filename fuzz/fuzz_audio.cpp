// libFuzzer harness for the fuzz target "audio" (its body: fuzz/fuzz_audio.hpp).
// Built with -DZGEN_BUILD_FUZZ=ON (clang); run with scripts/fuzz.sh audio SECONDS.
#include "fuzz/fuzz_audio.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)zgen::fuzz::fuzz_audio({data, size});
  return 0;
}
