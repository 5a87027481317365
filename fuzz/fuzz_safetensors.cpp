// libFuzzer harness for the fuzz target "safetensors" (its body: fuzz/fuzz_safetensors.hpp).
// Built with -DZGEN_BUILD_FUZZ=ON (clang); run with scripts/fuzz.sh safetensors SECONDS.
#include "fuzz/fuzz_safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)zgen::fuzz::fuzz_safetensors({data, size});
  return 0;
}
