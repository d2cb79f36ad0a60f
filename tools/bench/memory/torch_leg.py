#!/usr/bin/env python3
"""tools/bench/memory/torch_leg.py — the PyTorch side of tools/bench/memory.sh: the LoRA fine-tuning step that
Program.cs runs through lrt's Trainer, written as HF transformers' GPT-2 and HF PEFT's LoRA run it, on the same
libtorch (Debian's python3-torch shares libtorch with the shim), with tensor memory counted by the same counting CPU
allocator: the shim is loaded with ctypes after `import torch` and ts_cpu_memory_tracking_start() is called before the
model is built.

    torch_leg.py SHIM.so HF_CONFIG.json BATCH SEQ STEPS fp32|bf16

The models follow transformers' modeling_gpt2 (GPT2LMHeadModel) and modeling_llama (LlamaForCausalLM) with SDPA
attention. GPT-2: Conv1D layers (weight [in, out], addmm), ln_1 → attention (c_attn, split, heads as views, SDPA,
merged heads made contiguous, c_proj) → residual, ln_2 → MLP (c_fc, gelu tanh, c_proj) → residual; wte + wpe; ln_f;
lm_head tied to wte. Llama: RMSNorm, q/k/v_proj, RoPE (rotate_half; cos/sin computed once per forward), grouped-query
SDPA, o_proj; SwiGLU MLP; lm_head tied to embed_tokens. SDPA is F.scaled_dot_product_attention where torch has it
(2.1+; GQA inside the op from 2.5, else repeat_kv), else PyTorch 2.x's math path written out (Debian's 1.13 has no
SDPA; lrt's shim composes the same ops there). LoRA follows PEFT's lora.Linear.forward: result = base(x);
x = x.to(lora_A.weight.dtype) when they differ (_cast_input_dtype); result = result + lora_B(lora_A(dropout(x))) *
scaling; result.to(result's dtype); dropout 0 is nn.Identity. The step follows tools/bench/gpu/peft_leg.py: autocast around forward and
F.cross_entropy over every position, the logits dropped before backward, clip_grad_norm_(1.0), AdamW (foreach; lr 2e-4,
wd 0), linear decay, zero_grad(set_to_none=True).

Output: "name value" lines, as Program.cs: per step its peak bytes (from a reset at the end of the step before; step 1's
includes building the model) and the bytes allocated after it.
"""
import ctypes
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: y = x·W + b with W stored [in, out]."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf).normal_(std=0.02))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class LoraLayer(nn.Module):
    """PEFT's lora.Linear around a Conv1D (fan_in_fan_out=True) or an nn.Linear: base output plus B·A·x·(α/r)."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base_layer = base
        nx, nf = base.weight.shape if isinstance(base, Conv1D) else base.weight.shape[::-1]
        self.lora_A = nn.Linear(nx, r, bias=False)
        self.lora_B = nn.Linear(r, nf, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.lora_dropout = nn.Identity()
        self.scaling = alpha / r

    def forward(self, x):
        result = self.base_layer(x)
        torch_result_dtype = result.dtype
        if x.dtype != self.lora_A.weight.dtype:  # PEFT's _cast_input_dtype
            x = x.to(dtype=self.lora_A.weight.dtype)
        result = result + self.lora_B(self.lora_A(self.lora_dropout(x))) * self.scaling
        return result.to(torch_result_dtype)


TORCH_VERSION = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2])
HAS_SDPA = TORCH_VERSION >= (2, 1)      # as the shim's TS_HAS_PUBLIC_SDPA
HAS_SDPA_GQA = TORCH_VERSION >= (2, 5)  # as the shim's TS_HAS_SDPA_GQA


def sdpa(q, k, v, scale, gqa=False):
    """Causal attention as transformers' sdpa_attention_forward calls it (no mask, is_causal): F.scaled_dot_product_
    attention where this torch has it (GQA inside the op from 2.5, else repeat_kv first); on 1.13 PyTorch 2.x's math
    path written out, as lrt's shim composes it there."""
    n_rep = q.size(-3) // k.size(-3)
    if n_rep > 1 and not (HAS_SDPA_GQA and gqa):
        k, v = repeat_kv(k, n_rep), repeat_kv(v, n_rep)
    if HAS_SDPA:
        extra = {"enable_gqa": True} if n_rep > 1 and HAS_SDPA_GQA and gqa else {}
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale, **extra)
    scores = torch.matmul(q, k.transpose(-2, -1)) * scale
    keep = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).tril()
    scores = scores.masked_fill(keep.logical_not(), float("-inf"))
    return torch.matmul(torch.softmax(scores, -1), v)


def repeat_kv(x, n_rep):
    """transformers' repeat_kv (sdpa without enable_gqa, as on torch < 2.5)."""
    b, h, t, d = x.shape
    return x[:, :, None, :, :].expand(b, h, n_rep, t, d).reshape(b, h * n_rep, t, d)


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim, self.split_size = heads, d // heads, d
        self.c_attn = Conv1D(3 * d, d)
        self.c_proj = Conv1D(d, d)

    def forward(self, h):
        q, k, v = self.c_attn(h).split(self.split_size, dim=2)
        shape = (*q.shape[:-1], -1, self.head_dim)
        q, k, v = (t.view(shape).transpose(1, 2) for t in (q, k, v))
        attn = sdpa(q, k, v, self.head_dim ** -0.5)
        attn = attn.transpose(1, 2).contiguous()  # transformers' sdpa_attention_forward
        attn = attn.reshape(*attn.shape[:-2], -1).contiguous()
        return self.c_proj(attn)


class Mlp(nn.Module):
    def __init__(self, d, inner):
        super().__init__()
        self.c_fc = Conv1D(inner, d)
        self.c_proj = Conv1D(d, inner)

    def forward(self, h):
        return self.c_proj(F.gelu(self.c_fc(h), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, d, heads, inner, eps):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.attn = Attention(d, heads)
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.mlp = Mlp(d, inner)

    def forward(self, x):
        residual = x
        x = self.attn(self.ln_1(x)) + residual
        residual = x
        return residual + self.mlp(self.ln_2(x))


class Gpt2LMHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, eps = cfg["n_embd"], cfg["layer_norm_epsilon"]
        inner = cfg.get("n_inner") or 4 * d
        self.wte = nn.Embedding(cfg["vocab_size"], d)
        self.wpe = nn.Embedding(cfg["n_positions"], d)
        nn.init.normal_(self.wte.weight, std=cfg["initializer_range"])
        nn.init.normal_(self.wpe.weight, std=0.01)
        self.h = nn.ModuleList(Block(d, cfg["n_head"], inner, eps) for _ in range(cfg["n_layer"]))
        self.ln_f = nn.LayerNorm(d, eps=eps)

    def forward(self, ids):
        positions = torch.arange(ids.size(1), dtype=torch.long).unsqueeze(0)
        x = self.wte(ids) + self.wpe(positions)
        for block in self.h:
            x = block(x)
        return F.linear(self.ln_f(x), self.wte.weight)  # lm_head tied to wte


class RmsNorm(nn.Module):
    """transformers' LlamaRMSNorm."""

    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        input_dtype = x.dtype
        x = x.to(torch.float32)
        variance = x.pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.eps)
        return self.weight * x.to(input_dtype)


def rotary(cfg, seq, dtype):
    """LlamaRotaryEmbedding.forward for positions 0..seq-1 (default RoPE): cos and sin [1, seq, head_dim], computed
    once per forward with autocast off and cast to the hidden states' dtype."""
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    positions = torch.arange(seq).float()[None, :]
    with torch.autocast("cpu", enabled=False):
        freqs = (inv_freq[None, :, None].float() @ positions[:, None, :]).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
    return cos.to(dtype), sin.to(dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, self.heads, self.kv_heads = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
        self.head_dim = cfg.get("head_dim") or d // self.heads
        self.q_proj = nn.Linear(d, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, d, bias=False)

    def forward(self, h, cos, sin):
        input_shape = h.shape[:-1]
        hidden_shape = (*input_shape, -1, self.head_dim)
        q = self.q_proj(h).view(hidden_shape).transpose(1, 2)
        k = self.k_proj(h).view(hidden_shape).transpose(1, 2)
        v = self.v_proj(h).view(hidden_shape).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = (q * cos) + (rotate_half(q) * sin)
        k = (k * cos) + (rotate_half(k) * sin)
        attn = sdpa(q, k, v, self.head_dim ** -0.5, gqa=True)
        attn = attn.transpose(1, 2).contiguous()
        attn = attn.reshape(*input_shape, -1).contiguous()
        return self.o_proj(attn)


class LlamaMlp(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, inner = cfg["hidden_size"], cfg["intermediate_size"]
        self.gate_proj = nn.Linear(d, inner, bias=False)
        self.up_proj = nn.Linear(d, inner, bias=False)
        self.down_proj = nn.Linear(inner, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RmsNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.self_attn = LlamaAttention(cfg)
        self.post_attention_layernorm = RmsNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.mlp = LlamaMlp(cfg)

    def forward(self, x, cos, sin):
        residual = x
        x = residual + self.self_attn(self.input_layernorm(x), cos, sin)
        residual = x
        return residual + self.mlp(self.post_attention_layernorm(x))


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        nn.init.normal_(self.embed_tokens.weight, std=cfg["initializer_range"])
        self.layers = nn.ModuleList(LlamaLayer(cfg) for _ in range(cfg["num_hidden_layers"]))
        self.norm = RmsNorm(cfg["hidden_size"], cfg["rms_norm_eps"])

    def forward(self, ids):
        x = self.embed_tokens(ids)
        cos, sin = rotary(self.cfg, ids.size(1), x.dtype)
        for layer in self.layers:
            x = layer(x, cos, sin)
        return F.linear(self.norm(x), self.embed_tokens.weight)  # lm_head tied to embed_tokens


MODELS = {  # model_type: (class, PEFT target_modules as in tools/bench/gpu/*.yaml)
    "gpt2": (Gpt2LMHead, {"c_attn", "c_proj", "c_fc"}),
    "llama": (LlamaForCausalLM, {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}),
}


def inject_lora(model, targets, r, alpha):
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if name in targets and isinstance(child, (Conv1D, nn.Linear)):
                setattr(module, name, LoraLayer(child, r, alpha))
    for name, p in model.named_parameters():
        p.requires_grad_("lora_" in name)


def main():
    shim, config_path, batch, seq, steps, dtype = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6]), sys.argv[6]
    lib = ctypes.CDLL(shim, mode=ctypes.RTLD_GLOBAL)
    stats = (ctypes.c_int64 * 3)()
    if lib.ts_cpu_memory_tracking_start() != 0:
        raise SystemExit("torch_leg: ts_cpu_memory_tracking_start failed")
    torch.set_num_threads(1)
    torch.manual_seed(42)
    with open(config_path) as f:
        cfg = json.load(f)
    model_class, targets_ = MODELS[cfg["model_type"]]
    model = model_class(cfg)
    inject_lora(model, targets_, r=16, alpha=32)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=2e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, foreach=True)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1.0 - s / steps))
    rows = torch.randint(0, cfg["vocab_size"], (batch * steps, seq + 1))
    inputs, targets = rows[:, :-1].contiguous(), rows[:, 1:].contiguous()
    del rows
    print("side torch")
    print(f"dtype {dtype}")
    for step in range(1, steps + 1):
        x = inputs[(step - 1) * batch:step * batch]
        y = targets[(step - 1) * batch:step * batch]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=(dtype == "bf16")):
            logits = model(x)
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        del logits
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        del loss, x, y
        lib.ts_cpu_memory_stats(stats)
        print(f"step{step}_peak_bytes {stats[2]}")
        print(f"step{step}_after_bytes {stats[1]}")
        lib.ts_cpu_memory_reset_peak()


if __name__ == "__main__":
    main()
