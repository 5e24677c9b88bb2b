"""Seconds per training step and samples per second of the faithful method (paper profile).

    python benchmarks/step_time.py [--batches 16500 2046] [--steps 5] [--device cpu] [--runs 18]

Prints, per batch size and device: s/step, samples/s, the arithmetic of one step counted
by torch's FlopCounterMode (matrix products; elementwise work is not counted), and the
achieved FLOP rate.  The batch must be a multiple of N = 33, so the issue's "2 048" is run
as 2 046 = 62·33.  Reference (field notes): the authors' TensorFlow code takes 0.75 s per
step at batch 16 500 on this kind of 2-core CPU (≈ 22 000 samples/s), 0.10 s at 2 046.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from symlens.batched import BatchedTrainer
from symlens.config import get_profile
from symlens.train import Trainer

AUTHORS_TF_CPU = {16_500: 0.75, 2_046: 0.10}


def bench(batch: int, steps: int, device: str, compiled: bool, dim: int = 33, warmup: int = 2) -> dict:
    cfg = get_profile("paper", batch_size=batch, compile=compiled)
    tr = Trainer(cfg, dim, seed=0, device=device)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((batch, dim)), dtype=torch.float32, device=device)
    flops = _count_flops(cfg, dim, x, device)
    first, dt = _time_steps(lambda: tr.train_step(x), steps, warmup, device)  # first: compiles, if compiled
    return {"batch": batch, "device": device, "compiled": compiled, "first_step_s": first, "s_per_step": dt, "samples_per_s": batch / dt,
            "gflop_per_step": flops / 1e9, "mflop_per_sample": flops / batch / 1e6,
            "gflop_per_s": flops / dt / 1e9}


def bench_batched(batch: int, runs: int, steps: int, device: str, dim: int = 33, warmup: int = 2) -> dict:
    """Seconds per step of ``runs`` independent fits stacked in one BatchedTrainer."""
    cfg = get_profile("paper", batch_size=batch)
    bt = BatchedTrainer(cfg, dim, seeds=range(runs), device=device)
    rng = np.random.default_rng(0)
    xs = torch.tensor(rng.standard_normal((runs, batch, dim)), dtype=torch.float32, device=device)
    first, dt = _time_steps(lambda: bt.train_step(xs), steps, warmup, device)
    return {"first_step_s": first, "s_per_step": dt, "samples_per_s": runs * batch / dt}


def _time_steps(step, steps: int, warmup: int, device: str) -> tuple[float, float]:
    """(seconds of the first call, mean seconds per call after ``warmup`` more calls)."""
    t0 = time.perf_counter()
    step()
    first = time.perf_counter() - t0
    for _ in range(warmup):
        step()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    return first, (time.perf_counter() - t0) / steps


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def _count_flops(cfg, dim, x, device) -> int:
    """Matrix-product FLOPs of one (eager) training step; compiled steps do the same products."""
    tr = Trainer(replace(cfg, compile=False), dim, seed=0, device=device)
    with FlopCounterMode(display=False) as fc:
        tr.train_step(x)
    return fc.get_total_flops()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batches", type=int, nargs="+", default=[16_500, 2_046])
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--device", nargs="+", default=None, help="default: cpu, and cuda when present")
    p.add_argument("--modes", nargs="+", default=["eager", "compiled"], choices=["eager", "compiled"])
    p.add_argument("--runs", type=int, nargs="*", default=[],
                   help="also time this many fits stacked in one BatchedTrainer (eager), per batch size")
    args = p.parse_args()
    torch.set_flush_denormal(True)
    devices = args.device or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print(f"{'device':>6} {'mode':>8} {'batch':>6} {'1st step s':>10} {'s/step':>8} {'samples/s':>10} {'GFLOP/step':>10} "
          f"{'MFLOP/sample':>12} {'GFLOP/s':>8} {'authors TF s/step':>18}")
    for dev in devices:
        for mode in args.modes:
            for b in args.batches:
                r = bench(b, args.steps, dev, compiled=mode == "compiled")
                ref = AUTHORS_TF_CPU.get(b) if dev == "cpu" else None
                print(f"{dev:>6} {mode:>8} {b:>6} {r['first_step_s']:>10.1f} {r['s_per_step']:>8.3f} {r['samples_per_s']:>10.0f} "
                      f"{r['gflop_per_step']:>10.2f} {r['mflop_per_sample']:>12.2f} {r['gflop_per_s']:>8.1f} "
                      f"{'' if ref is None else f'{ref:.2f}':>18}")
        for m in args.runs:
            for b in args.batches:
                r = bench_batched(b, m, args.steps, dev)
                print(f"{dev:>6} {f'{m} runs':>8} {b:>6} {r['first_step_s']:>10.1f} {r['s_per_step']:>8.3f} "
                      f"{r['samples_per_s']:>10.0f}   (samples/s counts all runs; s/step is per batched step)")


if __name__ == "__main__":
    main()
