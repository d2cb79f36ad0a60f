#!/usr/bin/env bash
# tools/test.sh — the README's test command: set-up (tools/setup.sh), then every test project in
# LowRankTrainer.sln. Ends with the totals on a line of their own: "N passed, N failed, N skipped".
# Tests that need CUDA skip with their reason printed when no GPU is present.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/tools/setup.sh" || exit 1

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
# Console (detailed: skipped tests print their reason) plus one TRX file per test assembly, whose
# <Counters .../> element the totals are read from (console summaries interleave across assemblies);
# a skipped test is counted in "total" but not in "executed".
dotnet test LowRankTrainer.sln -c Release --logger "console;verbosity=detailed" \
    --logger trx --results-directory "$results" "$@"
status=$?

read -r passed failed skipped < <(cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk '
    function attr(name,   m) { if (match($0, name "=\"[0-9]+\"")) { m = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", m); return m + 0 } return 0 }
    { p += attr("passed"); f += attr("failed") + attr("error") + attr("timeout") + attr("aborted"); s += attr("total") - attr("executed") }
    END { printf "%d %d %d\n", p, f, s }')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1   # the build or the runner failed before any test could report
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
