#!/usr/bin/env bash
# tools/test.sh — the README's test command: set-up (tools/setup.sh), then every test project in
# LowRankTrainer.sln. Ends with the totals on a line of their own: "N passed, N failed, N skipped".
# Tests that need CUDA skip with their reason printed when no GPU is present.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/tools/setup.sh" || exit 1

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet test LowRankTrainer.sln -c Release --logger "console;verbosity=detailed" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# One summary line per test assembly, e.g. "Passed!  - Failed:     0, Passed:    42, Skipped:     1, Total: ..."
read -r passed failed skipped < <(awk '
    /(Passed|Failed)! +- Failed: / {
        for (i = 1; i <= NF; i++) {
            if ($i == "Failed:")  { f += $(i+1) }
            if ($i == "Passed:")  { p += $(i+1) }
            if ($i == "Skipped:") { s += $(i+1) }
        }
    }
    END { printf "%d %d %d\n", p, f, s }' "$log")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1   # the build or the runner failed before any test could report
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
