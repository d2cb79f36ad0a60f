#!/usr/bin/env bash
# experiments/fashion_mnist_shift/run.sh — the Fashion-MNIST shift experiment of issue 4.
#
#   1. pretrain an MLP 784-256-256-256-5 on classes 0–4 (configs/pretrain.yaml, seed 0; skipped if done);
#   2. adapt it to classes 5–9 with each arm in configs/ (full fine-tuning, head only, LoRA, LoRA-XS,
#      LoRA-SB, SVFit): a learning-rate grid on seed 1, then seeds 2 and 3 at each arm's best rate;
#   3. write results.md from every run's summary.json (tables.py).
#
# Usage: experiments/fashion_mnist_shift/run.sh [ARM ...]     (default: every arm)
# Environment: LRS="1e-3 3e-3 1e-2" (the grid), SEEDS="2 3" (the repeats), THREADS=1 (intra-op threads per run).
# Every run is one `lrt train` process, so its summary.json's peak memory is its own.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lrt_runs.sh
source "$here/../lrt_runs.sh"
out="experiments/fashion_mnist_shift/runs"
threads="${THREADS:-1}"
read -r -a lrs <<< "${LRS:-1e-3 3e-3 1e-2}"
read -r -a seeds <<< "${SEEDS:-2 3}"
arms=("$@")
[ "${#arms[@]}" -gt 0 ] || arms=(full head_only lora lora_xs lora_sb svfit)

if ! done_ok shift_pretrain_classes_0_4; then
    "$lrt" train "$here/configs/pretrain.yaml" "train.num_threads=$threads"
fi
base="$(latest shift_pretrain_classes_0_4)"
echo "pretrained base: $base"

train() { # arm lr seed
    local name="shift_$1_lr$2_s$3"
    done_ok "$name" && return 0
    echo "== $name"
    "$lrt" train "$here/configs/$1.yaml" "model.pretrained=$base" "train.learning_rate=$2" "train.seed=$3" \
        "train.num_threads=$threads" "train.run_name=$name" | tail -n 1
}

for arm in "${arms[@]}"; do
    for lr in "${lrs[@]}"; do train "$arm" "$lr" 1; done
done
for arm in "${arms[@]}"; do
    best="$(python3 "$here/tables.py" --best-lr "$arm" "$out")"
    for seed in "${seeds[@]}"; do train "$arm" "$best" "$seed"; done
done
python3 "$here/tables.py" "$out" > "$here/results.md"
cat "$here/results.md"
