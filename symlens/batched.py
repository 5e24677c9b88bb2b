"""Many independent fits in one batched computation (stacked parameters, one set of kernels).

Table 2 needs 6 datasets x several seeds.  Fitting them one after another leaves a GPU
mostly idle at the batch sizes that converge fastest (a step is ~1 100 small kernels), so
:class:`BatchedTrainer` stacks the parameters of M independent systems along a leading
axis and evaluates all M losses with ``torch.func.vmap`` over
:class:`~symlens.train.LensSystem`: every kernel then works on M batches at once.

The M fits stay independent and each is the fit a :class:`~symlens.train.Trainer` with
the same config and seed would make: the initial draw, filter noise and batch order come
from each run's own seeded streams, the summed loss gives each model only its own
gradient, and Adam is elementwise, so one Adam over the stacked tensors is M Adams.  What
the runs must share is the config (learning rates, batch, schedule) and N.

Works on CPU with M = 1 as well, but there it is slower than a plain Trainer (no launch
overhead to hide, and vmap's batched kernels are slower on CPU; see benchmarks/README.md):
on a CPU fit runs one after another.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch.func import functional_call, vmap
from tqdm.auto import tqdm

from .config import LensConfig
from .losses import ModelLoss
from .optim import model_optimizer
from .generator import skew
from .recentre import recentre_filter
from .train import (Trainer, kick_generator, model_param_groups, recentre_due, resolve_device, scheduled,
                    seriation_due, seriation_samples, snap_due, step_clock, update)

__all__ = ["BatchedTrainer"]


class BatchedTrainer:
    """M independent SymmetryLens fits, trained together.

    Parameters
    ----------
    config : shared settings of every run.
    dim : N (odd).
    seeds : one seed per run (M = len(seeds)); each seeds its run's init, noise and batch
        order exactly as :class:`~symlens.train.Trainer` does.
    device : torch device.

    Attributes
    ----------
    trainers : the M per-run :class:`~symlens.train.Trainer` objects.  They hold each run's
        random streams and history, and after :meth:`fit` (or :meth:`sync`) its parameters,
        so they can be scored and saved like any single run.
    params : dict of stacked parameters, each (M, *shape).
    """

    def __init__(self, config: LensConfig, dim: int, seeds, device="cpu"):
        seeds = [int(s) for s in seeds]
        if not seeds:
            raise ValueError("BatchedTrainer needs at least one seed")
        config = config.for_dim(dim)
        self.config, self.dim, self.device = config, dim, resolve_device(device)
        # vmap needs the plain autograd path (symlens.fused's hand-written passes are not batched)
        self.trainers = [Trainer(config, dim, seed=s, device=self.device, reference=True) for s in seeds]
        self._template = self.trainers[0].system
        named = [dict(t.system.named_parameters()) for t in self.trainers]
        self.params = {k: torch.stack([d[k].detach() for d in named]).requires_grad_() for k in named[0]}
        adam = dict(betas=config.adam_betas, eps=config.adam_eps)
        model_keys = [k for k in self.params if k.startswith("model.")]
        self.opt_model = model_optimizer(
            config.model_optimizer, model_param_groups({k: self.params[k] for k in model_keys}, config.filter_lr_scale,
                                                       filter_key="model.filter.psi"),
            lr=config.model_lr, batch_dims=1, **adam)
        self.opt_est = torch.optim.Adam(
            [v for k, v in self.params.items() if k not in model_keys], lr=config.scaled_estimator_lr, **adam
        )
        self._losses = vmap(self._one, in_dims=(0, 0, 0, 0, None))
        self._seriation_data: torch.Tensor | None = None  # (M, n, N), set by fit (seriate_tau)
        self.step = 0
        self.elapsed = 0.0

    @property
    def n_runs(self) -> int:
        return len(self.trainers)

    def _one(self, params, x, noise_model, noise_est, tau):
        return functional_call(self._template, params, (x, noise_model, noise_est, tau))

    def train_step(self, xs: torch.Tensor):
        """One simultaneous update of all M runs.  xs: (M, B, N).

        Returns (terms, est): the eq.-13 terms as a tuple of (M,) tensors in
        :class:`~symlens.losses.ModelLoss` field order, and the (M,) estimator losses.
        """
        cfg, step = self.config, self.step
        if xs.shape[0] != self.n_runs:
            raise ValueError(f"xs holds {xs.shape[0]} batches but there are {self.n_runs} runs")
        for t in self.trainers:
            t.branch_streams(step)
        sigma, tau = scheduled(cfg, step, self.opt_model, self.opt_est, self.device)
        # per run, in Trainer's order: the model pass's noise, then the estimator pass's
        noise = [(t._noise(sigma), t._noise(sigma)) for t in self.trainers]
        noise_model = torch.stack([a for a, _ in noise])
        noise_est = torch.stack([b for _, b in noise])
        try:
            terms, est = self._losses(self.params, xs, noise_model, noise_est, tau)
        except torch.linalg.LinAlgError as err:
            raise FloatingPointError(f"a run diverged at step {step} (eigen-solver failed: {err})") from err
        update(terms[0].sum() + est.sum(), self.opt_model, self.opt_est,
               self.params["model.filter.psi"] if cfg.filter_norm == "unit" else None)
        if cfg.generator_noise:  # each run from its own Trainer's stream, as it would alone
            for A, t in zip(self.params["model.generator.A"], self.trainers):
                kick_generator(A, cfg, step, t.generator_rng)
        self.step += 1
        if recentre_due(cfg, self.step):
            with torch.no_grad():
                big = torch.linalg.matrix_exp(skew(self.params["model.generator.A"].double()))
                recentre_filter(self.params["model.filter.psi"], big, self._template.model.generator.padding,
                                self.opt_model)
        if seriation_due(cfg, step):
            self._seriate(step)
        if snap_due(cfg, self.step):
            self._snap_end()
        return terms, est

    @torch.no_grad()
    def _snap_end(self) -> None:
        """Each run's snap of its finished chain, exactly as its Trainer alone would make it
        (:meth:`~symlens.train.Trainer.snap_end`), then the run's generator slice updated."""
        self.sync()
        for i, t in enumerate(self.trainers):
            t.snap_end()
            self.params["model.generator.A"][i].copy_(t.model.generator.A)

    @torch.no_grad()
    def _seriate(self, step: int) -> None:
        """Each run's seriation, exactly as its Trainer alone would make it
        (:meth:`~symlens.train.Trainer.seriate` on the run's model, with Adam's moments
        of the run's slices), then the run's slices of the stacked parameters updated."""
        if self._seriation_data is None:
            raise RuntimeError("seriate_tau needs the training data: train through fit()")
        self.sync()
        keys = ("model.generator.A", "model.filter.psi")
        for i, t in enumerate(self.trainers):
            own = dict(t.system.named_parameters())
            t._seriation_data = self._seriation_data[i]
            t.seriate(step, _RunSlice(self.opt_model, self.params, own, keys, i))
            for k in keys:
                self.params[k][i].copy_(own[k])

    @torch.no_grad()
    def sync(self) -> None:
        """Copy each run's slice of the stacked parameters into its Trainer."""
        for i, t in enumerate(self.trainers):
            for k, p in t.system.named_parameters():
                p.copy_(self.params[k][i])
            t.step, t.elapsed = self.step, self.elapsed

    def fit(
        self,
        Xs,
        true_generators=None,
        progress: bool = True,
        time_limit_s: float | None = None,
    ) -> "BatchedTrainer":
        """Train every run on its own data up to ``config.fit_steps`` (or ``time_limit_s``).

        Xs : M arrays or tensors (n, N) float32, one training set per run (same n); with
            ``config.whiten`` each run trains on its Trainer's :meth:`~symlens.train.Trainer.prepare`.
        true_generators : None or M (N, N) matrices (None entries allowed); runs with one
            record the cosine similarity and RMSE in their history.
        """
        cfg, M = self.config, self.n_runs
        if len(Xs) != M:
            raise ValueError(f"got {len(Xs)} training sets for {M} runs")
        X = torch.stack([torch.as_tensor(x, dtype=torch.float32) for x in Xs]).to(self.device)
        if X.ndim != 3 or X.shape[2] != self.dim:
            raise ValueError(f"training sets must be (n, {self.dim}) each and of one size, got {tuple(X.shape)}")
        if cfg.whiten is not None:  # each run its own whitening, as its Trainer alone would fit it
            X = torch.stack([t.prepare(x, fit=True) for t, x in zip(self.trainers, X)])
        n = X.shape[1]
        if n < cfg.batch_size:
            raise ValueError(f"{n} samples is fewer than one batch of {cfg.batch_size}")
        self._template.conditional.check_batch(cfg.batch_size)
        if cfg.seriate_tau:
            self._seriation_data = X[:, :seriation_samples(cfg)]
        truths = [None] * M if true_generators is None else list(true_generators)
        if len(truths) != M:
            raise ValueError(f"got {len(truths)} true generators for {M} runs")
        for t, G in zip(self.trainers, truths):
            t._true_generator = G  # recorded by the end snap only (snap_end)
        total = cfg.fit_steps
        if self.step == 0 and cfg.snapshot_every:
            for t in self.trainers:
                t._snapshot()
        rows = torch.arange(M, device=self.device)[:, None]
        bar = tqdm(total=total, initial=self.step, disable=not progress, desc=f"symlens x{M}", dynamic_ncols=True)
        t0 = time.perf_counter() - self.elapsed
        try:
            while self.step < total:
                idx = np.stack([t._batch_indices(n, self.step) for t in self.trainers])
                terms, est = self.train_step(X[rows, torch.from_numpy(idx).to(self.device)])
                log_now, timed_out, self.elapsed = step_clock(cfg, self.step, total, t0, time_limit_s, self.device)
                if timed_out:
                    total = self.step
                last = self.step == cfg.fit_steps or timed_out
                snap = cfg.snapshot_every and (self.step % cfg.snapshot_every == 0 or last)
                if log_now or snap:
                    self.sync()
                if log_now:
                    cos = []
                    for i, (t, G) in enumerate(zip(self.trainers, truths)):
                        try:
                            rec = t._log(ModelLoss(*(v[i] for v in terms)), est[i], G)
                        except FloatingPointError as err:
                            raise FloatingPointError(f"run {i} (seed {t.seed}): {err}") from err
                        cos.append(rec.get("cosine_similarity", np.nan))
                    if truths[0] is not None:
                        bar.set_postfix({"mean cos": f"{np.nanmean(cos):.3f}", "min cos": f"{np.nanmin(cos):.3f}"},
                                        refresh=False)
                if snap:
                    for t in self.trainers:
                        t._snapshot()
                bar.update(1)
        finally:
            bar.close()
        self.sync()
        return self


class _RunSlice:
    """What :func:`~symlens.seriation.seriate_model` reads of an optimiser (``.state``), for
    one run of a stack: the run's own parameters mapped to views of the stacked moments, so
    clearing or moving them acts on the stacked optimiser's state."""

    def __init__(self, optimizer, stacked: dict, own: dict, keys, i: int):
        self.state = {}
        for k in keys:
            full = optimizer.state.get(stacked[k], {})
            self.state[own[k]] = {name: full[name][i] for name in ("exp_avg", "exp_avg_sq")
                                  if name in full and full[name].dim() > 0 and full[name].shape[0] == len(stacked[k])}
