#!/usr/bin/env bash
# memory.sh — peak CPU tensor memory of a LoRA fine-tuning step, lrt's Trainer vs the same step in PyTorch on the same
# libtorch (Debian python3-torch): GPT-2- and Llama-shaped causal LMs (tools/bench/memory/*_small.json), LoRA r=16 on
# every Linear of the blocks, fp32 and bf16 CPU autocast. Both sides count tensor storages with the shim's counting CPU
# allocator (CpuMemory / ts_cpu_memory_*), as torch.cuda.max_memory_allocated counts GPU memory; a third leg runs lrt
# with loss.fused_linear_cross_entropy (no PyTorch counterpart: transformers and PEFT have none). Memory is
# deterministic, so one run per leg. Prints a Markdown table (see BENCHMARKS.md, "Peak memory of a LoRA step").
# Target (issue #9's memory goal, measured here on the CPU): lrt's peak ≤ PyTorch's (ratio ≤ 1.0 up to lrt's batch copy).
#
# Usage: tools/bench/memory.sh        Knobs (environment): BENCH_BATCH (4), BENCH_SEQ (256), BENCH_STEPS (3).
# Needs: dotnet and the shim from tools/setup.sh. No network. About 1 min on 2 cores, including the build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/bench/memory"
OUT="$HERE/build"
BATCH="${BENCH_BATCH:-4}"
SEQ="${BENCH_SEQ:-256}"
STEPS="${BENCH_STEPS:-3}"

SCRIPT=memory.sh
# shellcheck source=tools/bench/common.sh
source "$ROOT/tools/bench/common.sh"
bench_find_shim
mkdir -p "$OUT"
bench_build_csharp "$HERE/MemoryBench.csproj" "$OUT"

rm -f "$OUT"/*.log
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
START=$(date +%s)
LOGS=()
for model in gpt2 llama; do
    for dtype in fp32 bf16; do
        echo "$model $dtype..." >&2
        dotnet "$CS_DLL" "$HERE/${model}_small.json" "$BATCH" "$SEQ" "$STEPS" "$dtype" "$OUT/runs" >"$OUT/${model}_${dtype}_lrt.log"
        dotnet "$CS_DLL" "$HERE/${model}_small.json" "$BATCH" "$SEQ" "$STEPS" "$dtype" "$OUT/runs" fused >"$OUT/${model}_${dtype}_lrt_fused.log"
        "$PY" "$HERE/torch_leg.py" "$SHIM" "$HERE/${model}_small.json" "$BATCH" "$SEQ" "$STEPS" "$dtype" >"$OUT/${model}_${dtype}_torch.log"
        LOGS+=("$model" "$dtype" "$OUT/${model}_${dtype}_lrt.log" "$OUT/${model}_${dtype}_torch.log" "$OUT/${model}_${dtype}_lrt_fused.log")
    done
done
ELAPSED=$(($(date +%s) - START))

FACTS="$OUT/facts.md"
{
    bench_facts_header "$LOAD_START"
    echo "- libtorch: Debian $(dpkg-query -W -f='libtorch-dev ${Version}' libtorch-dev 2>/dev/null || echo 'libtorch-dev ?') for both sides (python3-torch $(dpkg-query -W -f='${Version}' python3-torch 2>/dev/null || echo '?')); .NET SDK $(dotnet --version); shim: $SHIM"
    echo "- workload: batch $BATCH × $SEQ tokens, $STEPS steps, one intra-op thread; LoRA r=16 α=32 on every Linear of the blocks, AdamW (foreach), clipping 1.0; measured in ${ELAPSED}s"
} >"$FACTS"
"$PY" "$HERE/report.py" "$FACTS" "${LOGS[@]}"
