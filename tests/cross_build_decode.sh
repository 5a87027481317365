#!/usr/bin/env bash
# Files cross builds (issue 24): each of two zgen binaries, typically the native build and a
# -DZGEN_NATIVE=OFF one, decodes what the other compressed with the shipped transformer (alone
# and in a mix) and with ppm2:6 and ppm3:6 (whose mixers the compiler vectorises differently per ISA), both write the same bytes, and the second decodes with its plain C++ kernels
# forced (ZGEN_EXACT_ISA=portable: what a CPU without AVX2 runs). ctest's cross_build_decode
# runs it when the build was configured with -DZGEN_CROSS_CHECK_ZGEN=OTHER_ZGEN (.ci/run does).
#
#   tests/cross_build_decode.sh ZGEN_A ZGEN_B
set -euo pipefail
a=$(realpath "$1")
b=$(realpath "$2")
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 1,100 bytes in chunks of 600: two chunks, the first one sliding its 512-byte window once.
head -c 1100 tests/data/sotu-valid-30k.txt >"$work/in.txt"
for spec in transformer:models/sotu-800k.safetensors mix:transformer:models/sotu-800k.safetensors+ppm:2 ppm2:6 ppm3:6; do
  "$a" compress -q -j 2 --chunk-size 600 --model "$spec" -o "$work/a.zgen" "$work/in.txt"
  "$b" compress -q -j 2 --chunk-size 600 --model "$spec" -o "$work/b.zgen" "$work/in.txt"
  cmp "$work/a.zgen" "$work/b.zgen" || { echo "cross_build_decode: $spec: the two builds wrote different files" >&2; exit 1; }
  "$b" decompress -q -o "$work/ab.txt" "$work/a.zgen"
  "$a" decompress -q -o "$work/ba.txt" "$work/b.zgen"
  cmp "$work/in.txt" "$work/ab.txt"
  cmp "$work/in.txt" "$work/ba.txt"
  echo "cross_build_decode: $spec: same file from both builds ($(stat -c %s "$work/a.zgen") bytes), each decodes the other's"
done
ZGEN_EXACT_ISA=portable "$b" decompress -q -o "$work/portable.txt" "$work/a.zgen"
cmp "$work/in.txt" "$work/portable.txt"
echo "cross_build_decode: the second build's plain C++ kernels decode it too"
