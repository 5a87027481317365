#pragma once
// LeanModel: the ppm2:N predictor, version 2 of the ppm model, built for speed. The family,
// the parts and the primer are ppm:N's (src/models/ppm/ppm.hpp), and so are the bit walk, the
// plumbing and the primed state (BitWalk, bit_walk.hpp); what differs is which parts, and
// why, is in lean_model.cpp. Files name the version by their SPEC ("ppm2:6"), so a file coded
// with ppm:N (version 1, ContextMixingModel in model.hpp) decodes with version 1.
#include <array>
#include <cstdint>
#include <utility>

#include "src/models/ppm/bit_walk.hpp"
#include "src/models/ppm/mixer.hpp"

namespace zgen::ppm {

inline constexpr int kV2MaxContexts = 10;  // ppm2:12: orders 1-4, 8, 10, 12 and two word contexts

// Everything one bit's prediction was computed from and what learning it needs.
struct V2Prediction {
  static constexpr int kMixers = 2;
  static constexpr int kApms = 2;
  static constexpr int kWidth = Mixer::padded_width(kV2MaxContexts + 1);  // + match
  std::array<std::uint8_t, kV2MaxContexts> state{};  // bit-history state per context
  std::array<int, kWidth> x{};                       // mixer inputs (logits), zero past the last
  std::array<int, kMixers> set{}, logit{};           // per mixer: weight set, output logit
  int match_ctx = -1;                                // match StateMap entry, -1: no match
  int mixed = 0;                                     // the mixers' mean logit
  std::array<int, kApms> apm_row{}, apm_knot{};
  std::uint32_t p1 = 0;
};

class LeanModel final : public BitWalk<LeanModel, V2Prediction, kV2MaxContexts> {
 public:
  static constexpr const char* kFamily = "ppm2";
  static constexpr std::array<int, 2> kApmRows = {65536, 16384};  // order 1, hashed order 2
  static std::pair<int, int> line_bits_for(int order);

  // primer: text learned once per process (shared by all instances with the same order and
  // primer); reset() returns to the primed state. Empty: a blank model.
  LeanModel(int order, ByteView primer);

 private:
  friend class BitWalk<LeanModel, V2Prediction, kV2MaxContexts>;
  static constexpr int kMixers = V2Prediction::kMixers;
  static constexpr int kApms = V2Prediction::kApms;

  // What learns besides the tables and state maps: restored from the primed state on reset.
  struct Learned {
    // mixer 0: sets by (longest order seen × match state × bit position); mixer 1: by c0
    std::array<Mixer, kMixers> mixers;
    Learned(int n_contexts, int n_orders);
    void reset();
  };

  void predict(const Cursor& at, V2Prediction& out) const;
  // The one update rule, for the coding path (NoUndo) and for log_probs/extra_bits (UndoLog).
  template <class Undo>
  void learn(const Cursor& at, const V2Prediction& pred, int bit, Undo& undo);
  void prefetch_next() const;  // the next bit's APM rows, for both outcomes
  void prefetch_byte() const;  // the new byte's first APM rows

  Learned learned_;
};

}  // namespace zgen::ppm
