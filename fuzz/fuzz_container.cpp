// libFuzzer harness for the fuzz target "container" (its body: fuzz/fuzz_container.hpp).
// Built with -DZGEN_BUILD_FUZZ=ON (clang); run with scripts/fuzz.sh container SECONDS.
#include "fuzz/fuzz_container.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)zgen::fuzz::fuzz_container({data, size});
  return 0;
}
