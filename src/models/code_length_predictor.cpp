#include "src/models/code_length_predictor.hpp"
#include "zgen/errors.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <numbers>

namespace zgen {

// Context trimming, the documented rule: the predictor keeps the last `keep_` bytes of
// everything it was given (keep_ = context_bytes_kept: max_context, by default the
// compressor's window capped at 64 KiB).
// To keep the fast path incremental it lets the context grow to 2·keep_ and then drops the
// oldest bytes down to keep_ in one go; both the fast path and --no-snapshot see exactly the
// same trimmed context, so their code lengths agree. With a window-sized keep_, the bytes
// dropped are ones that no match can reach any more.

std::size_t context_bytes_kept(const Compressor& compressor, std::size_t max_context) {
  return max_context ? max_context : std::min(compressor.window_bytes(), kDefaultContextBytes);
}

CodeLengthPredictor::CodeLengthPredictor(std::unique_ptr<Compressor> compressor, const PredictorOptions& options)
    : compressor_(std::move(compressor)), options_(options) {
  if (options_.threads < 1) options_.threads = 1;
  keep_ = context_bytes_kept(*compressor_, options_.max_context);
  if (options_.alphabet != "all" && options_.alphabet != "printable" && options_.alphabet != "context")
    throw UserError("unknown alphabet '" + options_.alphabet + "' (expected all, printable or context)");
  reset({});
}

void CodeLengthPredictor::reset(ByteView context) {
  const std::size_t from = context.size() > keep_ ? context.size() - keep_ : 0;
  history_.assign(context.begin() + static_cast<std::ptrdiff_t>(from), context.end());
  std::fill(std::begin(seen_), std::end(seen_), false);
  for (auto b : context) seen_[b] = true;  // the alphabet counts the whole context, trimmed or not
  update_alphabet();
  rebuild_states();
}

void CodeLengthPredictor::rebuild_states() {
  states_.clear();
  states_.push_back(options_.snapshot ? compressor_->begin(history_) : recompressing_state(*compressor_, history_));
  for (int t = 1; t < options_.threads; ++t) states_.push_back(states_.front()->clone());
}

void CodeLengthPredictor::update_alphabet() {
  alphabet_.clear();
  for (int b = 0; b < 256; ++b) {
    const bool printable = b == '\t' || b == '\n' || (b >= 0x20 && b < 0x7f);
    if (options_.alphabet == "all" || (options_.alphabet == "printable" && printable) ||
        (options_.alphabet == "context" && seen_[b]))
      alphabet_.push_back(static_cast<std::uint8_t>(b));
  }
  // An empty context has no alphabet of its own: fall back to every byte rather than to nothing.
  if (alphabet_.empty())
    for (int b = 0; b < 256; ++b) alphabet_.push_back(static_cast<std::uint8_t>(b));
}

void CodeLengthPredictor::observe(std::uint8_t byte) {
  history_.push_back(byte);
  if (!seen_[byte]) {
    seen_[byte] = true;
    update_alphabet();
  }
  if (history_.size() > 2 * keep_) {
    history_.erase(history_.begin(), history_.end() - static_cast<std::ptrdiff_t>(keep_));
    rebuild_states();
    return;
  }
  const std::uint8_t one[1] = {byte};
  for (auto& s : states_) s->append(one);
}

std::vector<double> CodeLengthPredictor::extra_bits(std::span<const Bytes> continuations) {
  const double base = states_.front()->context_bits();
  std::vector<double> bits(continuations.size());
  const std::size_t n = continuations.size();
  const int threads = std::min<int>(static_cast<int>(states_.size()), static_cast<int>(std::max<std::size_t>(n, 1)));
  // Each candidate's length is exact whichever state computes it, so the split over threads
  // cannot change any result. Candidates are handed out one group at a time (group_length
  // below); without shared work a group is one candidate: their costs can differ widely (the
  // bzip2 model costs the bytes new to the context once per rank, so one half of the byte
  // values may take a fraction of the other's time), and a candidate costs far more than its
  // hand-out.
  const std::size_t group = group_length(n, states_.front()->group_size(), static_cast<std::size_t>(threads));
  const int groups = static_cast<int>((n + group - 1) / group);
  // An exception may not leave an OpenMP region: the first one is kept and rethrown after it.
  std::exception_ptr failure;
#pragma omp parallel for num_threads(threads) schedule(dynamic)
  for (int g = 0; g < groups; ++g) {
    try {
      const std::size_t from = static_cast<std::size_t>(g) * group, count = std::min(group, n - from);
      CodeLengthState& state = *states_[static_cast<std::size_t>(omp_get_thread_num())];
      if (count == 1)
        bits[from] = state.bits_with(continuations[from]);
      else
        state.bits_with_each(continuations.subspan(from, count), std::span<double>(bits).subspan(from, count));
    } catch (...) {
#pragma omp critical(zgen_extra_bits_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  for (double& b : bits) b -= base;
  return bits;
}

// The candidates per group when a state shares work across up to `most` of them: as few groups
// as sharing allows, but a multiple of the thread count, so that the threads get equal shares
// (256 candidates, groups of at most 64: 4 groups of 64 on 1, 2 or 4 threads, 6 of 43 on 3).
std::size_t group_length(std::size_t n, std::size_t most, std::size_t threads) {
  if (most <= 1 || n <= 1) return 1;
  std::size_t groups = (n + most - 1) / most;
  groups = (groups + threads - 1) / threads * threads;
  return (n + groups - 1) / groups;
}

void CodeLengthPredictor::log_probs(std::span<double, 256> out) {
  std::vector<Bytes> candidates;
  candidates.reserve(alphabet_.size());
  for (auto b : alphabet_) candidates.push_back(Bytes{b});
  const std::vector<double> bits = extra_bits(candidates);

  // ln p(x) = −ln2 · Δℓ(x) − ln Z, with Z summed relative to the cheapest candidate.
  const double min_bits = *std::min_element(bits.begin(), bits.end());
  double z = 0;
  for (double b : bits) z += std::exp(-std::numbers::ln2 * (b - min_bits));
  const double log_z = std::log(z);
  std::fill(out.begin(), out.end(), -std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < alphabet_.size(); ++i)
    out[alphabet_[i]] = -std::numbers::ln2 * (bits[i] - min_bits) - log_z;
}

}  // namespace zgen
