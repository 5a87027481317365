#pragma once
// The measurements behind `zgen bench` (the paper's Table 1): BenchModel, SizeCell,
// measure_chunked, measure_unchunked and select_evenly are public (include/zgen/evaluation.hpp,
// where they are declared and described) so that bindings report them too.
#include "zgen/evaluation.hpp"
