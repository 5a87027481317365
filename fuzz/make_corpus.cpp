// Writes the generated seeds of every fuzz target into DIR/<target>/ (DIR = argv[1], normally
// fuzz/corpus; `scripts/fuzz.sh --make-corpus` builds and runs this), after removing the seeds
// it wrote before (every file whose name contains "-seed-"). Inputs saved by hand (real files
// "-file-", inputs the fuzzer found "-found-") are left alone.
//
// A name says what the replay test (tests/test_fuzz_corpus.cpp) expects of the input: "ok-" must
// be accepted by the target, "bad-" refused with a UserError; "any-" only must not crash. The
// seeds are small (a few KB at most) so that the fuzzers start from inputs they run fast.
#include <png.h>
#include <sndfile.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include "fuzz/targets.hpp"
#include "src/transformer/checkpoint.hpp"
#include "zgen/audio.hpp"
#include "zgen/coding.hpp"
#include "zgen/compressor.hpp"
#include "zgen/errors.hpp"

namespace fs = std::filesystem;
using namespace zgen;

namespace {

fs::path g_root;
int g_written = 0;

void save(const std::string& target, const std::string& name, ByteView bytes) {
  if (name.find("-seed-") == std::string::npos) throw std::logic_error("a generated seed's name needs -seed-: " + name);
  std::ofstream out(g_root / target / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (g_root / target / name).string());
  ++g_written;
}

Bytes read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Bytes cut(const Bytes& b, std::size_t keep) { return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(std::min(keep, b.size()))); }

// A file name from a SPEC or a text: letters and digits kept, the rest '_'.
std::string slug(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// ---------------------------------------------------------------------------------------------
// container

void container_seeds() {
  fuzz::ModelCache& models = fuzz::ModelCache::instance();
  const std::string texts[] = {"", "a", "hello, hello, hello world",
                               "It was the best of times, it was the worst of times.",
                               std::string(40, 'z'), std::string("\x00\x01\x02\xff\xfe\x80\x7f", 7)};
  const auto file_of = [&](const std::string& spec, const std::string& text, std::uint64_t chunk) {
    return compress_to_container(*models.lend(spec), spec, as_bytes(text), chunk).file;
  };
  // Valid files, every coding path and chunking, within the fuzzer's caps.
  for (const char* spec : {"test-order0", "test-bits0", "test-bits-extreme", "test-order2", "ppm:1:unprimed",
                           "ppm:3:unprimed"})
    for (std::size_t t = 0; t < std::size(texts); ++t)
      for (std::uint64_t chunk : {0, 16})
        if (chunk == 0 || texts[t].size() > 16)
          save("container", "ok-seed-" + slug(spec) + "-text" + std::to_string(t) + "-chunk" + std::to_string(chunk),
               file_of(spec, texts[t], chunk));
  save("container", "ok-seed-gzip9-ab", file_of("gzip:9", "ab", 0));
  save("container", "ok-seed-mix-ppm-gzip", file_of("mix:ppm:1:unprimed+gzip:1", "a", 0));
  for (const char* spec : {"xz:1", "bzip2:9", "zstd:3", "brotli:5", "png", "flac"})
    save("container", "ok-seed-" + slug(spec) + "-empty", file_of(spec, "", 0));

  // Damaged files, each refused for its own reason.
  const Bytes good = file_of("test-order0", texts[3], 16);
  const ParsedContainer parsed = parse_container(good);
  const auto relabelled = [&](const std::function<void(ContainerHeader&)>& change, ByteView payload) {
    ContainerHeader h = parsed.header;
    change(h);
    return write_container(h, payload);
  };
  const ByteView payload = parsed.payload;
  save("container", "bad-seed-empty", Bytes{});
  save("container", "bad-seed-truncated", cut(good, good.size() - 5));
  save("container", "bad-seed-header-only", cut(good, 20));
  Bytes b = good;
  b[b.size() - 7] ^= 0x10;
  save("container", "bad-seed-payload-bit-flipped", b);
  b = good;
  b[8] ^= 0x01;
  save("container", "bad-seed-header-bit-flipped", b);
  b = good;
  b[4] = 2;
  save("container", "bad-seed-version-2", b);
  b = good;
  b[1] = 'X';
  save("container", "bad-seed-wrong-magic", b);
  b = good;
  b.push_back(0);
  save("container", "bad-seed-trailing-byte", b);
  save("container", "bad-seed-cmd-spec", relabelled([](ContainerHeader& h) { h.model_spec = "cmd:cat"; }, payload));
  save("container", "bad-seed-transformer-spec",
       relabelled([](ContainerHeader& h) { h.model_spec = "transformer:/etc/passwd"; }, payload));
  save("container", "bad-seed-unknown-spec", relabelled([](ContainerHeader& h) { h.model_spec = "gzip:10"; }, payload));
  save("container", "bad-seed-other-model", relabelled([](ContainerHeader& h) { h.model_spec = "test-order2"; }, payload));
  save("container", "bad-seed-bits-model", relabelled([](ContainerHeader& h) { h.model_spec = "test-bits0"; }, payload));
  save("container", "bad-seed-coding-mode-2",
       relabelled([](ContainerHeader& h) { h.coding = static_cast<CodingMode>(2); }, payload));
  save("container", "bad-seed-longer-than-cap", relabelled([](ContainerHeader& h) { h.original_length = 100000; }, payload));
  save("container", "bad-seed-length-plus-one",
       relabelled([](ContainerHeader& h) { h.original_length += 1; }, payload));
  save("container", "bad-seed-chunk-size-8", relabelled([](ContainerHeader& h) { h.chunk_size = 8; }, payload));
  save("container", "bad-seed-crc", relabelled([](ContainerHeader& h) { h.crc32 ^= 1; }, payload));
  save("container", "bad-seed-mix-of-nine",
       relabelled([](ContainerHeader& h) { h.model_spec = "mix:ppm:1+ppm:1+ppm:1+ppm:1+ppm:1+ppm:1+ppm:1+ppm:1+ppm:1"; },
                  payload));
  save("container", "bad-seed-primed-ppm", relabelled([](ContainerHeader& h) { h.model_spec = "ppm:1"; }, payload));

  // The stream layout (version 3, compress_stream), whole and damaged.
  const auto stream_file_of = [&](const std::string& spec, const std::string& text, std::uint64_t chunk) {
    const auto lent = models.lend(spec);
    Predictor* const one[] = {lent.get()};
    StreamCompressOptions options;
    options.chunk_size = chunk;
    Bytes file;
    (void)compress_stream(one, spec, source_of(as_bytes(text)), sink_of(file), options);
    return file;
  };
  for (std::uint64_t chunk : {0, 8})
    save("container", "ok-seed-stream-ppm1-unprimed-text2-chunk" + std::to_string(chunk),
         stream_file_of("ppm:1:unprimed", texts[2], chunk));
  const Bytes stream = stream_file_of("ppm:1:unprimed", texts[2], 8);
  save("container", "bad-seed-stream-truncated", cut(stream, stream.size() - 3));
  b = stream;
  b[b.size() / 2] ^= 0x10;
  save("container", "bad-seed-stream-damaged-frame", b);
  b = stream;
  b.push_back(0);
  save("container", "bad-seed-stream-extra-byte", b);

  // Payloads straight to the decoder: [model, chunk, length (2 bytes)] then the payload, as
  // fuzz_container reads them (first byte odd).
  const char* payload_models[] = {"test-order0", "test-bits0", "test-bits-extreme", "ppm:2:unprimed"};
  const std::uint64_t chunks[] = {0, 1, 7, 64, 2048};
  for (std::uint8_t m = 0; m < 4; ++m)
    for (std::uint8_t c : {0, 2}) {
      const std::string& text = texts[3];
      Bytes in = {static_cast<std::uint8_t>(m << 1 | 1), c, static_cast<std::uint8_t>(text.size()), 0};
      const Bytes p = encode_payload(*models.lend(payload_models[m]), as_bytes(text), chunks[c]).payload;
      in.insert(in.end(), p.begin(), p.end());
      save("container", "any-seed-payload-" + slug(payload_models[m]) + "-chunk" + std::to_string(chunks[c]), in);
    }
  // Data to round-trip (first byte even: the model; then the data).
  for (std::uint8_t m = 0; m < 3; ++m) {
    Bytes in = {static_cast<std::uint8_t>(m << 1)};
    in.insert(in.end(), texts[2].begin(), texts[2].end());
    save("container", "any-seed-data-model" + std::to_string(m), in);
  }
}

// ---------------------------------------------------------------------------------------------
// safetensors

Bytes checkpoint_bytes(const TransformerConfig& config, std::uint64_t seed) {
  transformer::Transformer<float> model(config);
  model.init_weights(seed);
  return safetensors::serialize(transformer::parameter_tensors(model), config.to_metadata());
}

void safetensors_seeds(const fs::path& data) {
  TransformerConfig tiny;
  tiny.layers = 1, tiny.dim = 2, tiny.heads = 1, tiny.seq = 8, tiny.learned_positions = true, tiny.tied_head = true;
  const Bytes good = checkpoint_bytes(tiny, 1);
  save("safetensors", "ok-seed-tiny-learned-tied", good);
  TransformerConfig sinusoidal = tiny;
  sinusoidal.learned_positions = false, sinusoidal.tied_head = false, sinusoidal.dim = 4, sinusoidal.heads = 2;
  save("safetensors", "ok-seed-tiny-sinusoidal-untied", checkpoint_bytes(sinusoidal, 2));
  TransformerConfig hints = tiny;
  hints.hint_width = 2;
  save("safetensors", "ok-seed-tiny-hints", checkpoint_bytes(hints, 3));
  TransformerConfig raster = tiny;
  raster.raster_width = 2;
  save("safetensors", "ok-seed-tiny-raster", checkpoint_bytes(raster, 4));

  const float values[] = {1.5f, -2.0f, 0.25f, 1e30f, -0.0f, 3.0f};
  save("safetensors", "bad-seed-plain-tensors",  // valid safetensors, not a checkpoint
       safetensors::serialize({{"a", {2, 2}, std::span<const float>(values, 4)}, {"b", {2}, std::span<const float>(values + 4, 2)}},
                              {{"note", "not a checkpoint"}}));
  save("safetensors", "bad-seed-truncated", cut(good, good.size() - 3));
  save("safetensors", "bad-seed-header-cut", cut(good, 40));
  save("safetensors", "bad-seed-empty", Bytes{});
  const auto with_header = [](const std::string& json, std::size_t data_bytes) {
    Bytes b(8);
    const std::uint64_t n = json.size();
    std::memcpy(b.data(), &n, 8);
    b.insert(b.end(), json.begin(), json.end());
    b.resize(b.size() + data_bytes, 0);
    return b;
  };
  save("safetensors", "bad-seed-not-json", with_header("{not json", 0));
  save("safetensors", "bad-seed-duplicate",
       with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4));
  save("safetensors", "bad-seed-f16", with_header(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4));
  save("safetensors", "bad-seed-overlap",
       with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8));
  save("safetensors", "bad-seed-gap", with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8));
  save("safetensors", "bad-seed-metadata-number", with_header(R"({"__metadata__":{"zgen.layers":1}})", 0));
  save("safetensors", "bad-seed-absurd-shape",
       with_header(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4));
  Bytes nan = good;  // the last tensor's last value made NaN
  const float q = std::nanf("");
  std::memcpy(nan.data() + nan.size() - 4, &q, 4);
  save("safetensors", "bad-seed-nan-parameter", nan);
  // A checkpoint as Python's safetensors writes it (scripts/torch_twin.py's test fixture).
  save("safetensors", "ok-seed-twin-learned-tied", read_bytes(data / "twin-learned-tied.safetensors"));
}

// ---------------------------------------------------------------------------------------------
// image

Bytes png_of(int width, int height, png_uint_32 format, const void* samples, const void* colormap = nullptr,
             int colormap_entries = 0) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = format;
  image.colormap_entries = static_cast<png_uint_32>(colormap_entries);
  png_alloc_size_t size = 0;
  if (!png_image_write_get_memory_size(image, size, 0, samples, 0, colormap))
    throw std::runtime_error(std::string("libpng: ") + image.message);
  Bytes out(size);
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, samples, 0, colormap))
    throw std::runtime_error(std::string("libpng: ") + image.message);
  out.resize(size);
  return out;
}

Bytes jpeg_of(int width, int height, int components, J_COLOR_SPACE space, bool progressive) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr errors{};
  cinfo.err = jpeg_std_error(&errors);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = components;
  cinfo.in_color_space = space;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 80, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<unsigned char> row(static_cast<std::size_t>(width * components));
  while (cinfo.next_scanline < cinfo.image_height) {
    for (std::size_t i = 0; i < row.size(); ++i) row[i] = static_cast<unsigned char>(i * 7 + cinfo.next_scanline * 13);
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  Bytes out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

void image_seeds(const fs::path& data) {
  std::vector<std::uint8_t> samples(16 * 8 * 4);
  for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<std::uint8_t>(i * 37);
  std::vector<std::uint16_t> wide(16 * 8 * 3);
  for (std::size_t i = 0; i < wide.size(); ++i) wide[i] = static_cast<std::uint16_t>(i * 2741);
  const std::uint8_t palette[4 * 3] = {0, 0, 0, 255, 0, 0, 0, 255, 0, 40, 80, 120};
  std::vector<std::uint8_t> indices(16 * 8);
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<std::uint8_t>(i % 4);
  save("image", "ok-seed-gray.png", png_of(16, 8, PNG_FORMAT_GRAY, samples.data()));
  save("image", "ok-seed-gray-alpha.png", png_of(16, 8, PNG_FORMAT_GA, samples.data()));
  save("image", "ok-seed-rgb.png", png_of(16, 8, PNG_FORMAT_RGB, samples.data()));
  save("image", "ok-seed-rgba.png", png_of(16, 8, PNG_FORMAT_RGBA, samples.data()));
  save("image", "ok-seed-rgb16.png", png_of(16, 8, PNG_FORMAT_LINEAR_RGB, wide.data()));
  save("image", "ok-seed-palette.png", png_of(16, 8, PNG_FORMAT_RGB_COLORMAP, indices.data(), palette, 4));
  save("image", "ok-seed-gray.jpg", jpeg_of(16, 8, 1, JCS_GRAYSCALE, false));
  save("image", "ok-seed-rgb-progressive.jpg", jpeg_of(16, 16, 3, JCS_RGB, true));
  save("image", "bad-seed-cmyk.jpg", jpeg_of(8, 8, 4, JCS_CMYK, false));
  // The png compressor's own streams: 64-wide grayscale, a zgPd chunk for the padding.
  const std::string text = "The png compressor codes bytes as a 64-wide grayscale image; 100 bytes pad the last row.";
  save("image", "ok-seed-png-compressor.png", make_compressor("png")->compress(as_bytes(text)));
  const Bytes camera = read_bytes(data / "camera-crop-64x48.png");
  const Bytes boats = read_bytes(data / "nagasaki-boats-96x64.jpg");
  save("image", "ok-seed-camera-crop-64x48.png", camera);  // the test fixtures, real photos
  save("image", "ok-seed-nagasaki-boats-96x64.jpg", boats);
  save("image", "bad-seed-truncated.png", cut(camera, camera.size() / 2));
  save("image", "bad-seed-truncated.jpg", cut(boats, boats.size() / 2));
  save("image", "bad-seed-gif", as_bytes(std::string("GIF89a\x01\x00\x01\x00\x00\x00\x00;", 14)));
  save("image", "bad-seed-empty", Bytes{});
  // A PNG whose header claims 100000 × 100000 (refused before any allocation).
  Bytes huge = png_of(16, 8, PNG_FORMAT_GRAY, samples.data());
  for (int at : {16, 20}) {
    const std::uint32_t v = 100000;
    huge[at] = static_cast<std::uint8_t>(v >> 24), huge[at + 1] = static_cast<std::uint8_t>(v >> 16);
    huge[at + 2] = static_cast<std::uint8_t>(v >> 8), huge[at + 3] = static_cast<std::uint8_t>(v);
  }
  const std::uint32_t crc = crc32_of(ByteView(huge).subspan(12, 17));
  for (int i = 0; i < 4; ++i) huge[29 + i] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
  save("image", "bad-seed-huge.png", huge);
}

// ---------------------------------------------------------------------------------------------
// audio

// libsndfile writing into memory.
struct MemoryFile {
  Bytes data;
  sf_count_t pos = 0;
};
sf_count_t mf_length(void* u) { return static_cast<sf_count_t>(static_cast<MemoryFile*>(u)->data.size()); }
sf_count_t mf_seek(sf_count_t offset, int whence, void* u) {
  auto& m = *static_cast<MemoryFile*>(u);
  m.pos = (whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m.pos : static_cast<sf_count_t>(m.data.size())) + offset;
  return m.pos;
}
sf_count_t mf_read(void* out, sf_count_t n, void* u) {
  auto& m = *static_cast<MemoryFile*>(u);
  const sf_count_t got = std::max<sf_count_t>(0, std::min<sf_count_t>(n, static_cast<sf_count_t>(m.data.size()) - m.pos));
  if (got > 0) std::memcpy(out, m.data.data() + m.pos, static_cast<std::size_t>(got));
  m.pos += got;
  return got;
}
sf_count_t mf_write(const void* in, sf_count_t n, void* u) {
  auto& m = *static_cast<MemoryFile*>(u);
  if (m.data.size() < static_cast<std::size_t>(m.pos + n)) m.data.resize(static_cast<std::size_t>(m.pos + n));
  std::memcpy(m.data.data() + m.pos, in, static_cast<std::size_t>(n));
  m.pos += n;
  return n;
}
sf_count_t mf_tell(void* u) { return static_cast<MemoryFile*>(u)->pos; }

Bytes sound_file(int format, int channels, int rate, const std::vector<short>& frames) {
  MemoryFile m;
  SF_VIRTUAL_IO io{mf_length, mf_seek, mf_read, mf_write, mf_tell};
  SF_INFO info{};
  info.format = format;
  info.channels = channels;
  info.samplerate = rate;
  SNDFILE* f = sf_open_virtual(&io, SFM_WRITE, &info, &m);
  if (!f) throw std::runtime_error(std::string("libsndfile: ") + sf_strerror(nullptr));
  sf_command(f, SFC_SET_ADD_PEAK_CHUNK, nullptr, SF_FALSE);  // its timestamp would change every run
  sf_writef_short(f, frames.data(), static_cast<sf_count_t>(frames.size()) / channels);
  sf_close(f);
  return std::move(m.data);
}

// Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial value 0.
std::uint32_t ogg_crc(ByteView bytes) {
  std::uint32_t crc = 0;
  for (std::uint8_t b : bytes) {
    crc ^= std::uint32_t{b} << 24;
    for (int i = 0; i < 8; ++i) crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
  }
  return crc;
}

// libsndfile draws an Ogg stream's serial number from the clock: every page gets a fixed one
// (and its CRC again), so that the seed is the same on every run.
Bytes with_fixed_ogg_serial(Bytes b) {
  for (std::size_t pos = 0; pos < b.size();) {
    if (b.size() - pos < 27 || std::memcmp(b.data() + pos, "OggS", 4) != 0) throw std::runtime_error("not an Ogg page");
    const std::size_t header = 27 + std::size_t{b[pos + 26]};
    std::size_t body = 0;
    for (std::size_t i = pos + 27; i < pos + header; ++i) body += b[i];
    const std::uint32_t serial = 0x7a67656e;  // "zgen"
    for (int i = 0; i < 4; ++i) b[pos + 14 + i] = static_cast<std::uint8_t>(serial >> (8 * i)), b[pos + 22 + i] = 0;
    const std::uint32_t crc = ogg_crc(ByteView(b).subspan(pos, header + body));
    for (int i = 0; i < 4; ++i) b[pos + 22 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    pos += header + body;
  }
  return b;
}

void audio_seeds(const fs::path& data) {
  // The first 600 samples of the real speech fixture (16-bit mono PCM after a 44-byte header).
  const Bytes wav = read_bytes(data / "asterisk-to-extension.wav");
  std::vector<short> speech(600);
  std::memcpy(speech.data(), wav.data() + 44, speech.size() * 2);
  std::vector<short> stereo;
  for (std::size_t i = 0; i + 1 < speech.size(); i += 2) stereo.insert(stereo.end(), {speech[i], speech[i + 1]});
  const Bytes pcm16 = sound_file(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 8000, speech);
  save("audio", "ok-seed-pcm16.wav", pcm16);
  save("audio", "ok-seed-u8.wav", sound_file(SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 1, 8000, speech));
  save("audio", "ok-seed-float-stereo.wav", sound_file(SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 8000, stereo));
  save("audio", "ok-seed-ima-adpcm.wav", sound_file(SF_FORMAT_WAV | SF_FORMAT_IMA_ADPCM, 1, 8000, speech));
  save("audio", "ok-seed-pcm16.aiff", sound_file(SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 1, 8000, speech));
  save("audio", "ok-seed-pcm24.flac", sound_file(SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 1, 8000, speech));
  save("audio", "ok-seed-vorbis.ogg", with_fixed_ogg_serial(sound_file(SF_FORMAT_OGG | SF_FORMAT_VORBIS, 1, 8000, speech)));
  // The flac compressor's own streams: 8-bit mono, no VORBIS_COMMENT.
  Bytes bytes(speech.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = unsigned8_from_sum(speech[i], 1);
  const Bytes flac = make_compressor("flac")->compress(bytes);
  save("audio", "ok-seed-flac-compressor.flac", flac);
  save("audio", "bad-seed-truncated-data.wav", cut(pcm16, pcm16.size() - 100));
  save("audio", "bad-seed-truncated-header.wav", cut(pcm16, 30));
  save("audio", "bad-seed-truncated.flac", cut(flac, flac.size() / 2));
  Bytes magic = pcm16;
  magic[8] = 'X';
  save("audio", "bad-seed-bad-magic.wav", magic);
  save("audio", "bad-seed-text", as_bytes(std::string("hello\n")));
  save("audio", "bad-seed-empty", Bytes{});
}

// ---------------------------------------------------------------------------------------------
// spec

void spec_seeds() {
  for (const char* spec : {"gzip", "gzip:1", "zstd:22", "xz:0", "bzip2:9", "brotli:11", "png", "flac", "cmd:xz -9 -c",
                           "cmd:\"gzip -c\"", "ppm", "ppm:6", "ppm:12:unprimed", "mix:ppm:2+gzip:1", "mix:zstd:1"})
    save("spec", std::string("ok-seed-") + slug(spec), as_bytes(spec));
  for (const char* spec : {"", "gzip:0", "gzip:", "gzip:+9", "zstd:23", "xz:-1", "png:1", "cmd:", "cmd:\"\"", "ppm:13",
                           "ppm:x", "ppm:6:unprimed:unprimed", "mix:", "mix:ppm:1+", "mix:mix:ppm:1",
                           "transformer:", "transformer:models/none.safetensors", "lz4:1",
                           "mix:gzip+gzip+gzip+gzip+gzip+gzip+gzip+gzip+gzip"})
    save("spec", std::string("bad-seed-") + (*spec ? slug(spec) : std::string("empty")), as_bytes(spec));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_corpus DIR (normally fuzz/corpus)\n");
    return 2;
  }
  g_root = argv[1];
  const fs::path data = fs::path(ZGEN_SOURCE_DIR) / "tests" / "data";
  try {
    for (const auto& target : fuzz::kTargets) {
      fs::create_directories(g_root / target.name);
      for (const auto& entry : fs::directory_iterator(g_root / target.name))
        if (entry.path().filename().string().find("-seed-") != std::string::npos) fs::remove(entry.path());
    }
    container_seeds();
    safetensors_seeds(data);
    image_seeds(data);
    audio_seeds(data);
    spec_seeds();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_make_corpus: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "fuzz_make_corpus: wrote %d seeds under %s\n", g_written, argv[1]);
  return 0;
}
