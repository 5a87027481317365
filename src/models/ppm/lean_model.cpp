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
// Everything on the coding path is integer arithmetic, as in ppm:N: the same bits on every
// build and CPU.
#include "src/models/ppm/lean_model.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "src/common/exact_math.hpp"
#include "src/common/hash.hpp"
#include "src/models/ppm/ppm.hpp"
#include "zgen/errors.hpp"

namespace zgen::ppm {
namespace {

// As ppm:N's (model.cpp), which were tuned on sotu-valid's first 100-250 KB; not retuned.
constexpr int kMixerRate = 10;
constexpr int kMixerRateBoost = 24;
constexpr int kMixerRateHalfLife = 4096;
constexpr int kInitialWeight = 16384;  // 0.25 per input
constexpr int kApmRate = 5;
constexpr int kStateMapLimit = 1023;
constexpr int kMatchMinLen = 6;
static_assert(kMixerRate + kMixerRateBoost <= Mixer::kMaxRate, "the mixers' 32-bit update is exact only up to kMaxRate");

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dull;
  x ^= x >> 33;
  return x;
}

std::vector<int> orders_for(int n) {
  std::vector<int> orders;
  for (int k = 1; k <= std::min(n, 4); ++k) orders.push_back(k);
  std::vector<int> high;
  for (int k = n; k > 4; k -= 2) high.push_back(k);
  orders.insert(orders.end(), high.rbegin(), high.rend());
  return orders;
}

// log2 of the 64-byte lines of the first- and second-nibble tables: 64 KB + 1 MB for order
// 1 (few distinct contexts), 0.5 + 2 MB for order 2, 1 + 4 MB for the rest.
std::pair<int, int> line_bits_for(int order) {
  switch (order) {
    case 1: return {8, 12};
    case 2: return {13, 15};
    default: return {14, 16};
  }
}

int quantise_match_length(int len) {  // 1..31
  if (len < 16) return len;
  return std::min(16 + (len - 16) / 4, 31);
}

bool is_word_byte(std::uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 128;
}

// The APM rows of a bit: order 1 (partial byte and the last byte) and hashed order 2.
constexpr unsigned kApm2Mask = 0x3FFF;
int order1_row(int c0, int c1) { return c0 | c1 << 8; }
int order2_row(int c0, int c1, int c2) {
  return static_cast<int>((static_cast<unsigned>(c0) ^ (static_cast<unsigned>(c1 | c2 << 8) * 0x9E35u)) & kApm2Mask);
}

}  // namespace

// What the model looks like after learning the primer (as ContextMixingModel::Primed).
struct LeanModel::Primed {
  std::vector<std::shared_ptr<const SlotImage>> first, second;
  StateMap state_map;
  StateMap match_map;
  std::vector<Mixer> mixers;
  std::vector<std::shared_ptr<const std::vector<std::uint16_t>>> apms;
  std::shared_ptr<const MatchModel::Image> match;
  std::uint64_t bytes = 0;
};

std::shared_ptr<const LeanModel::Primed> LeanModel::primed_state(int order, ByteView primer,
                                                                 std::unique_ptr<LeanModel>& donor) {
  const std::uint64_t fingerprint = fnv1a64(primer);
  static std::mutex mutex;
  static std::map<std::tuple<int, std::size_t, std::uint64_t>, std::shared_ptr<const Primed>> cache;
  const auto key = std::make_tuple(order, primer.size(), fingerprint);
  std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;

  auto blank_model = std::make_unique<LeanModel>(order, ByteView{});
  LeanModel& blank = *blank_model;
  for (std::uint8_t b : primer) blank.observe(b);
  auto primed = std::make_shared<Primed>();
  for (int i = 0; i < blank.n_contexts_; ++i) {
    primed->first.push_back(std::make_shared<const SlotImage>(blank.first_[i]->capture()));
    primed->second.push_back(std::make_shared<const SlotImage>(blank.second_[i]->capture()));
  }
  primed->state_map = blank.state_map_;
  primed->match_map = blank.match_map_;
  primed->mixers.assign(blank.mixers_.begin(), blank.mixers_.end());
  for (const Apm& a : blank.apms_) primed->apms.push_back(std::make_shared<const std::vector<std::uint16_t>>(a.capture()));
  primed->match = std::make_shared<const MatchModel::Image>(blank.match_.capture());
  primed->bytes = blank.bytes_seen_;
  cache[key] = primed;
  donor = std::move(blank_model);
  return primed;
}

void LeanModel::allocate_tables() {
  for (int i = 0; i < n_contexts_; ++i) {
    const auto [first_bits, second_bits] = line_bits_for(i < word_context_ ? orders_[i] : 3);
    first_.push_back(std::make_unique<SlotTable>(first_bits));
    second_.push_back(std::make_unique<SlotTable>(second_bits));
  }
  apms_.emplace_back(65536, kApmRate);  // order 1
  apms_.emplace_back(kApm2Mask + 1, kApmRate);  // hashed order 2
}

namespace {
std::vector<std::int32_t> initial_weights(int inputs) {
  return std::vector<std::int32_t>(inputs, kInitialWeight);
}
}  // namespace

LeanModel::LeanModel(int order, ByteView primer)
    : order_(order),
      name_("ppm2:" + std::to_string(order)),
      orders_(orders_for(order)),
      n_contexts_(static_cast<int>(orders_.size()) + 2),
      word_context_(static_cast<int>(orders_.size())),
      n_inputs_(n_contexts_ + 1),
      state_map_(256 * n_contexts_, kStateMapLimit),
      match_map_(64, 1023),
      match_(kMatchMinLen, 18, 20),
      // mixer 0: sets by (longest order seen × match state × bit position); mixer 1: by c0
      mixers_{Mixer(initial_weights(n_inputs_), static_cast<int>(orders_.size()) * 4 * 8),
              Mixer(initial_weights(n_inputs_), 256)} {
  if (n_contexts_ > kMaxContexts) throw std::logic_error("ppm2: too many contexts");
  primer_hash_ = primer.empty() ? 0 : fnv1a64(primer);
  const StateTable& st = StateTable::instance();
  std::unique_ptr<LeanModel> donor;  // set by the call that primes
  bool adopted = false;
  if (!primer.empty()) {
    if (primer.size() >= (std::size_t{1} << 21)) throw std::invalid_argument("ppm2: primer longer than 2 MB");
    primed_ = primed_state(order, primer, donor);
  }
  if (donor) {
    // The primed blank model's slot tables hold the primed state (as in ppm:N).
    first_ = std::move(donor->first_);
    second_ = std::move(donor->second_);
    apms_ = std::move(donor->apms_);
    donor.reset();
    adopted = true;
  } else {
    allocate_tables();
  }
  // Prior: what the counts say, (n1 + 1/2) / (n + 1); learning corrects it per context.
  for (int i = 0; i < n_contexts_; ++i)
    for (int s = 0; s < 256; ++s)
      state_map_.set_prior(i * 256 + s, static_cast<std::uint32_t>((st.n1(s) * 2 + 1) * 65536 / (2 * st.count(s) + 2)));
  for (int lq = 0; lq < 32; ++lq) {
    match_map_.set_prior(lq * 2, 8192);
    match_map_.set_prior(lq * 2 + 1, 65536 - 8192);
  }
  if (primed_) {
    for (int i = 0; i < n_contexts_; ++i) {
      if (adopted) {
        first_[i]->adopt(primed_->first[i]);
        second_[i]->adopt(primed_->second[i]);
      } else {
        first_[i]->install(primed_->first[i]);
        second_[i]->install(primed_->second[i]);
      }
    }
    for (std::size_t a = 0; a < apms_.size(); ++a) apms_[a].install(primed_->apms[a]);
    match_.install(primed_->match);
  }
  clear();
}

void LeanModel::clear() {
  for (auto& t : first_) t->reset();
  for (auto& t : second_) t->reset();
  match_.reset();
  for (auto& a : apms_) a.reset();
  if (primed_) {
    state_map_ = primed_->state_map;
    match_map_ = primed_->match_map;
    for (int m = 0; m < kMixers; ++m) mixers_[m] = primed_->mixers[m];
  } else {
    state_map_.reset();
    match_map_.reset();
    for (auto& m : mixers_) m.reset();
  }
  // The byte-level context starts blank: a chunk does not continue the primer's text.
  history_ = History{};
  c0_ = 1;
  bitpos_ = 0;
  bytes_seen_ = primed_ ? primed_->bytes : 0;
  pending_valid_ = false;
  NoUndo no_undo;
  begin_byte(no_undo);
}

void LeanModel::reset(ByteView context) {
  clear();
  for (std::uint8_t b : context) observe(b);
}

void LeanModel::observe(std::uint8_t byte) {
  if (bitpos_ != 0) throw std::logic_error("ppm2: observe() in the middle of a byte");
  for (int i = 7; i >= 0; --i) {
    p1();
    update_bit((byte >> i) & 1);
  }
}

std::uint64_t LeanModel::second_nibble_hash(int i, int high_nibble) const {
  return mix64(context_hash_[i] + static_cast<std::uint64_t>(high_nibble + 1) * 0x9E3779B97F4A7C15ull);
}

void LeanModel::History::push(std::uint8_t byte) {
  prev8 = prev8 << 8 | last8 >> 56;
  last8 = last8 << 8 | byte;
  if (is_word_byte(byte)) {
    const std::uint8_t lower = (byte >= 'A' && byte <= 'Z') ? byte + 32 : byte;
    word = (word + lower + 1) * 0x100000001B3ull;
  } else if (word != 0) {
    prev_word = word;
    word = 0;
  }
}

template <class Undo>
void LeanModel::begin_byte(Undo& undo) {
  const std::uint64_t c1 = history_.last8 & 0xFF;
  for (int i = 0; i < n_contexts_; ++i) {
    std::uint64_t h;
    if (i < word_context_) {
      const int k = orders_[i];
      const std::uint64_t low = k >= 8 ? history_.last8 : history_.last8 & ((std::uint64_t{1} << (8 * k)) - 1);
      const std::uint64_t high = k <= 8 ? 0 : history_.prev8 & ((std::uint64_t{1} << (8 * (k - 8))) - 1);
      h = mix64(mix64(low + static_cast<std::uint64_t>(k) * 0x100000001B3ull) + high);
    } else if (i == word_context_) {
      h = mix64(history_.word * 0x2545F4914F6CDD1Dull + c1 + 0x1234567);
    } else {
      h = mix64(mix64(history_.word + history_.prev_word * 0x9E3779B97F4A7C15ull) + c1 + 0x7654321);
    }
    context_hash_[i] = h;
    first_[i]->prefetch(h);  // claims are cache misses: start them all, then claim
  }
  for (int i = 0; i < n_contexts_; ++i) slot_[i] = first_[i]->claim(context_hash_[i], undo);
  match_len_ = match_.length();
  match_byte_ = match_len_ > 0 ? match_.predicted_byte() : -1;
  match_state_ = match_len_ == 0 ? 0 : match_len_ < 16 ? 1 : match_len_ < 32 ? 2 : 3;
  // Fast while the model is young (a 2048-byte chunk must learn quickly), then steady.
  mixer_rate_ = kMixerRate + static_cast<int>(kMixerRateBoost * kMixerRateHalfLife /
                                              (kMixerRateHalfLife + std::min<std::uint64_t>(bytes_seen_, 1u << 30)));
}

template <class Undo>
void LeanModel::begin_nibble(Undo& undo) {
  const int high_nibble = c0_ & 15;
  std::array<std::uint64_t, kMaxContexts> h;
  for (int i = 0; i < n_contexts_; ++i) {
    h[i] = second_nibble_hash(i, high_nibble);
    second_[i]->prefetch(h[i]);
  }
  for (int i = 0; i < n_contexts_; ++i) slot_[i] = second_[i]->claim(h[i], undo);
}

void LeanModel::prefetch_next() const {
  // The next bit's rows for both outcomes (c0 * 2 and c0 * 2 + 1: one aligned pair in both
  // tables). Only speed depends on this.
  if (bitpos_ == 7) return;  // the next byte's rows depend on the whole byte
  const int c1 = static_cast<int>(history_.last8 & 0xFF), c2 = static_cast<int>((history_.last8 >> 8) & 0xFF);
  const int next = c0_ * 2;
  apms_[0].prefetch_rows(order1_row(next, c1), 2);
  apms_[1].prefetch_rows(order2_row(next, c1, c2) & 0xFFFE, 2);
}

void LeanModel::predict(const Cursor& at, Prediction& out) const {
  const int node = at.bitpos < 4 ? at.c0 : (1 << (at.bitpos - 4)) | (at.c0 & ((1 << (at.bitpos - 4)) - 1));
  const int n = n_contexts_;
  int highest = 0;  // the longest order whose context has seen this node
  for (int i = 0; i < n; ++i) {
    const std::uint8_t s = at.slot[i][node];
    out.state[i] = s;
    out.x[i] = stretch16(state_map_.p16(i * 256 + s));
    if (s != 0 && i < word_context_) highest = i;
  }
  out.match_ctx = -1;
  int match_state = 0;
  if (match_byte_ >= 0 && ((match_byte_ | 256) >> (8 - at.bitpos)) == at.c0) {
    const int bit = (match_byte_ >> (7 - at.bitpos)) & 1;
    out.match_ctx = quantise_match_length(match_len_) * 2 + bit;
    out.x[n] = stretch16(match_map_.p16(out.match_ctx));
    match_state = match_state_;
  } else {
    out.x[n] = 0;
  }

  out.set = {(highest * 4 + match_state) * 8 + at.bitpos, at.c0};
  for (int m = 0; m < kMixers; ++m) out.logit[m] = mixers_[m].dot(out.x.data(), out.set[m]);
  out.mixed = (out.logit[0] + out.logit[1]) >> 1;  // floor: the same on every machine
  const int p_mix = squash16(out.mixed);

  const int c1 = static_cast<int>(history_.last8 & 0xFF), c2 = static_cast<int>((history_.last8 >> 8) & 0xFF);
  out.apm_row = {order1_row(at.c0, c1), order2_row(at.c0, c1, c2)};
  const int r0 = apms_[0].refine(out.mixed, out.apm_row[0], out.apm_knot[0]);
  const int r1 = apms_[1].refine(out.mixed, out.apm_row[1], out.apm_knot[1]);
  // The APMs correct the mixer; the mixer's own vote keeps a young APM from hurting.
  const int p = (2 * p_mix + 3 * r0 + 3 * r1 + 4) >> 3;
  out.p1 = static_cast<std::uint32_t>(std::clamp(p, 8, 65536 - 8));
}

template <class Undo>
void LeanModel::learn(const Cursor& at, const Prediction& pred, int bit, Undo& undo) {
  const StateTable& st = StateTable::instance();
  const int node = at.bitpos < 4 ? at.c0 : (1 << (at.bitpos - 4)) | (at.c0 & ((1 << (at.bitpos - 4)) - 1));
  for (int i = 0; i < n_contexts_; ++i) {
    std::uint8_t* s = &at.slot[i][node];
    undo.save(s, 1);
    *s = st.next(pred.state[i], bit);
    state_map_.update(i * 256 + pred.state[i], bit, undo);
  }
  if (pred.match_ctx >= 0) match_map_.update(pred.match_ctx, bit, undo);
  for (int m = 0; m < kMixers; ++m)
    mixers_[m].update(pred.x.data(), pred.set[m], (bit << 12) - (squash16(pred.logit[m]) >> 4), mixer_rate_, undo);
  for (int a = 0; a < kApms; ++a) apms_[a].update(pred.apm_row[a], pred.apm_knot[a], bit, undo);
}

std::uint32_t LeanModel::p1() {
  if (!pending_valid_) {
    predict(Cursor{slot_.data(), c0_, bitpos_}, pending_);
    pending_valid_ = true;
    prefetch_next();
  }
  return pending_.p1;
}

void LeanModel::update_bit(int bit) {
  NoUndo no_undo;
  advance(bit, no_undo);
}

template <class Undo>
void LeanModel::advance(int bit, Undo& undo) {
  bit = bit ? 1 : 0;
  p1();
  learn(Cursor{slot_.data(), c0_, bitpos_}, pending_, bit, undo);
  pending_valid_ = false;
  c0_ = c0_ * 2 + bit;
  ++bitpos_;
  if (bitpos_ == 4) {
    begin_nibble(undo);
  } else if (bitpos_ == 8) {
    const auto byte = static_cast<std::uint8_t>(c0_ & 0xFF);
    c0_ = 1;
    bitpos_ = 0;
    history_.push(byte);
    match_.observe(byte, undo);
    ++bytes_seen_;
    begin_byte(undo);
  }
}

std::vector<double> LeanModel::extra_bits(std::span<const Bytes> continuations) {
  if (bitpos_ != 0) throw std::logic_error("ppm2: extra_bits() in the middle of a byte");
  std::vector<double> bits;
  bits.reserve(continuations.size());
  for (const Bytes& s : continuations) {
    // The byte-level context first, so that rollback restores it last.
    const std::size_t mark = undo_.mark();
    const auto save = [&](auto&... fields) { (undo_.save(&fields, sizeof fields), ...); };
    save(context_hash_, slot_, history_, c0_, bitpos_, bytes_seen_, mixer_rate_, match_byte_, match_len_, match_state_,
         pending_, pending_valid_);
    double total = 0.0;
    for (std::uint8_t byte : s)
      for (int i = 7; i >= 0; --i) {
        const int bit = (byte >> i) & 1;
        const std::uint32_t p = p1();
        total -= std::log2((bit ? p : 65536 - p) / 65536.0);
        advance(bit, undo_);
      }
    undo_.rollback(mark);
    bits.push_back(total);
  }
  return bits;
}

const std::vector<std::uint8_t>& LeanModel::alphabet() const {
  static const std::vector<std::uint8_t> all = [] {
    std::vector<std::uint8_t> a(256);
    for (int b = 0; b < 256; ++b) a[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(b);
    return a;
  }();
  return all;
}

void LeanModel::walk_tree(std::array<std::uint8_t*, kMaxContexts> slots, int c0, int bitpos, double log_p,
                          std::span<double, 256> out) {
  if (bitpos == 8) {
    out[c0 & 0xFF] = log_p;
    return;
  }
  if (bitpos == 4) {
    // What begin_nibble() would claim: the slot if present, else an empty one.
    for (int i = 0; i < n_contexts_; ++i) {
      slots[i] = second_[i]->find(second_nibble_hash(i, c0 & 15));
      if (!slots[i]) slots[i] = scratch_[i].data();  // all zero, and rolled back to zero
    }
  }
  const Cursor at{slots.data(), c0, bitpos};
  Prediction pred;
  predict(at, pred);
  for (int bit = 0; bit < 2; ++bit) {
    const std::size_t mark = undo_.mark();
    learn(at, pred, bit, undo_);
    const double p = (bit ? pred.p1 : 65536 - pred.p1) / 65536.0;
    // exact_log, not libm's log: the same bits on every machine
    walk_tree(slots, c0 * 2 + bit, bitpos + 1, log_p + exact_log(p), out);
    undo_.rollback(mark);
  }
}

void LeanModel::log_probs(std::span<double, 256> out) {
  if (bitpos_ != 0) throw std::logic_error("ppm2: log_probs() in the middle of a byte");
  std::array<std::uint8_t*, kMaxContexts> slots = slot_;
  walk_tree(slots, 1, 0, 0.0, out);
}

}  // namespace zgen::ppm

namespace zgen {

std::unique_ptr<Predictor> make_lean_context_mixing(int order) {
  return make_lean_context_mixing(order, context_mixing_primer());
}

std::unique_ptr<Predictor> make_lean_context_mixing(int order, ByteView primer) {
  if (order < 1 || order > 12)
    throw SpecError("ppm2: order " + std::to_string(order) + " is out of range (1..12; try ppm2:6)");
  auto model = std::make_unique<ppm::LeanModel>(order, primer);
  const ByteView standard = context_mixing_primer();
  const bool is_standard = primer.size() == standard.size() && std::equal(primer.begin(), primer.end(), standard.begin());
  if (!is_standard)
    model->set_name("ppm2:" + std::to_string(order) +
                    (primer.empty() ? ":unprimed" : ":primer=" + std::to_string(primer.size())));
  return model;
}

}  // namespace zgen
