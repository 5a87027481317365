#include "model.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <thread>

#include "convert.hpp"
#include "errors.hpp"
#include "threads.hpp"
#include "zgen/errors.hpp"
#include "zgen/evaluation.hpp"
#include "zgen/sampling.hpp"

namespace py = pybind11;

namespace zgen::python {

namespace {

void require_at_least(const char* parameter, long long value, long long lo) {
  if (value < lo)
    throw InvalidParameter(parameter, "{} must be >= " + std::to_string(lo) + " (got " + std::to_string(value) + ")");
}

// A Ctrl-C check at most every 50 ms: taking the GIL for it costs little, but a thread that
// asks for the GIL while another runs Python may wait a switch interval (5 ms) for it.
class SignalCheck {
 public:
  void operator()() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(50)) return;
    last_ = now;
    check_signals();
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Everything one sampling call needs, checked while the GIL is still held; the same
// construction as `zgen sample` (src/cli/sample.cpp), so that the same options and seed give
// the same bytes.
struct SampleRequest {
  Bytes context;  // the context and the prompt, one after the other
  SamplerParams params;
  GenerationOptions generation;
  std::string alphabet;
};

SampleRequest make_request(const py::bytes& context, long long length, double temperature, long long top_k,
                           double top_p, double min_p, double repeat_penalty, long long repeat_last_n,
                           const std::string& order, std::uint64_t seed, long long horizon, long long beam,
                           const std::string& method, const std::string& alphabet, long long copy_window) {
  SampleRequest r;
  r.context = bytes_of(context);
  require_at_least("length", length, 0);
  if (top_k != 0) require_at_least("top_k", top_k, 1);  // 0: not given (None)
  require_at_least("repeat_last_n", repeat_last_n, 0);
  require_at_least("horizon", horizon, 1);
  require_at_least("beam", beam, 1);
  require_at_least("copy_window", copy_window, 0);
  if (horizon > 1000000) throw InvalidParameter("horizon", "{} must be <= 1000000");
  if (beam > 1000000) throw InvalidParameter("beam", "{} must be <= 1000000");
  if (top_k > 1000000) throw InvalidParameter("top_k", "{} must be <= 1000000");
  r.params.temperature = temperature;
  r.params.top_k = static_cast<int>(top_k);
  r.params.top_p = top_p;
  r.params.min_p = min_p;
  r.params.repeat_penalty = repeat_penalty;
  r.params.repeat_last_n = static_cast<int>(std::min<long long>(repeat_last_n, 1 << 30));
  r.params.seed = seed;
  r.params.order = order;
  validate(r.params);
  r.generation.length = static_cast<std::size_t>(length);
  r.generation.horizon = static_cast<int>(horizon);
  r.generation.beam = static_cast<int>(beam);
  r.generation.method = resolve_method(method.empty() ? std::nullopt : std::optional(parse_method(method)),
                                       r.generation.horizon);
  r.generation.span.copy_window = static_cast<std::size_t>(copy_window);
  if (alphabet != "all" && alphabet != "printable" && alphabet != "context")
    throw InvalidParameter("alphabet", "{} must be all, printable or context (got '" + literal(alphabet) + "')");
  r.alphabet = alphabet;
  return r;
}

// Samples on the calling thread, which does not hold the GIL; `emit` gets each piece.
Bytes run_sample(ModelHandle& model, const SampleRequest& r, const std::function<void(ByteView)>& emit) {
  std::lock_guard lock(model.mutex());
  ThreadScope threads(model.options().threads);
  Predictor& predictor = model.predictor(r.alphabet);
  SamplerChain chain = make_generation_chain(r.params, r.generation);
  return generate_after(predictor, chain, r.context, r.generation, emit);
}

// Model.stream(): a worker thread samples and queues each piece; __next__ waits for the next
// one without the GIL. Closing (or dropping) the stream stops the worker at its next piece.
class SampleStream {
 public:
  SampleStream(py::object owner, ModelHandle& model, SampleRequest request)
      : owner_(std::move(owner)), model_(model), request_(std::move(request)) {
    worker_ = std::thread([this] { work(); });
  }
  ~SampleStream() { close(); }

  py::bytes next() {
    std::optional<Bytes> piece;
    for (;;) {
      {
        py::gil_scoped_release nogil;
        std::unique_lock lock(mutex_);
        ready_.wait_for(lock, std::chrono::milliseconds(100), [&] { return !queue_.empty() || done_; });
        if (!queue_.empty()) {
          piece = std::move(queue_.front());
          queue_.pop_front();
        } else if (done_ && failure_) {
          std::exception_ptr failure = std::exchange(failure_, nullptr);
          lock.unlock();
          std::rethrow_exception(failure);
        }
      }
      if (piece) return py::bytes(reinterpret_cast<const char*>(piece->data()), piece->size());
      {
        std::lock_guard lock(mutex_);
        if (done_) throw py::stop_iteration();
      }
      check_signals();  // Ctrl-C while waiting: KeyboardInterrupt here, the worker stopped by close()
    }
  }

  void close() {
    cancel_ = true;
    if (!worker_.joinable()) return;
    if (PyGILState_Check()) {
      py::gil_scoped_release nogil;  // the worker may need the GIL (a Python predictor) to finish
      worker_.join();
    } else {
      worker_.join();
    }
  }

 private:
  struct Cancelled {};

  void work() {
    std::exception_ptr failure;
    try {
      run_sample(model_, request_, [this](ByteView piece) {
        if (cancel_) throw Cancelled{};
        std::lock_guard lock(mutex_);
        queue_.emplace_back(piece.begin(), piece.end());
        ready_.notify_one();
      });
    } catch (const Cancelled&) {
    } catch (...) {
      failure = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    failure_ = failure;
    done_ = true;
    ready_.notify_one();
  }

  py::object owner_;  // keeps the model alive while the worker runs
  ModelHandle& model_;
  SampleRequest request_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Bytes> queue_;
  bool done_ = false;
  std::exception_ptr failure_;
  std::atomic<bool> cancel_ = false;
  std::thread worker_;
};

py::object optional_number(const std::optional<double>& v) { return v ? py::object(py::float_(*v)) : py::none(); }

// The same fields as `zgen score --json` (to_json in src/eval/evaluation.cpp).
py::dict score_dict(const ScoreResult& r) {
  const double n = static_cast<double>(r.bytes ? r.bytes : 1);
  py::dict d;
  d["model"] = r.model;
  d["bytes"] = r.bytes;
  d["bits_per_byte"] = r.bits_per_byte();
  d["model_bits"] = r.model_bits;
  d["seconds"] = r.seconds;
  d["context_seconds"] = r.context_seconds;
  d["bytes_per_second"] = r.bytes_per_second();
  d["own_bits_per_byte_given_context"] =
      r.own_bits_given_context ? py::object(py::float_(*r.own_bits_given_context / n)) : py::none();
  d["own_rate_alone_percent"] = r.own_bits_alone ? py::object(py::float_(100.0 * *r.own_bits_alone / (8.0 * n))) : py::none();
  d["own_bit_exact"] = r.own_bit_exact;
  d["coded_bits"] = optional_number(r.coded_bits);
  d["coded_ideal_bits"] = optional_number(r.coded_ideal_bits);
  return d;
}

// A Python predictor's log-loss on `data` after `context` (score_model builds its model from a
// SPEC, which a Python object has not): the same sum, Σ −log2 p(byte).
ScoreResult score_python(ModelHandle& model, ByteView context, ByteView data) {
  ScoreResult r;
  r.model = model.spec();
  r.bytes = data.size();
  std::lock_guard lock(model.mutex());
  Predictor& p = model.python();
  const auto t0 = std::chrono::steady_clock::now();
  p.reset(context);
  const auto t1 = std::chrono::steady_clock::now();
  double lp[256];
  for (std::uint8_t b : data) {
    p.log_probs(std::span<double, 256>(lp));
    r.model_bits -= lp[b] / std::log(2.0);
    p.observe(b);
  }
  const auto t2 = std::chrono::steady_clock::now();
  r.context_seconds = std::chrono::duration<double>(t1 - t0).count();
  r.seconds = std::chrono::duration<double>(t2 - t1).count();
  return r;
}

}  // namespace

ModelHandle::ModelHandle(const py::object& model, const std::string& name, int threads, long long max_context,
                         double command_timeout, bool snapshot) {
  require_at_least("threads", threads, 1);
  require_at_least("max_context", max_context, 0);
  if (!std::isfinite(command_timeout) || command_timeout <= 0)
    throw InvalidParameter("cmd_timeout", "{} must be a number of seconds > 0");
  options_.threads = threads;
  options_.max_context = static_cast<std::size_t>(max_context);
  options_.command_timeout = command_timeout;
  options_.snapshot = snapshot;
  if (py::isinstance<py::str>(model)) {
    spec_ = model.cast<std::string>();
    if (spec_.rfind(kPythonSpecPrefix, 0) == 0)
      throw SpecError("'" + spec_ + "' names a Python predictor: pass the predictor object itself");
    py::gil_scoped_release nogil;  // a checkpoint loads without the GIL
    by_alphabet_["all"] = make(options_);
    return;
  }
  for (const char* method : {"reset", "observe", "log_probs"})
    if (!py::hasattr(model, method))
      throw py::type_error("zgen.Model takes a SPEC (str) or a predictor with reset, observe and log_probs; " +
                           std::string(py::str(py::type::of(model).attr("__name__"))) + " has no " + method);
  python_ = std::make_shared<PythonPredictor>(model, name);
  spec_ = python_->name();
}

Predictor& ModelHandle::predictor(const std::string& alphabet) {
  if (python_) return *python_;
  auto& slot = by_alphabet_[alphabet];
  if (!slot) {
    PredictorOptions o = options_;
    o.alphabet = alphabet;
    slot = make(o);
  }
  return *slot;
}

std::unique_ptr<Predictor> ModelHandle::make(const PredictorOptions& options) const {
  auto p = make_predictor(spec_, options);
  if (!p) throw SpecError("'" + spec_ + "' names no model");
  return p;
}

void register_model(py::module_& m) {
  py::class_<SampleStream>(m, "SampleStream", "Bytes as they are sampled (Model.stream).")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &SampleStream::next)
      .def("close", &SampleStream::close, "Stops the sampling (at its next piece) and waits for it.");

  py::class_<ModelHandle, std::shared_ptr<ModelHandle>>(m, "Model", "The native half of zgen.Model.")
      .def(py::init<const py::object&, const std::string&, int, long long, double, bool>(), py::arg("model"),
           py::arg("name"), py::arg("threads"), py::arg("max_context"), py::arg("cmd_timeout"), py::arg("snapshot"))
      .def_property_readonly("spec", &ModelHandle::spec)
      .def_property_readonly("is_python", &ModelHandle::is_python)
      .def_property_readonly("name", [](ModelHandle& h) {
        py::gil_scoped_release nogil;
        std::lock_guard lock(h.mutex());
        return h.predictor("all").name();
      })
      .def("log_probs",
           [](ModelHandle& h, const py::bytes& context) {
             const Bytes c = bytes_of(context);
             py::array_t<double> out(256);
             double* o = out.mutable_data();
             {
               py::gil_scoped_release nogil;
               std::lock_guard lock(h.mutex());
               ThreadScope threads(h.options().threads);
               Predictor& p = h.predictor("all");
               p.reset(c);
               p.log_probs(std::span<double, 256>(o, 256));
             }
             return out;
           },
           py::arg("context"))
      .def("score",
           [](ModelHandle& h, const py::bytes& data, const py::bytes& context, bool coder) {
             const Bytes d = bytes_of(data), c = bytes_of(context);
             if (d.empty()) throw InvalidParameter("data", "{} to score is empty");
             ScoreResult r;
             {
               py::gil_scoped_release nogil;
               ThreadScope threads(h.options().threads);
               if (h.is_python()) {
                 r = score_python(h, c, d);
               } else {
                 SignalCheck check;
                 r = score_model(h.spec(), c, d, h.options(), [&] { check(); }, coder);
               }
             }
             return score_dict(r);
           },
           py::arg("data"), py::arg("context"), py::arg("coder"))
      .def("sample",
           [](ModelHandle& h, const py::bytes& context, long long length, double temperature, long long top_k,
              double top_p, double min_p, double repeat_penalty, long long repeat_last_n, const std::string& order,
              std::uint64_t seed, long long horizon, long long beam, const std::string& method,
              const std::string& alphabet, long long copy_window) {
             const SampleRequest r = make_request(context, length, temperature, top_k, top_p, min_p, repeat_penalty,
                                                  repeat_last_n, order, seed, horizon, beam, method, alphabet, copy_window);
             Bytes out;
             {
               py::gil_scoped_release nogil;
               SignalCheck check;
               out = run_sample(h, r, [&](ByteView) { check(); });
             }
             return py::bytes(reinterpret_cast<const char*>(out.data()), out.size());
           },
           py::arg("context"), py::arg("length"), py::arg("temperature"), py::arg("top_k"), py::arg("top_p"),
           py::arg("min_p"), py::arg("repeat_penalty"), py::arg("repeat_last_n"), py::arg("order"), py::arg("seed"),
           py::arg("horizon"), py::arg("beam"), py::arg("method"), py::arg("alphabet"), py::arg("copy_window"))
      .def("stream",
           [](py::object self, const py::bytes& context, long long length, double temperature, long long top_k,
              double top_p, double min_p, double repeat_penalty, long long repeat_last_n, const std::string& order,
              std::uint64_t seed, long long horizon, long long beam, const std::string& method,
              const std::string& alphabet, long long copy_window) {
             ModelHandle& h = self.cast<ModelHandle&>();
             SampleRequest r = make_request(context, length, temperature, top_k, top_p, min_p, repeat_penalty,
                                            repeat_last_n, order, seed, horizon, beam, method, alphabet, copy_window);
             return std::make_unique<SampleStream>(self, h, std::move(r));
           },
           py::arg("context"), py::arg("length"), py::arg("temperature"), py::arg("top_k"), py::arg("top_p"),
           py::arg("min_p"), py::arg("repeat_penalty"), py::arg("repeat_last_n"), py::arg("order"), py::arg("seed"),
           py::arg("horizon"), py::arg("beam"), py::arg("method"), py::arg("alphabet"), py::arg("copy_window"))
      .def("fingerprint", [](ModelHandle& h) -> py::object {
        if (!h.is_python()) return py::none();
        std::uint64_t f = 0;
        {
          py::gil_scoped_release nogil;
          std::lock_guard lock(h.mutex());
          f = h.python().fingerprint();
        }
        return py::int_(f);
      });
}

}  // namespace zgen::python
