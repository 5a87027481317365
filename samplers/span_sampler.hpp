#pragma once
// One step of the span method (GenerationMethod::kSpans in zgen/sampling.hpp): which pieces are
// on offer after the text so far, and their logits from the model's exact span costs.
#include <cstddef>
#include <memory>
#include <vector>

#include "samplers/copy_guard.hpp"
#include "zgen/predictor.hpp"
#include "zgen/sampler.hpp"
#include "zgen/sampling.hpp"

namespace zgen {

class SpanProposer {
 public:
  // `source`: the context and prompt the model was conditioned on (pieces come from its last
  // options.vocabulary_bytes, copies are checked against all of it).
  SpanProposer(ByteView source, const SpanOptions& options);

  // The pieces allowed after `text` (the prompt's tail and what was generated), each at most
  // `room` bytes long, in vocabulary order: a piece is allowed when it does not run on from the
  // text into a longer piece (a word straight after a word), when the two bytes at the seam
  // occur side by side somewhere in the source, and when the copy rule allows it. When no piece is allowed, the single bytes of
  // `alphabet` that the copy rule allows; when none of those either, every byte of `alphabet`
  // (so generation never stops; it takes a source in which each of the alphabet's bytes follows
  // the text's last N−1 bytes somewhere).
  std::vector<Bytes> offer(ByteView text, std::size_t room, const std::vector<std::uint8_t>& alphabet) const;

  // Records that `piece` was appended to `text` (the copy rule's own-sample windows, when
  // copy_self is on).
  void commit(ByteView text, ByteView piece);

  // Logits of the pieces from their extra bits. kBonus: −ln2 · (Δℓ − β·|piece|). kShare:
  // ln π(|piece|) + ln softmax over the pieces of that length of −ln2 · Δℓ, where π is the
  // share of the context's pieces with that length, renormalised over the lengths on offer.
  CandidateSet candidates(const std::vector<Bytes>& pieces, const std::vector<double>& extra_bits) const;

  const std::vector<Bytes>& vocabulary() const { return vocabulary_; }
  const CopyGuard* guard() const { return guard_.get(); }

 private:
  bool seam_seen(ByteView text, ByteView piece) const;
  bool copy_allows(ByteView text, ByteView piece) const;

  SpanOptions options_;
  std::vector<bool> pairs_;  // [a·256 + b]: the bytes a, b occur side by side in the source
  std::vector<Bytes> vocabulary_;
  std::vector<double> length_share_;  // index: piece length; counts of the context's pieces
  std::unique_ptr<CopyGuard> guard_;       // null when copy_window is 0
  std::unique_ptr<CopyGuard> room_guard_;  // window N−1, for the end of a piece; null when N < 2
};

}  // namespace zgen
