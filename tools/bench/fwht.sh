#!/usr/bin/env bash
# fwht.sh — the native fast Walsh–Hadamard transform (Tensor.Fwht_, src/native/shim_fwht.cpp) against the
# memory-bandwidth bound measured side by side in the same process: a copy of the same n floats (one read
# and one write, the least an in-place transform must move) and a STREAM-style add, for n = 2^12 … 2^22,
# float32, one intra-op thread; then the Fastfood projection P·θ (D = 199,210, d = 1000) forward+backward
# and one training step of the FC 784-200-200-10 net in its intrinsic subspace next to direct training.
# Prints a Markdown table (see BENCHMARKS.md, "FWHT").
#
# Usage: tools/bench/fwht.sh
# Knobs (environment): BENCH_ROUNDS (3; the table shows the median over rounds), BENCH_BATCHES (7 timed
# batches of ~50 ms per figure), BENCH_SIZES (12,14,16,18,20,22: log2 n).
# Needs: dotnet and the shim from tools/setup.sh. No network. ~1 min on 2 cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/bench/fwht"
OUT="$HERE/build"
ROUNDS="${BENCH_ROUNDS:-3}"
BATCHES="${BENCH_BATCHES:-7}"
SIZES="${BENCH_SIZES:-12,14,16,18,20,22}"

SCRIPT=fwht.sh
# shellcheck source=tools/bench/common.sh
source "$ROOT/tools/bench/common.sh"
bench_find_shim
mkdir -p "$OUT"
bench_build_csharp "$HERE/Fwht.csproj" "$OUT"

rm -f "$OUT"/r*.log
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
START=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
    echo "round $r..." >&2
    dotnet "$CS_DLL" "$BATCHES" "$SIZES" >"$OUT/r$r.log"
done
ELAPSED=$(($(date +%s) - START))

{
    bench_facts_header "$LOAD_START"
    echo "- method: $ROUNDS round(s), $BATCHES timed batches of ~50 ms per figure (median), one intra-op thread; measured in ${ELAPSED}s"
    echo
} >"$OUT/facts.md"
"$PY" "$HERE/report.py" "$OUT/facts.md" "$OUT"/r*.log
