#!/usr/bin/env bash
# mlp_step.sh — one MLP 784-256-256-10 AdamW training step at batch 32, 128 and 1024 from C# (this
# binding; twice: AdamW over _foreach_ ops, optim adamw_torch, and the fused single-pass AdamW,
# optim adamw_torch_fused) vs the same step in PyTorch eager (Debian's python3-torch, AdamW foreach=False and
# foreach=True), on the same libtorch, one intra-op thread, measured side by side in one invocation;
# prints a Markdown table (see BENCHMARKS.md, "MLP training step").
#
# Usage: tools/bench/mlp_step.sh
# Knobs (environment): BENCH_ROUNDS (3), BENCH_BATCHES (11 timed batches of steps per figure),
# BENCH_SIZES (32,128,1024), BENCH_DIAG (1: after the main rounds, run the same rounds again with
# glibc's malloc pinned by GLIBC_TUNABLES=$DIAG_TUNABLES — a diagnostic, see BENCHMARKS.md; 0: skip).
# Needs: dotnet, python3-torch 1.13, and the shim from tools/setup.sh
# (artifacts/native/libtorchshim.so; otherwise $LRT_TORCHSHIM). No network. ~3–4 min on 2 cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/bench/mlp_step"
OUT="$HERE/build"
ROUNDS="${BENCH_ROUNDS:-3}"
BATCHES="${BENCH_BATCHES:-11}"
SIZES="${BENCH_SIZES:-32,128,1024}"
DIAG="${BENCH_DIAG:-1}"
# Fixed mmap threshold (32 MiB, glibc's maximum) and a 1 GiB trim threshold: freed buffers stay in the
# heap instead of going back to the kernel at every step (setting either also turns off glibc's
# dynamic threshold adjustment).
DIAG_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824

SCRIPT=mlp_step.sh
# shellcheck source=tools/bench/common.sh
source "$ROOT/tools/bench/common.sh"
bench_find_shim
mkdir -p "$OUT"

# ---- build (incremental: a no-op when nothing changed) ----
bench_build_csharp "$HERE/MlpStep.csproj" "$OUT"

# ---- run: C# then Python (odd rounds), Python then C# (even rounds), to cancel slow drift ----
rm -f "$OUT"/r*.log "$OUT"/d*.log
LOGS=()
run_leg() {  # round leg [prefix]
    local log="$OUT/${3:-r}$1.$2.log"
    echo "round ${3:-r}$1: $2..." >&2
    case "$2" in
        csharp) dotnet "$CS_DLL" "$BATCHES" "$SIZES" foreach >"$log" ;;
        csharp_fused) dotnet "$CS_DLL" "$BATCHES" "$SIZES" fused >"$log" ;;
        # the two PyTorch variants alternate which goes first, too
        python) if (($1 % 2 == 1)); then o=false,true; else o=true,false; fi
                "$PY" "$HERE/mlp_step.py" "$BATCHES" "$SIZES" "$o" >"$log" ;;
    esac
    if [[ -z "${3:-}" ]]; then LOGS+=("$log"); else DLOGS+=("$log"); fi
}
DLOGS=()
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
START=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2 == 1)); then order=(csharp csharp_fused python); else order=(python csharp_fused csharp); fi
    for leg in "${order[@]}"; do run_leg "$r" "$leg"; done
done
ELAPSED=$(($(date +%s) - START))
LOAD_MAIN_END="$(cut -d' ' -f1-3 /proc/loadavg)"
if [[ "$DIAG" == 1 ]]; then
    for ((r = 1; r <= ROUNDS; r++)); do
        if ((r % 2 == 1)); then order=(csharp csharp_fused python); else order=(python csharp_fused csharp); fi
        for leg in "${order[@]}"; do GLIBC_TUNABLES="$DIAG_TUNABLES" run_leg "$r" "$leg" d; done
    done
fi

# ---- machine facts + table ----
FACTS="$OUT/facts.md"
{
    bench_facts_header "$LOAD_START" "at the end of the main rounds $LOAD_MAIN_END, "
    echo "- libtorch: Debian $(dpkg-query -W -f='libtorch-dev ${Version}' libtorch-dev 2>/dev/null || echo 'libtorch-dev ?'), $(dpkg-query -W -f='python3-torch ${Version}' python3-torch 2>/dev/null || echo 'python3-torch ?')"
    echo "- toolchain: .NET SDK $(dotnet --version); shim: $SHIM"
    echo "- method: $ROUNDS round(s) × (C# foreach, C# fused, Python), $BATCHES timed batches of steps per figure after 2 warm-up batches; measured in ${ELAPSED}s"
} >"$FACTS"
if ((${#DLOGS[@]})); then
    "$PY" "$HERE/report.py" "$FACTS" "${LOGS[@]}" --diag "$DIAG_TUNABLES" "${DLOGS[@]}"
else
    "$PY" "$HERE/report.py" "$FACTS" "${LOGS[@]}"
fi
