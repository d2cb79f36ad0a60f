#!/usr/bin/env python3
"""tools/bench/gpu/report.py — the bookkeeping of tools/bench/gpu/run.sh (issue #9); standard library only.

    report.py lrt-leg RUN_FOLDER --workload W --hf-config X.json --batch B --seq T --warmup W --steps N --r R
              --alpha A --targets a,b --out leg.json
        lrt's side of one leg, from its run folder: tokens/s over the timed steps from metrics.jsonl (see below), peak
        GPU memory and parameter counts from summary.json, into the same JSON shape peft_leg.py writes.
    report.py annotate LEG.json KEY=VALUE...
        run.sh's notes on a leg (round, nvidia-smi peak, wall time, or why it was skipped).
    report.py summary --facts facts.md --peak peak.json --json results.json --md report.md LEG.json...
        The table (Markdown, also printed): per workload the median over rounds of lrt's and PEFT's tokens/s, peak
        memory, their ratios, and MFU; results.json holds every leg and every number.

lrt's tokens/s: lrt logs every logging_steps (= the warm-up steps, set by run.sh) a metrics.jsonl line with
elapsed_seconds, the run's clock when that step ended. Every lrt step reads the loss and the gradient norm back to the
host (two device syncs), so at each logged point only the optimizer step of that step can still be queued on the
GPU, at the start point and the end point alike: tokens/s = (steps between the line of step W and the last line) ×
batch × seq / (elapsed_last − elapsed_W). Windows between consecutive lines give the spread.

FLOPs per token (one model, both sides): N_frozen = the weights of every matmul a token passes through (the blocks'
linears and the LM head; embedding lookups are free), N_lora = Σ r·(in + out) over the adapted linears,
attention = 12·L·T·(H·D) (QKᵀ and A·V over the full T×T square: PaLM's convention, which counts the causal half the
kernels skip). A LoRA step runs the frozen weights forward (2·N_frozen) and backward to their inputs only (2·N_frozen;
no weight gradients), and the adapters forward, backward to inputs and to weights (6·N_lora):
    FLOPs/token = 4·N_frozen + 6·N_lora + 12·L·T·(H·D)
(the backward of the first layer's frozen input projections is counted though autograd can skip it: < 1%).
MFU = FLOPs/token × tokens/s ÷ the measured bf16 matmul peak (peft_leg.py peak).
"""
import argparse
import json
import os
import statistics
import sys


# ---- the model's FLOPs ----

def linears(hf):
    """(name, in, out) of every linear in one block, and (L, H·D, N of the LM head) for the model of an HF config."""
    mt = hf["model_type"]
    if mt == "gpt2":
        d = hf.get("n_embd", 768)
        inner = hf.get("n_inner") or 4 * d
        blocks = [("attn.c_attn", d, 3 * d), ("attn.c_proj", d, d), ("mlp.c_fc", d, inner), ("mlp.c_proj", inner, d)]
        return blocks, hf.get("n_layer", 12), d, hf.get("vocab_size", 50257) * d
    if mt == "llama":
        d = hf.get("hidden_size", 4096)
        h = hf.get("num_attention_heads", 32)
        g = hf.get("num_key_value_heads") or h
        hd = hf.get("head_dim") or d // h
        i = hf.get("intermediate_size", 11008)
        blocks = [("self_attn.q_proj", d, h * hd), ("self_attn.k_proj", d, g * hd), ("self_attn.v_proj", d, g * hd),
                  ("self_attn.o_proj", h * hd, d), ("mlp.gate_proj", d, i), ("mlp.up_proj", d, i), ("mlp.down_proj", i, d)]
        return blocks, hf.get("num_hidden_layers", 32), h * hd, hf.get("vocab_size", 32000) * d
    raise ValueError(f"no FLOPs model for model_type {mt}")


def matches(name, target):
    """PEFT's rule (and lrt's): the module name equals the target or ends with '.' + target."""
    return name == target or name.endswith("." + target)


def flops_per_token(hf_config, seq, r, targets):
    with open(hf_config) as f:
        hf = json.load(f)
    blocks, layers, attn_width, head = linears(hf)
    frozen = layers * sum(i * o for _, i, o in blocks) + head
    lora = layers * sum(r * (i + o) for name, i, o in blocks if any(matches(name, t) for t in targets))
    attention = 12 * layers * seq * attn_width
    return {"n_frozen_matmul": frozen, "n_lora": lora, "attention_per_token": attention,
            "flops_per_token": 4 * frozen + 6 * lora + attention}


# ---- lrt's leg ----

def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def find_run(folder):
    """The run folder under FOLDER (output_dir/run_name/<timestamp>/) holding summary.json, or FOLDER itself."""
    hits = []
    for dirpath, _, files in os.walk(folder):
        if "summary.json" in files and "metrics.jsonl" in files:
            hits.append(dirpath)
    if not hits:
        raise SystemExit(f"report: no run folder with summary.json and metrics.jsonl under {folder}")
    return sorted(hits)[-1]


def cmd_lrt_leg(a):
    run = find_run(a.run_folder)
    with open(os.path.join(run, "summary.json")) as f:
        summary = json.load(f)
    lines = [e for e in read_jsonl(os.path.join(run, "metrics.jsonl")) if e.get("split") == "train" and "elapsed_seconds" in e]
    by_step = {e["step"]: e for e in lines}
    total = a.warmup + a.steps
    if summary.get("status") != "success" or a.warmup not in by_step or total not in by_step:
        raise SystemExit(f"report: {run}: status {summary.get('status')}, logged steps {sorted(by_step)}: need steps {a.warmup} and {total}")
    tokens_per_step = a.batch * a.seq
    marks = [(s, by_step[s]["elapsed_seconds"]) for s in sorted(by_step) if a.warmup <= s <= total]
    seconds = marks[-1][1] - marks[0][1]
    result = {
        "side": "lrt", "workload": a.workload, "hf_config": os.path.abspath(a.hf_config), "run_folder": run,
        "batch": a.batch, "seq": a.seq, "warmup_steps": a.warmup, "timed_steps": a.steps, "r": a.r, "alpha": a.alpha,
        "targets": [t for t in a.targets.split(",") if t],
        "tokens_per_second": a.steps * tokens_per_step / seconds, "timed_seconds": seconds, "step_seconds": seconds / a.steps,
        "window_tokens_per_second": [(s1 - s0) * tokens_per_step / (t1 - t0) for (s0, t0), (s1, t1) in zip(marks, marks[1:])],
        "num_total_params": summary.get("num_total_params"), "num_trainable_params": summary.get("num_trainable_params"),
        "gpu_mem_peak_alloc_mib": summary.get("gpu_mem_peak_alloc_mib"), "gpu_mem_peak_reserved_mib": summary.get("gpu_mem_peak_reserved_mib"),
        "losses": [(e["step"], e.get("loss")) for e in lines],
        "train_runtime": summary.get("train_runtime"), "train_step_seconds": summary.get("train_step_seconds"),
    }
    with open(a.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"report: lrt {a.workload}: {result['tokens_per_second']:,.0f} tokens/s over {a.steps} steps "
          f"({result['step_seconds'] * 1e3:.1f} ms/step); peak {result['gpu_mem_peak_alloc_mib']} MiB allocated", file=sys.stderr)


# ---- run.sh's notes on a leg ----

def cmd_annotate(a):
    """Sets KEY=VALUE pairs (VALUE parsed as JSON when it is JSON, else kept as a string) in LEG.json, creating it."""
    leg = {}
    if os.path.exists(a.leg):
        with open(a.leg) as f:
            leg = json.load(f)
    for pair in a.pairs:
        key, _, value = pair.partition("=")
        try:
            leg[key] = json.loads(value)
        except ValueError:
            leg[key] = value
    with open(a.leg, "w") as f:
        json.dump(leg, f, indent=2)


# ---- the summary ----

def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, spec=",.0f", missing="–"):
    return missing if v is None else format(v, spec)


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def spread(values, spec=",.0f"):
    values = [v for v in values if v is not None]
    if len(values) < 2:
        return ""
    return f" ({format(min(values), spec)}–{format(max(values), spec)})"


def cmd_summary(a):
    legs = []
    for path in a.legs:
        with open(path) as f:
            legs.append(json.load(f))
    peak = None
    if a.peak and os.path.exists(a.peak):
        with open(a.peak) as f:
            peak = json.load(f)
    workloads = []
    for leg in legs:
        if leg["workload"] not in workloads:
            workloads.append(leg["workload"])
    rows, checks = [], []
    for wl in workloads:
        sides = {side: [l for l in legs if l["workload"] == wl and l.get("side") == side and not l.get("skipped")] for side in ("lrt", "peft")}
        ref = next((l for l in legs if l["workload"] == wl and "hf_config" in l), None)
        flops = flops_per_token(ref["hf_config"], ref["seq"], ref["r"], ref["targets"]) if ref else None
        row = {"workload": wl, "flops": flops}
        for side, ls in sides.items():
            tps = [l["tokens_per_second"] for l in ls]
            row[side] = {
                "rounds": len(ls), "tokens_per_second": med(tps), "tokens_per_second_all": tps,
                "peak_alloc_mib": med([l.get("gpu_mem_peak_alloc_mib") for l in ls]),
                "peak_reserved_mib": med([l.get("gpu_mem_peak_reserved_mib") for l in ls]),
                "smi_peak_mib": med([l.get("smi_peak_mib") for l in ls]),
                "trainable": ls[0].get("num_trainable_params") if ls else None,
                "total": ls[0].get("num_total_params") if ls else None,
            }
            s = row[side]
            s["model_tflops"] = s["tokens_per_second"] * flops["flops_per_token"] / 1e12 if s["tokens_per_second"] and flops else None
            s["mfu"] = s["model_tflops"] / peak["tflops"] if s["model_tflops"] and peak else None
            if flops and s["trainable"] is not None and s["trainable"] != flops["n_lora"]:
                checks.append(f"{wl}: {side} trains {s['trainable']:,} parameters, the LoRA spec gives {flops['n_lora']:,}")
        if row["lrt"]["trainable"] is not None and row["peft"]["trainable"] is not None and row["lrt"]["trainable"] != row["peft"]["trainable"]:
            checks.append(f"{wl}: trainable parameters differ: lrt {row['lrt']['trainable']:,}, PEFT {row['peft']['trainable']:,}")
        row["tokens_ratio"] = ratio(row["lrt"]["tokens_per_second"], row["peft"]["tokens_per_second"])
        row["alloc_ratio"] = ratio(row["lrt"]["peak_alloc_mib"], row["peft"]["peak_alloc_mib"])
        row["reserved_ratio"] = ratio(row["lrt"]["peak_reserved_mib"], row["peft"]["peak_reserved_mib"])
        row["smi_ratio"] = ratio(row["lrt"]["smi_peak_mib"], row["peft"]["smi_peak_mib"])
        rows.append(row)

    describe = {}
    for leg in legs:
        if leg.get("skipped") or leg["workload"] in describe or "batch" not in leg:
            continue
        describe[leg["workload"]] = f"batch {leg['batch']} × seq {leg['seq']}, {leg['warmup_steps']} warm-up + {leg['timed_steps']} timed steps, LoRA r={leg['r']} α={leg['alpha']:g} on {', '.join(leg['targets'])}"

    out = []
    if a.facts and os.path.exists(a.facts):
        with open(a.facts) as f:
            out.append(f.read().rstrip())
    if peak:
        out.append(f"- measured bf16 peak: {peak['tflops']:.1f} TFLOP/s (median of {peak['reps']} {peak['n']}³ matmuls, best {peak['tflops_best']:.1f}) on {peak['device']}")
    for wl, text in describe.items():
        out.append(f"- {wl}: {text}")
    out.append("")
    out.append("| workload | lrt tok/s | PEFT tok/s | **lrt / PEFT** | lrt peak alloc MiB | PEFT peak alloc MiB | **lrt / PEFT** | lrt MFU | PEFT MFU |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        l, p = r["lrt"], r["peft"]
        out.append(f"| {r['workload']} | {fmt(l['tokens_per_second'])}{spread(l['tokens_per_second_all'])} | {fmt(p['tokens_per_second'])}{spread(p['tokens_per_second_all'])} | "
                   f"**{fmt(r['tokens_ratio'], '.2f')}** | {fmt(l['peak_alloc_mib'])} | {fmt(p['peak_alloc_mib'])} | **{fmt(r['alloc_ratio'], '.2f')}** | "
                   f"{fmt(l['mfu'] and 100 * l['mfu'], '.1f')}{'%' if l['mfu'] else ''} | {fmt(p['mfu'] and 100 * p['mfu'], '.1f')}{'%' if p['mfu'] else ''} |")
    out.append("")
    out.append("| workload | lrt reserved MiB | PEFT reserved MiB | lrt / PEFT | lrt nvidia-smi MiB | PEFT nvidia-smi MiB | lrt / PEFT | FLOPs/token | lrt TFLOP/s | PEFT TFLOP/s | trainable lrt / PEFT |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        l, p, fl = r["lrt"], r["peft"], r["flops"]
        out.append(f"| {r['workload']} | {fmt(l['peak_reserved_mib'])} | {fmt(p['peak_reserved_mib'])} | {fmt(r['reserved_ratio'], '.2f')} | "
                   f"{fmt(l['smi_peak_mib'])} | {fmt(p['smi_peak_mib'])} | {fmt(r['smi_ratio'], '.2f')} | {fmt(fl and fl['flops_per_token'] / 1e9, '.3f')} G | "
                   f"{fmt(l['model_tflops'], '.1f')} | {fmt(p['model_tflops'], '.1f')} | {fmt(l['trainable'])} / {fmt(p['trainable'])} |")
    out.append("")
    out.append("tokens/s: median over rounds (min–max when more than one); peak alloc/reserved: the framework's own CUDA "
               "caching-allocator peaks (max_memory_allocated/reserved); nvidia-smi: the most memory.used seen on the GPU "
               "while the leg ran (sampled every 200 ms; CUDA context and cuBLAS workspaces included). MFU: FLOPs/token "
               "(4·N_frozen + 6·N_lora + 12·L·T·H·D) × tokens/s ÷ the measured bf16 peak.")
    skipped = [f"{l['workload']} {l['side']} round {l.get('round', '?')}: {l['skipped']}" for l in legs if l.get("skipped")]
    if skipped:
        out.append("")
        out.append("Legs not measured: " + "; ".join(skipped) + ".")
    if checks:
        out.append("")
        out.append("**Check failed:** " + "; ".join(checks) + ".")
    text = "\n".join(out) + "\n"
    print(text)
    if a.md:
        with open(a.md, "w") as f:
            f.write(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"peak": peak, "workloads": rows, "checks": checks, "legs": legs}, f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    l = sub.add_parser("lrt-leg")
    l.add_argument("run_folder")
    for name in ("--workload", "--hf-config", "--targets", "--out"):
        l.add_argument(name, required=True)
    for name in ("--batch", "--seq", "--warmup", "--steps", "--r"):
        l.add_argument(name, type=int, required=True)
    l.add_argument("--alpha", type=float, required=True)
    s = sub.add_parser("summary")
    s.add_argument("--facts")
    s.add_argument("--peak")
    s.add_argument("--json")
    s.add_argument("--md")
    s.add_argument("legs", nargs="*")
    n = sub.add_parser("annotate")
    n.add_argument("leg")
    n.add_argument("pairs", nargs="*")
    a = parser.parse_args()
    {"lrt-leg": cmd_lrt_leg, "summary": cmd_summary, "annotate": cmd_annotate}[a.cmd](a)


if __name__ == "__main__":
    main()
