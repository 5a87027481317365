// libFuzzer harness for the fuzz target "spec" (its body: fuzz/fuzz_spec.hpp).
// Built with -DZGEN_BUILD_FUZZ=ON (clang); run with scripts/fuzz.sh spec SECONDS.
#include "fuzz/fuzz_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)zgen::fuzz::fuzz_spec({data, size});
  return 0;
}
