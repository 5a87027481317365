// The reference code-length state: ℓ(x | c) from scratch for every x, by the SPEC's definition
// (code_length_bits_given; for most SPECs that is compressing c·x).
#include "zgen/compressor.hpp"

namespace zgen {
namespace {

class RecompressingState final : public CodeLengthState {
 public:
  RecompressingState(const Compressor& compressor, ByteView context)
      : compressor_(compressor), context_(context.begin(), context.end()) {}

  double context_bits() override {
    if (context_bits_ < 0) context_bits_ = compressor_.code_length_bits_given(context_, {});
    return context_bits_;
  }
  double bits_with(ByteView continuation) override {
    return compressor_.code_length_bits_given(context_, continuation);
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
  double context_bits_ = -1;
};

}  // namespace

std::unique_ptr<CodeLengthState> recompressing_state(const Compressor& compressor, ByteView context) {
  return std::make_unique<RecompressingState>(compressor, context);
}

double Compressor::code_length_bits_given(ByteView context, ByteView continuation) const {
  Bytes joined(context.begin(), context.end());
  joined.insert(joined.end(), continuation.begin(), continuation.end());
  return code_length_bits(joined);
}

std::unique_ptr<CodeLengthState> Compressor::begin(ByteView context) const {
  return recompressing_state(*this, context);
}

}  // namespace zgen
