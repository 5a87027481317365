#pragma once
// StateMap: context → adaptive probability that the next bit is 1.
//
// Used (a) per context order, indexed by bit-history state (state_table.hpp), to turn
// "what this context has seen" into a calibrated probability, and (b) by the match model,
// indexed by (match length, predicted bit). Each entry moves towards the observed bit by
// 1/(n + 1.5), n = times it was updated (capped at `limit`): the first observations count
// fully (fast learning in a 2048-byte chunk), later ones average (stationary estimate),
// and the cap keeps it adaptive. Integer arithmetic only (deterministic).
#include <algorithm>
#include <cstdint>
#include <vector>

namespace zgen::ppm {

namespace detail {
struct Reciprocal {  // 2^16 / (n + 1.5)
  std::uint32_t r[1024]{};
  constexpr Reciprocal() {
    for (int i = 0; i < 1024; ++i) r[i] = static_cast<std::uint32_t>(131072 / (2 * i + 3));
  }
};
inline constexpr Reciprocal kReciprocal{};
}  // namespace detail

class StateMap {
 public:
  StateMap() = default;
  StateMap(int contexts, int limit)
      : limit_(limit < 1023 ? limit : 1023), e_(contexts), init_(contexts, Entry{1u << 31, 0}) {}

  // The value an entry returns to on reset (p16 · 2^16), and its starting confidence.
  void set_prior(int context, std::uint32_t p16) { init_[context].p = p16 << 16; }
  void reset() { e_ = init_; }

  int p16(int context) const { return static_cast<int>(e_[context].p >> 16); }

  template <class Undo>
  void update(int context, int bit, Undo& undo) {
    Entry& e = e_[context];
    undo.save(&e, sizeof e);
    learn(e, bit, limit_);
  }

  // Probability and count side by side: one line read per update, one pointer to follow.
  struct Entry {
    std::uint32_t p;  // P(1) · 2^32
    std::uint16_t n;  // updates so far, capped at limit
  };
  // The raw entries and the update rule, for loops over many contexts that keep the
  // table's address in a register (update() is the same rule).
  Entry* entries() { return e_.data(); }
  const Entry* entries() const { return e_.data(); }
  int limit() const { return limit_; }
  static void learn(Entry& e, int bit, int limit) {
    const std::int64_t target = bit ? 0xFFFFFFFFll : 0;
    e.p = static_cast<std::uint32_t>(e.p + (((target - static_cast<std::int64_t>(e.p)) * detail::kReciprocal.r[e.n]) >> 16));
    if (e.n < limit) ++e.n;
  }

 private:
  int limit_ = 255;
  std::vector<Entry> e_;
  std::vector<Entry> init_;  // what reset() returns to: priors, counts 0
};

}  // namespace zgen::ppm
