#!/usr/bin/env bash
# soak.sh — the soak benchmark (issue #10): the real Trainer, in process, for 10,000 optimizer steps on Debian's
# Fashion-MNIST in each of two configurations — full fine-tuning of the quickstart MLP (configs/quickstart.yaml)
# and a LoRA adapter on it (configs/methods/lora.yaml) — with evaluation every 500 steps and a checkpoint every
# 1,000 (save_total_limit 2, so rotation deletes one folder per save), sampling Tensor.LiveCount, the resident
# set, glibc's heap in use and the .NET heap every 100 steps. Each configuration is one process. Prints a
# Markdown table with a PASS/FAIL line per acceptance criterion: live handles constant after warm-up, and RSS
# within 5% after warm-up (see BENCHMARKS.md, "Soak: 10,000 steps"). The CSVs, the trainers' logs, the run
# folders and two SVG plots go to tools/bench/soak/build/.
#
# Usage: tools/bench/soak.sh
# Knobs (environment): SOAK_STEPS (10000), SOAK_EVERY (100: the sampling interval), SOAK_WARMUP (1000 steps
# left out of the verdicts), SOAK_BATCH (64), SOAK_EVAL_STEPS (500), SOAK_SAVE_STEPS (1000),
# SOAK_CONFIGS (full,lora: labels of the configurations below), SOAK_DIAG (1: run every configuration a second time
# with DOTNET_TieredCompilation=0, a diagnostic that separates the JIT's own memory growth from the trainer's; 0: skip).
# Needs: dotnet, Debian's dataset-fashion-mnist and the shim from tools/setup.sh (artifacts/native/libtorchshim.so;
# otherwise $LRT_TORCHSHIM). No network. About 3 min on 2 cores, including the build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/bench/soak"
OUT="$HERE/build"
STEPS="${SOAK_STEPS:-10000}"
EVERY="${SOAK_EVERY:-100}"
WARMUP="${SOAK_WARMUP:-1000}"
BATCH="${SOAK_BATCH:-64}"
EVAL_STEPS="${SOAK_EVAL_STEPS:-500}"
SAVE_STEPS="${SOAK_SAVE_STEPS:-1000}"
CONFIGS="${SOAK_CONFIGS:-full,lora}"
DIAG="${SOAK_DIAG:-1}"

SCRIPT=soak.sh
# shellcheck source=tools/bench/common.sh
source "$ROOT/tools/bench/common.sh"
bench_find_shim
mkdir -p "$OUT"
rm -f "$OUT"/*.csv "$OUT"/*.log "$OUT"/*.svg
bench_build_csharp "$HERE/Soak.csproj" "$OUT"

config_of() {
    case "${1%_notiered}" in
        full) echo "$ROOT/configs/quickstart.yaml" ;;
        lora) echo "$ROOT/configs/methods/lora.yaml" ;;
        *) die "unknown configuration '$1' in SOAK_CONFIGS (known: full, lora)" ;;
    esac
}

# The same schedule for every configuration: max_steps fixes the length (the linear schedule decays over it),
# eval and save on a step cadence so both paths run ~10 times after warm-up and at least once inside it.
OVERRIDES=(
    "train.max_steps=$STEPS" "train.per_device_train_batch_size=$BATCH" "train.num_threads=1"
    "eval.eval_strategy=steps" "eval.eval_steps=$EVAL_STEPS"
    "checkpoint.save_strategy=steps" "checkpoint.save_steps=$SAVE_STEPS" "checkpoint.save_total_limit=2"
    "logging.logging_steps=100"
)

IFS=, read -r -a LABELS <<<"$CONFIGS"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
START=$(date +%s)
for label in "${LABELS[@]}"; do
    config="$(config_of "$label")"
    echo "soak $label: $STEPS steps of $config..." >&2
    dotnet "$CS_DLL" run "$label" "$config" "$OUT" "$EVERY" "${OVERRIDES[@]}" >"$OUT/$label.log"
done
ELAPSED=$(($(date +%s) - START))
REPORTED=("${LABELS[@]}")
if [[ "$DIAG" == 1 ]]; then
    # Tiered compilation re-JITs hot methods in the background for minutes (tier 0 → instrumented → tier 1) and
    # keeps the code and its data on the native heap: growth that is the runtime's, not the trainer's.
    for label in "${LABELS[@]}"; do
        echo "diagnostic: $label again with DOTNET_TieredCompilation=0..." >&2
        DOTNET_TieredCompilation=0 dotnet "$CS_DLL" run "${label}_notiered" "$(config_of "$label")" "$OUT" "$EVERY" "${OVERRIDES[@]}" \
            >"$OUT/${label}_notiered.log"
        REPORTED+=("${label}_notiered")
    done
fi
dotnet "$CS_DLL" plot "$OUT" "${LABELS[@]}"

FACTS="$OUT/facts.md"
{
    bench_facts_header "$LOAD_START"
    echo "- libtorch: Debian $(dpkg-query -W -f='libtorch-dev ${Version}' libtorch-dev 2>/dev/null || echo 'libtorch-dev ?'); .NET SDK $(dotnet --version); one intra-op thread"
    echo "- schedule: $STEPS steps at batch $BATCH per configuration, eval every $EVAL_STEPS steps, checkpoint every $SAVE_STEPS (save_total_limit 2), sampled every $EVERY steps; warm-up: the first $WARMUP steps; the ${#LABELS[@]} configurations took ${ELAPSED}s in all"
} >"$FACTS"
"$PY" "$HERE/report.py" "$FACTS" "$WARMUP" "$OUT" "${REPORTED[@]}"
