#pragma once
// ppm:N — the adaptive context-mixing byte model (being written; see issue 3).
#include <memory>

#include "zgen/predictor.hpp"

namespace zgen {
std::unique_ptr<Predictor> make_context_mixing(int order);
}  // namespace zgen
