"""The training loop: two subsystems, two Adam optimisers, simultaneous updates (spec §3).

Each step draws two fresh filter-noise samples: one forward pass feeds the model loss
(eq. 13, estimators held fixed), the other the estimators' maximum-likelihood loss (model
held fixed).  Both gradients come from one backward pass and are applied together.

Reproducibility: the initial draw, the filter noise and the batch order come from explicit
seeded generators; the batch order is a pure function of (seed, step), and the noise
generator's state is checkpointed, so a resumed run on the CPU reproduces an uninterrupted
one exactly.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .config import LensConfig
from .entropy import effective_rank
from .estimators import MarginalMixture, MaskedConditional
from .group_conv import GroupConvolution
from .losses import ModelLoss, estimator_loss, lift_orthogonality_loss, model_loss
from .metrics import generator_cosine_similarity, generator_rmse
from .optim import covariance_basis, model_optimizer
from .recentre import chain_offset, recentre_filter
from .seriation import seriate_model, snap_model
from .whitening import Whitening
from .schedules import filter_noise_std, gradient_reach, learning_rate, training_time

__all__ = ["Trainer", "LensSystem", "resolve_device", "CHECKPOINT_NAME"]

CHECKPOINT_NAME = "checkpoint.pt"
#: settings a checkpoint may be resumed with changed: what happens after the schedule
POLISH_FIELDS = ("polish_steps", "polish_lr_scale")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but CUDA is not available")
    return device


_MALLOC_TUNED = False


def tune_cpu_allocator() -> bool:
    """Keep freed memory in the process instead of returning it to the OS (glibc only).

    A training step allocates and frees the same few-MB temporaries every step.  With
    glibc's defaults they are returned to the OS (heap trimming, or mmap for larger blocks)
    and page-faulted back in, zero-filled, at the next step: on the 2-core CPU that is 15 %
    of a step at N = 33 (reference path) and 20-35 % at N = 15.  This raises the mmap
    threshold to 32 MB and the trim threshold to 256 MB (``mallopt``), process-wide; the
    arithmetic is unchanged.  Returns whether the settings were applied (False off glibc).
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(-3, 32 << 20) == 1  # M_MMAP_THRESHOLD
        ok = libc.mallopt(-1, 256 << 20) == 1 and ok  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        return False
    _MALLOC_TUNED = ok
    return ok


def _stream_seed(seed: int, stream: int, *branch: int) -> int:
    """Independent, reproducible seeds for the init, noise and batch-order streams (and,
    with ``branch`` = (branch_step, branch_seed), for their continuations after a branch)."""
    return int(np.random.SeedSequence([seed, stream, *branch]).generate_state(1, dtype=np.uint64)[0] >> 1)


class LensSystem(nn.Module):
    """The model subsystem (generator + filter) and the two estimators, as one module whose
    forward computes both subsystems' losses.  One module so that many independent systems
    can be stacked and evaluated with ``torch.func`` (see :mod:`symlens.batched`).

    ``reference=False`` (the default) evaluates the estimators through :mod:`symlens.fused`
    (chunked passes with hand-written backward passes: same losses and gradients, several
    times faster on a CPU); ``reference=True`` is the plain autograd path, which
    ``torch.compile`` and ``torch.func.vmap`` (stacked fits) use.
    """

    def __init__(self, config: LensConfig, dim: int, rng: torch.Generator, reference: bool = False):
        super().__init__()
        self.reference = reference
        self.loss_config = config.loss
        self.config, self.dim = config, dim
        self.model = GroupConvolution(
            dim, config.resolved_padding(dim), config.init_std, rng, centring=config.centring
        )
        self.marginal = MarginalMixture(dim, config.n_kernels, rng)
        self.conditional = MaskedConditional(dim, config.resolved_hidden(dim), config.n_kernels, rng)

    def forward(self, x, noise_model, noise_est, tau):
        """Eq. 13 on one noisy pass and the estimators' likelihood on a second, detached pass.

        x: (B, N); noise_*: (N,) filter noise; tau: scalar tensor.  Returns (the
        :class:`~symlens.losses.ModelLoss` fields as a tuple of scalars, estimator loss).
        """
        fused = not self.reference
        # the fused path computes the generator once for both passes (it does not depend on
        # the filter noise) and differentiates it through its eigendecomposition
        big = self.model.generator.big(eig_backward=True) if fused else None
        # τ is shared by stacked fits (vmap in_dims None), so it reads as a plain number here
        reach = gradient_reach(self.config, self.dim, float(tau)) if self.config.reach_tau else None
        y = self.model(x, noise_model, big=big, reach=reach)
        terms = model_loss(y, self.marginal, self.conditional, tau, self.loss_config, fused=fused)
        if self.loss_config.orthogonality:
            K = self.model.matrix(None, big=big, reach=reach)  # the clean lift: the filter, not its noise
            terms = replace(terms, total=terms.total + self.loss_config.orthogonality * lift_orthogonality_loss(K))
        with torch.no_grad():
            y_est = self.model(x, noise_est, big=None if big is None else big.detach())
        est = estimator_loss(y_est, self.marginal, self.conditional, self.loss_config.estimator_l2, fused=fused)
        return tuple(terms.__dict__.values()), est


class Trainer:
    """Owns the model, the estimators, their optimisers, and the run's history.

    Parameters
    ----------
    config : the fit's settings.
    dim : N, the data dimension (odd).
    seed : seeds every random stream of the run.
    device : torch device; the data must be moved there by :meth:`fit`.
    reference : evaluate the losses through the plain autograd path instead of
        :mod:`symlens.fused` (same mathematics, equal up to float32 rounding; slower).
        ``config.compile`` implies it, and so does the environment variable
        ``SYMLENS_REFERENCE=1`` (e.g. to repeat a run made before the fused path existed
        bit for bit).
    """

    def __init__(self, config: LensConfig, dim: int, seed: int = 0, device="cpu", reference: bool = False):
        config = config.for_dim(dim)
        self.config, self.dim, self.seed = config, dim, seed
        self.device = resolve_device(device)
        if self.device.type == "cpu" and os.environ.get("SYMLENS_TUNE_MALLOC", "1") != "0":
            tune_cpu_allocator()
        init = torch.Generator().manual_seed(_stream_seed(seed, 0))
        reference = reference or config.compile or os.environ.get("SYMLENS_REFERENCE", "0") == "1"
        self.system = LensSystem(config, dim, init, reference=reference).to(self.device)
        self.model, self.marginal, self.conditional = self.system.model, self.system.marginal, self.system.conditional
        adam = dict(betas=config.adam_betas, eps=config.adam_eps)
        self.opt_model = model_optimizer(config.model_optimizer, model_param_groups(self.model, config.filter_lr_scale),
                                         lr=config.model_lr, **adam)
        self.opt_est = torch.optim.Adam(
            [*self.marginal.parameters(), *self.conditional.parameters()], lr=config.scaled_estimator_lr, **adam
        )
        # torch.compile fuses the estimators' elementwise work (same mathematics); the
        # first step pays the compilation (about a minute on a 2-core CPU).
        self._losses = torch.compile(self.system) if config.compile else self.system
        self.noise_rng = torch.Generator().manual_seed(_stream_seed(seed, 1))
        # its own stream, so a fit without generator noise draws exactly what it always did
        self.generator_rng = torch.Generator().manual_seed(_stream_seed(seed, 3))
        self.step = 0
        self._perm, self._perm_pass = None, None  # batch order of the current pass, cached
        self.history: list[dict] = []
        self.snapshots: dict[str, list] = {"step": [], "generator": [], "group_convolution": []}
        self.seriations: list[dict] = []  # one record per seriation (seriate_tau)
        self._seriation_data: torch.Tensor | None = None
        self.end_snap: dict | None = None  # the record of the snap after the last step (snap_end)
        self._true_generator = None  # only to record cos before and after that snap
        # fitted on the first training set (config.whiten), then fixed: saved in checkpoints
        self.whitening: Whitening | None = None
        self.elapsed = 0.0

    def prepare(self, X, fit: bool = False):
        """The data as the model sees them: X (n, N) whitened with :attr:`whitening` when
        ``config.whiten`` is set (fitted on X first if ``fit`` and not fitted yet), else X
        itself.  A tensor stays a tensor (dtype and device kept), an array comes back float64."""
        if self.config.whiten is None:
            return X
        if self.whitening is None:
            if not fit:
                raise RuntimeError("config.whiten is set but no whitening is fitted yet: train through fit()")
            self.whitening = Whitening.fit(X, self.config.whiten)
        return self.whitening(X)

    def _in_covariance_basis(self, step: int) -> bool:
        """Whether step ``step`` (0-based) is taken in the covariance basis (``adam-covariance``,
        before τ reaches ``covariance_until_tau``)."""
        cfg = self.config
        if cfg.model_optimizer != "adam-covariance":
            return False
        return cfg.covariance_until_tau is None or step == 0 or training_time(cfg, step - 1) < cfg.covariance_until_tau

    def _set_covariance_basis(self, X) -> None:
        """Give the model optimiser (``adam-covariance``) the eigenbasis U (N, N) of the
        covariance of X (n, N), the data as the model sees them: ψ steps in U, A in
        blockdiag(I_P, U, I_P), the padding's coordinates left as they are.  Fixed from then
        on, and saved with the optimiser's state in checkpoints."""
        U = covariance_basis(X).to(self.device)
        gen = self.model.generator
        big = torch.eye(gen.size, dtype=torch.float64, device=self.device)
        big[gen.padding:gen.padding + self.dim, gen.padding:gen.padding + self.dim] = U
        self.opt_model.set_basis(gen.A, big)
        self.opt_model.set_basis(self.model.filter.psi, U)

    # ------------------------------------------------------------------ one step
    def _noise(self, sigma: float) -> torch.Tensor:
        return (sigma * torch.randn(self.dim, generator=self.noise_rng)).to(self.device)

    def branch_streams(self, step: int) -> None:
        """At ``config.branch_step`` (before that step's draws), reseed the input-noise and
        generator-kick streams from (seed, branch_step, branch_seed); the batch order follows
        in :meth:`_batch_indices`.  Any other step: nothing."""
        cfg = self.config
        if cfg.branch_step is None or step != cfg.branch_step:
            return
        branch = (cfg.branch_step, cfg.branch_seed)
        self.noise_rng.manual_seed(_stream_seed(self.seed, 1, *branch))
        self.generator_rng.manual_seed(_stream_seed(self.seed, 3, *branch))

    def branch(self, branch_seed: int) -> None:
        """Continue from here as branch ``branch_seed``: set ``config.branch_step`` to the
        current step, so every random stream the rest of the fit draws from is reseeded
        from (seed, step, branch_seed) (:class:`~symlens.config.LensConfig`).  A fit branches
        once, after its first step and before its last."""
        if self.config.branch_step is not None:
            raise ValueError(f"this fit already branched at step {self.config.branch_step} "
                             f"(branch_seed {self.config.branch_seed})")
        if not 1 <= self.step < self.config.fit_steps:
            raise ValueError(f"a fit branches after its first step and before its last ({self.config.fit_steps}); "
                             f"this one is at step {self.step}")
        self.config = replace(self.config, branch_step=self.step, branch_seed=int(branch_seed))

    def train_step(self, x: torch.Tensor):
        """One simultaneous update on the batch x (B, N).  Returns (ModelLoss, estimator loss)."""
        if self._in_covariance_basis(self.step) and self.opt_model.basis_of(self.model.generator.A) is None:
            raise RuntimeError("model_optimizer 'adam-covariance' needs the training set's covariance basis: "
                               "train through fit()")
        if not self.config.compile:
            return self._train_step(x)
        with warnings.catch_warnings():
            # inductor's own deprecation notices, printed while it compiles the forward and
            # (lazily, at the first backward) the backward graph; not ours to fix
            warnings.filterwarnings("ignore", message=r".*_prims_common\.check", category=FutureWarning)
            return self._train_step(x)

    def _train_step(self, x: torch.Tensor):
        step = self.step
        self.branch_streams(step)
        sigma, tau_t = scheduled(self.config, step, self.opt_model, self.opt_est, self.device)
        try:
            terms, est = self._losses(x, self._noise(sigma), self._noise(sigma), tau_t)
        except torch.linalg.LinAlgError as err:  # a diverged y makes eigvalsh fail first
            raise FloatingPointError(
                f"training diverged at step {step} (covariance eigen-solver failed: {err}); "
                "the last good checkpoint (if any) is kept"
            ) from err
        terms = ModelLoss(*terms)
        update(terms.total + est, self.opt_model, self.opt_est,
               self.model.filter.psi if self.config.filter_norm == "unit" else None)
        if self.config.generator_noise:
            kick_generator(self.model.generator.A, self.config, step, self.generator_rng)
        self.step += 1
        if self.config.covariance_until_tau is not None and not self._in_covariance_basis(self.step) \
                and self.opt_model.basis_of(self.model.generator.A) is not None:
            self.opt_model.release_basis(self.model.generator.A)
            self.opt_model.release_basis(self.model.filter.psi)
        if recentre_due(self.config, self.step):
            with torch.no_grad():
                recentre_filter(self.model.filter.psi, self.model.generator.big(),
                                self.model.generator.padding, self.opt_model)
        if seriation_due(self.config, step):
            self.seriate(step)
        if snap_due(self.config, self.step):
            self.snap_end()
        return terms, est

    def snap_end(self) -> dict:
        """The snap of the finished chain (``snap_end``; :func:`~symlens.seriation.snap_model`),
        recorded in :attr:`end_snap`, with the cosine similarity to the true generator before
        and after it when ``fit`` was given one (a record only: the snap never reads it)."""
        before = self.current_generator()
        rec = {"step": self.step, **snap_model(self.model, self.config.snap_end)}
        if self._true_generator is not None:
            rec["cosine_before"] = generator_cosine_similarity(before, self._true_generator)
            rec["cosine_after"] = generator_cosine_similarity(self.current_generator(), self._true_generator)
        self.end_snap = rec
        return rec

    def seriate(self, step: int, optimizer=None) -> dict:
        """One seriation of the chain (``seriate_tau``; :func:`~symlens.seriation.seriate_model`
        with the config's ``seriate_max_gain``) after step ``step``, recorded in
        :attr:`seriations` with eq. 13's terms at the step's τ on the seriation samples
        before and, when the chain changed, after it (:meth:`terms_now`; no random stream is
        drawn, so a fit whose chain is left alone is the fit without seriation).
        ``optimizer``: what holds Adam's moments of A and ψ (default this run's model
        optimiser)."""
        if self._seriation_data is None:
            raise RuntimeError("seriate_tau needs the training data: train through fit()")
        before = self.terms_now(step)
        rec = seriate_model(self.model, self._seriation_data, self.opt_model if optimizer is None else optimizer,
                            max_gain=self.config.seriate_max_gain)
        rec = {"step": self.step, "tau": training_time(self.config, step), **rec, "terms_before": before}
        if rec["changed"]:
            rec["terms_after"] = self.terms_now(step)
        self.seriations.append(rec)
        return rec

    @torch.no_grad()
    def terms_now(self, step: int, batches: int = 4) -> dict[str, float]:
        """Eq. 13's terms at τ(step) without filter noise, each the mean over up to
        ``batches`` whole batches of the seriation samples (there is at least one:
        :func:`seriation_samples`), with the estimators as they are.  No random stream is
        drawn, nothing trained."""
        X = self._seriation_data
        B = self.config.batch_size
        n = min(batches, X.shape[0] // B)
        tau = torch.tensor(training_time(self.config, step), dtype=torch.float64, device=self.device)
        zero = torch.zeros(self.dim, device=self.device)
        runs = [ModelLoss(*self.system(X[i * B:(i + 1) * B], zero, zero, tau)[0]).as_floats() for i in range(n)]
        return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}

    # ------------------------------------------------------------------ data feed
    def _batch_indices(self, n: int, step: int) -> np.ndarray:
        """Sample indices of the batch used at ``step``: passes over the fixed training set,
        reshuffled at each pass by a generator seeded with (seed, pass), and from
        ``config.branch_step`` on with (seed, pass, branch_step, branch_seed)."""
        cfg = self.config
        B = cfg.batch_size
        per_pass = n // B
        p, k = divmod(step, per_pass)
        branch = (cfg.branch_step, cfg.branch_seed) if cfg.branch_step is not None and step >= cfg.branch_step else ()
        if self._perm_pass != (n, p, branch):
            self._perm = np.random.default_rng([self.seed, 2, p, *branch]).permutation(n)
            self._perm_pass = (n, p, branch)
        return self._perm[k * B : (k + 1) * B]

    # ------------------------------------------------------------------ reporting
    @torch.no_grad()
    def current_generator(self) -> np.ndarray:
        """Cropped learned generator, (N, N) float64."""
        return self.model.generator().cpu().numpy()

    @torch.no_grad()
    def current_group_convolution(self) -> np.ndarray:
        """K with the clean filter, (N, N) float64."""
        return self.model.matrix().double().cpu().numpy()

    @torch.no_grad()
    def filter_offset(self) -> float:
        """Steps of Gᵀ from the filter to the middle of the generator's chain
        (:func:`symlens.recentre.chain_offset`; 0 when centred)."""
        psi = self.model.filter.psi
        if not psi.abs().sum() > 0:  # the filter starts at zero
            return 0.0
        return float(chain_offset(self.model.generator.big(), psi, self.model.generator.padding))

    def _log(self, terms, est, true_generator) -> dict:
        cfg, step = self.config, self.step - 1
        tau = training_time(cfg, step)
        rec = {
            "step": self.step,
            "tau": tau,
            "effective_rank": effective_rank(self.dim, tau, cfg.loss.gain),
            "filter_noise": filter_noise_std(cfg, step),
            "model_lr": learning_rate(cfg, cfg.model_lr, step),
            **terms.as_floats(),
            "estimator": float(est.detach()),
            "filter_offset": self.filter_offset(),
            "elapsed_s": self.elapsed,
        }
        if true_generator is not None:
            G = self.current_generator()
            rec["cosine_similarity"] = generator_cosine_similarity(G, true_generator)
            rec["rmse"] = generator_rmse(G, true_generator)
        bad = [k for k, v in rec.items() if isinstance(v, float) and not np.isfinite(v)]
        if bad:
            raise FloatingPointError(
                f"non-finite {bad} at step {self.step}; the last good checkpoint (if any) is kept"
            )
        self.history.append(rec)
        return rec

    def _snapshot(self) -> None:
        self.snapshots["step"].append(self.step)
        self.snapshots["generator"].append(self.current_generator())
        self.snapshots["group_convolution"].append(self.current_group_convolution())

    # ------------------------------------------------------------------ the loop
    def fit(
        self,
        X: torch.Tensor,
        true_generator: np.ndarray | None = None,
        checkpoint_dir: str | os.PathLike | None = None,
        progress: bool = True,
        stop_at: int | None = None,
        time_limit_s: float | None = None,
    ) -> "Trainer":
        """Train on X (n, N) float32 (already on ``self.device``) up to ``config.fit_steps``,
        or up to ``stop_at`` steps, or until ``time_limit_s`` seconds of training have passed
        (then checkpoint and return: a later ``fit`` continues).  With ``config.whiten`` the
        model trains on :meth:`prepare` (X), the whitening fitted on the first X it sees.
        """
        cfg = self.config
        X = self.prepare(X, fit=True)
        if self._in_covariance_basis(self.step) and self.opt_model.basis_of(self.model.generator.A) is None:
            self._set_covariance_basis(X)
        total = cfg.fit_steps if stop_at is None else min(stop_at, cfg.fit_steps)
        n = X.shape[0]
        if n < cfg.batch_size:
            raise ValueError(f"{n} samples is fewer than one batch of {cfg.batch_size}")
        self.conditional.check_batch(cfg.batch_size)
        if cfg.seriate_tau:
            self._seriation_data = X[:seriation_samples(cfg)]
        self._true_generator = true_generator
        if self.step == 0 and cfg.snapshot_every:
            self._snapshot()
        bar = tqdm(total=total, initial=self.step, disable=not progress, desc="symlens", dynamic_ncols=True)
        t0 = time.perf_counter() - self.elapsed
        try:
            while self.step < total:
                idx = torch.from_numpy(self._batch_indices(n, self.step)).to(X.device)
                terms, est = self.train_step(X[idx])
                log_now, timed_out, self.elapsed = step_clock(cfg, self.step, total, t0, time_limit_s, self.device)
                if timed_out:
                    total = self.step  # log, snapshot and checkpoint this step, then stop
                last = self.step == cfg.fit_steps or timed_out
                if log_now:
                    rec = self._log(terms, est, true_generator)
                    post = {k: f"{rec[k]:.3f}" for k in ("total", "alignment", "uniformity", "resolution")}
                    if "cosine_similarity" in rec:
                        post["cos"] = f"{rec['cosine_similarity']:.3f}"
                    bar.set_postfix(post, refresh=False)
                if cfg.snapshot_every and (self.step % cfg.snapshot_every == 0 or last):
                    self._snapshot()
                if checkpoint_dir is not None and self.step % cfg.checkpoint_every == 0:
                    self.save_checkpoint(checkpoint_dir)
                bar.update(1)
        finally:
            bar.close()
        if checkpoint_dir is not None:
            self.save_checkpoint(checkpoint_dir)
        return self

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        return {
            "config": self.config.to_dict(),
            "dim": self.dim,
            "seed": self.seed,
            "step": self.step,
            "elapsed": self.elapsed,
            "model": self.model.state_dict(),
            "marginal": self.marginal.state_dict(),
            "conditional": self.conditional.state_dict(),
            "opt_model": self.opt_model.state_dict(),
            "opt_est": self.opt_est.state_dict(),
            "noise_rng": self.noise_rng.get_state(),
            "generator_rng": self.generator_rng.get_state(),
            "history": self.history,
            "snapshots": self.snapshots,
            "seriations": self.seriations,
            "end_snap": self.end_snap,
            "whitening": None if self.whitening is None else self.whitening.to_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        # a checkpoint saved before an option existed ran with its default (the faithful setting)
        saved = {**state, "config": LensConfig.from_dict(state["config"]).to_dict()}
        # the polish may differ: a finished fit can be polished further (LensConfig.polish_steps)
        saved["config"] = {k: v for k, v in saved["config"].items() if k not in POLISH_FIELDS}
        own = {k: v for k, v in self.config.to_dict().items() if k not in POLISH_FIELDS}
        mismatch = [
            k
            for k, mine in (("config", own), ("dim", self.dim), ("seed", self.seed))
            if _normalise(saved[k]) != _normalise(mine)
        ]
        if mismatch:
            raise ValueError(f"checkpoint does not match this run: different {mismatch}")
        self.model.load_state_dict(state["model"])
        self.marginal.load_state_dict(state["marginal"])
        self.conditional.load_state_dict(state["conditional"])
        self.opt_model.load_state_dict(state["opt_model"])
        self.opt_est.load_state_dict(state["opt_est"])
        self.noise_rng.set_state(state["noise_rng"])
        if "generator_rng" in state:  # absent from checkpoints saved before generator_noise
            self.generator_rng.set_state(state["generator_rng"])
        self.step, self.elapsed = state["step"], state["elapsed"]
        self.history, self.snapshots = state["history"], state["snapshots"]
        self.seriations = state.get("seriations", [])  # absent before seriate_tau
        self.end_snap = state.get("end_snap")  # absent before snap_end
        w = state.get("whitening")  # absent before whiten
        self.whitening = None if w is None else Whitening.from_dict(w)

    def save_checkpoint(self, directory: str | os.PathLike) -> Path:
        """Write ``directory/checkpoint.pt`` atomically (a kill mid-write keeps the old one)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / CHECKPOINT_NAME
        tmp = path.with_suffix(".tmp")
        torch.save(self.state_dict(), tmp)
        os.replace(tmp, path)
        return path

    def load_checkpoint(self, directory: str | os.PathLike) -> None:
        path = Path(directory) / CHECKPOINT_NAME
        if not path.exists():
            raise FileNotFoundError(f"no checkpoint to resume from at {path}")
        self.load_state_dict(torch.load(path, map_location=self.device, weights_only=False))


def model_param_groups(model, filter_lr_scale: float, filter_key: str = "filter.psi"):
    """The model optimiser's parameters: all in one group (faithful, ``filter_lr_scale`` 1), or
    the filter ψ in a group of its own whose rate :func:`scheduled` multiplies by the scale.
    ``model`` is a module, or a dict name -> tensor (symlens.batched's stacked parameters)."""
    named = dict(model.named_parameters()) if hasattr(model, "named_parameters") else dict(model)
    if filter_lr_scale == 1.0:
        return list(named.values())
    if filter_key not in named:
        raise ValueError(f"filter_lr_scale needs the filter parameter {filter_key!r}; got {sorted(named)}")
    return [{"params": [p for k, p in named.items() if k != filter_key]},
            {"params": [named[filter_key]], "lr_scale": float(filter_lr_scale)}]


def scheduled(cfg: LensConfig, step: int, opt_model, opt_est, device) -> tuple[float, torch.Tensor]:
    """Set both optimisers' learning rates for ``step`` (spec §3); return the filter-noise
    amplitude σ(step) (eq. 20) and the training time τ(step) (eq. 18) as a float64 tensor."""
    for group in opt_model.param_groups:
        group["lr"] = learning_rate(cfg, cfg.model_lr, step) * group.get("lr_scale", 1.0)
    for group in opt_est.param_groups:
        group["lr"] = learning_rate(cfg, cfg.scaled_estimator_lr, step)
    tau = torch.tensor(training_time(cfg, step), dtype=torch.float64, device=device)
    return filter_noise_std(cfg, step), tau


def update(loss: torch.Tensor, opt_model, opt_est, unit_filter: torch.Tensor | None = None) -> None:
    """One simultaneous update of both subsystems from one backward pass of ``loss``.

    ``unit_filter``: the filter parameter ψ, (N,) or stacked (M, N), to project back to unit
    norm after the step (``filter_norm="unit"``); None leaves it free (faithful).
    """
    opt_model.zero_grad(set_to_none=True)
    opt_est.zero_grad(set_to_none=True)
    loss.backward()
    opt_model.step()
    opt_est.step()
    if unit_filter is not None:
        with torch.no_grad():
            norm = unit_filter.norm(dim=-1, keepdim=True)
            unit_filter.div_(torch.where(norm > 0, norm, torch.ones_like(norm)))


@torch.no_grad()
def kick_generator(A: torch.Tensor, cfg: LensConfig, step: int, rng: torch.Generator) -> None:
    """A += generator_noise x lr(step) x Z in place, Z i.i.d. N(0, 1) of A's shape (M, M),
    drawn on the CPU from ``rng`` (so a fit's draws do not depend on its device)."""
    Z = torch.randn(A.shape, generator=rng, dtype=torch.float64)
    A.add_((cfg.generator_noise * learning_rate(cfg, cfg.model_lr, step) * Z).to(A.device, A.dtype))


#: training samples the seriation scores neighbours on (the first ones of the fixed training set)
SERIATION_SAMPLES = 8192


def seriation_samples(cfg: LensConfig) -> int:
    """How many of the first training samples a seriation reads: SERIATION_SAMPLES, or one
    whole batch where a batch is larger (the paper's 16 500), so :meth:`Trainer.terms_now`
    always has a batch the conditional estimator can split."""
    return max(SERIATION_SAMPLES, cfg.batch_size)


def seriation_due(cfg: LensConfig, step: int) -> bool:
    """Whether step ``step`` (0-based) carried τ across one of ``cfg.seriate_tau``."""
    if not cfg.seriate_tau:
        return False
    before = training_time(cfg, step - 1) if step > 0 else 0.0
    now = training_time(cfg, step)
    return any(before < t <= now for t in cfg.seriate_tau)


def snap_due(cfg: LensConfig, step: int) -> bool:
    """Whether the chain is snapped after ``step`` steps: the fit's last (``snap_end``)."""
    return cfg.snap_end is not None and step == cfg.fit_steps


def recentre_due(cfg: LensConfig, step: int) -> bool:
    """Whether the filter is recentred after ``step`` steps (``recentre_filter_every``)."""
    return bool(cfg.recentre_filter_every) and step % cfg.recentre_filter_every == 0


def step_clock(cfg: LensConfig, step: int, total: int, t0: float, time_limit_s, device) -> tuple[bool, bool, float]:
    """After ``step`` steps: (log this step?, out of time?, seconds since ``t0``).

    Logging steps synchronise the GPU first, so the clock sees the queued work; a run that
    is out of time logs its last step too.
    """
    log_now = step % cfg.log_every == 0 or step in (1, cfg.total_steps, cfg.fit_steps)
    if log_now:
        _synchronize(device)
    elapsed = time.perf_counter() - t0
    timed_out = time_limit_s is not None and elapsed >= time_limit_s and step < total
    return log_now or timed_out, timed_out, elapsed


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _normalise(v):
    """Tuples and lists compare equal after a round trip through a checkpoint."""
    if isinstance(v, dict):
        return {k: _normalise(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_normalise(x) for x in v]
    return v
