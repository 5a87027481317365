#include "src/media/training_data.hpp"

#include <algorithm>
#include <filesystem>

#include "zgen/audio.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"

namespace zgen {
namespace {

namespace fs = std::filesystem;

// A path names one file, or a directory whose regular files are taken in name order (hidden
// files skipped). Directories are not searched recursively.
std::vector<std::string> expand(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      files.push_back(p);
      continue;
    }
    std::vector<std::string> inside;
    for (const auto& entry : fs::directory_iterator(p, ec))
      if (entry.is_regular_file() && entry.path().filename().string().front() != '.')
        inside.push_back(entry.path().string());
    if (ec) throw UserError("cannot list directory '" + p + "': " + ec.message());
    if (inside.empty()) throw UserError("directory '" + p + "' holds no files");
    std::sort(inside.begin(), inside.end());
    files.insert(files.end(), inside.begin(), inside.end());
  }
  return files;
}

// The image with each row reversed.
GrayImage mirrored(GrayImage image) {
  for (int y = 0; y < image.height; ++y) {
    const auto row = image.pixels.begin() + static_cast<std::ptrdiff_t>(y) * image.width;
    std::reverse(row, row + image.width);
  }
  return image;
}

// The image without its first dx columns and dy rows.
GrayImage cropped(const GrayImage& image, int dx, int dy) {
  GrayImage out;
  out.width = image.width - dx;
  out.height = image.height - dy;
  out.pixels.reserve(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height));
  for (int y = dy; y < image.height; ++y) {
    const auto row = image.pixels.begin() + static_cast<std::ptrdiff_t>(y) * image.width;
    out.pixels.insert(out.pixels.end(), row + dx, row + image.width);
  }
  return out;
}

void append(Bytes& out, const std::vector<Bytes>& pieces) {
  for (const auto& piece : pieces) out.insert(out.end(), piece.begin(), piece.end());
}

// The patches of the plain grid, then, with `shift`, of each half-patch-shifted grid that holds
// one (a photo smaller than a patch plus the shift has none on that grid).
void append_grids(Bytes& out, const GrayImage& image, bool shift, const std::string& what) {
  append(out, image_patches(image, what));
  if (!shift) return;
  constexpr int kShifts[3][2] = {{kPatchWidth / 2, 0}, {0, kPatchHeight / 2}, {kPatchWidth / 2, kPatchHeight / 2}};
  for (const auto& [dx, dy] : kShifts)
    if (image.width - dx >= kPatchWidth && image.height - dy >= kPatchHeight)
      append(out, image_patches(cropped(image, dx, dy), what));
}

}  // namespace

ImageAugment parse_image_augment(const std::string& text) {
  ImageAugment a;
  if (text == "none") return a;
  std::size_t at = 0;
  while (true) {
    const std::size_t comma = text.find(',', at);
    const std::string item = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (item == "mirror" && !a.mirror) {
      a.mirror = true;
    } else if (item == "shift" && !a.shift) {
      a.shift = true;
    } else {
      throw InvalidParameter("augment", "{} must be none, or mirror and/or shift separated by a comma, not '" + literal(text) + "'");
    }
    if (comma == std::string::npos) return a;
    at = comma + 1;
  }
}

TrainingData load_media_training_data(const std::string& kind, const std::vector<std::string>& paths,
                                      ImageAugment augment) {
  TrainingData d;
  d.alignment = kChunkBytes;
  if (kind == "image-patches") {
    for (const auto& f : expand(paths)) {
      const GrayImage image = read_gray_image(f);
      append_grids(d.bytes, image, augment.shift, f);
      if (augment.mirror) append_grids(d.bytes, mirrored(image), augment.shift, f);
      ++d.files;
    }
  } else if (augment.mirror || augment.shift) {
    throw InvalidParameter("augment", "{} is for {data_kind} image-patches, not '" + literal(kind) + "'");
  } else if (kind == "audio") {
    for (const auto& f : expand(paths)) {
      append(d.bytes, whole_chunks(read_audio_bytes(f).samples));
      ++d.files;
    }
  } else {
    throw InvalidParameter("data_kind", "unknown {} '" + literal(kind) + "' (kinds: text, image-patches, audio)");
  }
  return d;
}

}  // namespace zgen
