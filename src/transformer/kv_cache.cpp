#include "src/transformer/kv_cache.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "src/transformer/layers.hpp"

namespace zgen::transformer {

KVCache::KVCache(const Transformer<float>& model, int lanes, Arithmetic arithmetic)
    : model_(model), config_(model.config()), lanes_(lanes), arithmetic_(arithmetic) {
  if (lanes < 1) throw std::logic_error("KVCache: need at least one lane");
  const auto& w = model.weights();
  const int C = config_.dim, L = config_.layers, T = config_.seq;
  for (int l = 0; l < L; ++l) {
    const std::ptrdiff_t lC = static_cast<std::ptrdiff_t>(l) * C;
    Layer layer;
    layer.qkv = exact::pack(w.qkvw + lC * 3 * C, w.qkvb + 3 * lC, 3 * C, C);
    layer.attproj = exact::pack(w.attprojw + lC * C, w.attprojb + lC, C, C);
    layer.fc = exact::pack(w.fcw + lC * 4 * C, w.fcb + 4 * lC, 4 * C, C);
    layer.fcproj = exact::pack(w.fcprojw + lC * 4 * C, w.fcprojb + lC, C, 4 * C);
    layers_.push_back(std::move(layer));
  }
  head_ = exact::pack(w.head, nullptr, config_.vocab, C);
  const bool half = arithmetic == Arithmetic::half;
  if (half) {
    for (Layer& layer : layers_)
      for (exact::PackedMatrix* m : {&layer.qkv, &layer.attproj, &layer.fc, &layer.fcproj}) exact::round_to_half(*m);
    exact::round_to_half(head_);
  }
  const std::size_t TC = static_cast<std::size_t>(T) * C;
  keys_.resize(static_cast<std::size_t>(lanes) * static_cast<std::size_t>(L) * TC);
  values_.resize(keys_.size());
  if (half) {
    keys16_.resize(keys_.size());
    values16_.resize(keys_.size());
  }
  length_.assign(static_cast<std::size_t>(lanes), 0);
  const std::size_t R = static_cast<std::size_t>(std::max(T, lanes)), RC = R * static_cast<std::size_t>(C);
  rows_.resize(R);
  positions_.resize(R);
  hints_.resize(R);
  x_.resize(RC);
  ln_.resize(RC);
  atty_.resize(RC);
  res2_.resize(RC);
  qkv_.resize(3 * RC);
  fch_.resize(4 * RC);
  mean_.resize(R);
  rstd_.resize(R);
  scores_.resize(exact::attention_rows_scratch(T, config_.heads));
}

float* KVCache::keys(int lane, int layer) {
  const std::ptrdiff_t TC = static_cast<std::ptrdiff_t>(config_.seq) * config_.dim;
  return keys_.data() + (static_cast<std::ptrdiff_t>(lane) * config_.layers + layer) * TC;
}

float* KVCache::values(int lane, int layer) {
  const std::ptrdiff_t TC = static_cast<std::ptrdiff_t>(config_.seq) * config_.dim;
  return values_.data() + (static_cast<std::ptrdiff_t>(lane) * config_.layers + layer) * TC;
}

void KVCache::step(std::span<const Row> rows, float* logits) {
  const int n = static_cast<int>(rows.size());
  if (n < 1 || n > lanes_) throw std::logic_error("KVCache::step: need 1..lanes rows");
  for (int r = 0; r < n; ++r) {
    const Row& row = rows[static_cast<std::size_t>(r)];
    if (row.lane < 0 || row.lane >= lanes_) throw std::logic_error("KVCache::step: no such lane");
    if (length(row.lane) >= config_.seq) throw std::logic_error("KVCache::step: cache full; the caller must slide the window");
    for (int s = 0; s < r; ++s)
      if (rows[static_cast<std::size_t>(s)].lane == row.lane) throw std::logic_error("KVCache::step: a lane twice");
    rows_[static_cast<std::size_t>(r)] = row;
    positions_[static_cast<std::size_t>(r)] = length(row.lane);
    hints_[static_cast<std::size_t>(r)] = row.hint;
  }
  run(n, 0, logits);
  for (const Row& row : rows) ++length_[static_cast<std::size_t>(row.lane)];
}

void KVCache::prefill_rows(ByteView bytes, int first, float* logits, ByteView hints, int lane) {
  const int n = static_cast<int>(bytes.size());
  if (n < 1 || n > config_.seq) throw std::logic_error("KVCache::prefill: need 1..seq bytes");
  if (first < 0 || first >= n) throw std::logic_error("KVCache::prefill_rows: no such row");
  if (lane < 0 || lane >= lanes_) throw std::logic_error("KVCache::prefill: no such lane");
  const bool hinted = config_.hint_width > 0;
  if (hinted && hints.size() != bytes.size())
    throw std::logic_error("KVCache::prefill: a model with raster hints needs one per byte");
  for (int t = 0; t < n; ++t) {
    const std::uint8_t hint = hinted ? hints[static_cast<std::size_t>(t)] : 0;
    rows_[static_cast<std::size_t>(t)] = Row{lane, bytes[static_cast<std::size_t>(t)], hint};
    positions_[static_cast<std::size_t>(t)] = t;
    hints_[static_cast<std::size_t>(t)] = hint;
  }
  run(n, first, logits);
  length_[static_cast<std::size_t>(lane)] = n;
}

void KVCache::run(int n, int first_out, float* logits) {
  const auto& w = model_.weights();
  const int C = config_.dim, H = config_.heads, L = config_.layers, T = config_.seq, V = config_.vocab, hs = C / H;
  const std::ptrdiff_t C3 = 3 * static_cast<std::ptrdiff_t>(C), C4 = 4 * static_cast<std::ptrdiff_t>(C);
  const std::ptrdiff_t head_stride = static_cast<std::ptrdiff_t>(T) * hs;  // between heads in keys()/values()
  const bool half = arithmetic_ == Arithmetic::half, half_reads = half && exact::reads_halves(C, H);
  float* x = x_.data();  // (n,C) the residual stream of the rows
  for (int r = 0; r < n; ++r)
    encoder_forward(x + static_cast<std::ptrdiff_t>(r) * C, &rows_[static_cast<std::size_t>(r)].byte, w.wte,
                    model_.position_table() + static_cast<std::ptrdiff_t>(positions_[static_cast<std::size_t>(r)]) * C,
                    1, 1, C);
  if (w.wme) embedding_add_forward(x, hints_.data(), w.wme, n, C);
  for (int l = 0; l < L; ++l) {
    const std::ptrdiff_t lC = static_cast<std::ptrdiff_t>(l) * C;
    const Layer& layer = layers_[static_cast<std::size_t>(l)];
    // Every row's keys and values go into the cache; past the last layer's attention only the
    // rows whose logits are asked for matter, so there the rest runs on those rows alone.
    layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), x, w.ln1w + lC, w.ln1b + lC, n, C);  // (n,C)
    exact::linear(qkv_.data(), C3, ln_.data(), C, layer.qkv, n);                                     // (n,3C)
    for (int r = 0; r < n; ++r) {
      const float* row = qkv_.data() + r * C3;
      const int lane = rows_[static_cast<std::size_t>(r)].lane, pos = positions_[static_cast<std::size_t>(r)];
      float* k = keys(lane, l);    // (H,T_max,hs)
      float* v = values(lane, l);  // (H,T_max,hs)
      for (int h = 0; h < H; ++h) {
        const std::ptrdiff_t at = h * head_stride + static_cast<std::ptrdiff_t>(pos) * hs;
        if (half) {  // rounded, and widened back: both copies (kv_cache.hpp)
          const std::ptrdiff_t at16 = k - keys_.data() + at;
          exact::to_halves(keys16_.data() + at16, row + C + h * hs, hs);
          exact::to_halves(values16_.data() + at16, row + 2 * C + h * hs, hs);
          exact::from_halves(k + at, keys16_.data() + at16, hs);
          exact::from_halves(v + at, values16_.data() + at16, hs);
        } else {
          std::memcpy(k + at, row + C + h * hs, hs * sizeof(float));
          std::memcpy(v + at, row + 2 * C + h * hs, hs * sizeof(float));
        }
      }
    }
    const int first = l == L - 1 ? first_out : 0, rows = n - first;  // rows first … n − 1 go on
    // Row r sees its lane's positions 0 … pos; a run of rows of one lane at consecutive
    // positions (a prefill) goes through attention_rows together, each row as alone.
    for (int r = first; r < n;) {
      const int lane = rows_[static_cast<std::size_t>(r)].lane, pos = positions_[static_cast<std::size_t>(r)];
      int run = 1;
      while (r + run < n && rows_[static_cast<std::size_t>(r + run)].lane == lane &&
             positions_[static_cast<std::size_t>(r + run)] == pos + run)
        ++run;
      if (run == 1 && half_reads) {  // a step: attention over the halves (the same bits, half the bytes)
        const std::ptrdiff_t base = keys(lane, l) - keys_.data();
        exact::attention_row_half(atty_.data() + static_cast<std::ptrdiff_t>(r) * C, qkv_.data() + r * C3,
                                  keys16_.data() + base, values16_.data() + base, head_stride, pos + 1, C, H,
                                  scores_.data());  // (C)
        ++r;
        continue;
      }
      exact::attention_rows(atty_.data() + static_cast<std::ptrdiff_t>(r) * C, C, qkv_.data() + r * C3, C3,
                            keys(lane, l), values(lane, l), head_stride, pos + 1, run, C, H,
                            scores_.data());  // (run,C)
      r += run;
    }
    float* xr = x + static_cast<std::ptrdiff_t>(first) * C;  // (rows,C)
    float* res2 = res2_.data();                               // (rows,C)
    exact::linear(res2, C, atty_.data() + static_cast<std::ptrdiff_t>(first) * C, C, layer.attproj, rows);
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(rows) * C; ++i) res2[i] += xr[i];
    layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), res2, w.ln2w + lC, w.ln2b + lC, rows, C);  // (rows,C)
    exact::linear(fch_.data(), C4, ln_.data(), C, layer.fc, rows);                                        // (rows,4C)
    exact::gelu(fch_.data(), fch_.data(), rows * C4);
    exact::linear(xr, C, fch_.data(), C4, layer.fcproj, rows);  // (rows,C)
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(rows) * C; ++i) xr[i] += res2[i];
  }
  const int first = first_out, rows = n - first;
  layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), x + static_cast<std::ptrdiff_t>(first) * C, w.lnfw, w.lnfb,
                    rows, C);                                   // (rows,C)
  exact::linear(logits, V, ln_.data(), C, head_, rows);  // (rows,V)
}

}  // namespace zgen::transformer
