#!/usr/bin/env bash
# op_overhead.sh — per-op cost of a 1-element float32 add from C# (this binding) vs the same op in
# C++ (libtorch directly) vs Python PyTorch (Debian's python3-torch), all on the same libtorch,
# measured side by side in one invocation; prints a Markdown table (see BENCHMARKS.md).
#
# Usage: tools/bench/op_overhead.sh
# Knobs (environment): BENCH_ROUNDS (3), BENCH_BATCHES (15), BENCH_OPS (200000 ops per batch).
# Needs: dotnet, g++, libtorch-dev 1.13, python3-torch, and the shim from tools/setup.sh
# (artifacts/native/libtorchshim.so; otherwise $LRT_TORCHSHIM). No network. ~2 min on 2 cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/bench/op_overhead"
OUT="$HERE/build"
ROUNDS="${BENCH_ROUNDS:-3}"
BATCHES="${BENCH_BATCHES:-15}"
OPS="${BENCH_OPS:-200000}"

SCRIPT=op_overhead.sh
# shellcheck source=tools/bench/common.sh
source "$ROOT/tools/bench/common.sh"
bench_find_shim
command -v g++ >/dev/null || die "g++ not found"
[[ -f /usr/include/torch/csrc/api/include/torch/version.h ]] || die "libtorch headers missing: apt-get install libtorch-dev"
mkdir -p "$OUT"

# ---- build (incremental: both steps are no-ops when nothing changed) ----
bench_build_csharp "$HERE/OpOverhead.csproj" "$OUT"

CPP_BIN="$OUT/op_overhead"
if [[ ! -x "$CPP_BIN" || "$HERE/op_overhead.cpp" -nt "$CPP_BIN" || "$0" -nt "$CPP_BIN" ]]; then
    echo "building the C++ leg (g++ -O2 -std=c++17)..." >&2
    g++ -O2 -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=1 \
        -I/usr/include -I/usr/include/torch/csrc/api/include \
        "$HERE/op_overhead.cpp" -o "$CPP_BIN.tmp" -ltorch_cpu -lc10 -ldl
    mv "$CPP_BIN.tmp" "$CPP_BIN"
fi

# ---- run: C++, C#, Python one after the other; even rounds in reverse order to cancel drift ----
rm -f "$OUT"/r*.log
LOGS=()
run_leg() {  # round leg
    local log="$OUT/r$1.$2.log"
    echo "round $1: $2..." >&2
    case "$2" in
        cpp) "$CPP_BIN" "$BATCHES" "$OPS" "$SHIM" >"$log" ;;
        csharp) dotnet "$CS_DLL" "$BATCHES" "$OPS" >"$log" ;;
        python) "$PY" "$HERE/op_overhead.py" "$BATCHES" "$OPS" >"$log" ;;
    esac
    LOGS+=("$log")
}
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
START=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2 == 1)); then order=(cpp csharp python); else order=(python csharp cpp); fi
    for leg in "${order[@]}"; do run_leg "$r" "$leg"; done
done
ELAPSED=$(($(date +%s) - START))

# ---- machine facts + table ----
FACTS="$OUT/facts.md"
{
    bench_facts_header "$LOAD_START"
    echo "- libtorch: Debian $(dpkg-query -W -f='libtorch-dev ${Version}' libtorch-dev 2>/dev/null || echo 'libtorch-dev ?'), $(dpkg-query -W -f='python3-torch ${Version}' python3-torch 2>/dev/null || echo 'python3-torch ?')"
    echo "- toolchain: g++ $(g++ -dumpfullversion), .NET SDK $(dotnet --version); shim: $SHIM"
    echo "- method: $ROUNDS round(s) × (C++, C#, Python), $BATCHES timed batches × $OPS ops per variant, after warm-up; measured in ${ELAPSED}s"
} >"$FACTS"
"$PY" "$HERE/report.py" "$FACTS" "${LOGS[@]}"
