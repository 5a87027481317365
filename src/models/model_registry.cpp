// make_predictor: one SPEC names any model (see include/zgen/models.hpp).
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/models/code_length_predictor.hpp"
#include "src/models/ppm/ppm.hpp"
#include "src/models/mixed_predictor.hpp"
#include "src/transformer/predictor.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"
#include "zgen/compressor.hpp"

namespace zgen {
namespace {

// "ppm", "ppm:N" or "ppm:N:unprimed" (the context-mixing model without its built-in primer);
// "ppm2…" and "ppm3…" the same for versions 2 and 3 of the model (ppm.hpp). The family is
// the SPEC's name up to the first ':' ("ppm", "ppm2" or "ppm3").
std::unique_ptr<Predictor> make_ppm(const std::string& spec) {
  const std::size_t name_end = std::min(spec.find(':'), spec.size());
  const std::string family = spec.substr(0, name_end);
  std::string rest = spec.size() > name_end ? spec.substr(name_end + 1) : "";
  bool primed = true;
  const std::string suffix = ":unprimed";
  if (rest.size() > suffix.size() && rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0) {
    primed = false;
    rest.resize(rest.size() - suffix.size());
  }
  int order = kContextMixingDefaultOrder;
  const std::string example = family + ":6";
  if (spec.size() > name_end) {
    if (rest.empty()) throw SpecError(family + ": missing order after ':' in '" + spec + "' (try " + example + ")");
    if (rest.size() > 2 || rest.find_first_not_of("0123456789") != std::string::npos)
      throw SpecError(family + ": order '" + rest + "' in '" + spec + "' is not a whole number (try " + example + ")");
    order = std::stoi(rest);
  }
  if (family == "ppm3") return primed ? make_fast_context_mixing(order) : make_fast_context_mixing(order, {});
  if (family == "ppm2") return primed ? make_lean_context_mixing(order) : make_lean_context_mixing(order, {});
  return primed ? make_context_mixing(order) : make_context_mixing(order, {});
}

// "ppm", "ppm2" or "ppm3", alone or followed by ':' (make_ppm reads the rest).
bool is_ppm_spec(const std::string& spec) {
  for (const std::string_view family : {"ppm", "ppm2", "ppm3"})
    if (spec.starts_with(family) && (spec.size() == family.size() || spec[family.size()] == ':')) return true;
  return false;
}

bool is_transformer_spec(const std::string& spec) {
  return std::any_of(kTransformerSpecPrefixes.begin(), kTransformerSpecPrefixes.end(),
                     [&](const TransformerSpecPrefix& p) { return spec.starts_with(p.prefix); });
}

}  // namespace

bool is_predictor_spec(const std::string& spec) {
  return is_ppm_spec(spec) || spec.starts_with("mix:") || is_transformer_spec(spec);
}

std::unique_ptr<Predictor> make_predictor(const std::string& spec, const PredictorOptions& options) {
  if (is_ppm_spec(spec)) return make_ppm(spec);
  if (spec.rfind("mix:", 0) == 0) {
    std::vector<std::unique_ptr<Predictor>> parts;
    for (const std::string& part : mix_part_specs(spec)) parts.push_back(make_predictor(part, options));
    return std::make_unique<MixedPredictor>(std::move(parts));
  }
  // transformer:PATH in the newest transformer coding, transformer-v2:PATH and
  // transformer-fp32:PATH in the earlier ones (what older files were coded in: the decoder reads
  // their transformer:PATH so, src/transformer/coding_version.hpp).
  for (const auto& [prefix, coding] : kTransformerSpecPrefixes)
    if (spec.starts_with(prefix)) {
      const std::string path = spec.substr(prefix.size()), name(prefix);
      if (path.empty()) throw SpecError(name + " missing checkpoint path (" + name + "PATH)");
      return make_transformer_predictor(path, coding);
    }
  return std::make_unique<CodeLengthPredictor>(make_compressor(spec, options.command_timeout), options);
}

}  // namespace zgen
