#include "src/training_data.hpp"

#include <algorithm>
#include <filesystem>

#include "src/audio_io.hpp"
#include "src/gray_image.hpp"
#include "src/patches.hpp"

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

void append(Bytes& out, const std::vector<Bytes>& pieces) {
  for (const auto& piece : pieces) out.insert(out.end(), piece.begin(), piece.end());
}

}  // namespace

TrainingData load_media_training_data(const std::string& kind, const std::vector<std::string>& paths, bool mirror) {
  TrainingData d;
  d.alignment = kChunkBytes;
  if (kind == "image-patches") {
    for (const auto& f : expand(paths)) {
      const GrayImage image = read_gray_image(f);
      append(d.bytes, image_patches(image, f));
      if (mirror) append(d.bytes, image_patches(mirrored(image), f));
      ++d.files;
    }
  } else if (mirror) {
    throw UserError("mirroring is for --data-kind image-patches, not '" + kind + "'");
  } else if (kind == "audio") {
    for (const auto& f : expand(paths)) {
      append(d.bytes, whole_chunks(read_audio_bytes(f).samples));
      ++d.files;
    }
  } else {
    throw UserError("unknown --data-kind '" + kind + "' (kinds: text, image-patches, audio)");
  }
  return d;
}

}  // namespace zgen
