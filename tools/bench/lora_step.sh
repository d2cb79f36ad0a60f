#!/usr/bin/env bash
# lora_step.sh — a LoRA training step (r=8 and r=16 on every Linear, base frozen, AdamW on the LoRA
# parameters) vs the frozen base's own forward + backward-to-inputs, plus a full fine-tuning step for
# reference, on an MLP 1024-1024-1024-1024-10 at batch 64 and 256, float32, one intra-op thread; all
# variants alternate inside one process, and the process is run BENCH_ROUNDS times. Prints a Markdown
# table (see BENCHMARKS.md, "LoRA step on a frozen base"). Target: (b) ≤ 1.1× (a).
#
# Usage: tools/bench/lora_step.sh
# Knobs (environment): BENCH_ROUNDS (3), BENCH_BATCHES (11 timed batches per figure),
# BENCH_SIZES (64,256), BENCH_OPTIM (foreach | fused).
# Needs: dotnet and the shim from tools/setup.sh (artifacts/native/libtorchshim.so; otherwise
# $LRT_TORCHSHIM). No network. About 2 min on 2 cores, including the build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/bench/lora_step"
OUT="$HERE/build"
ROUNDS="${BENCH_ROUNDS:-3}"
BATCHES="${BENCH_BATCHES:-11}"
SIZES="${BENCH_SIZES:-64,256}"
OPTIM="${BENCH_OPTIM:-foreach}"

SCRIPT=lora_step.sh
# shellcheck source=tools/bench/common.sh
source "$ROOT/tools/bench/common.sh"
bench_find_shim
mkdir -p "$OUT"
bench_build_csharp "$HERE/LoraStep.csproj" "$OUT"

rm -f "$OUT"/r*.log
LOGS=()
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
START=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
    echo "round $r..." >&2
    dotnet "$CS_DLL" "$BATCHES" "$SIZES" "$OPTIM" >"$OUT/r$r.log"
    LOGS+=("$OUT/r$r.log")
done
ELAPSED=$(($(date +%s) - START))

FACTS="$OUT/facts.md"
{
    bench_facts_header "$LOAD_START"
    echo "- libtorch: Debian $(dpkg-query -W -f='libtorch-dev ${Version}' libtorch-dev 2>/dev/null || echo 'libtorch-dev ?'); .NET SDK $(dotnet --version); shim: $SHIM"
    echo "- model: MLP 1024-1024-1024-1024-10 (3,159,050 parameters), float32, cross-entropy, AdamW lr 1e-3 wd 0.01 ($OPTIM)"
    echo "- method: $ROUNDS round(s) (one process each) × $BATCHES timed batches after 2 warm-up batches, variants rotated within each batch; measured in ${ELAPSED}s"
} >"$FACTS"
"$PY" "$HERE/report.py" "$FACTS" "${LOGS[@]}"
