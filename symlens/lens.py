"""The front door: a scikit-learn-like estimator that learns a symmetry from data.

    lens = SymmetryLens(profile="smoke", seed=0).fit(X)
    lens.generator_                 # (N, N) learned generator (cropped)
    lens.transform(X_new)           # (n, N) equivariant representation y = K x
"""

from __future__ import annotations

import copy
import os
import warnings
from dataclasses import replace

import numpy as np
import torch

from .config import LensConfig, get_profile
from .group_conv import centring_statistics, require_odd_dim, standardize
from .losses import model_loss
from .train import Trainer, resolve_device

__all__ = ["SymmetryLens", "NotFittedError", "check_samples", "DEFAULT_RECIPE"]

#: The recipe a :class:`SymmetryLens` built from a profile name uses unless told otherwise.
DEFAULT_RECIPE = "symlens"


class NotFittedError(RuntimeError):
    """A fitted attribute was read before :meth:`SymmetryLens.fit`."""


def check_samples(X, name: str = "X", dim: int | None = None) -> np.ndarray:
    """Validate a sample matrix: 2-D, finite, and of width ``dim`` when given.  Returns float32."""
    X = np.asarray(X)
    if np.issubdtype(X.dtype, np.number):
        with np.errstate(over="ignore"):
            X = X.astype(np.float32, copy=False)  # before the finiteness check: > 3.4e38 overflows
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_dims), got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {X.dtype}")
    bad = ~np.isfinite(X)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        raise ValueError(
            f"{name} contains {int(bad.sum())} NaN/inf value(s) in {rows.size} row(s), "
            f"first at row {int(rows[0])}"
        )
    if dim is not None and X.shape[1] != dim:
        raise ValueError(f"{name} has {X.shape[1]} dimensions but the lens was fitted on {dim}")
    return X


def _centring_statistics(X: np.ndarray, centring: str) -> tuple:
    """The training set's mean (a float, or an (N,) array for ``"component"``) and the scalar
    root-mean-square of X minus that mean, as :func:`symlens.group_conv.standardize` uses."""
    mean, std = centring_statistics(torch.from_numpy(X.astype(np.float64)), centring)
    return (float(mean) if centring == "scalar" else mean.squeeze(0).numpy()), float(std)


class SymmetryLens:
    """Learn the minimal generator of a 1-parameter symmetry, a resolving filter and the
    equivariant representation y = K x from samples alone (Efe & Ozakin).

    Parameters
    ----------
    profile : a profile name of :mod:`symlens.config` (``"smoke"``, ``"cpu"``, ``"paper"``)
        or a :class:`~symlens.config.LensConfig`.
    recipe : the method options (:data:`symlens.config.RECIPES`).  ``"symlens"`` (the
        default for a profile name: per-component centring, unit-norm filter, estimator rate
        x4) is the recipe that converged best in this project's study; ``"faithful"`` is the
        authors' method.  A ``LensConfig`` is used as it is
        unless a recipe is named.
    seed : seeds the initialisation, filter noise and batch order.
    device : ``"auto"`` (CUDA if available), ``"cpu"`` or ``"cuda"``.
    checkpoint_dir : where to write checkpoints every ``checkpoint_every`` steps; needed for
        ``fit(..., resume=True)``.
    progress : show a progress bar with the loss terms (and cosine similarity when the
        true generator is known).
    **config_overrides : any :class:`~symlens.config.LensConfig` or loss field, or
        ``variant="v1"|"head"``.

    Attributes (after ``fit``)
    --------------------------
    generator_ : (N, N) learned generator, the central crop of exp(S).
    generator_full_ : (N+2P, N+2P) the padded generator.
    filter_ : (N,) normalised resolving filter ψ̂.
    group_convolution_matrix_ : (N, N) K, rows ψ̂ᵀ G^{n-(N-1)/2}.
    history_ : list of dicts, one per logged step (losses, τ, and ``cosine_similarity`` /
        ``rmse`` when ``true_generator`` was given).
    snapshots_ : dict with ``step``, ``generator`` and ``group_convolution`` lists.
    """

    def __init__(
        self,
        profile: str | LensConfig = "smoke",
        seed: int = 0,
        device: str = "auto",
        checkpoint_dir: str | os.PathLike | None = None,
        progress: bool = True,
        recipe: str | None = None,
        **config_overrides,
    ):
        if recipe is None and isinstance(profile, str):
            recipe = DEFAULT_RECIPE
        self.config = get_profile(profile, recipe=recipe, **config_overrides)
        self.recipe = recipe
        self.profile = profile if isinstance(profile, str) else "custom"
        self.seed = int(seed)
        self.device = resolve_device(device)
        self.checkpoint_dir = checkpoint_dir
        self.progress = progress
        self._trainer: Trainer | None = None

    # ------------------------------------------------------------------ fitting
    def _batch_config(self, dim: int) -> LensConfig:
        cfg = self.config.for_dim(dim)
        B = cfg.batch_size
        if B % dim == 0:
            return cfg
        rounded = (B // dim) * dim
        if rounded == 0:
            raise ValueError(f"batch_size {B} is smaller than N = {dim}")
        warnings.warn(
            f"batch_size {B} is not a multiple of N = {dim}, which the masked conditional "
            f"estimator needs; rounded down to {rounded}",
            stacklevel=3,
        )
        return replace(cfg, batch_size=rounded)

    def fit(
        self, X, true_generator=None, resume: bool = False, stop_at: int | None = None,
        time_limit_s: float | None = None,
    ) -> "SymmetryLens":
        """Learn the symmetry of X (n_samples, N).

        true_generator : optional (N, N) matrix; when given, the history records the
            cosine similarity and RMSE of the learned generator against it.
        resume : continue from ``checkpoint_dir``'s checkpoint (same data, config and seed
            give the same final result as an uninterrupted run on the CPU); without a
            checkpoint directory, continue the run held in memory.
        stop_at : stop after this many steps in total (checkpointing if a directory is set).
        time_limit_s : stop once this many seconds of training have passed (the run can be
            continued with ``resume=True``).
        """
        X = check_samples(X)
        n, dim = X.shape
        if dim < 3:
            raise ValueError(f"need at least 3 dimensions, got {dim}")
        require_odd_dim(dim)
        cfg = self._batch_config(dim)
        if n < cfg.batch_size:
            raise ValueError(
                f"X has {n} samples, fewer than one batch of {cfg.batch_size}; pass more "
                "samples or a smaller batch_size"
            )
        if true_generator is not None:
            true_generator = np.asarray(true_generator, dtype=np.float64)
            if true_generator.shape != (dim, dim):
                raise ValueError(f"true_generator must be ({dim}, {dim}), got {true_generator.shape}")
        if resume and self.checkpoint_dir is None and self._trainer is None:
            raise ValueError("resume=True needs checkpoint_dir (or an earlier fit in this session)")
        if self.device.type == "cpu":
            torch.set_flush_denormal(True)  # mixture densities underflow; denormals are 5-20x slower
        if self._trainer is None or not resume:
            self._trainer = Trainer(cfg, dim, seed=self.seed, device=self.device)
        if resume and self.checkpoint_dir is not None:
            self._trainer.load_checkpoint(self.checkpoint_dir)
        Xt = torch.from_numpy(X).to(self.device)
        self._trainer.fit(Xt, true_generator, self.checkpoint_dir, self.progress, stop_at, time_limit_s)
        self._mean, self._std = _centring_statistics(self._trainer.prepare(X), cfg.centring)
        return self

    @classmethod
    def from_trainer(cls, trainer: Trainer, X, profile: str = "custom") -> "SymmetryLens":
        """A fitted lens around a trained :class:`~symlens.train.Trainer` (e.g. one run of a
        :class:`~symlens.batched.BatchedTrainer`); X (n, N) is its training set, whose scalar
        mean and std :meth:`transform` uses."""
        X = check_samples(X, dim=trainer.dim)
        lens = cls(trainer.config, seed=trainer.seed, device=trainer.device, progress=False)
        lens.profile = profile
        lens._trainer = trainer
        lens._mean, lens._std = _centring_statistics(trainer.prepare(X), trainer.config.centring)
        return lens

    def branched(self, branch_seed: int, checkpoint_dir: str | os.PathLike | None = None) -> "SymmetryLens":
        """A copy of this part-way fit (e.g. one stopped with ``fit(..., stop_at=s)``) that
        goes on as branch ``branch_seed``: its random streams (input noise, generator kicks,
        batch order) reseeded from here (:meth:`~symlens.train.Trainer.branch`).  Continue
        it with ``fit(X, resume=True)``; this lens is left as it was.  Branches of one fit
        with different seeds share every step so far and are independent continuations
        after it (a symlens option, not in the paper).  ``checkpoint_dir``: the copy's own
        (this lens's would be overwritten by a different fit), written at once so that a
        later process can continue the branch; None: none."""
        trainer = self._fitted()
        twin = copy.deepcopy(self)
        twin._trainer.branch(branch_seed)
        twin.config = replace(twin.config, branch_step=trainer.step, branch_seed=int(branch_seed))
        twin.checkpoint_dir = checkpoint_dir
        if checkpoint_dir is not None:
            twin._trainer.save_checkpoint(checkpoint_dir)
        return twin

    # ------------------------------------------------------------------ results
    def _fitted(self) -> Trainer:
        if self._trainer is None:
            raise NotFittedError("this SymmetryLens is not fitted yet: call .fit(X) first")
        return self._trainer

    @property
    def n_features_in_(self) -> int:
        return self._fitted().dim

    @property
    def n_steps_(self) -> int:
        return self._fitted().step

    @property
    def generator_(self) -> np.ndarray:
        return self._fitted().current_generator()

    @property
    def generator_full_(self) -> np.ndarray:
        with torch.no_grad():
            return self._fitted().model.generator.big().cpu().numpy()

    @property
    def filter_(self) -> np.ndarray:
        with torch.no_grad():
            return self._fitted().model.filter().double().cpu().numpy()

    @property
    def group_convolution_matrix_(self) -> np.ndarray:
        return self._fitted().current_group_convolution()

    @property
    def history_(self) -> list[dict]:
        return list(self._fitted().history)

    @property
    def snapshots_(self) -> dict:
        return self._fitted().snapshots

    @property
    def trainer_(self) -> Trainer:
        """The underlying :class:`~symlens.train.Trainer` (model, estimators, optimisers)."""
        return self._fitted()

    def transform(self, X) -> np.ndarray:
        """y = K x̃ for X (n, N), x̃ standardised with the training set's mean (one scalar, or
        one per component under ``centring="component"``) and scalar std, as training
        standardises each batch (after the training set's whitening, with ``whiten`` set).
        Returns (n, N) float64."""
        tr = self._fitted()
        X = tr.prepare(check_samples(X, dim=tr.dim).astype(np.float64))
        return ((X - self._mean) / self._std) @ self.group_convolution_matrix_.T

    def objective(self, X, tau: float = 1.0) -> dict:
        """The model loss of eq. 13 and its terms on samples X (n, N), with the fitted
        estimators and the clean filter, at training time ``tau`` (1: the final objective).

        X is whitened (with ``whiten`` set) and standardised with the training set's
        statistics and scored in batches of the
        fit's batch size (n must hold at least one; a remainder is dropped).  Pass held-out
        samples: comparing this value between fits (e.g. restarts with different seeds)
        chooses by the method's own objective, never by a true generator.  Returns the
        :class:`~symlens.losses.ModelLoss` fields as floats, averaged over the batches.
        """
        tr = self._fitted()
        X = tr.prepare(check_samples(X, dim=tr.dim))
        B = tr.config.batch_size
        if X.shape[0] < B:
            raise ValueError(f"X has {X.shape[0]} samples, fewer than one batch of {B}")
        std = float(self._std)
        mean = self._mean if np.ndim(self._mean) == 0 else torch.as_tensor(self._mean)[None, :]
        K = torch.as_tensor(self.group_convolution_matrix_)
        tau_t = torch.tensor(float(tau), dtype=torch.float64)
        terms = []
        with torch.no_grad():
            for k in range(X.shape[0] // B):
                x = torch.as_tensor(X[k * B:(k + 1) * B], dtype=torch.float64)
                y = (standardize(x, mean, std, centring=tr.config.centring) @ K.T).float().to(tr.device)
                terms.append(model_loss(y, tr.marginal, tr.conditional, tau_t.to(tr.device), tr.config.loss).as_floats())
        return {k: float(np.mean([t[k] for t in terms])) for k in terms[0]}
