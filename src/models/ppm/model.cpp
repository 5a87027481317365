// ContextMixingModel: assembly of the ppm:N model. The design and its reasons are in
// src/models/ppm/ppm.hpp; the parts are in the other cm_* files.
#include "src/models/ppm/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <tuple>
#include <stdexcept>

#include "src/common/exact_math.hpp"
#include "src/common/hash.hpp"
#include "src/models/ppm/ppm.hpp"
#include "zgen/corpus.hpp"
#include "zgen/errors.hpp"

namespace zgen::ppm {
namespace {

// Tuned on the first 100-250 KB of sotu-valid.txt (and checked on the whole file).
constexpr int kMixerRate = 10;          // steady first-layer learning rate
constexpr int kMixerRateBoost = 24;     // extra rate while young: boost · h / (h + bytes seen)
constexpr int kMixerRateHalfLife = 4096;
constexpr int kInitialWeight = 16384;   // 0.25 per input
constexpr int kFinalMixerRate = 12;
constexpr int kFinalInitialWeight = 21845;  // 1/3 per first-layer mixer
constexpr int kApmRate = 5;
constexpr int kStateMapLimit = 1023;
constexpr int kMatchMinLen = 6;
constexpr int kFinalMixerSets = 1;
static_assert(kMixerRate + kMixerRateBoost <= Mixer::kMaxRate && kFinalMixerRate <= Mixer::kMaxRate,
              "the mixers' 32-bit update is exact only up to Mixer::kMaxRate");

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dull;
  x ^= x >> 33;
  return x;
}

// The orders mixed for ppm:N: every order up to 4 (short contexts carry most of the
// information and are cheap), then N, N−2, … above 4 (long contexts mostly confirm a
// repeat; every other one is enough, the match model covers the rest).
std::vector<int> orders_for(int n) {
  std::vector<int> orders;
  for (int k = 0; k <= std::min(n, 4); ++k) orders.push_back(k);
  std::vector<int> high;
  for (int k = n; k > 4; k -= 2) high.push_back(k);
  orders.insert(orders.end(), high.rbegin(), high.rend());
  return orders;
}

// Table sizes (log2 of 64-byte lines) for a context of order k: low orders have few
// distinct contexts; high orders and words get 4 MB + 16 MB.
std::pair<int, int> line_bits_for(int order) {
  switch (order) {
    case 0: return {2, 4};
    case 1: return {8, 12};
    case 2: return {14, 16};
    default: return {16, 18};
  }
}

int quantise_match_length(int len) {  // 1..31
  if (len < 16) return len;
  return std::min(16 + (len - 16) / 4, 31);
}

bool is_word_byte(std::uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 128;
}

}  // namespace

// What the model looks like after learning the primer: installed into every instance
// with the same order and primer, and what reset() returns to.
struct ContextMixingModel::Primed {
  std::vector<std::shared_ptr<const SlotImage>> first, second;
  std::vector<StateMap> state_maps;
  StateMap match_map;
  std::vector<Mixer> mixers;
  std::vector<std::int32_t> final_weights;
  std::vector<std::shared_ptr<const std::vector<std::uint16_t>>> apms;
  std::shared_ptr<const MatchModel::Image> match;
  std::uint64_t bytes = 0;
  Mixer final_mixer{{0}, 1};
};

std::shared_ptr<const ContextMixingModel::Primed> ContextMixingModel::primed_state(
    int order, ByteView primer, std::unique_ptr<ContextMixingModel>& donor) {
  // One primed state per (order, primer) per process: priming is far dearer than installing
  // the primed state into a new instance (figures: BENCHMARKS.md, "Models as compressors").
  const std::uint64_t fingerprint = fnv1a64(primer);
  static std::mutex mutex;
  static std::map<std::tuple<int, std::size_t, std::uint64_t>, std::shared_ptr<const Primed>> cache;
  const auto key = std::make_tuple(order, primer.size(), fingerprint);
  std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;

  auto blank_model = std::make_unique<ContextMixingModel>(order, ByteView{});
  ContextMixingModel& blank = *blank_model;
  for (std::uint8_t b : primer) blank.observe(b);
  auto primed = std::make_shared<Primed>();
  for (int i = 0; i < blank.n_contexts_; ++i) {
    primed->first.push_back(std::make_shared<const SlotImage>(blank.first_[i]->capture()));
    primed->second.push_back(std::make_shared<const SlotImage>(blank.second_[i]->capture()));
  }
  primed->state_maps = blank.state_maps_;
  primed->match_map = blank.match_map_;
  primed->mixers = blank.mixers_;
  primed->final_mixer = blank.final_mixer_;
  for (const Apm& a : blank.apms_) primed->apms.push_back(std::make_shared<const std::vector<std::uint16_t>>(a.capture()));
  primed->match = std::make_shared<const MatchModel::Image>(blank.match_.capture());
  primed->bytes = blank.bytes_seen_;
  cache.emplace(key, primed);
  donor = std::move(blank_model);
  return primed;
}

void ContextMixingModel::allocate_tables() {
  for (int i = 0; i < n_contexts_; ++i) {
    const int k = i < first_word_context_ ? orders_[i] : 3;
    const auto [a, b] = line_bits_for(k);
    first_.push_back(std::make_unique<SlotTable>(a));
    second_.push_back(std::make_unique<SlotTable>(b));
  }
  apms_.emplace_back(256, kApmRate);
  apms_.emplace_back(65536, kApmRate);
  apms_.emplace_back(65536, kApmRate);
}

ContextMixingModel::ContextMixingModel(int order, ByteView primer)
    : order_(order),
      name_("ppm:" + std::to_string(order)),
      orders_(orders_for(order)),
      n_contexts_(static_cast<int>(orders_.size()) + 2),
      n_inputs_(n_contexts_ + 2),
      first_word_context_(static_cast<int>(orders_.size())),
      match_map_(64, 1023),
      match_(kMatchMinLen, 20, 22),
      final_mixer_({kFinalInitialWeight, kFinalInitialWeight, kFinalInitialWeight, 0}, kFinalMixerSets) {
  if (n_contexts_ > kMaxContexts) throw std::logic_error("cm: too many contexts");
  primer_hash_ = primer.empty() ? 0 : fnv1a64(primer);
  const StateTable& st = StateTable::instance();
  std::unique_ptr<ContextMixingModel> donor;  // set by the call that primes
  bool adopted = false;
  if (!primer.empty()) {
    if (primer.size() >= (std::size_t{1} << 21)) throw std::invalid_argument("ppm: primer longer than 2 MB");
    primed_ = primed_state(order, primer, donor);
  }
  if (donor) {
    // The primed blank model's slot tables hold the primed state; its APM tables are made
    // stale by install() below whatever they hold.
    first_ = std::move(donor->first_);
    second_ = std::move(donor->second_);
    apms_ = std::move(donor->apms_);
    donor.reset();
    adopted = true;
  } else {
    allocate_tables();
  }
  for (int i = 0; i < n_contexts_; ++i) {
    StateMap map(256, kStateMapLimit);
    // Prior: what the counts say, (n1 + 1/2) / (n + 1); learning corrects it per order.
    for (int s = 0; s < 256; ++s)
      map.set_prior(s, static_cast<std::uint32_t>((st.n1(s) * 2 + 1) * 65536 / (2 * st.count(s) + 2)));
    state_maps_.push_back(std::move(map));
  }
  for (int lq = 0; lq < 32; ++lq) {
    match_map_.set_prior(lq * 2, 8192);
    match_map_.set_prior(lq * 2 + 1, 65536 - 8192);
  }
  std::vector<std::int32_t> w0(n_inputs_, kInitialWeight);
  w0.back() = 0;  // bias
  mixers_.emplace_back(w0, 256);  // by partial byte c0
  mixers_.emplace_back(w0, 64);   // by highest known order × match state
  mixers_.emplace_back(w0, 256);  // by previous byte
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

void ContextMixingModel::clear() {
  for (auto& t : first_) t->reset();
  for (auto& t : second_) t->reset();
  match_.reset();
  for (auto& a : apms_) a.reset();
  if (primed_) {
    // Element-wise assignment reuses the vectors' storage: no allocation per reset.
    for (int i = 0; i < n_contexts_; ++i) state_maps_[i] = primed_->state_maps[i];
    match_map_ = primed_->match_map;
    for (int m = 0; m < kMixers; ++m) mixers_[m] = primed_->mixers[m];
    final_mixer_ = primed_->final_mixer;
  } else {
    for (auto& m : state_maps_) m.reset();
    match_map_.reset();
    for (auto& m : mixers_) m.reset();
    final_mixer_.reset();
  }
  // The byte-level context starts blank: a chunk does not continue the primer's text.
  history_ = History{};
  c0_ = 1;
  bitpos_ = 0;
  // The mixers' learning rate continues where priming left it (measured: as good as
  // restarting the boost, and steadier).
  bytes_seen_ = primed_ ? primed_->bytes : 0;
  pending_valid_ = false;
  NoUndo no_undo;
  begin_byte(no_undo);
}

void ContextMixingModel::reset(ByteView context) {
  clear();
  for (std::uint8_t b : context) observe(b);
}

void ContextMixingModel::observe(std::uint8_t byte) {
  if (bitpos_ != 0) throw std::logic_error("ppm: observe() in the middle of a byte");
  for (int i = 7; i >= 0; --i) {
    p1();
    update_bit((byte >> i) & 1);
  }
}

std::uint64_t ContextMixingModel::first_nibble_hash(int i) const { return context_hash_[i]; }

std::uint64_t ContextMixingModel::second_nibble_hash(int i, int high_nibble) const {
  return mix64(context_hash_[i] + static_cast<std::uint64_t>(high_nibble + 1) * 0x9E3779B97F4A7C15ull);
}

void ContextMixingModel::History::push(std::uint8_t byte) {
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

void ContextMixingModel::context_hashes(const History& at, std::array<std::uint64_t, kMaxContexts>& out) const {
  const std::uint64_t c1 = at.last8 & 0xFF;
  for (int i = 0; i < n_contexts_; ++i) {
    std::uint64_t h;
    if (i < first_word_context_) {
      const int k = orders_[i];
      const std::uint64_t low = k >= 8 ? at.last8 : at.last8 & ((std::uint64_t{1} << (8 * k)) - 1);
      const std::uint64_t high = k <= 8 ? 0 : at.prev8 & ((std::uint64_t{1} << (8 * (k - 8))) - 1);
      h = mix64(mix64(low + static_cast<std::uint64_t>(k) * 0x100000001B3ull) + high);
    } else if (i == first_word_context_) {
      h = mix64(at.word * 0x2545F4914F6CDD1Dull + c1 + 0x1234567);
    } else {
      h = mix64(mix64(at.word + at.prev_word * 0x9E3779B97F4A7C15ull) + c1 + 0x7654321);
    }
    out[i] = h;
  }
}

void ContextMixingModel::prefetch_next() const {
  // The APM rows are read at random, one per bit (4 MB tables): start fetching the next
  // bit's two candidates now, so the miss overlaps coding and learning this bit. For a byte
  // with contexts c1, c2 the rows are c0 | c1 << 8 and c0 ^ hash(c1, c2) (predict's apm_row);
  // c0 * 2 and c0 * 2 + 1 give an aligned pair of rows in both. Only speed depends on this.
  // (Measured: also fetching slots a bit or two ahead, for every outcome, cost more than it
  // saved; the slots are fetched together just before they are claimed instead.)
  if (bitpos_ == 7) return;  // the next byte's rows depend on the whole byte
  const int c1 = static_cast<int>(history_.last8 & 0xFF), c2 = static_cast<int>((history_.last8 >> 8) & 0xFF);
  const unsigned next = static_cast<unsigned>(c0_) * 2;
  apms_[1].prefetch_rows(static_cast<int>(next) | c1 << 8, 2);
  apms_[2].prefetch_rows(static_cast<int>((next ^ (static_cast<unsigned>(c1 | c2 << 8) * 0x9E35u)) & 0xFFFEu), 2);
}

template <class Undo>
void ContextMixingModel::begin_byte(Undo& undo) {
  context_hashes(history_, context_hash_);
  // Claims are cache misses: start them all, then claim (the misses overlap).
  for (int i = 0; i < n_contexts_; ++i) first_[i]->prefetch(first_nibble_hash(i));
  for (int i = 0; i < n_contexts_; ++i) slot_[i] = first_[i]->claim(first_nibble_hash(i), undo);
  match_len_ = match_.length();
  match_byte_ = match_len_ > 0 ? match_.predicted_byte() : -1;
  // The mixers' learning rate: fast while the model is young (a 2048-byte chunk must learn
  // quickly), settling to a stable rate later. Once per byte: it is a 64-bit division.
  mixer_rate_ = kMixerRate + static_cast<int>(kMixerRateBoost * kMixerRateHalfLife /
                                              (kMixerRateHalfLife + std::min<std::uint64_t>(bytes_seen_, 1u << 30)));
}

template <class Undo>
void ContextMixingModel::begin_nibble(Undo& undo) {
  const int high_nibble = c0_ & 15;
  std::array<std::uint64_t, kMaxContexts> h;
  for (int i = 0; i < n_contexts_; ++i) {
    h[i] = second_nibble_hash(i, high_nibble);
    second_[i]->prefetch(h[i]);
  }
  for (int i = 0; i < n_contexts_; ++i) slot_[i] = second_[i]->claim(h[i], undo);
}

void ContextMixingModel::predict(const Cursor& at, Prediction& out) const {
  const int node = at.bitpos < 4 ? at.c0 : (1 << (at.bitpos - 4)) | (at.c0 & ((1 << (at.bitpos - 4)) - 1));
  int highest = 0;  // the longest order whose context has seen this node
  int k = 0;
  for (int i = 0; i < n_contexts_; ++i) {
    const std::uint8_t s = at.slot[i][node];
    out.state[i] = s;
    out.x[k++] = stretch16(state_maps_[i].p16(s));
    if (s != 0 && i < first_word_context_) highest = i;
  }
  int match_state = 0;
  out.match_ctx = -1;
  if (match_byte_ >= 0 && ((match_byte_ | 256) >> (8 - at.bitpos)) == at.c0) {
    const int bit = (match_byte_ >> (7 - at.bitpos)) & 1;
    out.match_ctx = quantise_match_length(match_len_) * 2 + bit;
    out.x[k++] = stretch16(match_map_.p16(out.match_ctx));
    match_state = match_len_ < 16 ? 1 : match_len_ < 32 ? 2 : 3;
  } else {
    out.x[k++] = 0;
  }
  out.x[k++] = 256;  // bias

  const int c1 = static_cast<int>(history_.last8 & 0xFF), c2 = static_cast<int>((history_.last8 >> 8) & 0xFF);
  out.set = {at.c0, highest * 4 + match_state, c1};
  for (int m = 0; m < kMixers; ++m) out.h[m] = mixers_[m].dot(out.x.data(), out.set[m]);
  out.h[kMixers] = 256;
  out.p_mix = squash16(final_mixer_.dot(out.h.data(), 0));

  out.apm_row = {at.c0, at.c0 | c1 << 8, static_cast<int>((static_cast<unsigned>(at.c0) ^ (static_cast<unsigned>(c1 | c2 << 8) * 0x9E35u)) & 0xFFFFu)};
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
void ContextMixingModel::learn(const Cursor& at, const Prediction& pred, int bit, Undo& undo) {
  const StateTable& st = StateTable::instance();
  const int node = at.bitpos < 4 ? at.c0 : (1 << (at.bitpos - 4)) | (at.c0 & ((1 << (at.bitpos - 4)) - 1));
  for (int i = 0; i < n_contexts_; ++i) {
    std::uint8_t* s = &at.slot[i][node];
    undo.save(s, 1);
    *s = st.next(pred.state[i], bit);
    state_maps_[i].update(pred.state[i], bit, undo);
  }
  if (pred.match_ctx >= 0) match_map_.update(pred.match_ctx, bit, undo);

  const int lr = mixer_rate_;
  for (int m = 0; m < kMixers; ++m) {
    const int err = (bit << 12) - (squash16(pred.h[m]) >> 4);
    mixers_[m].update(pred.x.data(), pred.set[m], err, lr, undo);
  }
  final_mixer_.update(pred.h.data(), 0, (bit << 12) - (pred.p_mix >> 4), kFinalMixerRate, undo);
  for (int a = 0; a < 3; ++a) apms_[a].update(pred.apm_row[a], pred.apm_knot[a], bit, undo);
}

std::uint32_t ContextMixingModel::p1() {
  if (!pending_valid_) {
    predict(Cursor{slot_.data(), c0_, bitpos_}, pending_);
    pending_valid_ = true;
    prefetch_next();
  }
  return pending_.p1;
}

void ContextMixingModel::update_bit(int bit) {
  NoUndo no_undo;
  advance(bit, no_undo);
}

template <class Undo>
void ContextMixingModel::advance(int bit, Undo& undo) {
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

std::vector<double> ContextMixingModel::extra_bits(std::span<const Bytes> continuations) {
  if (bitpos_ != 0) throw std::logic_error("ppm: extra_bits() in the middle of a byte");
  std::vector<double> bits;
  bits.reserve(continuations.size());
  for (const Bytes& s : continuations) {
    // Code s exactly as observe() would, every change logged, then roll it all back: the
    // byte-level context first (so that rollback restores it last, to what it was).
    const std::size_t mark = undo_.mark();
    const auto save = [&](auto&... fields) { (undo_.save(&fields, sizeof fields), ...); };
    save(context_hash_, slot_, history_, c0_, bitpos_, bytes_seen_, mixer_rate_, match_byte_, match_len_,
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

const std::vector<std::uint8_t>& ContextMixingModel::alphabet() const {
  static const std::vector<std::uint8_t> all = [] {
    std::vector<std::uint8_t> a(256);
    for (int b = 0; b < 256; ++b) a[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(b);
    return a;
  }();
  return all;
}

void ContextMixingModel::walk_tree(std::array<std::uint8_t*, kMaxContexts> slots, int c0, int bitpos,
                                   double log_p, std::span<double, 256> out) {
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
    // exact_log, not libm's log: the same bits on every machine (the coder decodes with them)
    walk_tree(slots, c0 * 2 + bit, bitpos + 1, log_p + exact_log(p), out);
    undo_.rollback(mark);
  }
}

void ContextMixingModel::log_probs(std::span<double, 256> out) {
  if (bitpos_ != 0) throw std::logic_error("ppm: log_probs() in the middle of a byte");
  std::array<std::uint8_t*, kMaxContexts> slots = slot_;
  walk_tree(slots, 1, 0, 0.0, out);
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
  if (order < 1 || order > 12)
    throw SpecError("ppm: order " + std::to_string(order) + " is out of range (1..12; try ppm:6)");
  auto model = std::make_unique<ppm::ContextMixingModel>(order, primer);
  const ByteView standard = context_mixing_primer();
  const bool is_standard = primer.size() == standard.size() && std::equal(primer.begin(), primer.end(), standard.begin());
  if (!is_standard)
    model->set_name("ppm:" + std::to_string(order) +
                    (primer.empty() ? ":unprimed" : ":primer=" + std::to_string(primer.size())));
  return model;
}

}  // namespace zgen
