#pragma once
// zgen.Model's native half (_zgen.Model): a SPEC, or a Python predictor, with the options that
// every predictor made from it gets. The Python class zgen.Model (python/zgen/__init__.py) adds
// the conveniences (str for bytes, the built-in corpus as the default context, a fresh seed).
#include <pybind11/pybind11.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "py_predictor.hpp"
#include "zgen/models.hpp"
#include "zgen/predictor.hpp"

namespace zgen::python {

class ModelHandle {
 public:
  // `model` is a SPEC (str) or an object with reset/observe/log_probs (then `name` names it).
  // A SPEC is checked here (ValueError for one that names nothing, FileNotFoundError for a
  // missing checkpoint): the model is made once with the alphabet "all".
  ModelHandle(const pybind11::object& model, const std::string& name, int threads, long long max_context,
              double command_timeout, bool snapshot);

  bool is_python() const { return python_ != nullptr; }
  // The SPEC stored in .zgen files: as given, or "python:NAME".
  const std::string& spec() const { return spec_; }
  // The options a predictor of this model gets (alphabet "all").
  const PredictorOptions& options() const { return options_; }

  // One call at a time per model: predictors are stateful. Lock this (without the GIL) around
  // every use of predictor() or of the Python predictor.
  std::mutex& mutex() { return mutex_; }
  // This model's predictor for `alphabet`, made on first use and kept (the Python predictor
  // whatever the alphabet). Call with mutex() held.
  Predictor& predictor(const std::string& alphabet);
  // A fresh predictor with these options (SPEC models only; for threads that code chunks).
  std::unique_ptr<Predictor> make(const PredictorOptions& options) const;
  PythonPredictor& python() { return *python_; }

 private:
  std::string spec_;
  PredictorOptions options_;
  std::shared_ptr<PythonPredictor> python_;
  std::map<std::string, std::unique_ptr<Predictor>> by_alphabet_;
  std::mutex mutex_;
};

void register_model(pybind11::module_& module);

}  // namespace zgen::python
