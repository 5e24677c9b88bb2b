"""The symmetry generator G = exp(skew(A)), eq. 6, with zero padding and central crop.

The generator lives on a padded space of size M = N + 2P (spec §1.2, §6 item 7): the
filter is padded with P zeros on both sides, transported by powers of the big generator
and cropped back to its central N entries.  Padding lets the learned operator act like a
non-circulant shift without wrapping the window's edges onto each other.

The generator side is tiny (M ~ 3N), so it is computed in float64: this keeps
``exp(S)`` orthogonal to ~1e-15 and the chain of powers exact, for no measurable cost.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["skew", "Generator", "crop", "skew_matrix_exp"]


def skew(A: torch.Tensor) -> torch.Tensor:
    """S = (A - Aᵀ)/2, the skew-symmetric part of A (eq. 6).  Shape (..., M, M)."""
    return 0.5 * (A - A.transpose(-1, -2))


def crop(matrix: torch.Tensor, padding: int) -> torch.Tensor:
    """Central (M - 2P) x (M - 2P) block of an (..., M, M) matrix."""
    if padding == 0:
        return matrix
    return matrix[..., padding:-padding, padding:-padding]


class _SkewMatrixExp(torch.autograd.Function):
    """exp(S) for a real skew-symmetric S: the value of ``torch.linalg.matrix_exp``, and a
    backward pass from the eigendecomposition of the Hermitian matrix iS.

    With iS = U diag(λ) U^H, the adjoint of the Fréchet derivative of exp at S applied to
    the incoming gradient Γ is L(Sᵀ, Γ) = U (Φ ∘ (U^H Γ U)) U^H with the divided differences
    Φ_ab = (e^{iλ_a} - e^{iλ_b}) / (iλ_a - iλ_b) = e^{i(λ_a+λ_b)/2} sinc((λ_a-λ_b)/2), which
    is stable for equal and nearly equal eigenvalues.  Same gradient as matrix_exp's own
    backward (float64 agreement ~1e-13, tests/test_generator.py) at about a third of its
    cost: that one exponentiates a (2M x 2M) block matrix.
    """

    @staticmethod
    def forward(ctx, S):
        ctx.save_for_backward(S)
        return torch.linalg.matrix_exp(S)

    @staticmethod
    def backward(ctx, grad):
        (S,) = ctx.saved_tensors
        lam, U = torch.linalg.eigh(S * 1j)
        a, b = lam[:, None], lam[None, :]
        phi = torch.polar(torch.sinc((a - b) / (2.0 * math.pi)), (a + b) / 2.0)
        Uh = U.mH
        return (U @ (phi * (Uh @ grad.to(U.dtype) @ U)) @ Uh).real.to(grad.dtype)


def skew_matrix_exp(S: torch.Tensor) -> torch.Tensor:
    """exp(S) of a real skew-symmetric (M, M) matrix, with the eigendecomposition backward of
    :class:`_SkewMatrixExp` (same values and gradients as ``torch.linalg.matrix_exp``)."""
    return _SkewMatrixExp.apply(S)


class Generator(nn.Module):
    """Orthogonal generator G = exp(S), S = skew(A), A ∈ R^{M x M} free (eq. 6).

    Parameters
    ----------
    dim : N, the data dimension.
    padding : P >= 0; the generator acts on R^{N + 2P}.
    init_std : A_ij ~ N(0, init_std²) at initialisation, so that G ≈ I.
    rng : explicit torch.Generator for the initial draw.
    """

    def __init__(self, dim: int, padding: int, init_std: float, rng: torch.Generator):
        super().__init__()
        if padding < 0:
            raise ValueError(f"padding must be >= 0, got {padding}")
        self.dim = dim
        self.padding = padding
        size = dim + 2 * padding
        self.A = nn.Parameter(torch.randn(size, size, generator=rng) * init_std)

    @property
    def size(self) -> int:
        return self.dim + 2 * self.padding

    def big(self, eig_backward: bool = False) -> torch.Tensor:
        """exp(skew(A)) on the padded space, float64, shape (M, M).

        ``eig_backward=True``: the same value, differentiated through the eigendecomposition
        (:func:`skew_matrix_exp`, faster); False: through matrix_exp's own backward.
        """
        S = skew(self.A.double())
        return skew_matrix_exp(S) if eig_backward else torch.linalg.matrix_exp(S)

    def forward(self) -> torch.Tensor:
        """The reported generator: central N x N crop of exp(S), float64, shape (N, N)."""
        return crop(self.big(), self.padding)
