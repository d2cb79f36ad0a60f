#!/usr/bin/env bash
# ddp_scaling.sh — data-parallel scaling on the CPU (issue #11): training samples/s of `lrt train` as one process with
# one intra-op thread, and as `lrt train --nproc 2` (two ranks over c10d Gloo on loopback, one thread each), with the
# same global batch, for the quickstart MLP in full (configs/quickstart.yaml, 235k trainable parameters whose gradients
# are all-reduced every step) and with LoRA (configs/methods/lora.yaml, 12k trainable parameters). A third leg, one
# process with two threads, is what the same two cores give without data parallelism. samples/s is summary.json's
# train_samples_per_second: global samples over the training loop's time (rank 0's clock), start-up excluded.
# Rounds alternate the legs' order; each figure is the median over the rounds. Prints a Markdown table (see
# BENCHMARKS.md, "Data-parallel scaling").
#
# Usage: tools/bench/ddp_scaling.sh
# Knobs (environment): DDP_STEPS (400), DDP_BATCH (128: the global batch), DDP_ROUNDS (3), DDP_CONFIGS (full,lora).
# Needs: dotnet, Debian's dataset-fashion-mnist, and the shim built with c10d Gloo by tools/setup.sh. No network.
# About 4 min on 2 cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/tools/bench/ddp_scaling/build"
STEPS="${DDP_STEPS:-400}"
BATCH="${DDP_BATCH:-128}"
ROUNDS="${DDP_ROUNDS:-3}"
CONFIGS="${DDP_CONFIGS:-full,lora}"

SCRIPT=ddp_scaling.sh
# shellcheck source=tools/bench/common.sh
source "$ROOT/tools/bench/common.sh"
bench_find_shim
(( BATCH % 2 == 0 )) || die "DDP_BATCH must be even (two ranks take half each), got $BATCH"
rm -rf "$OUT"
mkdir -p "$OUT"
echo "building lrt (dotnet build -c Release)..." >&2
dotnet build "$ROOT/src/LowRankTrainer.Cli/LowRankTrainer.Cli.csproj" -c Release --nologo -v quiet >"$OUT/dotnet-build.log" 2>&1 \
    || { cat "$OUT/dotnet-build.log" >&2; die "dotnet build failed"; }
LRT="$ROOT/src/LowRankTrainer.Cli/bin/Release/net10.0/lrt.dll"
[[ -f "$LRT" ]] || die "the build produced no $LRT"

config_of() {
    case "$1" in
        full) echo "$ROOT/configs/quickstart.yaml" ;;
        lora) echo "$ROOT/configs/methods/lora.yaml" ;;
        *) die "unknown configuration '$1' in DDP_CONFIGS (known: full, lora)" ;;
    esac
}

# run_leg LABEL LEG ROUND: one training run; appends "label leg round samples/s" to results.txt.
run_leg() {
    local label="$1" leg="$2" round="$3" dir="$OUT/runs/$1/$2/r$3" nproc threads per_device
    case "$leg" in
        1proc_1thread) nproc=1 threads=1 per_device=$BATCH ;;
        2proc_1thread) nproc=2 threads=1 per_device=$((BATCH / 2)) ;;
        1proc_2threads) nproc=1 threads=2 per_device=$BATCH ;;
    esac
    local args=("$(config_of "$label")" "train.output_dir=$dir" "train.run_name=bench" "train.max_steps=$STEPS"
                "train.per_device_train_batch_size=$per_device" "train.num_threads=$threads"
                "eval.eval_strategy=no" "checkpoint.save_strategy=no" "logging.logging_steps=100")
    [[ "$nproc" == 1 ]] || args=(--nproc "$nproc" "${args[@]}")
    dotnet "$LRT" train "${args[@]}" >"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; die "$label $leg round $round failed (log: $dir.log)"; }
    local summary
    summary="$(ls "$dir"/bench/*/summary.json)"
    echo "$label $leg $round $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_samples_per_second"])' "$summary")" >>"$OUT/results.txt"
}

LEGS=(1proc_1thread 2proc_1thread 1proc_2threads)
IFS=, read -r -a LABELS <<<"$CONFIGS"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
START=$(date +%s)
for label in "${LABELS[@]}"; do
    for round in $(seq 1 "$ROUNDS"); do
        order=("${LEGS[@]}")
        (( round % 2 == 0 )) && order=(2proc_1thread 1proc_2threads 1proc_1thread)
        for leg in "${order[@]}"; do
            mkdir -p "$OUT/runs/$label/$leg"
            echo "$label round $round: $leg..." >&2
            run_leg "$label" "$leg" "$round"
        done
    done
done
ELAPSED=$(($(date +%s) - START))

{
    bench_facts_header "$LOAD_START"
    echo "- libtorch: Debian $(dpkg-query -W -f='libtorch-dev ${Version}' libtorch-dev 2>/dev/null || echo 'libtorch-dev ?'), c10d Gloo over loopback; .NET SDK $(dotnet --version)"
    echo "- schedule: $STEPS steps at a global batch of $BATCH (2 ranks × $((BATCH / 2))), no eval or checkpoints; $ROUNDS rounds per configuration, ${ELAPSED}s in all"
    echo
    "$PY" - "$OUT/results.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
by = {}
for label, leg, _, sps in rows:
    by.setdefault((label, leg), []).append(float(sps))
print("| model | 1 process, 1 thread (samples/s) | 2 processes × 1 thread (samples/s) | **ratio 2 proc / 1 proc** | 1 process, 2 threads (samples/s) | 2 proc / (1 proc, 2 threads) |")
print("|---|---:|---:|---:|---:|---:|")
for label in dict.fromkeys(l for l, _ in by):
    one, two, threads = (statistics.median(by[(label, leg)]) for leg in ("1proc_1thread", "2proc_1thread", "1proc_2threads"))
    spread = lambda leg: f" ({min(by[(label, leg)]):.0f}–{max(by[(label, leg)]):.0f})"
    print(f"| {label} | {one:.0f}{spread('1proc_1thread')} | {two:.0f}{spread('2proc_1thread')} | **{two / one:.2f}×** | {threads:.0f}{spread('1proc_2threads')} | {two / threads:.2f}× |")
PY
} | tee "$OUT/report.md"
