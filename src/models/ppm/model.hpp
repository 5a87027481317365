#pragma once
// ContextMixingModel: the ppm:N predictor (see src/models/ppm/ppm.hpp for the design).
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

class ContextMixingModel final : public Predictor, public BinaryPredictor, public ContinuationCost {
 public:
  static constexpr int kMaxContexts = 16;
  static constexpr int kMaxInputs = kMaxContexts + 2;
  static constexpr int kMixers = 3;

  // primer: text learned once (and shared by all instances with the same order and
  // primer); reset() returns to the primed state. Empty: a blank model.
  ContextMixingModel(int order, ByteView primer);

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

  // ContinuationCost: the ideal code length of each continuation in bits, Σ −log2 p of its bits
  // with the model learning as it goes, exactly as observe() would (the span method's prices).
  // The model is left as it was: every change is logged and rolled back.
  std::vector<double> extra_bits(std::span<const Bytes> continuations) override;
  const std::vector<std::uint8_t>& alphabet() const override;  // all 256 bytes

 private:
  // Everything one bit's prediction was computed from and what updating needs.
  struct Prediction {
    std::array<std::uint8_t, kMaxContexts> state{};  // bit-history state per context
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
  // Where a bit is: the slots of every context and the byte-level context.
  struct Cursor {
    std::uint8_t* const* slot;  // kMaxContexts slots, never null
    int c0;                           // 1 followed by the bits of this byte seen so far
    int bitpos;                       // 0..7
  };

  void predict(const Cursor& at, Prediction& out) const;
  // The one update rule, for the coding path (NoUndo) and for log_probs (UndoLog).
  template <class Undo>
  void learn(const Cursor& at, const Prediction& pred, int bit, Undo& undo);
  void walk_tree(std::array<std::uint8_t*, kMaxContexts> slots, int c0, int bitpos, double log_p,
                 std::span<double, 256> out);
  // One bit observed: the coding path (NoUndo) and extra_bits (UndoLog) share it.
  template <class Undo>
  void advance(int bit, Undo& undo);
  // The byte-level context that the contexts hash: the last 16 bytes and the words.
  struct History {
    std::uint64_t last8 = 0, prev8 = 0;  // the last 16 bytes, newest in the low byte of last8
    std::uint64_t word = 0, prev_word = 0;
    void push(std::uint8_t byte);
  };
  void context_hashes(const History& h, std::array<std::uint64_t, kMaxContexts>& out) const;
  // Starts fetching the APM rows the next bit will read, for both outcomes (called once
  // this bit is predicted).
  void prefetch_next() const;
  template <class Undo>
  void begin_byte(Undo& undo);    // claims first-nibble slots for the new byte
  template <class Undo>
  void begin_nibble(Undo& undo);  // claims second-nibble slots
  std::uint64_t first_nibble_hash(int context) const;
  std::uint64_t second_nibble_hash(int context, int high_nibble) const;
  void clear();
  struct Primed;
  // The primed state for (order, primer), primed on first use. The call that primes also
  // gets the blank model it primed in `donor` (its tables hold exactly the primed state, so
  // the new instance takes them over instead of zeroing and filling ~110 MB of its own).
  static std::shared_ptr<const Primed> primed_state(int order, ByteView primer,
                                                    std::unique_ptr<ContextMixingModel>& donor);
  void allocate_tables();

  std::shared_ptr<const Primed> primed_;
  std::uint64_t primer_hash_ = 0;  // fnv1a64 of the primer; 0 for a blank model
  int order_;
  std::string name_;
  std::vector<int> orders_;  // context orders, 0 first
  int n_contexts_;           // orders + 2 word contexts
  int n_inputs_;             // n_contexts_ + match + bias
  int first_word_context_;

  std::vector<std::unique_ptr<SlotTable>> first_, second_;  // per context
  std::vector<StateMap> state_maps_;                        // per context, by state
  StateMap match_map_;
  MatchModel match_;
  std::vector<Mixer> mixers_;
  Mixer final_mixer_;
  std::vector<Apm> apms_;

  // Byte-level context.
  std::array<std::uint64_t, kMaxContexts> context_hash_{};
  std::array<std::uint8_t*, kMaxContexts> slot_{};
  History history_;
  int c0_ = 1, bitpos_ = 0;
  std::uint64_t bytes_seen_ = 0;
  int mixer_rate_ = 0;   // the first-layer mixers' learning rate for this byte (begin_byte)
  int match_byte_ = -1;  // predicted byte of the match model for this byte, -1: none
  int match_len_ = 0;

  UndoLog undo_;
  std::array<std::array<std::uint8_t, SlotTable::kSlotBytes>, kMaxContexts> scratch_{};  // absent slots in log_probs
  Prediction pending_;
  bool pending_valid_ = false;
};

}  // namespace zgen::ppm
