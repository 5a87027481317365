#pragma once
// Fuzz target "spec": SPEC strings, as make_compressor (compressors/registry.cpp) and
// make_predictor (src/models/model_registry.cpp, src/models/mixed_predictor.cpp) parse them.
//
// The input is the SPEC. It goes to make_compressor whatever it says: building a compressor
// runs nothing (a cmd: compressor runs its program in compress(), never called here for it).
// It goes to make_predictor only through ModelCache, which refuses any SPEC containing "cmd" or
// "transformer" (fuzz_models.hpp): a cmd: model runs its program as soon as it is built, and
// transformer:PATH would open whatever file the fuzzer names.
// What a SPEC builds is exercised the first time its name is seen (a compressor must give back
// what it compresses; a model must give a distribution), so that a level the registry accepts
// but the library refuses is found, without paying for an xz:9 on every input. Models made of
// compressors are not exercised: one distribution costs 256 compressions (seconds for xz:9
// under the sanitizers), and the compressor itself is.
#include <array>
#include <cmath>
#include <set>
#include <string>

#include "fuzz/fuzz_common.hpp"
#include "fuzz/fuzz_models.hpp"
#include "src/models/mixed_predictor.hpp"
#include "zgen/compressor.hpp"

namespace zgen::fuzz {

inline bool first_time(const std::string& name) {
  static std::set<std::string> seen;
  return seen.insert(name).second;
}

// ppm, or a mix of ppm models only.
inline bool made_of_ppm(const std::string& spec) {
  if (spec.rfind("mix:", 0) != 0) return spec.rfind("ppm", 0) == 0;
  for (const auto& part : mix_part_specs(spec))
    if (part.rfind("ppm", 0) != 0) return false;
  return true;
}

inline void exercise_compressor(const Compressor& c) {
  static const std::string text = "a SPEC fuzzer's text, a SPEC fuzzer's text: 0123456789";
  const Bytes packed = c.compress(as_bytes(text));
  check(c.decompress(packed) == Bytes(text.begin(), text.end()), c.name() + " did not give back what it compressed");
  const double bits = c.code_length_bits(as_bytes(text));
  check(bits > 0 && std::isfinite(bits), c.name() + " gave a code length of " + std::to_string(bits));
}

inline void exercise_predictor(Predictor& p) {
  std::array<double, 256> lp;
  p.reset(as_bytes("context"));
  p.observe('!');
  p.log_probs(lp);
  double sum = 0;
  for (double v : lp) {
    check(!std::isnan(v), p.name() + " gave a NaN log-probability");
    sum += std::exp(v);
  }
  check(std::abs(sum - 1) < 1e-6, p.name() + "'s probabilities do not sum to 1");
}

inline Outcome fuzz_spec(ByteView input) {
  const std::string spec = as_string(input);
  const Outcome as_compressor = outcome_of([&] {
    const auto c = make_compressor(spec, 1.0);
    if (c->name().rfind("cmd:", 0) != 0 && !names_program_or_file(spec) && first_time("compressor " + c->name()))
      exercise_compressor(*c);
  });
  const Outcome as_model = outcome_of([&] {
    const auto p = ModelCache::instance().lend(spec);
    if (made_of_ppm(spec) && first_time("model " + p->name())) exercise_predictor(*p);
  });
  return as_compressor == Outcome::accepted || as_model == Outcome::accepted ? Outcome::accepted : Outcome::refused;
}

}  // namespace zgen::fuzz
