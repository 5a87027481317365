#pragma once
// The models the container and SPEC fuzzers build from SPECs found in their input.
//
// Safety: a cmd: SPEC runs a program and transformer:PATH opens a file, so no SPEC that
// contains "cmd" or "transformer" anywhere (a mix part included) ever reaches make_predictor
// here; such a SPEC is refused as if the model were unavailable. The test is on the raw text,
// not on how the registry parses it, so that no change to the registry can make a fuzzer run
// a command.
//
// Speed: ppm:N is built blank, as ppm:N:unprimed: priming takes 4 to 15 s per order under the
// sanitizers, and the primer changes only where the tables start, not the code that a SPEC or a
// file reaches (a file made with a primed ppm is refused as a model mismatch). Models are built
// once per process and lent out. A ppm:6 is ~120 MB of tables plus
// its primed image, and building one per input held the container fuzzer to 88 inputs/s.
// Lending is sound because the coder resets the model before every chunk (Predictor::reset
// forgets everything since the start), so a lent model behaves as a new one.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/models/mixed_predictor.hpp"
#include "src/models/ppm/ppm.hpp"
#include "tests/coder_test_models.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"

namespace zgen::fuzz {

inline bool names_program_or_file(const std::string& spec) {
  return spec.find("cmd") != std::string::npos || spec.find("transformer") != std::string::npos;
}

// The SPEC with every primed ppm part made blank ("ppm" → "ppm:6:unprimed", "ppm:N" →
// "ppm:N:unprimed"); a malformed mix is left for make_predictor to report.
inline std::string with_blank_ppm(const std::string& spec) {
  const auto blank = [](const std::string& part) -> std::string {
    const std::string suffix = ":unprimed";
    if (part == "ppm") return "ppm:" + std::to_string(kContextMixingDefaultOrder) + suffix;
    const bool blank_already = part.size() >= suffix.size() && part.compare(part.size() - suffix.size(), suffix.size(), suffix) == 0;
    return part.rfind("ppm:", 0) == 0 && !blank_already ? part + suffix : part;
  };
  if (spec.rfind("mix:", 0) != 0) return blank(spec);
  std::vector<std::string> parts;
  try {
    parts = mix_part_specs(spec);
  } catch (const UserError&) {
    return spec;
  }
  std::string out = "mix:";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "+" : "") + blank(parts[i]);
  return out;
}

// A model shared with the cache, seen through a Predictor that forwards every call (it stays
// alive if the cache lets go of it meanwhile).
class LentPredictor final : public Predictor {
 public:
  explicit LentPredictor(std::shared_ptr<Predictor> model) : model_(std::move(model)) {}
  std::string name() const override { return model_->name(); }
  void reset(ByteView context) override { model_->reset(context); }
  void observe(std::uint8_t byte) override { model_->observe(byte); }
  void log_probs(std::span<double, 256> out) override { model_->log_probs(out); }
  BinaryPredictor* as_binary() override { return model_->as_binary(); }
  std::uint64_t parameters_hash() const override { return model_->parameters_hash(); }

 private:
  std::shared_ptr<Predictor> model_;
};

// "test-*" names the coder's small test models (tests/coder_test_models.hpp); every other SPEC
// goes to make_predictor. Not thread-safe, and a model is lent to one user at a time (the
// fuzzers decode on one thread).
class ModelCache {
 public:
  static ModelCache& instance() {
    static ModelCache cache;
    return cache;
  }

  std::unique_ptr<Predictor> lend(const std::string& spec) {
    if (names_program_or_file(spec)) throw UserError("the fuzzer builds no cmd: or transformer: model");
    const bool test_model = spec.rfind("test-", 0) == 0;
    const std::string built = test_model ? spec : with_blank_ppm(spec);
    auto it = models_.find(built);
    if (it == models_.end()) {
      // A bounded number of models stay built (each ppm holds its tables).
      if (models_.size() >= kMaxModels) models_.clear();
      it = models_.emplace(built, test_model ? test::make_test_predictor(built) : make_predictor(built)).first;
    }
    return std::make_unique<LentPredictor>(it->second);
  }

 private:
  static constexpr std::size_t kMaxModels = 8;
  std::map<std::string, std::shared_ptr<Predictor>> models_;
};

}  // namespace zgen::fuzz
