#!/usr/bin/env python3
"""Runs the Matryoshka experiment (MRL, MRL-E, FF per size, truncation of a standard model) over seeds.

Usage (from the repository root, after `dotnet build -c Release`):
    python3 experiments/matryoshka_fashion_mnist/run.py [--seeds 1 2 3] [--epochs 2]
Each run is `lrt train <config> train.seed=S train.run_name=...`; a run whose summary.json already says
success is skipped, so the script can be resumed. Results go to results.csv (one row per run and size);
report.py turns them into the README table and plot.svg. Standard library only.
"""
import argparse
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import lrt_runs  # noqa: E402  (experiments/lrt_runs.py)
ROOT = os.path.dirname(os.path.dirname(HERE))
SIZES = [2, 4, 8, 16, 32, 64]
OUT = os.path.join(ROOT, "runs", "matryoshka_fashion_mnist")


def train(config, run_name, seed, epochs, extra=()):
    return lrt_runs.train(OUT, os.path.join(HERE, config), run_name,
                          [f"train.seed={seed}", f"train.num_train_epochs={epochs}", *extra])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--epochs", type=float, default=2)
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        for method, config in (("MRL", "mrl.yaml"), ("MRL-E", "mrl_e.yaml"), ("truncation", "truncation.yaml")):
            s = train(config, f"{config[:-5]}_s{seed}", seed, args.epochs)
            for m in SIZES:
                rows.append({"method": method, "seed": seed, "dim": m, "accuracy": s["eval_accuracy_by_dim"][str(m)],
                             "train_runtime": s["train_runtime"]})
        for m in SIZES:
            s = train("ff.yaml", f"ff{m}_s{seed}", seed, args.epochs, [f"model.hidden_sizes=[256,{m}]"])
            rows.append({"method": "FF", "seed": seed, "dim": m, "accuracy": s["eval_accuracy"], "train_runtime": s["train_runtime"]})
    with open(os.path.join(HERE, "results.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["method", "seed", "dim", "accuracy", "train_runtime"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to results.csv")


if __name__ == "__main__":
    main()
