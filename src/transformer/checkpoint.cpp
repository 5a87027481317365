#include "src/transformer/checkpoint.hpp"
#include "zgen/errors.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace zgen::transformer {

std::vector<safetensors::TensorRef> parameter_tensors(const Transformer<float>& model) {
  std::vector<safetensors::TensorRef> refs;
  const auto params = model.parameters();
  for (const auto& s : model.layout()) refs.push_back({s.name, s.shape, params.subspan(s.offset, s.size)});
  return refs;
}

void save_checkpoint(const std::string& path, const Transformer<float>& model,
                     const std::map<std::string, std::string>& info) {
  auto metadata = model.config().to_metadata();
  for (const auto& [k, v] : info) {
    if (k.rfind("zgen.", 0) == 0) throw std::logic_error("checkpoint info key may not start with zgen.: " + k);
    metadata[k] = v;
  }
  safetensors::save(path, parameter_tensors(model), metadata);
}

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s;
  for (const auto d : shape) {
    if (!s.empty()) s += ',';
    s += std::to_string(d);
  }
  return s;
}

}  // namespace

Checkpoint checkpoint_from(const safetensors::File& file, const std::string& what) {
  Checkpoint c;
  try {
    c.config = TransformerConfig::from_metadata(file.metadata);
  } catch (const UserError& e) {
    throw UserError(what + ": " + e.what());
  }
  c.metadata = file.metadata;
  // Every tensor is checked against the config's layout before the model is allocated: the
  // config alone may claim billions of parameters (64 layers of dim 4096: 51 GB), and a
  // 400-byte file made zgen try to allocate them (fuzz/corpus/safetensors/bad-found-*-51-gb).
  // Once every tensor matches, the allocation is the size of the file's data.
  const std::vector<ParameterSlot> layout = parameter_layout(c.config);
  for (const auto& s : layout) {
    const auto it = file.tensors.find(s.name);
    if (it == file.tensors.end()) throw UserError(what + ": tensor '" + s.name + "' is missing");
    if (it->second.shape != s.shape)
      throw UserError(what + ": tensor '" + s.name + "' has shape (" + shape_text(it->second.shape) +
                      "), the config needs (" + shape_text(s.shape) + ")");
  }
  if (file.tensors.size() != layout.size()) {
    for (const auto& [name, info] : file.tensors) {
      bool known = false;
      for (const auto& s : layout) known = known || s.name == name;
      if (!known) throw UserError(what + ": unexpected tensor '" + name + "' for this config");
    }
  }
  c.model = std::make_unique<Transformer<float>>(c.config);
  auto params = c.model->parameters();
  for (const auto& s : c.model->layout())
    std::memcpy(params.data() + s.offset, file.data.data() + file.tensors.at(s.name).begin, s.size * sizeof(float));
  for (float v : params)
    if (!std::isfinite(v)) throw UserError(what + ": a parameter is not finite (NaN or infinity)");
  return c;
}

Checkpoint load_checkpoint(const std::string& path) {
  return checkpoint_from(safetensors::load(path), "'" + path + "'");
}

}  // namespace zgen::transformer
