"""Seconds per training step, samples per second and the distance to the arithmetic floor.

    python benchmarks/step_time.py --profile cpu               # N = 33, H = 264, batch 2 046 (the cpu profile)
    python benchmarks/step_time.py --profile paper             # H = 528, batches 2 046 and 16 500
    python benchmarks/step_time.py --profile cpu --paths fused reference --threads 1 2
    python benchmarks/step_time.py --dim 15 --hidden 240 --batches 930 --threads 1   # the small-N laboratory

Prints, per device, path, thread count and batch: s/step, samples/s, the arithmetic of one
step counted by torch's FlopCounterMode (matrix products; elementwise work is not
counted), the achieved FLOP rate, and **the floor**: the step's counted FLOPs at this
machine's sgemm rate, measured in the same run on the estimator's own product shapes
(``x floor`` = s/step / floor s/step; 1.0 would be a step that only multiplies matrices at
the best rate measured).  The batch must be a multiple of N, so the issue's "2 048" is run
as 2 046 = 62·33.

Paths: ``fused`` (the default training path, :mod:`symlens.fused`) and ``reference`` (the
plain autograd path, ``Trainer(reference=True)``); mode ``compiled`` is ``compile=True``,
which compiles the reference path.  Reference (field notes): the authors' TensorFlow code
takes 0.75 s per step at batch 16 500 on this kind of 2-core CPU (≈ 22 000 samples/s),
0.10 s at 2 046 (paper architecture, H = 528).
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

AUTHORS_TF_CPU = {16_500: 0.75, 2_046: 0.10}  # paper architecture (H = 528), 2-core CPU
SIZES = {  # --profile: data dimension, hidden width, default batches
    "cpu": dict(dim=33, hidden=264, batches=[2_046]),
    "paper": dict(dim=33, hidden=528, batches=[16_500, 2_046]),
}


def _config(batch: int, hidden: int, compiled: bool = False):
    # the paper profile's method and schedule knobs; only the sizes vary
    return get_profile("paper", batch_size=batch, hidden=hidden, compile=compiled)


def bench(batch: int, steps: int, device: str, compiled: bool, dim: int = 33, hidden: int = 528,
          reference: bool = False, warmup: int = 2) -> dict:
    cfg = _config(batch, hidden, compiled)
    tr = Trainer(cfg, dim, seed=0, device=device, reference=reference)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((batch, dim)), dtype=torch.float32, device=device)
    flops = _count_flops(cfg, dim, x, device, reference)
    first, dt = _time_steps(lambda: tr.train_step(x), steps, warmup, device)  # first: compiles, if compiled
    return {"batch": batch, "device": device, "compiled": compiled, "first_step_s": first, "s_per_step": dt,
            "samples_per_s": batch / dt, "flops": flops, "gflop_per_step": flops / 1e9,
            "mflop_per_sample": flops / batch / 1e6, "gflop_per_s": flops / dt / 1e9}


def bench_batched(batch: int, runs: int, steps: int, device: str, dim: int = 33, hidden: int = 528,
                  warmup: int = 2) -> dict:
    """Seconds per step of ``runs`` independent fits stacked in one BatchedTrainer."""
    cfg = _config(batch, hidden)
    bt = BatchedTrainer(cfg, dim, seeds=range(runs), device=device)
    rng = np.random.default_rng(0)
    xs = torch.tensor(rng.standard_normal((runs, batch, dim)), dtype=torch.float32, device=device)
    first, dt = _time_steps(lambda: bt.train_step(xs), steps, warmup, device)
    return {"first_step_s": first, "s_per_step": dt, "samples_per_s": runs * batch / dt}


def sgemm_rate(batch: int, dim: int, hidden: int, device: str, n_kernels: int = 4, seconds: float = 0.5) -> float:
    """Best FLOP/s of the estimator's matrix products on this machine, now: the three
    product forms of its output layer (3 batched (rows x H) @ (H x N K) products, their
    input-gradient and weight-gradient forms) with rows = the batch and rows = the fused
    path's chunk, each timed repeatedly for about ``seconds``; the best rate seen."""
    from symlens.fused import CHUNK_ROWS

    out = dim * n_kernels
    best = 0.0
    for rows in sorted({batch, min(batch, CHUNK_ROWS)}):
        g = torch.Generator(device=device).manual_seed(0)
        h = torch.randn(3, rows, hidden, generator=g, device=device)
        w = torch.randn(3, hidden, out, generator=g, device=device)
        dz = torch.randn(3, rows, out, generator=g, device=device)
        flops = 2.0 * 3 * rows * hidden * out
        for f in (lambda: torch.bmm(h, w), lambda: torch.bmm(dz, w.transpose(1, 2)),
                  lambda: torch.bmm(h.transpose(1, 2), dz)):
            f()
            _sync(device)
            t_end = time.perf_counter() + seconds / 6
            while time.perf_counter() < t_end:
                t0 = time.perf_counter()
                for _ in range(3):
                    f()
                _sync(device)
                best = max(best, 3 * flops / (time.perf_counter() - t0))
    return best


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


def _count_flops(cfg, dim, x, device, reference: bool) -> int:
    """Matrix-product FLOPs of one (eager) training step; compiled steps do the same products."""
    tr = Trainer(replace(cfg, compile=False), dim, seed=0, device=device, reference=reference)
    with FlopCounterMode(display=False) as fc:
        tr.train_step(x)
    return fc.get_total_flops()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", choices=sorted(SIZES), default="paper",
                   help="sizes: cpu (N 33, H 264, batch 2 046) or paper (N 33, H 528, batches 16 500 and 2 046)")
    p.add_argument("--batches", type=int, nargs="+", default=None, help="default: the profile's")
    p.add_argument("--dim", type=int, default=None, help="data dimension N (default: the profile's)")
    p.add_argument("--hidden", type=int, default=None, help="conditional MLP width H (default: the profile's)")
    p.add_argument("--threads", type=int, nargs="+", default=None, help="CPU threads (default: torch's)")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--device", nargs="+", default=None, help="default: cpu, and cuda when present")
    p.add_argument("--paths", nargs="+", default=["fused"], choices=["fused", "reference"])
    p.add_argument("--modes", nargs="+", default=["eager"], choices=["eager", "compiled"])
    p.add_argument("--runs", type=int, nargs="*", default=[],
                   help="also time this many fits stacked in one BatchedTrainer (eager), per batch size")
    args = p.parse_args()
    size = SIZES[args.profile]
    dim = args.dim or size["dim"]
    hidden = args.hidden or size["hidden"]
    batches = args.batches or size["batches"]
    torch.set_flush_denormal(True)
    devices = args.device or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    threads = args.threads or [torch.get_num_threads()]
    print(f"torch {torch.__version__}; N = {dim}, H = {hidden}; floor = counted FLOPs / best sgemm rate "
          f"on the estimator's product shapes, measured now")
    print(f"{'device':>6} {'path':>9} {'mode':>8} {'thr':>3} {'batch':>6} {'1st step s':>10} {'s/step':>8} "
          f"{'samples/s':>10} {'GFLOP/step':>10} {'GFLOP/s':>8} {'sgemm GF/s':>10} {'floor s':>8} "
          f"{'x floor':>7} {'authors TF s/step':>18}")
    for dev in devices:
        for n_threads in threads if dev == "cpu" else [torch.get_num_threads()]:
            torch.set_num_threads(n_threads)
            for mode in args.modes:
                for path in args.paths if mode == "eager" else ["reference"]:
                    for b in batches:
                        r = bench(b, args.steps, dev, compiled=mode == "compiled", dim=dim, hidden=hidden,
                                  reference=path == "reference")
                        rate = sgemm_rate(b, dim, hidden, dev)
                        floor = r["flops"] / rate
                        ref = AUTHORS_TF_CPU.get(b) if dev == "cpu" and hidden == 528 and dim == 33 else None
                        print(f"{dev:>6} {path:>9} {mode:>8} {n_threads:>3} {b:>6} {r['first_step_s']:>10.1f} "
                              f"{r['s_per_step']:>8.4f} {r['samples_per_s']:>10.0f} {r['gflop_per_step']:>10.2f} "
                              f"{r['gflop_per_s']:>8.1f} {rate / 1e9:>10.1f} {floor:>8.4f} "
                              f"{r['s_per_step'] / floor:>7.2f} {'' if ref is None else f'{ref:.2f}':>18}", flush=True)
            for m in args.runs:
                for b in batches:
                    r = bench_batched(b, m, args.steps, dev, dim=dim, hidden=hidden)
                    print(f"{dev:>6} {f'{m} runs':>9} {'eager':>8} {n_threads:>3} {b:>6} {r['first_step_s']:>10.1f} "
                          f"{r['s_per_step']:>8.4f} {r['samples_per_s']:>10.0f}   (samples/s counts all runs; "
                          f"s/step is per batched step)", flush=True)


if __name__ == "__main__":
    main()
