#!/usr/bin/env bash
# Compressing on several processes against threads on one machine: `zgen compress` as 1 process
# × P threads and as `mpirun -np P` processes × 1 thread, the same model, chunks and input, in
# turn for --rounds rounds (a shared machine's speed drifts between minutes; a round's two runs
# are close in time). Each run is timed whole (wall clock, and the CPU seconds of zgen and
# mpirun's processes: user + sys); the two .zgen files are checked to be the same bytes. The
# ratio of each round is the throughput of the processes over that of the threads, and the
# median of the rounds' ratios is printed last, beside the load average before and after.
#
#   scripts/bench_mpi_code.sh [BUILD_DIR] [--model SPEC] [--bytes N] [--procs 2] [--rounds 3]
#                             [--chunk-size 2048] [--data FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
if [[ $# -gt 0 && $1 != --* ]]; then
  build=$1
  shift
fi
model=transformer:models/sotu-800k.safetensors bytes=131072 procs=2 rounds=3 chunk=2048
# The corpus beside the repository (../shared/data/text; a worktree under wt/: ../../shared).
data=../shared/data/text/sotu-valid.txt
[[ -r $data ]] || data=../../shared/data/text/sotu-valid.txt
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || { echo "bench_mpi_code.sh: $1 needs a value" >&2; exit 2; }
  case $1 in
    --model) model=$2 ;;
    --bytes) bytes=$2 ;;
    --procs) procs=$2 ;;
    --rounds) rounds=$2 ;;
    --chunk-size) chunk=$2 ;;
    --data) data=$2 ;;
    *) echo "bench_mpi_code.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
zgen=$build/zgen
[[ -x $zgen ]] || { echo "bench_mpi_code.sh: no $zgen (build it first)" >&2; exit 2; }
[[ -r $data ]] || { echo "bench_mpi_code.sh: cannot read $data" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "bench_mpi_code.sh: no mpirun (openmpi-bin)" >&2; exit 2; }
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c "$bytes" "$data" >"$tmp/in"
n=$(wc -c <"$tmp/in")
args=(compress -m "$model" --chunk-size "$chunk" -q "$tmp/in")

# Runs "$@", printing "WALL CPU" (seconds; CPU: user + sys of the command and its children).
timed() {
  local TIMEFORMAT='%R %U %S'
  { time "$@" >/dev/null 2>"$tmp/err"; } 2>"$tmp/time" || { cat "$tmp/err" >&2; exit 1; }
  awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$tmp/time"
}

echo "$model, chunks of $chunk, $n bytes of $data, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
ratios=()
for ((r = 1; r <= rounds; r++)); do
  read -r tw tc < <(timed "$zgen" "${args[@]}" --threads "$procs" -o "$tmp/threads.zgen")
  # --bind-to none: each process's one thread may run on any core, as the threads do.
  read -r pw pc < <(timed mpirun -q "${root[@]}" --oversubscribe --bind-to none --mca btl self,vader -np "$procs" \
                      "$zgen" "${args[@]}" --threads 1 -o "$tmp/procs.zgen")
  cmp -s "$tmp/threads.zgen" "$tmp/procs.zgen" || { echo "bench_mpi_code.sh: the .zgen files differ" >&2; exit 1; }
  ratio=$(awk -v a="$pw" -v b="$tw" 'BEGIN { printf "%.3f", b / a }')
  ratios+=("$ratio")
  awk -v r="$r" -v p="$procs" -v n="$n" -v tw="$tw" -v tc="$tc" -v pw="$pw" -v pc="$pc" -v q="$ratio" 'BEGIN {
    printf "round %d: 1 process x %d threads %.0f bytes/s (%.1f s, %.1f CPU s); %d processes x 1 thread %.0f bytes/s (%.1f s, %.1f CPU s); ratio %s\n",
           r, p, n / tw, tw, tc, p, n / pw, pw, pc, q }'
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "median ratio (processes / threads throughput) over $rounds rounds: $median; files identical; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
