#include "samplers/span_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <set>
#include <stdexcept>

#include "samplers/span_vocabulary.hpp"

namespace zgen {

namespace {

// True when `piece` would run on from the end of `text` into one longer piece (a word after a
// word, digits after digits, punctuation after punctuation): split_pieces would never cut text
// there, so the context never shows such a seam ("AmericaThe").
bool joins(ByteView text, ByteView piece) {
  if (text.empty() || piece.empty()) return false;
  const auto space = [](std::uint8_t b) { return b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\v' || b == '\f'; };
  if (space(text.back()) || space(piece.front())) return false;  // a space starts or ends a piece anyway
  const Bytes probe{text.back(), piece.front()};
  return split_pieces(probe).size() == 1;
}

}  // namespace

// A seam is allowed only where the context shows the same two bytes side by side: no "but000",
// no double space in a text that has none.
bool SpanProposer::seam_seen(ByteView text, ByteView piece) const {
  if (text.empty() || piece.empty()) return true;
  return pairs_[static_cast<std::size_t>(text.back()) * 256 + piece.front()];
}

namespace {

}  // namespace

// The copy rule, with room to go on: besides making no N-byte window of the source, a piece may
// not leave the text ending in N−1 bytes of the source. Otherwise every piece after it that
// starts the way the source goes on there (typically with the space before the next word)
// would be refused, and the text would be pushed into a seam that no text shows.
bool SpanProposer::copy_allows(ByteView text, ByteView piece) const {
  if (!guard_) return true;
  if (!guard_->allows(text, piece)) return false;
  return !room_guard_ || !room_guard_->ends_in_source(text, piece);
}

SpanProposer::SpanProposer(ByteView source, const SpanOptions& options) : options_(options) {
  if (options.max_piece < 1) throw std::invalid_argument("SpanProposer: max_piece must be at least 1");
  const std::size_t from =
      options.vocabulary_bytes && source.size() > options.vocabulary_bytes ? source.size() - options.vocabulary_bytes : 0;
  vocabulary_ = piece_vocabulary(source.subspan(from), options.max_piece, options.max_pieces, options.phrase_pieces);
  length_share_.assign(options.max_piece + 1, 0.0);
  for (ByteView p : split_pieces(source.subspan(from)))
    if (p.size() <= options.max_piece) length_share_[p.size()] += 1.0;
  pairs_.assign(256 * 256, false);
  for (std::size_t i = 1; i < source.size(); ++i) pairs_[static_cast<std::size_t>(source[i - 1]) * 256 + source[i]] = true;
  if (options.copy_window) guard_ = std::make_unique<CopyGuard>(source, options.copy_window);
  if (options.copy_window > 1) room_guard_ = std::make_unique<CopyGuard>(source, options.copy_window - 1);
}

std::vector<Bytes> SpanProposer::offer(ByteView text, std::size_t room, const std::vector<std::uint8_t>& alphabet) const {
  std::vector<Bytes> out;
  // After a text that ends in a space (a prompt such as "The "), a piece that starts with its
  // own space is offered without it: the space already there is the one it would bring.
  const bool spaced = !text.empty() && text.back() == ' ';
  std::set<Bytes> offered;
  for (const Bytes& v : vocabulary_) {
    const Bytes p = spaced && v.size() > 1 && v.front() == ' ' ? Bytes(v.begin() + 1, v.end()) : v;
    if (p.size() <= room && !joins(text, p) && seam_seen(text, p) && copy_allows(text, p) && offered.insert(p).second)
      out.push_back(p);
  }
  if (!out.empty()) return out;
  for (std::uint8_t b : alphabet) {
    const Bytes one{b};
    if (copy_allows(text, one)) out.push_back(one);
  }
  if (!out.empty()) return out;
  for (std::uint8_t b : alphabet) out.push_back(Bytes{b});
  return out;
}

void SpanProposer::commit(ByteView text, ByteView piece) {
  if (!guard_ || !options_.copy_self) return;
  const std::size_t n = guard_->window();
  Bytes joined(text.end() - static_cast<std::ptrdiff_t>(std::min(text.size(), n - 1)), text.end());
  const std::size_t from_text = joined.size();
  joined.insert(joined.end(), piece.begin(), piece.end());
  for (std::size_t end = std::max(n, from_text + 1); end <= joined.size(); ++end)
    guard_->add_window(ByteView(joined).subspan(end - n, n));
  if (room_guard_)
    for (std::size_t end = std::max(n - 1, from_text + 1); end <= joined.size(); ++end)
      room_guard_->add_window(ByteView(joined).subspan(end - (n - 1), n - 1));
}

CandidateSet SpanProposer::candidates(const std::vector<Bytes>& pieces, const std::vector<double>& extra_bits) const {
  if (pieces.size() != extra_bits.size()) throw std::invalid_argument("SpanProposer::candidates: sizes differ");
  CandidateSet set;
  set.items.reserve(pieces.size());
  if (options_.lengths == SpanOptions::Lengths::kBonus) {
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      const double bits = extra_bits[i] - options_.length_bonus * static_cast<double>(pieces[i].size());
      set.items.push_back({256 + static_cast<int>(i), -std::numbers::ln2 * bits, 0.0});
    }
    return set;
  }
  // kShare. Per length: the cheapest piece's bits and the log of Σ 2^(−(Δℓ − min)).
  const std::size_t lengths = length_share_.size();
  std::vector<double> min_bits(lengths, std::numeric_limits<double>::infinity()), z(lengths, 0.0);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const std::size_t l = std::min(pieces[i].size(), lengths - 1);
    min_bits[l] = std::min(min_bits[l], extra_bits[i]);
  }
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const std::size_t l = std::min(pieces[i].size(), lengths - 1);
    z[l] += std::exp2(-(extra_bits[i] - min_bits[l]));
  }
  // A length on offer that the context never shows (a fallback byte) still gets a share: one piece's worth.
  double total = 0;
  std::vector<double> share(lengths, 0.0);
  for (std::size_t l = 0; l < lengths; ++l)
    if (z[l] > 0) total += share[l] = std::max(length_share_[l], 1.0);
  if (options_.lengths == SpanOptions::Lengths::kShare) {
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      const std::size_t l = std::min(pieces[i].size(), lengths - 1);
      const double logit = std::log(share[l] / total) - std::numbers::ln2 * (extra_bits[i] - min_bits[l]) - std::log(z[l]);
      set.items.push_back({256 + static_cast<int>(i), logit, 0.0});
    }
    return set;
  }
  // kTypical: the median cost per length (the lower median for an even count).
  std::vector<std::vector<double>> costs(lengths);
  for (std::size_t i = 0; i < pieces.size(); ++i) costs[std::min(pieces[i].size(), lengths - 1)].push_back(extra_bits[i]);
  std::vector<double> median(lengths, 0.0);
  for (std::size_t l = 0; l < lengths; ++l) {
    if (costs[l].empty()) continue;
    auto mid = costs[l].begin() + static_cast<std::ptrdiff_t>((costs[l].size() - 1) / 2);
    std::nth_element(costs[l].begin(), mid, costs[l].end());
    median[l] = *mid;
  }
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const std::size_t l = std::min(pieces[i].size(), lengths - 1);
    const double logit = std::log(share[l] / total) - std::log(static_cast<double>(costs[l].size())) -
                         std::numbers::ln2 * (extra_bits[i] - median[l]);
    set.items.push_back({256 + static_cast<int>(i), logit, 0.0});
  }
  return set;
}

}  // namespace zgen
