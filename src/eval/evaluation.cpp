#include "src/eval/evaluation.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <numbers>

#include "src/models/code_length_predictor.hpp"
#include "src/models/conditioned_predictor.hpp"
#include "zgen/coding.hpp"

namespace zgen {

ScoreResult score_model(const std::string& spec, ByteView context, ByteView data, const PredictorOptions& options,
                        const std::function<void()>& on_byte, bool with_coder) {
  PredictorOptions all = options;
  all.alphabet = "all";  // a score must give every byte a finite probability
  auto model = make_predictor(spec, all);
  ScoreResult r;
  r.model = model->name();
  r.bytes = data.size();

  const auto conditioned = std::chrono::steady_clock::now();
  model->reset(context);
  const auto start = std::chrono::steady_clock::now();
  r.context_seconds = std::chrono::duration<double>(start - conditioned).count();
  std::array<double, 256> lp{};
  for (std::uint8_t b : data) {
    model->log_probs(lp);
    if (!std::isfinite(lp[b])) throw std::logic_error(r.model + " gave byte " + std::to_string(b) + " no probability");
    r.model_bits -= lp[b] / std::numbers::ln2;
    model->observe(b);
    if (on_byte) on_byte();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (with_coder) {
    auto coder_model = make_predictor(spec, all);
    ConditionedPredictor conditioned(*coder_model, context);
    const EncodedPayload e = encode_payload(conditioned, data, 0);
    r.coded_bits = e.actual_bits();
    r.coded_ideal_bits = e.ideal_bits;
  }

  if (auto* clp = dynamic_cast<CodeLengthPredictor*>(model.get())) {
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
