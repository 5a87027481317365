#pragma once
// Small deterministic predictors for the coder's tests and the fuzz harness: they exercise
// both coding paths (whole-byte tables and binary decisions) without depending on the real
// models, and they are fast enough for megabytes in a test.
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "zgen/errors.hpp"
#include "zgen/predictor.hpp"

namespace zgen::test {

// Adaptive order-0 byte counts (Laplace estimator): the whole-byte (log_probs) path. The
// logarithms are cached so that a prediction costs 256 subtractions.
class Order0Predictor final : public Predictor {
 public:
  Order0Predictor() { reset({}); }
  std::string name() const override { return "test-order0"; }
  void reset(ByteView context) override {
    counts_.fill(1);
    log_counts_.fill(0.0);
    total_ = 256;
    for (std::uint8_t b : context) observe(b);
  }
  void observe(std::uint8_t b) override {
    log_counts_[b] = std::log(static_cast<double>(++counts_[b]));
    ++total_;
  }
  void log_probs(std::span<double, 256> out) override {
    const double log_total = std::log(static_cast<double>(total_));
    for (int b = 0; b < 256; ++b) out[b] = log_counts_[b] - log_total;
  }

 private:
  std::array<std::uint32_t, 256> counts_{};
  std::array<double, 256> log_counts_{};
  std::uint64_t total_ = 0;
};

// Adaptive order-2 blend (each order's counts with escape weight 2 into the order below): a
// model with realistic text probabilities for the overhead test.
class Order2Predictor final : public Predictor {
 public:
  std::string name() const override { return "test-order2"; }
  void reset(ByteView context) override {
    tables_.clear();
    h1_ = h2_ = 0;
    for (std::uint8_t b : context) observe(b);
  }
  void observe(std::uint8_t b) override {
    for (std::uint32_t key : {0u, 0x10000u | h1_, 0x20000u | h2_}) {
      Counts& c = tables_[key];
      ++c.n[b];
      ++c.total;
    }
    h2_ = (h1_ << 8 | b) & 0xffff;
    h1_ = b;
  }
  void log_probs(std::span<double, 256> out) override {
    std::array<double, 256> p;
    p.fill(1.0 / 256);
    for (std::uint32_t key : {0u, 0x10000u | h1_, 0x20000u | h2_}) {
      const auto it = tables_.find(key);
      if (it == tables_.end()) continue;
      const double denominator = it->second.total + 2.0;
      for (int b = 0; b < 256; ++b) p[b] = (it->second.n[b] + 2.0 * p[b]) / denominator;
    }
    for (int b = 0; b < 256; ++b) out[b] = std::log(p[b]);
  }

 private:
  struct Counts {
    std::array<std::uint32_t, 256> n{};
    std::uint32_t total = 0;
  };
  std::unordered_map<std::uint32_t, Counts> tables_;
  std::uint32_t h1_ = 0, h2_ = 0;
};

// Order-0 binary decomposition: a tree of 255 adaptive bit probabilities (the BinaryPredictor
// path). `extreme` pushes probabilities to the ends of [1, 65535] to stress the coder.
class BitTreePredictor final : public Predictor, public BinaryPredictor {
 public:
  explicit BitTreePredictor(bool extreme = false) : extreme_(extreme) { reset({}); }
  std::string name() const override { return extreme_ ? "test-bits-extreme" : "test-bits0"; }
  void reset(ByteView context) override {
    p_.fill(32768);
    node_ = 1;
    for (std::uint8_t b : context) observe(b);
  }
  void observe(std::uint8_t b) override {
    for (int i = 7; i >= 0; --i) update_bit((b >> i) & 1);
  }
  void log_probs(std::span<double, 256> out) override {
    for (int b = 0; b < 256; ++b) {
      double lp = 0;
      for (int i = 7, node = 1; i >= 0; --i) {
        const int bit = (b >> i) & 1;
        const double p1 = p1_at(node) / 65536.0;
        lp += std::log(bit ? p1 : 1 - p1);
        node = node * 2 + bit;
      }
      out[b] = lp;
    }
  }
  BinaryPredictor* as_binary() override { return this; }
  std::uint32_t p1() override { return p1_at(node_); }
  void update_bit(int bit) override {
    std::uint32_t& p = p_[node_];
    const int rate = extreme_ ? 1 : 4;
    if (bit) p += (65536 - p) >> rate;
    else p -= p >> rate;
    node_ = node_ * 2 + bit;
    if (node_ >= 256) node_ = 1;
  }

 private:
  std::uint32_t p1_at(int node) const {
    const std::uint32_t p = p_[node];
    return p < 1 ? 1 : p > 65535 ? 65535 : p;
  }
  bool extreme_;
  std::array<std::uint32_t, 256> p_{};
  int node_ = 1;
};

// The SPECs the test models answer to, as make_predictor would.
inline std::unique_ptr<Predictor> make_test_predictor(const std::string& spec) {
  if (spec == "test-order0") return std::make_unique<Order0Predictor>();
  if (spec == "test-order2") return std::make_unique<Order2Predictor>();
  if (spec == "test-bits0") return std::make_unique<BitTreePredictor>(false);
  if (spec == "test-bits-extreme") return std::make_unique<BitTreePredictor>(true);
  throw UserError("unknown model '" + spec + "'");
}

}  // namespace zgen::test
