// The bzip2 fast path: ℓ(c·x) for many x after one context c, equal to bzip2_model_bits(c·x).
//
// After the first stage the block of c·x is P·u: P, the context's coded runs, does not depend on
// x; u codes the context's run in progress followed by x (a few bytes). The rotations of P·u
// that start in P are P[i..)·u·P[..i). For two of them whose P-suffixes differ before either
// ends, the order is decided inside P, whatever u is. Only a rotation whose P-suffix is a proper
// prefix of another P-suffix can move with x; those are the last `ambiguous` starts of P (if
// P[j..) occurs earlier in P, so does P[j+1..)). So, once per context: the suffix order of P, its
// free rotations (all but the ambiguous ones) in that order with their last-column bytes. Per
// continuation: the ambiguous rotations and those starting in u sorted among themselves and
// placed among the free ones by comparing whole rotations; then move-to-front and the Huffman
// stage from scratch over the merged last column.
#include <algorithm>
#include <cstring>

#include "compressors/bzip2_model/entropy.hpp"
#include "compressors/bzip2_model/model.hpp"
#include "compressors/bzip2_model/rle.hpp"
#include "compressors/bzip2_model/sort.hpp"

namespace zgen {
namespace {

using namespace bzip2;

constexpr std::uint64_t kStreamBits = 32 + 48 + 32;  // stream header and trailer (model.cpp)
// Past these the continuation is costed from scratch: the inserted rotations are compared one
// by one, which pays only when they are few.
constexpr std::size_t kMaxAmbiguous = 512;
constexpr std::size_t kMaxContinuation = 64;

// Sign of the comparison of the rotations of t[0..n) starting at a and b.
int compare_rotations(const std::uint8_t* t, std::int32_t n, std::int32_t a, std::int32_t b) {
  for (std::int32_t done = 0; done < n;) {
    const std::int32_t span = std::min({n - a, n - b, n - done});
    const int c = std::memcmp(t + a, t + b, static_cast<std::size_t>(span));
    if (c != 0) return c;
    done += span;
    a += span;
    b += span;
    if (a == n) a = 0;
    if (b == n) b = 0;
  }
  return 0;
}

class Bzip2ModelState final : public CodeLengthState {
 public:
  Bzip2ModelState(int level, ByteView context) : level_(level), context_(context.begin(), context.end()) {}

  double context_bits() override {
    if (context_bits_ < 0) context_bits_ = bits_with({});
    return context_bits_;
  }

  double bits_with(ByteView x) override {
    if (!prepared_) prepare();
    const std::size_t p = p_size_;
    if (!fast_ || x.size() > kMaxContinuation || p + 5 * (x.size() + 1) >= block_limit(level_)) {
      scratch_.assign(context_.begin(), context_.end());
      scratch_.insert(scratch_.end(), x.begin(), x.end());
      return bzip2_model_bits(scratch_, level_);
    }
    // u: the run in progress, then x, through the first stage; the block is P·u.
    u_.clear();
    PendingRun run = run_;
    for (const std::uint8_t b : x) add_byte(b, run, u_);
    if (run.length > 0) write_run(run, u_);
    block_.resize(p);
    block_.insert(block_.end(), u_.begin(), u_.end());
    const std::int32_t n = static_cast<std::int32_t>(block_.size());
    const std::uint8_t* t = block_.data();

    // The rotations that may move with u, sorted, each with its place among the free ones.
    moving_.clear();
    for (std::int32_t r = static_cast<std::int32_t>(p - ambiguous_); r < n; ++r) moving_.push_back(r);
    std::sort(moving_.begin(), moving_.end(),
              [&](std::int32_t a, std::int32_t b) { return compare_rotations(t, n, a, b) < 0; });
    places_.resize(moving_.size());
    std::size_t lo = 0;
    for (std::size_t k = 0; k < moving_.size(); ++k) {
      std::size_t hi = free_pos_.size();
      while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (compare_rotations(t, n, free_pos_[mid], moving_[k]) < 0) lo = mid + 1;
        else hi = mid;
      }
      places_[k] = lo;
    }

    InUse in_use = in_use_p_;
    for (const std::uint8_t b : u_) in_use[b] = true;
    const std::uint8_t last = block_.back();
    coder_.start(in_use, mtf_);
    mtf_.symbols.reserve(block_.size() + 1);
    std::size_t k = 0;
    for (std::size_t f = 0; f <= free_pos_.size(); ++f) {
      for (; k < moving_.size() && places_[k] == f; ++k) coder_.feed(t[moving_[k] - 1]);
      if (f == free_pos_.size()) break;
      coder_.feed(f == free_of_zero_ ? last : free_last_[f]);
    }
    coder_.finish();
    return static_cast<double>(kStreamBits + block_bits(mtf_, in_use, huffman_));
  }

  void append(ByteView committed) override {
    context_.insert(context_.end(), committed.begin(), committed.end());
    context_bits_ = -1;
    prepared_ = false;
  }

  std::unique_ptr<CodeLengthState> clone() const override { return std::make_unique<Bzip2ModelState>(*this); }

 private:
  // The context's block P, its suffix order and free rotations (see the header).
  void prepare() {
    prepared_ = true;
    block_.clear();
    run_ = PendingRun{};
    fast_ = false;
    const std::size_t limit = block_limit(level_);
    for (const std::uint8_t b : context_) {
      if (block_.size() >= limit) {  // more than one block: from scratch
        p_size_ = block_.size();
        return;
      }
      add_byte(b, run_, block_);
    }
    p_size_ = block_.size();
    const std::int32_t p = static_cast<std::int32_t>(p_size_);
    if (p == 0) return;
    std::vector<std::int32_t> order, rank;
    sort_suffixes(block_, order, rank);
    // The ambiguous starts: P[j..) a proper prefix of the suffix after it in the order.
    std::int32_t j = p;
    while (j > 1) {
      const std::int32_t cand = j - 1, len = p - cand;
      const std::int32_t r = rank[static_cast<std::size_t>(cand)];
      if (r + 1 >= p) break;
      const std::int32_t next = order[static_cast<std::size_t>(r + 1)];
      if (next + len > p || std::memcmp(&block_[static_cast<std::size_t>(cand)], &block_[static_cast<std::size_t>(next)],
                                        static_cast<std::size_t>(len)) != 0)
        break;
      j = cand;
    }
    ambiguous_ = static_cast<std::size_t>(p - j);
    if (ambiguous_ > kMaxAmbiguous) return;
    free_pos_.clear();
    free_last_.clear();
    for (const std::int32_t i : order) {
      if (i >= j) continue;
      if (i == 0) free_of_zero_ = free_pos_.size();
      free_pos_.push_back(i);
      free_last_.push_back(i == 0 ? 0 : block_[static_cast<std::size_t>(i - 1)]);
    }
    in_use_p_.fill(false);
    for (const std::uint8_t b : block_) in_use_p_[b] = true;
    fast_ = true;
  }

  int level_;
  Bytes context_;
  double context_bits_ = -1;

  // Prepared once per context.
  bool prepared_ = false, fast_ = false;
  Bytes block_;  // P, then P·u while a continuation is costed
  std::size_t p_size_ = 0;
  PendingRun run_;
  std::size_t ambiguous_ = 0, free_of_zero_ = 0;
  std::vector<std::int32_t> free_pos_;
  Bytes free_last_;
  InUse in_use_p_{};

  // Per continuation, kept to avoid allocation.
  Bytes u_, scratch_;
  std::vector<std::int32_t> moving_;
  std::vector<std::size_t> places_;
  MtfCoder coder_;
  MtfSymbols mtf_;
  HuffmanScratch huffman_;
};

}  // namespace

std::unique_ptr<CodeLengthState> bzip2_model_state(int level, ByteView context) {
  return std::make_unique<Bzip2ModelState>(level, context);
}

}  // namespace zgen
