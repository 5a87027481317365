#pragma once
// A compressor as a next-byte model: p(x | c) ∝ 2^(−(ℓ(c·x) − ℓ(c))), ℓ in bits.
#include <memory>
#include <span>
#include <vector>

#include "zgen/compressor.hpp"
#include "zgen/models.hpp"
#include "zgen/predictor.hpp"

namespace zgen {

// The context a compressor model keeps (see the trimming rule in the .cpp): max_context when
// given, else the compressor's window capped at kDefaultContextBytes, because every family but
// gzip recompresses the whole kept context for every candidate.
inline constexpr std::size_t kDefaultContextBytes = std::size_t{64} << 10;
std::size_t context_bytes_kept(const Compressor& compressor, std::size_t max_context);

// How many consecutive candidates of n each thread is handed at once when a state shares work
// across up to `most` of them (CodeLengthState::group_size()); 1 when it shares none.
std::size_t group_length(std::size_t n, std::size_t most, std::size_t threads);

class CodeLengthPredictor final : public Predictor, public ContinuationCost {
 public:
  CodeLengthPredictor(std::unique_ptr<Compressor> compressor, const PredictorOptions& options);

  std::string name() const override { return compressor_->name(); }
  void reset(ByteView context) override;
  void observe(std::uint8_t byte) override;
  void log_probs(std::span<double, 256> out) override;
  ContinuationCost* as_continuation_cost() override { return this; }

  // ℓ(c·s) − ℓ(c) in bits for each continuation s, costed in parallel on the
  // per-thread states; the result does not depend on the thread count.
  std::vector<double> extra_bits(std::span<const Bytes> continuations) override;

  // The bytes this model may propose next (the alphabet option), ascending.
  const std::vector<std::uint8_t>& alphabet() const override { return alphabet_; }
  const Compressor& compressor() const { return *compressor_; }
  ByteView context() const { return history_; }

 private:
  void rebuild_states();
  void update_alphabet();

  std::unique_ptr<Compressor> compressor_;
  PredictorOptions options_;
  std::size_t keep_;  // the context kept after trimming: see trim rule in the .cpp
  Bytes history_;
  std::vector<std::unique_ptr<CodeLengthState>> states_;  // one per thread, all after history_
  std::vector<std::uint8_t> alphabet_;
  bool seen_[256] = {};
};

}  // namespace zgen
