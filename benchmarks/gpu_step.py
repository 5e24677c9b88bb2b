"""One fit's training step on a CUDA GPU without launch overhead, and stacked fits.

    python benchmarks/gpu_step.py                      # batch 2 046, cpu-profile sizes (H = 264), all modes
    python benchmarks/gpu_step.py --profile paper      # H = 528
    python benchmarks/gpu_step.py --modes fused graph-fused --runs 3 18 --steps 50 --out results/gpu/step
    python benchmarks/gpu_step.py --rehearse --steps 2 --runs 2    # on a CPU: every code path once, no timing claims

Prints s/step (and samples/s) of one fit in each mode, then of M fits stacked in one
``symlens.batched.BatchedTrainer`` (eager; vmap over the reference path).  Modes:

``reference``        eager, plain autograd path (``Trainer(reference=True)``), ~1 100 kernels a step
``fused``            eager, :mod:`symlens.fused` (on a GPU the whole batch is one chunk)
``graph-fused``      CUDA graph of everything that involves the estimators: the model loss's
                     estimator terms (alignment, reg1, reg2, marginal entropies), the
                     estimator loss, their gradients with respect to y and to the estimators,
                     and the estimators' Adam update.  The generator side (matrix_exp, the
                     group convolution, the low-rank entropy's eigvalsh, whose error checks
                     synchronise with the host and cannot be captured) runs eagerly around
                     it, and y's gradient from the graph is back-propagated into it.  Same
                     step as ``train_step`` (checked in ``--rehearse``)
``graph-reference``  the same partition on the reference path
``graph-full``       the whole step captured at once (expected to fail on the linear-algebra
                     synchronisations; reported)
``compile``          ``torch.compile(mode="reduce-overhead")`` of the reference path's loss
                     module (CUDA graphs per compiled region; graph breaks run eagerly)
``compile-fused``    the same for the fused path

Learning rates, τ and the filter noise are held fixed in the graph modes, which changes
nothing about a step's cost.  A mode that fails prints its error and the script goes on.
Without CUDA the script prints a message and exits 0 (``--rehearse`` runs the code paths
on the CPU instead, without graphs or compilation, and checks that the partitioned step
equals ``train_step``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from symlens import fused  # noqa: E402
from symlens.batched import BatchedTrainer  # noqa: E402
from symlens.config import get_profile  # noqa: E402
from symlens.entropy import low_rank_entropy  # noqa: E402
from symlens.losses import (  # noqa: E402
    alignment_loss,
    conditional_uniformity,
    conditional_uniformity_from_means,
    estimator_loss,
    marginal_uniformity,
    marginal_uniformity_from_means,
)
from symlens.train import Trainer  # noqa: E402

SIZES = {"cpu": dict(dim=33, hidden=264), "paper": dict(dim=33, hidden=528)}
MODES = ["reference", "fused", "graph-fused", "graph-reference", "graph-full", "compile", "compile-fused"]


class Bench:
    def __init__(self, device: str, rehearse: bool):
        self.device, self.rehearse = device, rehearse

    def sync(self):
        if self.device == "cuda":
            torch.cuda.synchronize()

    def timed(self, step, steps: int, warmup: int) -> tuple[float, float]:
        """(seconds of the first call, seconds per call after warm-up), synchronised."""
        self.sync()
        t0 = time.perf_counter()
        step()
        self.sync()
        first = time.perf_counter() - t0
        for _ in range(warmup):
            step()
        self.sync()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        self.sync()
        return first, (time.perf_counter() - t0) / steps

    def capture(self, fn, reset=None):
        """Capture ``fn`` in a CUDA graph (after warm-up on a side stream) and return its
        replay; when rehearsing on a CPU, return ``fn`` itself.  ``reset`` (optional) runs
        before every warm-up call and before the capture, outside the graph (for example
        ``zero_grad(set_to_none=True)``, which must not be captured)."""
        reset = reset or (lambda: None)
        reset()
        if self.rehearse:
            return fn
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                reset()
                fn()
        torch.cuda.current_stream().wait_stream(side)
        reset()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            fn()
        return graph.replay


def _config(batch: int, hidden: int):
    return get_profile("paper", batch_size=batch, hidden=hidden)


def _inputs(batch: int, dim: int, device: str, runs: int | None = None):
    rng = np.random.default_rng(0)
    shape = (batch, dim) if runs is None else (runs, batch, dim)
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float32, device=device)


def _fixed_step_inputs(tr: Trainer, device: str):
    g = torch.Generator().manual_seed(1)
    noise_model = (0.05 * torch.randn(tr.dim, generator=g)).to(device)
    noise_est = (0.05 * torch.randn(tr.dim, generator=g)).to(device)
    return noise_model, noise_est, torch.tensor(0.5, dtype=torch.float64, device=device)


def _capturable(*opts) -> None:
    if not all(p.is_cuda for opt in opts for g in opt.param_groups for p in g["params"]):
        return  # a CPU rehearsal: Adam's capturable mode is for accelerators
    for opt in opts:
        for group in opt.param_groups:
            group["capturable"] = True  # Adam's step count and bias corrections stay on the device


def partitioned_step(bench: Bench, tr: Trainer, x: torch.Tensor):
    """The training step as [eager generator side] -> [captured estimator side] -> [eager
    backward of the generator side and model update].  Returns the step function."""
    system, cfg = tr.system, tr.config.loss
    use_fused = not system.reference
    noise_model, noise_est, tau = _fixed_step_inputs(tr, bench.device)
    B, N = x.shape
    y_in = torch.zeros(B, N, device=bench.device, requires_grad=True)  # static graph inputs
    y_est_in = torch.zeros(B, N, device=bench.device)
    y_grad = torch.zeros(B, N, device=bench.device)  # static graph output
    est_params = [*system.marginal.parameters(), *system.conditional.parameters()]
    for p in est_params:
        p.grad = torch.zeros_like(p)
    _capturable(tr.opt_est)

    def estimator_side():
        y = y_in
        align = alignment_loss(y)
        if use_fused:
            shifts = (0, -1, 1)
            own, *others = fused.marginal_log_prob(system.marginal, y, shifts, detach_params=True).mean(1)
            reg1 = marginal_uniformity_from_means(own, dict(zip(shifts[1:], others)))
            pair0, *pairs = fused.conditional_pair_means(system.conditional, y, shifts)
            reg2 = conditional_uniformity_from_means(pair0, dict(zip(shifts[1:], pairs)))
            marg = -own
        else:
            reg1 = marginal_uniformity(y, system.marginal)
            reg2 = conditional_uniformity(y, system.conditional)
            marg = system.marginal.entropies(y, detach_params=True)
        # eq. 13 without its entropy term -(γ + δ) Ĥ_r(y), which is added eagerly
        part = cfg.alpha * align + cfg.beta * cfg.uniformity_scale * (reg1 + reg2) + cfg.gamma * marg.mean()
        est = estimator_loss(y_est_in, system.marginal, system.conditional, cfg.estimator_l2, fused=use_fused)
        grads = torch.autograd.grad(part + est, [y, *est_params])
        y_grad.copy_(grads[0])
        for p, g in zip(est_params, grads[1:]):
            p.grad.copy_(g)
        tr.opt_est.step()

    replay = bench.capture(estimator_side)

    def step():
        big = system.model.generator.big(eig_backward=use_fused)
        y = system.model(x, noise_model, big=big)
        with torch.no_grad():
            y_in.copy_(y)
            y_est_in.copy_(system.model(x, noise_est, big=big.detach()))
        replay()
        joint = low_rank_entropy(y, tau, cfg.gain).to(y.dtype)
        tr.opt_model.zero_grad(set_to_none=True)
        ((y * y_grad).sum() - (cfg.gamma + cfg.delta) * joint).backward()
        tr.opt_model.step()

    return step


def full_graph_step(bench: Bench, tr: Trainer, x: torch.Tensor):
    noise_model, noise_est, tau = _fixed_step_inputs(tr, bench.device)
    _capturable(tr.opt_model, tr.opt_est)

    def step():
        terms, est = tr.system(x, noise_model, noise_est, tau)
        (terms[0] + est).backward()
        tr.opt_model.step()
        tr.opt_est.step()

    def zero_grads():
        tr.opt_model.zero_grad(set_to_none=True)
        tr.opt_est.zero_grad(set_to_none=True)

    return bench.capture(step, reset=zero_grads)


def check_partition(device: str, batch: int, dim: int, hidden: int) -> float:
    """Max |parameter difference| after one partitioned step against one plain step with the
    same noise and τ (both fused); rounding-level when the partition is right."""
    cfg = _config(batch, hidden)
    a, b = Trainer(cfg, dim, seed=0, device=device), Trainer(cfg, dim, seed=0, device=device)
    for opt in (a.opt_model, a.opt_est, b.opt_model, b.opt_est):
        for group in opt.param_groups:
            group["lr"] = 1e-3
    x = _inputs(batch, dim, device)
    partitioned_step(Bench(device, rehearse=True), a, x)()
    noise_model, noise_est, tau = _fixed_step_inputs(b, device)
    terms, est = b.system(x, noise_model, noise_est, tau)
    b.opt_model.zero_grad(set_to_none=True)
    b.opt_est.zero_grad(set_to_none=True)
    (terms[0] + est).backward()
    b.opt_model.step()
    b.opt_est.step()
    return max(float((p - q).abs().max().detach()) for p, q in zip(a.system.parameters(), b.system.parameters()))


def one_fit(bench: Bench, mode: str, batch: int, dim: int, hidden: int, steps: int, warmup: int) -> dict:
    cfg = _config(batch, hidden)
    reference = mode in ("reference", "graph-reference", "compile")
    tr = Trainer(cfg, dim, seed=0, device=bench.device, reference=reference)
    x = _inputs(batch, dim, bench.device)
    t0 = time.perf_counter()
    if mode in ("graph-fused", "graph-reference"):
        step = partitioned_step(bench, tr, x)
    elif mode == "graph-full":
        step = full_graph_step(bench, tr, x)
    else:
        if mode.startswith("compile") and not bench.rehearse:
            tr._losses = torch.compile(tr.system, mode="reduce-overhead")
        step = lambda: tr.train_step(x)  # noqa: E731
    bench.sync()
    setup = time.perf_counter() - t0
    first, dt = bench.timed(step, steps, warmup)
    return {"mode": mode, "batch": batch, "runs": 1, "first_s": setup + first, "s_per_step": dt,
            "samples_per_s": batch / dt}


def stacked(bench: Bench, runs: int, batch: int, dim: int, hidden: int, steps: int, warmup: int) -> dict:
    bt = BatchedTrainer(_config(batch, hidden), dim, seeds=range(runs), device=bench.device)
    xs = _inputs(batch, dim, bench.device, runs)
    first, dt = bench.timed(lambda: bt.train_step(xs), steps, warmup)
    return {"mode": "stacked", "batch": batch, "runs": runs, "first_s": first, "s_per_step": dt,
            "samples_per_s": runs * batch / dt}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", choices=sorted(SIZES), default="cpu", help="sizes: cpu (H 264) or paper (H 528)")
    p.add_argument("--batches", type=int, nargs="+", default=[2_046])
    p.add_argument("--modes", nargs="+", default=MODES, choices=MODES)
    p.add_argument("--runs", type=int, nargs="*", default=[3, 18], help="stacked fits to time (none: skip)")
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--out", type=Path, default=None, help="also write the rows as JSON to OUT/gpu_step.json")
    p.add_argument("--rehearse", action="store_true",
                   help="run every code path on the CPU (no graphs, no compilation, no timing claims)")
    args = p.parse_args()
    if args.rehearse:
        device = "cpu"
    elif not torch.cuda.is_available():
        print("gpu_step.py: CUDA is not available on this machine; nothing to measure "
              "(run it where a GPU is lent, or use --rehearse to exercise the code on the CPU).")
        return 0
    else:
        device = "cuda"
    bench = Bench(device, args.rehearse)
    size = SIZES[args.profile]
    dim, hidden = size["dim"], size["hidden"]
    name = "CPU rehearsal" if args.rehearse else torch.cuda.get_device_name()
    print(f"torch {torch.__version__}, {name}; N = {dim}, H = {hidden}")
    if args.rehearse:
        err = check_partition(device, 4 * dim, dim, 16)
        print(f"partitioned step against train_step: max |parameter difference| {err:.2e}")
        if not err < 1e-5:
            print("gpu_step.py: the partitioned step differs from train_step", file=sys.stderr)
            return 1
    print(f"{'mode':>16} {'fits':>4} {'batch':>6} {'setup+1st s':>11} {'s/step':>9} {'ms/step':>8} {'samples/s':>11}")
    rows = []

    def show(r):
        rows.append(r)
        print(f"{r['mode']:>16} {r['runs']:>4} {r['batch']:>6} {r['first_s']:>11.2f} {r['s_per_step']:>9.5f} "
              f"{r['s_per_step'] * 1e3:>8.2f} {r['samples_per_s']:>11.0f}", flush=True)

    def failed(mode, runs, b, err):
        print(f"{mode:>16} {runs:>4} {b:>6}  failed: {type(err).__name__}: {str(err).splitlines()[0][:160]}",
              flush=True)
        traceback.print_exc(limit=3, file=sys.stderr)
        rows.append({"mode": mode, "batch": b, "runs": runs, "error": f"{type(err).__name__}: {err}"[:2000]})

    for b in args.batches:
        for mode in args.modes:
            try:  # one failing mode must not cost the lease
                show(one_fit(bench, mode, b, dim, hidden, args.steps, args.warmup))
            except Exception as err:
                failed(mode, 1, b, err)
            finally:
                if device == "cuda":
                    torch.cuda.empty_cache()
        for m in [m for m in args.runs if m > 0]:
            try:
                show(stacked(bench, m, b, dim, hidden, args.steps, args.warmup))
            except Exception as err:
                failed("stacked", m, b, err)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "gpu_step.json").write_text(json.dumps(
            {"torch": torch.__version__, "device": name, "dim": dim, "hidden": hidden, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
