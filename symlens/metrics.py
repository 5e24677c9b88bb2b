"""Accuracy of a learned symmetry.

The shift has two equally valid directions (T and Tᵀ = T⁻¹ on the interior), so a learned
generator is scored against whichever of G_true and G_trueᵀ it matches better.

The group convolution matrix K and the representation y = K x are determined by the data
only up to what the paper's Appendix E allows: the polarity of the filter (a sign), the
direction of the generator (a reflection of the output index) and the position of the
filter's peak (a shift of the output index).  A filter whose peak sits k pixels off the
centre gives y_n = ±s_{n+k}: the output is the hidden signal, moved by k pixels, with k
pixels at one end that have no counterpart.  The scores below therefore compare K with
every candidate ±S_k Qᵀ and ±S_k R Qᵀ, where R reverses the index and S_k is the
*non-circular* shift (S_k)_{n, m} = 1 if m = n + k (rows whose partner n + k falls outside
0..N-1 are zero), and report which candidate matched.  A shift is not free: the cosine is
taken over the whole matrix, so whatever weight K has on the |k| rows that a shifted
candidate leaves empty counts against that candidate (a shifted candidate is orthogonal to
an unshifted K).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "cosine_similarity",
    "generator_cosine_similarity",
    "cosine_without_exit",
    "generator_rmse",
    "best_direction",
    "shift_matrix",
    "group_convolution_alignment",
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


def cosine_without_exit(learned, true) -> float:
    """The generator cosine with the exit direction left out: max over D in (G_true,
    G_trueᵀ) of cos(G P, D P), P = I − v vᵀ and v the unit vector D sends out of the
    window (D v = 0; the exit pixel, in whatever basis the matrices are written).

    The loss never sees where G sends the exit pixel (the filter's powers stop there:
    mechanism 6 of the convergence page), so a chain closed into a cycle scores 1 here and
    sqrt((N − 1)/N) on :func:`generator_cosine_similarity`, which at N = 7 is 0.926, below
    the 0.95 target.  Needs a ``true`` whose crop has a one-dimensional null space, as the
    non-circular shift's does.
    """
    a, b = _pair(learned, true)
    best = -1.0
    for d in (b, b.T):
        _, s, vt = np.linalg.svd(d)
        if s.size > 1 and s[-2] <= 1e-9 * max(s[0], 1.0):
            raise ValueError("true must send exactly one direction out of the window (rank N - 1)")
        p = np.eye(d.shape[1]) - np.outer(vt[-1], vt[-1])
        best = max(best, cosine_similarity(a @ p, d @ p))
    return best


def generator_rmse(learned, true) -> float:
    """sqrt(mean_ij (G - G_ideal)²) over all N² entries, G_ideal the better direction.

    The authors' code never computes an RMSE; this is the natural definition.
    """
    a, _ = _pair(learned, true)
    return float(np.sqrt(np.mean((a - best_direction(learned, true)) ** 2)))


def shift_matrix(N: int, shift: int) -> np.ndarray:
    """The non-circular shift S_k (N, N): (S_k)_{n, m} = 1 if m = n + k, else 0.

    (S_k v)_n = v_{n+k} where 0 <= n + k < N, and 0 elsewhere (|k| rows are zero).
    """
    S = np.zeros((N, N))
    n = np.arange(max(0, -shift), min(N, N - shift))
    S[n, n + shift] = 1.0
    return S


def _shifts(N: int, max_shift: int | None) -> list[int]:
    """0, -1, +1, -2, +2, ... up to ``max_shift`` (all N - 1 by default): ties go to the
    smallest |shift|."""
    m = N - 1 if max_shift is None else min(int(max_shift), N - 1)
    if m < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")
    return [0] + [k for a in range(1, m + 1) for k in (-a, a)]


def group_convolution_alignment(K, transform, max_shift: int | None = None) -> dict:
    """The candidate ±S_k Qᵀ or ±S_k R Qᵀ closest in cosine to K (see the module docstring).

    Returns ``{"sign": ±1.0, "reflected": bool, "shift": k, "cosine": cos(K, candidate),
    "ideal": the candidate (N, N)}``.  With x = Q s, the candidate's representation is
    y_n = sign · t_{n+k}, t = s (or s reversed when ``reflected``).  ``max_shift=0`` allows
    sign and reflection only.  Ties are resolved towards the smallest |k|, then no
    reflection, then sign +1.
    """
    K, Q = _pair(K, transform)
    N = Q.shape[0]
    R = np.flipud(np.eye(N))
    nK = np.linalg.norm(K)
    best = None
    for k in _shifts(N, max_shift):
        Sk = shift_matrix(N, k)
        for reflected in (False, True):
            C = Sk @ (R @ Q.T if reflected else Q.T)
            nC = np.linalg.norm(C)
            c = float((K * C).sum() / (nK * nC)) if nK > 0 and nC > 0 else 0.0
            # the sign that makes the cosine positive; +1 on a tie
            sign = -1.0 if c < 0 else 1.0
            if best is None or abs(c) > best["cosine"] + 1e-12:
                best = {"sign": sign, "reflected": reflected, "shift": int(k), "cosine": abs(c), "ideal": sign * C}
    return best


def ideal_group_convolution(K, transform, max_shift: int | None = None) -> np.ndarray:
    """Among ±S_k Qᵀ and ±S_k R Qᵀ (R the index reversal, S_k the non-circular shift by
    k, |k| <= ``max_shift``), the candidate closest to K.

    With x = Q s and a perfectly learned symmetry, y = K x equals ±s or ±(reversed s),
    possibly moved by k pixels, so K Q ∈ {±S_k, ±S_k R}.  (R here is R[i, N-1-i] = 1.)
    ``max_shift=0`` gives the four unshifted candidates ±Qᵀ, ±R Qᵀ.
    """
    return group_convolution_alignment(K, transform, max_shift)["ideal"]


def group_convolution_cosine_similarity(K, transform, max_shift: int | None = None) -> float:
    """cos(K, ideal) with the ideal from :func:`ideal_group_convolution` (shift allowed;
    ``max_shift=0`` for sign and reflection only)."""
    return group_convolution_alignment(K, transform, max_shift)["cosine"]


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


def signal_recovery(Y, S, max_shift: int | None = None) -> dict:
    """How well the representation Y recovers the hidden signal S up to sign, reflection
    and a shift of the output index (App. E).  Y, S: (B, N).

    Each candidate T_k (±S or ±S reversed, moved by k columns, T_k[:, n] = T[:, n+k], with
    zero columns where n + k falls outside 0..N-1) is compared with Y by the cosine of the
    column-centred matrices (the Pearson correlation over all entries, with each component's
    mean removed); the zero columns of a shifted candidate count against it.  Returns the
    best candidate: ``{"correlation": that cosine (>= 0), "reflected": bool, "sign": ±1,
    "shift": k, "per_component": (N,) Pearson of Y[:, n] with T[:, n+k] times the sign,
    NaN where n + k is outside the signal}``.  ``max_shift=0`` allows sign and reflection
    only.  Ties go to the smallest |k|, then no reflection.
    """
    Y, S = np.asarray(Y, np.float64), np.asarray(S, np.float64)
    if Y.shape != S.shape or Y.ndim != 2:
        raise ValueError(f"Y and S must be equal-shape (B, N) arrays, got {Y.shape}, {S.shape}")
    N = Y.shape[1]
    yc = Y - Y.mean(0)
    ny = np.linalg.norm(yc)
    best = None
    for k in _shifts(N, max_shift):
        n = np.arange(max(0, -k), min(N, N - k))  # output indices whose partner n + k exists
        for reflected in (False, True):
            T = S[:, ::-1] if reflected else S
            tc = T[:, n + k] - T[:, n + k].mean(0)
            nt = np.linalg.norm(tc)
            r = float((yc[:, n] * tc).sum() / (ny * nt)) if ny > 0 and nt > 0 else 0.0
            if best is None or abs(r) > abs(best["r"]) + 1e-12:
                best = {"r": r, "reflected": reflected, "shift": int(k), "n": n, "tc": tc}
    sign = -1.0 if best["r"] < 0 else 1.0
    n, tc = best["n"], best["tc"]
    per = np.full(N, np.nan)
    per[n] = sign * (yc[:, n] * tc).sum(0) / (np.linalg.norm(yc[:, n], axis=0) * np.linalg.norm(tc, axis=0) + 1e-12)
    return {
        "correlation": abs(best["r"]),
        "reflected": best["reflected"],
        "sign": sign,
        "shift": best["shift"],
        "per_component": per,
    }
