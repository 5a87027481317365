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
// placed among the free ones by comparing whole rotations; then the move-to-front stage, resumed
// from the context's own (see mtf_incremental), and the Huffman stage from scratch (entropy.cpp).
//
// The move-to-front stage of the merged column. The context's column B (the free rotations'
// bytes, rotation 0's left out) is coded once, its coder's state saved every kStride bytes. A
// continuation's column is B with a few bytes inserted (rotation 0's and the moving ones'). Its
// coder starts from the saved state before the first insertion and runs until, after the last
// insertion, its state at a saved point equals B's: same list order and same pending zeros.
// From there on it would write B's symbols, so they are copied. Bytes new to the block (Y, in
// u only) join the list: before they are first read, they sit among the unread bytes in
// ascending order, so the first read of a byte z of B costs #{y in Y : y < z} more; after the
// last insertion they are never read again, so a byte z that is behind some of them costs that
// many more at its next read, and nothing changes otherwise. Those reads are found from tables
// made with B's coding; where one of them would be a zero of a run (which would change the
// runs' coding), the column is coded from scratch instead.
//
// Displaced bytes. After an insertion of a byte z of B, the lists differ until B reads z again
// (often thousands of bytes later for a rare z), so the coder need not wait for equal lists: at
// a saved point where its pending zeros equal B's and no insertion comes before the next one, it
// skips on with z marked displaced. The list is the bytes ordered by their last read; bytes
// whose last read is B's are in B's order in both lists, so only new and displaced bytes can
// change a read's index: the first read (before the next saved point) of a byte w costs, more
// than in B, the new and displaced bytes in front of w here that are not read before it, less
// the displaced bytes in front of w in B's list that are not read before it; a displaced w's own
// read compares all bytes in front of it in both lists. Later reads cost as in B, and a
// displaced byte read by B is in step again.
//
// Bytes new to the block. For a one-byte continuation x that is not among the bytes of P and
// of the run in progress R, the block is P·R·x (x ends R and is a run of one). Two such bytes
// with the same number of those bytes below them give blocks that differ only in x, and the
// same order among all other bytes: the same rotation order, the same move-to-front indices
// (the list is kept in ascending order until read), the same symbols and Huffman stage. Only
// the mapping table can differ (x's 16-value range may be new), so the rest is costed once
// per rank and context (30 KB of English text: ~75 bytes in use, ~20 ranks for the others).
// A state and its clones (one per thread) share these costs; see RankCosts.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>

#include "compressors/bzip2_model/entropy.hpp"
#include "compressors/bzip2_model/model.hpp"
#include "compressors/bzip2_model/rle.hpp"
#include "compressors/bzip2_model/sort.hpp"

namespace zgen {
namespace {

using namespace bzip2;

constexpr std::uint64_t kStreamBits = 32 + 48 + 32;  // stream header and trailer (model.cpp)
// Past these the continuation is costed by recompressing (libbz2): the inserted rotations are
// compared one by one, which pays only when they are few.
constexpr std::size_t kMaxAmbiguous = 512;
constexpr std::size_t kMaxContinuation = 64;
// B's coder state is saved every kStride bytes: a continuation's coding starts at most this far
// before its first insertion and may only join B's at these points.
constexpr std::int32_t kStride = 128;

// Per rank, the bits of the block less its mapping table, shared by a state and its clones (the
// predictor's threads cost candidates after the same context with clones of one state). Clones
// may be given different bytes (a beam), so the costs are those of one context at a time: a
// state whose prepared context is not the shared one makes it so and starts a new generation;
// each entry carries the generation it was costed in, and is used only by states of that one.
struct RankCosts {
  std::mutex mutex;
  Bytes context;
  std::uint32_t generation = 0;
  std::array<std::atomic<std::uint64_t>, 257> entries{};  // generation << 32 | bits; 0: none

  // The generation of `c` (a new one if c is not the shared context).
  std::uint32_t join(const Bytes& c) {
    const std::lock_guard<std::mutex> lock(mutex);
    if (generation == 0 || context != c) {
      context = c;
      ++generation;
    }
    return generation;
  }
  bool find(std::uint32_t gen, int rank, std::uint32_t& bits) const {
    const std::uint64_t e = entries[static_cast<std::size_t>(rank)].load(std::memory_order_relaxed);
    if (static_cast<std::uint32_t>(e >> 32) != gen) return false;
    bits = static_cast<std::uint32_t>(e);
    return true;
  }
  void put(std::uint32_t gen, int rank, std::uint32_t bits) {
    entries[static_cast<std::size_t>(rank)].store(static_cast<std::uint64_t>(gen) << 32 | bits, std::memory_order_relaxed);
  }
};

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
  Bzip2ModelState(int level, ByteView context, std::unique_ptr<CodeLengthState> recompress)
      : level_(level), context_(context.begin(), context.end()), recompress_{std::move(recompress)} {}

  double context_bits() override {
    if (context_bits_ < 0) context_bits_ = bits_with({});
    return context_bits_;
  }

  double bits_with(ByteView x) override {
    if (!prepared_) prepare();
    const std::size_t p = p_size_;
    if (!fast_ || x.size() > kMaxContinuation || p + 5 * (x.size() + 1) >= block_limit(level_))
      return recompress_.state->bits_with(x);
    // A byte new to P·R: its rank's cost, if known, with its own mapping table.
    int rank = -1;
    std::uint64_t own_mapping = 0;
    if (x.size() == 1 && !in_use_pr_[x[0]]) {
      InUse with_x = in_use_pr_;
      with_x[x[0]] = true;
      own_mapping = mapping_bits(with_x);
      rank = rank_pr_[x[0]];
      std::uint32_t known = 0;
      if (rank_costs_->find(generation_, rank, known)) return static_cast<double>(kStreamBits + own_mapping + known);
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
    y_count_ = 0;
    for (const std::uint8_t b : u_)
      if (!in_use[b]) in_use[b] = true, is_new_[b] = true, new_bytes_[y_count_++] = b;
    std::sort(new_bytes_.begin(), new_bytes_.begin() + y_count_);
    if (!mtf_incremental()) mtf_full(in_use);
    for (int i = 0; i < y_count_; ++i) is_new_[new_bytes_[static_cast<std::size_t>(i)]] = false;
    const std::uint64_t bits = block_bits(mtf_, in_use, huffman_);
    if (rank >= 0) rank_costs_->put(generation_, rank, static_cast<std::uint32_t>(bits - own_mapping));
    return static_cast<double>(kStreamBits + bits);
  }

  // The merged column from scratch: free rotations' bytes with the moving ones inserted.
  void mtf_full(const InUse& in_use) {
    const std::uint8_t* t = block_.data();
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
  }

  // The merged column resumed from B's coding (see the header); false where it cannot be.
  bool mtf_incremental() {
    const std::int32_t nb = static_cast<std::int32_t>(column_.size());
    if (nb == 0) return false;
    // The insertions as (position in B, byte), in order; rotation 0 sits before B[free_of_zero_].
    inserts_.clear();
    const std::uint8_t* t = block_.data();
    const std::int32_t fz = static_cast<std::int32_t>(free_of_zero_);
    bool zero_done = false;
    for (std::size_t k = 0; k < moving_.size(); ++k) {
      const std::int32_t place = static_cast<std::int32_t>(places_[k]);
      if (!zero_done && place > fz) inserts_.push_back({fz, block_.back()}), zero_done = true;
      inserts_.push_back({place > fz ? place - 1 : place, t[moving_[k] - 1]});
    }
    if (!zero_done) inserts_.push_back({fz, block_.back()});

    const int a_c = base_size_ + y_count_;
    const std::int32_t n_cp = static_cast<std::int32_t>(cp_zeros_.size());
    mtf_.symbols.clear();
    mtf_.alpha_size = a_c + 2;
    // Joined at checkpoint 0: the list before any read, new bytes in ascending place.
    {
      InUse all = in_use_p_;
      for (int i = 0; i < y_count_; ++i) all[new_bytes_[static_cast<std::size_t>(i)]] = true;
      coder_.start(all, mtf_);
    }
    // Counts: B's, less B's symbols where the coder writes its own (which it counts), patched.
    mtf_.freq = base_.freq;
    clear_displaced();
    std::int32_t c = 0;  // the checkpoint the coder's state equals B's at
    std::size_t k = 0;   // the next insertion
    while (true) {
      // Skip to the checkpoint before the next insertion (the end of B if none is left).
      const bool last = k == inserts_.size();
      const std::int32_t c3 = last ? n_cp : std::min(inserts_[k].first, nb - 1) / kStride;
      if (c3 > c && !skip(c, c3)) return false;
      if (last) break;
      c = c3;
      // Code from there, through the insertions, until the state joins B's at a checkpoint.
      // Joining with bytes still displaced (read here by an insertion and not yet by B) is
      // worth it only where a skip follows: no insertion before the next checkpoint.
      bool fed = false, joined = false;
      for (std::int32_t b = c * kStride;; ++b) {
        for (; k < inserts_.size() && inserts_[k].first == b; ++k) {
          const std::uint8_t z = inserts_[k].second;
          coder_.feed(z);
          fed = true;
          if (!is_new_[z] && !displaced_[z]) displaced_[z] = true, ++n_displaced_;
        }
        if (b == nb) break;
        if (fed && b % kStride == 0) {
          const std::int32_t here = b / kStride;
          const bool in_step = at_checkpoint(here);
          if (in_step || (coder_.pending_zeros() == cp_zeros_[static_cast<std::size_t>(here)] &&
                          (k == inserts_.size() || std::min(inserts_[k].first, nb - 1) / kStride > here))) {
            if (in_step) clear_displaced();
            uncount(cp_emitted_[static_cast<std::size_t>(c)], cp_emitted_[static_cast<std::size_t>(here)]);
            c = here;
            joined = true;
            break;
          }
        }
        const std::uint8_t z = column_[static_cast<std::size_t>(b)];
        coder_.feed(z);
        if (displaced_[z]) displaced_[z] = false, --n_displaced_;
      }
      if (!joined) {  // B ended first
        uncount(cp_emitted_[static_cast<std::size_t>(c)], base_.symbols.size());
        coder_.finish();
        break;
      }
    }
    return true;
  }

  void clear_displaced() {
    if (n_displaced_ == 0) return;
    displaced_.fill(false);
    n_displaced_ = 0;
  }

  void uncount(std::size_t from, std::size_t until) {
    for (std::size_t i = from; i < until; ++i) --mtf_.freq[base_.symbols[i]];
  }

  // Whether the coder's state equals B's at checkpoint c (new bytes left out of the list).
  bool at_checkpoint(std::int32_t c) const {
    if (coder_.pending_zeros() != cp_zeros_[static_cast<std::size_t>(c)]) return false;
    const std::uint8_t* base_list = &cp_list_[static_cast<std::size_t>(c) * static_cast<std::size_t>(base_size_)];
    const std::uint8_t* list = coder_.list();
    int i = 0;
    for (int j = 0; j < coder_.size(); ++j) {
      if (is_new_[list[j]]) continue;
      if (list[j] != base_list[i++]) return false;
    }
    return true;
  }

  // From a state equal to B's at checkpoint c (new bytes aside) to checkpoint c3 (n_cp: the end
  // of B) with no insertion between: B's symbols, each byte behind d new bytes costing d more at
  // its first read; then the coder's state at c3: the bytes read meanwhile in front (B's order),
  // the others and the new bytes in their order at c.
  bool skip(std::int32_t c, std::int32_t c3) {
    const std::int32_t nb = static_cast<std::int32_t>(column_.size());
    const bool to_end = c3 == static_cast<std::int32_t>(cp_zeros_.size());
    const std::int32_t stop = to_end ? nb : c3 * kStride;
    const std::size_t from = cp_emitted_[static_cast<std::size_t>(c)];
    const std::size_t until = to_end ? base_.symbols.size() - 1 : cp_emitted_[static_cast<std::size_t>(c3)];
    const std::size_t s0 = mtf_.symbols.size();
    mtf_.symbols.insert(mtf_.symbols.end(), base_.symbols.begin() + static_cast<std::ptrdiff_t>(from),
                        base_.symbols.begin() + static_cast<std::ptrdiff_t>(until));
    const std::uint8_t* list = coder_.list();
    const std::int32_t* next_sym = &cp_next_[static_cast<std::size_t>(c) * 256];
    const std::int32_t* next_pos = &cp_next_pos_[static_cast<std::size_t>(c) * 256];
    const int size = coder_.size();
    // Where a byte is next read before c3 (kNever: not read there; new bytes never are).
    constexpr std::int32_t kNever = INT32_MAX;
    const auto read_at = [&](std::uint8_t z) {
      const std::int32_t at = is_new_[z] ? -1 : next_pos[z];
      return at < 0 || at >= stop ? kNever : at;
    };
    // Adds d to the symbol of z's first read; false where a zero of a run would change.
    const auto patch = [&](std::uint8_t z, int d) {
      if (d == 0) return true;
      if (next_sym[z] == -2) return false;
      std::uint16_t& v = mtf_.symbols[s0 + static_cast<std::size_t>(next_sym[z]) - from];
      if (v + d < 2) return false;
      --mtf_.freq[v];
      v = static_cast<std::uint16_t>(v + d);
      ++mtf_.freq[v];
      return true;
    };
    int kept = 0;
    std::uint8_t* rest = resume_list_.data();
    if (n_displaced_ == 0) {
      // Only new bytes differ: a byte read costs the new bytes in front of it more.
      int d = 0;
      for (int j = 0; j < size; ++j) {
        const std::uint8_t z = list[j];
        if (read_at(z) == kNever) {  // not read before c3 (new bytes included): keeps its place
          d += is_new_[z];
          rest[kept++] = z;
        } else if (!patch(z, d)) {
          return false;
        }
      }
    } else {
      // A byte's first read costs, more than in B, the bytes in front of it here and not read
      // before it, less those in front of it in B and not read before it. Other bytes are in the
      // same order in both lists, so for a byte in step only the new and displaced bytes count.
      const std::uint8_t* base_list = &cp_list_[static_cast<std::size_t>(c) * static_cast<std::size_t>(base_size_)];
      std::array<std::int32_t, 256> read{};
      std::array<std::int16_t, 256> place_here{}, place_b{};
      for (int j = 0; j < size; ++j) read[list[j]] = read_at(list[j]), place_here[list[j]] = static_cast<std::int16_t>(j);
      for (int i = 0; i < base_size_; ++i) place_b[base_list[i]] = static_cast<std::int16_t>(i);
      std::uint8_t odd[256];  // the new and displaced bytes
      int n_odd = 0;
      for (int j = 0; j < size; ++j)
        if (is_new_[list[j]] || displaced_[list[j]]) odd[n_odd++] = list[j];
      for (int j = 0; j < size; ++j) {
        const std::uint8_t z = list[j];
        const std::int32_t r = read[z];
        if (r == kNever) {
          rest[kept++] = z;
          continue;
        }
        int d = 0;
        if (displaced_[z]) {
          for (int i = 0; i < j; ++i) d += read[list[i]] > r;
          for (int i = 0; i < place_b[z]; ++i) d -= read[base_list[i]] > r;
        } else {
          for (int i = 0; i < n_odd; ++i) {
            const std::uint8_t o = odd[i];
            if (read[o] <= r) continue;
            d += place_here[o] < j;
            if (displaced_[o]) d -= place_b[o] < place_b[z];
          }
        }
        if (!patch(z, d)) return false;
      }
      // Displaced bytes read before c3 are in step again.
      for (int i = 0; i < n_odd; ++i)
        if (displaced_[odd[i]] && read[odd[i]] != kNever) displaced_[odd[i]] = false, --n_displaced_;
    }
    if (to_end) {  // B's EOB becomes the block's
      --mtf_.freq[static_cast<std::size_t>(base_.alpha_size - 1)];
      mtf_.symbols.push_back(static_cast<std::uint16_t>(mtf_.alpha_size - 1));
      ++mtf_.freq[static_cast<std::size_t>(mtf_.alpha_size - 1)];
      return true;
    }
    // The list at c3: B's bytes read since c (its first size − kept entries), then the rest.
    std::uint8_t merged[256];
    const int front = size - kept;
    std::memcpy(merged, &cp_list_[static_cast<std::size_t>(c3) * static_cast<std::size_t>(base_size_)], static_cast<std::size_t>(front));
    std::memcpy(merged + front, rest, static_cast<std::size_t>(kept));
    coder_.resume(merged, size, cp_zeros_[static_cast<std::size_t>(c3)], mtf_);
    return true;
  }

  void append(ByteView committed) override {
    recompress_.state->append(committed);
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
    in_use_pr_ = in_use_p_;
    if (run_.length > 0) in_use_pr_[run_.value] = true;
    for (int b = 0, below = 0; b < 256; ++b) {
      rank_pr_[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(below);
      below += in_use_pr_[static_cast<std::size_t>(b)];
    }
    generation_ = rank_costs_->join(context_);
    code_column();
    fast_ = true;
  }

  // B, the free rotations' bytes but rotation 0's, coded once with its states saved.
  void code_column() {
    column_.clear();
    for (std::size_t f = 0; f < free_last_.size(); ++f)
      if (f != free_of_zero_) column_.push_back(free_last_[f]);
    const std::int32_t nb = static_cast<std::int32_t>(column_.size());
    const std::size_t n_cp = static_cast<std::size_t>((nb + kStride - 1) / kStride);
    coder_.start(in_use_p_, base_);
    base_size_ = coder_.size();
    cp_list_.resize(n_cp * static_cast<std::size_t>(base_size_));
    cp_zeros_.resize(n_cp);
    cp_emitted_.resize(n_cp);
    sym_at_.resize(static_cast<std::size_t>(nb));
    for (std::int32_t b = 0; b < nb; ++b) {
      const std::size_t c = static_cast<std::size_t>(b / kStride);
      if (b % kStride == 0) {
        std::memcpy(&cp_list_[c * static_cast<std::size_t>(base_size_)], coder_.list(), static_cast<std::size_t>(base_size_));
        cp_zeros_[c] = coder_.pending_zeros();
        cp_emitted_[c] = static_cast<std::uint32_t>(base_.symbols.size());
      }
      const std::uint8_t z = column_[static_cast<std::size_t>(b)];
      const bool zero = coder_.list()[0] == z;
      coder_.feed(z);
      // Where this read's symbol is (its move-to-front index + 1), or −2 for a zero of a run.
      const std::int32_t at = zero ? -2 : static_cast<std::int32_t>(base_.symbols.size()) - 1;
      sym_at_[static_cast<std::size_t>(b)] = at;
    }
    coder_.finish();
    // The next read of each byte at or after each checkpoint.
    cp_next_.assign(n_cp * 256, -1);
    cp_next_pos_.assign(n_cp * 256, -1);
    std::array<std::int32_t, 256> next, next_pos;
    next.fill(-1);
    next_pos.fill(-1);
    for (std::int32_t b = nb - 1; b >= 0; --b) {
      next[column_[static_cast<std::size_t>(b)]] = sym_at_[static_cast<std::size_t>(b)];
      next_pos[column_[static_cast<std::size_t>(b)]] = b;
      if (b % kStride == 0) {
        std::copy(next.begin(), next.end(), &cp_next_[static_cast<std::size_t>(b / kStride) * 256]);
        std::copy(next_pos.begin(), next_pos.end(), &cp_next_pos_[static_cast<std::size_t>(b / kStride) * 256]);
      }
    }
  }

  // The recompressing state, for what the model does not cost incrementally; copied by clone().
  struct Owned {
    std::unique_ptr<CodeLengthState> state;
    Owned(std::unique_ptr<CodeLengthState> s) : state(std::move(s)) {}
    Owned(const Owned& o) : state(o.state->clone()) {}
  };

  int level_;
  Bytes context_;
  Owned recompress_;
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
  // Bytes new to P·R (see the header): the bytes of P·R and how many of them lie below each
  // byte (a new byte's rank); the costs per rank are in rank_costs_.
  InUse in_use_pr_{};
  std::array<std::uint8_t, 256> rank_pr_{};
  std::shared_ptr<RankCosts> rank_costs_ = std::make_shared<RankCosts>();  // shared with clones
  std::uint32_t generation_ = 0;  // of the prepared context in rank_costs_

  // B and its coding (code_column).
  Bytes column_;
  MtfSymbols base_;
  int base_size_ = 0;
  std::vector<std::uint8_t> cp_list_;  // per checkpoint: the list (base_size_ bytes)
  std::vector<std::uint32_t> cp_zeros_, cp_emitted_;
  std::vector<std::int32_t> cp_next_;   // per checkpoint and byte: the next read's symbol, −1 none, −2 a zero
  std::vector<std::int32_t> cp_next_pos_;  // per checkpoint and byte: the next read's position, −1 none
  std::vector<std::int32_t> sym_at_;

  // Per continuation, kept to avoid allocation.
  std::vector<std::pair<std::int32_t, std::uint8_t>> inserts_;
  std::array<std::uint8_t, 256> new_bytes_{};
  std::array<bool, 256> is_new_{};
  int y_count_ = 0;
  std::array<std::uint8_t, 256> resume_list_{};
  // Bytes of B read by an insertion and not by B since: their places differ from B's list.
  std::array<bool, 256> displaced_{};
  int n_displaced_ = 0;
  Bytes u_;
  std::vector<std::int32_t> moving_;
  std::vector<std::size_t> places_;
  MtfCoder coder_;
  MtfSymbols mtf_;
  HuffmanScratch huffman_;
};

}  // namespace

std::unique_ptr<CodeLengthState> bzip2_model_state(int level, ByteView context,
                                                   std::unique_ptr<CodeLengthState> recompress) {
  return std::make_unique<Bzip2ModelState>(level, context, std::move(recompress));
}

}  // namespace zgen
