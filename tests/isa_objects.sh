#!/usr/bin/env bash
# The objects compiled for AVX2 or AVX-512 whatever the build's -march (src/transformer/kernels/
# *_avx2.cpp, *_avx512.cpp) must define no global symbol but their own: an inline function or
# template instantiated there (a standard-library one, say) could be the copy the linker keeps
# for code that runs on any CPU, and crash where the CPU lacks the instruction set
# (src/transformer/kernels/simd_table.hpp). Every global symbol they define must be in a
# namespace detail::avx2 or detail::avx512, or be exact.cpp's AVX2 or AVX-512 table.
#
#   tests/isa_objects.sh OBJECT...   (ctest passes zgen_objects' objects, as one ;-separated
#                                    list; objects of other names are skipped)
set -euo pipefail
objects=()
for arg in "$@"; do
  IFS=';' read -r -a parts <<< "$arg"
  objects+=("${parts[@]}")
done
checked=0 bad=0
for object in "${objects[@]}"; do
  case $object in
    *_avx2.cpp.o | *_avx512.cpp.o) ;;
    *) continue ;;
  esac
  checked=$((checked + 1))
  while IFS= read -r line; do
    symbol=${line#* * }  # "ADDRESS TYPE NAME"
    if [[ ! $symbol =~ ^zgen::transformer::(kernels|exact)::detail::(avx2::|avx512::|kAvx2$|kAvx512$) ]]; then
      echo "isa_objects.sh: $object defines $symbol" >&2
      bad=$((bad + 1))
    fi
  done < <(nm -C -g --defined-only "$object")
done
[[ $checked -gt 0 ]] || { echo "isa_objects.sh: no *_avx2 or *_avx512 object among the arguments" >&2; exit 1; }
[[ $bad -eq 0 ]] || exit 1
echo "isa_objects.sh: $checked objects define only their own symbols"
