#!/usr/bin/env bash
# ddp_scaling.sh — data-parallel scaling on the CPU (issue #11): training samples/s of `lrt train` as one process with
# one intra-op thread, and as `lrt train --nproc 2` (two ranks over c10d Gloo on loopback, one thread each), with the
# same global batch, for the quickstart MLP in full (configs/quickstart.yaml, 235k trainable parameters whose gradients
# are all-reduced every step) and with LoRA (configs/methods/lora.yaml, 12k trainable parameters), at a small and a
# large global batch. A third leg, one process with two threads, is what the same two cores give without data
# parallelism. The reference is PyTorch's own DistributedDataParallel (Debian's python3-torch, Gloo) training the same
# MLP in full, 1 process vs 2 (tools/bench/ddp_scaling/ddp_torch.py). samples/s is global samples over the whole
# training loop (summary.json's train_samples_per_second; start-up excluded). Rounds alternate the legs' order; each
# figure is the median over the rounds. Prints a Markdown table (BENCHMARKS.md, "Data-parallel scaling").
#
# Usage: tools/bench/ddp_scaling.sh
# Knobs (environment): DDP_BATCHES (128,1024: global batches), DDP_SAMPLES (256000: samples per run, so steps =
# DDP_SAMPLES / batch), DDP_ROUNDS (2), DDP_CONFIGS (full,lora).
# Needs: dotnet, Debian's dataset-fashion-mnist and python3-torch, and the shim built with c10d Gloo by tools/setup.sh.
# No network. About 10 min on 2 cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/bench/ddp_scaling"
OUT="$HERE/build"
BATCHES="${DDP_BATCHES:-128,1024}"
SAMPLES="${DDP_SAMPLES:-256000}"
ROUNDS="${DDP_ROUNDS:-2}"
CONFIGS="${DDP_CONFIGS:-full,lora}"

SCRIPT=ddp_scaling.sh
# shellcheck source=tools/bench/common.sh
source "$ROOT/tools/bench/common.sh"
bench_find_shim
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

# run_leg LABEL BATCH LEG ROUND: one training run; appends "label batch leg round samples/s" to results.txt.
run_leg() {
    local label="$1" batch="$2" leg="$3" round="$4" dir="$OUT/runs/$1-$2/$3/r$4" nproc threads per_device sps
    local steps=$((SAMPLES / batch))
    mkdir -p "$(dirname "$dir")"
    case "$leg" in
        torch_1proc | torch_2proc)
            nproc="${leg#torch_}"; nproc="${nproc%proc}"
            sps="$("$PY" "$HERE/ddp_torch.py" "$nproc" "$steps" "$batch" "$((29500 + RANDOM % 1000))" 2>"$dir.log")" \
                || { cat "$dir.log" >&2; die "$leg at batch $batch failed"; }
            echo "$label $batch $leg $round $sps" >>"$OUT/results.txt"
            return ;;
        1proc_1thread) nproc=1 threads=1 per_device=$batch ;;
        2proc_1thread) nproc=2 threads=1 per_device=$((batch / 2)) ;;
        1proc_2threads) nproc=1 threads=2 per_device=$batch ;;
    esac
    local args=("$(config_of "$label")" "train.output_dir=$dir" "train.run_name=bench" "train.max_steps=$steps"
                "train.per_device_train_batch_size=$per_device" "train.num_threads=$threads"
                "eval.eval_strategy=no" "checkpoint.save_strategy=no" "logging.logging_steps=100")
    [[ "$nproc" == 1 ]] || args=(--nproc "$nproc" "${args[@]}")
    dotnet "$LRT" train "${args[@]}" >"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; die "$label $leg round $round failed (log: $dir.log)"; }
    sps="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_samples_per_second"])' "$(ls "$dir"/bench/*/summary.json)")"
    echo "$label $batch $leg $round $sps" >>"$OUT/results.txt"
}

IFS=, read -r -a LABELS <<<"$CONFIGS"
IFS=, read -r -a BATCH_LIST <<<"$BATCHES"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
START=$(date +%s)
for batch in "${BATCH_LIST[@]}"; do
    (( batch % 2 == 0 )) || die "DDP_BATCHES must be even (two ranks take half each), got $batch"
    for label in "${LABELS[@]}"; do
        legs=(1proc_1thread 2proc_1thread 1proc_2threads)
        [[ "$label" == full ]] && legs+=(torch_1proc torch_2proc)
        for round in $(seq 1 "$ROUNDS"); do
            order=("${legs[@]}")
            if (( round % 2 == 0 )); then
                order=()
                for ((i = ${#legs[@]} - 1; i >= 0; i--)); do order+=("${legs[i]}"); done
            fi
            for leg in "${order[@]}"; do
                echo "batch $batch, $label, round $round: $leg..." >&2
                run_leg "$label" "$batch" "$leg" "$round"
            done
        done
    done
done
ELAPSED=$(($(date +%s) - START))

{
    bench_facts_header "$LOAD_START"
    echo "- libtorch: Debian $(dpkg-query -W -f='libtorch-dev ${Version}' libtorch-dev 2>/dev/null || echo 'libtorch-dev ?'), c10d Gloo over loopback; .NET SDK $(dotnet --version)"
    echo "- schedule: $SAMPLES samples per run (steps = $SAMPLES / global batch), global batches $BATCHES (2 ranks × half), no eval or checkpoints; $ROUNDS rounds, ${ELAPSED}s in all"
    echo "- reference: PyTorch $("$PY" -c 'import torch; print(torch.__version__)') DistributedDataParallel over Gloo, the same MLP in full on random data of the same shape"
    echo
    "$PY" - "$OUT/results.txt" <<'PY'
import statistics, sys
by = {}
for line in open(sys.argv[1]):
    label, batch, leg, _, sps = line.split()
    by.setdefault((label, int(batch)), {}).setdefault(leg, []).append(float(sps))
def cell(legs, leg):
    v = legs[leg]
    return statistics.median(v), f"{statistics.median(v):.0f} ({min(v):.0f}–{max(v):.0f})"
print("| model | global batch | lrt 1 proc × 1 thread | lrt 2 proc × 1 thread | **lrt 2 proc / 1 proc** | lrt 1 proc × 2 threads | PyTorch 1 proc | PyTorch DDP 2 proc | **PyTorch 2 proc / 1 proc** | lrt 2 proc / PyTorch 2 proc |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for (label, batch), legs in by.items():
    (one, c1), (two, c2), (_, c3) = (cell(legs, l) for l in ("1proc_1thread", "2proc_1thread", "1proc_2threads"))
    if "torch_1proc" in legs:
        (t1, c4), (t2, c5) = cell(legs, "torch_1proc"), cell(legs, "torch_2proc")
        ref = f"{c4} | {c5} | **{t2 / t1:.2f}×** | {two / t2:.2f}×"
    else:
        ref = "– | – | – | –"
    print(f"| {label} | {batch} | {c1} | {c2} | **{two / one:.2f}×** | {c3} | {ref} |")
print()
print("samples/s, median over rounds (min–max).")
PY
} | tee "$OUT/report.md"
