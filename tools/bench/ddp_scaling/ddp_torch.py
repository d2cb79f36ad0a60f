"""PyTorch's own DDP on the same machine, the reference leg of tools/bench/ddp_scaling.sh.

The quickstart MLP (784-256-128-10, ReLU, AdamW lr 1e-3) trained in full on random Fashion-MNIST-shaped data
(60,000 × 784, 10 classes) for STEPS steps at a global batch of BATCH, as one process or as WORLD processes under
torch.nn.parallel.DistributedDataParallel over Gloo on loopback (each rank takes BATCH / WORLD samples of every global
batch), one intra-op thread per process. Prints train samples/s over the whole loop (first step to last, as lrt's
summary.json reports it).

Usage: ddp_torch.py WORLD STEPS BATCH PORT
"""
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn


def train(rank, world, steps, batch, port, out):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    if world > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(60000, 784, generator=g)
    y = torch.randint(0, 10, (60000,), generator=g)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    if world > 1:
        model = nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    per_rank = batch // world
    order = torch.randperm(60000, generator=torch.Generator().manual_seed(2))
    batches = 60000 // batch
    start = time.perf_counter()
    for step in range(steps):
        b = step % batches
        idx = order[b * batch + rank * per_rank: b * batch + (rank + 1) * per_rank]
        loss = loss_fn(model(x[idx]), y[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    elapsed = time.perf_counter() - start
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    if rank == 0:
        with open(out, "w") as f:
            f.write(f"{steps * batch / elapsed}\n")


def main():
    world, steps, batch, port = (int(a) for a in sys.argv[1:5])
    out = f"/tmp/ddp_torch_{os.getpid()}.txt"
    if world == 1:
        train(0, 1, steps, batch, port, out)
    else:
        mp.spawn(train, args=(world, steps, batch, port, out), nprocs=world)
    with open(out) as f:
        print(f.read().strip())
    os.remove(out)


if __name__ == "__main__":
    main()
