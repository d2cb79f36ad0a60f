#!/usr/bin/env bash
# tools/run.sh — the README's main command: set-up (tools/setup.sh), then `lrt` with the given
# arguments (default: `lrt info`, which prints what libtorch the shim runs on and checks one op).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/tools/setup.sh"
[ "$#" -gt 0 ] || set -- info
exec dotnet run --project src/LowRankTrainer.Cli -c Release -- "$@"
