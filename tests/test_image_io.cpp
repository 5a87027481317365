// Reading photos as 8-bit grayscale and writing grayscale PNGs (include/zgen/images.hpp).
#include <doctest/doctest.h>
#include <png.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <cstddef>
#include <cstdio>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fixtures.hpp"
#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"

using zgen::Bytes;
using zgen::GrayImage;
using zgen::read_gray_image;
using zgen::write_gray_png;

namespace {

const std::string kData = ZGEN_TEST_DATA;

std::string temp_path(const std::string& name) {
  return "/tmp/zgen-image-io-" + std::to_string(::getpid()) + "-" + name;
}

void write_bytes(const std::string& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs f with the process's stderr sent to a file; returns what was written there, so that a
// test can insist that the image libraries printed nothing.
template <class F>
std::string stderr_of(F&& f) {
  const std::string path = temp_path("stderr");
  std::fflush(stderr);
  const int saved = ::dup(2);
  std::FILE* sink = std::fopen(path.c_str(), "w");
  ::dup2(::fileno(sink), 2);
  f();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::fclose(sink);
  const std::string printed = file_text(path);
  std::remove(path.c_str());
  return printed;
}

// A bad file: UserError with one line naming the file, and nothing printed by the libraries.
void expect_refused(const std::string& path, const std::string& mentions = "") {
  CAPTURE(path);
  std::string message;
  const std::string printed = stderr_of([&] {
    try {
      read_gray_image(path);
    } catch (const zgen::UserError& e) {
      message = e.what();
    }
  });
  CHECK_MESSAGE(!message.empty(), "no UserError");
  CHECK(message.find('\n') == std::string::npos);
  CHECK(message.find(path) != std::string::npos);
  if (!mentions.empty()) CHECK_MESSAGE(message.find(mentions) != std::string::npos, message);
  CHECK_MESSAGE(printed.empty(), printed);
}

// Writes a PNG through libpng's simplified API: `format` is a PNG_FORMAT_* value; for 16-bit
// ("linear") formats `samples` holds uint16 values in machine order.
void write_png_image(const std::string& path, int width, int height, png_uint_32 format, const void* samples,
                     const void* colormap = nullptr, int colormap_entries = 0) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = format;
  image.colormap_entries = static_cast<png_uint_32>(colormap_entries);
  REQUIRE_MESSAGE(png_image_write_to_file(&image, path.c_str(), 0, samples, 0, colormap), image.message);
}

int mean3(int r, int g, int b) { return static_cast<int>(std::lround((r + g + b) / 3.0)); }
int to8(int v16) { return static_cast<int>(std::lround(v16 * 255.0 / 65535.0)); }

}  // namespace

TEST_CASE("a real grayscale PNG reads back as the same pixels as the raw fixture cut from the same photo") {
  // camera-crop-64x48.png is the top-left 64x48 of camera-crop-256x192.gray (see tests/data/README.md).
  const GrayImage png = read_gray_image(kData + "/camera-crop-64x48.png");
  const Bytes raw = zgen::test::read_fixture("camera-crop-256x192.gray");
  REQUIRE(png.width == 64);
  REQUIRE(png.height == 48);
  REQUIRE(png.pixels.size() == 64u * 48u);
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      CAPTURE(x);
      CAPTURE(y);
      REQUIRE(png.pixels[static_cast<std::size_t>(y) * 64 + x] == raw[static_cast<std::size_t>(y) * 256 + x]);
    }
}

TEST_CASE("a real colour JPEG reads as the rounded mean of the RGB that libjpeg decodes") {
  const std::string path = kData + "/nagasaki-boats-96x64.jpg";
  const GrayImage gray = read_gray_image(path);
  REQUIRE(gray.width == 96);
  REQUIRE(gray.height == 64);

  // The reference: libjpeg's own RGB output, averaged here.
  const Bytes file = zgen::test::read_fixture("nagasaki-boats-96x64.jpg");
  jpeg_decompress_struct d{};
  jpeg_error_mgr err{};
  d.err = jpeg_std_error(&err);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, file.data(), static_cast<unsigned long>(file.size()));
  REQUIRE(jpeg_read_header(&d, TRUE) == JPEG_HEADER_OK);
  d.out_color_space = JCS_RGB;
  jpeg_start_decompress(&d);
  REQUIRE(d.output_components == 3);
  Bytes row(96 * 3);
  int differing = 0, distinct_channels = 0;
  while (d.output_scanline < d.output_height) {
    const int y = static_cast<int>(d.output_scanline);
    JSAMPROW rows[1] = {row.data()};
    jpeg_read_scanlines(&d, rows, 1);
    for (int x = 0; x < 96; ++x) {
      const int r = row[3 * x], g = row[3 * x + 1], b = row[3 * x + 2];
      differing += gray.pixels[static_cast<std::size_t>(y) * 96 + x] != mean3(r, g, b);
      distinct_channels += r != g || g != b;
    }
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  CHECK(differing == 0);
  CHECK(distinct_channels > 1000);  // really a colour photo, so the mean was exercised
}

TEST_CASE("every PNG colour type becomes the rounded channel mean; alpha is dropped; 16-bit is scaled") {
  const int w = 7, h = 3;
  SUBCASE("8-bit RGB") {
    Bytes rgb(w * h * 3);
    for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>(i * 37 + 11);
    const std::string path = temp_path("rgb.png");
    write_png_image(path, w, h, PNG_FORMAT_RGB, rgb.data());
    const GrayImage g = read_gray_image(path);
    REQUIRE(g.width == w);
    REQUIRE(g.height == h);
    for (int i = 0; i < w * h; ++i) CHECK(g.pixels[i] == mean3(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]));
    std::remove(path.c_str());
  }
  SUBCASE("8-bit RGBA: alpha ignored, colour kept as stored") {
    Bytes rgba(w * h * 4);
    for (std::size_t i = 0; i < rgba.size(); ++i) rgba[i] = static_cast<std::uint8_t>(i * 53 + 7);
    for (int i = 0; i < w * h; ++i) rgba[4 * i + 3] = 255;  // opaque: the simplified writer stores colour as given
    const std::string path = temp_path("rgba.png");
    write_png_image(path, w, h, PNG_FORMAT_RGBA, rgba.data());
    const GrayImage g = read_gray_image(path);
    for (int i = 0; i < w * h; ++i) CHECK(g.pixels[i] == mean3(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]));
    std::remove(path.c_str());
  }
  SUBCASE("8-bit gray with alpha") {
    Bytes ga(w * h * 2);
    for (std::size_t i = 0; i < ga.size(); ++i) ga[i] = static_cast<std::uint8_t>(i * 29 + 3);
    for (int i = 0; i < w * h; ++i) ga[2 * i + 1] = 255;
    const std::string path = temp_path("ga.png");
    write_png_image(path, w, h, PNG_FORMAT_GA, ga.data());
    const GrayImage g = read_gray_image(path);
    for (int i = 0; i < w * h; ++i) CHECK(g.pixels[i] == ga[2 * i]);
    std::remove(path.c_str());
  }
  SUBCASE("palette") {
    const std::uint8_t palette[4 * 3] = {0, 0, 0, 255, 0, 0, 10, 200, 90, 255, 255, 254};
    Bytes index(w * h);
    for (std::size_t i = 0; i < index.size(); ++i) index[i] = static_cast<std::uint8_t>(i % 4);
    const std::string path = temp_path("palette.png");
    write_png_image(path, w, h, PNG_FORMAT_RGB_COLORMAP, index.data(), palette, 4);
    const GrayImage g = read_gray_image(path);
    for (int i = 0; i < w * h; ++i) {
      const int k = index[i];
      CHECK(g.pixels[i] == mean3(palette[3 * k], palette[3 * k + 1], palette[3 * k + 2]));
    }
    std::remove(path.c_str());
  }
  SUBCASE("16-bit gray and 16-bit RGB") {
    std::vector<std::uint16_t> y16(w * h), rgb16(w * h * 3);
    for (std::size_t i = 0; i < y16.size(); ++i) y16[i] = static_cast<std::uint16_t>(i * 3001 + 128);
    for (std::size_t i = 0; i < rgb16.size(); ++i) rgb16[i] = static_cast<std::uint16_t>(i * 997 + 64000 * (i % 2));
    const std::string gray_path = temp_path("gray16.png"), rgb_path = temp_path("rgb16.png");
    write_png_image(gray_path, w, h, PNG_FORMAT_LINEAR_Y, y16.data());
    write_png_image(rgb_path, w, h, PNG_FORMAT_LINEAR_RGB, rgb16.data());
    for (const auto& p : {gray_path, rgb_path}) {
      const std::string file = file_text(p);
      REQUIRE(file.size() > 25);
      CHECK(static_cast<int>(file[24]) == 16);  // IHDR bit depth: really 16-bit samples
    }
    const GrayImage g = read_gray_image(gray_path), c = read_gray_image(rgb_path);
    for (int i = 0; i < w * h; ++i) {
      CHECK(g.pixels[i] == to8(y16[i]));
      CHECK(c.pixels[i] == mean3(to8(rgb16[3 * i]), to8(rgb16[3 * i + 1]), to8(rgb16[3 * i + 2])));
    }
    std::remove(gray_path.c_str());
    std::remove(rgb_path.c_str());
  }
}

TEST_CASE("images from memory read as the same files do, and are refused the same way") {
  for (const char* name : {"camera-crop-64x48.png", "nagasaki-boats-96x64.jpg"}) {
    CAPTURE(name);
    const std::string path = kData + "/" + name;
    const std::string bytes = file_text(path);
    const GrayImage from_file = read_gray_image(path);
    const GrayImage from_memory = zgen::decode_gray_image(zgen::as_bytes(bytes), name);
    CHECK(from_memory.width == from_file.width);
    CHECK(from_memory.height == from_file.height);
    CHECK(from_memory.pixels == from_file.pixels);
    try {
      zgen::decode_gray_image(zgen::as_bytes(bytes.substr(0, bytes.size() / 2)), "the input");
      FAIL("no error");
    } catch (const zgen::UserError& e) {
      CHECK(std::string(e.what()).find("'the input'") != std::string::npos);
    }
  }
}

TEST_CASE("write_gray_png then read_gray_image gives back every pixel; the write is atomic") {
  const std::string dir = temp_path("dir");
  std::filesystem::create_directory(dir);
  for (auto [w, h] : {std::pair{1, 1}, std::pair{37, 23}, std::pair{300, 2}}) {
    GrayImage img;
    img.width = w;
    img.height = h;
    img.pixels = zgen::test::random_bytes(static_cast<std::size_t>(w) * h, static_cast<std::uint64_t>(w * 1000 + h));
    const std::string path = dir + "/out.png";
    write_gray_png(path, img);
    const GrayImage back = read_gray_image(path);
    CHECK(back.width == w);
    CHECK(back.height == h);
    CHECK(back.pixels == img.pixels);
  }
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  CHECK(files == 1);  // no temporary file left behind
  std::filesystem::remove_all(dir);

  GrayImage one{1, 1, {7}};
  CHECK_THROWS_AS(write_gray_png("/nonexistent-zgen-dir/x.png", one), zgen::UserError);
  GrayImage inconsistent{2, 2, {1, 2, 3}};
  CHECK_THROWS_AS(write_gray_png(temp_path("bad.png"), inconsistent), std::logic_error);
}

TEST_CASE("missing, empty, foreign, truncated and corrupt files are refused with one line, silently") {
  const Bytes png = zgen::test::read_fixture("camera-crop-64x48.png");
  const Bytes jpg = zgen::test::read_fixture("nagasaki-boats-96x64.jpg");
  expect_refused("/nonexistent/zgen-photo.png", "cannot open");
  expect_refused("/tmp", "directory");

  const std::string path = temp_path("bad-image");
  auto refuse = [&](const Bytes& bytes, const std::string& mentions = "") {
    write_bytes(path, bytes);
    expect_refused(path, mentions);
  };
  refuse({}, "empty");
  const std::string text = "just some text, not a picture\n";
  refuse(Bytes(text.begin(), text.end()), "not a PNG or JPEG");
  for (std::size_t cut : {std::size_t{8}, std::size_t{20}, std::size_t{60}, png.size() / 2, png.size() - 13}) {
    CAPTURE(cut);
    refuse(Bytes(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(cut)), "PNG");
  }
  for (std::size_t cut : {std::size_t{3}, std::size_t{40}, std::size_t{400}, jpg.size() / 2, jpg.size() - 2}) {
    CAPTURE(cut);
    refuse(Bytes(jpg.begin(), jpg.begin() + static_cast<std::ptrdiff_t>(cut)), "JPEG");
  }
  // A signature followed by rubbish.
  Bytes junk = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  for (int i = 0; i < 300; ++i) junk.push_back(static_cast<std::uint8_t>(i * 7));
  refuse(junk, "PNG");
  junk = {0xff, 0xd8, 0xff};
  for (int i = 0; i < 300; ++i) junk.push_back(static_cast<std::uint8_t>(i * 13));
  refuse(junk, "JPEG");
  // Damage inside the compressed data.
  Bytes bad_png = png;
  for (std::size_t i = 100; i < 140; ++i) bad_png[i] ^= 0x5a;
  refuse(bad_png, "PNG");
  Bytes bad_jpg = jpg;
  for (std::size_t i = jpg.size() / 2; i < jpg.size() / 2 + 64; ++i) bad_jpg[i] = static_cast<std::uint8_t>(i % 7 ? 0xff : 0xd9);
  refuse(bad_jpg, "JPEG");
  std::remove(path.c_str());
}

TEST_CASE("a JPEG that claims an enormous size is refused before any allocation") {
  Bytes jpg = zgen::test::read_fixture("nagasaki-boats-96x64.jpg");
  std::size_t sof = 0;
  for (std::size_t i = 2; i + 9 < jpg.size() && !sof; ++i)
    if (jpg[i] == 0xff && jpg[i + 1] == 0xc0) sof = i;  // baseline start of frame
  REQUIRE(sof > 0);
  for (std::size_t k : {sof + 5, sof + 7}) {  // height, then width: 60000 each
    jpg[k] = 60000 >> 8;
    jpg[k + 1] = 60000 & 0xff;
  }
  const std::string path = temp_path("huge.jpg");
  write_bytes(path, jpg);
  expect_refused(path, "too large");
  std::remove(path.c_str());
}

TEST_CASE("a PNG that claims an enormous size is refused before any allocation") {
  // Signature + an IHDR chunk of 100000 x 100000 8-bit gray with a correct CRC, the start of an
  // IDAT chunk, IEND.
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto put32 = [&](std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<std::uint8_t>(v >> s));
  };
  const std::uint8_t ihdr[] = {'I', 'H', 'D', 'R', 0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 0, 0, 0, 0};
  put32(13);
  png.insert(png.end(), std::begin(ihdr), std::end(ihdr));
  put32(static_cast<std::uint32_t>(crc32(0, ihdr, sizeof ihdr)));
  const std::uint8_t idat[] = {'I', 'D', 'A', 'T', 0x78, 0x9c};  // libpng stops reading the header here
  put32(2);
  png.insert(png.end(), std::begin(idat), std::end(idat));
  put32(static_cast<std::uint32_t>(crc32(0, idat, sizeof idat)));
  const std::uint8_t iend[] = {'I', 'E', 'N', 'D'};
  put32(0);
  png.insert(png.end(), std::begin(iend), std::end(iend));
  put32(static_cast<std::uint32_t>(crc32(0, iend, sizeof iend)));
  const std::string path = temp_path("huge.png");
  write_bytes(path, png);
  expect_refused(path, "too large");
  std::remove(path.c_str());
}
