// libFuzzer harness for the .zgen container parser and the model-driven decoder.
// Build and run: scripts/fuzz.sh (clang, -fsanitize=fuzzer,address,undefined).
#include "fuzz/fuzz_container.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return zgen::fuzz::fuzz_container_one_input(data, size);
}
