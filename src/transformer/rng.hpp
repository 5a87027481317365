#pragma once
// The transformer's generator is zgen::SplitMix64 (src/common/rng.hpp); this header remains for
// the files that include it by this name.
#include "src/common/rng.hpp"
