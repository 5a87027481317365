#pragma once
// Transformer checkpoints as safetensors files: one F32 tensor per named parameter (nanoGPT's
// state-dict names and nn.Linear shapes, see parameter_layout), and __metadata__ holding the
// config ("zgen.layers", ...) and how the model was trained (free-form "train.*" strings).
#include <map>
#include <memory>
#include <string>

#include "src/transformer/safetensors.hpp"
#include "src/transformer/model.hpp"
#include "zgen/errors.hpp"

namespace zgen::transformer {

struct Checkpoint {
  TransformerConfig config;
  std::map<std::string, std::string> metadata;  // everything in __metadata__, config included
  std::unique_ptr<Transformer<float>> model;
};

// `info` is added to the metadata beside the config; keys must not start with "zgen.".
std::vector<safetensors::TensorRef> parameter_tensors(const Transformer<float>& model);
void save_checkpoint(const std::string& path, const Transformer<float>& model,
                     const std::map<std::string, std::string>& info);
// Strict: the config must be valid, and the tensors exactly the layout's names with its shapes
// (a missing, extra or mis-shaped tensor is a UserError naming it).
Checkpoint load_checkpoint(const std::string& path);
Checkpoint checkpoint_from(const safetensors::File& file, const std::string& what);

}  // namespace zgen::transformer
