#include "src/eval/judge.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string>
#include <string_view>
#include <unordered_set>

#include "src/common/rng.hpp"
#include "src/eval/copy_rate.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

// Uniform in [0, n) without modulo bias: reject the top partial block of 2^64.
std::uint64_t uniform_below(Rng& rng, std::uint64_t n) {
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // a multiple of n
  for (;;) {
    const std::uint64_t x = rng.next();
    if (x < limit) return x % n;
  }
}

bool word_start(ByteView data, std::size_t i) {
  return !is_word_space(data[i]) && (i == 0 || is_word_space(data[i - 1]));
}

}  // namespace

bool is_word_space(std::uint8_t b) { return b == ' ' || (b >= '\t' && b <= '\r'); }

double self_repetition(ByteView sample, std::size_t window) {
  if (window == 0) throw InvalidParameter("window", "{} must be at least 1 byte");
  if (sample.size() < window) return 0;
  const std::size_t windows = sample.size() - window + 1;
  std::unordered_set<std::string_view> seen;
  seen.reserve(windows);
  std::size_t repeated = 0;
  for (std::size_t i = 0; i < windows; ++i)
    repeated += !seen.insert(std::string_view(reinterpret_cast<const char*>(sample.data()) + i, window)).second;
  return static_cast<double>(repeated) / static_cast<double>(windows);
}

Bytes shuffle_words(ByteView text, std::uint64_t seed) {
  struct Word {
    std::size_t begin, end;
  };
  std::vector<Word> words;
  for (std::size_t i = 0; i < text.size();) {
    if (is_word_space(text[i])) {
      ++i;
      continue;
    }
    const std::size_t begin = i;
    while (i < text.size() && !is_word_space(text[i])) ++i;
    words.push_back({begin, i});
  }
  std::vector<Word> order = words;
  Rng rng(seed);
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[uniform_below(rng, i)]);

  // Copy the text, writing word slot k's bytes from order[k]: whitespace runs keep their place.
  Bytes out;
  out.reserve(text.size());
  std::size_t at = 0;
  for (std::size_t k = 0; k < words.size(); ++k) {
    out.insert(out.end(), text.begin() + static_cast<std::ptrdiff_t>(at), text.begin() + static_cast<std::ptrdiff_t>(words[k].begin));
    out.insert(out.end(), text.begin() + static_cast<std::ptrdiff_t>(order[k].begin),
               text.begin() + static_cast<std::ptrdiff_t>(order[k].end));
    at = words[k].end;
  }
  out.insert(out.end(), text.begin() + static_cast<std::ptrdiff_t>(at), text.end());
  return out;
}

std::vector<double> judge_bits(Predictor& judge, ByteView given, ByteView text) {
  judge.reset(given);
  std::vector<double> bits;
  bits.reserve(text.size());
  std::array<double, 256> lp{};
  for (std::uint8_t b : text) {
    judge.log_probs(lp);
    if (!std::isfinite(lp[b]))
      throw InvalidParameter("judge", "{} " + literal(judge.name()) + " gives byte " + std::to_string(b) +
                                          " no probability: a judge must give every byte one (alphabet all)");
    bits.push_back(-lp[b] / std::numbers::ln2);
    judge.observe(b);
  }
  return bits;
}

double judge_bits_per_byte(Predictor& judge, ByteView given, ByteView text) {
  if (text.empty()) return 0;
  const std::vector<double> bits = judge_bits(judge, given, text);
  double sum = 0;
  for (double b : bits) sum += b;
  return sum / static_cast<double>(bits.size());
}

Verdict judge_text(Predictor& judge, ByteView given, ByteView text, ByteView source, const JudgeOptions& options) {
  if (options.shuffles < 1) throw InvalidParameter("shuffles", "{} must be at least 1, got " + std::to_string(options.shuffles));
  Verdict v;
  v.bits_per_byte = judge_bits_per_byte(judge, given, text);
  double shuffled = 0;
  for (int s = 0; s < options.shuffles; ++s)
    shuffled += judge_bits_per_byte(judge, given, shuffle_words(text, static_cast<std::uint64_t>(s)));
  v.shuffled_bits_per_byte = shuffled / options.shuffles;
  v.order_gain = v.shuffled_bits_per_byte - v.bits_per_byte;
  v.copy_rate = copy_rate(text, source, options.window);
  v.self_repetition = self_repetition(text, options.window);
  return v;
}

std::vector<std::size_t> passage_offsets(ByteView data, std::size_t length, std::size_t count, std::size_t lead) {
  if (length < 1) throw InvalidParameter("length", "{} of a reference passage must be at least 1 byte");
  if (count < 1) throw InvalidParameter("count", "{} of reference passages must be at least 1");
  const std::string need = std::to_string(count) + " passages of " + std::to_string(length) + " bytes";
  if (data.size() < lead || (data.size() - lead) / count < length)
    throw InvalidParameter("data", "{} has " + std::to_string(data.size()) + " bytes, too few for " + need +
                                       " (after a lead-in of " + std::to_string(lead) + ")");
  const std::size_t slice = (data.size() - lead) / count;
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t begin = lead + i * slice, end = i + 1 == count ? data.size() : begin + slice;
    std::size_t at = begin;
    while (at + length <= end && !word_start(data, at)) ++at;
    if (at + length > end)
      throw InvalidParameter("data", "{} has no word start early enough in its part " + std::to_string(i + 1) + " of " +
                                         std::to_string(count) + " for " + need);
    offsets.push_back(at);
  }
  return offsets;
}

Spread spread(std::span<const double> values) {
  Spread s;
  s.n = values.size();
  if (values.empty()) return s;
  s.min = *std::min_element(values.begin(), values.end());
  s.max = *std::max_element(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  if (values.size() > 1) {
    double sq = 0;
    for (double v : values) sq += (v - s.mean) * (v - s.mean);
    s.stdev = std::sqrt(sq / static_cast<double>(values.size() - 1));
  }
  return s;
}

}  // namespace zgen
