#pragma once
// Finding the model that a .zgen file names, also when its checkpoint has moved.
//
// A file names its model by SPEC and by a hash of its content (container version 2:
// model_identity_hash, which leaves a checkpoint's path out). The checkpoint paths in the SPEC
// (transformer:PATH, alone or as parts of mix:A+B) say where the model was when the file was
// made. For each such checkpoint the decoder tries, in this order:
//   1. --model SPEC (DecompressOptions::model_override), when given: the only candidate (the
//      whole SPEC replaces the stored one; the model must be the same);
//   2. the stored path as given (a relative path: from the current directory);
//   3. a relative stored path from the .zgen file's directory (DecompressOptions::file_dir);
//   4. the path's file name in each DecompressOptions::model_dirs entry, in order (the CLI
//      gives each --model-dir, then each ZGEN_MODEL_PATH entry);
// and takes the first candidate with which the whole model's hash matches the file's. A
// candidate that is missing, does not load or holds other content is skipped and its reason
// kept for the one-line error when nothing matches. A SPEC without a checkpoint (gzip:9,
// ppm:6) has one candidate: itself.
//
// Version-1 files stored model_parameters_hash, whose name includes each checkpoint's path
// as stored; the search hashes a found checkpoint under its stored path, so version-1 files
// are found by content the same way.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/coding/container.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"
#include "zgen/predictor.hpp"

namespace zgen {

struct FoundModel {
  std::string spec;                      // the SPEC loaded: the stored one with each checkpoint as found
  std::unique_ptr<Predictor> predictor;  // that model, its hash checked against the file's
};

// The model `header` names, searched as above with `make` (which loads one SPEC; mixes are
// assembled here from their parts). UserError, one line: the model cannot be loaded, is not
// the same (--model, or a SPEC without a checkpoint: "model mismatch"), or no candidate matches
// ("model … not found: tried …").
FoundModel find_model(const ContainerHeader& header, const DecompressOptions& options, const PredictorFactory& make);

// The entries of a colon-separated search path (ZGEN_MODEL_PATH), in order; empty entries are
// skipped.
std::vector<std::string> split_model_path(std::string_view colon_separated);

}  // namespace zgen
