"""Helpers shared by the unit tests and the notebooks: exact reference objects and assertions.

Import as ``symlens.testing`` (it is deliberately not re-exported from :mod:`symlens`)::

    from symlens.testing import assert_equivariant, exact_shift_generator, delta_filter

The reference objects are built from first principles (index arithmetic), never from the
package's own training code, so they can serve as ground truth for it.
"""

from __future__ import annotations

import numpy as np

from .metrics import equivariance_error

__all__ = [
    "exact_shift_generator",
    "padded_shift_generator",
    "delta_filter",
    "reversal_matrix",
    "assert_orthogonal",
    "assert_permutation_matrix",
    "assert_equivariant",
]


def _as_array(M, name: str) -> np.ndarray:
    if hasattr(M, "detach"):  # torch tensor
        M = M.detach().cpu().numpy()
    return np.asarray(M, dtype=np.float64)


def exact_shift_generator(N: int, circulant: bool = True) -> np.ndarray:
    """The pixel shift T (N, N) with T e_i = e_{i+1}.

    ``circulant=True``: the index wraps around (T e_{N-1} = e_0), so T is an orthogonal
    permutation matrix.  ``circulant=False``: ones on the sub-diagonal only (N - 1 ones), the
    non-circulant shift the paper scores against (spec §5); it is not orthogonal.
    """
    if int(N) != N or N < 1:
        raise ValueError(f"N must be a positive integer, got {N!r}")
    N = int(N)
    T = np.zeros((N, N))
    for i in range(N - 1):
        T[i + 1, i] = 1.0
    if circulant:
        T[0, N - 1] = 1.0
    return T


def padded_shift_generator(N: int, padding: int) -> np.ndarray:
    """The circulant shift on the padded space R^{N+2P}: orthogonal, and its central N x N
    block is the non-circulant shift of size N (the wrap-around entries sit in the corners)."""
    if padding < 1:
        raise ValueError(f"padding must be >= 1 for the crop to be non-circulant, got {padding}")
    return exact_shift_generator(N + 2 * padding, circulant=True)


def delta_filter(N: int, position: int | None = None) -> np.ndarray:
    """Unit vector e_position (N,); the default position is the central pixel (N - 1) // 2."""
    pos = (N - 1) // 2 if position is None else int(position)
    if not 0 <= pos < N:
        raise ValueError(f"position {pos} is outside 0..{N - 1}")
    psi = np.zeros(N)
    psi[pos] = 1.0
    return psi


def reversal_matrix(N: int) -> np.ndarray:
    """R (N, N) with R[i, N-1-i] = 1: the index reversal (anti-diagonal i + j == N - 1)."""
    R = np.zeros((N, N))
    R[np.arange(N), N - 1 - np.arange(N)] = 1.0
    return R


def assert_orthogonal(M, atol: float = 1e-10, name: str = "matrix") -> None:
    """Assert M is square and M Mᵀ = Mᵀ M = I to ``atol`` (max abs entry)."""
    M = _as_array(M, name)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise AssertionError(f"{name} is not a square matrix: shape {M.shape}")
    if not np.isfinite(M).all():
        raise AssertionError(f"{name} contains NaN or inf")
    eye = np.eye(M.shape[0])
    err = max(np.abs(M @ M.T - eye).max(), np.abs(M.T @ M - eye).max())
    if err > atol:
        raise AssertionError(
            f"{name} ({M.shape[0]}x{M.shape[0]}) is not orthogonal: max|M Mᵀ - I| = {err:.3g} > atol = {atol:g}"
        )


def assert_permutation_matrix(M, atol: float = 1e-8, name: str = "matrix") -> None:
    """Assert every row of M is a unit vector e_j (to ``atol``) and each column is used once."""
    M = _as_array(M, name)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise AssertionError(f"{name} is not a square matrix: shape {M.shape}")
    cols = np.abs(M).argmax(axis=1)
    target = np.zeros_like(M)
    target[np.arange(M.shape[0]), cols] = 1.0
    err = np.abs(M - target).max()
    if err > atol:
        row = int(np.abs(M - target).max(axis=1).argmax())
        raise AssertionError(
            f"{name} is not a permutation matrix: row {row} is not a unit vector "
            f"(max deviation {err:.3g} > atol = {atol:g})"
        )
    used, counts = np.unique(cols, return_counts=True)
    if used.size != M.shape[0]:
        dup = used[counts > 1].tolist()
        raise AssertionError(f"{name} is not a permutation matrix: column(s) {dup} are used by several rows")


def assert_equivariant(K, G, X, rtol: float = 1e-6, margin: int = 1) -> float:
    """Assert the group convolution K is equivariant under the generator G on samples X:
    (K G x)_n = (K x)_{n+1} on interior indices, to relative error ``rtol``
    (:func:`symlens.metrics.equivariance_error`, which tries both shift directions).

    Returns the error so a notebook can print it.
    """
    K, G, X = _as_array(K, "K"), _as_array(G, "G"), _as_array(X, "X")
    err = equivariance_error(K, G, X, margin=margin)
    if not err <= rtol:
        raise AssertionError(
            f"K is not equivariant under G: relative error {err:.3g} > rtol = {rtol:g} "
            f"(N = {K.shape[0]}, margin = {margin}, {X.shape[0]} samples)"
        )
    return err
