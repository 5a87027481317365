#pragma once
// ContextMixingModel: the ppm:N predictor (see src/models/ppm/ppm.hpp for the design). The
// bit walk, the plumbing and the primed state are BitWalk's (bit_walk.hpp), shared with
// ppm2:N; this class is what version 1 predicts and learns per bit.
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "src/models/ppm/bit_walk.hpp"
#include "src/models/ppm/mixer.hpp"

namespace zgen::ppm {

inline constexpr int kV1MaxContexts = 16;

// Everything one bit's prediction was computed from and what updating needs.
struct V1Prediction {
  static constexpr int kMixers = 3;
  static constexpr int kMaxInputs = kV1MaxContexts + 2;  // + match + bias
  std::array<std::uint8_t, kV1MaxContexts> state{};  // bit-history state per context
  // Mixer inputs (logits) and mixer outputs + bias (the final mixer's inputs), zero past
  // the last one: the mixers read whole padded widths (mixer.hpp).
  std::array<int, Mixer::padded_width(kMaxInputs)> x{};
  std::array<int, kMixers> set{};                   // weight set per mixer
  std::array<int, Mixer::padded_width(kMixers + 1)> h{};
  int match_ctx = -1;                               // match StateMap entry, -1: no match
  int p_mix = 0;                                    // final mixer output (16-bit)
  std::array<int, 3> apm_row{}, apm_knot{};
  std::uint32_t p1 = 0;
};

class ContextMixingModel final : public BitWalk<ContextMixingModel, V1Prediction, kV1MaxContexts> {
 public:
  static constexpr const char* kFamily = "ppm";
  static constexpr std::array<int, 3> kApmRows = {256, 65536, 65536};  // orders 0, 1, hashed 2
  static std::pair<int, int> line_bits_for(int order);

  // primer: text learned once (and shared by all instances with the same order and
  // primer); reset() returns to the primed state. Empty: a blank model.
  ContextMixingModel(int order, ByteView primer);

 private:
  friend class BitWalk<ContextMixingModel, V1Prediction, kV1MaxContexts>;
  static constexpr int kMixers = V1Prediction::kMixers;

  // What learns besides the tables and state maps: restored from the primed state on reset.
  struct Learned {
    std::vector<Mixer> mixers;         // by partial byte; longest order × match state; previous byte
    Mixer final_mixer;
    explicit Learned(int n_contexts);
    void reset();
  };

  void predict(const Cursor& at, V1Prediction& out) const;
  // The one update rule, for the coding path (NoUndo) and for log_probs (UndoLog).
  template <class Undo>
  void learn(const Cursor& at, const V1Prediction& pred, int bit, Undo& undo);
  // Starts fetching the APM rows the next bit will read, for both outcomes (called once
  // this bit is predicted).
  void prefetch_next() const;
  void prefetch_byte() const;  // the new byte's first APM rows

  Learned learned_;
};

}  // namespace zgen::ppm
