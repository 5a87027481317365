// LeanModel (ppm2:N): version 2 of the ppm model, the same family as ppm:N (ppm.hpp) with
// fewer parts per bit, chosen on development text (the first 400 KB of sotu-train.txt, never
// the files the figures are reported on; BENCHMARKS.md, "ppm2"), each kept only where it paid
// for its time:
//  - contexts: orders 1..min(N,4), then N, N−2, … above 4 (ppm2:6 → 1,2,3,4,6), and the two
//    word contexts (the current word, case-folded, with the last byte; the current and the
//    previous word). No order-0 context (the order-1 one and the APMs cover it: +0.003% on
//    the development text, one context fewer per bit). Each context claims a 16-byte slot
//    of bit-history states per nibble (slot_table.hpp), in tables 4× smaller than ppm:N's
//    (less memory to zero and to miss in; +0.04%).
//  - the match model as in ppm:N, with a 2^18-entry table and a 1 MB history (matches reach
//    back 1 MB).
//  - two mixers instead of three plus a final one, their logits averaged: one with weight
//    sets by (longest order that has seen this context × match length × bit position), one
//    by the partial byte (three and a final mixer measured no better). No bias input: the
//    inputs fit one 8-lane vector for ppm2:6.
//  - two APMs instead of three: order 1 (64K rows) and hashed order 2 (16K rows), averaged
//    with the mixer.
// LeanModel<3> (ppm3:N) is that model with two changes for speed, chosen on the same
// development text (BENCHMARKS.md, "ppm3"):
//  - a fast path. 61% of ppm2:6's bits have P > 0.99 and carry 3% of its output: most of the
//    work per bit goes to bits that say almost nothing. Once mixer 0 has mixed the inputs, an
//    adaptive map calibrates its logit (in 128 steps, by the match's predicted bit and the
//    bit position); where that map is within kFastThreshold/65536 of 0 or 1, the bit is coded
//    with it alone and only the bit histories and the map learn (no state map, second mixer
//    or APM): about half the bits, +0.3% on the development text.
//  - the paged slot layout (slot_layout.hpp): both nibbles' slots of a context in one page
//    (the same rate), the second nibble's candidates fetched at bit 3.
// Everything on the coding path is integer arithmetic, as in ppm:N: the same bits on every
// build and CPU.
#include "src/models/ppm/lean_model.hpp"

#include <algorithm>

#include "src/models/ppm/bit_walk_impl.hpp"
#include "src/models/ppm/priming.hpp"
#include "src/models/ppm/ppm.hpp"

namespace zgen::ppm {
namespace {

constexpr int kInitialWeight = 16384;  // 0.25 per input, as ppm:N's

// The fast path (version 3): its map's contexts, and how near 0 or 1 (· 2^-16) its
// probability must be for a bit to take it.
constexpr int kFastContexts = 128 * 3 * 8;
constexpr int kFastThreshold = 512;
int fast_context(int logit0, int match_ctx, int bitpos) {
  const int match_bit = match_ctx < 0 ? 0 : 1 + (match_ctx & 1);
  return (std::clamp((logit0 + 2048) >> 5, 0, 127) * 3 + match_bit) * 8 + bitpos;
}

// The APM rows of a bit (apm.hpp): order 1 and hashed order 2.
int order2_row(int c0, int c1, int c2) { return apm_order2_row(c0, c1, c2, LeanModel<2>::kApmRows[1]); }

}  // namespace

// log2 of the 64-byte lines of the first- and second-nibble tables: 64 KB + 1 MB for order
// 1 (few distinct contexts), 0.5 + 2 MB for order 2, 1 + 4 MB for the rest.
template <int V>
std::pair<int, int> LeanModel<V>::line_bits_for(int order) {
  switch (order) {
    case 1: return {8, 12};
    case 2: return {13, 15};
    default: return {14, 16};
  }
}

template <int V>
LeanModel<V>::Learned::Learned(int n_contexts, int n_orders)
    : mixers{Mixer(std::vector<std::int32_t>(n_contexts + 1, kInitialWeight), n_orders * 4 * 8),  // + match
             Mixer(std::vector<std::int32_t>(n_contexts + 1, kInitialWeight), 256)},
      fast_map(kFastPath ? kFastContexts : 0, 1023) {}

template <int V>
void LeanModel<V>::Learned::reset() {
  for (auto& m : mixers) m.reset();
  fast_map.reset();
}

template <int V>
LeanModel<V>::LeanModel(int order, ByteView primer)
    : Walk(order, kFamily, 1, 18, 20), learned_(n_contexts_, word_context_) {
  this->install_primer(primer);
}

template <int V>
void LeanModel<V>::prefetch_next() const {
  // The next bit's rows for both outcomes (c0 * 2 and c0 * 2 + 1: one aligned pair in both
  // tables). Only speed depends on this.
  if (bitpos_ == 7) return;  // the next byte's rows depend on the whole byte
  const int c1 = history_.c1(), c2 = history_.c2();
  const int next = c0_ * 2;
  apms_[0].prefetch_rows(apm_order1_row(next, c1), 2);
  apms_[1].prefetch_rows(order2_row(next, c1, c2) & 0xFFFE, 2);
}

template <int V>
void LeanModel<V>::prefetch_byte() const {
  const int c1 = history_.c1(), c2 = history_.c2();
  apms_[0].prefetch_rows(apm_order1_row(1, c1), 1);
  apms_[1].prefetch_rows(order2_row(1, c1, c2), 1);
}

template <int V>
void LeanModel<V>::predict(const Cursor& at, V2Prediction& out) const {
  int match_state;
  const int highest = read_inputs(at, out, match_state);
  out.set = {(highest * 4 + match_state) * 8 + at.bitpos, at.c0};
  out.logit[0] = learned_.mixers[0].dot(out.x.data(), out.set[0]);
  if constexpr (kFastPath) {
    out.fast_ctx = fast_context(out.logit[0], out.match_ctx, at.bitpos);
    const int p_fast = learned_.fast_map.p16(out.fast_ctx);
    out.fast = p_fast <= kFastThreshold || p_fast >= 65536 - kFastThreshold;
    if (out.fast) {
      out.p1 = static_cast<std::uint32_t>(std::clamp(p_fast, 8, 65536 - 8));
      return;
    }
  }
  out.logit[1] = learned_.mixers[1].dot(out.x.data(), out.set[1]);
  out.mixed = (out.logit[0] + out.logit[1]) >> 1;  // floor: the same on every machine
  const int p_mix = squash16(out.mixed);

  const int c1 = history_.c1(), c2 = history_.c2();
  out.apm_row = {apm_order1_row(at.c0, c1), order2_row(at.c0, c1, c2)};
  const int r0 = apms_[0].refine(out.mixed, out.apm_row[0], out.apm_knot[0]);
  const int r1 = apms_[1].refine(out.mixed, out.apm_row[1], out.apm_knot[1]);
  // The APMs correct the mixer; the mixer's own vote keeps a young APM from hurting.
  const int p = (2 * p_mix + 3 * r0 + 3 * r1 + 4) >> 3;
  out.p1 = static_cast<std::uint32_t>(std::clamp(p, 8, 65536 - 8));
}

template <int V>
template <class Undo>
void LeanModel<V>::learn(const Cursor& at, const V2Prediction& pred, int bit, Undo& undo) {
  if constexpr (kFastPath) {
    learned_.fast_map.update(pred.fast_ctx, bit, undo);
    if (pred.fast) {
      learn_states(at, pred, bit, undo);
      return;
    }
  }
  learn_inputs(at, pred, bit, undo);
  for (int m = 0; m < kMixers; ++m)
    learned_.mixers[m].update(pred.x.data(), pred.set[m], (bit << 12) - (squash16(pred.logit[m]) >> 4), mixer_rate_,
                              undo);
  for (int a = 0; a < kApms; ++a) apms_[a].update(pred.apm_row[a], pred.apm_knot[a], bit, undo);
}

template class LeanModel<2>;
template class LeanModel<3>;

}  // namespace zgen::ppm

namespace zgen {

std::unique_ptr<Predictor> make_lean_context_mixing(int order) {
  return make_lean_context_mixing(order, context_mixing_primer());
}

std::unique_ptr<Predictor> make_lean_context_mixing(int order, ByteView primer) {
  return ppm::make_primed_model<ppm::LeanModel<2>>(order, primer);
}

std::unique_ptr<Predictor> make_fast_context_mixing(int order) {
  return make_fast_context_mixing(order, context_mixing_primer());
}

std::unique_ptr<Predictor> make_fast_context_mixing(int order, ByteView primer) {
  return ppm::make_primed_model<ppm::LeanModel<3>>(order, primer);
}

}  // namespace zgen
