// ContextMixingModel: what ppm:N predicts and learns per bit. The design and its reasons
// are in src/models/ppm/ppm.hpp; the walk over the bits and the primed state are
// BitWalk's (bit_walk.hpp), the parts are in the other files of src/models/ppm.
#include "src/models/ppm/model.hpp"

#include <algorithm>

#include "src/models/ppm/bit_walk_impl.hpp"
#include "src/models/ppm/priming.hpp"
#include "src/models/ppm/ppm.hpp"
#include "zgen/corpus.hpp"

namespace zgen::ppm {
namespace {

// Tuned on the first 100-250 KB of sotu-valid.txt (and checked on the whole file).
constexpr int kInitialWeight = 16384;   // 0.25 per input
constexpr int kFinalMixerRate = 12;
constexpr int kFinalInitialWeight = 21845;  // 1/3 per first-layer mixer
constexpr int kFinalMixerSets = 1;
static_assert(kFinalMixerRate <= Mixer::kMaxRate, "the mixers' 32-bit update is exact only up to Mixer::kMaxRate");

// The APM rows of a bit (apm.hpp): order 0 (the partial byte), order 1, hashed order 2.
int order2_row(int c0, int c1, int c2) { return apm_order2_row(c0, c1, c2, ContextMixingModel::kApmRows[2]); }

}  // namespace

// Table sizes (log2 of 64-byte lines) for a context of order k: low orders have few
// distinct contexts; high orders and words get 4 MB + 16 MB.
std::pair<int, int> ContextMixingModel::line_bits_for(int order) {
  switch (order) {
    case 0: return {2, 4};
    case 1: return {8, 12};
    case 2: return {14, 16};
    default: return {16, 18};
  }
}

ContextMixingModel::Learned::Learned(int n_contexts)
    : final_mixer({kFinalInitialWeight, kFinalInitialWeight, kFinalInitialWeight, 0}, kFinalMixerSets) {
  std::vector<std::int32_t> w0(n_contexts + 2, kInitialWeight);  // + match + bias
  w0.back() = 0;  // bias
  mixers.emplace_back(w0, 256);  // by partial byte c0
  mixers.emplace_back(w0, 64);   // by highest known order × match state
  mixers.emplace_back(w0, 256);  // by previous byte
}

void ContextMixingModel::Learned::reset() {
  for (auto& m : mixers) m.reset();
  final_mixer.reset();
}

ContextMixingModel::ContextMixingModel(int order, ByteView primer)
    : BitWalk(order, kFamily, 0, 20, 22), learned_(n_contexts_) {
  install_primer(primer);
}

void ContextMixingModel::prefetch_next() const {
  // The APM rows are read at random, one per bit (4 MB tables): start fetching the next
  // bit's two candidates now, so the miss overlaps coding and learning this bit. For a byte
  // with contexts c1, c2 the rows are c0 | c1 << 8 and c0 ^ hash(c1, c2) (predict's apm_row);
  // c0 * 2 and c0 * 2 + 1 give an aligned pair of rows in both. Only speed depends on this.
  // (Measured: also fetching slots a bit or two ahead, for every outcome, cost more than it
  // saved; the slots are fetched together just before they are claimed instead.)
  if (bitpos_ == 7) return;  // the next byte's rows depend on the whole byte
  const int c1 = history_.c1(), c2 = history_.c2();
  const unsigned next = static_cast<unsigned>(c0_) * 2;
  apms_[1].prefetch_rows(apm_order1_row(static_cast<int>(next), c1), 2);
  apms_[2].prefetch_rows(order2_row(static_cast<int>(next), c1, c2) & 0xFFFE, 2);
}

void ContextMixingModel::prefetch_byte() const {
  const int c1 = history_.c1(), c2 = history_.c2();
  apms_[1].prefetch_rows(apm_order1_row(1, c1), 1);
  apms_[2].prefetch_rows(order2_row(1, c1, c2), 1);
}

void ContextMixingModel::predict(const Cursor& at, V1Prediction& out) const {
  int match_state;
  const int highest = read_inputs(at, out, match_state);
  out.x[n_contexts_ + 1] = 256;  // bias

  const int c1 = history_.c1(), c2 = history_.c2();
  out.set = {at.c0, highest * 4 + match_state, c1};
  for (int m = 0; m < kMixers; ++m) out.h[m] = learned_.mixers[m].dot(out.x.data(), out.set[m]);
  out.h[kMixers] = 256;
  out.p_mix = squash16(learned_.final_mixer.dot(out.h.data(), 0));

  out.apm_row = {at.c0, apm_order1_row(at.c0, c1), order2_row(at.c0, c1, c2)};
  // Average of the mixer and the APMs (order-1 and order-2 ones weighted double): the
  // APMs correct the mixer, the mixer's own vote keeps a young APM from hurting.
  int p = out.p_mix;
  const int logit = stretch16(out.p_mix);
  for (int a = 0; a < 3; ++a) {
    const int r = apms_[a].refine(logit, out.apm_row[a], out.apm_knot[a]);
    p += a == 0 ? r : 2 * r;
  }
  p = (p + 3) / 6;
  out.p1 = static_cast<std::uint32_t>(std::clamp(p, 8, 65536 - 8));
}

template <class Undo>
void ContextMixingModel::learn(const Cursor& at, const V1Prediction& pred, int bit, Undo& undo) {
  learn_inputs(at, pred, bit, undo);
  const int lr = mixer_rate_;
  for (int m = 0; m < kMixers; ++m) {
    const int err = (bit << 12) - (squash16(pred.h[m]) >> 4);
    learned_.mixers[m].update(pred.x.data(), pred.set[m], err, lr, undo);
  }
  learned_.final_mixer.update(pred.h.data(), 0, (bit << 12) - (pred.p_mix >> 4), kFinalMixerRate, undo);
  for (int a = 0; a < 3; ++a) apms_[a].update(pred.apm_row[a], pred.apm_knot[a], bit, undo);
}

}  // namespace zgen::ppm

namespace zgen {

ByteView context_mixing_primer() {
  const ByteView corpus = default_corpus();
  return corpus.first(std::min(corpus.size(), kContextMixingPrimerBytes));
}

std::unique_ptr<Predictor> make_context_mixing(int order) {
  return make_context_mixing(order, context_mixing_primer());
}

std::unique_ptr<Predictor> make_context_mixing(int order, ByteView primer) {
  return ppm::make_primed_model<ppm::ContextMixingModel>(order, primer);
}

}  // namespace zgen
