// The png fast path (see png_model.hpp for what it reproduces and why it is exact).
#include "compressors/png_model.hpp"

#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "compressors/deflate/model.hpp"
#include "compressors/gzip_guard.hpp"
#include "src/common/rng.hpp"

namespace zgen {
namespace {

constexpr std::size_t kWidth = 64;
constexpr std::size_t kRowBytes = kWidth + 1;  // filter-type byte + the row

// libpng's filter-set bits (png.h: PNG_FILTER_NONE … PNG_FILTER_PAETH) and filter-type bytes.
constexpr unsigned kNone = 0x08, kSub = 0x10, kUp = 0x20, kAvg = 0x40, kPaeth = 0x80;
constexpr unsigned kAll = kNone | kSub | kUp | kAvg | kPaeth;
constexpr std::array<unsigned, 5> kFilterBits = {kNone, kSub, kUp, kAvg, kPaeth};  // type byte = index
// png.cpp's six encodings, in its order (the first smallest wins; only the size matters here).
constexpr std::array<unsigned, 6> kEncodings = {kAll, kNone, kSub, kUp, kAvg, kPaeth};

// Bytes of the file besides the deflate stream: signature, IHDR, IDAT framing, IEND, the
// zlib header and Adler-32 trailer; and the zgPd chunk of a padded image.
constexpr std::size_t kFixedBytes = 8 + 25 + 12 + 12 + 2 + 4;
constexpr std::size_t kPadChunkBytes = 13;

// png_write_start_row: a single row cannot use the row above.
unsigned effective_filters(unsigned set, std::size_t rows) {
  if (rows == 1) set &= ~(kUp | kAvg | kPaeth);
  return set == 0 ? kNone : set;
}

// png_deflate_claim's window for an image of `rows` rows.
int window_bits(std::size_t rows) {
  const std::size_t size = rows * kRowBytes;
  int bits = 15;
  if (size <= 16384) {
    std::size_t half = std::size_t{1} << 14;
    while (size + 262 <= half) {
      half >>= 1;
      --bits;
    }
  }
  return bits;
}

deflate::DeflateParams zlib_params(unsigned set, std::size_t rows) {
  return {9, window_bits(rows), 9, effective_filters(set, rows) != kNone};
}

// One filter applied to a row (bpp = 1), into out[0..64): libpng's png_setup_*_row arithmetic.
void apply_filter(int type, const std::uint8_t* row, const std::uint8_t* up, std::uint8_t* out) {
  switch (type) {
    case 0:
      std::copy(row, row + kWidth, out);
      break;
    case 1:
      out[0] = row[0];
      for (std::size_t i = 1; i < kWidth; ++i) out[i] = static_cast<std::uint8_t>(row[i] - row[i - 1]);
      break;
    case 2:
      for (std::size_t i = 0; i < kWidth; ++i) out[i] = static_cast<std::uint8_t>(row[i] - up[i]);
      break;
    case 3:
      out[0] = static_cast<std::uint8_t>(row[0] - up[0] / 2);
      for (std::size_t i = 1; i < kWidth; ++i) out[i] = static_cast<std::uint8_t>(row[i] - (up[i] + row[i - 1]) / 2);
      break;
    default: {
      out[0] = static_cast<std::uint8_t>(row[0] - up[0]);
      for (std::size_t i = 1; i < kWidth; ++i) {
        const int a = row[i - 1], b = up[i], c = up[i - 1];
        const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
        const int p = (pa <= pb && pa <= pc) ? a : (pb <= pc) ? b : c;
        out[i] = static_cast<std::uint8_t>(row[i] - p);
      }
    }
  }
}

// libpng's heuristic: the sum of the filtered bytes read as signed magnitudes.
std::size_t abs_sum(const std::uint8_t* f) {
  std::size_t sum = 0;
  for (std::size_t i = 0; i < kWidth; ++i) sum += f[i] < 128 ? f[i] : 256 - f[i];
  return sum;
}

// Appends the filtered row (type byte + 64 bytes) that libpng writes under the effective set.
void append_filtered_row(unsigned set, const std::uint8_t* row, const std::uint8_t* up, Bytes& out) {
  std::uint8_t trial[5][kWidth];
  int best = -1;
  std::size_t best_sum = 0;
  for (int type = 0; type < 5; ++type) {
    if (!(set & kFilterBits[static_cast<std::size_t>(type)])) continue;
    apply_filter(type, row, up, trial[type]);
    // A lone filter is not scored; otherwise a later filter wins only when strictly smaller.
    const std::size_t sum = set == kFilterBits[static_cast<std::size_t>(type)] ? 0 : abs_sum(trial[type]);
    if (best < 0 || sum < best_sum) {
      best = type;
      best_sum = sum;
    }
  }
  out.push_back(static_cast<std::uint8_t>(best));
  out.insert(out.end(), trial[best], trial[best] + kWidth);
}

// The image of `data`: whole rows, the last padded with its last byte (0 for no data).
struct Image {
  std::size_t rows;
  std::size_t pad;
};
Image image_of(std::size_t n) {
  const std::size_t rows = std::max<std::size_t>(1, (n + kWidth - 1) / kWidth);
  return {rows, rows * kWidth - n};
}

// Rows [first, rows) of the image of `data` (first ≤ data.size() / 64), filtered under each
// encoding's effective set; `up` is row first − 1 unfiltered (zeros for the first row).
void filtered_tail(ByteView data, std::size_t first, std::size_t rows, const std::uint8_t* up,
                   std::array<Bytes, 6>& out) {
  std::vector<std::uint8_t> pixels(data.begin() + static_cast<std::ptrdiff_t>(first * kWidth), data.end());
  pixels.resize((rows - first) * kWidth, data.empty() ? 0 : data.back());
  for (std::size_t e = 0; e < kEncodings.size(); ++e) {
    const unsigned set = effective_filters(kEncodings[e], rows);
    out[e].clear();
    const std::uint8_t* above = up;
    for (std::size_t r = 0; r < rows - first; ++r) {
      append_filtered_row(set, pixels.data() + r * kWidth, above, out[e]);
      above = pixels.data() + r * kWidth;
    }
  }
}

std::size_t file_bytes(std::uint64_t deflate_bits, std::size_t pad) {
  return kFixedBytes + (pad ? kPadChunkBytes : 0) + static_cast<std::size_t>((deflate_bits + 7) / 8);
}

const std::array<std::uint8_t, kWidth> kZeroRow{};

// What the committed models were built for: images with the same zlib parameters.
struct Key {
  int window_bits;
  bool single_row;
  bool operator==(const Key&) const = default;
};
Key key_of(std::size_t rows) { return {window_bits(rows), rows == 1}; }

// libpng's own calls to zlib, for images the deflate model does not cover (more than
// kPngModelMaxRows rows, where libpng's row-by-row input may slide zlib's window at another step
// than one call with all the input would): deflateInit2(9, Z_DEFLATED, 15, 9, strategy), one
// deflate(Z_NO_FLUSH) per filtered row, then deflate(Z_FINISH) without input. One stream per
// encoding is kept after the committed rows; a candidate continues a deflateCopy of each, so the
// lengths are zlib's by construction. zlib's memory comes from this object's pool (one state is
// used by one thread); a copy starts empty and feeds the rows again with its own memory.
class LibpngZlibRows {
 public:
  LibpngZlibRows() = default;
  LibpngZlibRows(const LibpngZlibRows&) : LibpngZlibRows() {}
  LibpngZlibRows& operator=(const LibpngZlibRows&) = delete;
  ~LibpngZlibRows() { reset(); }

  bool ready() const { return ready_; }
  std::size_t rows() const { return rows_; }

  void start() {
    reset();
    for (std::size_t e = 0; e < kEncodings.size(); ++e) {
      z_stream& zs = streams_[e];
      zs = z_stream{};
      zs.zalloc = pool_allocate;
      zs.zfree = pool_release;
      zs.opaque = pool_.get();
      const int strategy = effective_filters(kEncodings[e], kPngModelMaxRows + 1) != kNone ? Z_FILTERED : Z_DEFAULT_STRATEGY;
      if (deflateInit2(&zs, 9, Z_DEFLATED, 15, 9, strategy) != Z_OK) throw std::runtime_error("png: deflateInit2 failed");
    }
    ready_ = true;
  }

  // The encodings' filtered rows (65 bytes each), the same number for each.
  void feed(const std::array<Bytes, 6>& filtered) {
    for (std::size_t e = 0; e < kEncodings.size(); ++e) feed_rows(streams_[e], filtered[e], Z_NO_FLUSH);
    rows_ += filtered[0].size() / kRowBytes;
  }

  // Bytes of encoding e's zlib stream (header and Adler-32 included) when `tail` follows.
  std::size_t finished_bytes(std::size_t e, const Bytes& tail) {
    z_stream copy;
    if (deflateCopy(&copy, &streams_[e]) != Z_OK) throw std::runtime_error("png: deflateCopy failed");
    feed_rows(copy, tail, Z_NO_FLUSH);
    feed_rows(copy, {}, Z_FINISH);
    const std::size_t bytes = copy.total_out;
    deflateEnd(&copy);
    return bytes;
  }

 private:
  static void* pool_allocate(voidpf pool, uInt items, uInt size) {
    return static_cast<ZlibMemoryPool*>(pool)->allocate(std::size_t{items} * size);
  }
  static void pool_release(voidpf pool, voidpf block) { static_cast<ZlibMemoryPool*>(pool)->release(block); }

  void reset() {
    if (ready_)
      for (z_stream& zs : streams_) deflateEnd(&zs);
    ready_ = false;
    rows_ = 0;
  }

  // One deflate call per row, as png_compress_IDAT makes them; the output is counted, not kept
  // (a buffer larger than anything one call writes, so zlib never waits for room).
  void feed_rows(z_stream& zs, ByteView rows, int flush) {
    if (rows.empty() && flush == Z_NO_FLUSH) return;  // no row, no call
    sink_.resize(std::size_t{1} << 20);
    std::size_t at = 0;
    do {
      const std::size_t n = std::min(kRowBytes, rows.size() - at);
      zs.next_in = const_cast<Bytef*>(rows.data() + at);
      zs.avail_in = static_cast<uInt>(n);
      int rc;
      do {
        zs.next_out = sink_.data();
        zs.avail_out = static_cast<uInt>(sink_.size());
        rc = ::deflate(&zs, flush);
      } while (flush == Z_FINISH && rc == Z_OK);
      if (rc != (flush == Z_FINISH ? Z_STREAM_END : Z_OK) || zs.avail_in != 0)
        throw std::runtime_error("png: zlib did not take a row");
      at += n;
    } while (at < rows.size());
  }

  std::unique_ptr<ZlibMemoryPool> pool_ = std::make_unique<ZlibMemoryPool>();
  std::array<z_stream, 6> streams_{};
  bool ready_ = false;
  std::size_t rows_ = 0;
  Bytes sink_;
};

class PngModelState final : public CodeLengthState {
 public:
  explicit PngModelState(ByteView context) : context_(context.begin(), context.end()) {
    rebuild();
  }

  double context_bits() override {
    if (context_bits_ < 0) context_bits_ = bits_with({});
    return context_bits_;
  }

  double bits_with(ByteView x) override {
    const std::size_t n = context_.size() + x.size();
    const Image image = image_of(n);
    if (image.rows > kPngModelMaxRows) return through_zlib(x, image);
    if (!models_ready_ || !(key_of(image.rows) == key_)) return from_scratch(x);
    // Rows from the first one the committed models have not seen.
    tail_bytes_.assign(context_.begin() + static_cast<std::ptrdiff_t>(rows_ * kWidth), context_.end());
    tail_bytes_.insert(tail_bytes_.end(), x.begin(), x.end());
    const std::uint8_t* up = rows_ ? context_.data() + (rows_ - 1) * kWidth : kZeroRow.data();
    filtered_tail_of(up, image.rows);
    // The smallest file: last time's winner first, then the others, each given up (without
    // building its trees) as soon as a lower bound shows it cannot be smaller than the best so far.
    const std::size_t others = file_bytes(0, image.pad);
    std::size_t best = SIZE_MAX, winner = first_;
    for (std::size_t k = 0; k < kEncodings.size(); ++k) {
      const std::size_t e = k == 0 ? first_ : (k <= first_ ? k - 1 : k);
      // bits ≥ give_up ⟺ whole bytes ≥ best − others ⟺ the file is no smaller than best.
      const std::uint64_t give_up = best == SIZE_MAX ? UINT64_MAX : 8 * std::uint64_t{best - others - 1} + 1;
      const std::size_t bytes = file_bytes(models_[e].bits_with(tails_[e], deflate::StreamEnd::kFinish, give_up), image.pad);
      if (bytes < best) {
        best = bytes;
        winner = e;
      }
    }
    first_ = winner;
    return 8.0 * static_cast<double>(best);
  }

  void append(ByteView committed) override {
    context_.insert(context_.end(), committed.begin(), committed.end());
    context_bits_ = -1;
    const std::size_t rows = context_.size() / kWidth;
    if (rows == rows_) return;
    if (!models_ready_ || rows + 1 > kPngModelMaxRows || !(key_of(rows + 1) == key_)) return rebuild();
    // The rows just completed, filtered below the last committed one, go to each model.
    const std::uint8_t* up = rows_ ? context_.data() + (rows_ - 1) * kWidth : kZeroRow.data();
    filtered_rows(ByteView(context_.data() + rows_ * kWidth, (rows - rows_) * kWidth), up, rows + 1);
    for (std::size_t e = 0; e < kEncodings.size(); ++e) models_[e].append(tails_[e]);
    rows_ = rows;
  }

  std::unique_ptr<CodeLengthState> clone() const override { return std::make_unique<PngModelState>(*this); }

 private:
  // Models after the context's complete rows, for images one row longer (what a one-byte
  // continuation makes); none when such images are beyond the model.
  void rebuild() {
    rows_ = context_.size() / kWidth;
    models_.clear();
    models_ready_ = rows_ + 1 <= kPngModelMaxRows;
    if (!models_ready_) return;
    key_ = key_of(rows_ + 1);
    filtered_rows(ByteView(context_.data(), rows_ * kWidth), kZeroRow.data(), rows_ + 1);
    for (std::size_t e = 0; e < kEncodings.size(); ++e) {
      models_.emplace_back(zlib_params(kEncodings[e], rows_ + 1));
      models_.back().append(tails_[e]);
    }
  }

  // Whole rows, filtered for an image of `image_rows` rows, into tails_.
  void filtered_rows(ByteView whole_rows, const std::uint8_t* up, std::size_t image_rows) {
    assert(whole_rows.size() % kWidth == 0);
    for (std::size_t e = 0; e < kEncodings.size(); ++e) {
      const unsigned set = effective_filters(kEncodings[e], image_rows);
      tails_[e].clear();
      const std::uint8_t* above = up;
      for (std::size_t at = 0; at < whole_rows.size(); at += kWidth) {
        append_filtered_row(set, whole_rows.data() + at, above, tails_[e]);
        above = whole_rows.data() + at;
      }
    }
  }

  // tail_bytes_ (the image's bytes from the first uncommitted row), padded and filtered.
  void filtered_tail_of(const std::uint8_t* up, std::size_t image_rows) {
    const std::uint8_t last = tail_bytes_.empty() ? (context_.empty() ? 0 : context_.back()) : tail_bytes_.back();
    tail_bytes_.resize((image_rows - rows_) * kWidth, last);
    filtered_rows(tail_bytes_, up, image_rows);
  }

  double from_scratch(ByteView x) {
    scratch_.assign(context_.begin(), context_.end());
    scratch_.insert(scratch_.end(), x.begin(), x.end());
    return png_model_bits(scratch_);
  }

  // Large images: libpng's zlib calls continued from the committed rows (LibpngZlibRows).
  double through_zlib(ByteView x, const Image& image) {
    if (!zlib_rows_.ready()) zlib_rows_.start();
    if (zlib_rows_.rows() < rows_) {
      const std::size_t from = zlib_rows_.rows();
      const std::uint8_t* up = from ? context_.data() + (from - 1) * kWidth : kZeroRow.data();
      filtered_rows(ByteView(context_.data() + from * kWidth, (rows_ - from) * kWidth), up, image.rows);
      zlib_rows_.feed(tails_);
    }
    tail_bytes_.assign(context_.begin() + static_cast<std::ptrdiff_t>(rows_ * kWidth), context_.end());
    tail_bytes_.insert(tail_bytes_.end(), x.begin(), x.end());
    const std::uint8_t* up = rows_ ? context_.data() + (rows_ - 1) * kWidth : kZeroRow.data();
    filtered_tail_of(up, image.rows);
    std::size_t best = SIZE_MAX;
    for (std::size_t e = 0; e < kEncodings.size(); ++e)
      best = std::min(best, kFixedBytes - 6 + (image.pad ? kPadChunkBytes : 0) + zlib_rows_.finished_bytes(e, tails_[e]));
    return 8.0 * static_cast<double>(best);
  }

  Bytes context_;
  std::size_t rows_ = 0;  // complete rows of the context, seen by the models
  bool models_ready_ = false;
  Key key_{};
  std::vector<deflate::DeflateModel> models_;  // one per encoding, in kEncodings' order
  double context_bits_ = -1;
  std::size_t first_ = 0;  // the encoding that gave the last smallest file: tried first
  Bytes scratch_, tail_bytes_;
  std::array<Bytes, 6> tails_;
  LibpngZlibRows zlib_rows_;  // for images beyond the deflate model, built at first use
};

}  // namespace

double png_model_bits(ByteView data) {
  const Image image = image_of(data.size());
  assert(image.rows <= kPngModelMaxRows);
  std::array<Bytes, 6> rows;
  filtered_tail(data, 0, image.rows, kZeroRow.data(), rows);
  std::size_t best = SIZE_MAX;
  for (std::size_t e = 0; e < kEncodings.size(); ++e) {
    const std::uint64_t bits =
        deflate::deflate_bits(rows[e], zlib_params(kEncodings[e], image.rows), deflate::StreamEnd::kFinish);
    best = std::min(best, file_bytes(bits, image.pad));
  }
  return 8.0 * static_cast<double>(best);
}

std::unique_ptr<CodeLengthState> png_model_state(ByteView context) { return std::make_unique<PngModelState>(context); }

// Built-in images: smooth gradients with noise (every filter has a use) and text-like bytes,
// at sizes that take each window from 2^9 to 2^15, with and without padding.
bool png_fast_path_verified(const Compressor& png) {
  static std::once_flag once;
  static bool verified = false;
  std::call_once(once, [&] {
    if (!gzip_fast_path_verified()) return;
    SplitMix64 rng{20261205};
    verified = true;
    for (const std::size_t n : {std::size_t{1}, std::size_t{64}, std::size_t{700}, std::size_t{2048}, std::size_t{19000}}) {
      Bytes data(n);
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t x = i % kWidth, y = i / kWidth;
        data[i] = (y % 3 == 2) ? static_cast<std::uint8_t>("the quick brown fox "[i % 20])
                               : static_cast<std::uint8_t>(2 * x + y + rng.next() % 9);
      }
      if (png_model_bits(data) != png.code_length_bits(data)) verified = false;
    }
    if (!verified)
      std::fprintf(stderr,
                   "zgen: warning: the png fast path differs from the linked libpng %s with zlib %s; png code "
                   "lengths are computed by recompressing (exact, slower)\n",
                   png_get_libpng_ver(nullptr), zlibVersion());
  });
  return verified;
}

}  // namespace zgen
