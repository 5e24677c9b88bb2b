"""Low-rank Gaussian entropy with a soft rank threshold (eqs. 14-17).

The entropy of y is estimated as a Gaussian's from the batch covariance, but only over the
leading eigen-directions: a logistic window over the normalised eigenvalue index is
centred at the training time τ, so the effective rank grows from ~1 to N during training
(eq. 19).  The weighted *mean* per-direction entropy is returned (per-rank normalisation).
"""

from __future__ import annotations

import math

import torch

__all__ = ["soft_threshold_weights", "gaussian_entropies", "low_rank_entropy", "effective_rank"]


def soft_threshold_weights(dim: int, tau: float, gain: float, dtype=torch.float64, device=None) -> torch.Tensor:
    """w_k = 1 / (1 + exp(clip(g (s_k - τ), ±50))), s_k = (k-1)/(N-1) (eq. 17).  Shape (N,)."""
    s = torch.linspace(0.0, 1.0, dim, dtype=dtype, device=device)
    return torch.sigmoid(-(gain * (s - tau)).clamp(-50.0, 50.0))


def effective_rank(dim: int, tau: float, gain: float) -> float:
    """Σ_k w_k: how many directions the entropy estimate counts at time τ."""
    return float(soft_threshold_weights(dim, tau, gain).sum())


def gaussian_entropies(y: torch.Tensor) -> torch.Tensor:
    """h_k = ½ [log(2π λ_k + 1e-7) + 1] for the covariance eigenvalues λ_1 >= … >= λ_N
    (eqs. 14-15).  y: (B, N) -> (N,) float64, descending in λ.

    Computed in float64: near-zero eigenvalues of a float32 covariance lose all precision.
    """
    yc = y.double() - y.double().mean(0)
    cov = yc.T @ yc / y.shape[0]
    lam = torch.linalg.eigvalsh(cov).flip(0).clamp_min(0.0)
    return 0.5 * (torch.log(2 * math.pi * lam + 1e-7) + 1.0)


def low_rank_entropy(y: torch.Tensor, tau: float, gain: float) -> torch.Tensor:
    """Ĥ_r(y) = Σ w_k h_k / Σ w_k (eq. 16).  y: (B, N) -> scalar (float64)."""
    h = gaussian_entropies(y)
    w = soft_threshold_weights(y.shape[1], tau, gain, device=y.device)
    return (w * h).sum() / w.sum()
