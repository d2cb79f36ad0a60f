#!/usr/bin/env python3
"""Turns the sweeps' tables (RESULTS/direct.csv, fastfood.csv and, if present, projections.csv, as written by
lrt sweep) into results.md: test accuracy vs d (mean ± std over seeds), the direct-training baseline, d_int90
under both conventions of METHODS.md §6.1 — the smallest swept d whose mean accuracy reaches 0.90 absolute
(the convention behind Li et al.'s published MNIST numbers) and 90% of the measured baseline (the paper's
definition) — and the dense / sparse / Fastfood comparison.
Usage: summarize.py RESULTS_DIR"""
import csv
import os
import statistics
import sys


def rows(path):
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if r["status"] == "success"]


def mean_std(values):
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


results = sys.argv[1]
direct_csv = os.path.join(results, "direct.csv")
intrinsic_csv = os.path.join(results, "fastfood.csv")
projections_csv = os.path.join(results, "projections.csv")
base = [float(r["eval_accuracy"]) for r in rows(direct_csv)]
base_mean, base_std = mean_std(base)
by_d = {}
for r in rows(intrinsic_csv):
    by_d.setdefault(int(r["adapter.d"]), []).append(float(r["eval_accuracy"]))

out = ["| d | trainable | seeds | test accuracy (mean ± std) | ≥ 0.90 | ≥ 0.9 × baseline |", "|---:|---:|---:|---|:-:|:-:|"]
threshold_rel = 0.9 * base_mean
d_abs = d_rel = None
for d in sorted(by_d):
    m, s = mean_std(by_d[d])
    if m >= 0.90 and d_abs is None:
        d_abs = d
    if m >= threshold_rel and d_rel is None:
        d_rel = d
    out.append(f"| {d} | {d} | {len(by_d[d])} | {100 * m:.2f} ± {100 * s:.2f} % | {'yes' if m >= 0.90 else 'no'} | {'yes' if m >= threshold_rel else 'no'} |")
out.append(f"| direct (D = 199,210) | 199,210 | {len(base)} | {100 * base_mean:.2f} ± {100 * base_std:.2f} % | {'yes' if base_mean >= 0.90 else 'no'} | — |")
out.append("")
out.append(f"- d_int90, 0.90 absolute: {d_abs if d_abs is not None else f'not reached within d ≤ {max(by_d)}'}")
out.append(f"- d_int90, 90% of the measured baseline ({100 * base_mean:.2f} % → threshold {100 * threshold_rel:.2f} %): "
           f"{d_rel if d_rel is not None else f'not reached within d ≤ {max(by_d)}'}")
means = [statistics.mean(by_d[d]) for d in sorted(by_d)]
rising = all(b > a for a, b in zip(means, means[1:]))
out.append(f"- mean accuracy rises strictly with d: {'yes' if rising else 'no'}")
out.append(f"- sources: `{os.path.relpath(intrinsic_csv)}`, `{os.path.relpath(direct_csv)}`")
if os.path.exists(projections_csv):
    acc = {}
    for r in rows(projections_csv):
        acc.setdefault((r["adapter.projection"], int(r["adapter.d"])), []).append(float(r["eval_accuracy"]))
    for d in by_d:
        acc[("fastfood", d)] = by_d[d]
    ds = sorted({d for (_, d) in acc if any(p != "fastfood" and dd == d for (p, dd) in acc)})
    out.append("")
    out.append("| projection | " + " | ".join(f"d = {d}" for d in ds) + " |")
    out.append("|---|" + "---|" * len(ds))
    for p in ["fastfood", "dense", "sparse"]:
        cells = []
        for d in ds:
            if (p, d) in acc:
                m, s = mean_std(acc[(p, d)])
                cells.append(f"{100 * m:.2f} ± {100 * s:.2f} % ({len(acc[(p, d)])})")
            else:
                cells.append("—")
        out.append(f"| {p} | " + " | ".join(cells) + " |")
    out.append("")
    out.append(f"- source: `{os.path.relpath(projections_csv)}` (mean ± std over seeds, number of seeds in brackets)")
text = "\n".join(out) + "\n"
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.md"), "w") as f:
    f.write(text)
print(text)
