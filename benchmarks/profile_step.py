"""Where the time of one training step goes, by kind of work.

    python benchmarks/profile_step.py --profile cpu                 # N = 33, H = 264, batch 2 046, 1 thread
    python benchmarks/profile_step.py --profile paper --batch 2046  # H = 528
    python benchmarks/profile_step.py --dim 15 --hidden 240 --batch 930 --paths fused reference
    python benchmarks/profile_step.py --profile cpu --torch-profiler   # torch.profiler's table as well

Every aten operation of a few steps is timed with the thread's CPU time (a
TorchDispatchMode around each call), so the figures hold on a shared machine where wall
time does not: a preempted operation is not charged for the time it waited.  Run with one
thread (the default here); with more, CPU time counts every thread's spinning.  The timer
itself slows the step (about 10-30 µs per operation); the step's own CPU time without it is
printed first.  Page faults and system time come from getrusage over the timed steps.

Kinds: ``estimator products`` (the conditional MLPs' batched matrix products),
``generator`` (matrix_exp, eigh and the products of the generator and the group
convolution), ``elementwise, ≥ 100k`` / ``10k-100k`` / ``< 10k elements`` (by the largest
operand: the first two are memory- and arithmetic-bound, the last is per-call overhead).
"""

from __future__ import annotations

import argparse
import collections
import math
import resource
import time

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from symlens.config import get_profile
from symlens.train import Trainer

SIZES = {"cpu": dict(dim=33, hidden=264, batch=2_046), "paper": dict(dim=33, hidden=528, batch=2_046)}
_PRODUCTS = {"bmm", "baddbmm", "baddbmm_", "mm", "addmm", "mv", "addmv", "matmul"}
_GENERATOR = {"linalg_matrix_exp", "_linalg_eigh", "linalg_eigh", "_linalg_eigvalsh", "linalg_eigvalsh"}


class _OpTimer(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.acc = collections.defaultdict(lambda: [0, 0])

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        t = time.thread_time_ns()
        out = func(*args, **(kwargs or {}))
        dt = time.thread_time_ns() - t
        shapes = tuple(tuple(a.shape) for a in args if isinstance(a, torch.Tensor))
        e = self.acc[(func.overloadpacket.__name__, shapes)]
        e[0] += dt
        e[1] += 1
        return out


def _kind(name: str, shapes, hidden: int, dim: int) -> str:
    if name in _GENERATOR:
        return "generator"
    if name in _PRODUCTS:
        return "estimator products" if any(hidden in s for s in shapes) else "generator"
    n = max([math.prod(s) for s in shapes] + [0])
    return "elementwise, >= 100k" if n >= 100_000 else "elementwise, 10k-100k" if n >= 10_000 else "elementwise, < 10k"


def profile(dim: int, hidden: int, batch: int, reference: bool, steps: int, top: int, torch_profiler: bool) -> None:
    cfg = get_profile("paper", batch_size=batch, hidden=hidden)
    tr = Trainer(cfg, dim, seed=0, **({"reference": True} if reference else {}))
    x = torch.randn(batch, dim, generator=torch.Generator().manual_seed(0))
    for _ in range(2):
        tr.train_step(x)
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.thread_time()
    for _ in range(steps):
        tr.train_step(x)
    r1, plain = resource.getrusage(resource.RUSAGE_SELF), (time.thread_time() - t0) / steps
    timer = _OpTimer()
    with timer:
        for _ in range(steps):
            tr.train_step(x)
    path = {True: "reference", False: "fused", None: "single"}[getattr(tr.system, "reference", None)]
    faults = (r1.ru_minflt - r0.ru_minflt) / steps
    sys_ms = (r1.ru_stime - r0.ru_stime) / steps * 1e3
    n_ops = sum(v[1] for v in timer.acc.values()) / steps
    print(f"\n== N = {dim}, H = {hidden}, batch {batch}, {path} path, {torch.get_num_threads()} thread(s): "
          f"{plain * 1e3:.1f} ms CPU per step ({sys_ms:.1f} ms of it in the kernel, {faults:.0f} page faults), "
          f"{n_ops:.0f} aten calls")
    kinds = collections.defaultdict(lambda: [0.0, 0.0])
    for (name, shapes), (ns, count) in timer.acc.items():
        k = kinds[_kind(name, shapes, hidden, dim)]
        k[0] += ns / steps / 1e6
        k[1] += count / steps
    total = sum(v[0] for v in kinds.values())
    print(f"   {'kind':24s} {'ms/step':>8} {'share':>6} {'calls':>6}   (timed: {total:.1f} ms/step)")
    for name, (ms, count) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
        print(f"   {name:24s} {ms:8.1f} {ms / total:6.0%} {count:6.0f}")
    print(f"   top operations:")
    for (name, shapes), (ns, count) in sorted(timer.acc.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"     {name:26s} {ns / steps / 1e6:7.2f} ms  x{count // steps:<4d} {str(shapes)[:80]}")
    if torch_profiler:
        from torch.profiler import ProfilerActivity, profile as tprofile

        with tprofile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(steps):
                tr.train_step(x)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", choices=sorted(SIZES), default="cpu")
    p.add_argument("--dim", type=int, default=None)
    p.add_argument("--hidden", type=int, default=None)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--top", type=int, default=12)
    p.add_argument("--paths", nargs="+", default=["fused"], choices=["fused", "reference"])
    p.add_argument("--torch-profiler", action="store_true", help="also print torch.profiler's table (wall time)")
    args = p.parse_args()
    size = SIZES[args.profile]
    torch.set_flush_denormal(True)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}")
    for path in args.paths:
        profile(args.dim or size["dim"], args.hidden or size["hidden"], args.batch or size["batch"],
                path == "reference", args.steps, args.top, args.torch_profiler)


if __name__ == "__main__":
    main()
