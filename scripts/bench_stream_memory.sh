#!/usr/bin/env bash
# Peak resident memory and time of `zgen compress` and `zgen decompress` on generated inputs of
# growing size (issue 25): a model, a chunk size and a thread count, each size run with every
# binary given, one after the other in the same run. The input is the built-in corpus
# (data/default-corpus.txt) repeated to the size, piped into compress (stdin of unknown length);
# the .zgen file is kept on disk for decompress, whose output is piped to cksum and compared with
# the input's.
# Never part of the test suite (the inputs are large).
#
#   scripts/bench_stream_memory.sh [-m SPEC] [-c CHUNK] [-j THREADS] [-s "SIZES_MB"] ZGEN [ZGEN...]
#   e.g. scripts/bench_stream_memory.sh -s "20 200 2000" build/zgen build-baseline/zgen
#
# Prints one row per binary, size and direction: MB in, seconds, peak RSS in MB (GNU time's
# maximum resident set size), output MB.
set -euo pipefail
cd "$(dirname "$0")/.."
spec=ppm:6 chunk=2048 threads=2 sizes="20 200 2000"
while getopts "m:c:j:s:" o; do
  case $o in
    m) spec=$OPTARG ;; c) chunk=$OPTARG ;; j) threads=$OPTARG ;; s) sizes=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
(($#)) || { echo "usage: $0 [-m SPEC] [-c CHUNK] [-j THREADS] [-s \"SIZES_MB\"] ZGEN [ZGEN...]" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zgen-stream-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
corpus=data/default-corpus.txt

generate() {  # N bytes of the corpus, repeated
  local n=$1
  # (cat fails once head has what it needs and closes the pipe: that ends the loop.)
  while cat "$corpus"; do :; done 2>/dev/null | head -c "$n"
}

printf "%-28s %8s %-10s %9s %12s %10s\n" binary "MB in" direction seconds "peak RSS MB" "MB out"
for mb in $sizes; do
  n=$((mb * 1000 * 1000))
  want=$(generate "$n" | cksum)
  for zgen in "$@"; do
    generate "$n" | /usr/bin/time -f "%e %M" -o "$tmp/time" \
      "$zgen" compress -q -m "$spec" --chunk-size "$chunk" -j "$threads" -o "$tmp/file.zgen" -
    read -r secs kb <"$tmp/time"
    printf "%-28s %8s %-10s %9s %12.0f %10.1f\n" "$zgen" "$mb" compress "$secs" "$(echo "$kb / 1024" | bc -l)" \
      "$(echo "$(stat -c %s "$tmp/file.zgen") / 1000000" | bc -l)"
    got=$(/usr/bin/time -f "%e %M" -o "$tmp/time" "$zgen" decompress -q -j "$threads" "$tmp/file.zgen" | cksum)
    read -r secs kb <"$tmp/time"
    [ "$got" = "$want" ] || { echo "$zgen: decompressed output differs from the input" >&2; exit 1; }
    printf "%-28s %8s %-10s %9s %12.0f %10.1f\n" "$zgen" "$mb" decompress "$secs" "$(echo "$kb / 1024" | bc -l)" \
      "$(echo "${got#* }" | awk '{print $1 / 1000000}')"
    rm -f "$tmp/file.zgen"
  done
done
