#pragma once
// What `zgen train --data-kind` turns photos and recordings into: one byte stream, and the
// alignment at which training windows may start (text, the third kind, is the files' bytes
// concatenated, read by the CLI like every other input; its windows start anywhere).
//   image-patches   each photo (PNG or JPEG, or every such file in a directory) as its
//                   non-overlapping 64×32 grayscale patches (src/patches.hpp), concatenated;
//                   windows start at patch boundaries, so that a model with --seq 2048 sees one
//                   whole patch per window, as it will when it compresses 2048-byte chunks.
//   audio           each recording (WAV, FLAC, OGG, or every such file in a directory) as 8-bit
//                   unsigned samples (src/audio_io.hpp), cut into whole 2048-byte chunks;
//                   windows start at chunk boundaries.
#include <cstddef>
#include <string>
#include <vector>

#include "zgen/bytes.hpp"

namespace zgen {

struct TrainingData {
  Bytes bytes;
  std::size_t alignment = 1;  // windows start at multiples of this
  std::size_t files = 0;      // files read
};

// kind is "image-patches" or "audio". With `mirror` (image-patches only), each photo's patches
// are followed by those of its left-right mirror image: twice the patches, all of them photos
// as a camera could have taken them (the standard augmentation for natural images; top-bottom
// flips are not, skies being above). UserError for another kind, mirror with audio, an
// unreadable or corrupt file, a photo smaller than a patch, or an empty directory.
TrainingData load_media_training_data(const std::string& kind, const std::vector<std::string>& paths,
                                      bool mirror = false);

}  // namespace zgen
