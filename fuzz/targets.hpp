#pragma once
// Every fuzz target's body by name: fuzz/fuzz_<name>.cpp is its libFuzzer harness and
// fuzz/corpus/<name>/ its saved inputs (tests/test_fuzz_corpus.cpp checks that the three agree).
#include "fuzz/fuzz_audio.hpp"
#include "fuzz/fuzz_container.hpp"
#include "fuzz/fuzz_image.hpp"
#include "fuzz/fuzz_safetensors.hpp"
#include "fuzz/fuzz_spec.hpp"

namespace zgen::fuzz {

struct Target {
  const char* name;
  Outcome (*body)(ByteView input);
};

inline constexpr Target kTargets[] = {
    {"audio", fuzz_audio}, {"container", fuzz_container}, {"image", fuzz_image},
    {"safetensors", fuzz_safetensors}, {"spec", fuzz_spec},
};

}  // namespace zgen::fuzz
