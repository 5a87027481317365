#include "src/eval/evaluation.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <optional>
#include <stdexcept>

#include "src/coding/container.hpp"
#include "src/coding/stream_coding.hpp"
#include "src/models/code_length_predictor.hpp"
#include "src/models/conditioned_predictor.hpp"
#include "src/models/predictor_batch.hpp"
#include "zgen/coding.hpp"

namespace zgen {

double data_bits(Predictor& model, ByteView data, bool fresh, const std::function<void()>& on_byte, double sum) {
  double bits = sum;
  const auto add = [&](std::uint8_t b, std::span<const double, 256> lp) {
    if (!std::isfinite(lp[b])) throw std::logic_error(model.name() + " gave byte " + std::to_string(b) + " no probability");
    bits -= lp[b] / std::numbers::ln2;
    if (on_byte) on_byte();
  };
  if (auto* forced = dynamic_cast<BatchablePredictor*>(&model); forced && fresh) {
    forced->forced_log_probs(data, [&](std::size_t t, std::span<const double, 256> lp) { add(data[t], lp); });
    return bits;
  }
  std::array<double, 256> lp{};
  for (std::uint8_t b : data) {
    model.log_probs(lp);
    add(b, lp);
    model.observe(b);
  }
  return bits;
}

namespace {

// The score's loop over the data, a window at a time from `next_window` (which returns an empty
// view at the end). `whole` (null when the data is streamed), when the caller holds all the data,
// spares a compressor model the copy it otherwise keeps for its own code length.
ScoreResult score_windows(const std::string& spec, ByteView context, const std::function<ByteView()>& next_window,
                          const ByteView* whole, const PredictorOptions& options,
                          const std::function<void()>& on_byte, bool with_coder) {
  PredictorOptions all = options;
  all.alphabet = "all";  // a score must give every byte a finite probability
  auto model = make_predictor(spec, all);
  ScoreResult r;
  r.model = model->name();
  auto* clp = dynamic_cast<CodeLengthPredictor*>(model.get());

  std::unique_ptr<Predictor> coder_model;
  std::optional<ConditionedPredictor> coder;
  if (with_coder) {
    coder_model = make_predictor(spec, all);
    coder.emplace(*coder_model, context);
  }
  double coded_bytes = 0, ideal_bits = 0;
  Bytes stream, frame_length, kept;

  const auto conditioned = std::chrono::steady_clock::now();
  model->reset(context);
  const auto start = std::chrono::steady_clock::now();
  r.context_seconds = std::chrono::duration<double>(start - conditioned).count();
  double coder_seconds = 0;
  for (ByteView window = next_window(); !window.empty(); window = next_window()) {
    r.model_bits = data_bits(*model, window, r.bytes == 0 && context.empty(), on_byte, r.model_bits);
    if (coder) {  // the window as the next frame of one history; sized as a payload's piece
      const auto coding_start = std::chrono::steady_clock::now();
      ideal_bits += encode_frame(*coder, coding_mode_of(*coder), window, r.bytes == 0, stream);
      frame_length.clear();
      put_varint(frame_length, stream.size());
      coded_bytes += static_cast<double>(frame_length.size() + stream.size());
      coder_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - coding_start).count();
    }
    if (clp && !whole) kept.insert(kept.end(), window.begin(), window.end());
    r.bytes += window.size();
  }
  if (r.bytes == 0 && !whole) throw UserError("nothing to score: the data is empty");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() - coder_seconds;
  if (coder) {
    r.coded_bits = 8 * coded_bytes;
    r.coded_ideal_bits = ideal_bits;
  }

  if (clp) {
    const ByteView data = whole ? *whole : ByteView(kept);
    const Compressor& c = clp->compressor();
    // The same trimmed context the model saw: the compressor's window.
    const std::size_t keep = context_bytes_kept(c, options.max_context);
    const ByteView ctx = context.size() > keep ? context.subspan(context.size() - keep) : context;
    // By the SPEC's own definition of ℓ(d | c): ℓ(c·d) − ℓ(c) for most, a dictionary for zstd-dict.
    r.own_bits_given_context = c.code_length_bits_given(ctx, data) - c.code_length_bits_given(ctx, {});
    r.own_bits_alone = c.code_length_bits(data);
    r.own_bit_exact = c.bit_exact();
  }
  return r;
}

}  // namespace

ScoreResult score_model(const std::string& spec, ByteView context, ByteView data, const PredictorOptions& options,
                        const std::function<void()>& on_byte, bool with_coder) {
  std::size_t at = 0;
  const auto next_window = [&] {
    const ByteView window = data.subspan(at, std::min(kScoreWindow, data.size() - at));
    at += window.size();
    return window;
  };
  return score_windows(spec, context, next_window, &data, options, on_byte, with_coder);
}

ScoreResult score_model(const std::string& spec, ByteView context, const ByteSource& data, std::uint64_t max_bytes,
                        const PredictorOptions& options, const std::function<void()>& on_byte, bool with_coder,
                        std::size_t window) {
  if (window == 0) throw std::invalid_argument("score_model: a window of 0 bytes");
  Bytes buffer(window);
  std::uint64_t left = max_bytes ? max_bytes : UINT64_MAX;
  const auto next_window = [&] {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), left));
    const std::size_t got = fill_from(data, std::span<std::uint8_t>(buffer).first(want));
    left -= got;
    return ByteView(buffer).first(got);
  };
  return score_windows(spec, context, next_window, nullptr, options, on_byte, with_coder);
}

nlohmann::json to_json(const ScoreResult& r) {
  nlohmann::json j = {{"model", r.model},
                      {"bytes", r.bytes},
                      {"bits_per_byte", r.bits_per_byte()},
                      {"model_bits", r.model_bits},
                      {"seconds", r.seconds},
                      {"context_seconds", r.context_seconds},
                      {"bytes_per_second", r.bytes_per_second()}};
  if (r.own_bits_given_context) {
    j["own_bits_per_byte_given_context"] = *r.own_bits_given_context / static_cast<double>(r.bytes ? r.bytes : 1);
    j["own_rate_alone_percent"] = 100.0 * *r.own_bits_alone / (8.0 * static_cast<double>(r.bytes ? r.bytes : 1));
    j["own_bit_exact"] = r.own_bit_exact;
  }
  if (r.coded_bits) {
    j["coded_bits"] = *r.coded_bits;
    j["coded_ideal_bits"] = *r.coded_ideal_bits;
  }
  return j;
}

}  // namespace zgen
