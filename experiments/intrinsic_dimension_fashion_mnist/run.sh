#!/usr/bin/env bash
# Runs the intrinsic-dimension experiment with `lrt sweep`: the Fastfood intrinsic sweep over d × seeds and
# the direct-training baseline over the same seeds; each sweep writes sweep.md / sweep.csv into
# runs/<name>-sweep/<timestamp>/, which summarize.py turns into README.md's table.
# Knobs (environment): DS (the d list), SEEDS, EPOCHS, LRT_NUM_THREADS (1), LRT (the lrt binary).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DS="${DS:-[50,100,200,500,1000,2000]}"
SEEDS="${SEEDS:-[1,2,3]}"
EPOCHS="${EPOCHS:-1}"
export LRT_NUM_THREADS="${LRT_NUM_THREADS:-1}"
LRT="${LRT:-$ROOT/src/LowRankTrainer.Cli/bin/Release/net10.0/lrt}"   # LRT=/path/to/lrt: a copy, so rebuilding meanwhile is safe
[[ -x "$LRT" ]] || dotnet build "$ROOT/src/LowRankTrainer.Cli" -c Release --nologo -v quiet
cd "$HERE"
"$LRT" sweep direct.yaml train.num_train_epochs="$EPOCHS" train.seed="$SEEDS"
"$LRT" sweep intrinsic.yaml train.num_train_epochs="$EPOCHS" adapter.d="$DS" train.seed="$SEEDS"
/usr/bin/python3 "$HERE/summarize.py" "$HERE/runs"
