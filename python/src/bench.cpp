// zgen.bench: the measurements of `zgen bench` (the paper's Table 1) on data the caller gives,
// returned as one plain dict per (modality, model), ready for pandas.DataFrame(rows).
#include <pybind11/stl.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "coding.hpp"
#include "errors.hpp"
#include "threads.hpp"
#include "zgen/errors.hpp"
#include "zgen/evaluation.hpp"
#include "zgen/images.hpp"

namespace py = pybind11;

namespace zgen::python {
namespace {

struct Row {
  std::string modality;
  BenchModel model;
  std::size_t chunks = 0;
  SizeCell chunked, unchunked;
  std::optional<ScoreResult> predictor;
};

py::object optional_number(const std::optional<double>& v) { return v ? py::object(py::float_(*v)) : py::none(); }

py::dict to_dict(const Row& r) {
  py::dict d;
  d["modality"] = r.modality;
  d["model"] = r.model.name;
  d["spec"] = r.model.spec;
  d["kind"] = r.model.coded ? "arithmetic-coded predictor" : "compressor";
  d["parameters"] = r.model.parameters;
  d["chunks"] = r.chunks;
  d["chunk_bytes"] = kChunkBytes;
  d["raw_bytes"] = r.chunked.raw_bytes;
  d["chunked_bytes"] = r.chunked.compressed_bytes;
  d["chunked_rate"] = r.chunked.rate();
  d["chunked_adjusted_rate"] = r.chunked.adjusted_rate(r.model.parameters);
  d["chunked_ideal_bytes"] = optional_number(r.chunked.ideal_bytes);
  d["whole_bytes"] = r.unchunked.compressed_bytes;
  d["whole_rate"] = r.unchunked.rate();
  d["whole_adjusted_rate"] = r.unchunked.adjusted_rate(r.model.parameters);
  d["whole_ideal_bytes"] = optional_number(r.unchunked.ideal_bytes);
  d["bits_per_byte"] = r.predictor ? py::object(py::float_(r.predictor->bits_per_byte())) : py::none();
  return d;
}

// modalities: (name, data) pairs, each cut into 2048-byte chunks (a last partial chunk is
// dropped, as `zgen bench` does), `chunks` of them chosen evenly (0: all).
py::list bench(const std::vector<std::pair<std::string, py::bytes>>& modalities, const std::vector<std::string>& specs,
               long long chunks, int threads, long long predict_bytes) {
  if (chunks < 0) throw InvalidParameter("chunks", "{} must be >= 0 (got " + std::to_string(chunks) + ")");
  if (threads < 1) throw InvalidParameter("threads", "{} must be >= 1 (got " + std::to_string(threads) + ")");
  if (predict_bytes < 0) throw InvalidParameter("predict_bytes", "{} must be >= 0");
  if (specs.empty()) throw InvalidParameter("models", "{} is empty");
  std::vector<std::pair<std::string, Bytes>> data;
  for (const auto& [name, b] : modalities) {
    const std::string_view s = b;
    data.emplace_back(name, Bytes(s.begin(), s.end()));
  }
  std::vector<Row> rows;
  {
    py::gil_scoped_release nogil;
    ThreadScope scope(threads);
    std::vector<BenchModel> models;
    for (const auto& spec : specs) models.push_back(describe_bench_model(spec));
    std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
    std::mutex progress_mutex;
    const BenchProgress progress = [&](std::size_t) {
      std::lock_guard lock(progress_mutex);
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::milliseconds(50)) return;
      last = now;
      check_signals();
    };
    for (const auto& [name, bytes] : data) {
      std::vector<Bytes> selected = select_evenly(whole_chunks(bytes), static_cast<std::size_t>(chunks));
      if (selected.empty())
        throw InvalidParameter("data", "{} '" + literal(name) + "' holds no 2048-byte chunk (" + std::to_string(bytes.size()) +
                                           " bytes)");
      Bytes predict_data;
      for (const auto& c : selected) {
        if (predict_data.size() >= static_cast<std::size_t>(predict_bytes)) break;
        const std::size_t take = std::min(c.size(), static_cast<std::size_t>(predict_bytes) - predict_data.size());
        predict_data.insert(predict_data.end(), c.begin(), c.begin() + static_cast<std::ptrdiff_t>(take));
      }
      for (const auto& model : models) {
        Row r{name, model, selected.size(), measure_chunked(model, selected, threads, progress),
              measure_unchunked(model, selected, progress), std::nullopt};
        if (!predict_data.empty()) {
          PredictorOptions options;  // alphabet "all"
          options.threads = threads;
          r.predictor = score_model(model.spec, {}, predict_data, options);
        }
        rows.push_back(std::move(r));
      }
    }
  }
  py::list out;
  for (const auto& r : rows) out.append(to_dict(r));
  return out;
}

}  // namespace

void register_bench(py::module_& m) {
  m.def("bench", &bench, py::arg("modalities"), py::arg("models"), py::arg("chunks"), py::arg("threads"),
        py::arg("predict_bytes"));
}

}  // namespace zgen::python
