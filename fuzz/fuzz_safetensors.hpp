#pragma once
// Fuzz target "safetensors": the safetensors reader (src/transformer/safetensors.*) and a
// transformer checkpoint made from what it read (src/transformer/checkpoint.*), as
// `transformer:PATH` loads one, from bytes instead of a file.
//
// Accepted input must survive a round trip: written again by serialize, it parses to the same
// metadata and tensors. A checkpoint that loads must predict: its distribution over the first
// byte and after two bytes is finite and sums to 1.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "fuzz/fuzz_common.hpp"
#include "src/transformer/checkpoint.hpp"
#include "src/transformer/predictor.hpp"
#include "src/transformer/safetensors.hpp"

namespace zgen::fuzz {

inline void check_distribution(Predictor& p, const char* when) {
  std::array<double, 256> lp;
  p.log_probs(lp);
  double sum = 0;
  for (double v : lp) {
    check(!std::isnan(v) && v <= 1e-9, std::string("a log-probability is NaN or positive ") + when);
    sum += std::exp(v);
  }
  check(std::abs(sum - 1) < 1e-6, std::string("the probabilities do not sum to 1 ") + when);
}

inline Outcome fuzz_safetensors(ByteView input) {
  const std::string what = "'fuzz input'";
  safetensors::File file;
  const Outcome parsed = outcome_of([&] { file = safetensors::parse(input, what); });
  if (parsed == Outcome::refused) return parsed;

  // The round trip.
  std::vector<std::vector<float>> values;
  std::vector<safetensors::TensorRef> refs;
  for (const auto& [name, info] : file.tensors) values.push_back(file.read(name));
  std::size_t i = 0;
  for (const auto& [name, info] : file.tensors) refs.push_back({name, info.shape, values[i++]});
  const safetensors::File again = safetensors::parse(safetensors::serialize(refs, file.metadata), "the round trip");
  check(again.metadata == file.metadata, "the round trip changed the metadata");
  check(again.tensors.size() == file.tensors.size(), "the round trip changed the tensors");
  i = 0;
  for (const auto& [name, info] : file.tensors) {
    check(again.tensors.count(name) && again.tensors.at(name).shape == info.shape, "the round trip changed a shape");
    const std::vector<float> v = again.read(name);
    check(v.size() == values[i].size() &&
              std::equal(v.begin(), v.end(), values[i].begin(),
                         [](float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }),
          "the round trip changed a tensor's bytes");
    ++i;
  }

  // The checkpoint.
  return outcome_of([&] {
    transformer::Checkpoint c = transformer::checkpoint_from(file, what);
    TransformerPredictor p(std::move(c.model), "transformer:fuzz");
    p.reset({});
    check_distribution(p, "on an empty context");
    p.observe('a');
    p.observe(0xff);
    check_distribution(p, "after two bytes");
  });
}

}  // namespace zgen::fuzz
