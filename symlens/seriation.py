"""Chain seriation: put the pixels a generator's chain visits back in the data's order.

A symlens option (``LensConfig.seriate_tau``), not part of the paper.  Read in the hidden
basis, a fit that froze domain walls still has a lift that visits every pixel of the window
once: the rows of the lift, crop(G^k ψ̂) for k = -(N-1)/2 ... (N-1)/2, are close to
orthonormal pixels, but in an order made of runs of neighbouring pixels joined by jumps and
reversals (e.g. 26, 25, ..., 0, 28, 29, ..., 32 on a saved N = 33 fit).  The chain is a
travelling-salesman path through the pixels that stopped at a local optimum: undoing a
reversed run is a 2-opt move, which no small step of G can make.

The data say which order is right without the hidden basis: neighbouring pixels carry the
most information about each other (with the true pixels, no path scores higher by the
Gaussian mutual information of neighbours than the true order, on the data of all 18 saved
N = 33 fits of the defaults: results/cpu/seriation/offline.md).  So at chosen training times,
:func:`seriate`

1. orthonormalises the lift's rows (their polar factor U, one pixel estimate per power; the
   lift covers the window when the filter sits near the middle of its chain, as it does in
   the saved fits),
2. scores every pair of them by the Gaussian mutual information -½ log(1 - ρ²) of their
   components on training data (:func:`neighbour_information`),
3. improves the visiting order from the current one by 2-opt and or-opt moves
   (:func:`best_path`), and
4. replaces G by the orthogonal chain that moves each pixel estimate to the next in the
   new order, closed into one cycle through the padding (:func:`chain_generator`), with
   A = log G in closed form (:func:`cycle_log`), and moves the filter to the middle of the
   new chain (:func:`symlens.recentre.recentre_filter`).

Everything is computed from G, ψ and the data: no hidden basis, no true generator.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .generator import crop
from .group_conv import group_convolution_matrix
from .metrics import cosine_similarity
from .recentre import recentre_filter

__all__ = [
    "lift_rows",
    "pixel_estimates",
    "neighbour_information",
    "path_score",
    "best_path",
    "cycle_log",
    "chain_generator",
    "seriate",
    "snap",
    "snap_end",
    "snap_model",
]


def lift_rows(G_big, psi, padding: int) -> np.ndarray:
    """The lift's rows crop(G^k ψ̂), k = -(N-1)/2 ... (N-1)/2 (eq. 5 with the clean filter).

    G_big: (M, M) padded generator, M = N + 2P; psi: (N,) filter, not zero.
    Returns (N, N) float64, row i for power k = i - (N-1)/2.
    """
    G = np.asarray(G_big, np.float64)
    psi = np.asarray(psi, np.float64)
    N, M = psi.size, G.shape[0]
    if G.shape != (M, M) or M != N + 2 * padding:
        raise ValueError(f"G_big must be ({N + 2 * padding}, {N + 2 * padding}) for N = {N}, "
                         f"padding = {padding}; got {G.shape}")
    norm = np.linalg.norm(psi)
    if not norm > 0:
        raise ValueError("the filter is zero: it has no lift")
    # K's row for power p is (Gᵀ)^p ψ̂ = G^{-p} ψ̂ (eq. 5), so its rows run the other way
    K = group_convolution_matrix(torch.from_numpy(G), torch.from_numpy(psi / norm), padding)
    return K.numpy()[::-1].copy()


def pixel_estimates(rows) -> np.ndarray:
    """The orthonormal matrix nearest to the lift rows (their polar factor), (N, N).

    A delta filter under the exact shift gives orthonormal rows already; a wider filter gives
    rows that overlap their neighbours, and the polar factor deconvolves them to pixels.
    """
    u, _, vt = np.linalg.svd(np.asarray(rows, np.float64))
    return u @ vt


def neighbour_information(Y, constant: str = "raise") -> np.ndarray:
    """Gaussian mutual information -½ log(1 - ρ²) between every pair of columns of Y.

    Y: (n, N) samples of N components.  Returns (N, N) float64 with a zero diagonal
    (ρ² is capped at 1 - 1e-9 so a duplicated column scores high but finite).
    constant: what a constant column gets: ``"raise"`` a ValueError, ``"zero"`` no
    information with anything (it says nothing about its neighbours).
    """
    if constant not in ("raise", "zero"):
        raise ValueError(f"constant must be 'raise' or 'zero', got {constant!r}")
    Y = np.asarray(Y, np.float64)
    if Y.ndim != 2 or Y.shape[0] < 3:
        raise ValueError(f"Y must be (n, N) with n >= 3 samples, got shape {Y.shape}")
    sd = Y.std(axis=0)
    flat = ~(sd > 1e-12 * max(float(sd.max()), 1e-300))
    if flat.any() and constant == "raise":
        raise ValueError(f"components {np.flatnonzero(flat).tolist()} are constant: no correlation")
    live = np.flatnonzero(~flat)
    rho = np.zeros((Y.shape[1], Y.shape[1]))
    if live.size:
        rho[np.ix_(live, live)] = np.corrcoef(Y[:, live], rowvar=False).reshape(len(live), len(live))
    W = -0.5 * np.log1p(-np.minimum(rho**2, 1.0 - 1e-9))
    np.fill_diagonal(W, 0.0)
    return W


def path_score(W, order) -> float:
    """Σ W[a, b] over consecutive entries (a, b) of ``order``: how much neighbours share."""
    order = list(order)
    W = np.asarray(W)
    return float(sum(W[a, b] for a, b in zip(order[:-1], order[1:])))


def best_path(W, order=None, max_rounds: int = 200) -> list[int]:
    """A visiting order of the N nodes that locally maximises :func:`path_score`.

    Starts from ``order`` (default 0, 1, ..., N-1) and applies improving moves until none
    is left (or ``max_rounds`` sweeps): 2-opt (reverse a run: undoes a domain wall) and
    or-opt (move a run of 1-3 nodes elsewhere, either way round: undoes a jump).  An open
    path, so the two ends cost nothing.  Returns a permutation of range(N) as a list.
    """
    W = np.asarray(W, np.float64)
    n = W.shape[0]
    if W.shape != (n, n):
        raise ValueError(f"W must be square, got shape {W.shape}")
    t = list(range(n)) if order is None else [int(i) for i in order]
    if sorted(t) != list(range(n)):
        raise ValueError(f"order must be a permutation of range({n})")

    def w(a, b):  # weight of an edge between positions, 0 beyond the ends
        return W[t[a], t[b]] if 0 <= a < n and 0 <= b < n else 0.0

    for _ in range(max_rounds):
        improved = False
        for i in range(n - 1):  # 2-opt: reverse t[i..j]
            for j in range(i + 1, n):
                if w(i - 1, j) + w(i, j + 1) > w(i - 1, i) + w(j, j + 1) + 1e-12:
                    t[i : j + 1] = t[i : j + 1][::-1]
                    improved = True
        for length in (1, 2, 3):  # or-opt: move t[i..i+length-1]
            i = 0
            while i + length <= n:
                seg, rest = t[i : i + length], t[:i] + t[i + length :]
                gain_out = (w(i - 1, i) + w(i + length - 1, i + length)
                            - (W[t[i - 1], t[i + length]] if 0 < i and i + length < n else 0.0))
                best, where = 1e-12, None
                for j in range(len(rest) + 1):
                    left = W[rest[j - 1]] if j > 0 else None
                    right = W[rest[j]] if j < len(rest) else None
                    inner = W[rest[j - 1], rest[j]] if 0 < j < len(rest) else 0.0
                    for s in (seg, seg[::-1]):
                        add = ((left[s[0]] if left is not None else 0.0)
                               + (right[s[-1]] if right is not None else 0.0) - inner)
                        if add - gain_out > best:
                            best, where = add - gain_out, (j, s)
                if where is not None:
                    j, s = where
                    t = rest[:j] + list(s) + rest[j:]
                    improved = True
                i += 1
        if not improved:
            break
    return t


def cycle_log(M: int) -> np.ndarray:
    """The real skew-symmetric principal logarithm L of the cyclic shift C e_c = e_{c+1 mod M}.

    C = Σ_k ω^{-k} f_k f_kᴴ with f_k[a] = e^{2πika/M}/√M, so L[a, b] = (2/M) Σ_{k=1}^{(M-1)/2}
    θ_k sin(θ_k (a - b)), θ_k = 2πk/M.  Needs an odd M (no eigenvalue at -1).  (M, M).
    """
    if M < 1 or M % 2 == 0:
        raise ValueError(f"the cycle's real logarithm needs an odd size, got {M}")
    theta = 2.0 * math.pi * np.arange(1, (M - 1) // 2 + 1) / M
    d = np.arange(M)[:, None] - np.arange(M)[None, :]
    return (2.0 / M) * (theta[None, None, :] * np.sin(theta[None, None, :] * d[..., None])).sum(-1)


def chain_generator(U, padding: int) -> tuple[np.ndarray, np.ndarray]:
    """The orthogonal padded generator whose chain visits the rows of U in order.

    U: (N, N) orthonormal rows u_0 ... u_{N-1} in the window's coordinates.  The chain of the
    M = N + 2P orthonormal vectors (the P left padding axes, u_0 ... u_{N-1}, the P right
    padding axes) is closed into one cycle, G = B C Bᵀ with B those vectors as columns and C
    the cyclic shift, so G u_k = u_{k+1} for k < N - 1 and the ends leave through the padding.
    M is odd, so the cycle has a real logarithm: A = B L Bᵀ (:func:`cycle_log`), skew, with
    exp(A) = G.  Returns (G, A), each (M, M) float64.
    """
    U = np.asarray(U, np.float64)
    N = U.shape[0]
    if U.shape != (N, N) or not np.allclose(U @ U.T, np.eye(N), atol=1e-8):
        raise ValueError("U must be an (N, N) matrix with orthonormal rows")
    M = N + 2 * padding
    B = np.eye(M)
    B[padding : padding + N, padding : padding + N] = U.T
    C = np.roll(np.eye(M), 1, axis=0)
    A = B @ cycle_log(M) @ B.T
    return B @ C @ B.T, 0.5 * (A - A.T)


#: the least relative gain in path score for which :func:`seriate` replaces the chain.  On
#: trained N = 21 fits a new order that scored 0.1 % above the old one undid a converged
#: chain (a near-tie between smeared pixels), while orders that undid walls scored 2-5 % higher
MIN_GAIN = 0.01


def seriate(G_big, psi, X, padding: int, min_gain: float = MIN_GAIN, max_gain: float | None = None) -> dict:
    """One seriation of a generator's chain (module docstring, steps 1-4).

    G_big: (M, M) padded generator; psi: (N,) filter; X: (n, N) data in the observed basis.
    The chain is replaced only if the best order scores at least ``min_gain`` and (unless
    None) at most ``max_gain`` (relative) above the current one.  Returns ``{"order": list,
    "changed": whether the chain is replaced, "score_before", "score_after"}`` (path scores
    of :func:`path_score`, nats), plus ``"G"`` (M, M) and ``"A"`` (M, M) skew with
    exp(A) = G when it is replaced.
    """
    U = pixel_estimates(lift_rows(G_big, psi, padding))
    out = _best_order(U, X)
    before, after = out["score_before"], out["score_after"]
    within = max_gain is None or after <= (1.0 + max_gain) * before
    out["changed"] = after > (1.0 + min_gain) * before and within
    if out["changed"]:
        out["G"], out["A"] = chain_generator(U[out["order"]], padding)
    return out


def _best_order(U, X) -> dict:
    """The visiting order of the pixel estimates U (N, N) that :func:`best_path` reaches from
    the current one on data X (n, N), with the path scores before and after."""
    # a component the data never move (a dead pixel) has no neighbours to find; a fit must not stop
    W = neighbour_information(np.asarray(X, np.float64) @ U.T, constant="zero")
    order = best_path(W)
    return {"order": order, "score_before": path_score(W, range(len(order))), "score_after": path_score(W, order)}


def snap(G_big, psi, padding: int, X=None) -> dict:
    """The exact chain through a fit's own pixel estimates: G replaced by the orthogonal
    chain that moves each row of the lift's polar factor to the next (module docstring,
    steps 1 and 4), with no gain bar.

    A complete chain that is not sharp (each column of G spread over neighbours) keeps its
    order and loses the blur: for a blur that commutes with the shift, the polar factor of
    the lift's rows removes it exactly.  With data X (n, N) the chain goes through the best
    order :func:`best_path` reaches from the current one (steps 2-3) instead.

    G_big: (M, M) padded generator; psi: (N,) filter.  Returns ``{"G": (M, M), "A": (M, M)
    skew with exp(A) = G, "order": list}``, plus ``"score_before"`` and ``"score_after"``
    (path scores, nats) when X is given.
    """
    U = pixel_estimates(lift_rows(G_big, psi, padding))
    out = {"order": list(range(U.shape[0]))} if X is None else _best_order(U, X)
    out["G"], out["A"] = chain_generator(U[out["order"]], padding)
    return out


def snap_end(G_big, psi, padding: int, min_agreement: float) -> dict:
    """The end-of-fit snap (``LensConfig.snap_end``): :func:`snap` in the current order, kept
    when the trained and snapped window blocks agree to at least ``min_agreement`` in cosine.

    G_big: (M, M) padded generator; psi: (N,) filter.  Returns ``{"agreement": float,
    "changed": bool, "G": (M, M), "A": (M, M)}``: the snapped chain when changed, else G_big
    and its logarithm left out (``"A"`` is None).
    """
    if not 0.0 < min_agreement <= 1.0:
        raise ValueError(f"min_agreement must be a cosine in (0, 1], got {min_agreement!r}")
    G_big = np.asarray(G_big, np.float64)
    out = snap(G_big, psi, padding)
    agreement = cosine_similarity(crop(G_big, padding), crop(out["G"], padding))
    if agreement >= min_agreement:
        return {"agreement": agreement, "changed": True, "G": out["G"], "A": out["A"]}
    return {"agreement": agreement, "changed": False, "G": G_big, "A": None}


@torch.no_grad()
def snap_model(model, min_agreement: float) -> dict:
    """Snap a finished :class:`~symlens.group_conv.GroupConvolution` in place with
    :func:`snap_end`; the filter is kept.  Returns ``{"agreement", "changed"}``."""
    gen = model.generator
    out = snap_end(gen.big().detach().cpu().numpy(), model.filter.psi.detach().cpu().numpy(),
                   gen.padding, min_agreement)
    if out["changed"]:
        gen.A.copy_(torch.as_tensor(out["A"], dtype=gen.A.dtype, device=gen.A.device))
    return {"agreement": out["agreement"], "changed": out["changed"]}


@torch.no_grad()
def seriate_model(model, X, optimizer=None, max_gain: float | None = None) -> dict:
    """Seriate a :class:`~symlens.group_conv.GroupConvolution` in place (when the order
    gains enough, :func:`seriate`; otherwise nothing changes).

    Sets the generator's parameter to the new chain's logarithm, moves the filter to the
    middle of the new chain (:func:`~symlens.recentre.recentre_filter`), and clears Adam's
    first moment of both (their old directions belong to the old chain; the second moments
    keep the step sizes).  X: (n, N) tensor or array of training data; ``max_gain`` as in
    :func:`seriate`.  Returns the record of :func:`seriate` without the matrices, plus the
    filter's shift ``"filter_moved"``.
    """
    gen, psi = model.generator, model.filter.psi
    X = X.detach().cpu().numpy() if torch.is_tensor(X) else np.asarray(X)
    out = seriate(gen.big().cpu().numpy(), psi.detach().cpu().numpy(), X, gen.padding, max_gain=max_gain)
    if not out["changed"]:
        out["filter_moved"] = 0
        return out
    gen.A.copy_(torch.as_tensor(out.pop("A"), dtype=gen.A.dtype, device=gen.A.device))
    big = torch.as_tensor(out.pop("G"), dtype=torch.float64, device=gen.A.device)
    for p in (gen.A, psi):
        state = optimizer.state.get(p, {}) if optimizer is not None else {}
        if "exp_avg" in state:
            state["exp_avg"].zero_()
    out["filter_moved"] = recentre_filter(psi, big, gen.padding, optimizer)[0]
    return out
