// zstd-dict:L — zstd level L, conditioned on the context through a dictionary instead of by
// recompressing it. The fast conditional variant of zstd:L (the README's "Code lengths, per family").
//
// Definition. Split the context c = h·t, t its last min(|c|, kTailBytes) bytes. Then
//   ℓ(x | c) = 8 · size of the zstd frame (level L, content size, checksum) of t·x,
//              compressed with h as a raw-content dictionary (no dictionary when h is empty),
// and the model's extra length is ℓ(x | c) − ℓ(ε | c).
// Why the tail: a frame of one byte is stored raw whatever the dictionary holds, so pricing x
// alone against the dictionary gives all 256 bytes the same length. Compressing x together with
// the recent text t prices x with t's literal statistics and lets matches from t run into x,
// while h is reachable through matches only (as in the paper's conditioning, the compressor sees
// the context; here the older part only as a dictionary). With a longer tail the definition moves
// towards zstd:L's ℓ(c·x) − ℓ(c) and costs more per candidate.
//
// The dictionary is exactly: ZSTD_createCDict_advanced2 over h, raw content (a context that
// begins with zstd's dictionary magic is still plain bytes), by copy, with the parameters of
// level L; the frame is ZSTD_compress2 with that CDict referenced (ZSTD_CCtx_refCDict), level L,
// checksum on. code_length_bits_given does all of it from scratch; the state (the fast path)
// builds the CDict once per context and shares it, read-only, with its clones (libzstd allows
// one CDict to serve many CCtx at once), and keeps one CCtx per state. Whole bytes, as zstd:L.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "compressors/families.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

constexpr std::size_t kTailBytes = 256;

void check(size_t rc) {
  if (ZSTD_isError(rc)) throw std::runtime_error(std::string("zstd-dict: ") + ZSTD_getErrorName(rc));
}

using CCtxPtr = std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)>;
using CDictPtr = std::shared_ptr<const ZSTD_CDict>;

CCtxPtr new_cctx() {
  CCtxPtr cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  if (!cctx) throw std::runtime_error("zstd-dict: ZSTD_createCCtx failed");
  return cctx;
}

// The dictionary over h; null for an empty h (then the frame has no dictionary).
CDictPtr make_cdict(int level, ByteView head) {
  if (head.empty()) return nullptr;
  std::unique_ptr<ZSTD_CCtx_params, decltype(&ZSTD_freeCCtxParams)> params(ZSTD_createCCtxParams(),
                                                                          ZSTD_freeCCtxParams);
  if (!params) throw std::runtime_error("zstd-dict: ZSTD_createCCtxParams failed");
  check(ZSTD_CCtxParams_init(params.get(), level));
  ZSTD_CDict* cdict = ZSTD_createCDict_advanced2(head.data(), head.size(), ZSTD_dlm_byCopy, ZSTD_dct_rawContent,
                                                 params.get(), ZSTD_defaultCMem);
  if (!cdict) throw std::runtime_error("zstd-dict: ZSTD_createCDict_advanced2 failed");
  return CDictPtr(cdict, [](const ZSTD_CDict* d) { ZSTD_freeCDict(const_cast<ZSTD_CDict*>(d)); });
}

// 8 · |frame of tail·x| with the dictionary; `scratch` holds tail·x and the output.
double frame_bits(ZSTD_CCtx* cctx, int level, const ZSTD_CDict* cdict, ByteView tail, ByteView x, Bytes& in,
                  Bytes& out) {
  in.assign(tail.begin(), tail.end());
  in.insert(in.end(), x.begin(), x.end());
  out.resize(ZSTD_compressBound(in.size()));
  check(ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters));
  check(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level));
  check(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1));
  check(ZSTD_CCtx_refCDict(cctx, cdict));  // null: no dictionary
  const size_t n = ZSTD_compress2(cctx, out.data(), out.size(), in.data(), in.size());
  check(n);
  return 8.0 * static_cast<double>(n);
}

std::size_t tail_size(std::size_t context) { return context < kTailBytes ? context : kTailBytes; }

// The fast path: h's CDict built once (again after append, when h has changed), shared by clones.
class ZstdDictState final : public CodeLengthState {
 public:
  ZstdDictState(int level, ByteView context) : level_(level), context_(context.begin(), context.end()) {}
  ZstdDictState(const ZstdDictState& other)
      : level_(other.level_), context_(other.context_), cdict_(other.cdict_), cdict_ready_(other.cdict_ready_),
        context_bits_(other.context_bits_) {}

  double context_bits() override {
    if (context_bits_ < 0) context_bits_ = bits_with({});
    return context_bits_;
  }
  double bits_with(ByteView continuation) override {
    const std::size_t head = context_.size() - tail_size(context_.size());
    if (!cdict_ready_) {
      cdict_ = make_cdict(level_, ByteView(context_).first(head));
      cdict_ready_ = true;
    }
    return frame_bits(cctx_.get(), level_, cdict_.get(), ByteView(context_).subspan(head), continuation, in_, out_);
  }
  void append(ByteView committed) override {
    if (committed.empty()) return;
    context_.insert(context_.end(), committed.begin(), committed.end());
    cdict_.reset();
    cdict_ready_ = false;
    context_bits_ = -1;
  }
  std::unique_ptr<CodeLengthState> clone() const override { return std::make_unique<ZstdDictState>(*this); }

 private:
  int level_;
  Bytes context_;
  CDictPtr cdict_;  // over context_ less its tail; shared read-only with clones
  bool cdict_ready_ = false;
  double context_bits_ = -1;
  CCtxPtr cctx_ = new_cctx();  // each state (thread) its own
  Bytes in_, out_;
};

class ZstdDict final : public Compressor {
 public:
  explicit ZstdDict(int level) : level_(level), plain_(make_zstd(level)) {}

  std::string name() const override { return "zstd-dict:" + std::to_string(level_); }
  // Without a context the variant is zstd:L: the same frames, the same window.
  Bytes compress(ByteView data) const override { return plain_->compress(data); }
  Bytes decompress(ByteView data) const override { return plain_->decompress(data); }
  double code_length_bits(ByteView data) const override { return plain_->code_length_bits(data); }
  std::size_t window_bytes() const override { return plain_->window_bytes(); }

  double code_length_bits_given(ByteView context, ByteView continuation) const override {
    const std::size_t head = context.size() - tail_size(context.size());
    const CDictPtr cdict = make_cdict(level_, context.first(head));
    CCtxPtr cctx = new_cctx();
    Bytes in, out;
    return frame_bits(cctx.get(), level_, cdict.get(), context.subspan(head), continuation, in, out);
  }
  std::unique_ptr<CodeLengthState> begin(ByteView context) const override {
    return std::make_unique<ZstdDictState>(level_, context);
  }

 private:
  int level_;
  std::unique_ptr<Compressor> plain_;
};

}  // namespace

std::unique_ptr<Compressor> make_zstd_dict(int level) { return std::make_unique<ZstdDict>(level); }

}  // namespace zgen
