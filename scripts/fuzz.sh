#!/usr/bin/env bash
# Runs zgen's libFuzzer targets (fuzz/fuzz_<target>.cpp, CMake targets built with clang in
# build-fuzz/ with -DZGEN_BUILD_FUZZ=ON, the whole library instrumented).
#
#   scripts/fuzz.sh TARGET [SECONDS]   fuzz one target: audio, container, image, safetensors, spec
#   scripts/fuzz.sh all [SECONDS]      every target in turn, SECONDS each (default 60)
#   scripts/fuzz.sh --make-corpus      rewrite the generated seeds in fuzz/corpus/ (fuzz_make_corpus)
#
# A target starts from a copy of its saved corpus (build-fuzz/corpus/TARGET), so fuzz/corpus/
# changes only when you choose to. A crash, sanitizer report, leak, timeout (one input > 10 s) or
# out-of-memory (> 2 GB) stops the run with the input saved in build-fuzz/artifacts/ and makes
# this script fail. After fixing one, save the input as fuzz/corpus/TARGET/bad-found-<what>
# (or ok-found-<what>: the name says how tests/test_fuzz_corpus.cpp expects it to end).
# Needs clang, libclang-rt-14-dev and libomp-14-dev (scripts/setup.sh installs them).
#   ZGEN_CMAKE_ARGS  extra arguments for build-fuzz's configure step
set -euo pipefail
cd "$(dirname "$0")/.."

targets=()  # every fuzz/fuzz_<target>.cpp
for f in fuzz/fuzz_*.cpp; do t="${f#fuzz/fuzz_}"; targets+=("${t%.cpp}"); done
out=build-fuzz

if [[ "${1:-}" == "--make-corpus" ]]; then
  cmake --build "${ZGEN_BUILD_DIR:-build}" --target fuzz_make_corpus -j"$(nproc)" >&2
  "${ZGEN_BUILD_DIR:-build}/fuzz/fuzz_make_corpus" fuzz/corpus
  exit 0
fi
if [[ $# -lt 1 || $# -gt 2 ]]; then
  sed -n '5,7p' "$0" | sed 's/^# */usage: /' >&2
  exit 2
fi
which="$1"
seconds="${2:-60}"
if [[ "$which" == all ]]; then
  run=("${targets[@]}")
elif [[ " ${targets[*]} " == *" $which "* ]]; then
  run=("$which")
else
  echo "fuzz: unknown target '$which' (targets: ${targets[*]}, or all)" >&2
  exit 2
fi

# shellcheck disable=SC2086
CC=clang CXX=clang++ cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release -DZGEN_BUILD_FUZZ=ON ${ZGEN_CMAKE_ARGS:-} >&2
cmake --build "$out" --target fuzz_targets -j"$(nproc)" >&2

mkdir -p "$out/artifacts"
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
for target in "${run[@]}"; do
  rm -rf "$out/corpus/$target" && mkdir -p "$out/corpus" && cp -r "fuzz/corpus/$target" "$out/corpus/$target"
  log="$out/fuzz-$target.log"
  status=0
  "$out/fuzz/fuzz_$target" "$out/corpus/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/artifacts/$target-" -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  if ((status != 0)); then
    grep -E 'ERROR|SUMMARY|what\(\)|Test unit written' "$log" >&2 || tail -n 20 "$log" >&2
    echo "fuzz: $target FAILED after ${runs:-?} inputs (exit $status); log: $log" >&2
    exit 1
  fi
  echo "fuzz: $target: ${runs} inputs in ${seconds} s (${rate}/s), no crash; log: $log" >&2
done
