#pragma once
// Sorting for the Burrows–Wheeler transform: prefix doubling with counting sorts, O(n log n).
//
// bzip2 sorts the cyclic rotations of a block. Which of two equal rotations comes first (only in
// a periodic block) does not change the last column, and the origin pointer costs 24 bits
// whatever its value, so any correct sort gives libbz2's code length.
#include <cstdint>
#include <vector>

#include "zgen/bytes.hpp"

namespace zgen::bzip2 {

// Start positions of the cyclic rotations of `s`, in ascending order of the rotations.
std::vector<std::int32_t> sort_rotations(ByteView s);

// Start positions of the suffixes of `s` in ascending order (a suffix precedes those it is a
// proper prefix of), and rank[i] = the position of suffix i in that order.
void sort_suffixes(ByteView s, std::vector<std::int32_t>& order, std::vector<std::int32_t>& rank);

}  // namespace zgen::bzip2
