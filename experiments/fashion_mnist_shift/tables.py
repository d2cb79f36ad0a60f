#!/usr/bin/env python3
"""Tables of the Fashion-MNIST shift experiment from each run's summary.json (standard library only).

    tables.py RUNS_DIR               markdown tables on stdout
    tables.py --best-lr ARM RUNS_DIR  the learning rate with the best seed-1 test accuracy for ARM

Run names are shift_<arm>_lr<lr>_s<seed> (run.sh); the newest successful run of each name counts.
"""
import json
import os
import re
import statistics
import sys

ARMS = ["full", "head_only", "lora", "lora_xs", "lora_sb", "svfit"]
LABELS = {"full": "full fine-tuning", "head_only": "head only (linear probe)", "lora": "LoRA r=8 α=16",
          "lora_xs": "LoRA-XS r=8", "lora_sb": "LoRA-SB r=8", "svfit": "SVFit 99% energy"}
NAME = re.compile(r"^shift_(?P<arm>[a-z_]+?)_lr(?P<lr>[0-9.e+-]+)_s(?P<seed>\d+)$")
TIMING = re.compile(r"^timing_(?P<arm>[a-z_]+?)_r(?P<round>\d+)$")


def load(runs_dir, pattern=NAME, key=lambda m: (m["arm"], m["lr"], int(m["seed"]))):
    """{(arm, lr, seed): summary} from the newest successful run folder of each name."""
    found = {}
    for name in sorted(os.listdir(runs_dir)):
        m = pattern.match(name)
        if not m:
            continue
        for stamp in sorted(os.listdir(os.path.join(runs_dir, name)), reverse=True):
            path = os.path.join(runs_dir, name, stamp, "summary.json")
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    s = json.load(f)
                if s["status"] == "success":
                    found[key(m)] = s
                    break
    return found


def best_lr(runs, arm):
    grid = {lr: s["eval_accuracy"] for (a, lr, seed), s in runs.items() if a == arm and seed == 1}
    if not grid:
        raise SystemExit(f"no seed-1 runs of {arm}")
    return max(grid, key=lambda lr: (grid[lr], -float(lr)))


def mean_std(values, scale=1.0, digits=2):
    values = [v * scale for v in values]
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def main(argv):
    if argv[:1] == ["--best-lr"]:
        print(best_lr(load(argv[2]), argv[1]))
        return
    runs = load(argv[0])
    arms = [a for a in ARMS if any(k[0] == a for k in runs)]
    best = {a: best_lr(runs, a) for a in arms}
    pretrain = None
    pre_dir = os.path.join(argv[0], "shift_pretrain_classes_0_4")
    if os.path.isdir(pre_dir):
        stamp = sorted(os.listdir(pre_dir))[-1]
        with open(os.path.join(pre_dir, stamp, "summary.json"), encoding="utf-8") as f:
            pretrain = json.load(f)

    def at_best(arm, key):
        return [s[key] for (a, lr, seed), s in sorted(runs.items()) if a == arm and lr == best[arm]]

    timing = load(argv[0], TIMING, lambda m: (m["arm"], int(m["round"])))

    def step_times(arm):
        """timing.sh's rounds when there are any (median), else the accuracy runs' own step times."""
        rounds = [s["train_step_seconds"] for (a, _), s in sorted(timing.items()) if a == arm]
        return [statistics.median(rounds)] if rounds else at_best(arm, "train_step_seconds")

    full_step = statistics.mean(step_times("full")) if "full" in arms else None
    full_heap = statistics.mean(h - s for h, s in zip(at_best("full", "peak_heap_bytes"), at_best("full", "heap_at_train_start_bytes"))) if "full" in arms else None
    print("## Results\n")
    if timing:
        rounds = max(r for _, r in timing)
        print(f"Step times: median of {rounds} interleaved timing.sh rounds per arm (one thread, seed 1, best lr); "
              "everything else: the accuracy runs.\n")
    if pretrain:
        print(f"Pretrained base (classes 0–4, seed 0): test accuracy {100 * pretrain['eval_accuracy']:.2f} % on classes 0–4.\n")
    print("| method | trainable params | lr | seeds | test accuracy % (classes 5–9) | step ms (range) | step vs full | training memory MiB | memory vs full | peak heap MiB | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for arm in arms:
        acc = at_best(arm, "eval_accuracy")
        step = step_times(arm)
        heap = [h - s for h, s in zip(at_best(arm, "peak_heap_bytes"), at_best(arm, "heap_at_train_start_bytes"))]
        rss = at_best(arm, "peak_rss_bytes")
        peak_heap = at_best(arm, "peak_heap_bytes")
        seeds = sorted(seed for (a, lr, seed) in runs if a == arm and lr == best[arm])
        trainable = at_best(arm, "num_trainable_params")[0]
        total = at_best(arm, "num_total_params")[0]
        step_ratio = f"{statistics.mean(step) / full_step:.2f}×" if full_step else "–"
        rounds = [s["train_step_seconds"] * 1000 for (a, _), s in timing.items() if a == arm]
        step_text = f"{1000 * step[0]:.3f} ({min(rounds):.3f}–{max(rounds):.3f})" if rounds else mean_std(step, 1000, 3)
        heap_ratio = f"{statistics.mean(heap) / full_heap:.2f}×" if full_heap else "–"
        print(f"| {LABELS[arm]} | {trainable:,} ({100 * trainable / total:.2f} %) | {best[arm]} | {','.join(map(str, seeds))} | "
              f"{mean_std(acc, 100)} | {step_text} | {step_ratio} | {mean_std(heap, 1 / 2**20, 1)} | {heap_ratio} | {mean_std(peak_heap, 1 / 2**20, 1)} | {mean_std(rss, 1 / 2**20, 0)} |")
    print("\n## Learning-rate grid (seed 1, test accuracy %)\n")
    lrs = sorted({lr for (_, lr, _) in runs}, key=float)
    print("| method | " + " | ".join(lrs) + " |")
    print("|---|" + "---:|" * len(lrs))
    for arm in arms:
        cells = [f"{100 * runs[(arm, lr, 1)]['eval_accuracy']:.2f}" if (arm, lr, 1) in runs else "–" for lr in lrs]
        print(f"| {LABELS[arm]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
