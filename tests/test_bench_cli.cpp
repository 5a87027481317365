// zgen bench end to end on small real fixtures (a few chunks each): the table's rows and
// columns, the JSON, the chart, thread-count independence, and one-line errors with exit 2.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "src/common/file_io.hpp"
#include "tests/cli_runner.hpp"
#include "tests/fixtures.hpp"
#include "zgen/images.hpp"

using namespace zgen;
using zgen::test::count_lines;
using zgen::test::read_fixture;
using zgen::test::run_zgen;
using zgen::test::slurp;

namespace {

namespace fs = std::filesystem;

const std::string kData = ZGEN_TEST_DATA;
const std::string kText = kData + "/sotu-valid-30k.txt";

// A scratch directory for one test, removed at the end.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& name)
      : path("/tmp/zgen-test-bench-" + std::to_string(::getpid()) + "-" + name) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

// images/ holds the camera crop as a PNG; audio/ the speech WAV.
void make_inputs(const TempDir& dir) {
  fs::create_directories(dir / "images");
  fs::create_directories(dir / "audio");
  write_gray_png(dir / "images/camera.png", GrayImage{256, 192, read_fixture("camera-crop-256x192.gray")});
  fs::copy_file(kData + "/asterisk-to-extension.wav", dir / "audio/speech.wav");
}

std::string inputs_args(const TempDir& dir) {
  return "--text '" + kText + "' --images '" + (dir / "images") + "' --audio '" + (dir / "audio") + "'";
}

Bytes read_fixture_path(const std::string& path) {
  const std::string s = slurp(path);
  return Bytes(s.begin(), s.end());
}

void check_one_line_error(const std::string& args, const std::string& expected) {
  CAPTURE(args);
  const auto r = run_zgen("bench " + args);
  CHECK(r.exit_code == 2);
  CHECK(count_lines(r.err) == 1);
  CHECK(r.err.rfind("zgen: ", 0) == 0);
  CHECK_MESSAGE(r.err.find(expected) != std::string::npos, r.err);
}

}  // namespace

TEST_CASE("zgen bench: table, JSON and chart for every model and modality") {
  const TempDir dir("ok");
  make_inputs(dir);
  const std::string common = inputs_args(dir) + " --models gzip,png,flac,ppm --chunks 3 --predict-bytes 6 -q";
  const auto r = run_zgen("bench " + common + " --threads 2 --json '" + (dir / "r.json") + "' --plot '" + (dir / "c.png") + "'");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.err.empty());
  for (const char* s : {"| 2048 | gzip:9 |", "| 2048 | png |", "| 2048 | flac |", "| 2048 | ppm:6 |", "| whole | gzip:9 |",
                        "| whole | ppm:6 |", "text raw", "image raw", "audio raw", "text adjusted", "audio adjusted",
                        "| model | text | image | audio |"})
    CHECK_MESSAGE(r.out.find(s) != std::string::npos, s);

  const auto j = nlohmann::json::parse(slurp(dir / "r.json"));
  REQUIRE(j["models"].size() == 4);
  CHECK(j["chunk_bytes"] == 2048);
  REQUIRE(j["modalities"].size() == 3);
  for (const auto& m : j["modalities"]) {
    CHECK(m["chunks"] == 3);
    CHECK(m["raw_bytes"] == 3 * 2048);
  }
  CHECK(j["modalities"][1]["available_chunks"] == 24);  // 256x192 → 4 x 6 patches
  CHECK(j["modalities"][2]["available_chunks"] == 5);   // 10,801 samples
  for (const auto& row : j["models"]) {
    CAPTURE(row["model"].get<std::string>());
    CHECK(row["parameters"] == 0);
    for (const char* modality : {"text", "image", "audio"}) {
      for (const char* kind : {"chunked", "unchunked"}) {
        const auto& cell = row[modality][kind];
        const double rate = cell["rate"];
        CHECK(rate > 0);
        CHECK(rate < 2);
        CHECK(cell["adjusted_rate"] == cell["rate"]);
        CHECK(cell["raw_bytes"] == 3 * 2048);
      }
      const double bpb = row[modality]["predictor"]["bits_per_byte"];
      CHECK(std::isfinite(bpb));
      CHECK(bpb > 0);
      CHECK(row[modality]["predictor"]["bytes"] == 6);
    }
  }
  // ppm is coded by the arithmetic coder: its ideal size is recorded beside the actual one.
  CHECK(j["models"][3]["kind"] == "arithmetic-coded predictor");
  CHECK(j["models"][3]["text"]["chunked"].contains("ideal_bytes"));
  // On text ppm beats gzip; on the photo png beats gzip (chunked).
  CHECK(j["models"][3]["text"]["chunked"]["rate"] < j["models"][0]["text"]["chunked"]["rate"]);

  const GrayImage chart = read_gray_image(dir / "c.png");
  CHECK(chart.width > 100);
  CHECK(chart.height > 100);

  // The same numbers on one thread.
  const auto one = run_zgen("bench " + common + " --threads 1 --json '" + (dir / "r1.json") + "'");
  REQUIRE(one.exit_code == 0);
  CHECK(one.out == r.out);
  CHECK(nlohmann::json::parse(slurp(dir / "r1.json")) == j);
}

TEST_CASE("zgen bench --chunks: the chunks read by seeking are those that reading whole picks") {
  // Two files (sotu 70k: 34 chunks; sotu 30k: 14); 7 of the 48, evenly spaced, one of them in the
  // second file. Files are read chunk by chunk at the chosen offsets; a '-' among the paths makes
  // every file be read whole and then selected. Both must measure the same chunks.
  const TempDir dir("seek");
  const std::string a = kData + "/sotu-valid-70k.txt";
  const std::string common = " --text '" + kText + "' --models gzip,ppm:3 --chunks 7 --predict-bytes 0 -q --json ";
  const auto seek = run_zgen("bench --text '" + a + "'" + common + "'" + (dir / "seek.json") + "'");
  const auto whole = run_zgen("bench --text -" + common + "'" + (dir / "whole.json") + "'", a);
  REQUIRE_MESSAGE(seek.exit_code == 0, seek.err);
  REQUIRE_MESSAGE(whole.exit_code == 0, whole.err);
  const auto js = nlohmann::json::parse(slurp(dir / "seek.json"));
  const auto jw = nlohmann::json::parse(slurp(dir / "whole.json"));
  CHECK(js["modalities"][0]["available_chunks"] == 48);
  CHECK(js["modalities"][0]["chunks"] == 7);
  CHECK(js["models"] == jw["models"]);
  CHECK(seek.out == whole.out);  // the table names no files
}

TEST_CASE("zgen bench --json to a device writes in place and leaves the device a device") {
  const auto r = run_zgen("bench --text '" + kText + "' --models gzip --chunks 2 --predict-bytes 0 -q --json /dev/null");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(!fs::is_regular_file("/dev/null"));
  CHECK(fs::is_character_file("/dev/null"));
}

TEST_CASE("zgen bench: a transformer row gets its parameters and an adjusted rate") {
  const TempDir dir("tf");
  const std::string model = dir / "tiny.safetensors";
  const auto t = run_zgen("train --data '" + kText + "' --steps 2 --layers 1 --dim 16 --heads 2 --seq 32 --batch 2 "
                          "--threads 1 --seed 3 --warmup 1 --quiet --out '" + model + "'");
  REQUIRE_MESSAGE(t.exit_code == 0, t.err);
  const auto r = run_zgen("bench --text '" + kText + "' --models gzip,transformer:" + model +
                          " --chunks 1 --predict-bytes 0 -q --threads 1 --json '" + (dir / "r.json") + "'");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.find("Bits per byte") == std::string::npos);  // --predict-bytes 0
  const auto j = nlohmann::json::parse(slurp(dir / "r.json"));
  const auto& tf = j["models"][1];
  CHECK(tf["parameters"] > 1000);
  const double raw = tf["text"]["chunked"]["rate"], adjusted = tf["text"]["chunked"]["adjusted_rate"];
  CHECK(adjusted == doctest::Approx(raw + 2.0 * tf["parameters"].get<double>() / 2048));
  CHECK(raw > 0);
  CHECK(raw < 2);
}

TEST_CASE("zgen bench: bad inputs give one line and exit 2") {
  const TempDir dir("errors");
  make_inputs(dir);
  fs::create_directories(dir / "empty");
  fs::create_directories(dir / "notes");
  write_file_atomically(dir / "notes/README.txt", as_bytes("not a photo\n"));
  fs::create_directories(dir / "corrupt-images");
  write_gray_png(dir / "whole.png", GrayImage{256, 192, read_fixture("camera-crop-256x192.gray")});
  const Bytes png = read_fixture_path(dir / "whole.png");
  write_file_atomically(dir / "corrupt-images/cut.png", ByteView(png).first(png.size() / 2));
  fs::create_directories(dir / "tiny-images");
  write_gray_png(dir / "tiny-images/tiny.png", GrayImage{32, 32, Bytes(32 * 32, 7)});
  fs::create_directories(dir / "corrupt-audio");
  const Bytes wav = read_fixture("asterisk-to-extension.wav");
  write_file_atomically(dir / "corrupt-audio/cut.wav", ByteView(wav).first(10000));
  fs::create_directories(dir / "short-audio");
  // A whole WAV of 1,000 samples: shorter than one chunk.
  Bytes short_wav(wav.begin(), wav.begin() + 44 + 2000);
  const auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) short_wav[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  put32(4, 36 + 2000);
  put32(40, 2000);
  write_file_atomically(dir / "short-audio/short.wav", short_wav);
  write_file_atomically(dir / "short.txt", as_bytes("too short for one chunk"));

  check_one_line_error("", "nothing to measure");
  check_one_line_error("--images '" + (dir / "missing") + "'", "not a directory");
  check_one_line_error("--images '" + (dir / "empty") + "'", "holds no PNG or JPEG files");
  check_one_line_error("--images '" + (dir / "notes") + "'", "holds no PNG or JPEG files");
  check_one_line_error("--audio '" + (dir / "notes") + "'", "holds no WAV, FLAC or OGG files");
  check_one_line_error("--images '" + (dir / "corrupt-images") + "'", "cut.png");
  check_one_line_error("--images '" + (dir / "tiny-images") + "'", "smaller than one 64x32 patch");
  check_one_line_error("--audio '" + (dir / "corrupt-audio") + "'", "truncated");
  check_one_line_error("--audio '" + (dir / "short-audio") + "'", "no 2048-byte chunk");
  check_one_line_error("--text '" + (dir / "short.txt") + "'", "no 2048-byte chunk");
  check_one_line_error("--text '" + (dir / "missing.txt") + "'", "cannot open");
  check_one_line_error(inputs_args(dir) + " --models gzip,bogus", "unknown compressor family");
  check_one_line_error(inputs_args(dir) + " --models png:3", "takes no level");
  check_one_line_error(inputs_args(dir) + " --models gzip,,xz", "empty entry");
  check_one_line_error(inputs_args(dir) + " --models transformer:" + (dir / "none.safetensors"), "none.safetensors");
  check_one_line_error(inputs_args(dir) + " --chunks -1", "--chunks");
  check_one_line_error(inputs_args(dir) + " --threads 0", "--threads");
  check_one_line_error(inputs_args(dir) + " --chunks x", "chunks");
}
