// flac — the bytes as 8-bit mono audio, encoded by libFLAC at compression level 8.
//
// Samples. Byte b is the unsigned 8-bit sample b, i.e. the signed FLAC sample b − 128 (the
// WAV convention for 8-bit audio; include/zgen/audio.hpp makes audio bytes the same way). One
// channel, 8 bits per sample, sample rate fixed at 16,000 Hz: the rate only fills a
// STREAMINFO field (it changes no coding decision) and a Compressor sees bytes, not files;
// 16 kHz is the paper's LibriSpeech rate. Verification off (it only re-decodes to check).
//
// Stream. libFLAC writes "fLaC", STREAMINFO (sample count, MD5 of the samples, frame sizes;
// rewritten at the end through the seek callback), a VORBIS_COMMENT block holding only its
// vendor string, then the frames. The vendor string says which library wrote the file and
// carries nothing about the audio, so compress() removes that block (about 40 bytes, 2% of a
// 2048-byte chunk); STREAMINFO is the only block FLAC requires, and any FLAC decoder reads the
// result. decompress() accepts streams with or without it.
//
// Code length: 8 · the stream's size in bytes. begin() returns the fast path of
// compressors/flac_model.hpp, which gives the same lengths from frames encoded once.
#include <FLAC/stream_decoder.h>
#include <FLAC/stream_encoder.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "compressors/families.hpp"
#include "compressors/flac_model.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

constexpr unsigned kBitsPerSample = kFlacBitsPerSample;
constexpr unsigned kBlockSize = kFlacBlockSize;  // level 8's block size: frames are coded independently
constexpr int kVorbisCommentType = 4;
// A constant subframe codes up to 65,535 samples in about a dozen bytes: no valid stream
// decodes to more than this many bytes per input byte.
constexpr std::size_t kMaxExpansion = 8192;

using EncoderPtr = std::unique_ptr<FLAC__StreamEncoder, decltype(&FLAC__stream_encoder_delete)>;
using DecoderPtr = std::unique_ptr<FLAC__StreamDecoder, decltype(&FLAC__stream_decoder_delete)>;

// An in-memory file the encoder writes and seeks in.
struct MemoryFile {
  Bytes data;
  std::size_t pos = 0;
};

FLAC__StreamEncoderWriteStatus write_cb(const FLAC__StreamEncoder*, const FLAC__byte buffer[], size_t bytes, uint32_t,
                                        uint32_t, void* client) {
  auto& f = *static_cast<MemoryFile*>(client);
  if (f.pos + bytes > f.data.size()) f.data.resize(f.pos + bytes);
  std::memcpy(f.data.data() + f.pos, buffer, bytes);
  f.pos += bytes;
  return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
}
FLAC__StreamEncoderSeekStatus seek_cb(const FLAC__StreamEncoder*, FLAC__uint64 offset, void* client) {
  auto& f = *static_cast<MemoryFile*>(client);
  if (offset > f.data.size()) return FLAC__STREAM_ENCODER_SEEK_STATUS_ERROR;
  f.pos = static_cast<std::size_t>(offset);
  return FLAC__STREAM_ENCODER_SEEK_STATUS_OK;
}
FLAC__StreamEncoderTellStatus tell_cb(const FLAC__StreamEncoder*, FLAC__uint64* offset, void* client) {
  *offset = static_cast<const MemoryFile*>(client)->pos;
  return FLAC__STREAM_ENCODER_TELL_STATUS_OK;
}

// The stream without its VORBIS_COMMENT blocks; the last kept block gets the last-block flag.
// Metadata block header: 1 bit last-flag, 7 bits type, 24 bits length (big-endian).
Bytes without_vorbis_comment(const Bytes& s) {
  if (s.size() < 4 || std::memcmp(s.data(), "fLaC", 4) != 0) throw std::runtime_error("flac: libFLAC wrote no fLaC marker");
  Bytes out(s.begin(), s.begin() + 4);
  std::size_t pos = 4, last_kept = 0;
  bool last = false;
  while (!last) {
    if (pos + 4 > s.size()) throw std::runtime_error("flac: libFLAC's metadata is cut short");
    last = (s[pos] & 0x80) != 0;
    const int type = s[pos] & 0x7f;
    const std::size_t len = (std::size_t{s[pos + 1]} << 16) | (std::size_t{s[pos + 2]} << 8) | s[pos + 3];
    if (pos + 4 + len > s.size()) throw std::runtime_error("flac: libFLAC's metadata is cut short");
    if (type != kVorbisCommentType) {
      last_kept = out.size();
      out.insert(out.end(), s.begin() + static_cast<std::ptrdiff_t>(pos), s.begin() + static_cast<std::ptrdiff_t>(pos + 4 + len));
      out[last_kept] &= 0x7f;
    }
    pos += 4 + len;
  }
  if (out.size() == 4) throw std::runtime_error("flac: libFLAC wrote no STREAMINFO");
  out[last_kept] |= 0x80;
  out.insert(out.end(), s.begin() + static_cast<std::ptrdiff_t>(pos), s.end());
  return out;
}

// The offset just past the metadata blocks, or 0 when they run past the end.
std::uint64_t metadata_end(ByteView s) {
  std::size_t pos = 4;
  for (bool last = false; !last;) {
    if (pos + 4 > s.size()) return 0;
    last = (s[pos] & 0x80) != 0;
    pos += 4 + ((std::size_t{s[pos + 1]} << 16) | (std::size_t{s[pos + 2]} << 8) | s[pos + 3]);
  }
  return pos;
}

// What the decoder callbacks read from and write to.
struct DecodeState {
  ByteView in;
  std::size_t pos = 0;
  Bytes out;
  std::uint64_t total_samples = 0;  // from STREAMINFO; 0: unknown
  bool saw_streaminfo = false;
  std::uint64_t frames_end = 0;     // byte offset just past the last decoded frame (0: none)
  std::string error;                // first problem found
};

FLAC__StreamDecoderReadStatus read_cb(const FLAC__StreamDecoder*, FLAC__byte buffer[], size_t* bytes, void* client) {
  auto& d = *static_cast<DecodeState*>(client);
  const std::size_t n = std::min(*bytes, d.in.size() - d.pos);
  std::memcpy(buffer, d.in.data() + d.pos, n);
  d.pos += n;
  *bytes = n;
  return n == 0 ? FLAC__STREAM_DECODER_READ_STATUS_END_OF_STREAM : FLAC__STREAM_DECODER_READ_STATUS_CONTINUE;
}

FLAC__StreamDecoderTellStatus decoder_tell_cb(const FLAC__StreamDecoder*, FLAC__uint64* offset, void* client) {
  *offset = static_cast<const DecodeState*>(client)->pos;
  return FLAC__STREAM_DECODER_TELL_STATUS_OK;
}

FLAC__StreamDecoderWriteStatus frame_cb(const FLAC__StreamDecoder* decoder, const FLAC__Frame* frame,
                                        const FLAC__int32* const buffer[], void* client) {
  auto& d = *static_cast<DecodeState*>(client);
  FLAC__uint64 end = 0;
  if (FLAC__stream_decoder_get_decode_position(decoder, &end)) d.frames_end = end;
  if (frame->header.channels != 1 || frame->header.bits_per_sample != kBitsPerSample) {
    d.error = "not 8-bit mono";
    return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
  }
  if (d.out.size() + frame->header.blocksize > kMaxExpansion * d.in.size() + 65536) {
    d.error = "more samples than the stream can hold";
    return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
  }
  for (uint32_t i = 0; i < frame->header.blocksize; ++i) {
    const FLAC__int32 v = buffer[0][i];
    if (v < -128 || v > 127) {
      d.error = "a sample out of the 8-bit range";
      return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    d.out.push_back(static_cast<std::uint8_t>(v + 128));
  }
  return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

void metadata_cb(const FLAC__StreamDecoder*, const FLAC__StreamMetadata* m, void* client) {
  auto& d = *static_cast<DecodeState*>(client);
  if (m->type != FLAC__METADATA_TYPE_STREAMINFO) return;
  d.saw_streaminfo = true;
  d.total_samples = m->data.stream_info.total_samples;
  if (m->data.stream_info.channels != 1 || m->data.stream_info.bits_per_sample != kBitsPerSample)
    d.error = "not 8-bit mono";
}

void error_cb(const FLAC__StreamDecoder*, FLAC__StreamDecoderErrorStatus status, void* client) {
  auto& d = *static_cast<DecodeState*>(client);
  if (d.error.empty()) d.error = FLAC__StreamDecoderErrorStatusString[status];
}

class Flac final : public Compressor {
 public:
  std::string name() const override { return "flac"; }

  Bytes compress(ByteView data) const override {
    if (data.size() > 0xffffffffu) throw UserError("flac: input too large for one stream");
    EncoderPtr enc(FLAC__stream_encoder_new(), FLAC__stream_encoder_delete);
    if (!enc) throw std::bad_alloc();
    bool ok = configure_flac_encoder(enc.get(), data.size());
    MemoryFile file;
    ok = ok && FLAC__stream_encoder_init_stream(enc.get(), write_cb, seek_cb, tell_cb, nullptr, &file) ==
                   FLAC__STREAM_ENCODER_INIT_STATUS_OK;
    std::vector<FLAC__int32> samples(std::min<std::size_t>(data.size(), std::size_t{1} << 16));
    for (std::size_t done = 0; ok && done < data.size(); done += samples.size()) {
      const std::size_t n = std::min(samples.size(), data.size() - done);
      for (std::size_t i = 0; i < n; ++i) samples[i] = FLAC__int32{data[done + i]} - 128;
      ok = FLAC__stream_encoder_process_interleaved(enc.get(), samples.data(), static_cast<uint32_t>(n));
    }
    ok = FLAC__stream_encoder_finish(enc.get()) && ok;
    if (!ok)
      throw std::runtime_error(std::string("flac: libFLAC failed to encode (") +
                               FLAC__stream_encoder_get_resolved_state_string(enc.get()) + ")");
    return without_vorbis_comment(file.data);
  }

  Bytes decompress(ByteView data) const override {
    if (data.size() < 4 || std::memcmp(data.data(), "fLaC", 4) != 0) throw UserError("flac: not a FLAC stream");
    DecoderPtr dec(FLAC__stream_decoder_new(), FLAC__stream_decoder_delete);
    if (!dec) throw std::bad_alloc();
    DecodeState d;
    d.in = data;
    FLAC__stream_decoder_set_md5_checking(dec.get(), true);
    if (FLAC__stream_decoder_init_stream(dec.get(), read_cb, nullptr, decoder_tell_cb, nullptr, nullptr, frame_cb, metadata_cb,
                                         error_cb, &d) != FLAC__STREAM_DECODER_INIT_STATUS_OK)
      throw std::runtime_error("flac: libFLAC decoder failed to start");
    const bool ran = FLAC__stream_decoder_process_until_end_of_stream(dec.get());
    const bool md5_ok = FLAC__stream_decoder_finish(dec.get());
    if (!d.error.empty()) throw UserError("flac: corrupt stream (" + d.error + ")");
    if (!ran || !d.saw_streaminfo) throw UserError("flac: corrupt or truncated stream");
    if (d.total_samples != 0 && d.out.size() != d.total_samples)
      throw UserError("flac: truncated stream (" + std::to_string(d.out.size()) + " of " +
                      std::to_string(d.total_samples) + " samples)");
    if (!md5_ok) throw UserError("flac: corrupt stream (MD5 of the samples does not match)");
    // libFLAC skips bytes it cannot sync to at the end; a stream ends with its last frame (or
    // its metadata, when it holds no samples).
    const std::uint64_t end = d.out.empty() ? metadata_end(data) : d.frames_end;
    if (end != data.size())
      throw UserError("flac: " + std::to_string(data.size() - end) + " trailing bytes after the end of the stream");
    return std::move(d.out);
  }

  // The fast path (flac_model.hpp): the context's complete frames encoded once, candidates'
  // last frames encoded in batches.
  std::unique_ptr<CodeLengthState> begin(ByteView context) const override {
    if (!flac_fast_path_verified(*this)) return recompressing_state(*this, context);
    return flac_model_state(*this, context);
  }

  // Frames are coded independently; a byte's cost depends only on its own frame.
  std::size_t window_bytes() const override { return kBlockSize; }
};

}  // namespace

std::unique_ptr<Compressor> make_flac() { return std::make_unique<Flac>(); }

}  // namespace zgen
