#pragma once
// LeanModel<2>: the ppm2:N predictor, version 2 of the ppm model, built for speed; and
// LeanModel<3>: ppm3:N, version 3, the same model with a fast path for near-certain bits and
// the paged slot layout (slot_layout.hpp), faster still at a small cost in rate. The family,
// the parts and the primer are ppm:N's (src/models/ppm/ppm.hpp), and so are the bit walk, the
// plumbing and the primed state (BitWalk, bit_walk.hpp); what differs is which parts, and
// why, is in lean_model.cpp. Files name the version by their SPEC ("ppm2:6", "ppm3:6"), so a
// file coded with ppm:N (version 1, ContextMixingModel in model.hpp) decodes with version 1.
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
  // Version 3: whether the fast path predicted this bit (then nothing above was computed
  // past logit[0]), and its map's entry.
  bool fast = false;
  int fast_ctx = 0;
};

template <int Version>
class LeanModel final : public BitWalk<LeanModel<Version>, V2Prediction, kV2MaxContexts, Version >= 3> {
  static_assert(Version == 2 || Version == 3);
  using Walk = BitWalk<LeanModel<Version>, V2Prediction, kV2MaxContexts, Version >= 3>;  // version 3: paged slots

 public:
  static constexpr const char* kFamily = Version == 2 ? "ppm2" : "ppm3";
  static constexpr bool kFastPath = Version >= 3;    // lean_model.cpp
  static constexpr std::array<int, 2> kApmRows = {65536, 16384};  // order 1, hashed order 2
  static std::pair<int, int> line_bits_for(int order);

  // primer: text learned once per process (shared by all instances with the same order and
  // primer); reset() returns to the primed state. Empty: a blank model.
  LeanModel(int order, ByteView primer);

 private:
  friend Walk;
  using Walk::apms_, Walk::bitpos_, Walk::c0_, Walk::history_, Walk::learn_inputs, Walk::learn_states,
      Walk::mixer_rate_, Walk::n_contexts_, Walk::read_inputs, Walk::word_context_;
  static constexpr int kMixers = V2Prediction::kMixers;
  static constexpr int kApms = V2Prediction::kApms;

  // What learns besides the tables and state maps: restored from the primed state on reset.
  struct Learned {
    // mixer 0: sets by (longest order seen × match state × bit position); mixer 1: by c0
    std::array<Mixer, kMixers> mixers;
    // Version 3's fast path: P(1) by (mixer 0's logit in 128 steps × the match's predicted
    // bit or none × bit position); empty in version 2.
    StateMap fast_map;
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
