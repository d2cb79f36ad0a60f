#!/usr/bin/env python3
"""The SpamAssassin table of the text experiment from each run's summary.json (standard library only).

    tables.py RUNS_DIR      markdown on stdout

Run names are spam_<arm>_s<seed> (run.sh); the newest successful run of each name counts.
"""
import json
import os
import re
import statistics
import sys

ARMS = ["full", "head_only", "lora", "lora_xs", "lora_sb", "svfit", "randlora", "lotr", "intrinsic"]
LABELS = {"full": "full fine-tuning", "head_only": "head only (linear probe)", "lora": "LoRA r=8 α=16",
          "lora_xs": "LoRA-XS r=8", "lora_sb": "LoRA-SB r=8", "svfit": "SVFit 99% energy", "randlora": "RandLoRA r=32",
          "lotr": "LoTR r=8", "intrinsic": "intrinsic SAID d=1000 (Fastfood)"}
NAME = re.compile(r"^spam_(?P<arm>[a-z_]+?)_s(?P<seed>\d+)$")


def newest_success(folder):
    for stamp in sorted(os.listdir(folder), reverse=True):
        path = os.path.join(folder, stamp, "summary.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                s = json.load(f)
            if s["status"] == "success":
                return s, os.path.join(folder, stamp)
    return None, None


def mean_std(values, scale=1.0, digits=2):
    values = [v * scale for v in values]
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def learning_rate(run_dir):
    with open(os.path.join(run_dir, "config.yaml"), encoding="utf-8") as f:
        m = re.search(r"^\s+learning_rate:\s*(\S+)", f.read(), re.M)
    return m.group(1) if m else "?"


def main(runs_dir):
    runs = {}
    for name in sorted(os.listdir(runs_dir)):
        m = NAME.match(name)
        if m:
            s, d = newest_success(os.path.join(runs_dir, name))
            if s:
                runs.setdefault(m["arm"], []).append((int(m["seed"]), s, d))
    pre, pre_dir = newest_success(os.path.join(runs_dir, "gpt2_brown_pretrain")) if os.path.isdir(os.path.join(runs_dir, "gpt2_brown_pretrain")) else (None, None)
    print("## Results\n")
    if pre:
        import math
        print(f"Pretrained base (Brown corpus, causal LM, {pre['global_step']} steps, {pre['train_runtime'] / 60:.1f} min): "
              f"eval loss {pre['eval_loss']:.3f} nats/token (perplexity {math.exp(pre['eval_loss']):.1f}), "
              f"next-token accuracy {100 * pre['eval_accuracy']:.2f} % on the 100 held-out documents.\n")
    full_step = statistics.mean(s["train_step_seconds"] for _, s, _ in runs["full"]) if "full" in runs else None
    full_mem = statistics.mean(s["peak_heap_bytes"] - s["heap_at_train_start_bytes"] for _, s, _ in runs["full"]) if "full" in runs else None
    print("| method | trainable params | lr | seeds | test accuracy % | test macro-F1 % | step ms | step vs full | training memory MiB | memory vs full | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for arm in ARMS:
        if arm not in runs:
            continue
        rows = sorted(runs[arm], key=lambda r: r[0])
        ss = [s for _, s, _ in rows]
        trainable, total = ss[0]["num_trainable_params"], ss[0]["num_total_params"]
        step = [s["train_step_seconds"] for s in ss]
        mem = [s["peak_heap_bytes"] - s["heap_at_train_start_bytes"] for s in ss]
        print(f"| {LABELS[arm]} | {trainable:,} ({100 * trainable / total:.2f} %) | {learning_rate(rows[0][2])} | "
              f"{','.join(str(r[0]) for r in rows)} | {mean_std([s['eval_accuracy'] for s in ss], 100)} | "
              f"{mean_std([s['eval_f1'] for s in ss], 100)} | {mean_std(step, 1000, 0)} | "
              f"{statistics.mean(step) / full_step:.2f}× | {mean_std(mem, 1 / 2**20, 1)} | {statistics.mean(mem) / full_mem:.2f}× | "
              f"{mean_std([s['peak_rss_bytes'] for s in ss], 1 / 2**20, 0)} |" if full_step else "")


    print("""
Notes
- One run per arm (seed 1), one epoch, each arm's learning rate as set in its config (not tuned on the test set);
  the test set is SpamAssassin's held-out 20 % (1,209 mails, 68.6 % ham: always answering "ham" scores 68.6 %).
- Step ms: `train_step_seconds`, the mean over the run's 303 steps, 2 intra-op threads on a 2-core machine; every
  arm ran in one session, one after another.
- Training memory: the native heap's peak during training minus its size at the start of training (glibc
  mallinfo2, what libtorch's CPU allocator draws from); it counts gradients, optimizer state and activations held
  for the backward pass, not the model or the data. LoRA-SB's start is measured after its gradient estimate (the
  summed gradients of 64 samples, freed before step 1), which is its peak, so its training-phase growth reads 0.
- Peak RSS: the whole process (runtime, tokenized corpus, model), for scale.""")


if __name__ == "__main__":
    main(sys.argv[1])
