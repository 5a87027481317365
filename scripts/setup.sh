#!/usr/bin/env bash
# zgen's one set-up step: installs the Debian packages that are missing, then configures and
# builds zgen in Release under build/. Safe to run again: it installs nothing twice and
# rebuilds only what changed. Used by both README commands and by .ci/run.
#
#   ZGEN_BUILD_DIR   where to build (default: build)
#   ZGEN_CMAKE_ARGS  extra arguments for cmake's configure step
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config
  zlib1g-dev libzstd-dev liblzma-dev libbz2-dev libbrotli-dev   # the compressor families
  libpng-dev libjpeg-dev libflac-dev libsndfile1-dev            # images and audio
  libeigen3-dev                                                 # the transformer
  libboost-program-options-dev nlohmann-json3-dev doctest-dev   # CLI, JSON, tests
  gzip xz-utils zstd bzip2 brotli                               # command-line peers for cmd: specs and tests
  clang libclang-rt-14-dev libomp-14-dev                        # the fuzz targets: libFuzzer, sanitizers, OpenMP
  libopenmpi-dev openmpi-bin                                    # several processes: mpirun -np N zgen train|bench
  python3-dev pybind11-dev python3-numpy python3-pytest         # the Python package (python/) and its tests
  python3-pip python3-setuptools                                # installing it with pip (offline)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

build="${ZGEN_BUILD_DIR:-build}"
# shellcheck disable=SC2086
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release ${ZGEN_CMAKE_ARGS:-} >&2
cmake --build "$build" -j"$(nproc)" >&2
echo "setup: built $build/zgen" >&2
