#!/usr/bin/env python3
"""Turns results.csv (from run.py) into the README table (mean ± std over seeds) and plot.svg.

Usage: python3 experiments/matryoshka_fashion_mnist/report.py
The table is printed and written into README.md between the <!-- table --> markers. Standard library only.
"""
import csv
import math
import os
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
METHODS = ["MRL", "MRL-E", "FF", "truncation", "truncation+probe"]
RETRIEVAL = ["MRL 1-NN", "MRL-E 1-NN", "FF 1-NN", "truncation 1-NN"]
COLOURS = {"MRL": "#d62728", "MRL-E": "#ff7f0e", "FF": "#1f77b4", "truncation": "#7f7f7f", "truncation+probe": "#2ca02c"}


def load():
    cells = {}
    for name in ("results.csv", "probe.csv"):
        path = os.path.join(HERE, name)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for row in csv.DictReader(f):
                cells.setdefault((row["method"], int(row["dim"])), []).append(100 * float(row["accuracy"]))
    return cells


def stats(values):
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def table(cells, dims, methods):
    lines = ["| d | " + " | ".join(methods) + " |", "|---:|" + "---:|" * len(methods)]
    for d in dims:
        row = []
        for m in methods:
            v = cells.get((m, d))
            row.append("—" if not v else "%.2f ± %.2f" % stats(v))
        lines.append(f"| {d} | " + " | ".join(row) + " |")
    seeds = sorted({len(v) for v in cells.values()})
    lines.append("")
    lines.append(f"Test accuracy (%), mean ± sample std over {'/'.join(map(str, seeds))} seeds.")
    return "\n".join(lines)



def svg(cells, dims, methods):
    w, h, left, right, top, bottom = 640, 400, 60, 150, 20, 50
    xs = {d: left + (w - left - right) * i / (len(dims) - 1) for i, d in enumerate(dims)}
    lo = 0.0
    hi = 100.0

    def y(v):
        return top + (h - top - bottom) * (1 - (v - lo) / (hi - lo))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>']
    for t in range(0, 101, 10):
        out.append(f'<line x1="{left}" y1="{y(t):.1f}" x2="{w - right}" y2="{y(t):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t}</text>')
    for d in dims:
        out.append(f'<text x="{xs[d]:.1f}" y="{h - bottom + 18}" text-anchor="middle">{d}</text>')
    out.append(f'<text x="{(left + w - right) / 2:.1f}" y="{h - 10}" text-anchor="middle">representation size d (log scale)</text>')
    out.append(f'<text x="15" y="{(top + h - bottom) / 2:.1f}" text-anchor="middle" transform="rotate(-90 15 {(top + h - bottom) / 2:.1f})">test accuracy (%)</text>')
    out.append(f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>')
    for i, m in enumerate(methods):
        pts = [(d, stats(cells[(m, d)])) for d in dims if cells.get((m, d))]
        if not pts:
            continue
        c = COLOURS[m]
        path = " ".join(f"{'M' if j == 0 else 'L'}{xs[d]:.1f},{y(mu):.1f}" for j, (d, (mu, _)) in enumerate(pts))
        dash = ' stroke-dasharray="5,3"' if m.startswith("truncation") else ""
        out.append(f'<path d="{path}" fill="none" stroke="{c}" stroke-width="2"{dash}/>')
        for d, (mu, sd) in pts:
            out.append(f'<line x1="{xs[d]:.1f}" y1="{y(mu - sd):.1f}" x2="{xs[d]:.1f}" y2="{y(mu + sd):.1f}" stroke="{c}"/>')
            out.append(f'<circle cx="{xs[d]:.1f}" cy="{y(mu):.1f}" r="3" fill="{c}"/>')
        ly = top + 10 + 20 * i
        out.append(f'<line x1="{w - right + 10}" y1="{ly}" x2="{w - right + 35}" y2="{ly}" stroke="{c}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{w - right + 40}" y="{ly + 4}">{m}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    cells = load()
    dims = sorted({d for _, d in cells})
    methods = [m for m in METHODS if any(k[0] == m for k in cells)]
    text = table(cells, dims, methods)
    retrieval = [m for m in RETRIEVAL if any(k[0] == m for k in cells)]
    if retrieval:
        text += ("\n\n1-NN retrieval on the prefixes z[:d] (test images against the first 10,000 training images, L2; "
                 "accuracy % of the neighbour's label, mean ± std over seeds):\n\n" + table(cells, dims, retrieval).rsplit("\n\n", 1)[0])
    print(text)
    with open(os.path.join(HERE, "plot.svg"), "w") as f:
        f.write(svg(cells, dims, methods))
    readme = os.path.join(HERE, "README.md")
    if os.path.exists(readme):
        with open(readme) as f:
            body = f.read()
        start, end = "<!-- table -->", "<!-- /table -->"
        if start in body and end in body:
            body = body[: body.index(start) + len(start)] + "\n" + text + "\n" + body[body.index(end):]
            with open(readme, "w") as f:
                f.write(body)


if __name__ == "__main__":
    main()
