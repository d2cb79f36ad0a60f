#!/usr/bin/env bash
# tools/gpu/run_suite.sh — runs the WHOLE test suite on a machine without .NET (the remote CUDA machine: pip PyTorch,
# CMake, g++, python3; no network), from the kit tools/gpu/pack_suite.sh made (artifacts/gpu-kit/suite.tar.xz).
# Run it from a checkout of the same commit the kit was packed from.
#
# What it does, and why:
#   1. unpacks the kit into a temporary folder (/tmp);
#   2. builds the shim with tools/build_shim.sh (pip PyTorch found through python3; CUDA when torch has it) — the
#      shim must match the libtorch of this machine, so it is never carried;
#   3. puts the test outputs back where the build leaves them (tests/<project>/bin/Release/net10.0, with the fresh
#      shim beside them) and the data under artifacts/data/: tests find the repository root (LowRankTrainer.sln) and
#      artifacts/ by walking up from their own folder and from the current one. With artifacts/gpu-kit-fmnist/
#      carried, it installs Fashion-MNIST into /usr/share/datasets/fashion-mnist, where the loader looks;
#   4. points DOTNET_ROOT, PATH and DOTNET_HOST_PATH (what the CLI tests start lrt with) at the carried runtime,
#      LRT_TORCHSHIM at the fresh shim, and LRT_TB_PYTHON (the TensorBoard tests' reader) at the kit's
#      python/reader-python: this python3 without site-packages, on the kit's pure-Python protobuf and crcmod;
#   5. runs xUnit's console runner on the three test assemblies as `dotnet test` does: each in its own process
#      (live-handle counts are per process), the three side by side, inside the test's own folder with the test's
#      own runtimeconfig (net10.0, invariant globalization), collection parallelism as each assembly declares it;
#   6. writes to $OUT (default artifacts/gpu-kit-out): run_suite.log (all of this script's output), per assembly
#      <project>.xml (xUnit v2 XML) and <project>.log (the runner's console), and ends with the totals on a line of
#      their own, "N passed, N failed, N skipped", as tools/test.sh does, after each skipped test's reason and each
#      failed test's name.
# The tests stop before the command's 10-minute limit (LRT_SUITE_DEADLINE seconds after the start, default 570) so
# that the logs still come back.
#
# Usage (repository root): OUT=/some/dir bash tools/gpu/run_suite.sh [--install-fmnist-only | --before-tests-only]
#   --install-fmnist-only  install artifacts/gpu-kit-fmnist/ into /usr/share/datasets/fashion-mnist and stop
#   --before-tests-only    set up (kit, shim, runtime), run $LRT_GPU_BEFORE_TESTS (a benchmark) and stop: no tests
# Environment: LRT_GPU_KIT (the archive; default artifacts/gpu-kit/suite.tar.xz), LRT_GPU_SERIAL=1 (one assembly
# after the other), LRT_SUITE_DEADLINE, XUNIT_ARGS (extra runner arguments, e.g. "-class Ns.Class"),
# LRT_GPU_BEFORE_TESTS (a command to run first in the same set-up, e.g. the GPU benchmark with LRT=$LRT_DLL).
set -euo pipefail
start=$SECONDS
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

fmnist_only=0
before_only=0
for arg in "$@"; do
    case "$arg" in
        --install-fmnist-only) fmnist_only=1 ;;
        --before-tests-only) before_only=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "run_suite: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
    esac
done

projects=(LowRankTrainer.Torch.Tests LowRankTrainer.Tests LowRankTrainer.Cli.Tests)
out="${OUT:-$root/artifacts/gpu-kit-out}"   # not under gpu-kit/, which is carried
mkdir -p "$out"
exec > >(tee "$out/run_suite.log") 2>&1

# --- Fashion-MNIST: Debian's files at the loader's fixed default folder, when carried ---
fmnist_dir=/usr/share/datasets/fashion-mnist
fmnist_files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
fmnist_present() { local f; for f in "${fmnist_files[@]}"; do [ -f "$fmnist_dir/$f" ] || return 1; done; }
if ! fmnist_present && [ -f "$root/artifacts/gpu-kit-fmnist/${fmnist_files[0]}" ]; then
    if mkdir -p "$fmnist_dir" 2>/dev/null && cp "${fmnist_files[@]/#/$root/artifacts/gpu-kit-fmnist/}" "$fmnist_dir/"; then
        echo "run_suite: installed Fashion-MNIST into $fmnist_dir"
    else
        echo "run_suite: could not write $fmnist_dir (not root?)"
    fi
fi
if [ "$fmnist_only" -eq 1 ]; then
    fmnist_present && { echo "run_suite: Fashion-MNIST is in $fmnist_dir"; exit 0; }
    echo "run_suite: Fashion-MNIST is not in $fmnist_dir (carry artifacts/gpu-kit-fmnist, made by pack_suite.sh --fmnist)"; exit 1
fi

# --- 1. the kit ---
archive="${LRT_GPU_KIT:-$root/artifacts/gpu-kit/suite.tar.xz}"
[ -f "$archive" ] || { echo "run_suite: no kit at $archive: run tools/gpu/pack_suite.sh where .NET is, and carry artifacts/gpu-kit"; exit 1; }
kit="$(mktemp -d /tmp/lrt-gpu-kit.XXXXXX)"
trap 'rm -rf "$kit"' EXIT
tar -xJf "$archive" -C "$kit"
echo "run_suite: kit $archive unpacked into $kit ($((SECONDS - start)) s)"
sed 's/^/  /' "$kit/KIT_INFO"
echo "  here: $(git rev-parse --short HEAD 2>/dev/null || echo 'no git')"

# --- 2. the shim, for this machine's libtorch ---
echo "run_suite: python3 $(python3 -c 'import sys, torch; print(sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null || echo '(no torch)')"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/  gpu: /'
"$root/tools/build_shim.sh"
shim="$root/artifacts/native/libtorchshim.so"
echo "run_suite: shim built ($((SECONDS - start)) s)"

# --- 3. test outputs and data where the tests look for them ---
for p in "${projects[@]}"; do
    bin="$root/tests/$p/bin/Release/net10.0"
    rm -rf "$bin"
    mkdir -p "$(dirname "$bin")"
    cp -a "$kit/tests/$p/bin/Release/net10.0" "$bin"
    cp -p "$shim" "$bin/"
    # The console runner runs inside the test's folder (AppContext.BaseDirectory is the test's, as under vstest's
    # testhost), with the test's runtimeconfig and no deps.json of its own, so that every assembly there is loadable.
    for f in "$kit"/xunit/*.dll; do
        [ -e "$bin/$(basename "$f")" ] || cp -p "$f" "$bin/"
    done
    cp -p "$bin/$p.runtimeconfig.json" "$bin/xunit.console.runtimeconfig.json"
done
mkdir -p "$root/artifacts/data"
for d in "$kit"/artifacts/data/*/; do
    d="$(basename "$d")"
    rm -rf "${root:?}/artifacts/data/$d"
    cp -a "$kit/artifacts/data/$d" "$root/artifacts/data/"
done

# --- 4. the carried runtime, and nothing else ---
export DOTNET_ROOT="$kit/dotnet"
export PATH="$DOTNET_ROOT:$PATH"
export DOTNET_HOST_PATH="$DOTNET_ROOT/dotnet"
export DOTNET_ROLL_FORWARD=Major
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export LRT_TORCHSHIM="$shim"
[ "$(command -v dotnet)" = "$DOTNET_HOST_PATH" ] || { echo "run_suite: dotnet resolves to $(command -v dotnet), not the kit's"; exit 1; }
echo "run_suite: dotnet is $(command -v dotnet); DOTNET_ROOT=$DOTNET_ROOT"
dotnet --list-runtimes | sed 's/^/  /'
# The TensorBoard tests' reference reader (EventFileReader) runs LRT_TB_PYTHON instead of /usr/bin/python3: the kit's
# reader-python, which runs this machine's python3 without its site-packages on the kit's pure-Python protobuf and
# crcmod (this python3 has neither).
export LRT_TB_PYTHON="$kit/python/reader-python"
if [ -x "$LRT_TB_PYTHON" ]; then
    echo "run_suite: TensorBoard reader: $("$LRT_TB_PYTHON" -c 'import sys, crcmod, google.protobuf as pb
from google.protobuf.internal import api_implementation as api
print("python", sys.version.split()[0], "| protobuf", pb.__version__, api.Type(), "| crcmod", "C" if sys.modules["crcmod.crcmod"]._usingExtension else "pure Python")' 2>&1 | tail -n 1)"
else
    echo "run_suite: warning: the kit has no python/reader-python (packed before it was added): the TensorBoard tests fail"
fi
# Tests with a PyTorch reference on the same libtorch (StepMemoryTests: torch_leg.py loads this shim with ctypes) run
# LRT_PYTHON, else /usr/bin/python3 (Debian's python3-torch on CI): here, the python3 whose pip torch the shim was built
# against.
export LRT_PYTHON="${LRT_PYTHON:-$(command -v python3)}"
fmnist_present || echo "run_suite: warning: no Fashion-MNIST in $fmnist_dir: its tests fail (carry artifacts/gpu-kit-fmnist: tools/gpu/README.md)"
command -v node >/dev/null || echo "run_suite: note: node is not on PATH: the JavaScript/HF reference tests skip"

# --- 4b. anything that needs the same set-up first (the GPU benchmark: tools/gpu/README.md) ---
# LRT_GPU_BEFORE_TESTS is a shell command run here, with the carried runtime on PATH, LRT_TORCHSHIM set and LRT_DLL
# naming the CLI tests' framework-dependent lrt.dll; the tests then get what is left before the deadline.
export LRT_DLL="$root/tests/LowRankTrainer.Cli.Tests/bin/Release/net10.0/lrt.dll"
if [ -n "${LRT_GPU_BEFORE_TESTS:-}" ]; then
    echo "run_suite: before the tests: $LRT_GPU_BEFORE_TESTS"
    (cd "$root" && bash -c "$LRT_GPU_BEFORE_TESTS") || echo "run_suite: the command before the tests failed (exit $?)"
    echo "run_suite: back to the tests ($((SECONDS - start)) s)"
fi
if [ "$before_only" -eq 1 ]; then
    echo "run_suite: --before-tests-only: no tests ($((SECONDS - start)) s)"
    exit 0
fi

# --- 5. the three assemblies ---
deadline=$(( start + ${LRT_SUITE_DEADLINE:-570} ))
left=$(( deadline - SECONDS ))
[ "$left" -gt 30 ] || { echo "run_suite: only $left s left for the tests"; exit 1; }
echo "run_suite: running the tests (at most $left s)"
read -r -a extra <<<"${XUNIT_ARGS:-}"
run_one() {
    local p="$1" bin="$root/tests/$1/bin/Release/net10.0" s=$SECONDS rc=0
    (cd "$bin" && timeout --kill-after=10 "$left" dotnet xunit.console.dll "$p.dll" -nologo -nocolor -xml "$out/$p.xml" ${extra[@]+"${extra[@]}"}) \
        >"$out/$p.log" 2>&1 || rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "run_suite: $p stopped at the deadline"; fi
    echo "run_suite: $p finished (exit $rc, $((SECONDS - s)) s): $(grep -E '^\s*'"$p"'\s+Total:' "$out/$p.log" | sed 's/^ *//' || echo 'no summary')"
}
if [ "${LRT_GPU_SERIAL:-0}" = 1 ]; then
    for p in "${projects[@]}"; do run_one "$p"; done
else
    pids=()
    for p in "${projects[@]}"; do run_one "$p" & pids+=($!); done
    wait "${pids[@]}"   # not a bare wait: that would also wait for the tee behind the log (a process substitution)
fi

# --- 6. totals from the XML: skipped reasons, failed names, then the line tools/test.sh prints ---
python3 - "$out" "${projects[@]}" <<'EOF'
import os, sys, xml.etree.ElementTree as ET
out, projects = sys.argv[1], sys.argv[2:]
passed = failed = skipped = 0
skips, fails = [], []
for p in projects:
    path = os.path.join(out, p + ".xml")
    try:
        assemblies = ET.parse(path).getroot().iter("assembly")
    except (OSError, ET.ParseError) as e:
        failed += 1
        fails.append(f"{p}: no results ({e.__class__.__name__}; see {p}.log)")
        continue
    for a in assemblies:
        n = lambda k: int(a.get(k, "0"))
        passed += n("passed"); failed += n("failed") + n("errors"); skipped += n("skipped")
        for err in a.iter("error"):
            msg = (err.findtext("failure/message") or "").strip().splitlines()
            fails.append(f"{p}: error in {err.get('name') or err.get('type')}: {msg[0] if msg else ''}")
        for t in a.iter("test"):
            if t.get("result") == "Skip":
                skips.append(f"{t.get('name')}: {(t.findtext('reason') or '').strip()}")
            elif t.get("result") == "Fail":
                msg = (t.findtext("failure/message") or "").strip().splitlines()
                fails.append(f"{t.get('name')}: {msg[0].replace(chr(92) + 'n', ' | ')[:300] if msg else ''}")
if skips:
    print(f"skipped ({len(skips)}):")
    for s in skips: print("  " + s)
if fails:
    print(f"failed ({len(fails)}):")
    for f in fails: print("  " + f)
    fm = sum("fashion-mnist" in f for f in fails)
    if fm: print(f"  ({fm} of them for want of /usr/share/datasets/fashion-mnist)")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
EOF
