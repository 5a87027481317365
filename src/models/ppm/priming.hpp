#pragma once
// BitWalk's set-up, the primed state and reset (bit_walk.hpp; the primer: ppm.hpp).
// Included by the versions' .cpp files only (with bit_walk_impl.hpp).
#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>

#include "src/common/hash.hpp"
#include "src/models/ppm/bit_walk.hpp"
#include "src/models/ppm/bit_walk_impl.hpp"
#include "src/models/ppm/ppm.hpp"
#include "src/models/ppm/state_table.hpp"
#include "zgen/errors.hpp"

namespace zgen::ppm {

inline constexpr int kApmRate = 5;
inline constexpr int kStateMapLimit = 1023;
inline constexpr int kMatchMinLen = 6;

// A state map's prior for bit-history state s: what the counts say, (n1 + 1/2) / (n + 1),
// as p16; learning corrects it per context.
inline std::uint32_t count_prior(int s) {
  const StateTable& st = StateTable::instance();
  const auto state = static_cast<std::uint8_t>(s);
  return static_cast<std::uint32_t>((st.n1(state) * 2 + 1) * 65536 / (2 * st.count(state) + 2));
}

// What the model looks like after learning the primer: installed into every instance with
// the same order and primer, and what reset() returns to.
template <class M, class P, int N, bool S>
struct BitWalk<M, P, N, S>::Primed {
  explicit Primed(const typename M::Learned& l) : learned(l) {}
  std::vector<std::shared_ptr<const SlotImage>> tables;  // per context, per table (ContextSlots::tables)
  StateMap state_map, match_map;
  std::vector<std::shared_ptr<const std::vector<std::uint16_t>>> apms;
  std::shared_ptr<const MatchModel::Image> match;
  typename M::Learned learned;
  std::uint64_t bytes = 0;
};

template <class M, class P, int N, bool S>
BitWalk<M, P, N, S>::BitWalk(int order, const char* family, int lowest_order, int match_table_bits,
                          int match_history_bits)
    : order_(order),
      name_(std::string(family) + ":" + std::to_string(order)),
      orders_(orders_for(order, lowest_order)),
      n_contexts_(static_cast<int>(orders_.size()) + 2),
      word_context_(static_cast<int>(orders_.size())),
      state_map_(256 * n_contexts_, kStateMapLimit),
      match_map_(64, kStateMapLimit),
      match_(kMatchMinLen, match_table_bits, match_history_bits) {
  if (n_contexts_ > N) throw std::logic_error(std::string(family) + ": too many contexts");
  for (int i = 0; i < n_contexts_; ++i)
    for (int s = 0; s < 256; ++s) state_map_.set_prior(i * 256 + s, count_prior(s));
  for (int lq = 0; lq < 32; ++lq) {
    match_map_.set_prior(lq * 2, 8192);
    match_map_.set_prior(lq * 2 + 1, 65536 - 8192);
  }
}

template <class M, class P, int N, bool S>
std::shared_ptr<const typename BitWalk<M, P, N, S>::Primed> BitWalk<M, P, N, S>::primed_state(int order, ByteView primer,
                                                                                        std::unique_ptr<M>& donor) {
  // Figures: BENCHMARKS.md, "Models as compressors".
  const std::uint64_t fingerprint = fnv1a64(primer);
  static std::mutex mutex;
  static std::map<std::tuple<int, std::size_t, std::uint64_t>, std::shared_ptr<const Primed>> cache;
  const auto key = std::make_tuple(order, primer.size(), fingerprint);
  std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;

  auto blank_model = std::make_unique<M>(order, ByteView{});
  BitWalk& blank = *blank_model;
  for (std::uint8_t b : primer) blank.observe(b);
  auto primed = std::make_shared<Primed>(blank_model->learned_);
  for (const auto& c : blank.tables_)
    for (const auto& t : c.tables()) primed->tables.push_back(std::make_shared<const SlotImage>(t->capture()));
  primed->state_map = blank.state_map_;
  primed->match_map = blank.match_map_;
  for (const Apm& a : blank.apms_) primed->apms.push_back(std::make_shared<const std::vector<std::uint16_t>>(a.capture()));
  primed->match = std::make_shared<const MatchModel::Image>(blank.match_.capture());
  primed->bytes = blank.bytes_seen_;
  cache.emplace(key, primed);
  donor = std::move(blank_model);
  return primed;
}

template <class M, class P, int N, bool S>
void BitWalk<M, P, N, S>::allocate_tables() {
  for (int i = 0; i < n_contexts_; ++i) {
    const auto [first_bits, second_bits] = M::line_bits_for(i < word_context_ ? orders_[i] : 3);
    tables_.emplace_back(first_bits, second_bits);
  }
  for (int rows : M::kApmRows) apms_.emplace_back(rows, kApmRate);
}

template <class M, class P, int N, bool S>
void BitWalk<M, P, N, S>::install_primer(ByteView primer) {
  primer_hash_ = primer.empty() ? 0 : fnv1a64(primer);
  std::unique_ptr<M> donor;  // set by the call that primes
  if (!primer.empty()) {
    if (primer.size() >= (std::size_t{1} << 21))
      throw std::invalid_argument(std::string(M::kFamily) + ": primer longer than 2 MB");
    primed_ = primed_state(order_, primer, donor);
  }
  const bool adopted = donor != nullptr;
  if (adopted) {
    // The primed blank model's slot tables hold the primed state; its APM tables are made
    // stale by install() below whatever they hold.
    BitWalk& from = *donor;
    tables_ = std::move(from.tables_);
    apms_ = std::move(from.apms_);
    donor.reset();
  } else {
    allocate_tables();
  }
  if (primed_) {
    std::size_t k = 0;
    for (const auto& c : tables_)
      for (const auto& t : c.tables()) {
        if (adopted) t->adopt(primed_->tables[k++]);
        else t->install(primed_->tables[k++]);
      }
    for (std::size_t a = 0; a < apms_.size(); ++a) apms_[a].install(primed_->apms[a]);
    match_.install(primed_->match);
  }
  clear();
}

template <class M, class P, int N, bool S>
void BitWalk<M, P, N, S>::clear() {
  for (const auto& c : tables_)
    for (const auto& t : c.tables()) t->reset();
  match_.reset();
  for (auto& a : apms_) a.reset();
  if (primed_) {
    // Assignment reuses the tables' storage: no allocation per reset.
    state_map_ = primed_->state_map;
    match_map_ = primed_->match_map;
    self().learned_ = primed_->learned;
  } else {
    state_map_.reset();
    match_map_.reset();
    self().learned_.reset();
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
  fetch_first_nibble();
  begin_byte(no_undo);
}

// make_context_mixing / make_lean_context_mixing: version M of order `order` primed with
// `primer`, named by its SPEC ("ppm:6"; "ppm:6:unprimed" or "ppm:6:primer=BYTES" for
// another primer than the built-in one).
template <class M>
std::unique_ptr<Predictor> make_primed_model(int order, ByteView primer) {
  const std::string family = M::kFamily;
  if (order < 1 || order > 12)
    throw SpecError(family + ": order " + std::to_string(order) + " is out of range (1..12; try " + family + ":6)");
  auto model = std::make_unique<M>(order, primer);
  const ByteView standard = context_mixing_primer();
  const bool is_standard = primer.size() == standard.size() && std::equal(primer.begin(), primer.end(), standard.begin());
  if (!is_standard)
    model->set_name(family + ":" + std::to_string(order) +
                    (primer.empty() ? ":unprimed" : ":primer=" + std::to_string(primer.size())));
  return model;
}

}  // namespace zgen::ppm
