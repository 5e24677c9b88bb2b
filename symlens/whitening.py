"""Partial whitening of the data before the fit (``LensConfig.whiten``; not in the paper).

The covariance of a shift-invariant signal family is diagonal in the Fourier basis: its
eigenvalues are the signals' mean power spectrum.  Wide bumps (the Legendre datasets,
σ ≈ 2-4 px) leave many of them near zero, and along those directions the data carry almost
no information about which pixel neighbours which, so the chain of the generator forms weak
links and stalls (book: convergence page, "Why the Legendre datasets fail").  Dividing the
spectrum partly out,

    x -> W (x - μ) / r,      W = (C + λ I)^(-1/2),  λ = strength × mean eig(C),

sharpens the bumps without choosing a basis: W is built from C alone, so for x = Q s it is
Q W_s Qᵀ, and for stationary s it nearly commutes with the shift, so the true generator
stays the one to find.  r makes the result unit root-mean-square.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["Whitening", "partial_whitening"]


def partial_whitening(X, strength: float) -> np.ndarray:
    """W = (C + λ I)^(-1/2), with C the covariance of X (n, N) and λ = ``strength`` × the mean
    eigenvalue of C.  Returns (N, N) float64, symmetric; strength 0 whitens fully (W C W = I)."""
    if isinstance(strength, bool) or not isinstance(strength, (int, float, np.floating)) or not 0 <= strength < np.inf:
        raise ValueError(f"whitening strength must be a finite number >= 0, got {strength!r}")
    X = np.asarray(X, np.float64)
    Xc = X - X.mean(0)
    w, V = np.linalg.eigh(Xc.T @ Xc / len(Xc))
    lam = strength * float(w.mean())
    if not (w + lam).min() > 0:
        raise ValueError("the covariance of X is singular: full whitening (strength 0) is undefined; "
                         "use a strength > 0")
    return (V / np.sqrt(w + lam)) @ V.T


@dataclass(frozen=True)
class Whitening:
    """The map x -> (x - mean) @ matrixᵀ, fitted on a training set.

    mean : (N,) float64, the training set's component means μ.
    matrix : (N, N) float64, W / r (W of :func:`partial_whitening`, r the root-mean-square
        of W (x - μ) over the training set).
    strength : the λ / mean eig(C) it was built with.
    """

    mean: np.ndarray
    matrix: np.ndarray
    strength: float

    @classmethod
    def fit(cls, X, strength: float) -> "Whitening":
        """Fit on X (n, N), a NumPy array or a tensor (any device)."""
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        X = np.asarray(X, np.float64)
        if X.ndim != 2 or X.shape[0] < 2:
            raise ValueError(f"whitening needs a sample matrix (n >= 2, N), got shape {X.shape}")
        W = partial_whitening(X, strength)
        mean = X.mean(0)
        Y = (X - mean) @ W.T
        return cls(mean=mean, matrix=W / Y.std(), strength=float(strength))

    def __call__(self, X):
        """Whiten X (n, N): a tensor comes back as a tensor of its dtype and device, an array
        as float64."""
        if isinstance(X, torch.Tensor):
            mean = torch.as_tensor(self.mean, device=X.device)
            W = torch.as_tensor(self.matrix, device=X.device)
            return ((X.double() - mean) @ W.T).to(X.dtype)
        return (np.asarray(X, np.float64) - self.mean) @ self.matrix.T

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "matrix": self.matrix.tolist(), "strength": self.strength}

    @classmethod
    def from_dict(cls, d: dict) -> "Whitening":
        return cls(mean=np.asarray(d["mean"], np.float64), matrix=np.asarray(d["matrix"], np.float64),
                   strength=float(d["strength"]))
