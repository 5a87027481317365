#pragma once
// Images as zgen sees them: 8-bit grayscale photos, the paper's 64×32 patches and 2048-byte
// chunks, rectangles of an image, and completing a patch pixel by pixel from any model.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"
#include "zgen/predictor.hpp"
#include "zgen/sampling.hpp"

namespace zgen {

// 8-bit grayscale images: what zgen's image work (patches, completion, the image column of
// `zgen bench`) sees of a photo. Colour photos become the mean of their channels (the paper's
// protocol); alpha is dropped.
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // (height, width), row-major; size() == width·height
};

// Reads a PNG or JPEG (recognised by its signature, not its name) as grayscale: the rounded mean
// of R, G and B (16-bit PNG samples are scaled to 8 bits first). Throws UserError with a one-line
// message for a missing, truncated, corrupt or unsupported file.
GrayImage read_gray_image(const std::string& path);
// The same from a file's bytes; `what` names the source in messages (read_gray_image passes the path).
GrayImage decode_gray_image(ByteView data, const std::string& what);

// Writes an 8-bit grayscale PNG (atomically: a temporary file renamed on success).
void write_gray_png(const std::string& path, const GrayImage& image);

// Cutting data into the paper's fixed-size pieces: images into 64-wide × 32-high patches,
// byte streams (text, audio) into 2048-byte chunks. Both give pieces of kChunkBytes bytes.
inline constexpr int kPatchWidth = 64;
inline constexpr int kPatchHeight = 32;
inline constexpr std::size_t kChunkBytes = std::size_t{kPatchWidth} * kPatchHeight;  // 2048

// The image's non-overlapping patches, in row-major order over the image (left to right, then
// top to bottom); each is (32, 64) row-major, kChunkBytes bytes. The partial patches at the
// right and bottom edges are dropped: patch (i, j) covers rows 32·i .. 32·i + 31 and columns
// 64·j .. 64·j + 63, for i < height / 32 and j < width / 64.
// Throws UserError (naming `what`, e.g. the file) when the image is smaller than one patch.
std::vector<Bytes> image_patches(const GrayImage& image, const std::string& what);

// Consecutive `size`-byte pieces of `data`; a final piece shorter than `size` is dropped
// (every chunk has exactly `size` bytes). size > 0.
std::vector<Bytes> whole_chunks(ByteView data, std::size_t size = kChunkBytes);

// Rectangles of a grayscale image: crops, and where the protocol's patches lie (image_patches
// cuts the same patches out as bytes: 64 wide × 32 high, in raster order over the image, the
// partial ones at the right and bottom edges dropped).
struct Region {
  int x = 0, y = 0, width = 0, height = 0;
};

// True when the region is non-empty and lies wholly inside the image.
bool region_inside(const GrayImage& image, const Region& region);

// The region's pixels, row-major (region_inside must hold; std::invalid_argument otherwise).
GrayImage crop(const GrayImage& image, const Region& region);

// Every whole patch of the image, in the order of image_patches (none when the image is smaller
// than a patch).
std::vector<Region> patch_grid(const GrayImage& image, int patch_width = kPatchWidth, int patch_height = kPatchHeight);

// Image-patch completion (the paper's Figure 3): a patch's pixels in raster order, some known
// and kept, the others sampled one by one from a model conditioned on everything before them
// (the prior context, then every earlier pixel of the patch, known or already sampled).
// known[i] != 0: pixel i (raster order, row-major) is given; 0: it is sampled.
using KnownMask = std::vector<std::uint8_t>;

// Each row's first known_columns pixels are known (known_columns in [0, width]).
KnownMask known_left_columns(int width, int height, int known_columns);
// The first known_rows rows are known (known_rows in [0, height]).
KnownMask known_top_rows(int width, int height, int known_rows);

// Resets `model` to `prior`, then walks the patch in raster order: a known pixel is observed as
// it is, an unknown one is drawn from model.log_probs() through `chain` (which accepts it) and
// observed. Returns the completed patch; invariant: result[i] == patch[i] wherever known[i].
// `on_sampled` is called after each sampled pixel (progress).
// Throws std::invalid_argument when patch and known differ in size.
Bytes complete_patch(Predictor& model, SamplerChain& chain, ByteView prior, ByteView patch, const KnownMask& known,
                     const std::function<void()>& on_sampled = {});

// How unknown pixels are drawn.
//   kPixels: the paper's method, one pixel at a time from the model's 256-way distribution
//     (complete_patch above).
//   kSpans: runs of pixels. At each unknown pixel the candidates are the distinct runs of
//     L = min(span_pixels, unknown pixels left in a row of unknowns) consecutive bytes found in
//     the last `window` bytes of what the model has seen (the prior, then the region's pixels
//     so far, known or sampled): the pixels above at the same columns are one of them, shifted
//     copies of the row above and textures elsewhere in the known area are others. Each is priced
//     by its exact extra code length Δℓ(run | everything seen) (ContinuationCost), p ∝ 2^(−Δℓ)
//     over the candidates (all of one length, so their costs compare as they are), passed through
//     the chain (ids 256 + index), and its pixels are observed one by one. A compressor prices a
//     single literal pixel about the same whatever its value, so pixel by pixel it cannot prefer
//     a value that fits the texture; a run that a match would code is cheap in proportion to
//     how well it fits. Models without span costs (a transformer) use kPixels; with fewer than
//     L bytes seen, runs are as long as what has been seen, and with nothing seen yet the pixel
//     is drawn as kPixels draws it.
//     With lookahead N > 0 a run is priced together with the known pixels that follow it (up to
//     N of them, up to the next unknown pixel): Δℓ(run · known after | everything seen), so that
//     p(run) ∝ 2^(−Δℓ(run | seen) − Δℓ(known after | seen, run)), the compressor's distribution
//     conditioned on both sides (exact infilling for any family). With `--known left` the known
//     pixels after a row's unknown half are the next row's known half; with `--known top` no
//     known pixel follows an unknown one, and lookahead changes nothing.
//     With block_rows K > 1 a candidate is a block: K runs of L pixels one image row apart, taken
//     from what the model has seen (every pixel of the source block seen, so a block never
//     copies rows it is filling), placed into the next K rows' unknown stretches at once when the
//     mask repeats row by row (a stretch of L unknown pixels, the same known gap, K times);
//     priced by Δℓ(run₁ · gap₁ · run₂ · … · run_K · known after | seen), the known pixels between
//     the runs included, so p(block) is the compressor's distribution over the 2-D pieces given
//     the known pixels around them. Fewer rows where the mask or what has been seen allow fewer.
enum class PatchMethod { kPixels, kSpans };

struct PatchOptions {
  PatchMethod method = PatchMethod::kSpans;
  std::size_t span_pixels = 32;  // L, the longest run offered (≥ 1; BENCHMARKS.md)
  std::size_t window = 4096;    // runs come from the last `window` bytes seen (≥ 1)
  std::size_t lookahead = 0;    // N, the known pixels after a run priced with it (0: the run alone)
  std::size_t block_rows = 4;   // K, the most rows of one candidate block (1: runs; see kSpans above; BENCHMARKS.md)
  // The runs on offer at the current step (ids 256 + index), shared with the chain built by
  // make_patch_chain so that the repeat penalty can judge a run by its first pixel.
  std::shared_ptr<std::vector<Bytes>> spans = std::make_shared<std::vector<Bytes>>();
};

// The method's name for the CLI ("spans", "pixels") and back (UserError otherwise).
std::string patch_method_name(PatchMethod method);
PatchMethod parse_patch_method(const std::string& name);

// make_chain, with the repeat penalty wired to the runs of `options`.
SamplerChain make_patch_chain(const SamplerParams& params, const PatchOptions& options);

// complete_patch by options.method (kPixels: exactly complete_patch above). Same invariants:
// known pixels kept, the model reset to `prior` and shown the result in raster order,
// `on_sampled` called once per sampled pixel. The result depends on the seed, never on the
// model's thread count. Throws std::invalid_argument when patch and known differ in size or
// span_pixels or window is 0.
Bytes complete_patch(Predictor& model, SamplerChain& chain, ByteView prior, ByteView patch, const KnownMask& known,
                     const PatchOptions& options, const std::function<void()>& on_sampled = {});

}  // namespace zgen
