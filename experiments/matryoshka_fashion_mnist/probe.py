#!/usr/bin/env python3
"""Truncation + retrained linear probe: for each seed's standard model (truncation.yaml runs), freeze the
encoder, take z[:, :m] and fit a fresh linear classifier m → 10 on the 60k training images (full-batch
L-BFGS, cross-entropy, 200 iterations), then report test accuracy. Also re-computes the head-sliced accuracy
from the saved weights, which must equal what lrt reported (an independent check of the C# evaluation).

1-NN retrieval on prefixes (METHODS.md §9 item 7): for MRL, MRL-E, the standard model and each FF model,
every test image's z[:m] is matched (L2 distance) against the z[:m] of the first 10,000 training images and
takes that neighbour's label; rows "<method> 1-NN" in probe.csv.

Usage (after run.py): python3 experiments/matryoshka_fashion_mnist/probe.py    → probe.csv
Needs PyTorch (Debian's python3-torch); reads the IDX files and model.safetensors with the standard library.
"""
import csv
import glob
import gzip
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RUNS = os.path.join(ROOT, "runs", "matryoshka_fashion_mnist")
DATA = "/usr/share/datasets/fashion-mnist"
SIZES = [2, 4, 8, 16, 32, 64]
MEAN, STD = 0.2860, 0.3530  # Data/FashionMnist.cs normalisation


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def images(prefix):
    x = idx(os.path.join(DATA, f"{prefix}-images-idx3-ubyte.gz")).float().div(255).sub(MEAN).div(STD)
    return x.reshape(x.shape[0], -1), idx(os.path.join(DATA, f"{prefix}-labels-idx1-ubyte.gz")).long()


def safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info
        a, b = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(body[a:b]), dtype=torch.float32).reshape(info["shape"])
    return out


def latest(run_name):
    paths = sorted(glob.glob(os.path.join(RUNS, run_name, "*", "summary.json")))
    return os.path.dirname(paths[-1]) if paths else None


def encoder(w):
    def encode(x):
        h = torch.relu(x @ w["layers.0.weight"].T + w["layers.0.bias"])
        return torch.relu(h @ w["layers.2.weight"].T + w["layers.2.bias"])
    return encode


def nearest_neighbour(zdb, ydb, zq, yq):
    correct = 0
    for start in range(0, zq.shape[0], 1000):
        q = zq[start:start + 1000]
        correct += (ydb[torch.cdist(q, zdb).argmin(1)] == yq[start:start + 1000]).sum().item()
    return correct / zq.shape[0]


def retrieval_rows(xtr, ytr, xte, yte):
    rows = []
    db, ydb = xtr[:10000], ytr[:10000]
    for method, prefix in (("MRL", "mrl"), ("MRL-E", "mrl_e"), ("truncation", "truncation")):
        for run in sorted(glob.glob(os.path.join(RUNS, prefix + "_s*"))):
            seed = int(run.rsplit("_s", 1)[1])
            encode = encoder(safetensors(os.path.join(latest(os.path.basename(run)), "final", "model.safetensors")))
            with torch.no_grad():
                zdb, zq = encode(db), encode(xte)
            for m in SIZES:
                acc = nearest_neighbour(zdb[:, :m], ydb, zq[:, :m], yte)
                print(f"{method} seed {seed} d {m}: 1-NN {acc:.4f}", flush=True)
                rows.append({"method": method + " 1-NN", "seed": seed, "dim": m, "accuracy": acc})
    for m in SIZES:
        for run in sorted(glob.glob(os.path.join(RUNS, f"ff{m}_s*"))):
            seed = int(run.rsplit("_s", 1)[1])
            encode = encoder(safetensors(os.path.join(latest(os.path.basename(run)), "final", "model.safetensors")))
            with torch.no_grad():
                acc = nearest_neighbour(encode(db), ydb, encode(xte), yte)
            print(f"FF seed {seed} d {m}: 1-NN {acc:.4f}", flush=True)
            rows.append({"method": "FF 1-NN", "seed": seed, "dim": m, "accuracy": acc})
    return rows


def main():
    torch.set_num_threads(2)
    xtr, ytr = images("train")
    xte, yte = images("t10k")
    rows = retrieval_rows(xtr, ytr, xte, yte)
    for run in sorted(glob.glob(os.path.join(RUNS, "truncation_s*"))):
        seed = int(run.rsplit("_s", 1)[1])
        folder = latest(os.path.basename(run))
        with open(os.path.join(folder, "summary.json")) as f:
            reported = json.load(f)["eval_accuracy_by_dim"]
        w = safetensors(os.path.join(folder, "final", "model.safetensors"))
        encode = encoder(w)
        with torch.no_grad():
            ztr, zte = encode(xtr), encode(xte)
        head_w, head_b = w["mrl.nesting_classifier_0.weight"], w["mrl.nesting_classifier_0.bias"]
        for m in SIZES:
            with torch.no_grad():
                sliced = ((zte[:, :m] @ head_w[:, :m].T + head_b).argmax(1) == yte).float().mean().item()
            assert abs(sliced - reported[str(m)]) < 2e-4, (seed, m, sliced, reported[str(m)])
            torch.manual_seed(seed)
            probe = torch.nn.Linear(m, 10)
            opt = torch.optim.LBFGS(probe.parameters(), lr=1, max_iter=200, history_size=20, line_search_fn="strong_wolfe")
            feats = ztr[:, :m]

            def closure():
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(probe(feats), ytr)
                loss.backward()
                return loss

            opt.step(closure)
            with torch.no_grad():
                acc = (probe(zte[:, :m]).argmax(1) == yte).float().mean().item()
            print(f"seed {seed} d {m}: head sliced {sliced:.4f} (lrt {reported[str(m)]:.4f}), retrained probe {acc:.4f}", flush=True)
            rows.append({"method": "truncation+probe", "seed": seed, "dim": m, "accuracy": acc})
    with open(os.path.join(HERE, "probe.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["method", "seed", "dim", "accuracy"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
