#!/usr/bin/env bash
# experiments/gpt2_brown_spam/run.sh — the text experiment of issue 7.
#
#   1. pretrain a GPT-2-style base (4 layers, d = 128) as a causal LM on the Brown corpus (configs/pretrain.yaml,
#      seed 0; skipped if done); its final/ is an HF checkpoint folder (config.json, model.safetensors, tokenizer.json);
#   2. fine-tune it for SpamAssassin spam/ham classification with each arm in configs/ (full fine-tuning, head only,
#      LoRA, LoRA-XS, LoRA-SB, SVFit, RandLoRA, LoTR, intrinsic SAID), one epoch, seed 1, each arm's lr in its config;
#   3. write results.md from every run's summary.json (tables.py).
#
# Usage: experiments/gpt2_brown_spam/run.sh [ARM ...]     (default: every arm)
# Environment: SEEDS="1" (the seeds), THREADS=2 (intra-op threads per run).
# Every run is one `lrt train` process, so its summary.json's peak memory is its own.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lrt_runs.sh
source "$here/../lrt_runs.sh"
out="experiments/gpt2_brown_spam/runs"
threads="${THREADS:-2}"
read -r -a seeds <<< "${SEEDS:-1}"
arms=("$@")
[ "${#arms[@]}" -gt 0 ] || arms=(full head_only lora lora_xs lora_sb svfit randlora lotr intrinsic)

if ! done_ok gpt2_brown_pretrain; then
    "$lrt" train "$here/configs/pretrain.yaml" "train.num_threads=$threads"
fi
base="$(latest gpt2_brown_pretrain)"
echo "pretrained base: $base"

for arm in "${arms[@]}"; do
    for seed in "${seeds[@]}"; do
        name="spam_${arm}_s${seed}"
        done_ok "$name" && continue
        echo "== $name"
        "$lrt" train "$here/configs/$arm.yaml" "model.pretrained=$base" "train.seed=$seed" \
            "train.num_threads=$threads" "train.run_name=$name" | tail -n 1
    done
done
python3 "$here/tables.py" "$out" > "$here/results.md"
cat "$here/results.md"
