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
  StateMap(int contexts, int limit) : limit_(limit < 1023 ? limit : 1023), p_(contexts), n_(contexts), init_(contexts, 1u << 31) {}

  // The value an entry returns to on reset (p16 · 2^16), and its starting confidence.
  void set_prior(int context, std::uint32_t p16) { init_[context] = p16 << 16; }
  void reset() {
    p_ = init_;
    std::fill(n_.begin(), n_.end(), std::uint16_t{0});
  }

  int p16(int context) const { return static_cast<int>(p_[context] >> 16); }

  template <class Undo>
  void update(int context, int bit, Undo& undo) {
    std::uint32_t& p = p_[context];
    std::uint16_t& n = n_[context];
    undo.save(&p, sizeof p);
    undo.save(&n, sizeof n);
    const std::int64_t target = bit ? 0xFFFFFFFFll : 0;
    p = static_cast<std::uint32_t>(p + (((target - static_cast<std::int64_t>(p)) * detail::kReciprocal.r[n]) >> 16));
    if (n < limit_) ++n;
  }

 private:
  int limit_ = 255;
  std::vector<std::uint32_t> p_;  // P(1) · 2^32
  std::vector<std::uint16_t> n_;
  std::vector<std::uint32_t> init_;
};

}  // namespace zgen::ppm
