"""report.py — turns the raw output of LoraStep (one log per round) into the Markdown report.

Usage: report.py FACTS_FILE LOG [LOG ...]   (logs in round order, e.g. r1.log r2.log r3.log).
Each log holds "name value" lines; "<name>_ms_batches v,v,..." the per-batch ms/step of one variant at one
batch size (b64_lora8_ms_batches). A figure is the median over rounds of the per-round median of the
timed batches; a ratio is a variant's figure over (a)'s at the same batch size (the per-round ratios,
taken within one process where the variants alternate, are shown beside it). A warning is printed when
the rounds of a figure disagree by more than 10%.
"""
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bench_log  # noqa: E402  (tools/bench/bench_log.py)

TARGET = 1.10
VARIANTS = (  # key, label, ratio against (a) judged against TARGET?
    ("base_fb", "(a) base forward + backward-to-inputs (base frozen, input requires grad) — **baseline**", False),
    ("lora8", "(b) LoRA r=8 step (forward, backward, AdamW on LoRA, zero_grad)", True),
    ("lora16", "(b) LoRA r=16 step", True),
    ("lora8_xgrad", "diag: LoRA r=8 step with the input requiring grad too", False),
    ("full", "(c) full fine-tuning step of the base (reference)", False),
)
PHASES = ("zero_grad", "forward", "backward", "optim", "dispose")


def parse(paths):
    """-> per-round medians {key: [m, ...]}, scalars {key: [v, ...]}, text {key: first value}."""
    rounds, scalars, text = {}, {}, {}
    for _, key, value in bench_log.records(paths):
        if key.endswith("_ms_batches"):
            rounds.setdefault(key[: -len("_batches")], []).append(bench_log.median_of(value))
        elif re.fullmatch(r"-?\d+(\.\d+)?", value):
            scalars.setdefault(key, []).append(float(value))
        else:
            text.setdefault(key, value)
    return rounds, scalars, text


def main():
    facts, logs = sys.argv[1], sys.argv[2:]
    rounds, scalars, text = parse(logs)
    med = {k: statistics.median(v) for k, v in rounds.items()}
    sizes = sorted({int(m.group(1)) for k in rounds for m in [re.match(r"b(\d+)_", k)] if m})
    if not sizes:
        sys.exit(f"report.py: no measurements in {' '.join(logs)}")
    out = [open(facts, encoding="utf-8").read().rstrip()]
    out.append(f"- libtorch seen: shim {text.get('cs_torch_version', '?')}, mapped {text.get('cs_libtorch', '?')}; "
               f"intra-op threads {int(scalars['cs_threads'][0]) if 'cs_threads' in scalars else '?'}; "
               f"{text.get('cs_runtime', '.NET ?')}; AdamW fused: {'yes' if scalars.get('cs_adamw_fused', [0])[0] else 'no (foreach ops)'}")
    spb = "/".join(str(int(scalars.get(f"b{b}_steps_per_batch", [0])[0])) for b in sizes)
    out.append(f"- each figure: ms per step, the median over {len(logs)} round(s) of the per-round median of the timed "
               f"batches ({spb} steps per variant per batch at B = {'/'.join(map(str, sizes))}; the variants alternate)")
    # checks: every *_check_* and *_live_stable must be 1 in every round
    bad = sorted(k for k, vs in scalars.items() if ("_check_" in k or k.endswith("_live_stable")) and any(v != 1 for v in vs))
    nchecks = sum(1 for k in scalars if "_check_" in k or k.endswith("_live_stable"))
    out.append(f"- checks ({nchecks} per round: trained parameters moved, frozen ones bit-identical with no .grad, the input "
               f"of (a) got a gradient, the loss of trained variants decreased, Tensor.LiveCount stable): "
               + ("all passed in every round" if not bad else "**FAILED: " + ", ".join(bad) + "**"))
    for b in sizes:
        for key, _, _ in VARIANTS:
            warning = bench_log.spread_warning(f"b{b}_{key}", rounds.get(f"b{b}_{key}_ms", []),
                                               "the within-round ratios are the safer guide")
            if warning:
                out.append(warning)
    out.append("")
    out.append("| batch | variant | trainable params | ms/step (per round) | × (a) (per round) | target | verdict |")
    out.append("|---|---|---|---|---|---|---|")
    verdicts = []
    for b in sizes:
        base = f"b{b}_base_fb_ms"
        for key, label, judged in VARIANTS:
            k = f"b{b}_{key}_ms"
            if k not in med:
                continue
            ratio = med[k] / med[base]
            per = [m / a for m, a in zip(rounds[k], rounds[base])]
            train = int(scalars.get(f"b{b}_{key}_trainable", [0])[0])
            cell = f"**{med[k]:.2f}** ({', '.join(f'{m:.2f}' for m in rounds[k])})"
            rcell = f"**{ratio:.3f}** ({', '.join(f'{r:.3f}' for r in per)})"
            if judged:
                ok = ratio <= TARGET
                verdicts.append((b, key, ratio, ok))
                tail = f"≤ {TARGET:.2f} | {'met' if ok else '**missed**'} |"
            else:
                tail = "– | – |"
            out.append(f"| {b} | {label} | {train:,} | {cell} | {rcell} | {tail}")
    out.append("")
    out.append("Per-phase time inside the step, ms/step (median over rounds of the per-round mean over timed steps):")
    out.append("")
    out.append("| batch | variant | zero_grad | forward + loss | backward | optimizer step | scope dispose | sum |")
    out.append("|---|---|---|---|---|---|---|---|")
    for b in sizes:
        for key, _, _ in VARIANTS:
            vals = [statistics.median(scalars[f"b{b}_{key}_phase_{p}_ms"]) for p in PHASES
                    if f"b{b}_{key}_phase_{p}_ms" in scalars]
            if len(vals) == len(PHASES):
                out.append(f"| {b} | {key} | " + " | ".join(f"{v:.3f}" for v in vals) + f" | {sum(vals):.3f} |")
    out.append("")
    for b, key, ratio, ok in verdicts:
        out.append(f"- B={b}, {key}: {ratio:.3f}× (a) (target ≤ {TARGET:.2f}: {'met' if ok else 'MISSED'})")
        print(f"verdict_b{b}_{key} ratio={ratio:.3f} {'met' if ok else 'missed'}", file=sys.stderr)
    print("\n".join(out))


if __name__ == "__main__":
    main()
