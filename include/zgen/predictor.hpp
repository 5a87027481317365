#pragma once
// An autoregressive next-byte model.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "zgen/bytes.hpp"

namespace zgen {

// Models that predict a byte as 8 binary decisions (most significant bit first) expose
// them, so that the arithmetic coder codes 8 binary events per byte instead of asking for
// all 256 probabilities. Probabilities are integers so that encoder and decoder agree bit
// for bit: p1() = P(next bit is 1) · 2^16, always in [1, 65535].
struct BinaryPredictor {
  virtual ~BinaryPredictor() = default;
  virtual std::uint32_t p1() = 0;
  virtual void update_bit(int bit) = 0;  // after 8 calls the byte is observed
};

// Models that cost whole continuations at once: a compressor turned into a model, whose extra
// code length ℓ(c·s) − ℓ(c) prices a multi-byte span s directly. Sampling with a horizon
// (GenerationOptions::horizon) proposes spans through it.
struct ContinuationCost {
  virtual ~ContinuationCost() = default;
  // ℓ(c·s) − ℓ(c) in bits for each continuation s of everything observed; the result does not
  // depend on how the work is spread over threads.
  virtual std::vector<double> extra_bits(std::span<const Bytes> continuations) = 0;
  // The bytes the model may propose next, ascending.
  virtual const std::vector<std::uint8_t>& alphabet() const = 0;
};

struct Predictor {
  virtual ~Predictor() = default;
  virtual std::string name() const = 0;
  virtual void reset(ByteView context) = 0;  // condition on a context (forgets the past)
  virtual void observe(std::uint8_t byte) = 0;  // append one byte
  // Natural-log distribution of the next byte: out[b] = ln p(b | everything observed).
  // Finite for every byte the predictor allows; exp(out) sums to 1 within 1e-9.
  // Bytes outside a restricted alphabet get -infinity.
  virtual void log_probs(std::span<double, 256> out) = 0;
  // The bitwise view of this model, or nullptr when it only predicts whole bytes.
  // Mixing calls to observe() and to the bitwise view is allowed at byte boundaries.
  virtual BinaryPredictor* as_binary() { return nullptr; }
  // The span-costing view of this model, or nullptr when it prices one byte at a time.
  virtual ContinuationCost* as_continuation_cost() { return nullptr; }
  // A fingerprint of everything besides name() that shapes the predictions: weights, a
  // primer. 0 for models that the name alone determines. Compressed files store it (with a
  // hash of the name) so that decoding with a different model is refused, not garbled.
  virtual std::uint64_t parameters_hash() const { return 0; }
  // Learned parameters (a transformer's weights), counted by `zgen bench` to adjust rates for
  // model size; 0 for models that learn only as they code.
  virtual std::uint64_t learned_parameters() const { return 0; }
  // What names this model in a compressed file, beside parameters_hash(): name() without
  // anything that says where the model was loaded from (a checkpoint's path), so that a moved
  // or copied checkpoint is the same model. The default, name(), suits models that their name
  // alone determines (gzip:9, ppm:6).
  virtual std::string identity() const { return name(); }
};

}  // namespace zgen
