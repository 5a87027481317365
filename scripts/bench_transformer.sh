#!/usr/bin/env bash
# zgen's transformer against its PyTorch twin, the same config, batch, sequence length and thread
# count, one after the other in one run: training tokens/s (forward + backward + AdamW step),
# full-sequence scoring tokens/s (forward with the loss, no gradients), KV-cache generation
# tokens/s (one stream, greedy), and each process's peak RSS; then the ratios zgen / PyTorch.
# With --rounds N the pair runs N times in turn (zgen, PyTorch, zgen, ...), and each ratio is
# the median of the rounds' ratios: a shared machine's speed drifts by 15% and more between
# minutes, and a round's two runs are close in time.
#
#   scripts/bench_transformer.sh [BUILD_DIR] [--config 800k] [--batch 8] [--seq 2048] [--threads 2]
#                                [--steps 3] [--generate 512] [--rounds 1] [--kernels avx512,avx2,portable]
#
# With --kernels, each round runs zgen once for each instruction set listed (ZGEN_KERNELS, see
# src/transformer/kernels/isa.hpp: the best the CPU has up to the one named), then PyTorch, and
# the summary has a row per instruction set; without it, zgen runs the best the CPU has.
#
# BUILD_DIR (default: build) holds bench/bench_transformer. PyTorch runs scripts/torch_twin.py
# with $PYTHON, else the first of python3, /usr/bin/python3 that imports torch; without one, only
# zgen's figures are printed. Peak RSS comes from /usr/bin/time -v when it exists, else from each
# program's own getrusage line.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
if [[ $# -gt 0 && $1 != --* ]]; then
  build=$1
  shift
fi
config=800k batch=8 seq=2048 threads=2 steps=3 generate=512 rounds=1 kernels=
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || { echo "bench_transformer.sh: $1 needs a value" >&2; exit 2; }
  case $1 in
    --config) config=$2 ;;
    --batch) batch=$2 ;;
    --seq) seq=$2 ;;
    --threads) threads=$2 ;;
    --steps) steps=$2 ;;
    --generate) generate=$2 ;;
    --rounds) rounds=$2 ;;
    --kernels) kernels=$2 ;;
    *) echo "bench_transformer.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "bench_transformer.sh: --rounds needs a positive count" >&2; exit 2; }
[[ $kernels =~ ^((avx512|avx2|portable)(,|$))*$ ]] ||
  { echo "bench_transformer.sh: --kernels takes a comma-separated list of avx512, avx2, portable" >&2; exit 2; }
IFS=, read -r -a isas <<< "$kernels"
[[ ${#isas[@]} -gt 0 ]] || isas=("")  # one zgen run a round, on whatever the process chooses
args=(--config "$config" --batch "$batch" --seq "$seq" --threads "$threads" --steps "$steps" --generate "$generate")

bench=$build/bench/bench_transformer
[[ -x $bench ]] || { echo "bench_transformer.sh: no $bench (build it: cmake --build $build --target bench_transformer)" >&2; exit 2; }

# OpenBLAS 0.3.21 misdetects some AMD CPUs and runs torch's GEMMs several times slower; its
# SkylakeX kernels are the right ones only where AVX-512 exists (elsewhere: illegal instruction).
if [[ -z ${OPENBLAS_CORETYPE:-} ]] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
  export OPENBLAS_CORETYPE=SkylakeX
fi
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads

python=
candidates=(python3 /usr/bin/python3)
[[ -n ${PYTHON:-} ]] && candidates=("$PYTHON")
for p in "${candidates[@]}"; do
  if command -v "$p" >/dev/null && "$p" -c 'import torch, numpy' 2>/dev/null; then python=$p; break; fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
have_time=0
[[ -x /usr/bin/time ]] && have_time=1

# run NAME CMD...: prints the program's output as it comes, keeps it in $tmp/NAME.out and its
# peak RSS (MB) in $tmp/NAME.rss.
run() {
  local name=$1
  shift
  if ((have_time)); then
    /usr/bin/time -v -o "$tmp/$name.time" "$@" | tee "$tmp/$name.out"
    awk -F': ' '/Maximum resident set size/ { printf "%d\n", $2 / 1024 }' "$tmp/$name.time" >"$tmp/$name.rss"
  else
    "$@" | tee "$tmp/$name.out"
    awk '/^peak RSS/ { print $3 }' "$tmp/$name.out" >"$tmp/$name.rss"
  fi
}

# figure NAME ROW: the tokens/s of a row (training, scoring, generation) of a program's output.
figure() { awk -v row="$2" '$1 == row { print $2; exit }' "$tmp/$1.out"; }

if [[ -z $python ]]; then
  echo "== PyTorch: not installed (none of ${candidates[*]} imports torch and numpy); zgen's figures only."
  echo "   Debian: apt-get install python3-torch python3-numpy; or set PYTHON=/path/to/python."
fi
# PyTorch on the CPU has no caching allocator: glibc hands each freed activation (hundreds of MB
# at this size) back to the kernel and faults it in again on the next step, which halves
# PyTorch's speed here (830 against 1,705 training tokens/s; most of its time is then system
# time). For the speed comparison glibc keeps freed memory (no mmap, no trimming), which is what
# the issue's PyTorch figures correspond to; it raises PyTorch's peak RSS. TORCH_MALLOC=default
# measures PyTorch with glibc's defaults instead (its memory as users see it).
torch_env=(MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1000000000000)
[[ ${TORCH_MALLOC:-keep} == default ]] && torch_env=()
for ((r = 1; r <= rounds; ++r)); do
  ((rounds > 1)) && echo "==== round $r of $rounds"
  for isa in "${isas[@]}"; do
    if [[ -n $isa ]]; then
      echo "== zgen ($bench, ZGEN_KERNELS=$isa)"
      run "zgen-$isa$r" env ZGEN_KERNELS="$isa" "$bench" "${args[@]}"
    else
      echo "== zgen ($bench)"
      run "zgen-$r" "$bench" "${args[@]}"
    fi
    echo
  done
  if [[ -n $python ]]; then
    echo "== PyTorch ($python scripts/torch_twin.py bench, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, allocator: ${TORCH_MALLOC:-keep})"
    run torch$r env "${torch_env[@]}" "$python" scripts/torch_twin.py bench "${args[@]}"
    echo
  fi
done
[[ -n $python ]] || exit 0

# median VALUES...: the middle value (the mean of the two middle ones for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

echo "== zgen / PyTorch ($config, batch $batch x $seq, $threads threads$( ((rounds > 1)) && echo ", median of $rounds rounds"))"
printf '%-12s %14s %14s %8s\n' "" "zgen" "PyTorch" "ratio"
for isa in "${isas[@]}"; do
  [[ -n $isa ]] && echo "ZGEN_KERNELS=$isa"
  for row in training scoring generation; do
    zs=() ts=() ratios=()
    for ((r = 1; r <= rounds; ++r)); do
      z=$(figure "zgen-$isa$r" $row) t=$(figure torch$r $row)
      zs+=("$z") ts+=("$t") ratios+=("$(awk -v z="$z" -v t="$t" 'BEGIN { printf "%.2f", z / t }')")
    done
    printf '%-12s %8s tok/s %8s tok/s %7.2fx' "$row" "$(median "${zs[@]}")" "$(median "${ts[@]}")" "$(median "${ratios[@]}")"
    ((rounds > 1)) && printf '  (rounds: %s)' "$(IFS=' '; echo "${ratios[*]/%/x}")"
    echo
  done
done
zr=$(cat "$tmp"/zgen*.rss | sort -n | tail -1) tr=$(cat "$tmp"/torch*.rss | sort -n | tail -1)
printf '%-12s %11s MB %11s MB %7.2fx  (%s%s; PyTorch allocator: %s)\n' "peak RSS" "$zr" "$tr" \
  "$(awk -v z="$zr" -v t="$tr" 'BEGIN { print z / t }')" "$( ((have_time)) && echo '/usr/bin/time -v' || echo 'getrusage')" \
  "$( ((rounds > 1)) && echo ', largest of the rounds')" "${TORCH_MALLOC:-keep}"
