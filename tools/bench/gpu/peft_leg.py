#!/usr/bin/env python3
"""tools/bench/gpu/peft_leg.py — the reference side of tools/bench/gpu/run.sh (issue #9): PyTorch 2.x + HF
transformers + HF PEFT, on the GPU that lrt runs on in the same run.

    peft_leg.py peak  --out peak.json      the measured bf16 matmul peak: an 8192³ bf16 matmul (torch.mm into a
                                           preallocated output) timed with CUDA events, after 3 untimed ones; the
                                           median of --reps (20) gives TFLOP/s = 2·n³ / t
    peft_leg.py train --config X.json ...  one LoRA fine-tuning run; writes a JSON result (tokens/s, peak memory, ...)

The training run mirrors what lrt's trainer does for the same workload (tools/bench/gpu/*.yaml):
  * the model: AutoModelForCausalLM.from_config on the very HF config.json file lrt builds its model from, built on
    the GPU, fp32 weights ("master weights"), attn_implementation="sdpa", use_cache=False, random init;
  * LoRA via peft.get_peft_model: the same r, alpha, target modules, dropout 0, bias none (fan_in_fan_out for
    GPT-2's Conv1D); only the LoRA tensors train;
  * the step: torch.autocast(bf16) around the forward pass and F.cross_entropy over every position (targets are
    the next tokens, prepared beside the inputs as lrt's packed rows are), backward outside autocast,
    clip_grad_norm_(1.0), AdamW (foreach, or fused with --optim fused; lr 2e-4, betas 0.9/0.999, eps 1e-8, wd 0),
    linear decay, zero_grad(set_to_none=True); the model output is dropped before backward, as HF Trainer drops
    it (compute_loss returns the loss alone); no .item() per step unless --sync-each-step (lrt reads the loss
    and the gradient norm every step);
  * data: random token ids of the identical shape, made once on the CPU, each batch copied to the GPU per step
    (throughput does not depend on the values); TF32 on (train.tf32: true).
Timing: --warmup untimed steps, then torch.cuda.synchronize() and time.perf_counter() at the start and after every
--log-every steps; tokens/s = timed steps × batch × seq / (t_end − t_start). Peak memory: torch.cuda.max_memory_
allocated()/max_memory_reserved() over the whole process (model build included), in MiB.

--device cpu runs the same code on the CPU (bf16 CPU autocast) for a smoke test with a tiny config.
Needs: torch ≥ 2.1, transformers, peft. No network (HF_HUB_OFFLINE is set).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def log(msg):
    print(f"peft_leg: {msg}", file=sys.stderr, flush=True)


def cmd_peak(args):
    import torch

    n = args.n
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    c = torch.empty(n, n, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        torch.mm(a, b, out=c)
    torch.cuda.synchronize()
    times = []
    for _ in range(args.reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        torch.mm(a, b, out=c)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    flops = 2.0 * n ** 3
    med = statistics.median(times)
    result = {
        "n": n, "reps": args.reps, "median_s": med, "min_s": min(times), "max_s": max(times),
        "tflops": flops / med / 1e12, "tflops_best": flops / min(times) / 1e12,
        "device": torch.cuda.get_device_name(0), "torch": torch.__version__, "cuda": torch.version.cuda,
    }
    log(f"bf16 {n}³ matmul: median {med * 1e3:.3f} ms → {result['tflops']:.1f} TFLOP/s (best {result['tflops_best']:.1f}) on {result['device']}")
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)


def build_model(config_path, device):
    """The model of an HF config.json (the file lrt builds from), randomly initialised on DEVICE, fp32, SDPA attention."""
    import inspect
    import torch
    from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig

    with open(config_path) as f:
        raw = json.load(f)
    model_type = raw.pop("model_type")
    raw.pop("architectures", None)
    raw["use_cache"] = False
    kwargs = dict(raw)
    config_class = {"gpt2": GPT2Config, "llama": LlamaConfig}[model_type]
    if model_type == "llama" and "rope_parameters" in inspect.signature(LlamaConfig.__init__).parameters:
        # transformers 5 names RoPE's settings rope_parameters; the file keeps the 4.x keys, which lrt reads.
        theta = kwargs.pop("rope_theta", 10000.0)
        kwargs.pop("rope_scaling", None)
        kwargs["rope_parameters"] = {"rope_type": "default", "rope_theta": theta}
    config = config_class(**kwargs)
    if device == "cpu":
        model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa")
    else:
        with torch.device(device):  # initialised where it trains: no 4 GB copy from the CPU for the 1B model
            model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa")
    model.to(dtype=torch.float32)
    attn = getattr(model.config, "_attn_implementation", None)
    if attn != "sdpa":
        raise SystemExit(f"peft_leg: the model runs attention '{attn}', not sdpa")
    return model, model_type, raw


def cmd_train(args):
    import torch
    import torch.nn.functional as F
    import transformers
    import peft
    from peft import LoraConfig, get_peft_model

    cuda = args.device.startswith("cuda")
    device_type = "cuda" if cuda else "cpu"
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(args.seed)

    t_build = time.perf_counter()
    model, model_type, raw = build_model(args.config, args.device)
    total_params = sum(p.numel() for p in model.parameters())
    targets = [t for t in args.targets.split(",") if t]
    lora = LoraConfig(r=args.r, lora_alpha=args.alpha, lora_dropout=0.0, target_modules=targets, bias="none",
                      task_type="CAUSAL_LM", fan_in_fan_out=(model_type == "gpt2"))
    model = get_peft_model(model, lora)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    trainable_params = sum(p.numel() for p in trainable)
    if cuda:
        torch.cuda.synchronize()
    build_s = time.perf_counter() - t_build
    log(f"{model_type}: {total_params:,} base parameters, {trainable_params:,} trainable (LoRA r={args.r} on {targets}); built in {build_s:.1f} s")

    optim_kwargs = {"fused": True} if args.optim == "fused" else {"foreach": True}
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, **optim_kwargs)
    total = args.warmup + args.steps
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1.0 - s / total))

    vocab = raw["vocab_size"]
    pool = max(16, total) * args.batch if args.batch * total * (args.seq + 1) <= 64 * 2 ** 20 else 16 * args.batch
    gen = torch.Generator().manual_seed(args.seed)
    rows = torch.randint(0, vocab, (pool, args.seq + 1), generator=gen)
    inputs, targets_ = rows[:, :-1].contiguous(), rows[:, 1:].contiguous()
    batches = pool // args.batch

    def step(i):
        k = (i % batches) * args.batch
        x = inputs[k:k + args.batch].to(args.device)
        y = targets_[k:k + args.batch].to(args.device)
        with torch.autocast(device_type, dtype=torch.bfloat16):
            logits = model(input_ids=x, use_cache=False).logits
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        del logits
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        if args.sync_each_step:
            loss.item()
            grad_norm.item()
        return loss.detach()

    def sync():
        if cuda:
            torch.cuda.synchronize()

    losses = []
    marks = []  # (step, perf_counter) at the start of timing and after every --log-every timed steps
    for i in range(total):
        if i == args.warmup:
            sync()
            marks.append((i, time.perf_counter()))
        loss = step(i)
        done = i + 1
        if done > args.warmup and ((done - args.warmup) % args.log_every == 0 or done == total):
            sync()
            marks.append((done, time.perf_counter()))
            losses.append((done, loss.item()))
        elif done == args.warmup:
            losses.append((done, loss.item()))
    tokens_per_step = args.batch * args.seq
    seconds = marks[-1][1] - marks[0][1]
    windows = [(s1 - s0) * tokens_per_step / (t1 - t0) for (s0, t0), (s1, t1) in zip(marks, marks[1:])]
    result = {
        "side": "peft", "workload": args.workload, "hf_config": os.path.abspath(args.config), "model_type": model_type,
        "batch": args.batch, "seq": args.seq, "warmup_steps": args.warmup, "timed_steps": args.steps,
        "r": args.r, "alpha": args.alpha, "targets": targets, "optim": args.optim, "sync_each_step": args.sync_each_step,
        "tokens_per_second": args.steps * tokens_per_step / seconds, "timed_seconds": seconds,
        "step_seconds": seconds / args.steps, "window_tokens_per_second": windows,
        "num_total_params": total_params, "num_trainable_params": trainable_params, "build_seconds": build_s,
        "losses": losses, "attn_implementation": model.base_model.model.config._attn_implementation,
        "versions": {"torch": torch.__version__, "cuda": torch.version.cuda, "transformers": transformers.__version__,
                     "peft": peft.__version__, "python": platform.python_version()},
    }
    if cuda:
        result["gpu_mem_peak_alloc_mib"] = torch.cuda.max_memory_allocated() / 2 ** 20
        result["gpu_mem_peak_reserved_mib"] = torch.cuda.max_memory_reserved() / 2 ** 20
        result["device"] = torch.cuda.get_device_name(0)
    log(f"{args.workload}: {result['tokens_per_second']:,.0f} tokens/s over {args.steps} steps ({result['step_seconds'] * 1e3:.1f} ms/step), "
        f"loss {losses[0][1]:.4f} → {losses[-1][1]:.4f}"
        + (f", peak {result['gpu_mem_peak_alloc_mib']:,.0f} MiB allocated / {result['gpu_mem_peak_reserved_mib']:,.0f} MiB reserved" if cuda else ""))
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("peak", help="the measured bf16 matmul peak")
    p.add_argument("--n", type=int, default=8192)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--out", required=True)
    t = sub.add_parser("train", help="one LoRA fine-tuning run")
    t.add_argument("--workload", required=True, help="a label (gpt2, llama)")
    t.add_argument("--config", required=True, help="the HF config.json (the file lrt builds its model from)")
    t.add_argument("--batch", type=int, required=True)
    t.add_argument("--seq", type=int, required=True)
    t.add_argument("--warmup", type=int, required=True, help="untimed steps first")
    t.add_argument("--steps", type=int, required=True, help="timed steps")
    t.add_argument("--log-every", type=int, default=10, help="timed steps per window (a sync and a timestamp each)")
    t.add_argument("--r", type=int, default=16)
    t.add_argument("--alpha", type=float, default=32)
    t.add_argument("--targets", required=True, help="comma-separated target_modules")
    t.add_argument("--lr", type=float, default=2e-4)
    t.add_argument("--optim", choices=["foreach", "fused"], default="foreach")
    t.add_argument("--sync-each-step", action="store_true", help="read the loss and the gradient norm every step, as lrt does")
    t.add_argument("--seed", type=int, default=42)
    t.add_argument("--device", default="cuda")
    t.add_argument("--out", required=True)
    args = parser.parse_args()
    (cmd_peak if args.cmd == "peak" else cmd_train)(args)


if __name__ == "__main__":
    main()
