#include "samplers/span_vocabulary.hpp"

#include <algorithm>
#include <map>
#include <string>

namespace zgen {
namespace {

enum class Kind { kLetter, kDigit, kSpace, kOther };

Kind kind_of(std::uint8_t b) {
  if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b >= 0x80) return Kind::kLetter;
  if (b >= '0' && b <= '9') return Kind::kDigit;
  if (b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f') return Kind::kSpace;
  return Kind::kOther;
}

}  // namespace

std::vector<ByteView> split_pieces(ByteView text) {
  std::vector<ByteView> pieces;
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const std::size_t start = i;
    Kind k = kind_of(text[i]);
    if (k == Kind::kSpace) {
      std::size_t end = i;
      while (end < n && kind_of(text[end]) == Kind::kSpace) ++end;
      if (end < n && text[end - 1] == ' ' && end - 1 == start) {
        // A lone ' ' before a non-space: the start of the next piece.
        i = start + 1;
        k = kind_of(text[i]);
      } else {
        // A final ' ' before a non-space belongs to the next piece ("\n\n The" → "\n\n", " The").
        if (end < n && text[end - 1] == ' ') --end;
        pieces.push_back(text.subspan(start, end - start));
        i = end;
        continue;
      }
    }
    while (i < n && kind_of(text[i]) == k) {
      ++i;
      // A word goes on through one apostrophe or hyphen between letters ("don't", "well-being").
      if (k == Kind::kLetter && i + 1 < n && (text[i] == '\'' || text[i] == '-') && kind_of(text[i + 1]) == Kind::kLetter &&
          kind_of(text[i - 1]) == Kind::kLetter)
        ++i;
    }
    pieces.push_back(text.subspan(start, i - start));
  }
  return pieces;
}

std::vector<Bytes> piece_vocabulary(ByteView text, std::size_t max_length, std::size_t max_pieces,
                                    std::size_t phrase_pieces) {
  // Ordered, so the result never depends on hashing; std::string keys compare bytewise as
  // unsigned chars (char_traits<char>::compare is memcmp-like).
  std::map<std::string, std::size_t> counts;
  const std::vector<ByteView> pieces = split_pieces(text);
  for (std::size_t i = 1; i + 1 < pieces.size(); ++i)
    if (pieces[i].size() <= max_length) ++counts[std::string(reinterpret_cast<const char*>(pieces[i].data()), pieces[i].size())];
  // Phrases: runs of 2..phrase_pieces pieces (BPE merges, in one go), kept when they occur at
  // least twice, as a merge needs a pair that recurs.
  std::map<std::string, std::size_t> phrases;
  for (std::size_t k = 2; k <= phrase_pieces; ++k)
    for (std::size_t i = 1; i + k < pieces.size(); ++i) {
      const auto* first = pieces[i].data();
      const std::size_t bytes = static_cast<std::size_t>(pieces[i + k - 1].data() + pieces[i + k - 1].size() - first);
      if (bytes <= max_length) ++phrases[std::string(reinterpret_cast<const char*>(first), bytes)];
    }
  for (const auto& [phrase, n] : phrases)
    if (n >= 2) counts[phrase] = n;
  std::vector<std::pair<std::string, std::size_t>> ranked(counts.begin(), counts.end());
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first.size() < b.first.size();  // equal sizes keep the map's bytewise order
  });
  if (max_pieces && ranked.size() > max_pieces) ranked.resize(max_pieces);
  std::vector<Bytes> out;
  out.reserve(ranked.size());
  for (const auto& r : ranked) out.emplace_back(r.first.begin(), r.first.end());
  return out;
}

}  // namespace zgen
