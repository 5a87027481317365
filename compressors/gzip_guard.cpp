// The gzip fast path's self-check against the linked zlib (see gzip_guard.hpp).
//
// The built-in inputs are generated here, deterministically (splitmix64, no <random>
// distributions), so that the check needs no file and sees the same bytes everywhere. Between
// them they reach the kinds of decision the model takes: fixed, dynamic and stored blocks, a
// block ended by the 16383-symbol limit, greedy (levels 1-3) and lazy (4-9) parsing with each
// level's limits, zlib's rule against far 3-byte matches, the 32 KiB distance limit, the window
// slide past 64 KiB, and a committed state continued as sampling does it (append, then
// bits_with). The short inputs run at all nine levels; the longer ones cost a millisecond or more
// per level, so they run at one lazy level (6, zlib's default) and one greedy level (1).
//
// What the inputs catch was tried by changing the model by hand, one rule at a time. Caught: the
// hash function, the far-match rule, good_match, nice_match, the lazy comparison, deflate_fast's
// insertion limit, the Huffman heap's tie order, level 6's chain limit or level 2's lazy limit
// changed, the symbol limit moved by 100 or halved. Not always caught: the symbol limit moved by
// a symbol or two (the moved symbol may cost the same in either block), level 9's chain limit
// halved (chains that long are rare in a few KB), and changes that only matter on exact ties
// (stored versus coded by one byte, a match at exactly the maximum distance). The check guards
// against another zlib; it is not a proof.
#include "compressors/gzip_guard.hpp"

#include <zlib.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "compressors/deflate/model.hpp"
#include "src/common/rng.hpp"

namespace zgen {
namespace {

// Text-like bytes: a vocabulary of 512 words made of syllables, drawn with a skew towards the
// first ones as in real text, with sentences, numbers and line breaks.
Bytes text_like(std::size_t n, std::uint64_t seed) {
  static constexpr const char* kSyllables[] = {"the", "an", "re", "con", "st", "ing", "er", "at", "ion", "pro",
                                               "de", "ment", "our", "ca", "li", "ty", "we", "ver", "ous", "sh"};
  constexpr std::size_t kSyllableCount = std::size(kSyllables), kWords = 512;
  std::uint64_t state = seed;
  std::vector<std::string> words(kWords);
  for (auto& w : words) {
    const std::uint64_t r = splitmix64(state);
    for (std::uint64_t k = 0, parts = 1 + r % 3; k < parts; ++k) w += kSyllables[(r >> (8 + 8 * k)) % kSyllableCount];
  }
  std::string out;
  bool capital = true;
  std::size_t line = 0;
  while (out.size() < n) {
    const std::uint64_t r = splitmix64(state);
    // The product of two uniform picks favours the first words, as real text does.
    std::string word = words[(r % kWords) * ((r >> 16) % kWords) / kWords];
    if ((r >> 32) % 29 == 0) word = std::to_string((r >> 40) % 2000);
    if (capital) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
    out += word;
    line += word.size();
    capital = (r >> 48) % 11 == 0;
    if (capital) out += '.';
    else if ((r >> 56) % 13 == 0) out += ',';
    if (line > 64) {
      out += '\n';
      line = 0;
    } else {
      out += ' ';
      ++line;
    }
  }
  out.resize(n);
  return Bytes(out.begin(), out.end());
}

// Binary-ish bytes in pieces of up to 256: noise, runs, two-bit noise, 32-bit counters and
// copies of earlier pieces.
Bytes binary_like(std::size_t n, std::uint64_t seed) {
  std::uint64_t state = seed;
  Bytes out;
  while (out.size() < n) {
    const std::uint64_t r = splitmix64(state);
    const std::size_t len = 1 + (r >> 8) % 256;
    switch (r % 5) {
      case 0:
        for (std::size_t i = 0; i < len; ++i) out.push_back(static_cast<std::uint8_t>(splitmix64(state)));
        break;
      case 1: out.insert(out.end(), len, static_cast<std::uint8_t>(r >> 32)); break;
      case 2:
        for (std::size_t i = 0; i < len; ++i) out.push_back(static_cast<std::uint8_t>(splitmix64(state) & 3));
        break;
      case 3:
        for (std::uint32_t i = 0, v = static_cast<std::uint32_t>(r >> 32); i < len / 4; ++i, v += 7)
          for (int b = 0; b < 4; ++b) out.push_back(static_cast<std::uint8_t>(v >> (8 * b)));
        break;
      default:
        for (std::size_t i = 0, from = (r >> 32) % (out.size() + 1); i < len && from + i < out.size(); ++i)
          out.push_back(out[from + i]);
    }
  }
  out.resize(n);
  return out;
}

// One comparison: the model's state after `context`, then `appended` committed, costs
// `continuation`; zlib compresses all three together.
struct GuardInput {
  const char* name;
  Bytes context, appended, continuation;
  std::vector<int> levels;
  Bytes whole;  // context · appended · continuation, for zlib
};

std::vector<GuardInput> make_inputs() {
  const std::vector<int> all = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const Bytes text = text_like(58000, 1);
  const Bytes binary = binary_like(1500, 2);
  Bytes noise(10000);
  std::uint64_t state = 3;
  for (auto& b : noise) b = static_cast<std::uint8_t>(splitmix64(state));
  auto piece = [](const Bytes& b, std::size_t from, std::size_t to) {
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(to));
  };
  // 68 KB: noise, all literals, then text, so that the first block ends at the symbol limit
  // inside the text, where moving its end by one symbol changes the trees.
  Bytes long_mix = noise;
  long_mix.insert(long_mix.end(), text.begin(), text.end());
  std::vector<GuardInput> inputs = {
      // From scratch: no committed state; one block with the fixed codes.
      {"short text", {}, {}, piece(text, 0, 300), all, {}},
      // Sampling's step: a byte committed after the context, the next one costed.
      {"short text, one byte appended", piece(text, 0, 500), piece(text, 500, 501), piece(text, 501, 502), all, {}},
      // A stored block.
      {"noise", {}, {}, piece(noise, 0, 1000), all, {}},
      // A dynamic block, the trees built from text and binary symbols.
      {"text and binary", piece(text, 0, 1000), binary, piece(text, 1000, 1500), all, {}},
      // Lazy matching over distances beyond 4 KiB (where zlib drops 3-byte matches) and chains
      // long enough for the good_match rule, at the default level.
      {"medium text", piece(text, 0, 8000), {}, piece(text, 8000, 12000), {6}, {}},
      // A block ended by the symbol limit, matches up to the 32 KiB distance limit and the
      // window slide past 64 KiB, crossed while committing.
      {"long text and noise", piece(long_mix, 0, 30000), piece(long_mix, 30000, 67000),
       piece(long_mix, 67000, long_mix.size()), {1}, {}},
  };
  for (auto& in : inputs) {
    in.whole = in.context;
    in.whole.insert(in.whole.end(), in.appended.begin(), in.appended.end());
    in.whole.insert(in.whole.end(), in.continuation.begin(), in.continuation.end());
  }
  return inputs;
}

const std::vector<GuardInput>& inputs() {
  static const std::vector<GuardInput> built = make_inputs();
  return built;
}

enum Verdict : int { kUnchecked, kMatches, kDiffers };

struct Guard {
  std::mutex mutex;  // held while the check runs, so that other threads wait for its verdict
  std::atomic<int> verdict{kUnchecked};
  bool perturbed = false;
};

Guard& guard() {
  static Guard g;
  return g;
}

}  // namespace

GzipSelfCheck check_gzip_fast_path(bool perturbed) {
  ZlibMemoryPool pool;
  for (const GuardInput& in : inputs()) {
    for (const int level : in.levels) {
      const int model_level = perturbed ? (level == 9 ? 8 : level + 1) : level;
      auto state = gzip_model_state(model_level, in.context);
      if (!in.appended.empty()) state->append(in.appended);
      const double model = state->bits_with(in.continuation);
      const double zlib = gzip_code_length_bits(level, in.whole, &pool);
      if (model != zlib) return {false, level, in.name, model, zlib};
    }
  }
  return {};
}

std::string gzip_guard_warning() {
  return std::string("zgen: warning: the linked zlib ") + zlibVersion() +
         " makes other choices than the zlib " + deflate::kModelZlibVersion +
         " that the gzip fast path reproduces; gzip code lengths are computed by recompressing (exact, slower)";
}

bool gzip_fast_path_verified() {
  Guard& g = guard();
  int verdict = g.verdict.load(std::memory_order_acquire);
  if (verdict == kUnchecked) {
    const std::lock_guard<std::mutex> lock(g.mutex);
    verdict = g.verdict.load(std::memory_order_relaxed);
    if (verdict == kUnchecked) {
      verdict = check_gzip_fast_path(g.perturbed).matches ? kMatches : kDiffers;
      if (verdict == kDiffers) std::fprintf(stderr, "%s\n", gzip_guard_warning().c_str());
      g.verdict.store(verdict, std::memory_order_release);
    }
  }
  return verdict == kMatches;
}

void reset_gzip_guard_for_testing(bool perturbed) {
  Guard& g = guard();
  const std::lock_guard<std::mutex> lock(g.mutex);
  g.perturbed = perturbed;
  g.verdict.store(kUnchecked, std::memory_order_release);
}

}  // namespace zgen
