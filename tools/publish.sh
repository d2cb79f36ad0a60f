#!/usr/bin/env bash
# tools/publish.sh — a self-contained linux-x64 `lrt` for machines without .NET (the CUDA machine: issue #9), packed as
# artifacts/publish/lrt-linux-x64.tar.gz, then smoke-tested from the unpacked folder with this machine's shim.
#
# The publish is trimmed in partial mode: the .NET libraries are trimmed, lrt's own assemblies are kept whole. The
# trimmer's analysis warnings are about reflection-based System.Text.Json, which lrt uses for its JSON files
# (summary.json, trainer_state.json, adapter_config.json, tokenizer.json, ...), so reflection serialization is switched
# back on and the warnings are silenced. The smoke test below is what vouches for that choice: it runs every verb that
# reads or writes those files from the published binary. The .NET globalization data is left out (lrt formats
# everything with the invariant culture), so the target needs no libicu.
#
# The tarball holds no shim: build it on the target against its libtorch (tools/build_shim.sh, which finds a pip
# PyTorch through python3) and point LRT_TORCHSHIM at it, or put libtorchshim.so beside `lrt`.
#
# Usage: tools/publish.sh            Knob: PUBLISH_MAX_MIB (30: the size limit of the tarball)
# Needs: dotnet (with the linux-x64 runtime pack), the shim from tools/setup.sh, Fashion-MNIST and the Brown corpus
# (tools/setup.sh) for the smoke runs. About 2 min.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/artifacts/publish"
app="$out/lrt-linux-x64"
tarball="$out/lrt-linux-x64.tar.gz"
max_mib="${PUBLISH_MAX_MIB:-30}"
die() { echo "publish: $*" >&2; exit 1; }

shim="$root/artifacts/native/libtorchshim.so"
[ -f "$shim" ] || die "no $shim: run tools/setup.sh first (the smoke test needs a shim)"
rm -rf "$out"
mkdir -p "$out"
# The trimmer caches its output under obj/: a stale cache from another set of switches would be reused silently.
rm -rf "$root/src/LowRankTrainer.Cli/obj/Release/net10.0/linux-x64"
echo "publish: dotnet publish (self-contained linux-x64, trimmed partially)"
dotnet publish "$root/src/LowRankTrainer.Cli/LowRankTrainer.Cli.csproj" -c Release -r linux-x64 --self-contained --nologo -v quiet \
    -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true \
    -p:JsonSerializerIsReflectionEnabledByDefault=true -p:InvariantGlobalization=true \
    -o "$app" >"$out/publish.log" 2>&1 || { cat "$out/publish.log" >&2; die "dotnet publish failed"; }
rm -f "$app"/*.pdb
tar czf "$tarball" -C "$out" "$(basename "$app")"
bytes=$(stat -c %s "$tarball")
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "publish: $tarball: $mib MiB ($(du -sh "$app" | cut -f1) unpacked)"
awk -v b="$bytes" -v m="$max_mib" 'BEGIN { exit !(b <= m * 1048576) }' || die "the tarball is $mib MiB, over the $max_mib MiB limit"

# Smoke test: the unpacked binary, this machine's shim, every verb that touches lrt's JSON files.
smoke="$out/smoke"
mkdir -p "$smoke"
export LRT_TORCHSHIM="$shim" LRT_NUM_THREADS="${LRT_NUM_THREADS:-2}"
lrt="$(mktemp -d)/lrt-linux-x64"
tar xzf "$tarball" -C "$(dirname "$lrt")"
run() {
    echo "publish: smoke: lrt $*"
    # From the repository root: shipped configs name some files relative to it (a tokenizer, a pretrained base).
    (cd "$root" && "$lrt/lrt" "$@") >>"$smoke/smoke.log" 2>&1 || { tail -30 "$smoke/smoke.log" >&2; die "smoke test failed: lrt $*"; }
}
run --version
run info
for config in "$root"/configs/quickstart.yaml "$root"/configs/methods/*.yaml "$root"/configs/recipes/*/*.yaml; do
    run validate "$config"
done
lora=(train "$root/configs/methods/lora.yaml" "train.output_dir=$smoke/runs" data.max_samples=2000 data.max_eval_samples=500
      eval.eval_strategy=steps eval.eval_steps=20 checkpoint.save_strategy=steps checkpoint.save_steps=20)
run "${lora[@]}" train.max_steps=20
run "${lora[@]}" train.max_steps=40 --resume auto
lora_run="$(ls -d "$smoke"/runs/fashion_mnist_mlp_lora/*/ | tail -1)"
run eval "$lora_run"
run merge "$lora_run"
run inspect "$lora_run/final"
run ls runs "$smoke/runs"
run train "$root/configs/recipes/brown_pairs/bert_matryoshka_2d.yaml" "train.output_dir=$smoke/runs" train.max_steps=3 eval.eval_strategy=no
run train --nproc 2 "$root/configs/quickstart.yaml" "train.output_dir=$smoke/runs" train.max_steps=10 data.max_samples=1000 eval.eval_strategy=no
rm -rf "$(dirname "$lrt")"
echo "publish: ok ($tarball, $mib MiB; smoke log: $smoke/smoke.log)"
