#!/usr/bin/env bash
# Builds the libFuzzer harness for the .zgen container and decoder with clang
# (-fsanitize=fuzzer,address,undefined) and runs it for a bounded time on a copy of the saved
# corpus, so the saved corpus only changes when you choose to.
#
#   scripts/fuzz.sh [SECONDS]      fuzz for SECONDS (default 60); new crashes land in build-fuzz/
#   scripts/fuzz.sh --make-corpus  regenerate fuzz/corpus/ (seed files written by fuzz/make_corpus.cpp)
#
# Needs clang and libclang-rt-dev (Debian: clang-14, libclang-rt-14-dev) and zlib1g-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

out=build-fuzz
mkdir -p "$out"
cxx="${CXX_FUZZ:-clang++}"
sources=(src/coding/arithmetic_coder.cpp src/coding/quantize.cpp src/coding/arithmetic_compressor.cpp src/coding/container.cpp
         compressors/recompressing_state.cpp)  # Compressor::begin, for ArithmeticCompressor's vtable
flags=(-std=c++20 -O1 -g -I. -Iinclude)

if [[ "${1:-}" == "--make-corpus" ]]; then
  "$cxx" "${flags[@]}" fuzz/make_corpus.cpp "${sources[@]}" -lz -o "$out/make_corpus"
  rm -f fuzz/corpus/seed-*
  mkdir -p fuzz/corpus
  "$out/make_corpus" fuzz/corpus
  echo "fuzz: wrote $(ls fuzz/corpus | wc -l) seed files to fuzz/corpus/" >&2
  exit 0
fi

seconds="${1:-60}"
"$cxx" "${flags[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  fuzz/fuzz_container.cpp "${sources[@]}" -lz -o "$out/fuzz_container"
rm -rf "$out/corpus" && cp -r fuzz/corpus "$out/corpus"
# -timeout: one input may not take more than 10 s; -rss_limit_mb caps memory; a crash, leak,
# sanitizer report or timeout fails the script with the reproducer saved in $out/.
"$out/fuzz_container" "$out/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=8192 -artifact_prefix="$out/" -print_final_stats=1
