"""Accuracy of a learned symmetry (spec §5).

The shift has two equally valid directions (T and Tᵀ = T⁻¹ on the interior), so a learned
generator is scored against whichever of G_true and G_trueᵀ it matches better.  The group
convolution matrix is scored against ±Q⁻¹ and ±R Q⁻¹ (filter polarity and reflection).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "cosine_similarity",
    "generator_cosine_similarity",
    "generator_rmse",
    "best_direction",
    "ideal_group_convolution",
    "group_convolution_cosine_similarity",
    "equivariance_error",
    "signal_recovery",
]


def _as_matrix(a, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or inf")
    return a


def _pair(learned, true) -> tuple[np.ndarray, np.ndarray]:
    a, b = _as_matrix(learned, "learned"), _as_matrix(true, "true")
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: learned {a.shape} vs true {b.shape}")
    return a, b


def cosine_similarity(a, b) -> float:
    """Frobenius cosine Σ a_ij b_ij / (‖a‖_F ‖b‖_F); 0 if either is zero."""
    a, b = _pair(a, b)
    denom = np.linalg.norm(a) * np.linalg.norm(b)
    return float((a * b).sum() / denom) if denom > 0 else 0.0


def best_direction(learned, true) -> np.ndarray:
    """The one of ``true`` and ``trueᵀ`` (the inverse shift) closer in cosine to ``learned``."""
    a, b = _pair(learned, true)
    return b if cosine_similarity(a, b) >= cosine_similarity(a, b.T) else b.T


def generator_cosine_similarity(learned, true) -> float:
    """max(cos(G, G_true), cos(G, G_trueᵀ)) for (N, N) matrices (paper's Table 2 metric)."""
    a, b = _pair(learned, true)
    return max(cosine_similarity(a, b), cosine_similarity(a, b.T))


def generator_rmse(learned, true) -> float:
    """sqrt(mean_ij (G - G_ideal)²) over all N² entries, G_ideal the better direction.

    The authors' code never computes an RMSE (spec §5); this is the natural definition.
    """
    a, _ = _pair(learned, true)
    return float(np.sqrt(np.mean((a - best_direction(learned, true)) ** 2)))


def ideal_group_convolution(K, transform) -> np.ndarray:
    """Among ±Qᵀ and ±R Qᵀ (R the index reversal), the candidate closest to K.

    With x = Q s and a perfectly learned symmetry, y = K x equals ±s or ±(reversed s),
    so K Q ∈ {±I, ±R}.  (The authors' anti-diagonal had an off-by-one, spec §5; R here is
    R[i, N-1-i] = 1.)
    """
    K, Q = _pair(K, transform)
    base = [Q.T, np.flipud(np.eye(Q.shape[0])) @ Q.T]
    cands = [sign * c for c in base for sign in (1.0, -1.0)]
    return max(cands, key=lambda c: cosine_similarity(K, c))


def group_convolution_cosine_similarity(K, transform) -> float:
    """cos(K, ideal) with the ideal from :func:`ideal_group_convolution`."""
    return cosine_similarity(K, ideal_group_convolution(K, transform))


def equivariance_error(K, G, X, margin: int = 1) -> float:
    """Relative ‖(K G x)_n - (K x)_{n+1}‖ / ‖K x‖ over interior n (App. B, eqs. 31-35).

    Row n of K is ψᵀ G^{p_n}, so K G x shifts the output index by one.  K, G: (N, N);
    X: (B, N).  ``margin`` output indices at each end are excluded (edge effects of a
    cropped, padded generator).  Both directions of the shift are tried; the smaller
    error is returned.
    """
    K, G = _pair(K, G)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != K.shape[1]:
        raise ValueError(f"X must have shape (B, {K.shape[1]}), got {X.shape}")
    y = X @ K.T
    N = K.shape[0]
    lo, hi = margin, N - 1 - margin
    if hi <= lo:
        raise ValueError(f"margin {margin} leaves no interior indices for N = {N}")
    errs = []
    for Gd in (G, G.T):
        yg = X @ Gd.T @ K.T
        diff = yg[:, lo:hi] - y[:, lo + 1 : hi + 1]
        errs.append(np.linalg.norm(diff) / np.linalg.norm(y[:, lo + 1 : hi + 1]))
    return float(min(errs))


def signal_recovery(Y, S) -> dict:
    """How well the representation Y recovers the hidden signal S up to sign and reflection
    (App. E).  Y, S: (B, N).  Returns the best of the four candidates ±S, ±reversed S:
    ``{"correlation": Pearson over all entries, "reflected": bool, "sign": ±1,
    "per_component": (N,) Pearson per component}``.
    """
    Y, S = np.asarray(Y, np.float64), np.asarray(S, np.float64)
    if Y.shape != S.shape or Y.ndim != 2:
        raise ValueError(f"Y and S must be equal-shape (B, N) arrays, got {Y.shape}, {S.shape}")
    best = None
    for reflected in (False, True):
        T = S[:, ::-1] if reflected else S
        r = np.corrcoef(Y.ravel(), T.ravel())[0, 1]
        if best is None or abs(r) > abs(best["correlation"]):
            yc, tc = Y - Y.mean(0), T - T.mean(0)
            per = (yc * tc).sum(0) / (np.linalg.norm(yc, axis=0) * np.linalg.norm(tc, axis=0) + 1e-12)
            best = {
                "correlation": float(abs(r)),
                "reflected": reflected,
                "sign": float(np.sign(r)),
                "per_component": np.sign(r) * per,
            }
    return best
