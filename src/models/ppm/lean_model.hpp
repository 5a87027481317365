#pragma once
// LeanModel: the ppm2:N predictor, version 2 of the ppm model, built for speed. The family,
// the parts and the primer are ppm:N's (src/models/ppm/ppm.hpp); what differs is which
// parts, and why, is in lean_model.cpp. Files name the version by their SPEC ("ppm2:6"), so
// a file coded with ppm:N (version 1, ContextMixingModel in model.hpp) decodes with version 1.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/models/ppm/apm.hpp"
#include "src/models/ppm/match_model.hpp"
#include "src/models/ppm/mixer.hpp"
#include "src/models/ppm/slot_table.hpp"
#include "src/models/ppm/state_map.hpp"
#include "src/models/ppm/undo_log.hpp"
#include "zgen/predictor.hpp"

namespace zgen::ppm {

class LeanModel final : public Predictor, public BinaryPredictor, public ContinuationCost {
 public:
  static constexpr int kMaxContexts = 10;  // ppm2:12: orders 1-4, 8, 10, 12 and two word contexts
  static constexpr int kMaxInputs = kMaxContexts + 2;  // + match + bias
  static constexpr int kWidth = Mixer::padded_width(kMaxInputs);
  static constexpr int kMixers = 2;
  static constexpr int kApms = 2;

  // primer: text learned once per process (shared by all instances with the same order and
  // primer); reset() returns to the primed state. Empty: a blank model.
  LeanModel(int order, ByteView primer);

  // Predictor
  std::string name() const override { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  void reset(ByteView context) override;
  void observe(std::uint8_t byte) override;
  void log_probs(std::span<double, 256> out) override;
  BinaryPredictor* as_binary() override { return this; }
  ContinuationCost* as_continuation_cost() override { return this; }
  std::uint64_t parameters_hash() const override { return primer_hash_; }

  // BinaryPredictor
  std::uint32_t p1() override;
  void update_bit(int bit) override;

  // ContinuationCost: Σ −log2 p of each continuation's bits, the model learning as it goes
  // exactly as observe() would, and left as it was (every change logged and rolled back).
  std::vector<double> extra_bits(std::span<const Bytes> continuations) override;
  const std::vector<std::uint8_t>& alphabet() const override;  // all 256 bytes

 private:
  // Everything one bit's prediction was computed from and what learning it needs.
  struct Prediction {
    std::array<std::uint8_t, kMaxContexts> state{};  // bit-history state per context
    std::array<int, kWidth> x{};                     // mixer inputs (logits), zero past the last
    std::array<int, kMixers> set{}, logit{};         // per mixer: weight set, output logit
    int match_ctx = -1;                              // match StateMap entry, -1: no match
    int mixed = 0;                                   // the mixers' mean logit
    std::array<int, kApms> apm_row{}, apm_knot{};
    std::uint32_t p1 = 0;
  };
  // Where a bit is: every context's slot for this nibble, and the partial byte.
  struct Cursor {
    std::uint8_t* const* slot;  // n_contexts_ slots, never null
    int c0;                     // 1 followed by the bits of this byte seen so far
    int bitpos;                 // 0..7
  };
  // The byte-level context the contexts hash.
  struct History {
    std::uint64_t last8 = 0;  // the last 8 bytes, newest in the low byte
    std::uint64_t prev8 = 0;  // the 8 before them (orders above 8)
    std::uint64_t word = 0, prev_word = 0;
    void push(std::uint8_t byte);
  };

  void predict(const Cursor& at, Prediction& out) const;
  // The one update rule, for the coding path (NoUndo) and for log_probs/extra_bits (UndoLog).
  template <class Undo>
  void learn(const Cursor& at, const Prediction& pred, int bit, Undo& undo);
  template <class Undo>
  void advance(int bit, Undo& undo);
  template <class Undo>
  void begin_byte(Undo& undo);    // claims the first-nibble slots of the new byte
  template <class Undo>
  void begin_nibble(Undo& undo);  // claims the second-nibble slots
  void prefetch_next() const;     // the next bit's APM rows, for both outcomes
  void walk_tree(std::array<std::uint8_t*, kMaxContexts> slots, int c0, int bitpos, double log_p,
                 std::span<double, 256> out);
  std::uint64_t second_nibble_hash(int context, int high_nibble) const;
  void clear();
  struct Primed;
  // As ContextMixingModel::primed_state (model.hpp): primed once per (order, primer); the call
  // that primes hands over the primed blank model's tables in `donor`.
  static std::shared_ptr<const Primed> primed_state(int order, ByteView primer, std::unique_ptr<LeanModel>& donor);
  void allocate_tables();

  std::shared_ptr<const Primed> primed_;
  std::uint64_t primer_hash_ = 0;  // fnv1a64 of the primer; 0 for a blank model
  int order_;
  std::string name_;
  std::vector<int> orders_;  // context orders, lowest first
  int n_contexts_;           // orders + 2 word contexts
  int word_context_;         // index of the first word context
  int n_inputs_;             // n_contexts_ + match + bias

  std::vector<std::unique_ptr<SlotTable>> first_, second_;  // per context
  StateMap state_map_;                                      // by context × 256 + state
  StateMap match_map_;
  MatchModel match_;
  std::array<Mixer, kMixers> mixers_;
  std::vector<Apm> apms_;

  std::array<std::uint64_t, kMaxContexts> context_hash_{};
  std::array<std::uint8_t*, kMaxContexts> slot_{};
  History history_;
  int c0_ = 1, bitpos_ = 0;
  std::uint64_t bytes_seen_ = 0;
  int mixer_rate_ = 0;   // the mixers' learning rate for this byte (begin_byte)
  int match_byte_ = -1;  // the match model's predicted byte, -1: none
  int match_len_ = 0;
  int match_state_ = 0;  // 0: no match, 1..3: short, medium, long

  UndoLog undo_;
  std::array<std::array<std::uint8_t, SlotTable::kSlotBytes>, kMaxContexts> scratch_{};  // absent slots in log_probs
  Prediction pending_;
  bool pending_valid_ = false;
};

}  // namespace zgen::ppm
