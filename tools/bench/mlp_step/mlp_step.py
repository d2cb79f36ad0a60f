"""mlp_step.py — PyTorch-eager leg of the MLP training-step benchmark (tools/bench/mlp_step.sh runs
it next to the C# leg, Program.cs, on the same libtorch).

The same step as the C# leg: MLP 784-256-256-10 = torch.nn.Sequential(Linear, ReLU, Linear, ReLU,
Linear), torch.optim.AdamW(lr=1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay=0.01), one fixed
random batch [B, 784] with int64 labels in [0, 10):
    opt.zero_grad(set_to_none=True); loss = F.cross_entropy(model(x), y); loss.backward(); opt.step()
Each batch size is run twice, with AdamW(foreach=False) (the default on CPU in PyTorch 1.13:
foreach=None means False there) and AdamW(foreach=True); "PyTorch's best" is the faster of the two.
Each phase is also timed with perf_counter_ns (zero_grad, forward+loss, backward, optimizer step),
and the minor page faults per step are counted.

Usage: mlp_step.py [batches] [batch_sizes] [order]   (defaults 11, "32,128,1024", "false,true")
Output: "name value" lines; "<name>_batches v,v,..." holds the per-batch ms/step.
"""
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

BATCHES = int(sys.argv[1]) if len(sys.argv) > 1 else 11
SIZES = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "32,128,1024").split(",")]
ORDER = [s == "true" for s in (sys.argv[3] if len(sys.argv) > 3 else "false,true").split(",")]
WARMUP = 2


def steps_per_batch(b):  # the same as the C# leg
    return 60 if b <= 32 else 25 if b <= 128 else 4


def mapped_libtorch():
    with open("/proc/self/maps", encoding="utf-8") as f:
        for line in f:
            if "libtorch_cpu.so" in line and "/" in line:
                return line[line.index("/"):].strip()
    return "?"


def run(b, foreach):
    tag = f"py_b{b}_foreach_{'true' if foreach else 'false'}"
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01, foreach=foreach)
    x = torch.randn(b, 784)
    y = torch.tensor([(i * 7 + 3) % 10 for i in range(b)], dtype=torch.int64)
    steps = steps_per_batch(b)
    clock = time.perf_counter_ns
    ms, phase, faults = [], [0, 0, 0, 0], 0
    first = last = float("nan")
    for batch in range(WARMUP + BATCHES):
        timed = batch >= WARMUP
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0 = clock()
        for s in range(steps):
            a = clock()
            opt.zero_grad(set_to_none=True)
            c1 = clock()
            loss = F.cross_entropy(model(x), y)
            c2 = clock()
            loss.backward()
            c3 = clock()
            opt.step()
            c4 = clock()
            if batch == 0 and s == 0:
                first = loss.item()
            elif batch == WARMUP + BATCHES - 1 and s == steps - 1:
                last = loss.item()
            if timed:
                phase[0] += c1 - a
                phase[1] += c2 - c1
                phase[2] += c3 - c2
                phase[3] += c4 - c3
            del loss
        t1 = clock()
        if timed:
            faults += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
            ms.append((t1 - t0) / 1e6 / steps)
    n = BATCHES * steps
    print(f"{tag}_steps_per_batch {steps}")
    print(f"{tag}_ms {statistics.median(ms):.4f}")
    print(f"{tag}_ms_batches {','.join(f'{v:.4f}' for v in ms)}")
    for name, v in zip(("zero_grad", "forward", "backward", "optim"), phase):
        print(f"{tag}_phase_{name}_ms {v / 1e6 / n:.4f}")
    print(f"{tag}_minflt_per_step {faults / n:.1f}")
    print(f"{tag}_loss_first {first:.6f}")
    print(f"{tag}_loss_last {last:.6f}")
    print(f"{tag}_loss_decreased {int(last < first)}")


def main():
    torch.set_num_threads(1)
    print(f"py_torch_version {torch.__version__}")
    print(f"py_libtorch {mapped_libtorch()}")
    print(f"py_threads {torch.get_num_threads()}")
    print(f"py_runtime Python {sys.version.split()[0]}")
    with torch.no_grad():
        probe = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))])
    print(f"py_adamw_default_foreach {probe.defaults['foreach']}")
    for b in SIZES:
        for foreach in ORDER:
            run(b, foreach)


if __name__ == "__main__":
    main()
