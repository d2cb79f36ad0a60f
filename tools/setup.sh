#!/usr/bin/env bash
# tools/setup.sh — idempotent set-up of a fresh Debian machine for LowRankTrainer:
#   1. Debian packages (libtorch-dev, OpenBLAS, CMake, g++, python3-torch for reference checks,
#      dataset-fashion-mnist for the quickstart),
#   2. OpenBLAS selected as the system BLAS (the reference BLAS is 10x slower),
#   3. the native shim built into artifacts/native/libtorchshim.so (rebuilt only when its sources change).
# Safe to run any number of times; prints what it does. Needs root (or sudo) only when packages are missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

packages=(libtorch-dev libopenblas0-pthread cmake g++ make python3-torch dataset-fashion-mnist)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "setup: need root to run: $*" >&2; exit 1; fi
}

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
if [ -e "$openblas" ] && [ "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null)" != "$(readlink -f "$openblas")" ]; then
    echo "setup: selecting OpenBLAS as libblas.so.3"
    as_root update-alternatives --set libblas.so.3-x86_64-linux-gnu "$openblas"
fi

command -v dotnet >/dev/null || { echo "setup: the .NET SDK (dotnet) is required but not on PATH" >&2; exit 1; }

# The shim: CMake finds libtorch (LIBTORCH_DIR, else a pip torch via python3, else Debian's /usr).
build="$root/build/native"
out="$root/artifacts/native"
mkdir -p "$build" "$out"
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S src/native -B "$build" -DCMAKE_BUILD_TYPE=Release -DTS_OUTPUT_DIR="$out" >/dev/null
fi
echo "setup: building the native shim"
log="$build/build.log"
if ! cmake --build "$build" -j "$(nproc)" >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: the shim build failed (see above)" >&2
    exit 1
fi
[ -f "$out/libtorchshim.so" ] || { echo "setup: the build left no $out/libtorchshim.so" >&2; exit 1; }
echo "setup: ok ($out/libtorchshim.so)"
