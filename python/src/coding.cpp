#include "coding.hpp"

#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "convert.hpp"
#include "errors.hpp"
#include "model.hpp"
#include "threads.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"

namespace py = pybind11;

namespace zgen::python {
namespace {


// Ctrl-C between chunks (the callback runs on the coder's threads, serialised).
ChunkProgress signal_check() {
  return [last = std::chrono::steady_clock::now()](std::uint64_t) mutable {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(50)) return;
    last = now;
    check_signals();
  };
}

// The file `zgen compress` writes (version 3, framed), byte for byte.
StreamCompressOptions stream_options(std::uint64_t chunk) {
  StreamCompressOptions o;
  o.chunk_size = chunk;
  o.progress = signal_check();
  return o;
}

// As `zgen compress`: several chunks, one copy of the model per thread coding whole chunks;
// one chunk, one model whose candidates are costed by `threads` threads. A Python predictor is
// one object: one thread.
py::bytes compress(const py::bytes& data_in, ModelHandle& model, long long chunk_size, int threads) {
  if (chunk_size < 0) throw InvalidParameter("chunk_size", "{} must be >= 0 (got " + std::to_string(chunk_size) + ")");
  if (threads < 1) throw InvalidParameter("threads", "{} must be >= 1 (got " + std::to_string(threads) + ")");
  const Bytes data = bytes_of(data_in);
  Bytes file;
  {
    py::gil_scoped_release nogil;
    ThreadScope scope(threads);
    const auto chunk = static_cast<std::uint64_t>(chunk_size);
    if (model.is_python()) {
      std::lock_guard lock(model.mutex());
      model.python().forget_fingerprint();
      Predictor* one[] = {&model.python()};
      compress_stream(std::span<Predictor* const>(one), model.spec(), source_of(data), sink_of(file), stream_options(chunk));
    } else {
      const int copies = static_cast<int>(std::clamp<std::uint64_t>(chunk_count(data.size(), chunk), 1,
                                                                    static_cast<std::uint64_t>(threads)));
      PredictorOptions options = model.options();  // alphabet "all": coding needs every byte possible
      options.threads = copies > 1 ? 1 : threads;
      std::vector<std::unique_ptr<Predictor>> owned;
      std::vector<Predictor*> predictors;
      for (int i = 0; i < copies; ++i) {
        owned.push_back(model.make(options));
        predictors.push_back(owned.back().get());
      }
      compress_stream(std::span<Predictor* const>(predictors), model.spec(), source_of(data), sink_of(file),
                      stream_options(chunk));
    }
  }
  return to_python(file);
}

py::bytes decompress(const py::bytes& blob, ModelHandle* model, int threads, const std::vector<std::string>& model_dirs,
                     const std::string& file_dir) {
  if (threads < 1) throw InvalidParameter("threads", "{} must be >= 1 (got " + std::to_string(threads) + ")");
  const Bytes file = bytes_of(blob);
  Bytes out;
  {
    py::gil_scoped_release nogil;
    ThreadScope scope(threads);
    const ParsedContainer parsed = parse_container(file);
    const ContainerHeader& h = parsed.header;
    const bool python_file = h.model_spec.rfind(kPythonSpecPrefix, 0) == 0;
    if (python_file && !(model && model->is_python()))
      throw ModelMismatch("the file was compressed with the Python predictor '" + h.model_spec +
                          "': pass that predictor, zgen.decompress(blob, model=predictor)");
    DecompressOptions options;
    options.model_dirs = model_dirs;
    options.file_dir = file_dir;
    options.progress = signal_check();
    if (model && model->is_python()) {
      std::lock_guard lock(model->mutex());
      PythonPredictor& p = model->python();
      p.forget_fingerprint();
      // Refused here with what differs, before any byte is decoded (find_model would refuse too,
      // in the words it uses for a SPEC).
      if (!python_file)
        throw ModelMismatch("model mismatch: the file was compressed with '" + h.model_spec +
                            "', not with a Python predictor (decompress it without model=)");
      if (model_identity_hash(p) != h.parameters_hash)
        throw ModelMismatch("model mismatch: the file was compressed with '" + h.model_spec + "', and the predictor '" +
                            p.name() + "' " +
                            (h.model_spec != p.name()
                                 ? "has another name"
                                 : "computes differently (its outputs on zgen's probe differ from the encoder's)") +
                            ": decoding would give wrong bytes");
      options.model_override = p.name();
      options.threads = 1;
      // find_model asks for the model once (one thread): a non-owning handle on the predictor.
      struct Borrowed final : Predictor {
        explicit Borrowed(PythonPredictor& p) : p(p) {}
        std::string name() const override { return p.name(); }
        void reset(ByteView c) override { p.reset(c); }
        void observe(std::uint8_t b) override { p.observe(b); }
        void log_probs(std::span<double, 256> out) override { p.log_probs(out); }
        std::uint64_t parameters_hash() const override { return p.parameters_hash(); }
        PythonPredictor& p;
      };
      out = decompress_container(parsed, [&](const std::string&) { return std::make_unique<Borrowed>(p); }, options);
    } else {
      if (model) options.model_override = model->spec();
      PredictorOptions popts = model ? model->options() : PredictorOptions{};
      // One chunk: its model's threads cost candidates; several: each thread decodes whole chunks.
      popts.threads = chunk_count(h.original_length, h.chunk_size) <= 1 ? threads : 1;
      options.threads = threads;
      out = decompress_container(parsed, [&](const std::string& spec) { return make_predictor(spec, popts); }, options);
    }
  }
  return to_python(out);
}

}  // namespace

void register_coding(py::module_& m) {
  m.def("compress", &compress, py::arg("data"), py::arg("model"), py::arg("chunk_size"), py::arg("threads"));
  m.def("decompress", &decompress, py::arg("blob"), py::arg("model").none(true), py::arg("threads"),
        py::arg("model_dirs"), py::arg("file_dir"));
}

}  // namespace zgen::python
