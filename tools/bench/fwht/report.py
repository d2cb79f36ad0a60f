#!/usr/bin/env python3
"""Markdown table for tools/bench/fwht.sh: per log2 n, the median over rounds of each figure."""
import statistics
import sys

facts, logs = sys.argv[1], sys.argv[2:]
rounds = []
for path in logs:
    values = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                try:
                    values[parts[0]] = float(parts[1])
                except ValueError:
                    pass
    rounds.append(values)


def med(key):
    vals = [r[key] for r in rounds if key in r]
    return statistics.median(vals) if vals else float("nan")


sizes = sorted({int(k[1:].split("_")[0]) for r in rounds for k in r if k.startswith("k") and k.endswith("_fwht_ms")})
print(open(facts).read().rstrip())
print()
print("| n | FWHT ms | FWHT GB/s (2·n·4 B per call) | copy GB/s (bound) | add GB/s | FWHT ÷ bound | log₂ n passes would give |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for k in sizes:
    n = 1 << k
    print(f"| 2^{k} = {n:,} | {med(f'k{k}_fwht_ms'):.4f} | {med(f'k{k}_fwht_gbs'):.2f} | {med(f'k{k}_copy_gbs'):.2f} | "
          f"{med(f'k{k}_add_gbs'):.2f} | {med(f'k{k}_ratio'):.3f} | {1 / k:.3f} |")
print()
print("| intrinsic subspace, FC 784-200-200-10, batch 128 | ms |")
print("|---|---:|")
print(f"| Fastfood P·θ forward + backward (D = 199,210 → LL = 2^18, d = 1000) | {med('fastfood_fwd_bwd_ms'):.2f} |")
print(f"| training step, direct (199,210 parameters) | {med('direct_step_ms'):.2f} |")
print(f"| training step, intrinsic d = 1000 (Fastfood) | {med('intrinsic_d1000_step_ms'):.2f} |")
print(f"| ratio intrinsic ÷ direct | {med('intrinsic_d1000_step_ms') / med('direct_step_ms'):.1f} |")
