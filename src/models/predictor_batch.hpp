#pragma once
// Lanes of one model coded in lockstep: B independent histories (chunks), each as a copy of the
// predictor would see it, advanced together so that a model that can (the transformer: one
// matrix–matrix product per layer for all lanes) computes the lanes' next distributions at once.
//
// Invariant: lane b's log_probs are exactly, bit for bit, those of a copy of the predictor after
// reset(the lane's context) and the same observe calls, whatever the other lanes do, how many
// lanes the batch has or which lanes step together. So a file coded in batches is the file coded
// one chunk at a time, and decodes either way.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "zgen/bytes.hpp"

namespace zgen {

struct PredictorBatch {
  virtual ~PredictorBatch() = default;
  virtual int lanes() const = 0;
  // As Predictor::reset, for one lane.
  virtual void reset(int lane, ByteView context) = 0;
  // As Predictor::log_probs, for one lane.
  virtual void log_probs(int lane, std::span<double, 256> out) = 0;
  // Appends bytes[i] to lane lanes[i] for every i (the lanes distinct): one step of all of them.
  virtual void observe(std::span<const int> lanes, std::span<const std::uint8_t> bytes) = 0;
};

// A predictor that can make batches of itself (found by dynamic_cast from the Predictor).
struct BatchablePredictor {
  virtual ~BatchablePredictor() = default;
  // A batch of `lanes` ≥ 1 lanes, each starting with an empty context. The predictor must
  // outlive it (the batch may share its weights).
  virtual std::unique_ptr<PredictorBatch> make_batch(int lanes) const = 0;
  // The encoder's side, which knows every byte ahead: each(t, log_probs) in order for t = 0 …
  // size − 1, log_probs the distribution of data[t] that reset({}) and then observe(data[0]) …
  // observe(data[t − 1]) would give, bit for bit (the transformer computes a window's
  // distributions in one pass instead of one step per byte). Leaves the predictor as after
  // reset({}) and observe of every byte of data, bit for bit.
  using EachLogProbs = std::function<void(std::size_t, std::span<const double, 256>)>;
  virtual void forced_log_probs(ByteView data, const EachLogProbs& each) = 0;
};

}  // namespace zgen
