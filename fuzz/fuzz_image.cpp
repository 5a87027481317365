// libFuzzer harness for the fuzz target "image" (its body: fuzz/fuzz_image.hpp).
// Built with -DZGEN_BUILD_FUZZ=ON (clang); run with scripts/fuzz.sh image SECONDS.
#include "fuzz/fuzz_image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)zgen::fuzz::fuzz_image({data, size});
  return 0;
}
