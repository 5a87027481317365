#include "src/eval/bench_rates.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "zgen/coding.hpp"
#include "zgen/compressor.hpp"
#include "zgen/models.hpp"

namespace zgen {
namespace {

// One worker's instance of a model: a compressor, or a predictor for the arithmetic coder.
class Instance {
 public:
  explicit Instance(const BenchModel& model) {
    if (model.coded) predictor_ = make_predictor(model.spec);
    else compressor_ = make_compressor(model.spec);
  }
  // (actual bytes, ideal bytes for coded models)
  std::pair<double, std::optional<double>> size_of(ByteView data) {
    if (compressor_) return {static_cast<double>(compressor_->compress(data).size()), std::nullopt};
    const EncodedPayload e = encode_payload(*predictor_, data, 0);
    return {static_cast<double>(e.payload.size()), e.ideal_bits / 8};
  }

 private:
  std::unique_ptr<Compressor> compressor_;
  std::unique_ptr<Predictor> predictor_;
};

}  // namespace

BenchModel describe_bench_model(const std::string& spec) {
  BenchModel m;
  m.spec = spec;
  m.coded = is_predictor_spec(spec);
  if (m.coded) {
    const auto p = make_predictor(spec);
    m.name = p->name();
    m.parameters = p->learned_parameters();
  } else {
    m.name = make_compressor(spec)->name();
  }
  return m;
}

std::vector<ChunkSize> measure_chunk_sizes(const BenchModel& model, const std::vector<Bytes>& chunks, std::size_t first,
                                           std::size_t last, int threads, const BenchProgress& progress) {
  if (first > last || last > chunks.size()) throw std::logic_error("measure_chunk_sizes: bad range");
  // sizes[i] belongs to chunk first+i whichever worker made it: sums are thread-count independent.
  std::vector<ChunkSize> sizes(last - first);
  std::atomic<std::size_t> next{first};
  std::mutex progress_lock;
  std::exception_ptr failure;
  std::mutex failure_lock;
  auto work = [&] {
    try {
      Instance instance(model);
      for (std::size_t i; (i = next++) < last;) {
        const auto [actual, ideal] = instance.size_of(chunks[i]);
        sizes[i - first] = {actual, ideal.value_or(0)};
        if (progress) {
          std::lock_guard lock(progress_lock);
          progress(chunks[i].size());
        }
      }
    } catch (...) {
      std::lock_guard lock(failure_lock);
      if (!failure) failure = std::current_exception();
      next = last;  // the others stop at their next chunk
    }
  };
  const std::size_t n_workers = std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(threads), last - first));
  std::vector<std::thread> workers;
  for (std::size_t w = 1; w < n_workers; ++w) workers.emplace_back(work);
  work();
  for (auto& t : workers) t.join();
  if (failure) std::rethrow_exception(failure);
  return sizes;
}

SizeCell sum_chunk_sizes(const BenchModel& model, const std::vector<Bytes>& chunks, const std::vector<ChunkSize>& sizes) {
  if (sizes.size() != chunks.size()) throw std::logic_error("sum_chunk_sizes: one size per chunk");
  SizeCell cell;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    cell.raw_bytes += chunks[i].size();
    cell.compressed_bytes += sizes[i].actual;
    if (model.coded) cell.ideal_bytes = cell.ideal_bytes.value_or(0) + sizes[i].ideal;
  }
  return cell;
}

SizeCell measure_chunked(const BenchModel& model, const std::vector<Bytes>& chunks, int threads,
                         const BenchProgress& progress) {
  return sum_chunk_sizes(model, chunks, measure_chunk_sizes(model, chunks, 0, chunks.size(), threads, progress));
}

SizeCell measure_unchunked(const BenchModel& model, const std::vector<Bytes>& chunks, const BenchProgress& progress) {
  Bytes all;
  for (const auto& c : chunks) all.insert(all.end(), c.begin(), c.end());
  Instance instance(model);
  SizeCell cell;
  cell.raw_bytes = all.size();
  const auto [actual, ideal] = instance.size_of(all);
  cell.compressed_bytes = actual;
  cell.ideal_bytes = ideal;
  if (progress) progress(all.size());
  return cell;
}

std::vector<Bytes> select_evenly(std::vector<Bytes> chunks, std::size_t limit) {
  const std::size_t m = chunks.size();
  if (limit == 0 || limit >= m) return chunks;
  std::vector<Bytes> picked;
  picked.reserve(limit);
  for (std::size_t i = 0; i < limit; ++i) picked.push_back(std::move(chunks[i * m / limit]));
  return picked;
}

}  // namespace zgen
