// make_predictor: one SPEC names any model (see include/zgen/models.hpp).
#include <string>

#include "src/code_length_predictor.hpp"
#include "src/context_mixing.hpp"
#include "zgen/models.hpp"
#include "zgen/registry.hpp"

namespace zgen {

std::unique_ptr<Predictor> make_predictor(const std::string& spec, const PredictorOptions& options) {
  if (spec.rfind("ppm", 0) == 0 && (spec.size() == 3 || spec[3] == ':')) {
    int order = 6;
    if (spec.size() > 4) {
      const std::string digits = spec.substr(4);
      if (digits.empty() || digits.size() > 2 || digits.find_first_not_of("0123456789") != std::string::npos)
        throw UserError("ppm: order '" + digits + "' is not a whole number (try ppm:6)");
      order = std::stoi(digits);
    } else if (spec.size() == 4) {
      throw UserError("ppm: missing order after ':' (try ppm:6)");
    }
    return make_context_mixing(order);
  }
  return std::make_unique<CodeLengthPredictor>(make_compressor(spec, options.command_timeout), options);
}

}  // namespace zgen
