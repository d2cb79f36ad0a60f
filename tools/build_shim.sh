#!/usr/bin/env bash
# tools/build_shim.sh — builds the native shim, artifacts/native/libtorchshim.so, and nothing else (no packages, no
# .NET): what tools/setup.sh runs on a Debian machine, and what a CUDA machine with pip PyTorch runs on its own.
# CMake takes libtorch from LIBTORCH_DIR, else a pip PyTorch 2.x found through python3 (with CUDA it links torch_cuda
# and c10_cuda, reads the C++ ABI from torch and sets the rpath to torch's lib folder), else Debian's libtorch-dev
# under /usr. Incremental: only changed sources are recompiled. Prints what it found (libtorch, CUDA, c10d).
#
# Usage: tools/build_shim.sh [BUILD_DIR]   (default build/native; the library always goes to artifacts/native/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/native}"
out="$root/artifacts/native"
mkdir -p "$build" "$out"
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root/src/native" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTS_OUTPUT_DIR="$out" >"$build/configure.log" 2>&1 \
        || { cat "$build/configure.log" >&2; echo "build_shim: CMake could not configure the shim (see above)" >&2; exit 1; }
    grep -E "^-- torchshim:" "$build/configure.log" || true
fi
echo "build_shim: building the native shim"
log="$build/build.log"
if ! cmake --build "$build" -j "$(nproc)" >"$log" 2>&1; then
    cat "$log" >&2
    echo "build_shim: the shim build failed (see above)" >&2
    exit 1
fi
[ -f "$out/libtorchshim.so" ] || { echo "build_shim: the build left no $out/libtorchshim.so" >&2; exit 1; }
echo "build_shim: ok ($out/libtorchshim.so)"
