#!/usr/bin/env bash
# tools/fuzz.sh [CASES] — the fuzz tests' long manual mode (issue #10): every fuzz target (shipped configs,
# safetensors, IDX, text JSONL/CSV) with CASES seeded cases each (default 20000; CI runs 300 through
# tools/test.sh). Seeds are 0 … CASES-1, so a failure printed here replays on its own with
# LRT_FUZZ_SEED=<seed> and the dotnet test line it shows. Prints each target's outcome tally and its time.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/tools/setup.sh" || exit 1
cases="${1:-20000}"
start=$SECONDS
LRT_FUZZ_CASES="$cases" dotnet test tests/LowRankTrainer.Tests -c Release \
    --filter "FullyQualifiedName~LowRankTrainer.Tests.Fuzz" --logger "console;verbosity=detailed"
status=$?
echo "fuzz: $cases cases per target in $((SECONDS - start)) s (exit $status)"
exit "$status"
