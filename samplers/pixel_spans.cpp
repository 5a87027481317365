// Completing a patch with runs of pixels (PatchMethod::kSpans, include/zgen/images.hpp): the
// image counterpart of the text span method (generate.cpp, span_sampler.cpp). The pieces are
// not words but runs of the pixels the model has seen; their distribution is the compressor's
// exact code lengths, normalised over the runs on offer.
#include <algorithm>
#include <array>
#include <numbers>
#include <set>
#include <stdexcept>
#include <string>

#include "samplers/pixel_spans.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"

namespace zgen {

// The distinct runs, the most recent first (an order fixed by the data alone, so the candidates'
// ids never depend on threads).
std::vector<Bytes> pixel_runs(ByteView seen, std::size_t length, std::size_t window) {
  std::vector<Bytes> out;
  if (length == 0 || seen.size() < length) return out;
  const std::size_t from = seen.size() > window ? seen.size() - window : 0;
  std::set<Bytes> offered;
  for (std::size_t start = seen.size() - length + 1; start-- > from;) {
    Bytes run(seen.begin() + static_cast<std::ptrdiff_t>(start), seen.begin() + static_cast<std::ptrdiff_t>(start + length));
    if (offered.insert(run).second) out.push_back(std::move(run));
  }
  return out;
}

std::vector<Bytes> pixel_blocks(ByteView seen, std::size_t length, std::size_t rows, std::size_t stride,
                                std::size_t window, ByteView above) {
  if (rows == 1) return pixel_runs(seen, length, window);
  if (rows > 1 && stride < length) throw std::invalid_argument("pixel_blocks: stride shorter than a run");
  if (!above.empty() && above.size() != length) throw std::invalid_argument("pixel_blocks: above is not one run long");
  std::vector<Bytes> out;
  if (length == 0 || rows == 0) return out;
  const std::size_t span = (rows - 1) * stride + length;  // bytes from a block's first byte to its last, included
  if (seen.size() < span) return out;
  const std::size_t bytes = rows * length;  // ≤ span ≤ seen.size()
  const std::size_t from = seen.size() > window ? seen.size() - window : 0;
  std::set<std::string> offered;  // the blocks' bytes (a byte string: GCC 12 warns falsely on a set of vectors here)
  for (std::size_t start = seen.size() - span + 1; start-- > from;) {
    if (!above.empty() && start >= stride &&
        std::equal(above.begin(), above.end(), seen.begin() + static_cast<std::ptrdiff_t>(start - stride)))
      continue;
    Bytes block(bytes);
    for (std::size_t r = 0; r < rows; ++r)
      std::copy_n(seen.begin() + static_cast<std::ptrdiff_t>(start + r * stride), length,
                  block.begin() + static_cast<std::ptrdiff_t>(r * length));
    if (offered.emplace(block.begin(), block.end()).second) out.push_back(std::move(block));
  }
  return out;
}

namespace {

// How many unknown pixels follow from i on (i included).
std::size_t unknown_run(const KnownMask& known, std::size_t i) {
  std::size_t n = 0;
  while (i + n < known.size() && !known[i + n]) ++n;
  return n;
}

// How many known pixels follow from i on (i included), at most `cap`.
std::size_t known_run(const KnownMask& known, std::size_t i, std::size_t cap) {
  std::size_t n = 0;
  while (n < cap && i + n < known.size() && known[i + n]) ++n;
  return n;
}

// How many rows a block at pixel i may have (at most `cap`, at least 1): the unknown stretch at i
// (`length` pixels, its whole stretch) repeats `stride` pixels later, again `length` unknown
// pixels after a gap of known ones, as each row's unknown part does under `--known left`.
// `stride` is set to that period (0 when the block has one row).
std::size_t block_rows_at(const KnownMask& known, std::size_t i, std::size_t length, std::size_t cap,
                          std::size_t& stride) {
  stride = 0;
  if (cap <= 1 || unknown_run(known, i) != length) return 1;
  const std::size_t gap = known_run(known, i + length, known.size());
  if (gap == 0) return 1;
  stride = length + gap;
  std::size_t rows = 1;
  while (rows < cap) {
    const std::size_t next = i + rows * stride;
    if (next >= known.size() || unknown_run(known, next) != length || known_run(known, next - gap, gap) != gap) break;
    ++rows;
  }
  if (rows == 1) stride = 0;
  return rows;
}

// Each block (rows runs of `length` pixels) written as it will be placed: its runs with the
// known pixels between them (`out` at the gaps after pixel i, `stride` apart), then `after`.
std::vector<Bytes> placed_blocks(const std::vector<Bytes>& blocks, std::size_t length, std::size_t stride,
                                 ByteView out, std::size_t i, ByteView after) {
  std::vector<Bytes> placed;
  placed.reserve(blocks.size());
  for (const Bytes& block : blocks) {
    const std::size_t rows = block.size() / length;
    Bytes joined;
    joined.reserve((rows - 1) * stride + length + after.size());
    for (std::size_t r = 0; r < rows; ++r) {
      joined.insert(joined.end(), block.begin() + static_cast<std::ptrdiff_t>(r * length),
                    block.begin() + static_cast<std::ptrdiff_t>((r + 1) * length));
      if (r + 1 < rows) {
        const ByteView gap = out.subspan(i + r * stride + length, stride - length);
        joined.insert(joined.end(), gap.begin(), gap.end());
      }
    }
    joined.insert(joined.end(), after.begin(), after.end());
    placed.push_back(std::move(joined));
  }
  return placed;
}

}  // namespace

std::string patch_method_name(PatchMethod method) { return method == PatchMethod::kSpans ? "spans" : "pixels"; }

PatchMethod parse_patch_method(const std::string& name) {
  if (name == "spans") return PatchMethod::kSpans;
  if (name == "pixels") return PatchMethod::kPixels;
  throw InvalidParameter("method", "unknown {} '" + literal(name) + "' (expected spans or pixels)");
}

SamplerChain make_patch_chain(const SamplerParams& params, const PatchOptions& options) {
  std::shared_ptr<std::vector<Bytes>> spans = options.spans;
  return make_chain(params, [spans](int id) {
    const auto i = static_cast<std::size_t>(id - 256);
    return id >= 256 && i < spans->size() && !(*spans)[i].empty() ? (*spans)[i][0] : -1;
  });
}

Bytes complete_patch(Predictor& model, SamplerChain& chain, ByteView prior, ByteView patch, const KnownMask& known,
                     const PatchOptions& options, const std::function<void()>& on_sampled) {
  if (options.span_pixels < 1 || options.window < 1 || options.block_rows < 1)
    throw std::invalid_argument("complete_patch: span_pixels, window and block_rows must be at least 1");
  ContinuationCost* cost = model.as_continuation_cost();
  if (options.method == PatchMethod::kPixels || !cost) return complete_patch(model, chain, prior, patch, known, on_sampled);
  if (patch.size() != known.size()) throw std::invalid_argument("complete_patch: patch and mask differ in size");

  model.reset(prior);
  Bytes out(patch.begin(), patch.end());
  // What the model has seen: the prior, then the region's pixels so far. Only its last `window`
  // bytes are searched for runs, so keep a little more than that.
  Bytes seen(prior.begin() + static_cast<std::ptrdiff_t>(prior.size() > options.window ? prior.size() - options.window : 0),
             prior.end());
  const auto show = [&](std::uint8_t b) {
    model.observe(b);
    seen.push_back(b);
    if (seen.size() >= 2 * options.window)
      seen.erase(seen.begin(), seen.end() - static_cast<std::ptrdiff_t>(options.window));
  };
  std::array<double, 256> log_probs{};
  std::size_t i = 0;
  while (i < out.size()) {
    if (known[i]) {
      show(out[i++]);
      continue;
    }
    const std::size_t length = std::min({options.span_pixels, unknown_run(known, i), seen.size()});
    std::vector<Bytes>& runs = *options.spans;
    // A block of rows runs, stride apart; fewer rows while what has been seen holds none.
    // No block extends a copy: one whose pixels above equal those above the hole is left out.
    std::size_t stride = 0;
    std::size_t rows = block_rows_at(known, i, length, options.block_rows, stride);
    const ByteView above = rows > 1 && seen.size() >= stride
                               ? ByteView(seen).subspan(seen.size() - stride, length)
                               : ByteView();
    runs = pixel_blocks(seen, length, rows, stride, options.window, above);
    while (runs.empty() && rows > 1) {
      --rows;
      runs = pixel_blocks(seen, length, rows, stride, options.window, rows > 1 ? above : ByteView());
    }
    Bytes piece;
    if (runs.empty()) {  // nothing seen yet: one pixel from the model's distribution
      model.log_probs(log_probs);
      piece.push_back(static_cast<std::uint8_t>(chain.sample(log_probs)));
      rows = 1;
    } else {
      // The known pixels right after the block's last run (none when the run stops short of its
      // row's unknown stretch): priced with it, they make p(block) the compressor's distribution
      // given both sides. A block's runs are priced with the known pixels between them.
      const std::size_t end = i + (rows - 1) * stride + length;
      const std::size_t after = known_run(known, end, options.lookahead);
      const ByteView after_pixels = ByteView(out).subspan(end, after);
      const std::vector<double> bits = (after == 0 && rows == 1)
                                           ? cost->extra_bits(runs)
                                           : cost->extra_bits(placed_blocks(runs, length, stride, out, i, after_pixels));
      CandidateSet set;
      set.items.reserve(runs.size());
      for (std::size_t k = 0; k < runs.size(); ++k)
        set.items.push_back({256 + static_cast<int>(k), -std::numbers::ln2 * bits[k], 0.0});
      piece = runs[static_cast<std::size_t>(chain.apply(set) - 256)];
    }
    // Place the piece row by row; the known pixels between its rows are shown as they come.
    const std::size_t per_row = piece.size() / rows;
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t k = 0; k < per_row; ++k) {
        const std::uint8_t b = piece[r * per_row + k];
        chain.accept(b);
        out[i++] = b;
        show(b);
        if (on_sampled) on_sampled();
      }
      if (r + 1 < rows)
        while (i < out.size() && known[i]) show(out[i++]);
    }
  }
  options.spans->clear();
  return out;
}

}  // namespace zgen
