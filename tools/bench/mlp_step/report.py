"""report.py — turns the raw output of the MLP training-step legs into the Markdown report.

Usage: report.py FACTS_FILE LOG [LOG ...] [--diag TUNABLES DLOG [DLOG ...]]   (logs in run order;
the file name's prefix before the first '.' is the round, e.g. r1.csharp.log; the --diag logs are
the same rounds run under GLIBC_TUNABLES=TUNABLES and get a second, diagnostic table). Each leg prints "name value" and "name_batches v,v,..."
lines (the fused C# leg prints csfused_* for cs_*; it is optional, and when present gets its own
columns and verdict). A figure is the median over rounds of its per-round median ms/step (the median of that
round's timed batches), so one round hit by other people's load is outvoted. The per-round medians
are shown, and a warning is printed when the rounds of a figure disagree by more than 10%.
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bench_log  # noqa: E402  (tools/bench/bench_log.py)

SIZES = (32, 128, 1024)
TARGETS = {32: 0.6, 128: 1.0, 1024: 1.0}
PHASES = ("zero_grad", "forward", "backward", "optim", "dispose")


def parse(paths):
    rounds, info, scalars = {}, {}, {}
    for rnd, key, value in bench_log.records(paths):
        if key.endswith("_ms_batches"):
            rounds.setdefault(key[: -len("_batches")], []).append((rnd, bench_log.median_of(value)))
        elif key.endswith(("_ms", "_decreased", "_stable", "_first", "_last", "_per_step")):
            scalars.setdefault(key, []).append((rnd, float(value)))
        else:
            info.setdefault(key, value)
    return rounds, info, scalars


def main():
    facts_path, rest = sys.argv[1], sys.argv[2:]
    dlogs, tunables = [], None
    if "--diag" in rest:
        i = rest.index("--diag")
        rest, tunables, dlogs = rest[:i], rest[i + 1], rest[i + 2:]
    out = []
    with open(facts_path, encoding="utf-8") as f:
        out.append(f.read().rstrip())
    verdicts = report(rest, out, verdict=True)
    if dlogs:
        out.append("")
        out.append(f"**Diagnostic: the same rounds with glibc malloc pinned** (`GLIBC_TUNABLES={tunables}`, "
                   "both legs; not the default setup, so no verdict):")
        out.append("")
        report(dlogs, out, verdict=False)
    out.append("")
    for b, ratio, ok, fratio, fok in verdicts:
        line = f"- B={b}: C# {ratio:.2f}× PyTorch's best (target ≤ {TARGETS[b]:.1f}: {'met' if ok else 'MISSED'})"
        if fratio is not None:
            line += f"; C# fused AdamW {fratio:.2f}× ({'met' if fok else 'MISSED'})"
        out.append(line)
        print(f"verdict_b{b} ratio={ratio:.3f} fused={'-' if fratio is None else f'{fratio:.3f}'} target={TARGETS[b]} "
              f"{'met' if ok else 'missed'}/{'met' if fok else 'missed'}", file=sys.stderr)
    print("\n".join(out))


def report(logs, out, verdict):
    rounds, info, scalars = parse(logs)
    med = {k: statistics.median([m for _, m in v]) for k, v in rounds.items()}
    smed = {k: statistics.median([m for _, m in v]) for k, v in scalars.items()}
    keys = {b: (f"cs_b{b}_ms", f"py_b{b}_foreach_false_ms", f"py_b{b}_foreach_true_ms") for b in SIZES}
    missing = [k for ks in keys.values() for k in ks if k not in med]
    has_fused = all(f"csfused_b{b}_ms" in med for b in SIZES)
    if missing:
        sys.exit(f"report.py: no measurements for {', '.join(missing)} (see the logs: {' '.join(logs)})")
    round_names = sorted({r for v in rounds.values() for r, _ in v})
    if not verdict:
        out.append(f"- rounds: {', '.join(round_names)}")
    if verdict:
        out.append(f"- libtorch seen by each leg: C# shim {info.get('cs_torch_version', '?')}, "
                   f"Python torch {info.get('py_torch_version', '?')}")
        libs = {info.get(k) for k in ("cs_libtorch", "py_libtorch")}
        out.append(f"- libtorch_cpu mapped: {', '.join(sorted(str(x) for x in libs))}"
                   + (" (the same library in both legs)" if len(libs) == 1 else " (**differs between legs**)"))
        out.append(f"- intra-op threads: C# {info.get('cs_threads', '?')}, Python {info.get('py_threads', '?')}; "
                   f"{info.get('cs_runtime', '.NET ?')}; {info.get('py_runtime', 'Python ?')}; "
                   f"PyTorch AdamW default foreach: {info.get('py_adamw_default_foreach', '?')}")
        spb = "/".join(info.get(f"cs_b{b}_steps_per_batch", "?") for b in SIZES)
        out.append(f"- each figure: ms per training step, the median over {len(round_names)} round(s) of the per-round "
                   f"median of the timed batches ({spb} steps per batch at B = {'/'.join(map(str, SIZES))})")
    checks = []
    for b in SIZES:
        dec = all(v == 1 for k, vs in scalars.items()
                  if k.startswith((f"cs_b{b}_", f"csfused_b{b}_", f"py_b{b}_")) and k.endswith("_decreased") for _, v in vs)
        live = all(v == 1 for _, v in scalars.get(f"cs_b{b}_live_stable", [(None, 0)]))
        if has_fused:
            live = live and all(v == 1 for _, v in scalars.get(f"csfused_b{b}_live_stable", [(None, 0)]))
        checks.append(f"B={b}: loss decreased in every leg and round: {'yes' if dec else '**NO**'}, "
                      f"C# Tensor.LiveCount stable across timed batches: {'yes' if live else '**NO**'}")
    out.append("- checks: " + "; ".join(checks))
    for b, ks in keys.items():
        for key in ks + ((f"csfused_b{b}_ms",) if has_fused else ()):
            warning = bench_log.spread_warning(key, [m for _, m in rounds[key]])
            if warning:
                out.append(warning)
    out.append("")
    fcols = " C# fused ms/step |" if has_fused else ""
    fratio = " C# fused × PyTorch's best |" if has_fused else ""
    out.append("| batch | C# ms/step |" + fcols + " PyTorch foreach=False ms/step | PyTorch foreach=True ms/step | "
               "C# × PyTorch's best |" + fratio + (" target | verdict |" if verdict else ""))
    out.append("|---|---|---|---|---|" + ("---|---|" if has_fused else "") + ("---|---|" if verdict else ""))
    verdicts = []
    for b in SIZES:
        cs, pf, pt = (med[k] for k in keys[b])
        best = min(pf, pt)
        ratio = cs / best
        ok = ratio <= TARGETS[b]
        fkey = f"csfused_b{b}_ms"
        fratio_v = med[fkey] / best if has_fused else None
        fok = fratio_v is not None and fratio_v <= TARGETS[b]
        verdicts.append((b, ratio, ok, fratio_v, fok))

        def cell(key):
            per = dict(rounds[key])
            return f"**{med[key]:.3f}** ({', '.join(f'{per[r]:.3f}' for r in round_names if r in per)})"
        def verdict_cell(good):
            return "met" if good else "**missed**"
        if has_fused:
            out.append(f"| {b} | {cell(keys[b][0])} | {cell(fkey)} | {cell(keys[b][1])} | {cell(keys[b][2])} | "
                       f"**{ratio:.2f}** | **{fratio_v:.2f}** |"
                       + (f" ≤ {TARGETS[b]:.1f} | foreach {verdict_cell(ok)}, fused {verdict_cell(fok)} |" if verdict else ""))
        else:
            out.append(f"| {b} | {cell(keys[b][0])} | {cell(keys[b][1])} | {cell(keys[b][2])} | **{ratio:.2f}** |"
                       + (f" ≤ {TARGETS[b]:.1f} | {verdict_cell(ok)} |" if verdict else ""))
    out.append("")
    out.append("(bold: the median over rounds; in brackets: the per-round medians, in round order)")
    out.append("")
    out.append("Per-phase time inside the step, ms/step (medians over rounds of the per-round mean over timed steps):")
    out.append("")
    out.append("| batch | leg | zero_grad | forward + loss | backward | optimizer step | scope dispose | sum | "
               "minor page faults / step |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for b in SIZES:
        legs = [("C#", f"cs_b{b}")] + ([("C# fused", f"csfused_b{b}")] if has_fused else []) + [
            ("PyTorch foreach=False", f"py_b{b}_foreach_false"), ("PyTorch foreach=True", f"py_b{b}_foreach_true")]
        for leg, pre in legs:
            vals = [smed.get(f"{pre}_phase_{p}_ms") for p in PHASES]
            cells = " | ".join("–" if v is None else f"{v:.3f}" for v in vals)
            flt = smed.get(f"{pre}_minflt_per_step")
            out.append(f"| {b} | {leg} | {cells} | {sum(v for v in vals if v is not None):.3f} | "
                       f"{'–' if flt is None else f'{flt:.0f}'} |")
    return verdicts


if __name__ == "__main__":
    main()
