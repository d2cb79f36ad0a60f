#!/usr/bin/env bash
# experiments/fashion_mnist_shift/timing.sh — step times of the shift experiment's arms, measured side by side:
# ROUNDS (default 3) interleaved rounds of every arm at its best learning rate (from run.sh's grid), each run
# STEPS (default 400) optimizer steps on one intra-op thread. Run it on a quiet machine after run.sh; tables.py
# then takes each arm's step time as the median over rounds (and says so). Memory comes from run.sh's runs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
lrt="$root/src/LowRankTrainer.Cli/bin/Release/net10.0/lrt"
out="experiments/fashion_mnist_shift/runs"
base="$(ls -d "$out/shift_pretrain_classes_0_4"/*/ | sort | tail -n 1)"
arms=(full head_only lora lora_xs lora_sb svfit)
for round in $(seq 1 "${ROUNDS:-3}"); do
    for arm in "${arms[@]}"; do
        lr="$(python3 "$here/tables.py" --best-lr "$arm" "$out")"
        "$lrt" train "$here/configs/$arm.yaml" "model.pretrained=$base" "train.learning_rate=$lr" "train.seed=1" \
            "train.num_threads=1" "train.max_steps=${STEPS:-400}" "eval.eval_strategy=no" \
            "train.run_name=timing_${arm}_r${round}" | tail -n 1
    done
done
python3 "$here/tables.py" "$out" > "$here/results.md"
cat "$here/results.md"
