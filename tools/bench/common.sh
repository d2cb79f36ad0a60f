# tools/bench/common.sh — sourced by the benchmark scripts: finds the shim, checks the reference
# interpreter, builds a C# leg, and pins every leg to one intra-op thread.
# The caller sets ROOT (repository root) and SCRIPT (its own name, for messages) first.

PY=/usr/bin/python3   # Debian's interpreter with python3-torch (a pyenv python3 on PATH has no torch)

die() { echo "$SCRIPT: $*" >&2; exit 1; }

# The shim: the repository's build first, then $LRT_TORCHSHIM. Sets SHIM.
bench_find_shim() {
    if [[ -f "$ROOT/artifacts/native/libtorchshim.so" ]]; then
        SHIM="$ROOT/artifacts/native/libtorchshim.so"
    elif [[ -n "${LRT_TORCHSHIM:-}" && -f "${LRT_TORCHSHIM}" ]]; then
        SHIM="$(cd "$(dirname "$LRT_TORCHSHIM")" && pwd)/$(basename "$LRT_TORCHSHIM")"
    else
        die "libtorchshim.so not found: run tools/setup.sh (builds $ROOT/artifacts/native/libtorchshim.so) or set LRT_TORCHSHIM=/path/to/libtorchshim.so"
    fi
    command -v dotnet >/dev/null || die "dotnet not found (tools/setup.sh installs the SDK)"
    [[ -x "$PY" ]] && "$PY" -c "import torch" 2>/dev/null || die "$PY cannot import torch: apt-get install python3-torch"
    # One intra-op thread everywhere (each leg also sets it explicitly).
    export LRT_TORCHSHIM="$SHIM" LRT_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

# bench_build_csharp PROJECT.csproj OUTDIR — Release build (incremental); sets CS_DLL.
bench_build_csharp() {
    local project="$1" out="$2" name
    name="$(basename "$project" .csproj)"
    echo "building the C# leg (dotnet build -c Release)..." >&2
    dotnet build "$project" -c Release --nologo -v quiet >"$out/dotnet-build.log" 2>&1 \
        || { cat "$out/dotnet-build.log" >&2; die "dotnet build failed"; }
    CS_DLL="$(dirname "$project")/bin/Release/net10.0/$name.dll"
    [[ -f "$CS_DLL" ]] || die "build produced no $CS_DLL"
}

# The facts lines every report starts with: date and commit, then the CPU and the load average at the start ($1) and
# now; $2 (optional) is inserted before "now" (e.g. "at the end of the main rounds 1.2 1.0 0.9, ").
bench_facts_header() {
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(getconf _NPROCESSORS_ONLN) cores online; load average (1/5/15 min) at start $1, ${2:-}at the end $(cut -d' ' -f1-3 /proc/loadavg)"
}
