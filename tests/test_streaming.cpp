// The stream coders (version-3 .zgen files): round trips whatever the window, thread count and
// chunk size; a damaged chunk stops the output at the window before it; older files still decode;
// and the CLI through pipes (stdin of unknown length); scoring from a source a window at a time.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "src/coding/container.hpp"
#include "tests/cli_runner.hpp"
#include "tests/coder_test_models.hpp"
#include "tests/fixtures.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"
#include "src/eval/evaluation.hpp"
#include "zgen/evaluation.hpp"

namespace {

using zgen::Bytes;
using zgen::ByteView;

// Text-like data of any length: the sotu fixture repeated.
Bytes text_bytes(std::size_t n) {
  const Bytes base = zgen::test::read_fixture("sotu-valid-70k.txt");
  Bytes out;
  while (out.size() < n) out.insert(out.end(), base.begin(), base.begin() + static_cast<std::ptrdiff_t>(std::min(base.size(), n - out.size())));
  return out;
}

// A stream file of `data` coded with `copies` predictors of `spec`, in windows of `window` bytes.
Bytes stream_compress(const std::string& spec, ByteView data, std::uint64_t chunk, int copies, std::uint64_t window) {
  std::vector<std::unique_ptr<zgen::Predictor>> models;
  std::vector<zgen::Predictor*> predictors;
  for (int i = 0; i < copies; ++i) {
    models.push_back(zgen::test::make_test_predictor(spec));
    predictors.push_back(models.back().get());
  }
  zgen::StreamCompressOptions options;
  options.chunk_size = chunk;
  options.window_bytes = window;
  Bytes file;
  const auto summary = zgen::compress_stream(std::span<zgen::Predictor* const>(predictors), spec, zgen::source_of(data),
                                             zgen::sink_of(file), options);
  CHECK(summary.original_bytes == data.size());
  CHECK(summary.file_bytes == file.size());
  return file;
}

// What decompress_stream wrote before it finished or threw (the error's text, or "").
struct Decoded {
  Bytes out;
  std::string error;
};
Decoded stream_decompress(ByteView file, int threads, std::uint64_t window) {
  zgen::DecompressOptions options;
  options.threads = threads;
  options.window_bytes = window;
  Decoded d;
  try {
    zgen::decompress_stream(zgen::source_of(file), zgen::sink_of(d.out), zgen::test::make_test_predictor, options);
  } catch (const zgen::UserError& e) {
    d.error = e.what();
  }
  return d;
}

// Where frame k's coded stream starts in a version-3 file (walking the layout of container.hpp).
std::size_t stream_offset_of_frame(ByteView file, std::size_t k) {
  zgen::ByteReader r(file, "test");
  r.take(5);
  r.take(r.varint());
  r.u32le();
  for (std::size_t i = 0;; ++i) {
    REQUIRE(r.varint() != 0);
    const std::uint64_t m = r.varint();
    if (i == k) return r.position();
    r.take(m);
    r.u32le();
  }
}

}  // namespace

TEST_CASE("stream files round-trip, the same bytes whatever the window and the thread count") {
  const Bytes data = text_bytes(2'200'000);
  struct Case {
    const char* spec;
    std::uint64_t chunk;
    std::size_t length;
  };
  // Chunks coded in parallel (1..1 MiB), one history in 1 MiB frames (0), chunks of several
  // frames (above 1 MiB: a reset inside the second frame). The large cases are checked once.
  for (const Case c : {Case{"test-order0", 1, 700}, Case{"test-order2", 1000, 30'000}, Case{"test-bits0", 2048, 0},
                       Case{"test-bits0", 2048, 1}, Case{"test-bits0", 2048, 2048 * 9 + 5}, Case{"test-bits0", 0, 1'100'000},
                       Case{"test-bits0", (1 << 20) + 1000, 2'200'000}}) {
    CAPTURE(c.spec);
    CAPTURE(c.chunk);
    CAPTURE(c.length);
    const bool large = c.length > 100'000;
    const ByteView original = ByteView(data).first(c.length);
    const Bytes file = stream_compress(c.spec, original, c.chunk, 1, 0);
    CHECK(file[4] == zgen::kContainerVersion);
    if (!large) CHECK(stream_compress(c.spec, original, c.chunk, 3, 5000) == file);
    for (const int threads : {1, 3}) {
      if (large && threads == 1) continue;
      const Decoded d = stream_decompress(file, threads, threads == 1 ? 0 : 3000);
      CHECK(d.error.empty());
      CHECK(d.out == Bytes(original.begin(), original.end()));
    }
    // The in-memory functions read it too, and parse_container fills the length and CRC.
    const zgen::ParsedContainer parsed = zgen::parse_container(file);
    CHECK(parsed.header.original_length == c.length);
    CHECK(parsed.header.crc32 == zgen::crc32_of(original));
    if (!large)
      CHECK(zgen::decompress_container(file, zgen::test::make_test_predictor) == Bytes(original.begin(), original.end()));
  }
}

TEST_CASE("a damaged chunk in the middle of a stream: one error, nothing from its window on") {
  const Bytes data = text_bytes(2048 * 20);
  const Bytes file = stream_compress("test-order2", data, 2048, 2, 0);
  // Windows of 4 chunks (8192 bytes, one thread): chunk 10 sits in the third window.
  Bytes bad = file;
  bad[stream_offset_of_frame(file, 10) + 5] ^= 0x20;
  const Decoded d = stream_decompress(bad, 1, 8192);
  CHECK(d.error.find("corrupt zgen file") != std::string::npos);
  CHECK(d.error.find("bytes 20480 to 22527") != std::string::npos);
  CHECK(d.error.find('\n') == std::string::npos);
  CHECK(d.out == Bytes(data.begin(), data.begin() + 8 * 2048));  // the two windows before it, checked
  // A file of one window: nothing at all. A damaged trailer: the last window is not written.
  CHECK(stream_decompress(bad, 1, 0).out.empty());
  Bytes cut = file;
  cut.resize(cut.size() - 2);
  const Decoded t = stream_decompress(cut, 1, 8192);
  CHECK(t.error.find("truncated") != std::string::npos);
  CHECK(t.out.size() == 16 * 2048);
  Bytes wrong_total = file;
  wrong_total[wrong_total.size() - 1] ^= 1;  // the trailer's CRC
  CHECK(stream_decompress(wrong_total, 2, 8192).error.find("CRC-32 mismatch") != std::string::npos);
  Bytes extra = file;
  extra.push_back(0);
  CHECK(stream_decompress(extra, 1, 0).error.find("after the trailer") != std::string::npos);
  CHECK_THROWS_AS(zgen::parse_container(extra), zgen::FormatError);
}

TEST_CASE("files of the earlier versions decode through the stream decoder") {
  const Bytes text = zgen::test::read_fixture("sotu-valid-30k.txt");
  for (const char* name : {"v1-ppm2-sotu300.zgen", "v1-gzip6-sotu300.zgen"}) {
    CAPTURE(name);
    // These need the real models: decoded by the CLI below. Here: the stream decoder sees version 1.
    const Bytes file = zgen::test::read_fixture(name);
    CHECK(zgen::parse_container(file).header.version == 1);
  }
  // Version 2, as the in-memory compress writes it.
  zgen::test::Order2Predictor model;
  const Bytes v2 = zgen::compress_to_container(model, "test-order2", ByteView(text).first(5000), 1000).file;
  CHECK(v2[4] == zgen::kWholeContainerVersion);
  const Decoded d = stream_decompress(v2, 2, 0);
  CHECK(d.error.empty());
  CHECK(d.out == Bytes(text.begin(), text.begin() + 5000));
}

TEST_CASE("zgen compress / decompress through pipes: stdin of unknown length, damage, old files") {
  using zgen::test::run_zgen;
  using zgen::test::slurp;
  const std::string dir = "/tmp/zgen-streaming-test-" + std::to_string(::getpid());
  REQUIRE(std::system(("mkdir -p " + dir).c_str()) == 0);
  const std::string in = dir + "/in.txt";
  {
    std::ofstream(in, std::ios::binary) << slurp(std::string(ZGEN_TEST_DATA) + "/sotu-valid-70k.txt").substr(0, 20000);
  }
  const std::string zgen = std::string("'") + ZGEN_BINARY + "'";
  const auto sh = [](const std::string& cmd) { return std::system(cmd.c_str()); };

  // Through a pipe (stdin of unknown length) to a pipe; 1 and 3 threads write the same file.
  CHECK(sh("cat " + in + " | " + zgen + " compress -q -m ppm:2 --chunk-size 1024 -j 1 - > " + dir + "/a.zgen") == 0);
  CHECK(sh("cat " + in + " | " + zgen + " compress -q -m ppm:2 --chunk-size 1024 -j 3 --window 5000 > " + dir + "/b.zgen") == 0);
  CHECK(slurp(dir + "/a.zgen") == slurp(dir + "/b.zgen"));
  CHECK(sh("cat " + dir + "/a.zgen | " + zgen + " decompress -q -j 2 - | cmp -s - " + in) == 0);

  // A damaged chunk in the middle: exit 2, one line, and stdout holds only the windows before it
  // (windows of 8 chunks of 1024 bytes with one thread; chunk 10 is in the second window).
  std::string file = slurp(dir + "/a.zgen");
  file[stream_offset_of_frame(zgen::as_bytes(file), 10) + 7] ^= 0x40;
  {
    std::ofstream(dir + "/bad.zgen", std::ios::binary) << file;
  }
  auto o = run_zgen("decompress -q -j 1 --window 8192 -", dir + "/bad.zgen");
  CHECK(o.exit_code == 2);
  CHECK(zgen::test::count_lines(o.err) == 1);
  CHECK(o.err.find("bytes 10240 to 11263") != std::string::npos);
  CHECK(o.err.find("standard output got the first 8192 bytes") != std::string::npos);
  CHECK(o.out == slurp(in).substr(0, 8192));
  o = run_zgen("decompress -q -j 2 -o " + dir + "/bad.out " + dir + "/bad.zgen");
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("was not written") != std::string::npos);
  CHECK(sh("test ! -e " + dir + "/bad.out && ! ls " + dir + " | grep -q zgen-tmp") == 0);

  // Version-1 files (the fixtures) decode, from a pipe and from a file. (Each ppm process primes
  // its model, a second or so: this test keeps their number small.)
  const std::string original = slurp(std::string(ZGEN_TEST_DATA) + "/sotu-valid-30k.txt").substr(0, 300);
  o = run_zgen("decompress -q -", std::string(ZGEN_TEST_DATA) + "/v1-ppm2-sotu300.zgen");
  CHECK(o.exit_code == 0);
  CHECK(o.out == original);
  o = run_zgen("decompress -q " + std::string(ZGEN_TEST_DATA) + "/v1-gzip6-sotu300.zgen -o " + dir + "/v1.out");
  CHECK(o.exit_code == 0);
  CHECK(slurp(dir + "/v1.out") == original);
  sh("rm -rf " + dir);
}

TEST_CASE("score_model from a source, a window at a time: the model's bits to the bit, bounded reading") {
  const Bytes context = text_bytes(3000);
  const Bytes all = text_bytes(5000);
  const ByteView data = ByteView(all).subspan(3000);  // 2,000 bytes after the context
  zgen::PredictorOptions options;
  options.threads = 1;
  const zgen::ScoreResult whole = zgen::score_model("ppm:2", context, data, options, {}, true);
  // Windows of 500 bytes: the same loop over the same bytes, so the same sum; the coder codes
  // four frames of one history: the same ideal bits up to the order of the sums, and a few bytes
  // of frame ends more.
  const zgen::ScoreResult streamed = zgen::score_model("ppm:2", context, zgen::source_of(data), 0, options, {}, true, 500);
  CHECK(streamed.bytes == data.size());
  CHECK(streamed.model_bits == whole.model_bits);
  CHECK(*streamed.coded_ideal_bits == doctest::Approx(*whole.coded_ideal_bits).epsilon(1e-9));
  CHECK(*streamed.coded_bits >= *whole.coded_bits);
  CHECK(*streamed.coded_bits <= *whole.coded_bits + 4 * 8 * 8);
  // One window holding everything: the coded size too is score_model's, to the bit.
  const zgen::ScoreResult one = zgen::score_model("ppm:2", context, zgen::source_of(data), 0, options, {}, true, 2048);
  CHECK(*one.coded_bits == *whole.coded_bits);
  CHECK(*one.coded_ideal_bits == *whole.coded_ideal_bits);

  // --max-bytes: reads no more than asked, across windows.
  const zgen::ScoreResult first = zgen::score_model("ppm:2", context, data.first(1200), options);
  std::size_t read = 0;
  const zgen::ByteSource counting = [&, inner = zgen::source_of(data)](std::span<std::uint8_t> buffer) {
    const std::size_t n = inner(buffer);
    read += n;
    return n;
  };
  const zgen::ScoreResult limited = zgen::score_model("ppm:2", context, counting, 1200, options, {}, false, 500);
  CHECK(limited.bytes == 1200);
  CHECK(read == 1200);
  CHECK(limited.model_bits == first.model_bits);

  // A compressor model keeps what it scored for its own code length: the same as from memory.
  const zgen::ScoreResult gz = zgen::score_model("gzip:9", context, data.first(120), options);
  const zgen::ScoreResult gz_streamed = zgen::score_model("gzip:9", context, zgen::source_of(data.first(120)), 0, options, {}, false, 50);
  CHECK(gz_streamed.model_bits == gz.model_bits);
  REQUIRE(gz_streamed.own_bits_given_context);
  CHECK(*gz_streamed.own_bits_given_context == *gz.own_bits_given_context);
  CHECK(*gz_streamed.own_bits_alone == *gz.own_bits_alone);

  CHECK(zgen::test::user_error_of([&] { zgen::score_model("ppm:2", context, zgen::source_of(ByteView{}), 0, options); })
            .find("nothing to score") != std::string::npos);
}

TEST_CASE("a transformer's score a window at a time (the encoder's passes) is its byte-by-byte score, to the bit") {
  const std::string spec = "transformer:" + std::string(ZGEN_TEST_DATA) + "/twin-learned-tied.safetensors";
  const Bytes text = text_bytes(1500);
  const auto model = zgen::test::make_single_threaded(spec);
  model->reset({});
  const double passes = zgen::data_bits(*model, text, true, {});
  // Then byte by byte after the passes (the state they leave), against a fresh model stepped.
  const double more = zgen::data_bits(*model, ByteView(text).first(200), false, {}, passes);
  const auto stepped = zgen::test::make_single_threaded(spec);
  stepped->reset({});
  const double steps = zgen::data_bits(*stepped, text, false, {});
  CHECK(passes == steps);
  CHECK(more == zgen::data_bits(*stepped, ByteView(text).first(200), false, {}, steps));
}
