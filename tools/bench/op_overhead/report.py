"""report.py — turns the raw output of the three op-overhead legs into the Markdown report.

Usage: report.py FACTS_FILE LOG [LOG ...]   (logs in run order; the file name's prefix before the
first '.' is the round, e.g. r1.cpp.log). Each leg prints "name value" and "name_batches v,v,..."
lines. A variant's figure is the median over rounds of its per-round median (the median of that
round's timed batches): with three or more rounds, one round hit by other people's load on the
machine is outvoted. The per-round medians are shown next to it, and a warning is printed when the
rounds of a baseline disagree by more than 10% (the machine was busy; rerun).
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bench_log  # noqa: E402  (tools/bench/bench_log.py)

# (key, label, kind) in table order; kind "primary" rows are the ones the targets apply to.
ROWS = [
    ("cpp_at_add_ns", "C++ `at::add(a, b)` (result on the stack) — **baseline**", "ref"),
    ("cpp_add_inplace_ns", "C++ `a.add_(b)`", "ref"),
    ("py_operator_add_ns", "Python `a + b` — **baseline**", "ref"),
    ("py_torch_add_ns", "Python `torch.add(a, b)`", "ref"),
    ("py_add_inplace_ns", "Python `a.add_(b)`", "ref"),
    ("csharp_scoped_ns", "C# `a + b` in a `DisposeScope` disposed every 1,000 ops (b, training-step path)", "primary"),
    ("csharp_explicit_dispose_ns", "C# `using var c = a + b;` outside any scope (a, finalizer guard)", "primary"),
    ("csharp_add_inplace_ns", "C# `a.Add_(b)` (c, no handle minted)", "inplace"),
    ("csharp_scoped_explicit_dispose_ns", "diag: C# `using var c = a + b;` inside a scope (no guard, freed at once)", "diag"),
    ("cpp_via_shim_add_ns", "diag: C++ calling the shim's `ts_add` + `ts_tensor_free`", "diag"),
    ("cpp_via_shim_add_inplace_ns", "diag: C++ calling the shim's `ts_add_`", "diag"),
    ("cpp_at_add_held1000_ns", "diag: C++ `at::add`, 1,000 results held then freed together", "diag"),
]
CPP_BASE, PY_BASE = "cpp_at_add_ns", "py_operator_add_ns"
TARGET_CPP, TARGET_PY = 1.25, 0.80


def parse(paths):
    batches, rounds, info = {}, {}, {}
    for rnd, key, value in bench_log.records(paths):
        if key.endswith("_batches"):
            xs = bench_log.batch_values(value)
            name = key[: -len("_batches")]
            batches.setdefault(name, []).extend(xs)
            rounds.setdefault(name, []).append((rnd, statistics.median(xs)))
        elif not key.endswith("_ns"):
            info.setdefault(key, value)
    return batches, rounds, info


def main():
    facts_path, logs = sys.argv[1], sys.argv[2:]
    batches, rounds, info = parse(logs)
    med = {k: statistics.median([m for _, m in v]) for k, v in rounds.items()}
    missing = [k for k in (CPP_BASE, PY_BASE, "csharp_scoped_ns", "csharp_explicit_dispose_ns") if k not in med]
    if missing:
        sys.exit(f"report.py: no measurements for {', '.join(missing)} (see the logs: {' '.join(logs)})")
    cpp, py = med[CPP_BASE], med[PY_BASE]
    round_names = sorted({r for v in rounds.values() for r, _ in v})

    out = []
    with open(facts_path, encoding="utf-8") as f:
        out.append(f.read().rstrip())
    out.append(f"- libtorch seen by each leg: C++ {info.get('cpp_torch_version', '?')}, "
               f"C# shim {info.get('cs_torch_version', '?')}, Python torch {info.get('py_torch_version', '?')}")
    libs = {info.get(k) for k in ("cpp_libtorch", "cs_libtorch", "py_libtorch")}
    out.append(f"- libtorch_cpu mapped: {', '.join(sorted(str(x) for x in libs))}"
               + (" (the same library in all three)" if len(libs) == 1 else " (**differs between legs**)"))
    out.append(f"- intra-op threads: C++ {info.get('cpp_threads', '?')}, C# {info.get('cs_threads', '?')}, "
               f"Python {info.get('py_threads', '?')}; {info.get('cs_runtime', '.NET ?')}; "
               f"Python {info.get('py_version', '?')}")
    per_round_batches = {len(v) // max(1, len(rounds[k])) for k, v in batches.items()}
    out.append(f"- each figure: median over {len(round_names)} round(s) of the per-round median of "
               f"{'/'.join(str(n) for n in sorted(per_round_batches))} timed batches; "
               f"handles leaked by the C# leg: {info.get('cs_leaked_handles', '?')}")
    for key in (CPP_BASE, PY_BASE, "csharp_scoped_ns", "csharp_explicit_dispose_ns"):
        warning = bench_log.spread_warning(key, [m for _, m in rounds[key]])
        if warning:
            out.append(warning)
    out.append("")
    head = "| variant | ns/op | " + " | ".join(f"{r} ns/op" for r in round_names) + \
           " | × C++ `at::add` | × Python `a + b` |"
    out.append(head)
    out.append("|" + "---|" * (head.count("|") - 1))
    for key, label, _kind in ROWS:
        if key not in med:
            continue
        per_round = dict(rounds[key])
        cells = " | ".join(f"{per_round[r]:.0f}" if r in per_round else "–" for r in round_names)
        out.append(f"| {label} | **{med[key]:.0f}** | {cells} | {med[key] / cpp:.2f} | {med[key] / py:.2f} |")
    out.append("")
    for key, label in (("csharp_scoped_ns", "C# scoped (b)"), ("csharp_explicit_dispose_ns", "C# explicit dispose (a)")):
        rc, rp = med[key] / cpp, med[key] / py
        ok_c, ok_p = rc <= TARGET_CPP, rp <= TARGET_PY
        out.append(f"- {label}: {rc:.3f}× C++ (target ≤ {TARGET_CPP}: {'met' if ok_c else 'MISSED'}), "
                   f"{rp:.3f}× Python (target ≤ {TARGET_PY}: {'met' if ok_p else 'MISSED'})")
        print(f"verdict_{key} cpp_ratio={rc:.3f} py_ratio={rp:.3f} "
              f"cpp_target={'met' if ok_c else 'missed'} py_target={'met' if ok_p else 'missed'}",
              file=sys.stderr)
    if "csharp_add_inplace_ns" in med and "cpp_add_inplace_ns" in med:
        out.append(f"- C# `Add_` vs C++ `add_`: {med['csharp_add_inplace_ns'] / med['cpp_add_inplace_ns']:.2f}×; "
                   f"vs Python `add_`: {med['csharp_add_inplace_ns'] / med.get('py_add_inplace_ns', float('nan')):.2f}×")
    print("\n".join(out))


if __name__ == "__main__":
    main()
