"""The loss terms of eq. 13, as pure functions returning scalars.

    L = α L_align + β L_unif + γ L_res + δ L_info                                   (13)
      = α L_align + β L_unif + γ mean_i Ĥ(y_i) - (γ + δ) Ĥ_r(y)

plus the estimators' own loss (maximum likelihood, spec §1.9).  All take the lifted
representation y of shape (B, N).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .config import LossConfig
from .entropy import low_rank_entropy
from . import fused as _fused
from .estimators import MarginalMixture, MaskedConditional

__all__ = [
    "alignment_loss",
    "marginal_uniformity",
    "conditional_uniformity",
    "uniformity_loss",
    "resolution_loss",
    "information_loss",
    "lift_orthogonality_loss",
    "ModelLoss",
    "model_loss",
    "estimator_loss",
]

_EPS = 1e-7


def alignment_loss(y: torch.Tensor) -> torch.Tensor:
    """L_align = -(1/(N-1)) Σ_i ρ(y_i, y_{i+1}), Pearson over the batch (eq. 9).

    Positive neighbour correlation is rewarded; at G = I all y_n are equal and L = -1.
    """
    yc = y - y.mean(0)
    yn = yc / (yc.norm(dim=0) + _EPS)
    return -(yn[:, :-1] * yn[:, 1:]).sum(0).mean()


def marginal_uniformity(y: torch.Tensor, marginal: MarginalMixture) -> torch.Tensor:
    """reg1: (1/N) Σ_i avg_{j = i±1 in range} max(0, mean_b[log p̂_i(y_i) - log p̂_j(y_i)])
    (marginal half of eqs. 7-8).  The estimator is not moved by this term.
    """
    own = marginal.log_prob(y, detach_params=True).mean(0)
    shifted = {s: marginal.log_prob(y, shift=s, detach_params=True).mean(0) for s in (-1, 1)}
    return marginal_uniformity_from_means(own, shifted)


def marginal_uniformity_from_means(own: torch.Tensor, shifted: dict) -> torch.Tensor:
    """reg1 from the batch means of log p̂_i(y_i) (``own``, (N,)) and of log p̂_{i+s}(y_i)
    (``shifted[s]``, s = ±1)."""
    N = own.shape[0]
    kl, count = torch.zeros_like(own), torch.zeros_like(own)
    for s in (-1, 1):
        valid = _in_range(torch.arange(N, device=own.device) + s, N).to(own.dtype)
        kl = kl + valid * torch.relu(own - shifted[s])
        count = count + valid
    return (kl / count.clamp_min(1)).mean()


def conditional_uniformity(y: torch.Tensor, conditional: MaskedConditional) -> torch.Tensor:
    """reg2: mean over ordered pairs (k, j), k ≠ j, of the average over valid shifts s = ±1 of
    max(0, mean[log q̂_{k,j}(y_j|y_k)] - mean[log q̂_{k+s,j+s}(y_j|y_k)])
    (conditional half of eqs. 7-8).

    The two means run over different i.i.d. sub-batches (those conditioned on k and on
    k + s), as in the authors' masking.  Pairs without any valid shift, (0, N-1) and
    (N-1, 0), are left out of the mean.
    """
    own = conditional.pair_means(y, 0, detach_params=True)  # (N, N): [k, j]
    shifted = {s: conditional.pair_means(y, s, detach_params=True) for s in (-1, 1)}  # [k+s, j+s]
    return conditional_uniformity_from_means(own, shifted)


def conditional_uniformity_from_means(own: torch.Tensor, shifted: dict) -> torch.Tensor:
    """reg2 from the pair means at shift 0 (``own``, (N, N)) and at s = ±1 (``shifted[s]``,
    indexed [k+s, j+s] as :meth:`MaskedConditional.pair_means` returns them)."""
    N = own.shape[0]
    idx = torch.arange(N, device=own.device)
    off_diag = (idx[:, None] != idx[None, :]).to(own.dtype)
    kl, count = torch.zeros_like(own), torch.zeros_like(own)
    for s in (-1, 1):
        aligned = torch.roll(shifted[s], shifts=(-s, -s), dims=(0, 1))  # [k, j]
        valid = (_in_range(idx + s, N)[:, None] & _in_range(idx + s, N)[None, :]).to(own.dtype)
        kl = kl + valid * torch.relu(own - aligned)
        count = count + valid
    used = off_diag * (count > 0).to(own.dtype)
    return (kl / count.clamp_min(1) * used).sum() / used.sum()


def uniformity_loss(
    y: torch.Tensor, marginal: MarginalMixture, conditional: MaskedConditional, scale: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """L_unif = scale (reg1 + reg2), scale 1 (v1) or ½ (head).  Returns (L_unif, reg1, reg2)."""
    reg1 = marginal_uniformity(y, marginal)
    reg2 = conditional_uniformity(y, conditional)
    return scale * (reg1 + reg2), reg1, reg2


def resolution_loss(marginal_entropies: torch.Tensor, joint_entropy: torch.Tensor) -> torch.Tensor:
    """L_res = (1/N) Σ_i Ĥ(y_i) - Ĥ_r(y), a per-dimension total correlation (eqs. 10-11)."""
    return marginal_entropies.mean() - joint_entropy


def information_loss(joint_entropy: torch.Tensor) -> torch.Tensor:
    """L_info = -Ĥ_r(y): InfoMax for a deterministic map with small noise (eq. 12, App. C)."""
    return -joint_entropy


def lift_orthogonality_loss(K: torch.Tensor) -> torch.Tensor:
    """‖K Kᵀ − I‖²_F / N for the lift K (N, N) of eq. 5 (or stacked, (..., N, N)): zero when
    the rows crop(G^k ψ̂) are orthonormal, as for the exact shift with a delta filter.

    Not in the paper (``LossConfig.orthogonality``): the failing N = 33 fits have blurred
    lifts, whose pixel estimates spread over neighbouring pixels
    (results/lab/lift_sharpness/).  Needs neither data nor the hidden basis.
    """
    N = K.shape[-1]
    eye = torch.eye(N, dtype=K.dtype, device=K.device)
    return (K @ K.transpose(-1, -2) - eye).square().sum((-2, -1)) / N


@dataclass
class ModelLoss:
    """The terms of eq. 13 for one batch (tensors; ``total`` carries the gradient)."""

    total: torch.Tensor
    alignment: torch.Tensor
    uniformity: torch.Tensor
    reg1: torch.Tensor
    reg2: torch.Tensor
    resolution: torch.Tensor
    information: torch.Tensor
    marginal_entropy: torch.Tensor
    joint_entropy: torch.Tensor

    def as_floats(self) -> dict[str, float]:
        return {k: float(v.detach()) for k, v in self.__dict__.items()}


def model_loss(
    y: torch.Tensor,
    marginal: MarginalMixture,
    conditional: MaskedConditional,
    tau: float,
    cfg: LossConfig,
    fused: bool = False,
) -> ModelLoss:
    """Eq. 13 on the lifted batch y (B, N) at training time τ; estimators held fixed.

    ``fused=True`` evaluates the estimators with :mod:`symlens.fused` (chunked, hand-written
    backward passes): the same terms and gradients, faster on a CPU.
    """
    align = alignment_loss(y)
    if fused:
        shifts = (0, -1, 1)
        own, *others = _fused.marginal_log_prob(marginal, y, shifts, detach_params=True).mean(1)
        reg1 = marginal_uniformity_from_means(own, dict(zip(shifts[1:], others)))
        pair0, *pairs = _fused.conditional_pair_means(conditional, y, shifts)
        reg2 = conditional_uniformity_from_means(pair0, dict(zip(shifts[1:], pairs)))
        unif, marg = cfg.uniformity_scale * (reg1 + reg2), -own
    else:
        unif, reg1, reg2 = uniformity_loss(y, marginal, conditional, cfg.uniformity_scale)
        marg = marginal.entropies(y, detach_params=True)
    joint = low_rank_entropy(y, tau, cfg.gain).to(y.dtype)
    res = resolution_loss(marg, joint)
    info = information_loss(joint)
    total = cfg.alignment_weight(tau) * align + cfg.beta * unif + cfg.resolution_weight(tau) * res + cfg.delta * info
    return ModelLoss(total, align, unif, reg1, reg2, res, info, marg.mean(), joint)


def estimator_loss(
    y: torch.Tensor, marginal: MarginalMixture, conditional: MaskedConditional, l2: float,
    fused: bool = False,
) -> torch.Tensor:
    """Maximum-likelihood loss of both estimators on a detached y (B, N) (spec §1.9):
    mean_i Ĥ_PE(y_i) + mean_{k≠j} (-mean log q̂_{k,j}(y_j|y_k)) + l2 Σ ‖W‖_F.

    ``fused=True``: the same loss and gradients through :mod:`symlens.fused`.
    """
    y = y.detach()
    N = y.shape[1]
    if fused:
        marg = -_fused.marginal_log_prob(marginal, y).mean()
        cond = _fused.conditional_likelihood(conditional, y)
    else:
        marg = marginal.entropies(y).mean()
        pair = conditional.pair_means(y)
        off = ~torch.eye(N, dtype=torch.bool, device=y.device)
        cond = -pair[off].mean()
    return marg + cond + l2 * conditional.weight_penalty()


def _in_range(idx: torch.Tensor, n: int) -> torch.Tensor:
    return (idx >= 0) & (idx < n)
