"""report.py — turns the soak's samples into the Markdown report (tools/bench/soak.sh runs it).

Usage: report.py FACTS_FILE WARMUP_STEPS OUTDIR LABEL [LABEL ...]
For each label it reads OUTDIR/LABEL.csv (step, elapsed_s, live_tensors, rss_bytes, heap_bytes, managed_bytes;
one row every EVERY steps, taken after the step, its evaluation and its checkpoint) and OUTDIR/LABEL.log (the
Soak program's "name value" lines). "After warm-up" is every sample at step >= WARMUP_STEPS: the state after the
first WARMUP_STEPS steps, then every later one. Over those samples it reports min, max and (max - min) / min, and
the least-squares slope per 1,000 steps (a leak of k bytes per step shows as a slope of 1000·k whatever the noise).
Acceptance (issue #10): live handles constant (min == max) and RSS within 5% ((max - min) / min <= 5%). A further
check: no tensor was dropped without Dispose (DisposeScope.OrphansFreed did not move over the run, after a final
full collection). Labels ending in _notiered are the diagnostic reruns with DOTNET_TieredCompilation=0: reported,
but not judged.
"""
import os
import sys

RSS_LIMIT = 0.05
MIB = 1 << 20
COLUMNS = ("step", "elapsed_s", "live_tensors", "rss_bytes", "heap_bytes", "managed_bytes", "orphans_freed")
DIAG_SUFFIX = "_notiered"


def read_csv(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().strip().split(",")
        if tuple(header) != COLUMNS:
            sys.exit(f"report.py: {path}: unexpected header {header}")
        return [dict(zip(header, map(float, line.split(",")))) for line in f if line.strip()]


def read_log(path):
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 1)
            if len(parts) == 2:
                values[parts[0]] = parts[1]
    return values


def slope(xs, ys):
    """Least-squares slope of ys on xs."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0


def spread(values):
    lo, hi = min(values), max(values)
    return lo, hi, (hi - lo) / lo if lo else float("inf")


def summarise(rows, warmup):
    post = [r for r in rows if r["step"] >= warmup]
    if len(post) < 2:
        sys.exit(f"report.py: fewer than 2 samples at step >= {warmup}")
    steps = [r["step"] for r in post]
    s = {"post": post, "n": len(post), "first": rows[0], "at_warmup": post[0], "last": rows[-1]}
    for key in ("live_tensors", "rss_bytes", "heap_bytes", "managed_bytes"):
        vals = [r[key] for r in post]
        s[key] = spread(vals) + (slope(steps, vals) * 1000,)
    # The first sample whose live count equals the steady (post-warm-up) value, and from which it never changes.
    steady = post[-1]["live_tensors"]
    settle = rows[-1]["step"]
    for r in reversed(rows):
        if r["live_tensors"] != steady:
            break
        settle = r["step"]
    s["live_settles_at"] = settle
    return s


def orphans(log):
    """Tensors the GC safety net freed during the run (including the final full collection)."""
    return int(log.get("orphans_total", -1)) - int(log.get("before_orphans", 0))


def mib(v):
    return f"{v / MIB:.1f}"


def main():
    facts, warmup, outdir, labels = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    out = [open(facts, encoding="utf-8").read().rstrip()]
    runs = []
    for label in labels:
        log = read_log(os.path.join(outdir, label + ".log"))
        rows = read_csv(os.path.join(outdir, label + ".csv"))
        runs.append((label, log, rows, summarise(rows, warmup)))
    first = runs[0][1]
    out.append(f"- libtorch seen: shim {first.get('torch_version', '?')}; {first.get('runtime', '.NET ?')}; "
               f"glibc malloc tuned: {'yes' if first.get('malloc_tuned') == '1' else 'no'}")
    out.append("")
    out.append("| configuration | trainable params | steps | wall s | ms/step | final eval accuracy | evaluations / saves / checkpoints kept | "
               "live handles before → after the run | tensors dropped without Dispose |")
    out.append("|---|---:|---:|---:|---:|---:|---|---|---:|")
    for label, log, rows, s in runs:
        out.append(f"| {label} ({log.get('adapter', '?')}, batch {log.get('batch_size', '?')}) | {int(log.get('trainable_params', 0)):,} | "
                   f"{log.get('steps', '?')} | {log.get('wall_s', '?')} | {log.get('step_ms', '?')} | "
                   f"{100 * float(log.get('eval_accuracy', 'nan')):.2f}% | {log.get('evaluations', '?')} / {log.get('saves', '?')} / "
                   f"{log.get('checkpoints_kept', '?')} | {log.get('before_live', '?')} → {log.get('after_live', '?')} | {orphans(log)} |")
    out.append("")
    out.append(f"Warm-up (the first {warmup} steps; the first sample is at step {int(runs[0][2][0]['step'])}):")
    out.append("")
    out.append(f"| configuration | live handles at step {int(runs[0][2][0]['step'])} | live handles constant from step | "
               f"RSS MiB at step {int(runs[0][2][0]['step'])} → {warmup} | RSS growth in warm-up, MiB | RSS growth after it (last − at {warmup}), MiB | "
               f"heap MiB at step {int(runs[0][2][0]['step'])} → {warmup} |")
    out.append("|---|---:|---:|---|---:|---:|---|")
    for label, log, rows, s in runs:
        f0, w, last = s["first"], s["at_warmup"], s["last"]
        out.append(f"| {label} | {int(f0['live_tensors'])} | {int(s['live_settles_at'])} | {mib(f0['rss_bytes'])} → {mib(w['rss_bytes'])} | "
                   f"{(w['rss_bytes'] - f0['rss_bytes']) / MIB:+.1f} | {(last['rss_bytes'] - w['rss_bytes']) / MIB:+.1f} | "
                   f"{mib(f0['heap_bytes'])} → {mib(w['heap_bytes'])} |")
    out.append("")
    out.append(f"After warm-up (samples at steps {warmup}–{int(runs[0][2][-1]['step'])}; slope = least squares per 1,000 steps):")
    out.append("")
    out.append("| configuration | samples | live handles min / max | RSS MiB min / max | RSS (max − min)/min | RSS slope MiB/1k steps | "
               "heap MiB min / max | heap (max − min)/min | heap slope MiB/1k steps | .NET heap MiB min / max | .NET heap slope MiB/1k steps |")
    out.append("|---|---:|---|---|---:|---:|---|---:|---:|---|---:|")
    verdicts = []
    for label, log, rows, s in runs:
        lmin, lmax, _, _ = s["live_tensors"]
        rmin, rmax, rrel, rslope = s["rss_bytes"]
        hmin, hmax, hrel, hslope = s["heap_bytes"]
        mmin, mmax, _, mslope = s["managed_bytes"]
        out.append(f"| {label} | {s['n']} | {int(lmin)} / {int(lmax)} | {mib(rmin)} / {mib(rmax)} | {100 * rrel:.2f}% | {rslope / MIB:+.3f} | "
                   f"{mib(hmin)} / {mib(hmax)} | {100 * hrel:.2f}% | {hslope / MIB:+.3f} | {mib(mmin)} / {mib(mmax)} | {mslope / MIB:+.3f} |")
        if label.endswith(DIAG_SUFFIX):
            continue
        verdicts.append((label, "live handles constant after warm-up", lmin == lmax, f"min {int(lmin)}, max {int(lmax)}"))
        verdicts.append((label, f"RSS within {100 * RSS_LIMIT:.0f}% after warm-up", rrel <= RSS_LIMIT,
                         f"(max − min)/min = {100 * rrel:.2f}%"))
        verdicts.append((label, "(check) no tensor dropped without Dispose", orphans(log) == 0,
                         f"{orphans(log)} freed by the GC safety net over the run"))
    out.append("")
    for label, criterion, ok, detail in verdicts:
        out.append(f"- {'**PASS**' if ok else '**FAIL**'} {label}: {criterion} ({detail})")
        print(f"verdict {label}: {criterion}: {'PASS' if ok else 'FAIL'}", file=sys.stderr)
    print("\n".join(out))


if __name__ == "__main__":
    main()
