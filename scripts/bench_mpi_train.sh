#!/usr/bin/env bash
# Data-parallel training against threads on one machine: `zgen train` as 1 process × P threads
# and as `mpirun -np P` processes × 1 thread, the same config, global batch, data and seed, in
# turn for --rounds rounds (a shared machine's speed drifts between minutes; a round's two runs
# are close in time). Each run's figure is the tokens/s zgen prints for its last --log-every
# window (the first steps, which size the buffers, left out); the ratio of each round is
# processes / threads, and the median of the rounds' ratios is printed last.
#
#   scripts/bench_mpi_train.sh [BUILD_DIR] [--config 800k] [--batch 8] [--seq 2048] [--procs 2]
#                              [--steps 8] [--rounds 3] [--data FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
if [[ $# -gt 0 && $1 != --* ]]; then
  build=$1
  shift
fi
config=800k batch=8 seq=2048 procs=2 steps=8 rounds=3 data=tests/data/sotu-valid-70k.txt
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || { echo "bench_mpi_train.sh: $1 needs a value" >&2; exit 2; }
  case $1 in
    --config) config=$2 ;;
    --batch) batch=$2 ;;
    --seq) seq=$2 ;;
    --procs) procs=$2 ;;
    --steps) steps=$2 ;;
    --rounds) rounds=$2 ;;
    --data) data=$2 ;;
    *) echo "bench_mpi_train.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
zgen=$build/zgen
[[ -x $zgen ]] || { echo "bench_mpi_train.sh: no $zgen (build it first)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "bench_mpi_train.sh: no mpirun (openmpi-bin)" >&2; exit 2; }
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
half=$((steps / 2))
args=(train --data "$data" --config "$config" --seq "$seq" --batch "$batch" --steps "$steps" --log-every "$half"
      --eval-every 0 --seed 1 -o "$tmp/m.safetensors")

# The tokens/s of the last progress line.
last_rate() { grep '^step .*tokens/s' | tail -1 | sed 's/.*  \([0-9]*\) tokens\/s.*/\1/'; }

echo "config $config, batch $batch x $seq, $steps steps (figure: steps $((half + 1))..$steps), $(nproc) cores"
ratios=()
for ((r = 1; r <= rounds; r++)); do
  threads=$("$zgen" "${args[@]}" --threads "$procs" 2>&1 | last_rate)
  # --bind-to none: each process's one thread may run on any core (mpirun binds 2 processes to a
  # core each by default, which is as good when the machine is otherwise idle).
  ranks=$(mpirun -q "${root[@]}" --oversubscribe --bind-to none -np "$procs" "$zgen" "${args[@]}" --threads 1 2>&1 | last_rate)
  ratio=$(awk -v a="$ranks" -v b="$threads" 'BEGIN { printf "%.3f", a / b }')
  ratios+=("$ratio")
  echo "round $r: 1 process x $procs threads $threads tokens/s; $procs processes x 1 thread $ranks tokens/s; ratio $ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "median ratio (processes / threads) over $rounds rounds: $median"
