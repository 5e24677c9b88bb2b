"""Probability estimators of Appendix A: the marginal mixture (eqs. 27-28) and the masked
conditional mixture network (eqs. 29-30).

Both are Gaussian mixtures with K kernels.  Densities are evaluated in log space with
``logsumexp``: the authors' densities underflow into denormal floats, which on a CPU slows
a step 5-20x (field notes).

Every ``log_prob`` takes ``detach_params``: the model loss back-propagates through the
estimators' log-densities with respect to y but must not move the estimators, while the
estimator loss moves only the estimators (spec §1.5, two subsystems).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MarginalMixture", "MaskedConditional", "mixture_log_prob", "DENSITY_FLOOR"]

_LOG_2PI = math.log(2.0 * math.pi)
DENSITY_FLOOR = 1e-7


def mixture_log_prob(
    y: torch.Tensor,
    log_w: torch.Tensor,
    mu: torch.Tensor,
    log_var: torch.Tensor,
    floor: float = DENSITY_FLOOR,
) -> torch.Tensor:
    """log( Σ_m w_m N(y; μ_m, σ²_m) + floor ) (eqs. 27-28).

    The floor reproduces the authors' estimators, which add 1e-7 to the density before the
    log: log p̂ is bounded below (≈ -16.1) and samples far in a tail stop pulling on the
    gradients.  ``floor=0`` gives the exact mixture log-density.

    y: (...,); log_w, mu, log_var: (..., K) broadcastable against y[..., None].
    Returns (...,).
    """
    z = (y.unsqueeze(-1) - mu) ** 2 * torch.exp(-log_var)
    lp = torch.logsumexp(log_w - 0.5 * (_LOG_2PI + log_var + z), dim=-1)
    if floor > 0:
        lp = torch.logaddexp(lp, torch.full_like(lp, math.log(floor)))
    return lp


class MarginalMixture(nn.Module):
    """One K-kernel 1-D Gaussian mixture per component i (eq. 27).

    Parametrisation as in the authors' estimator: w = softmax(clip(logits, ±4.5)),
    σ² = exp(clip(log σ², ±4.5)); init logits = log σ² = 1, centres ~ U(-0.05, 0.05).
    """

    def __init__(self, dim: int, n_kernels: int, rng: torch.Generator):
        super().__init__()
        self.logits = nn.Parameter(torch.ones(dim, n_kernels))
        self.log_var = nn.Parameter(torch.ones(dim, n_kernels))
        self.means = nn.Parameter((torch.rand(dim, n_kernels, generator=rng) - 0.5) * 0.1)

    def _params(self, detach: bool):
        p = (self.logits, self.means, self.log_var)
        if detach:
            p = tuple(t.detach() for t in p)
        logits, mu, log_var = p
        return F.log_softmax(logits.clamp(-4.5, 4.5), -1), mu, log_var.clamp(-4.5, 4.5)

    def log_prob(self, y: torch.Tensor, shift: int = 0, detach_params: bool = False) -> torch.Tensor:
        """log p̂_{i+shift}(y_i): y (B, N) -> (B, N).

        With ``shift`` ≠ 0 column i is scored by the neighbour's mixture i + shift; where
        i + shift falls outside [0, N) the index is clamped (the column is scored by its own
        mixture) and the caller must mask it out.
        """
        log_w, mu, log_var = self._params(detach_params)
        if shift:
            idx = (torch.arange(y.shape[1], device=y.device) + shift).clamp(0, y.shape[1] - 1)
            log_w, mu, log_var = log_w[idx], mu[idx], log_var[idx]
        return mixture_log_prob(y, log_w, mu, log_var)

    def entropies(self, y: torch.Tensor, detach_params: bool = False) -> torch.Tensor:
        """Ĥ(y_i) = -mean_b log p̂_i(y_i^b): y (B, N) -> (N,)."""
        return -self.log_prob(y, detach_params=detach_params).mean(0)


def _glorot(fan_in: int, fan_out: int, shape, rng: torch.Generator) -> torch.Tensor:
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return (torch.rand(*shape, generator=rng) * 2 - 1) * bound


class MaskedConditional(nn.Module):
    """Conditional densities q̂(y_j | y_k) for all ordered pairs from one set of three MLPs
    (eqs. 29-30).

    Sample b of a batch keeps only component k = b mod N (the mask), so the batch must be a
    multiple of N.  Three one-hidden-layer MLPs N -> H -> N·K (LeakyReLU 0.2) give, for
    every target j, the mixture weights softmax(3.5 tanh z), means LeakyReLU(z) and
    variances exp(3.5 tanh z), as in the authors' code (spec §1.11).

    Because the input is zero except at one position, the first layer is a row lookup:
    h = LeakyReLU(y_k W1[k] + b1).  This is exact and saves an (N x H) product per row.
    The three MLPs are stacked along a leading axis of size 3 so one batched product
    evaluates all of them.
    """

    def __init__(self, dim: int, hidden: int, n_kernels: int, rng: torch.Generator):
        super().__init__()
        self.dim, self.hidden, self.n_kernels = dim, hidden, n_kernels
        out = dim * n_kernels
        self.W1 = nn.Parameter(_glorot(dim, hidden, (3, dim, hidden), rng))
        self.b1 = nn.Parameter(torch.zeros(3, hidden))
        self.W2 = nn.Parameter(_glorot(hidden, out, (3, hidden, out), rng))
        self.b2 = nn.Parameter(torch.zeros(3, out))

    def check_batch(self, batch: int) -> None:
        if batch % self.dim:
            raise ValueError(
                f"batch of {batch} samples cannot be split by the masked conditional "
                f"estimator: it must be a multiple of N = {self.dim}"
            )

    def log_prob(self, y: torch.Tensor, shift: int = 0, detach_params: bool = False) -> torch.Tensor:
        """Per-sample conditional log-densities on the rolled sample y' = roll(y, shift).

        y: (B, N), B = n·N.  Sample b is conditioned on index g = b mod N and its value
        y'_g = y_{g - shift}; entry [b, j'] is log q̂_{g, j'}(y'_{j'} | y'_g).  With shift
        s this scores the original pair (g - s, j' - s) with the network of the pair
        shifted by s (eq. 7); entries that wrapped around are masked by the caller.
        Returns (B, N).
        """
        B, N = y.shape
        self.check_batch(B)
        W1, b1, W2, b2 = (self.W1, self.b1, self.W2, self.b2)
        if detach_params:
            W1, b1, W2, b2 = (t.detach() for t in (W1, b1, W2, b2))
        yr = torch.roll(y, shifts=shift, dims=1) if shift else y
        n = B // N
        value = yr.reshape(n, N, N).diagonal(dim1=1, dim2=2)  # (n, N): y'_g of each sample
        h = F.leaky_relu(value[None, :, :, None] * W1[:, None] + b1[:, None, None], 0.2)
        z = torch.baddbmm(b2[:, None], h.reshape(3, B, self.hidden), W2)
        z = z.reshape(3, B, N, self.n_kernels)
        log_w = F.log_softmax(3.5 * torch.tanh(z[0]), dim=-1)
        mu = F.leaky_relu(z[1], 0.2)
        log_var = 3.5 * torch.tanh(z[2])
        return mixture_log_prob(yr, log_w, mu, log_var)

    def pair_means(self, y: torch.Tensor, shift: int = 0, detach_params: bool = False) -> torch.Tensor:
        """M[g, j'] = mean over the samples conditioned on g of log q̂_{g,j'}: (N, N)."""
        lp = self.log_prob(y, shift, detach_params)
        return lp.reshape(-1, self.dim, self.dim).mean(0)

    def weight_penalty(self) -> torch.Tensor:
        """Σ ‖W‖_F over the six weight matrices (non-squared, spec §1.9); biases are free."""
        return self.W1.flatten(1).norm(dim=1).sum() + self.W2.flatten(1).norm(dim=1).sum()
