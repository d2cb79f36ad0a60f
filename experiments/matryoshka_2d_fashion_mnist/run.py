#!/usr/bin/env python3
"""Runs the 2D Matryoshka / Starbucks experiment over seeds and writes results.csv and the README table.

Usage (from the repository root, after `dotnet build -c Release`):
    python3 experiments/matryoshka_2d_fashion_mnist/run.py [--seeds 1 2 3] [--epochs 2]
Methods: MNRL (base loss, full model), MatryoshkaLoss, Matryoshka2dLoss, Starbucks, and "separate": MNRL on a
small model per pair — (layer ℓ, dim d) trained alone as an MLP of ℓ hidden layers whose last has width d.
Every method is scored by nearest-class-centroid accuracy (cosine) on the test split at the Starbucks pairs
(eval_accuracy_by_layer_dim of the final evaluation). A run whose summary.json says success is skipped.
Standard library only.
"""
import argparse
import csv
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import lrt_runs  # noqa: E402  (experiments/lrt_runs.py)
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "runs", "matryoshka_2d_fashion_mnist")
PAIRS = [(1, 8), (2, 16), (3, 32), (4, 64)]
METHODS = [("MNRL", "mnrl.yaml"), ("MatryoshkaLoss", "matryoshka.yaml"), ("Matryoshka2dLoss", "matryoshka_2d.yaml"), ("Starbucks", "starbucks.yaml")]


def train(config, run_name, seed, epochs, extra=()):
    return lrt_runs.train(OUT, os.path.join(HERE, config), run_name,
                          [f"train.seed={seed}", f"train.num_train_epochs={epochs}", "eval.eval_strategy=epoch", *extra])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--epochs", type=float, default=2)
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        for method, config in METHODS:
            s = train(config, f"{config[:-5]}_s{seed}", seed, args.epochs)
            for layer, dim in PAIRS:
                rows.append((method, seed, layer, dim, s["eval_accuracy_by_layer_dim"][f"{layer}:{dim}"], s["train_step_seconds"]))
        for layer, dim in PAIRS:
            hidden = [64] * (layer - 1) + [dim]
            s = train("mnrl.yaml", f"separate_l{layer}_d{dim}_s{seed}", seed, args.epochs,
                      [f"model.hidden_sizes=[{','.join(map(str, hidden))}]"])
            rows.append(("separate", seed, layer, dim, s["eval_accuracy_by_layer_dim"][f"{layer}:{dim}"], s["train_step_seconds"]))
    with open(os.path.join(HERE, "results.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["method", "seed", "layer", "dim", "accuracy", "train_step_seconds"])
        for r in rows:
            w.writerow([r[0], r[1], r[2], r[3], f"{r[4]:.4f}", f"{r[5]:.5f}"])
    print(table(rows))


def table(rows):
    methods = [m for m, _ in METHODS] + ["separate"]
    lines = ["| method | " + " | ".join(f"({l}, {d})" for l, d in PAIRS) + " | s/step |",
             "|---|" + "---:|" * (len(PAIRS) + 1)]
    for m in methods:
        cells = []
        for l, d in PAIRS:
            acc = [r[4] for r in rows if r[0] == m and r[2] == l and r[3] == d]
            sd = statistics.stdev(acc) if len(acc) > 1 else 0.0
            cells.append(f"{100 * statistics.mean(acc):.1f} ± {100 * sd:.1f}")
        steps = [r[5] for r in rows if r[0] == m]
        lines.append(f"| {m} | " + " | ".join(cells) + f" | {statistics.mean(steps):.4f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
