#!/usr/bin/env bash
# tools/run.sh — the README's main command: set-up (tools/setup.sh), then `lrt` with the given
# arguments. Default: `lrt train configs/quickstart.yaml`, an MLP on Debian's Fashion-MNIST that
# reaches >= 85% test accuracy in about a minute on 2 cores, writing runs/quickstart/<timestamp>/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/tools/setup.sh"
[ "$#" -gt 0 ] || set -- train configs/quickstart.yaml
exec dotnet run --project src/LowRankTrainer.Cli -c Release -- "$@"
