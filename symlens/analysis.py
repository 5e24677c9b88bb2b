"""Analysis of learned symmetries beyond the headline metrics: the checks of the paper's
appendices (spec §1.12) and the per-run evidence the claims ledger uses.

Everything here is NumPy on saved arrays (no training), so the notebooks can apply it to a
run that was just trained or to one read back from ``results/``.

Hidden basis.  Data are ``x = Q s`` with ``s`` the hidden local signal, so a learned
generator ``G`` and filter ``ψ`` read in the hidden basis are ``Qᵀ G Q`` and ``Qᵀ ψ``: the
pixel shift ``T`` and a spike for a perfect fit, whatever ``Q`` is (identity, permutation or
DST).  This makes one set of checks serve all six datasets.
"""

from __future__ import annotations

import numpy as np

from .data import shift_matrix
from .metrics import best_direction, cosine_similarity

__all__ = [
    "steps_needed",
    "hidden_basis",
    "shift_power_similarities",
    "edge_error_fraction",
    "edge_uniform_fraction",
    "filter_peak_fraction",
    "standardized",
    "representation",
    "uncropped_lift",
    "lifting_equivariance_residual",
    "matrix_equivariance_error",
    "padding_embedding",
    "neighbour_correlations",
    "gaussian_mutual_information",
    "gaussian_entropy",
    "random_orthogonal",
    "run_evidence",
    "fit_estimators",
    "conjugation_similarity",
    "defect_census",
    "smeared_defects",
    "row_positions",
    "chain_speed",
    "lift_orthogonality_defect",
    "padding_diagonal",
    "cyclic_ceiling",
    "convergence_threshold",
    "unseen_defects",
]


def hidden_basis(M, Q) -> np.ndarray:
    """Qᵀ M Q: an (N, N) operator on the observed space read in the hidden basis."""
    M, Q = np.asarray(M, np.float64), np.asarray(Q, np.float64)
    return Q.T @ M @ Q


def shift_power_similarities(G, Q, max_power: int = 4) -> dict:
    """Is the learned generator the minimal one or a power of it?

    Cosine of Qᵀ G Q against T^k and (T^k)ᵀ, k = 1..max_power (non-circulant shifts).
    Returns ``{"cosines": [best cosine for k = 1..max_power], "best_power": k}``.
    """
    H = hidden_basis(G, Q)
    T = shift_matrix(H.shape[0])
    cos = []
    Tk = np.eye(H.shape[0])
    for _ in range(max_power):
        Tk = Tk @ T
        cos.append(max(cosine_similarity(H, Tk), cosine_similarity(H, Tk.T)))
    return {"cosines": cos, "best_power": int(np.argmax(cos)) + 1}


def edge_error_fraction(G, G_true, Q, margin: int = 3) -> float:
    """Share of the squared error of G (against the better direction of G_true) that lies
    in the first or last ``margin`` rows or columns of the hidden basis.

    The paper says most of the residual error sits at the window's edges.  An error spread
    evenly over the matrix would give 1 - ((N - 2 margin) / N)² (0.33 for N = 33, margin 3).
    Returns NaN for an exact fit.
    """
    E = hidden_basis(np.asarray(G, np.float64) - best_direction(G, G_true), Q)
    N = E.shape[0]
    mask = np.zeros((N, N), dtype=bool)
    mask[:margin, :] = mask[-margin:, :] = mask[:, :margin] = mask[:, -margin:] = True
    total = float(np.square(E).sum())
    return float(np.square(E[mask]).sum() / total) if total > 0 else float("nan")


def edge_uniform_fraction(N: int, margin: int = 3) -> float:
    """The edge share an error spread evenly over an N x N matrix would have."""
    return 1.0 - ((N - 2 * margin) / N) ** 2


def defect_census(G, Q, threshold: float = 0.5, end: int = 3) -> dict:
    """Read a learned generator as a chain of pixel moves in the hidden basis and count its
    defects: the picture behind "domain walls" in the convergence study.

    H = Qᵀ G Q (N, N).  The true generator T moves pixel j to j + 1 (T e_j = e_{j+1}), or to
    j - 1 for the equally valid inverse.  For each source pixel (column) j the link is the
    largest |H[r, j]|: ``+`` if r = j + 1, ``-`` if r = j - 1, ``o`` (fixed point) if r = j,
    ``x`` (jump) if |r - j| > 1, and ``.`` (weak) if that largest entry is below
    ``threshold`` (the edge pixel that leaves the window, or a smeared column).

    Returns a dict of plain values:
    ``chain`` (str of N symbols), ``forward``, ``backward``, ``fixed``, ``jumps``, ``weak``
    (counts), ``majority`` (+1 or -1, the dominant direction), ``minority`` (links in the
    other direction), ``walls`` (direction changes between consecutive ± links, skipping
    other symbols), ``negative_links`` (± links whose entry is negative: a sign flip),
    ``identity_weight`` (mean of diag H: 1 at G = I, 0 at the shift), ``exit_weight`` and
    ``entrance_weight`` (mean of diag H over the ``end`` pixels where the majority direction
    leaves the window, and where it enters: the last and first pixels for ``+`` chains), and
    ``defects`` (walls + jumps + fixed + weak beyond the one edge pixel a perfect chain has).
    """
    H = hidden_basis(G, Q)
    N = H.shape[0]
    rows = np.abs(H).argmax(axis=0)
    peak = np.abs(H)[rows, np.arange(N)]
    chain, signs = [], []
    for j in range(N):
        d = int(rows[j]) - j
        if peak[j] < threshold:
            chain.append(".")
        elif d == 1:
            chain.append("+")
        elif d == -1:
            chain.append("-")
        elif d == 0:
            chain.append("o")
        else:
            chain.append("x")
        if chain[-1] in "+-":
            signs.append(chain[-1])
    counts = {sym: chain.count(sym) for sym in "+-ox."}
    walls = sum(a != b for a, b in zip(signs, signs[1:]))
    negative = sum(1 for j in range(N) if chain[j] in "+-" and H[rows[j], j] < 0)
    majority = 1 if counts["+"] >= counts["-"] else -1
    diag = np.diag(H) if majority == 1 else np.diag(H)[::-1]  # entrance first
    return {
        "chain": "".join(chain),
        "forward": counts["+"],
        "backward": counts["-"],
        "fixed": counts["o"],
        "jumps": counts["x"],
        "weak": counts["."],
        "majority": majority,
        "minority": min(counts["+"], counts["-"]),
        "walls": int(walls),
        "negative_links": int(negative),
        "identity_weight": float(np.trace(H) / N),
        "exit_weight": float(diag[-end:].mean()),
        "entrance_weight": float(diag[:end].mean()),
        "defects": int(walls + counts["x"] + counts["o"] + max(counts["."] - 1, 0)),
    }


def smeared_defects(G, Q, sharp: float = 0.9, exit_norm: float = 0.5) -> dict:
    """Defects that :func:`defect_census` reads as links but that spread one pixel's move
    over several: runs of consecutive *blurred* pixels of a learned generator.

    H = Qᵀ G Q (N, N), G the cropped generator.  Column j (where G sends pixel j) is blurred
    when its largest |entry| is below ``sharp`` times the column's norm; columns of norm below
    ``exit_norm`` (the chain's exit into the padding, which the crop cuts off) are left out
    and end a run.  The true shift has no blurred column; a wall that one link carries has
    at most one; a move mixed over w neighbouring pixels gives a run of width about w.

    Returns ``blurred`` (count), ``widths`` (run lengths, in pixel order), ``widest`` (0 if
    none) and ``sharpness`` (N floats: largest |entry| / norm, NaN for exit columns).
    """
    H = hidden_basis(G, Q)
    norms = np.linalg.norm(H, axis=0)
    peak = np.abs(H).max(axis=0)
    exit_ = norms < exit_norm
    ratio = np.where(exit_, np.nan, peak / np.where(exit_, 1.0, norms))
    blurred = ~exit_ & (ratio < sharp)
    widths, run = [], 0
    for b in blurred:
        if b:
            run += 1
        elif run:
            widths.append(run)
            run = 0
    if run:
        widths.append(run)
    return {"blurred": int(blurred.sum()), "widths": widths, "widest": max(widths, default=0),
            "sharpness": [float(r) for r in ratio]}


def orientation_field(G, Q) -> np.ndarray:
    """Local direction of the learned shift between adjacent hidden pixels, (N - 1,) float64.

    H = Qᵀ G Q (N, N); entry j is o_j = H[j+1, j] - H[j, j+1]: +1 for the shift T (pixel j
    moves to j + 1), -1 for its inverse, and 2 A[j+1, j] to first order while G = exp(A) is
    still near the identity, so a pair has a direction from the first step of training on.
    Sign changes of o along the chain are the domain walls of :func:`defect_census`, visible
    before the links are strong enough to be counted there.
    """
    H = hidden_basis(G, Q)
    return np.diagonal(H, -1) - np.diagonal(H, 1)


def orientation_walls(o, min_strength: float = 0.2) -> int:
    """Domain walls of an orientation field o (N - 1,): sign changes between consecutive
    pairs whose |o| is at least ``min_strength`` (weaker pairs are not yet oriented and are
    skipped)."""
    o = np.asarray(o, dtype=np.float64)
    signs = np.sign(o[np.abs(o) >= min_strength])
    return int(np.count_nonzero(signs[1:] != signs[:-1]))


def oriented_far_from(o, centre: int, near: int, min_strength: float = 0.2) -> dict:
    """Where the chain has oriented, seen from the filter's peak pixel ``centre``.

    o: (N-1,) orientation field (:func:`orientation_field`); pair j joins pixels j and j+1
    and lies min(|j - c|, |j + 1 - c|) pixels from c.  Returns ``{"oriented": pairs with
    |o_j| >= min_strength, "far": those more than ``near`` pixels from c, "far_pairs": all
    pairs more than ``near`` from c, oriented or not}`` (what "far" would be if the pairs
    oriented without regard to the filter).
    """
    o = np.asarray(o, np.float64)
    j = np.arange(o.size)
    dist = np.minimum(np.abs(j - centre), np.abs(j + 1 - centre))
    on = np.abs(o) >= min_strength
    return {"oriented": int(on.sum()), "far": int((on & (dist > near)).sum()), "far_pairs": int((dist > near).sum())}


def cyclic_ceiling(N: int) -> float:
    """The cosine similarity, against the non-circulant shift, of a chain closed into a cycle
    inside the window (the last pixel moved to the first): sqrt((N - 1) / N).

    With a delta filter the loss cannot tell that cycle from the true shift (the filter's
    powers never pass the last pixel), so converged fits often end there (mechanism 6 of the
    convergence page): 0.926 at N = 7, 0.966 at N = 15, 0.985 at N = 33.
    """
    if int(N) != N or N < 2:
        raise ValueError(f"N must be an integer >= 2, got {N!r}")
    return float(np.sqrt((N - 1) / N))


def convergence_threshold(N: int, target: float = 0.95, margin: float = 0.01) -> float:
    """The cosine a fit must reach to count as converged in the convergence study: the
    target, or just under the cyclic ceiling where the target lies above it (N <= 9)."""
    return min(target, cyclic_ceiling(N) - margin)


def steps_needed(fits, need: int = 3) -> dict[int, int | None]:
    """For each N, the fewest steps at which at least ``need`` fits reached
    :func:`convergence_threshold` (None where no schedule run did).

    fits: records with ``dim``, ``steps`` and final ``cos`` (a lab study's runs.jsonl lines).
    """
    fits = list(fits)
    out = {}
    for n in sorted({f["dim"] for f in fits}):
        ok = [st for st in sorted({f["steps"] for f in fits if f["dim"] == n})
              if sum(f["cos"] >= convergence_threshold(n) for f in fits if f["dim"] == n and f["steps"] == st) >= need]
        out[n] = ok[0] if ok else None
    return out


def padding_diagonal(G_big, padding: int) -> float:
    """Mean diagonal of the padding block of the big generator G_big (M, M), M = N + 2P.

    A chain that continues through the padding has diagonal 0 there, an untouched padding 1;
    the fits of the convergence study drive it towards -1 (mechanism 6).  NaN when P = 0.
    """
    G_big = np.asarray(G_big, np.float64)
    M = G_big.shape[0]
    if padding < 0 or 2 * padding >= M:
        raise ValueError(f"padding {padding} does not fit a {M} x {M} generator")
    if padding == 0:
        return float("nan")
    d = np.diag(G_big)
    return float(np.r_[d[:padding], d[M - padding:]].mean())


def filter_peak_fraction(psi, Q) -> dict:
    """How much of the filter's energy sits in one hidden-basis entry.

    A "delta along the symmetry" (paper §4) is a spike in the hidden basis: one pixel for
    translations, one DST basis vector, i.e. a pure sinusoid, for frequency shifts.
    Returns ``{"peak_fraction": max_i (Qᵀψ)_i² / ‖ψ‖², "peak_index": argmax}``.
    """
    h = np.asarray(Q, np.float64).T @ np.asarray(psi, np.float64)
    e = np.square(h)
    return {"peak_fraction": float(e.max() / e.sum()), "peak_index": int(e.argmax())}


def unseen_defects(G, psi, Q) -> dict:
    """Which of the chain's defects the loss can see.

    The lift of eq. 5 transports the filter by the powers -(N-1)/2 .. (N-1)/2 only, so with a
    filter peaked at hidden pixel c the loss depends on G only along pixels
    c - (N-1)/2 .. c + (N-1)/2 of the window; off centre, the rest of the window is never
    visited and defects there get no gradient (convergence page, "what the loss sees").
    Defects are the census's symbols other than the majority direction.

    Returns ``{"filter_peak", "visited": (lo, hi), "defects": [pixels], "unseen": [pixels]}``.
    """
    N = np.asarray(Q).shape[0]
    c = filter_peak_fraction(psi, Q)["peak_index"]
    h = (N - 1) // 2
    lo, hi = max(0, c - h), min(N - 1, c + h)
    census = defect_census(G, Q)
    major = "+" if census["majority"] == 1 else "-"
    defects = [j for j, sym in enumerate(census["chain"]) if sym != major]
    return {"filter_peak": c, "visited": (lo, hi), "defects": defects,
            "unseen": [j for j in defects if not lo <= j <= hi]}


def row_positions(rows, Q) -> np.ndarray:
    """Where each row of a lift sits in the hidden basis: the centroid Σ_j j h_j² / Σ_j h_j²
    of h = Qᵀ r, in pixels (0 ... N-1).  rows: (R, N); returns (R,) float64 (NaN for a zero
    row).  A row that is a mixture of pixels j and j + 1 with weights cos θ, sin θ sits at
    j + sin²θ."""
    h2 = np.square(np.asarray(rows, np.float64) @ np.asarray(Q, np.float64))
    total = h2.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, h2 @ np.arange(h2.shape[1]) / total, np.nan)


def chain_speed(G_big, psi, Q, padding: int, slow: float = 0.75, fast: float = 1.25) -> dict:
    """How far each power of G moves the filter, in hidden pixels: the chain's speed along
    the window.

    The lift's rows crop(G^k ψ̂), k = -(N-1)/2 ... (N-1)/2 (eq. 5), sit at
    :func:`row_positions` p_k; a perfect fit (the shift with a delta filter) moves one pixel
    per power, p_{k+1} - p_k = ±1.  A fit can have every link of the census in one direction
    and still move unevenly: over a *stretch* a power moves the filter less than a pixel (G
    sends pixel j to a mixture of j + 1 and j + 2), and the chain catches up elsewhere
    (convergence page, "snapping the final chain").

    G_big: (M, M) padded generator, M = N + 2P; psi: (N,) filter; Q: (N, N) transform.
    Returns ``{"positions": (N,) list, "steps": (N-1,) list of d (p_{k+1} - p_k) with d = ±1
    the majority direction, "direction": d, "slow": steps in (0, slow), "fast": steps above
    fast, "back": steps <= 0 (walls and fixed points), "spread": standard deviation of the
    forward steps}``.  Rows that leave the window (zero) are skipped.
    """
    from .seriation import lift_rows

    p = row_positions(lift_rows(G_big, psi, padding), Q)
    p = p[np.isfinite(p)]
    v = np.diff(p)
    d = 1 if (v > 0).sum() >= (v < 0).sum() else -1
    v = d * v
    forward = v[v > 0]
    return {"positions": p.tolist(), "steps": v.tolist(), "direction": d,
            "slow": int(((v > 0) & (v < slow)).sum()), "fast": int((v > fast).sum()),
            "back": int((v <= 0).sum()), "spread": float(forward.std()) if forward.size else float("nan")}


def lift_orthogonality_defect(G_big, psi, padding: int) -> float:
    """‖K Kᵀ − I‖_F / √N for the lift K = [crop(G^k ψ̂)], k = -(N-1)/2 ... (N-1)/2 (eq. 5):
    how far the lift is from an orthogonal matrix.  0 for the exact shift with a delta
    filter at the middle of the window; a wider filter makes neighbouring rows overlap, and
    rows the chain carries out of the window lose norm.  Needs neither the hidden basis nor
    data.  G_big: (M, M), M = N + 2P; psi: (N,), any nonzero norm."""
    from .seriation import lift_rows

    K = lift_rows(G_big, psi, padding)
    N = K.shape[0]
    return float(np.linalg.norm(K @ K.T - np.eye(N)) / np.sqrt(N))


def standardized(X, centring: str = "scalar") -> np.ndarray:
    """(X - m) / s as the model's layer does for each batch (spec §1.2): m one scalar mean
    over all entries (``"scalar"``, the authors') or each component's mean
    (``"component"``), s the root-mean-square of X - m."""
    X = np.asarray(X, np.float64)
    Xc = X - (X.mean() if centring == "scalar" else X.mean(0))
    return Xc / np.sqrt(np.mean(Xc**2))


def representation(K, X, centring: str = "scalar") -> np.ndarray:
    """y = K x̃ for every row of X (n, N), x̃ standardised as the layer does.  (n, N).
    Pass the run's ``centring`` (its config) for runs of the ``symlens`` recipe."""
    return standardized(X, centring) @ np.asarray(K, np.float64).T


def uncropped_lift(G_big, psi, padding: int) -> np.ndarray:
    """Rows ψ̃ᵀ G_big^{p_n}, p_n = n - (N-1)/2, *before* the crop: (N, N + 2P).

    Its central columns are the group convolution matrix K of eq. 5.  ψ: (N,), zero-padded
    to ψ̃.  Integer powers by repeated products with G and Gᵀ = G⁻¹ (G orthogonal).
    """
    G_big, psi = np.asarray(G_big, np.float64), np.asarray(psi, np.float64)
    N = psi.size
    if N % 2 == 0:
        raise ValueError(f"N = {N} must be odd")
    half = (N - 1) // 2
    v0 = np.pad(psi, (padding, padding))
    up, down = [v0], [v0]
    for _ in range(half):
        up.append(G_big.T @ up[-1])
        down.append(G_big @ down[-1])
    return np.stack(down[:0:-1] + up)


def lifting_equivariance_residual(K_big, G_big) -> float:
    """max |(K_big G_big)[n] - K_big[n+1]| over n = 0..N-2, relative to max |K_big|.

    Exact (rounding only) for any orthogonal G_big and any filter: transporting the filter
    once more is the next row (App. B, eqs. 31-35).  Both directions are tried.
    """
    K_big, G_big = np.asarray(K_big, np.float64), np.asarray(G_big, np.float64)
    scale = float(np.abs(K_big).max())
    errs = [float(np.abs((K_big @ Gd)[:-1] - K_big[1:]).max()) for Gd in (G_big, G_big.T)]
    return min(errs) / scale


def matrix_equivariance_error(K, G, margin: int = 2) -> float:
    """‖(K G)[n] - K[n+1]‖_F / ‖K[n+1]‖_F over rows margin..N-2-margin (App. B, matrix form,
    "‖K G − T K‖ away from the boundary rows"); the better of G and Gᵀ."""
    K, G = np.asarray(K, np.float64), np.asarray(G, np.float64)
    N = K.shape[0]
    lo, hi = margin, N - 1 - margin
    if hi <= lo:
        raise ValueError(f"margin {margin} leaves no rows for N = {N}")
    ref = np.linalg.norm(K[lo + 1 : hi + 1])
    errs = [np.linalg.norm((K @ Gd)[lo:hi] - K[lo + 1 : hi + 1]) / ref for Gd in (G, G.T)]
    return float(min(errs))


def padding_embedding(Q, padding: int) -> np.ndarray:
    """blockdiag(I_P, Q, I_P): an orthogonal change of basis of the data space, extended to
    the padded space the generator lives on (App. F)."""
    Q = np.asarray(Q, np.float64)
    N = Q.shape[0]
    E = np.eye(N + 2 * padding)
    E[padding : padding + N, padding : padding + N] = Q
    return E


def neighbour_correlations(Y) -> dict:
    """First-order Markov statistics of a representation Y (n, N) (App. D, Gaussian proxy).

    ``adjacent``: Pearson ρ(y_i, y_{i+1}), i = 0..N-2.  ``partial``: partial correlation of
    y_i and y_{i+2} given y_{i+1}, i = 0..N-3, which vanishes for a Gaussian first-order
    Markov chain.  ``second``: ρ(y_i, y_{i+2}).
    """
    C = np.corrcoef(np.asarray(Y, np.float64).T)
    N = C.shape[0]
    a = np.array([C[i, i + 1] for i in range(N - 1)])
    r12, r23, r13 = a[:-1], a[1:], np.array([C[i, i + 2] for i in range(N - 2)])
    partial = (r13 - r12 * r23) / np.sqrt(np.clip((1 - r12**2) * (1 - r23**2), 1e-300, None))
    return {"adjacent": a, "partial": partial, "second": r13}


def gaussian_entropy(cov) -> float:
    """Differential entropy ½ log det(2πe Σ) of a Gaussian with covariance Σ (nats)."""
    cov = np.asarray(cov, np.float64)
    sign, logdet = np.linalg.slogdet(2 * np.pi * np.e * cov)
    if sign <= 0:
        raise ValueError("covariance is not positive definite")
    return 0.5 * float(logdet)


def gaussian_mutual_information(K, Sigma, noise_std: float) -> dict:
    """I(x; Kx + ν) for x ~ N(0, Σ), ν ~ N(0, σ² I), computed two independent ways (App. C).

    ``from_output``: H(y) − H(y|x) = ½ log det(KΣKᵀ + σ²I) − ½ log det(σ²I), the InfoMax
    identity (output entropy minus a constant).  ``from_input``: H(x) − H(x|y) with the
    Gaussian posterior covariance Σ − ΣKᵀ(KΣKᵀ + σ²I)⁻¹KΣ.  ``constant``: H(y|x).
    """
    K, Sigma = np.asarray(K, np.float64), np.asarray(Sigma, np.float64)
    m = K.shape[0]
    Cy = K @ Sigma @ K.T + noise_std**2 * np.eye(m)
    const = gaussian_entropy(noise_std**2 * np.eye(m))
    h_y = gaussian_entropy(Cy)
    post = Sigma - Sigma @ K.T @ np.linalg.solve(Cy, K @ Sigma)
    post = 0.5 * (post + post.T)
    return {
        "from_output": h_y - const,
        "from_input": gaussian_entropy(Sigma) - gaussian_entropy(post),
        "output_entropy": h_y,
        "constant": const,
    }


def random_orthogonal(n: int, seed: int = 0) -> np.ndarray:
    """A Haar-random orthogonal (n, n) matrix (QR of a Gaussian matrix, signs fixed)."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    Q, R = np.linalg.qr(A)
    return Q * np.sign(np.diag(R))


def conjugation_similarity(G_prime, G, Q) -> float:
    """How well G' matches Q G Qᵀ beyond the identity both start from (App. F).

    Cosine of G' − I with Q (G − I) Qᵀ, the better of the two directions (G' against
    Q G Qᵀ or its transpose).  The plain cosine of G' with Q G Qᵀ is misleading for
    generators that are still close to their initial G ≈ I: I = Q I Qᵀ is shared
    by every pair and gives a high cosine whether or not anything was learned.
    """
    Gp, G, Q = (np.asarray(m, np.float64) for m in (G_prime, G, Q))
    eye = np.eye(G.shape[0])
    target = Q @ G @ Q.T
    return max(cosine_similarity(Gp - eye, target - eye), cosine_similarity(Gp - eye, target.T - eye))


def run_evidence(run: dict) -> dict:
    """Per-run evidence for the claims ledger, from a saved run (:func:`symlens.io.load_run`).

    Plain floats: the saved headline metrics plus the best shift power (minimal generator?),
    the share of the error at the edges and the filter's peak fraction in the hidden basis.
    """
    a, m, prov = run["arrays"], run["metrics"], run["provenance"]
    G, G_true, Q = a["generator"], a["true_generator"], a["transform"]
    powers = shift_power_similarities(G, Q)
    peak = filter_peak_fraction(a["filter"], Q)
    return {
        "dataset": prov["dataset"],
        "seed": int(prov["seed"]),
        "cosine_similarity": float(m["cosine_similarity"]),
        "rmse": float(m["rmse"]),
        "group_convolution_cosine": float(m["group_convolution_cosine"]),
        "equivariance_error": float(m["equivariance_error"]),
        "signal_correlation_train": float(m["signal_correlation"]),
        "best_power": powers["best_power"],
        "power_cosines": [float(c) for c in powers["cosines"]],
        "identity_cosine": cosine_similarity(G, np.eye(G.shape[0])),
        "edge_fraction": edge_error_fraction(G, G_true, Q),
        "filter_peak_fraction": peak["peak_fraction"],
        "filter_peak_index": peak["peak_index"],
        "steps": int(m["steps"]),
    }


def fit_estimators(y, n_kernels: int = 4, hidden: int | None = None, steps: int = 300,
                   lr: float = 1e-2, seed: int = 0, l2: float = 1e-5):
    """Fit the two density estimators (App. A) to a fixed representation y (B, N) by
    maximum likelihood (:func:`symlens.losses.estimator_loss`, Adam), with the model held
    fixed.  For illustrating and checking the loss terms on a small example.

    Returns ``(marginal, conditional, final estimator loss)``.  B must be a multiple of N.
    """
    import torch

    from .estimators import MarginalMixture, MaskedConditional
    from .losses import estimator_loss

    y = torch.as_tensor(np.asarray(y), dtype=torch.float32)
    N = y.shape[1]
    rng = torch.Generator().manual_seed(int(seed))
    marginal = MarginalMixture(N, n_kernels, rng)
    conditional = MaskedConditional(N, 16 * N if hidden is None else hidden, n_kernels, rng)
    conditional.check_batch(y.shape[0])
    opt = torch.optim.Adam([*marginal.parameters(), *conditional.parameters()], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = estimator_loss(y, marginal, conditional, l2)
        loss.backward()
        opt.step()
    with torch.no_grad():
        final = float(estimator_loss(y, marginal, conditional, l2))
    return marginal, conditional, final
