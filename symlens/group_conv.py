"""Resolving filter (eqs. 20-21) and the group convolution matrix K (eq. 5).

Row n of K is the filter transported by the generator power p_n = n - (N-1)/2::

    K[n, :] = crop( ψ̂_padᵀ G_big^{p_n} ),     y = K x   (eq. 5)

so the filter's "origin" is the central pixel.  For odd N the powers are integers and are
applied as a chain of matrix-vector products with G and Gᵀ = G⁻¹, which is exact and cheap.
Even N would need half-integer powers (a spectral power of G); it is refused with a clear
error instead of being approximated silently.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .generator import Generator

__all__ = [
    "ResolvingFilter",
    "GroupConvolution",
    "group_convolution_matrix",
    "require_odd_dim",
    "standardize",
    "centring_statistics",
]

_NORM_EPS = 1e-7


def standardize(x: torch.Tensor, mean=None, std=None, centring: str = "scalar") -> torch.Tensor:
    """(x - m)/s with one scalar std over the batch and all components (spec §1.2).

    ``centring="scalar"`` (the authors'): m is ONE mean over the batch and all components.
    It is not basis-neutral: for x = Q s the scalar mean of x is not Q applied to anything,
    so the lifted y = K x keeps a component-dependent offset unless Q maps constants to
    constants (identity, permutations).  ``centring="component"``: m is each component's
    batch mean, shape (1, N), so (x - m) = Q (s - mean s) for every orthogonal Q.  In both
    cases s is the root-mean-square of (x - m) over all entries (invariant under Q).

    x: (B, N).  ``mean``/``std`` given: use them (e.g. the training set's) instead.
    """
    if mean is None or std is None:
        m, s = centring_statistics(x, centring)
        mean = m if mean is None else mean
        std = s if std is None else std
    return (x - mean) / std


def centring_statistics(x: torch.Tensor, centring: str = "scalar") -> tuple[torch.Tensor, torch.Tensor]:
    """The mean :func:`standardize` subtracts (a scalar, or (1, N) per component) and the
    scalar root-mean-square of x minus it.  x: (B, N)."""
    if centring == "scalar":
        return x.mean(), x.std(unbiased=False)
    mean = x.mean(0, keepdim=True)
    return mean, (x - mean).pow(2).mean().sqrt()


def require_odd_dim(dim: int) -> None:
    """Raise a ValueError that explains why an even N is refused."""
    if dim % 2 == 0:
        raise ValueError(
            f"dimension N = {dim} is even: eq. 5 then needs half-integer generator powers "
            "centred between two pixels, which symlens does not implement; use an odd N "
            "(e.g. drop or add one component)"
        )


def group_convolution_matrix(G_big: torch.Tensor, psi: torch.Tensor, padding: int,
                             reach: int | None = None) -> torch.Tensor:
    """K of eq. 5 from the padded generator and a (normalised) filter.

    G_big: (M, M) orthogonal, M = N + 2P.  psi: (N,).  Returns K: (N, N), rows ordered by
    power -(N-1)/2 ... (N-1)/2.  ``reach`` = r: the same K, but powers beyond ±r are taken
    with a detached generator, so G learns only through the first r steps of each side
    (``LensConfig.reach_tau``); None: through every power.
    """
    dim = psi.shape[-1]
    require_odd_dim(dim)
    half = (dim - 1) // 2
    v0 = F.pad(psi.to(G_big.dtype), (padding, padding))
    # rowᵀ = ψᵀ G^p  <=>  row = (Gᵀ)^p ψ ; Gᵀ = G⁻¹ since G is orthogonal
    up, down = [v0], [v0]
    G, Gt = G_big, G_big.transpose(0, 1)
    for p in range(1, half + 1):
        if reach is not None and p == reach + 1:
            G, Gt = G.detach(), Gt.detach()
        up.append(Gt @ up[-1])
        down.append(G @ down[-1])
    rows = torch.stack(down[:0:-1] + up, dim=0)  # powers -half..half, (N, M)
    return rows[:, padding : padding + dim] if padding else rows


class ResolvingFilter(nn.Module):
    """ψ ∈ R^N, zero at the start; noisy and normalised before each use (eqs. 20-21).

    ψ̃ = ψ + σ ε,  ε ~ N(0, I);   ψ̂ = ψ̃ / (‖ψ̃‖ + 1e-7)
    """

    def __init__(self, dim: int):
        super().__init__()
        self.psi = nn.Parameter(torch.zeros(dim))

    def forward(self, noise: torch.Tensor | None = None) -> torch.Tensor:
        """ψ̂, shape (N,).  ``noise``: (N,) already scaled by σ(t), or None for the clean filter."""
        psi = self.psi if noise is None else self.psi + noise.to(self.psi)
        return psi / (psi.norm() + _NORM_EPS)


class GroupConvolution(nn.Module):
    """The model subsystem: generator + resolving filter, lifting y = K x (eq. 5)."""

    def __init__(self, dim: int, padding: int, init_std: float, rng: torch.Generator,
                 centring: str = "scalar"):
        super().__init__()
        require_odd_dim(dim)
        self.dim = dim
        self.centring = centring
        self.generator = Generator(dim, padding, init_std, rng)
        self.filter = ResolvingFilter(dim)

    def matrix(self, noise: torch.Tensor | None = None, big: torch.Tensor | None = None,
               reach: int | None = None) -> torch.Tensor:
        """K (N, N), float32; ``noise`` (N,) is added to ψ before normalising.  ``big``: the
        padded generator exp(skew(A)) if already computed (it does not depend on the noise);
        ``reach``: as in :func:`group_convolution_matrix`."""
        big = self.generator.big() if big is None else big
        K = group_convolution_matrix(big, self.filter(noise), self.generator.padding, reach)
        return K.to(self.filter.psi.dtype)

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None, big: torch.Tensor | None = None,
                reach: int | None = None) -> torch.Tensor:
        """y = K standardize(x): x (B, N) -> y (B, N); ``big``, ``reach`` as in :meth:`matrix`."""
        return standardize(x, centring=self.centring) @ self.matrix(noise, big, reach).T
