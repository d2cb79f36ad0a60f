"""op_overhead.py — Python PyTorch leg of the per-op overhead benchmark (tools/bench/op_overhead.sh).

Times a 1-element float32 add through Debian's python3-torch, which runs on the same
libtorch_cpu.so as the C++ and C# legs:
  py_operator_add_ns   a + b       (result dropped)
  py_torch_add_ns      torch.add(a, b)
  py_add_inplace_ns    a.add_(b)
Each variant: warm-up batches, then the median ns/op of BATCHES timed batches of OPS ops
(time.perf_counter_ns around a plain for-loop; the loop's own cost, ~20 ns, is included, as it is
in every Python program). Usage: /usr/bin/python3 op_overhead.py [batches] [ops_per_batch]
Output: one "name value" line per measurement, plus "<name>_batches v,v,...".
"""
import statistics
import sys
import time

import torch


def batch_ns_per_op(fn, ops):
    return fn(ops) / ops


def measure(name, fn, batches, ops):
    for _ in range(2):  # warm-up
        fn(ops)
    xs = [batch_ns_per_op(fn, ops) for _ in range(batches)]
    print(f"{name}_batches " + ",".join(f"{x:.1f}" for x in xs))
    print(f"{name} {statistics.median(xs):.1f}", flush=True)


def main():
    batches = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    ops = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    torch.set_num_threads(1)

    lib = "unknown"
    with open("/proc/self/maps", encoding="ascii", errors="replace") as maps:
        for line in maps:
            if "libtorch_cpu" in line:
                lib = line.split()[-1]
                break
    print(f"py_torch_version {torch.__version__}")
    print(f"py_libtorch {lib}")
    print(f"py_threads {torch.get_num_threads()}")
    print(f"py_version {sys.version.split()[0]}")

    a = torch.ones(1, dtype=torch.float32)
    b = torch.full((1,), 1e-3, dtype=torch.float32)

    # Each timed batch is one function so the loop runs on fast local variables, as user code does.
    def operator_add(n):
        x, y = a, b
        t0 = time.perf_counter_ns()
        for _ in range(n):
            x + y  # noqa: B018 (the result is dropped on purpose)
        return time.perf_counter_ns() - t0

    def torch_add(n):
        x, y, add = a, b, torch.add
        t0 = time.perf_counter_ns()
        for _ in range(n):
            add(x, y)
        return time.perf_counter_ns() - t0

    def add_inplace(n):
        x, y = a, b
        t0 = time.perf_counter_ns()
        for _ in range(n):
            x.add_(y)
        return time.perf_counter_ns() - t0

    measure("py_operator_add_ns", operator_add, batches, ops)
    measure("py_torch_add_ns", torch_add, batches, ops)
    measure("py_add_inplace_ns", add_inplace, batches, ops)
    print(f"py_check {a.item():.3f}")


if __name__ == "__main__":
    main()
