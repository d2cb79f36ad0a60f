#!/usr/bin/env python3
"""The Python half of tests/LowRankTrainer.Tests/Interop/PeftInteropTests.cs: Hugging Face transformers + PEFT on one
side, lrt on the other, exchanging only files (a transformers checkpoint folder, PEFT adapter folders, safetensors of
input ids and logits). Everything is built locally from config objects (no hub access); float32, CPU by default
(--device cuda to run PEFT's forward on a GPU), attention "eager".

    peft_interop.py check
        prints the versions of python, torch, transformers, peft, safetensors (exit 0) or why one is missing (exit 2)
    peft_interop.py make-base BASE_DIR INPUTS --seed S
        a tiny random GPT2LMHeadModel (GPT2Config: vocab 96, 2 layers, width 32, 4 heads, no dropout, biases and
        LayerNorms perturbed so nothing is trivially zero or one) saved with save_pretrained into BASE_DIR; INPUTS
        (safetensors) gets input_ids [2, 12] (int64) and the base model's logits, reloaded from BASE_DIR
    peft_interop.py load-adapter BASE_DIR ADAPTER_DIR INPUTS OUT [--device D]
        PeftModel.from_pretrained(base from BASE_DIR, ADAPTER_DIR) (an adapter lrt saved); OUT gets "logits" and
        "base_logits" for INPUTS' input_ids; every tensor of the adapter file is looked up in the PEFT model's state
        dict and differences are printed to stderr (diagnostics for the C# test's failure message)
    peft_interop.py save-adapter {lora,randlora} BASE_DIR INPUTS ADAPTER_DIR OUT --seed S [--device D]
        get_peft_model with LoraConfig(init_lora_weights=False: random A and B) or RandLoraConfig(init_weights=False:
        random lambda, gamma perturbed), save_pretrained into ADAPTER_DIR; OUT gets "logits" for INPUTS' input_ids

Errors go to stderr with a non-zero exit status.
"""
import argparse
import json
import os
import platform
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

REQUIRED = ("torch", "transformers", "peft", "safetensors")
TARGETS = ["c_attn", "c_proj", "c_fc"]       # GPT-2's Conv1D layers: attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj
LORA = dict(r=4, lora_alpha=8)
RANDLORA = dict(r=8, randlora_alpha=16)      # s = alpha / r = 2 (PEFT's default alpha 640 would make s = 80)


def versions():
    import peft
    import safetensors
    import torch
    import transformers
    return {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
            "peft": peft.__version__, "safetensors": safetensors.__version__}


def cmd_check(_):
    missing = []
    for name in REQUIRED:
        try:
            __import__(name)
        except Exception as e:  # noqa: BLE001 - any import failure means "not usable"
            missing.append(f"{name} ({type(e).__name__}: {e})")
    if missing:
        print("cannot import " + ", ".join(missing), file=sys.stderr)
        return 2
    print(json.dumps(versions()))
    return 0


def load_base(folder, device="cpu"):
    import torch
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager")
    return model.to(device=device, dtype=torch.float32).eval()


def read_ids(inputs):
    from safetensors.torch import load_file
    return load_file(inputs)["input_ids"]


def forward(model, ids, device):
    import torch
    with torch.no_grad():
        return model(input_ids=ids.to(device)).logits.float().cpu().contiguous()


def save(path, tensors):
    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in tensors.items()}, path)


def cmd_make_base(args):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    config = GPT2Config(vocab_size=96, n_positions=32, n_embd=32, n_layer=2, n_head=4, resid_pdrop=0.0, embd_pdrop=0.0,
                        attn_pdrop=0.0, initializer_range=0.2, bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".bias") or ".ln_" in name:
                p.add_(0.1 * torch.randn(p.shape, generator=gen))
    os.makedirs(args.base_dir, exist_ok=True)
    try:
        model.save_pretrained(args.base_dir, safe_serialization=True)
    except TypeError:  # a transformers without the argument (safetensors is then the only format)
        model.save_pretrained(args.base_dir)
    if not os.path.exists(os.path.join(args.base_dir, "model.safetensors")):
        raise SystemExit(f"save_pretrained wrote no model.safetensors into {args.base_dir}: {sorted(os.listdir(args.base_dir))}")
    ids = torch.randint(0, config.vocab_size, (2, 12), generator=gen, dtype=torch.int64)
    reloaded = load_base(args.base_dir)
    save(args.inputs, {"input_ids": ids, "logits": forward(reloaded, ids, "cpu")})
    print(json.dumps({"versions": versions(), "base": args.base_dir}))
    return 0


def adapter_key_report(model, adapter_dir):
    """Looks every tensor of the adapter file up in the PEFT model (adapter name "default" inserted as PEFT's loader
    does) and lists what PEFT did not load as saved: absent keys, other shapes, dtypes or values."""
    import torch
    from safetensors.torch import load_file
    saved = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    state = model.state_dict()
    problems = []
    for key, value in sorted(saved.items()):
        head, _, leaf = key.rpartition(".")
        candidates = [key + ".default", f"{head}.default.{leaf}"]
        found = next((c for c in candidates if c in state), None)
        if found is None:
            problems.append(f"{key}: not in the PEFT model (looked for {candidates})")
            continue
        held = state[found].detach().cpu()
        if held.shape != value.shape:
            problems.append(f"{key}: PEFT holds shape {tuple(held.shape)}, the file {tuple(value.shape)}")
        elif held.dtype != value.dtype:
            problems.append(f"{key}: PEFT holds {held.dtype}, the file {value.dtype} (max |diff| {(held.double() - value.double()).abs().max().item():.3e})")
        elif not torch.equal(held, value):
            problems.append(f"{key}: PEFT holds other values (max |diff| {(held.double() - value.double()).abs().max().item():.3e})")
    return problems


def cmd_load_adapter(args):
    from peft import PeftModel
    ids = read_ids(args.inputs)
    base = load_base(args.base_dir, args.device)
    base_logits = forward(base, ids, args.device)
    model = PeftModel.from_pretrained(base, args.adapter_dir).eval()
    for problem in adapter_key_report(model, args.adapter_dir):
        print("peft_interop: " + problem, file=sys.stderr)
    save(args.out, {"logits": forward(model, ids, args.device), "base_logits": base_logits})
    print(json.dumps({"versions": versions(), "peft_config": model.peft_config["default"].to_dict()}, default=str))
    return 0


def cmd_save_adapter(args):
    import torch
    from peft import LoraConfig, RandLoraConfig, get_peft_model
    ids = read_ids(args.inputs)
    base = load_base(args.base_dir, args.device)
    torch.manual_seed(args.seed)
    if args.method == "lora":
        config = LoraConfig(task_type="CAUSAL_LM", target_modules=TARGETS, lora_dropout=0.0, fan_in_fan_out=True,
                            init_lora_weights=False, **LORA)
    else:
        config = RandLoraConfig(task_type="CAUSAL_LM", target_modules=TARGETS, randlora_dropout=0.0, fan_in_fan_out=True,
                                init_weights=False, save_projection=True, **RANDLORA)
    model = get_peft_model(base, config)
    if args.method == "randlora":
        # init_weights=False draws lambda ~ N(0, 1) but leaves gamma constant: vary it too.
        gen = torch.Generator().manual_seed(args.seed)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "randlora_gamma" in name:
                    p.mul_(1 + 0.5 * torch.randn(p.shape, generator=gen).to(p.device, p.dtype))
    model.eval()
    logits = forward(model, ids, args.device)
    model.save_pretrained(args.adapter_dir)
    save(args.out, {"logits": logits})
    print(json.dumps({"versions": versions(), "files": sorted(os.listdir(args.adapter_dir))}))
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check").set_defaults(run=cmd_check)
    p = sub.add_parser("make-base")
    p.add_argument("base_dir")
    p.add_argument("inputs")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=cmd_make_base)
    p = sub.add_parser("load-adapter")
    for a in ("base_dir", "adapter_dir", "inputs", "out"):
        p.add_argument(a)
    p.add_argument("--device", default="cpu")
    p.set_defaults(run=cmd_load_adapter)
    p = sub.add_parser("save-adapter")
    p.add_argument("method", choices=["lora", "randlora"])
    for a in ("base_dir", "inputs", "adapter_dir", "out"):
        p.add_argument(a)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.set_defaults(run=cmd_save_adapter)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
