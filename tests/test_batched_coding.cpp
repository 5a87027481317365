// Batched transformer coding (issue 24, part 2): the decoder's chunks in lockstep (one
// matrix–matrix product per layer for a batch of lanes) and the encoder's window passes (the
// distributions of known bytes a window at a time) give the very bits of one byte at a time.
// Checked at the predictor (exact equality, through steps, slides, raster hints and rolls) and
// at the file (the same .zgen either way, on 1 and 2 threads, with a short last chunk; decoding
// with batch 0 = byte by byte, 1, 3 and 16; the committed fixture's stream).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <random>
#include <vector>

#include "src/coding/container.hpp"
#include "src/coding/stream_coding.hpp"
#include "src/transformer/predictor.hpp"
#include "tests/fixtures.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"

using namespace zgen;

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = fs::path(ZGEN_TEST_DATA) / ".." / "..";  // the repository: models/ and tests/data/
const std::string kSpec = "transformer:models/sotu-800k.safetensors";

TransformerConfig tiny_config(int seq, int hint_width, int raster_width = 0) {
  TransformerConfig c;
  c.layers = 2;
  c.dim = 32;
  c.heads = 4;
  c.seq = seq;
  c.hint_width = hint_width;
  c.raster_width = raster_width;
  return c;
}

// Initialised weights scaled up so that distributions are far from uniform.
std::unique_ptr<transformer::Transformer<float>> sharp_model(const TransformerConfig& c, std::uint64_t seed) {
  auto m = std::make_unique<transformer::Transformer<float>>(c);
  m->init_weights(seed);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, 0.3f);
  for (auto& p : m->parameters()) p += d(rng);
  return m;
}

// Lanes of a batch against one lone predictor per lane: every lane's distribution equal to the
// bit after every byte, while lanes step in changing subsets (some wait, some slide).
void check_lanes_match_lone_predictors(const TransformerConfig& c) {
  constexpr int kLanes = 5;
  TransformerPredictor model(sharp_model(c, 3), "transformer:tiny");
  const auto batch = model.make_batch(kLanes);
  std::vector<std::unique_ptr<TransformerPredictor>> lone;
  std::mt19937_64 rng(7);
  for (int b = 0; b < kLanes; ++b) {
    lone.push_back(std::make_unique<TransformerPredictor>(sharp_model(c, 3), "transformer:tiny"));
    // Lane b starts from a context of 3b bytes (lane 0: empty), as reset(context) would.
    Bytes context(static_cast<std::size_t>(3 * b));
    for (auto& x : context) x = static_cast<std::uint8_t>('a' + rng() % 20);
    batch->reset(b, context);
    lone[static_cast<std::size_t>(b)]->reset(context);
  }
  std::array<double, 256> got{}, want{};
  int mismatches = 0, compared = 0;
  for (int step = 0; step < 3 * c.seq; ++step) {
    std::vector<int> lanes;
    std::vector<std::uint8_t> bytes;
    for (int b = 0; b < kLanes; ++b) {
      if (b > 0 && rng() % 4 == 0) continue;  // lanes 1… sometimes sit a step out
      const auto byte = static_cast<std::uint8_t>('a' + rng() % 20);
      lanes.push_back(b);
      bytes.push_back(byte);
      lone[static_cast<std::size_t>(b)]->observe(byte);
    }
    batch->observe(lanes, bytes);
    for (int b = 0; b < kLanes; ++b) {
      batch->log_probs(b, got);
      lone[static_cast<std::size_t>(b)]->log_probs(want);
      mismatches += got != want;
      ++compared;
    }
  }
  CHECK(compared == 3 * c.seq * kLanes);
  CHECK(mismatches == 0);
}

// forced_log_probs against reset({}) and observe, byte by byte: equal to the bit.
void check_forced_matches_steps(const TransformerConfig& c) {
  TransformerPredictor forced(sharp_model(c, 5), "transformer:tiny");
  TransformerPredictor stepped(sharp_model(c, 5), "transformer:tiny");
  std::mt19937_64 rng(11);
  Bytes data(static_cast<std::size_t>(5 * c.seq + 3));  // several slides
  for (auto& x : data) x = static_cast<std::uint8_t>('a' + rng() % 20);
  std::vector<std::array<double, 256>> want(data.size());
  stepped.reset({});
  for (std::size_t t = 0; t < data.size(); ++t) {
    stepped.log_probs(want[t]);
    stepped.observe(data[t]);
  }
  std::size_t next = 0;
  int mismatches = 0;
  forced.forced_log_probs(data, [&](std::size_t t, std::span<const double, 256> lp) {
    CHECK(t == next++);
    mismatches += !std::equal(lp.begin(), lp.end(), want[t].begin());
  });
  CHECK(next == data.size());
  CHECK(mismatches == 0);
  // Afterwards both have seen every byte, and go on alike.
  std::array<double, 256> after_forced{}, after_steps{};
  for (int extra = 0; extra < c.seq; ++extra) {
    forced.log_probs(after_forced);
    stepped.log_probs(after_steps);
    mismatches += after_forced != after_steps;
    forced.observe('q');
    stepped.observe('q');
  }
  CHECK(mismatches == 0);
}

Bytes sotu(std::size_t n) {
  const Bytes text = test::read_fixture("sotu-valid-30k.txt");
  REQUIRE(text.size() >= n);
  return Bytes(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(n));
}

Bytes compress_with(std::span<Predictor* const> predictors, ByteView data, std::uint64_t chunk, int batch) {
  Bytes file;
  StreamCompressOptions o;
  o.chunk_size = chunk;
  o.batch = batch;
  compress_stream(predictors, kSpec, source_of(data), sink_of(file), o);
  return file;
}

Bytes decompress_with(ByteView file, int batch, int threads) {
  Bytes out;
  DecompressOptions o;
  o.batch = batch;
  o.threads = threads;
  decompress_stream(source_of(file), sink_of(out), [](const std::string& spec) { return test::make_single_threaded(spec); }, o);
  return out;
}

// Runs from the repository, so that the stored model path (models/…) resolves.
struct InRepository {
  fs::path previous = fs::current_path();
  InRepository() { fs::current_path(kRoot); }
  ~InRepository() { fs::current_path(previous); }
};

}  // namespace

TEST_CASE("a batch's lanes give a lone predictor's distributions to the bit, through steps and slides") {
  check_lanes_match_lone_predictors(tiny_config(16, 0));
}

TEST_CASE("a hinted model's lanes give a lone predictor's distributions to the bit") {
  check_lanes_match_lone_predictors(tiny_config(16, 7));
}

TEST_CASE("the encoder's window passes give the byte-by-byte distributions to the bit") {
  check_forced_matches_steps(tiny_config(16, 0));
  check_forced_matches_steps(tiny_config(16, 7));     // raster hints as inputs
  check_forced_matches_steps(tiny_config(16, 0, 7));  // residuals rolled by the raster prediction
}

TEST_CASE("batch_groups: consecutive, covering, at most `lanes` each, a multiple of the threads where it can") {
  const auto groups = batch_groups(49, 2, 16);
  REQUIRE(groups.size() == 4);
  std::size_t next = 0;
  for (const auto& g : groups) {
    CHECK(g.first == next);
    CHECK(g.last - g.first <= 16);
    CHECK(g.last - g.first >= 12);  // 13, 12, 12, 12: even
    next = g.last;
  }
  CHECK(next == 49);
  CHECK(batch_groups(3, 2, 16).size() == 2);
  CHECK(batch_groups(1, 2, 16).size() == 1);
  CHECK(batch_groups(0, 2, 16).empty());
}

TEST_CASE("the .zgen file is the same every way it is coded, and decodes with every batch size") {
  InRepository here;
  // Five chunks of 600 bytes and a short last one (150): lanes finish at different steps. The
  // 800k model's window (512) slides in every full chunk.
  const Bytes data = sotu(5 * 600 + 150);
  const auto a = test::make_single_threaded(kSpec), b = test::make_single_threaded(kSpec);
  Predictor* one[] = {a.get()};
  Predictor* two[] = {a.get(), b.get()};
  const Bytes byte_by_byte = compress_with(one, data, 600, 0);
  CHECK(compress_with(one, data, 600, 16) == byte_by_byte);
  CHECK(compress_with(two, data, 600, 16) == byte_by_byte);
  CHECK(decompress_with(byte_by_byte, 16, 2) == data);
  CHECK(decompress_with(byte_by_byte, 3, 1) == data);
  CHECK(decompress_with(byte_by_byte, 1, 1) == data);
  CHECK(decompress_with(byte_by_byte, 0, 1) == data);
}

TEST_CASE("the fixture's stream: written by the encoder's window passes, read by a batch of lanes") {
  InRepository here;
  // v2-transformer800k-sotu700.zgen: one 700-byte chunk coded one byte at a time by the build
  // that made it (transformer coding 1).
  const Bytes fixture = test::read_fixture("v2-transformer800k-sotu700.zgen");
  const ParsedContainer parsed = parse_container(fixture);
  ByteReader reader(parsed.payload, "fixture");
  const ByteView fixture_stream = reader.take(reader.varint());
  REQUIRE(fixture_stream.size() > 100);
  const Bytes data = sotu(700 + 700 + 300);
  // The fixture is of transformer coding 1 (fp32); v3-half-… and v3-quarter-…, stream files
  // (a frame: its length, then its stream's), are the same text in codings 2 and 3.
  const auto fp32 = test::make_single_threaded("transformer-fp32:models/sotu-800k.safetensors");
  Bytes fp32_stream;
  encode_frame(*fp32, CodingMode::bytes, ByteView(data).first(700), true, fp32_stream, true);
  CHECK(Bytes(fixture_stream.begin(), fixture_stream.end()) == fp32_stream);
  const auto frame_stream = [](const Bytes& file) {
    ByteReader frames(parse_container(file).payload, "fixture");
    REQUIRE(frames.varint() == 700);
    const ByteView stream = frames.take(frames.varint());
    return Bytes(stream.begin(), stream.end());
  };
  const auto v2 = test::make_single_threaded("transformer-v2:models/sotu-800k.safetensors");
  Bytes v2_stream;
  encode_frame(*v2, CodingMode::bytes, ByteView(data).first(700), true, v2_stream, true);
  CHECK(frame_stream(test::read_fixture("v3-half-transformer800k-sotu700.zgen")) == v2_stream);
  const auto a = test::make_single_threaded(kSpec);
  const ByteView chunks[] = {ByteView(data).first(700), ByteView(data).subspan(700, 700), ByteView(data).subspan(1400)};
  std::vector<Bytes> streams(3);
  for (int i = 0; i < 3; ++i) encode_frame(*a, CodingMode::bytes, chunks[i], true, streams[static_cast<std::size_t>(i)], true);
  CHECK(frame_stream(test::read_fixture("v3-quarter-transformer800k-sotu700.zgen")) == streams[0]);
  // The three streams (one shorter) decoded in lockstep on three lanes.
  const auto batch = make_batch_of(*a, CodingMode::bytes, 3);
  REQUIRE(batch);
  std::vector<Bytes> decoded(3);
  const ByteView views[] = {streams[0], streams[1], streams[2]};
  const std::uint64_t lengths[] = {700, 700, 300};
  decode_chunks_batched(*batch, views, lengths, decoded, [](std::size_t) { return std::string(); });
  for (int i = 0; i < 3; ++i) CHECK(decoded[static_cast<std::size_t>(i)] == Bytes(chunks[i].begin(), chunks[i].end()));
}

TEST_CASE("a damaged chunk decoded in a batch is one FormatError") {
  InRepository here;
  const Bytes data = sotu(3 * 400);
  const auto a = test::make_single_threaded(kSpec);
  Predictor* one[] = {a.get()};
  Bytes file = compress_with(one, data, 400, 16);
  file[file.size() / 2] ^= 0x40;  // inside the second chunk's stream
  CHECK_THROWS_AS(decompress_with(file, 16, 1), FormatError);
}
