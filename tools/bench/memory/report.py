"""report.py — the Markdown report of tools/bench/memory.sh.

Usage: report.py FACTS_FILE (MODEL DTYPE LRT_LOG TORCH_LOG LRT_FUSED_LOG)...
Each log holds "name value" lines, step{k}_peak_bytes and step{k}_after_bytes per step. A row's peak is the largest
over steps 2..N (step 1's includes building the model, reported apart); "held after a step" is the last step's.
s/step is each lrt run's summary train_step_seconds (forward, backward, optimizer; the mean over its steps, step 1
included), the two legs one after the other in this run.
"""
import sys

MIB = 2 ** 20


def read(path):
    values = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0].endswith("_bytes"):
                values[parts[0]] = int(parts[1])
            elif len(parts) == 2 and parts[0] == "train_step_seconds":
                values[parts[0]] = float(parts[1])
    return values


def steady(values, kind):
    steps = sorted(int(k[4:].split("_")[0]) for k in values if k.endswith(f"_{kind}_bytes"))
    later = [values[f"step{s}_{kind}_bytes"] for s in steps if s > 1]
    return (max(later) if kind == "peak" else later[-1]), values[f"step1_{kind}_bytes"]


def main():
    facts, rest = sys.argv[1], sys.argv[2:]
    with open(facts) as f:
        print(f.read().rstrip())
    print()
    print("| model | dtype | lrt peak MiB | PyTorch peak MiB | lrt / PyTorch | Δ bytes | held after a step, lrt / PyTorch MiB | step 1 peak (with build), lrt / PyTorch MiB | lrt fused-loss peak MiB | fused / PyTorch | lrt s/step, unfused → fused |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    worst = 0.0
    for i in range(0, len(rest), 5):
        model, dtype, lrt_log, torch_log, fused_log = rest[i:i + 5]
        lrt, torch, fused = read(lrt_log), read(torch_log), read(fused_log)
        fp = steady(fused, "peak")[0]
        (lp, l1), (tp, t1) = steady(lrt, "peak"), steady(torch, "peak")
        la, ta = steady(lrt, "after")[0], steady(torch, "after")[0]
        worst = max(worst, lp / tp)
        print(f"| {model} | {dtype} | {lp / MIB:,.2f} | {tp / MIB:,.2f} | **{lp / tp:.5f}** | {lp - tp:+,} | {la / MIB:,.2f} / {ta / MIB:,.2f} | {l1 / MIB:,.2f} / {t1 / MIB:,.2f} | {fp / MIB:,.2f} | **{fp / tp:.3f}** | {lrt.get('train_step_seconds', float('nan')):.2f} → {fused.get('train_step_seconds', float('nan')):.2f} |")
    print()
    print(f"Largest ratio: {worst:.5f} (target ≤ 1.0 up to lrt's batch copy: its loader copies each batch's inputs and targets, where the Python loop slices its pool).")


if __name__ == "__main__":
    main()
