#!/usr/bin/env bash
# Runs the intrinsic-dimension experiment with `lrt sweep`: the direct-training baseline over the seeds, the
# Fastfood intrinsic sweep over d × seeds, and dense and sparse projections at two d for comparison; each sweep
# writes sweep.md / sweep.csv into runs/<name>-sweep/<timestamp>/, copied to results/ (committed), which
# summarize.py turns into results.md (the tables in README.md).
# Knobs (environment): DS (the d list), SEEDS, EPOCHS, PROJECTIONS and PROJECTION_DS (the comparison),
# LRT_NUM_THREADS (1), LRT (the lrt binary).
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
newest() { find "runs/$1-sweep" -name sweep.csv | sort | tail -1; }
"$LRT" sweep direct.yaml train.num_train_epochs="$EPOCHS" train.seed="$SEEDS"
"$LRT" sweep intrinsic.yaml train.num_train_epochs="$EPOCHS" adapter.d="$DS" train.seed="$SEEDS"
"$LRT" sweep intrinsic.yaml train.run_name=id_fashion_mnist_fc_projections train.num_train_epochs="$EPOCHS" \
    adapter.projection="${PROJECTIONS:-[dense,sparse]}" adapter.d="${PROJECTION_DS:-[100,300]}" train.seed="$SEEDS"
mkdir -p results
cp "$(newest id_fashion_mnist_fc_direct)" results/direct.csv
cp "$(newest id_fashion_mnist_fc)" results/fastfood.csv
cp "$(newest id_fashion_mnist_fc_projections)" results/projections.csv
/usr/bin/python3 "$HERE/summarize.py" results
