// The reference code-length state: ℓ(c·x) by compressing c·x from scratch.
#include "zgen/compressor.hpp"

namespace zgen {
namespace {

class RecompressingState final : public CodeLengthState {
 public:
  RecompressingState(const Compressor& compressor, ByteView context)
      : compressor_(compressor), context_(context.begin(), context.end()) {}

  double context_bits() override {
    if (context_bits_ < 0) context_bits_ = compressor_.code_length_bits(context_);
    return context_bits_;
  }
  double bits_with(ByteView continuation) override {
    scratch_.assign(context_.begin(), context_.end());
    scratch_.insert(scratch_.end(), continuation.begin(), continuation.end());
    return compressor_.code_length_bits(scratch_);
  }
  void append(ByteView committed) override {
    context_.insert(context_.end(), committed.begin(), committed.end());
    context_bits_ = -1;
  }
  std::unique_ptr<CodeLengthState> clone() const override {
    return std::make_unique<RecompressingState>(*this);
  }

 private:
  const Compressor& compressor_;
  Bytes context_;
  Bytes scratch_;
  double context_bits_ = -1;
};

}  // namespace

std::unique_ptr<CodeLengthState> recompressing_state(const Compressor& compressor, ByteView context) {
  return std::make_unique<RecompressingState>(compressor, context);
}

std::unique_ptr<CodeLengthState> Compressor::begin(ByteView context) const {
  return recompressing_state(*this, context);
}

}  // namespace zgen
