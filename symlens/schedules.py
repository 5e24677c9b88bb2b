"""Training schedules: learning-rate decay, normalised training time τ (eq. 18), the rank
threshold it drives (eq. 19) and the filter-noise amplitude (eq. 20).

All schedules count epochs of ``steps_per_epoch`` optimiser steps (spec §6 item 15).
"""

from __future__ import annotations

import math

import numpy as np

from .config import TAU_DWELL_BAND, LensConfig

__all__ = ["epoch_learning_rates", "learning_rate", "training_time", "dwell", "filter_noise_std"]


def epoch_learning_rates(initial: float, decay: float, epochs: int) -> np.ndarray:
    """Log-spaced per-epoch learning rates from ``initial`` to ``initial * decay``: (epochs,)."""
    if epochs == 1:
        return np.array([initial])
    return initial * decay ** (np.arange(epochs) / (epochs - 1))


def learning_rate(cfg: LensConfig, initial: float, step: int) -> float:
    """The learning rate in force at optimiser step ``step`` (0-based); after the schedule
    (the ``polish_steps``) the final rate x ``polish_lr_scale``."""
    epoch = min(step // cfg.steps_per_epoch, cfg.epochs - 1)
    rate = initial if cfg.epochs == 1 else initial * cfg.lr_decay ** (epoch / (cfg.epochs - 1))
    if step >= cfg.total_steps:
        rate *= cfg.polish_lr_scale
    return float(rate)


def training_time(cfg: LensConfig, step: int) -> float:
    """τ after step ``step`` (0-based), in (0, 1].

    ``cfg.tau_clock == "lr"`` (faithful, eq. 18): Σ_{s'<=step} lr(s') / Σ_all lr, the model
    learning rate weighting the steps, as in the authors' code.  ``"steps"``: (step + 1) /
    total steps.  With ``cfg.tau_dwell`` = f ≠ 1 (not faithful) the clock is warped by
    :func:`dwell` so that τ takes f times as long to cross ``cfg.tau_dwell_band``.  With
    ``cfg.tau_start`` = τ₀ > 0 (not faithful) the clock is then mapped onto [τ₀, 1]: training
    starts with the rank window already open to τ₀.
    """
    if cfg.tau_clock == "steps":
        tau = min((step + 1) / cfg.total_steps, 1.0)
    else:
        lrs = epoch_learning_rates(1.0, cfg.lr_decay, cfg.epochs)
        spe = cfg.steps_per_epoch
        epoch = min(step // spe, cfg.epochs - 1)
        done = lrs[:epoch].sum() * spe + (step - epoch * spe + 1) * lrs[epoch]
        tau = min(done / (lrs.sum() * spe), 1.0)
    if cfg.tau_dwell != 1.0:
        tau = dwell(tau, cfg.tau_dwell, cfg.tau_dwell_band)
    if cfg.tau_start:
        tau = cfg.tau_start + (1.0 - cfg.tau_start) * tau
    return float(tau)


def dwell(u: float, factor: float, band: tuple[float, float] = TAU_DWELL_BAND) -> float:
    """The clock value u in [0, 1] warped so that τ spends ``factor`` times its share of the
    clock inside ``band`` = (a, b): piecewise linear through (0, 0), (a / L, a),
    ((a + (b - a) factor) / L, b) and (1, 1), with L = a + (b - a) factor + 1 - b (the parts
    below and above the band are compressed alike).  factor 1 is the identity."""
    a, b = band
    L = a + (b - a) * factor + (1.0 - b)
    u1, u2 = a / L, (a + (b - a) * factor) / L
    if u <= u1:  # empty when the band starts at 0
        return u * a / u1 if u1 > 0 else 0.0
    if u <= u2:
        return a + (u - u1) * (b - a) / (u2 - u1)
    return b + (u - u2) * (1.0 - b) / (1.0 - u2) if u2 < 1.0 else b  # empty when it ends at 1


def gradient_reach(cfg: LensConfig, dim: int, tau: float) -> int:
    """How many powers on each side of the lift the generator learns through at τ
    (``cfg.reach_tau``): 1 + ⌊((N-1)/2 - 1) τ / reach_tau⌋, capped at (N-1)/2; every power,
    (N-1)/2, once τ ≥ reach_tau or when reach_tau is 0 (faithful)."""
    half = (dim - 1) // 2
    if not cfg.reach_tau or tau >= cfg.reach_tau:
        return half
    return min(half, 1 + int((half - 1) * tau / cfg.reach_tau))


def filter_noise_std(cfg: LensConfig, step: int) -> float:
    """σ(t) = σ₀ exp(-t / t₀) with t = step / steps_per_epoch in epochs (eq. 20)."""
    return cfg.filter_noise * math.exp(-step / cfg.steps_per_epoch / cfg.noise_decay_epochs)
