#pragma once
// What `zgen train --data-kind` turns photos and recordings into: one byte stream, and the
// alignment at which training windows may start (text, the third kind, is the files' bytes
// concatenated, read by the CLI like every other input; its windows start anywhere).
//   image-patches   each photo (PNG or JPEG, or every such file in a directory) as its
//                   non-overlapping 64×32 grayscale patches (include/zgen/images.hpp), concatenated;
//                   windows start at patch boundaries, so that a model with --seq 2048 sees one
//                   whole patch per window, as it will when it compresses 2048-byte chunks.
//   audio           each recording (WAV, FLAC, OGG, or every such file in a directory) as 8-bit
//                   unsigned samples (include/zgen/audio.hpp), cut into whole 2048-byte chunks;
//                   windows start at chunk boundaries.
#include <cstddef>
#include <string>
#include <vector>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"

namespace zgen {

// Extra patches for training on few photos (image-patches only). Each adds photos as a camera
// could have taken them, so the model sees more patches than the photos hold on one grid:
//   mirror  each photo also as its left-right mirror image (top-bottom flips are not natural
//           photos, skies being above);
//   shift   each photo also cut on the patch grid moved half a patch right, half a patch down,
//           and both (the image without its first 32 columns and/or 16 rows): patches that
//           straddle the plain grid's edges, so content sits at other places in a patch.
// Together: every shifted grid of the photo and of its mirror image (8 grids).
struct ImageAugment {
  bool mirror = false;
  bool shift = false;
};

// Parses --augment: "none", or a comma-separated set of "mirror" and "shift". UserError otherwise.
ImageAugment parse_image_augment(const std::string& text);

struct TrainingData {
  Bytes bytes;
  std::size_t alignment = 1;  // windows start at multiples of this
  std::size_t files = 0;      // files read
};

// kind is "image-patches" or "audio". For image-patches, each photo gives its plain grid's
// patches, then (with `shift`) those of the three shifted grids that hold at least one patch,
// then (with `mirror`) the same for its mirror image. UserError for another kind, an augment
// with audio, an unreadable or corrupt file, a photo smaller than a patch, or an empty directory.
TrainingData load_media_training_data(const std::string& kind, const std::vector<std::string>& paths,
                                      ImageAugment augment = {});

}  // namespace zgen
