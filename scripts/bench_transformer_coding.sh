#!/usr/bin/env bash
# Transformer coding rates (issue 24): `zgen compress` and `zgen decompress` of FILE with a
# checkpoint in the newest transformer coding (transformer:PATH) and, as the baseline in the same
# run, the previous one (transformer-v2:PATH), alternating, ROUNDS times; every output compared
# with the input. Prints each run's wall and CPU seconds (user + sys) and KB/s (1 KB = 1,000
# bytes) by wall clock, then the medians and their ratio.
#
#   scripts/bench_transformer_coding.sh [ZGEN] [FILE] [MODEL] [ROUNDS] [THREADS]
#   defaults (from the repository): build/zgen, ../shared/data/text/sotu-valid.txt,
#   models/sotu-800k.safetensors, 3 rounds, 2 threads
set -euo pipefail
root=$(realpath "$(dirname "$0")/..")
zgen=$(realpath "${1:-$root/build/zgen}")  # arguments: from the current directory
file=$(realpath "${2:-$root/../shared/data/text/sotu-valid.txt}")
model=$(realpath "${3:-$root/models/sotu-800k.safetensors}")
rounds=${4:-3}
threads=${5:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bytes=$(stat -c %s "$file")
codings=(transformer-v2 transformer)

# run NAME CMD...: appends "NAME wall cpu" to $work/times.
run() {
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$work/t" "$@"
  read -r wall user sys <"$work/t"
  echo "$name $wall $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')" >>"$work/times"
}

echo "$(basename "$file"), $bytes bytes, $(basename "$model"), --threads $threads, $rounds rounds (load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-8s %-16s %-10s %8s %8s %10s %10s\n' round coding step wall_s cpu_s KB/s file_B
for r in $(seq "$rounds"); do
  for c in "${codings[@]}"; do
    run "$c.compress" "$zgen" compress -q --threads "$threads" --model "$c:$model" -o "$work/$c.zgen" "$file"
    run "$c.decompress" "$zgen" decompress -q --threads "$threads" -o "$work/$c.out" "$work/$c.zgen"
    cmp "$file" "$work/$c.out" || { echo "bench_transformer_coding: $c did not decode exactly" >&2; exit 1; }
    size=$(stat -c %s "$work/$c.zgen")
    for step in compress decompress; do
      read -r _ wall cpu < <(grep "^$c.$step " "$work/times" | tail -1)
      printf '%-8s %-16s %-10s %8.2f %8.2f %10.1f %10s\n' "$r" "$c" "$step" "$wall" "$cpu" \
        "$(awk -v b="$bytes" -v w="$wall" 'BEGIN {print b / w / 1000}')" "$size"
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for step in compress decompress; do
  old=$(grep "^${codings[0]}.$step " "$work/times" | cut -d' ' -f2 | median)
  new=$(grep "^${codings[1]}.$step " "$work/times" | cut -d' ' -f2 | median)
  old_cpu=$(grep "^${codings[0]}.$step " "$work/times" | cut -d' ' -f3 | median)
  new_cpu=$(grep "^${codings[1]}.$step " "$work/times" | cut -d' ' -f3 | median)
  awk -v step="$step" -v a="${codings[0]}" -v b="${codings[1]}" -v n="$bytes" -v o="$old" -v w="$new" \
    -v oc="$old_cpu" -v nc="$new_cpu" 'BEGIN {
      printf "%-10s median KB/s: %s %.1f, %s %.1f (%.2fx by wall, %.2fx by CPU s)\n", step, a, n / o / 1000, b,
        n / w / 1000, o / w, oc / nc }'
done
