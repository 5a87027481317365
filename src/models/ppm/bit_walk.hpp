#pragma once
// BitWalk: what the ppm versions (ContextMixingModel, ppm:N; LeanModel<2> and <3>, ppm2:N and
// ppm3:N) share,
// written once: the walk over a byte's 8 bits (claiming slots per nibble, the byte-level
// context, the match model), the Predictor / BinaryPredictor / ContinuationCost plumbing,
// and the primed state (priming.hpp). A version supplies, as `Model` (CRTP, so the calls
// per bit are direct and inlined, never virtual):
//   static constexpr const char* kFamily;               // "ppm", "ppm2" or "ppm3", in errors and names
//   static constexpr std::array<int, A> kApmRows;        // rows of each APM
//   static std::pair<int, int> line_bits_for(int order); // log2 lines of its first/second-nibble tables
//   struct Learned { void reset(); };                    // its mixers: copied from the primed
//   Learned learned_;                                    //   state on reset
//   void predict(const Cursor&, Prediction&) const;      // one bit's prediction
//   template <class Undo> void learn(const Cursor&, const Prediction&, int bit, Undo&);
//   void prefetch_next() const;                          // once a bit is predicted (speed only)
//   void prefetch_byte() const;                          // once a byte is known (speed only)
// and `Prediction`, which has `std::uint32_t p1` (P(1) · 2^16, in [8, 65528]) and what
// read_inputs()/learn_inputs() fill and read: `state` (per context), `x` (mixer inputs) and
// `match_ctx`.
// Definitions: bit_walk_impl.hpp and priming.hpp, included by the versions' .cpp files only.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "src/models/ppm/apm.hpp"
#include "src/models/ppm/contexts.hpp"
#include "src/models/ppm/match_model.hpp"
#include "src/models/ppm/slot_layout.hpp"
#include "src/models/ppm/state_map.hpp"
#include "src/models/ppm/undo_log.hpp"
#include "zgen/predictor.hpp"

namespace zgen::ppm {

// Where a bit is: every context's slot for this nibble, and the partial byte.
struct Cursor {
  std::uint8_t* const* slot;  // n_contexts slots, never null
  int c0;                     // 1 followed by the bits of this byte seen so far
  int bitpos;                 // 0..7
  // The bit's node in its nibble's slot: 1..15 (1, then 2-3, 4-7, 8-15 within the nibble).
  int node() const { return bitpos < 4 ? c0 : (1 << (bitpos - 4)) | (c0 & ((1 << (bitpos - 4)) - 1)); }
};

// PagedSlots: the slots' layout (slot_layout.hpp): a parameter, not a member of Model, since
// the tables' type must be known while Model is still incomplete.
template <class Model, class Prediction, int MaxContexts, bool PagedSlots = false>
class BitWalk : public Predictor, public BinaryPredictor, public ContinuationCost {
 public:
  static constexpr int kMaxContexts = MaxContexts;

  // Predictor
  std::string name() const final { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  void reset(ByteView context) final;
  void observe(std::uint8_t byte) final;
  // Walks all 255 nodes of the next byte's bit tree with the coding path's updates, rolled
  // back: exp(out[b]) is the product of b's 8 bit probabilities, the model unchanged.
  void log_probs(std::span<double, 256> out) final;
  BinaryPredictor* as_binary() final { return this; }
  ContinuationCost* as_continuation_cost() final { return this; }
  std::uint64_t parameters_hash() const final { return primer_hash_; }

  // BinaryPredictor
  std::uint32_t p1() final;
  void update_bit(int bit) final;

  // ContinuationCost: Σ −log2 p of each continuation's bits, the model learning as it goes
  // exactly as observe() would, and left as it was (every change logged and rolled back).
  std::vector<double> extra_bits(std::span<const Bytes> continuations) final;
  const std::vector<std::uint8_t>& alphabet() const final;  // all 256 bytes

 protected:
  // lowest_order: the lowest context order (orders_for); the match model's table and
  // history hold 2^match_table_bits entries and 2^match_history_bits bytes.
  BitWalk(int order, const char* family, int lowest_order, int match_table_bits, int match_history_bits);
  // The end of the version's constructor, once its Learned is set up: primes (or installs
  // the primed state for order and primer; none if primer is empty) and clears.
  void install_primer(ByteView primer);

  // The inputs both versions mix: out.state[i] and out.x[i] = stretch(p) for each context i,
  // out.x[n_contexts_] the match model's (0 when it predicts nothing for this bit) and
  // out.match_ctx. Returns the index of the longest order whose context has seen this node
  // (0 if none); match_state: match_state_ if the match predicts this bit, else 0.
  int read_inputs(const Cursor& at, Prediction& out, int& match_state) const;
  // Their learning: each context's bit history and state map, and the match's StateMap.
  template <class Undo>
  void learn_inputs(const Cursor& at, const Prediction& pred, int bit, Undo& undo);
  // Only the contexts' bit histories (ppm3's fast path: no state map learns).
  template <class Undo>
  void learn_states(const Cursor& at, const Prediction& pred, int bit, Undo& undo);

  Model& self() { return static_cast<Model&>(*this); }
  const Model& self() const { return static_cast<const Model&>(*this); }

  struct Primed;
  std::shared_ptr<const Primed> primed_;
  std::uint64_t primer_hash_ = 0;  // fnv1a64 of the primer; 0 for a blank model
  int order_;
  std::string name_;
  std::vector<int> orders_;  // context orders, lowest first
  int n_contexts_;           // orders + 2 word contexts
  int word_context_;         // index of the first word context

  std::vector<ContextSlots<PagedSlots>> tables_;  // per context
  StateMap state_map_;  // by context × 256 + bit-history state
  StateMap match_map_;  // by quantised match length × predicted bit
  MatchModel match_;
  std::vector<Apm> apms_;

  // Byte-level context.
  std::array<std::uint64_t, MaxContexts> context_hash_{};
  std::array<std::uint8_t*, MaxContexts> slot_{};
  History history_;
  int c0_ = 1, bitpos_ = 0;
  std::uint64_t bytes_seen_ = 0;
  int mixer_rate_ = 0;   // the first-layer mixers' learning rate for this byte (begin_byte)
  int match_byte_ = -1;  // the match model's predicted byte, -1: none
  int match_len_ = 0;
  int match_state_ = 0;  // 0: no match, 1..3: short (< 16), medium (< 32), long

 private:
  // One primed state per (order, primer) per process (priming is far dearer than installing
  // it). The call that primes also gets the blank model it primed in `donor`: its tables
  // hold exactly the primed state, so the new instance takes them over instead of zeroing
  // and filling its own.
  static std::shared_ptr<const Primed> primed_state(int order, ByteView primer, std::unique_ptr<Model>& donor);
  void allocate_tables();
  void clear();  // back to the primed (or blank) state, the byte-level context blank
  // One bit observed: the coding path (NoUndo) and extra_bits (UndoLog) share it.
  template <class Undo>
  void advance(int bit, Undo& undo);
  void fetch_first_nibble();      // the new byte's context hashes; starts fetching their slots
  template <class Undo>
  void begin_byte(Undo& undo);    // claims them (after fetch_first_nibble)
  template <class Undo>
  void begin_nibble(Undo& undo);  // claims the second-nibble slots
  void walk_tree(std::array<std::uint8_t*, MaxContexts> slots, int c0, int bitpos, double log_p,
                 std::span<double, 256> out);

  UndoLog undo_;
  std::array<std::array<std::uint8_t, SlotTable::kSlotBytes>, MaxContexts> scratch_{};  // absent slots in log_probs
  // Lines computed (and fetched) by one step and claimed in by the next, never read
  // otherwise (so extra_bits need not save them): each context's first-nibble line, from
  // fetch_first_nibble to begin_byte; with paged slots, each context's second-nibble hash
  // and line for both outcomes of bit 3, [bit 3][context], from bit 3 to begin_nibble.
  std::array<std::uint8_t*, MaxContexts> first_line_{};
  std::array<std::array<std::uint64_t, MaxContexts>, 2> ahead_hash_{};
  std::array<std::array<std::uint8_t*, MaxContexts>, 2> ahead_line_{};
  Prediction pending_;
  bool pending_valid_ = false;
};

}  // namespace zgen::ppm
