"""Figures and small tables of the companion notebooks (matplotlib only).

Every function returns a :class:`matplotlib.figure.Figure` (or a string for tables) and
never calls ``plt.show``; the notebooks display and save what they get back.  Heatmaps of
matrices use a diverging map centred on zero, rows drawn top to bottom as the matrix is
printed.

- :func:`generator_panel`: the 2×2 comparison of the authors' plotting scripts (spec §4.2):
  ideal, learned, error = ideal − learned with colour range ±1, error histogram (bin 0.05).
- :func:`matrix_heatmap`, :func:`matrix_grid`: one or several matrices.
- :func:`snapshot_strip`: matrices during training, one row per quantity (paper Figs 16-17).
- :func:`history_curves`: loss terms and metrics against the step.
- :func:`sample_plot`, :func:`sample_grid`: hidden local signal beside the observed sample
  (paper Figs 6-7), for one or several datasets.
- :func:`vector_grid`: several vectors (filters, per-component correlations) as stem plots.
- :func:`recipe_comparison`: one score per dataset and seed for two methods, side by side.
- :func:`markdown_table`: rows of dicts as a Markdown table, numbers rounded.
- :func:`save_figure`: write a figure as PNG under a run's ``figures/`` folder.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "generator_panel",
    "matrix_heatmap",
    "matrix_grid",
    "snapshot_strip",
    "history_curves",
    "curve_groups",
    "sample_plot",
    "sample_grid",
    "vector_grid",
    "recipe_comparison",
    "markdown_table",
    "save_figure",
]

_CMAP = "RdBu_r"


def _figure(figsize):
    # Figure() rather than plt.figure(): nothing is registered with pyplot, so no figure
    # leaks or shows up twice in a notebook; the notebooks display the returned object.
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _finish(fig, unused_axes, suptitle: str | None, fontsize: float | None = None):
    """Drop the grid cells left empty and set the overall title (default size 10)."""
    for ax in unused_axes:
        ax.remove()
    if suptitle:
        fig.suptitle(suptitle, fontsize=10 if fontsize is None else fontsize)
    return fig


def _as_matrix(M, name: str = "matrix") -> np.ndarray:
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {M.shape}")
    return M


def _symmetric_limit(*mats, floor: float = 1e-12) -> float:
    vmax = max(float(np.nanmax(np.abs(m))) if np.size(m) else 0.0 for m in mats)
    return max(vmax, floor)


def _heatmap(ax, M, title=None, vmax=None, colorbar=True, fig=None, ticks=True):
    vmax = _symmetric_limit(M) if vmax is None else vmax
    im = ax.imshow(M, cmap=_CMAP, vmin=-vmax, vmax=vmax, interpolation="nearest")
    if title:
        ax.set_title(title, fontsize=9)
    if not ticks:
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        ax.tick_params(labelsize=7)
    if colorbar and fig is not None:
        fig.colorbar(im, ax=ax, shrink=0.8)
    return im


def generator_panel(learned, ideal, title: str | None = None, bin_width: float = 0.05):
    """2×2 panel: ideal, learned, error = ideal − learned (colour range ±1), histogram of
    the error entries with bins of ``bin_width`` (the authors' plotting layout, spec §4.2).

    learned, ideal: (N, N).  Returns a Figure with 4 panel axes and 3 colour bars; the
    panels are ``fig.axes[:4]`` in the order ideal, learned, error, histogram.
    """
    learned, ideal = _as_matrix(learned, "learned"), _as_matrix(ideal, "ideal")
    if learned.shape != ideal.shape:
        raise ValueError(f"shape mismatch: learned {learned.shape} vs ideal {ideal.shape}")
    err = ideal - learned
    fig = _figure((7.5, 6.2))
    axs = fig.subplots(2, 2)
    vmax = max(_symmetric_limit(ideal, learned), 1.0)
    ims = [
        _heatmap(axs[0, 0], ideal, "ideal", vmax=vmax, colorbar=False),
        _heatmap(axs[0, 1], learned, "learned", vmax=vmax, colorbar=False),
        _heatmap(axs[1, 0], err, "error = ideal − learned", vmax=1.0, colorbar=False),
    ]
    lo = bin_width * math.floor(float(err.min()) / bin_width)
    hi = bin_width * (math.ceil(float(err.max()) / bin_width) + 1)
    bins = np.arange(lo, hi + bin_width / 2, bin_width)
    if bins.size < 2:
        bins = np.array([lo, lo + bin_width])
    ax = axs[1, 1]
    ax.hist(err.ravel(), bins=bins, color="0.35")
    ax.set_yscale("log")
    ax.set_xlabel(f"error entry (bin width {bin_width:g})", fontsize=8)
    ax.set_ylabel("count", fontsize=8)
    ax.set_title("error histogram", fontsize=9)
    ax.tick_params(labelsize=7)
    for a, im in zip(axs.flat[:3], ims):
        fig.colorbar(im, ax=a, shrink=0.8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def matrix_heatmap(M, title: str | None = None, vmax: float | None = None, figsize=(4.2, 3.6)):
    """One matrix as a heatmap with a colour bar.  Returns a Figure (1 axes + colour bar)."""
    M = _as_matrix(M)
    fig = _figure(figsize)
    ax = fig.subplots()
    _heatmap(ax, M, title, vmax=vmax, fig=fig)
    return fig


def matrix_grid(
    matrices: Mapping[str, np.ndarray] | Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    ncols: int = 3,
    vmax: float | None = None,
    shared_scale: bool = False,
    suptitle: str | None = None,
    panel_size: float = 2.4,
    ticks: bool = True,
):
    """Several matrices in a grid, one heatmap each (no colour bars; titles give the range).

    matrices: a mapping title -> matrix, or a sequence with ``titles``.  ``vmax``: fixed
    colour range; else each panel's own ±max|M| (or the common one with ``shared_scale``).
    Returns a Figure whose first ``len(matrices)`` axes are the panels; unused grid cells
    are removed.
    """
    if isinstance(matrices, Mapping):
        titles = list(matrices.keys()) if titles is None else list(titles)
        mats = [_as_matrix(m) for m in matrices.values()]
    else:
        mats = [_as_matrix(m) for m in matrices]
        titles = [""] * len(mats) if titles is None else list(titles)
    if not mats:
        raise ValueError("no matrices to draw")
    if len(titles) != len(mats):
        raise ValueError(f"{len(titles)} titles for {len(mats)} matrices")
    ncols = max(1, min(ncols, len(mats)))
    nrows = math.ceil(len(mats) / ncols)
    fig = _figure((panel_size * ncols + 0.4, panel_size * nrows + (0.4 if suptitle else 0.1)))
    axs = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    common = _symmetric_limit(*mats) if shared_scale and vmax is None else vmax
    for ax, M, t in zip(axs, mats, titles):
        v = common if common is not None else _symmetric_limit(M)
        _heatmap(ax, M, f"{t}\n(±{v:.2g})" if t else f"±{v:.2g}", vmax=v, ticks=ticks)
    return _finish(fig, axs[len(mats):], suptitle)


def snapshot_strip(
    rows: Mapping[str, np.ndarray],
    steps: Sequence[int],
    suptitle: str | None = None,
    panel_size: float = 1.9,
    max_columns: int | None = 6,
):
    """Matrices during training: one row per quantity, one column per shown snapshot.

    rows: label -> array (n_snapshots, N, N), e.g. ``{"generator": ..., "K": ...}``.
    steps: the optimiser step of each snapshot.  Each panel uses its own ±max|M| so early,
    near-identity snapshots stay visible.  At most ``max_columns`` snapshots are drawn, evenly
    spaced and always the first and the last (``None``: all), because a strip of 16 panels
    shrinks each to a few pixels on a page.  Returns a Figure with ``len(rows)`` × (shown
    snapshots) axes.
    """
    labels = list(rows)
    stacks = [np.asarray(rows[k], dtype=np.float64) for k in labels]
    if not stacks:
        raise ValueError("no snapshot rows to draw")
    n = len(steps)
    for k, s in zip(labels, stacks):
        if s.ndim != 3 or s.shape[0] != n:
            raise ValueError(f"row {k!r} must have shape ({n}, N, N), got {s.shape}")
    if max_columns is not None and max_columns < 2:
        raise ValueError(f"max_columns must be at least 2 (the first and last snapshot) or None, got {max_columns!r}")
    shown = (np.arange(n) if max_columns is None or n <= max_columns
             else np.unique(np.round(np.linspace(0, n - 1, max_columns)).astype(int)))
    fig = _figure((panel_size * len(shown) + 0.6, panel_size * len(labels) + (0.5 if suptitle else 0.2)))
    axs = np.array(fig.subplots(len(labels), len(shown), squeeze=False))
    for r, (label, stack) in enumerate(zip(labels, stacks)):
        for c, i in enumerate(shown):
            _heatmap(axs[r, c], stack[i], f"{label}, step {int(steps[i])}", ticks=False)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return fig


def history_curves(
    history: Mapping[str, np.ndarray],
    keys: Sequence[str | Sequence[str]],
    x: str = "step",
    ncols: int = 3,
    suptitle: str | None = None,
    labels: Mapping[str, str] | None = None,
    panel_size: tuple[float, float] = (3.2, 2.5),
    titles: Sequence[str | None] | None = None,
    ylabels: Sequence[str | None] | None = None,
    xlabel: str | None = None,
    fontsize: float | None = None,
):
    """Training curves: one panel per entry of ``keys`` (a key, or a list of keys drawn
    together), against ``history[x]``.

    history: name -> 1-D array of logged values (e.g. the ``history_*`` arrays of a saved
    run with the prefix removed).  labels: key -> name shown in titles and legends (default
    the key).  titles, ylabels: one per panel (None: a one-key panel is titled by its label,
    a panel of several keys gets a legend instead).  xlabel: default ``x``.  fontsize: the
    size of axis labels (titles one point larger, ticks and legends one smaller); default
    a compact 8.  Returns a Figure with ``len(keys)`` axes.
    """
    if x not in history:
        raise KeyError(f"history has no {x!r} column; columns: {sorted(history)}")
    xs = np.asarray(history[x], dtype=np.float64)
    labels = dict(labels or {})
    groups = [[k] if isinstance(k, str) else list(k) for k in keys]
    if not groups:
        raise ValueError("no curves to draw")
    titles = list(titles) if titles is not None else [None] * len(groups)
    ylabels = list(ylabels) if ylabels is not None else [None] * len(groups)
    if len(titles) != len(groups) or len(ylabels) != len(groups):
        raise ValueError(f"{len(groups)} panels but {len(titles)} titles and {len(ylabels)} y labels")
    fs = 8.0 if fontsize is None else float(fontsize)
    ncols = max(1, min(ncols, len(groups)))
    nrows = math.ceil(len(groups) / ncols)
    fig = _figure((panel_size[0] * ncols, panel_size[1] * nrows + (0.3 if suptitle else 0.0)))
    axs = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, group, title, ylabel in zip(axs, groups, titles, ylabels):
        for k in group:
            if k not in history:
                raise KeyError(f"history has no {k!r} column; columns: {sorted(history)}")
            ax.plot(xs, np.asarray(history[k], dtype=np.float64), marker=".", ms=3, label=labels.get(k, k))
        ax.set_xlabel(xlabel or x, fontsize=fs)
        if ylabel:
            ax.set_ylabel(ylabel, fontsize=fs)
        ax.tick_params(labelsize=fs - 1)
        if xs.size and np.nanmax(np.abs(xs)) >= 1e5:  # six-digit ticks run into each other
            from matplotlib.ticker import FuncFormatter

            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k"))
        if len(group) > 1:
            ax.legend(fontsize=fs - 1)
        if title or len(group) == 1:
            ax.set_title(title or labels.get(group[0], group[0]), fontsize=fs + 1)
        ax.grid(alpha=0.3)
    return _finish(fig, axs[len(groups):], suptitle, fontsize=None if fontsize is None else fs + 2)


def curve_groups(
    groups: Mapping[str, Sequence[tuple[np.ndarray, np.ndarray]]],
    xlabel: str = "step",
    ylabel: str = "cosine similarity",
    title: str | None = None,
    figsize: tuple[float, float] = (7.0, 4.0),
    fontsize: float | None = None,
):
    """Several runs per label, one colour per label: groups maps a label to a list of
    (x, y) 1-D arrays (e.g. step and cosine similarity of each seed).  fontsize: the size of
    the axis labels (default a compact 9).  Returns a Figure."""
    if not groups:
        raise ValueError("no curves to draw")
    fs = 9.0 if fontsize is None else float(fontsize)
    fig = _figure(figsize)
    ax = fig.subplots()
    for i, (label, runs) in enumerate(groups.items()):
        for j, (x, y) in enumerate(runs):
            ax.plot(np.asarray(x, np.float64), np.asarray(y, np.float64), color=f"C{i % 10}", lw=1.2,
                    alpha=0.85, label=label if j == 0 else None)
    ax.set_xlabel(xlabel, fontsize=fs)
    ax.set_ylabel(ylabel, fontsize=fs)
    ax.tick_params(labelsize=fs - 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7 if fontsize is None else fs - 1, loc="lower right")
    return _finish(fig, [], title, fontsize=None if fontsize is None else fs + 1)


def sample_plot(
    signals: np.ndarray,
    observed: np.ndarray,
    title: str | None = None,
    labels: tuple[str, str] = ("hidden local signal s", "observed x = Q s"),
):
    """Hidden signals beside the observed samples: two axes, one line per sample.

    signals, observed: (n, N).  Returns a Figure with 2 axes.
    """
    S, X = _as_matrix(signals, "signals"), _as_matrix(observed, "observed")
    if S.shape != X.shape:
        raise ValueError(f"shape mismatch: signals {S.shape} vs observed {X.shape}")
    t = np.arange(S.shape[1])
    fig = _figure((7.0, 2.4))
    axs = fig.subplots(1, 2, sharey=True)
    for ax, M, lab in zip(axs, (S, X), labels):
        for row in M:
            ax.plot(t, row, marker=".", ms=3, lw=1)
        ax.set_title(lab, fontsize=9)
        ax.set_xlabel("component", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    return _finish(fig, [], title)


def sample_grid(
    samples: Mapping[str, tuple[np.ndarray, np.ndarray]],
    labels: tuple[str, str] = ("hidden local signal s", "observed x = Q s"),
    suptitle: str | None = None,
):
    """:func:`sample_plot` for several datasets, one row each.

    samples: dataset name -> (signals (n, N), observed (n, N)).  Returns a Figure with
    ``2 * len(samples)`` axes (row by row: hidden, observed).
    """
    items = list(samples.items())
    if not items:
        raise ValueError("no samples to draw")
    fig = _figure((7.0, 1.75 * len(items) + (0.3 if suptitle else 0.0)))
    axs = np.array(fig.subplots(len(items), 2, squeeze=False))
    for r, (name, (S, X)) in enumerate(items):
        S, X = _as_matrix(S, "signals"), _as_matrix(X, "observed")
        if S.shape != X.shape:
            raise ValueError(f"{name}: shape mismatch {S.shape} vs {X.shape}")
        t = np.arange(S.shape[1])
        for c, (M, lab) in enumerate(zip((S, X), labels)):
            ax = axs[r, c]
            for row in M:
                ax.plot(t, row, marker=".", ms=2, lw=0.9)
            ax.set_title(f"{name}: {lab}", fontsize=8)
            ax.tick_params(labelsize=6)
            ax.grid(alpha=0.3)
    return _finish(fig, [], suptitle)


def vector_grid(
    vectors: Mapping[str, np.ndarray],
    ncols: int = 3,
    suptitle: str | None = None,
    ylim: tuple[float, float] | None = None,
    panel_size: tuple[float, float] = (2.6, 1.9),
):
    """Several vectors as stem plots, one panel each (e.g. learned filters).

    vectors: title -> (N,) array.  Returns a Figure with ``len(vectors)`` axes.
    """
    items = [(k, np.asarray(v, dtype=np.float64).ravel()) for k, v in vectors.items()]
    if not items:
        raise ValueError("no vectors to draw")
    ncols = max(1, min(ncols, len(items)))
    nrows = math.ceil(len(items) / ncols)
    fig = _figure((panel_size[0] * ncols, panel_size[1] * nrows + (0.3 if suptitle else 0.0)))
    axs = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, (k, v) in zip(axs, items):
        ax.stem(np.arange(v.size), v, basefmt="k-", markerfmt=".")
        ax.set_title(k, fontsize=8)
        ax.tick_params(labelsize=7)
        if ylim is not None:
            ax.set_ylim(*ylim)
    return _finish(fig, axs[len(items):], suptitle)


def recipe_comparison(
    first: Mapping[str, Sequence[float]],
    second: Mapping[str, Sequence[float]],
    labels: tuple[str, str] = ("faithful", "symlens"),
    ylabel: str = "cosine similarity",
    target: float | None = 0.95,
    title: str | None = None,
    figsize: tuple[float, float] = (7.5, 3.6),
):
    """Two methods' scores per dataset, side by side: ``first`` and ``second`` map each dataset
    to its scores (one per seed; a dataset may have none under one method); a dot per seed, a
    bar at the mean; ``target`` draws a dashed line (None: no line).  Returns a Figure."""
    names = list(first)
    if not names or list(second) != names:
        raise ValueError(f"both methods need the same datasets in the same order; got {names} and {list(second)}")
    fig = _figure(figsize)
    ax = fig.subplots()
    x = np.arange(len(names), dtype=np.float64)
    for i, (scores, label) in enumerate(((first, labels[0]), (second, labels[1]))):
        off = (i - 0.5) * 0.34
        for j, ds in enumerate(names):
            v = np.asarray(scores[ds], np.float64)
            if v.size:
                ax.bar(x[j] + off, v.mean(), width=0.3, color=f"C{i}", alpha=0.35,
                       label=label if j == 0 else None)
                ax.plot(np.full(v.size, x[j] + off), v, "o", color=f"C{i}", ms=4)
    if target is not None:
        ax.axhline(target, color="0.3", ls="--", lw=0.8)
    ax.set_xticks(x, names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_ylim(min(0.0, ax.get_ylim()[0]), 1.0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return _finish(fig, [], title)


def _fmt(v, digits: int) -> str:
    if v is None:
        return "—"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(float(v)):
            return "—"
        return f"{float(v):.{digits}f}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x, digits) for x in v) + "]"
    return str(v).replace("|", "\\|")


def markdown_table(rows: Sequence[Mapping], columns: Sequence[str] | None = None, digits: int = 3) -> str:
    """Rows of dicts as a Markdown table; floats rounded to ``digits``, NaN/None as "—",
    booleans as yes/no, ``|`` escaped in headers and cells.  ``columns``: which keys, in
    order (default: the first row's)."""
    rows = list(rows)
    if not rows:
        raise ValueError("no rows")
    columns = list(rows[0].keys()) if columns is None else list(columns)
    header = " | ".join(str(c).replace("|", "\\|") for c in columns)
    lines = [f"| {header} |", "|" + "---|" * len(columns)]
    for r in rows:
        lines.append("| " + " | ".join(_fmt(r.get(c), digits) for c in columns) + " |")
    return "\n".join(lines)


def save_figure(fig, directory, name: str, dpi: int = 110) -> Path:
    """Save ``fig`` as ``directory/figures/<name>.png`` and return the path.

    The PNG carries no date or software version in its metadata, so re-running a notebook
    rewrites byte-identical figures when the numbers are identical.
    """
    path = Path(directory) / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, metadata={"Software": None})
    return path
