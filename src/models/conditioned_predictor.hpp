#pragma once
// A predictor that always starts from a fixed context: reset(x) conditions the inner model on
// context·x. It lets the arithmetic coder (which resets its model at every chunk) code data
// given a context, as `zgen score` does.
#include "zgen/predictor.hpp"

namespace zgen {

class ConditionedPredictor final : public Predictor {
 public:
  ConditionedPredictor(Predictor& inner, ByteView context) : inner_(inner), context_(context.begin(), context.end()) {}
  std::string name() const override { return inner_.name(); }
  void reset(ByteView x) override {
    Bytes joined = context_;
    joined.insert(joined.end(), x.begin(), x.end());
    inner_.reset(joined);
  }
  void observe(std::uint8_t byte) override { inner_.observe(byte); }
  void log_probs(std::span<double, 256> out) override { inner_.log_probs(out); }
  BinaryPredictor* as_binary() override { return inner_.as_binary(); }
  std::uint64_t parameters_hash() const override { return inner_.parameters_hash(); }
  std::string identity() const override { return inner_.identity(); }

 private:
  Predictor& inner_;
  Bytes context_;
};

}  // namespace zgen
