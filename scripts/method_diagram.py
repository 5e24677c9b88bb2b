"""Draw the method diagram of the book's *Method* page (book/method.md):

    x  ->  group convolution K (rows: the filter ψ̂ transported by the powers of G)  ->  y = K x
    y  ->  the four loss terms (alignment, uniformity, resolution, information preservation)
       ->  the total loss, whose gradient trains G and ψ

with the paper's equation numbers.  It shows no result, so it is drawn once, not per run:

    python scripts/method_diagram.py            # writes book/_generated/method_diagram.png

The picture of K is schematic: a translation-like G moves a bump-shaped ψ̂ one pixel per power
(in the hidden basis); the learned G and ψ are on the results pages.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "book" / "_generated" / "method_diagram.png"

# colours: the learned model, the loss, the estimators, the gradient
C_MODEL, C_LOSS, C_EST, C_GRAD = "#fde7c8", "#e3f1de", "#ece4f3", "#a04000"
EDGE = "#333333"


def _box(ax, x, y, w, h, color, text=None, size=12, weight="normal", ha="center"):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.25,rounding_size=0.8",
                                facecolor=color, edgecolor=EDGE, linewidth=1.2))
    if text is not None:
        tx = x + w / 2 if ha == "center" else x + 0.8
        ax.text(tx, y + h / 2, text, ha=ha, va="center", fontsize=size, weight=weight, linespacing=1.35)


def _arrow(ax, xy0, xy1, style="-|>", ls="-", color=EDGE, lw=1.6, rad=0.0):
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(xy0, xy1, arrowstyle=style, mutation_scale=16, linewidth=lw, color=color,
                                 linestyle=ls, connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))


def _vector(ax, x, y0, y1, values, cmap, label):
    """A column of cells (one sample as a vector)."""
    from matplotlib.patches import Rectangle

    n = len(values)
    h = (y1 - y0) / n
    for i, v in enumerate(values):
        ax.add_patch(Rectangle((x, y1 - (i + 1) * h), 3.2, h, facecolor=cmap(v), edgecolor="white", linewidth=0.8))
    ax.text(x + 1.6, y0 - 1.6, label, ha="center", va="top", fontsize=13)


def draw(path: Path = OUT, dpi: int = 150) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig = plt.figure(figsize=(13.5, 7.2))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, 135)
    ax.set_ylim(0, 72)
    ax.axis("off")
    cmap = plt.get_cmap("RdBu_r")
    rng = np.random.default_rng(3)

    # ---- x: one data sample
    n = 11
    x_vals = 0.5 + 0.35 * np.tanh(rng.normal(size=n))
    _vector(ax, 7, 24, 50, x_vals, cmap, r"$x \in \mathbb{R}^N$")
    ax.text(8.6, 53, "data sample\n(eq. 4)", ha="center", va="bottom", fontsize=11.5)

    # ---- the group convolution K (eq. 5)
    kx, ky, kw, kh = 17, 17, 45, 39
    _box(ax, kx, ky, kw, kh, C_MODEL)
    ax.text(kx + kw / 2, ky + kh - 2.6, r"group convolution $K$ (eq. 5)", ha="center", va="center",
            fontsize=13.5, weight="bold")
    ax.text(kx + kw / 2, ky + kh - 6.8, r"row $n$:  $K_{n,:} = \hat\psi^{\top} G^{\,k_n}$,   "
            r"$k_n = n - \frac{N-1}{2}$", ha="center", va="center", fontsize=12.5)
    powers = [-2, -1, 0, 1, 2]
    ncell, cw = 13, 1.9
    strip_x = kx + 16
    grid = np.arange(ncell)
    for r, k in enumerate(powers):
        yy = ky + kh - 14.5 - r * 5.0
        label = r"$\hat\psi^{\top}$" if k == 0 else rf"$\hat\psi^{{\top}} G^{{{k}}}$"
        ax.text(strip_x - 1.5, yy + 1.0, label, ha="right", va="center", fontsize=13)
        bump = np.exp(-0.5 * ((grid - (ncell // 2 + k)) / 0.9) ** 2)
        for j, v in enumerate(bump):
            ax.add_patch(Rectangle((strip_x + j * cw, yy), cw, 2.0, facecolor=cmap(0.5 + 0.48 * v),
                                   edgecolor="#bbbbbb", linewidth=0.5))
    ax.text(strip_x + ncell * cw / 2, ky + kh - 10.2, r"$\vdots$", ha="center", va="center", fontsize=12)
    ax.text(strip_x + ncell * cw / 2, ky + 2.6, r"$\vdots$", ha="center", va="center", fontsize=12)

    # ---- what K is made of: G (eq. 6) and psi (eqs. 20-21)
    _box(ax, 17, 60.5, 21, 9.0, C_MODEL, "generator (eq. 6)\n" + r"$G = \exp\left(\frac{1}{2}(A - A^{\top})\right)$",
         size=12)
    _box(ax, 41, 60.5, 21, 9.0, C_MODEL,
         "filter (eqs. 20–21)\n" + r"$\hat\psi = \tilde\psi / \Vert\tilde\psi\Vert$, "
         r"$\tilde\psi = \psi + \sigma(t)\,\varepsilon$", size=12)
    _arrow(ax, (27.5, 60.2), (27.5, 56.3))
    _arrow(ax, (51.5, 60.2), (51.5, 56.3))

    # ---- x -> K -> y
    _arrow(ax, (10.6, 37), (16.7, 37))
    y_vals = 0.5 + 0.45 * np.exp(-0.5 * ((np.arange(n) - 5) / 1.6) ** 2)
    _arrow(ax, (62.3, 37), (68.6, 37))
    _vector(ax, 69, 24, 50, y_vals, cmap, r"$y = K\,x$")
    ax.text(70.6, 53, "representation\n(the symmetry acts\nas a shift of $i$)", ha="center", va="bottom",
            fontsize=11.5)

    # ---- the four loss terms
    lx, lw, lh = 81, 52, 7.6
    terms = [
        ("alignment (eq. 9)", r"$\mathcal{L}_{\mathrm{align}} = -\mathrm{mean}_i\,\hat\rho(y_i, y_{i+1})$"),
        ("uniformity (eqs. 7–8)", r"$\mathcal{L}_{\mathrm{unif}}$: law of $(y_i, y_j)$ = law of $(y_{i+1}, y_{j+1})$"),
        ("resolution (eqs. 10–11)", r"$\mathcal{L}_{\mathrm{res}} = \mathrm{mean}_i\,\hat H(y_i) - \hat H_r(y)$"),
        ("information preservation (eq. 12)", r"$\mathcal{L}_{\mathrm{info}} = -\hat H_r(y)$"),
    ]
    for i, (name, formula) in enumerate(terms):
        y0 = 59.5 - i * 10.4
        _box(ax, lx, y0, lw, lh, C_LOSS)
        ax.text(lx + 1.2, y0 + lh - 2.1, name, ha="left", va="center", fontsize=12.5, weight="bold")
        ax.text(lx + 1.2, y0 + 2.3, formula, ha="left", va="center", fontsize=12.5)
        _arrow(ax, (72.8, 37), (lx - 0.5, y0 + lh / 2))

    # ---- total loss (eq. 13) and the gradient back to G and psi
    _box(ax, lx, 3.5, lw, 9.5, "#f6f6f6",
         "total loss (eq. 13)\n" + r"$\mathcal{L} = \alpha\,\mathcal{L}_{\mathrm{align}} + \beta\,\mathcal{L}_{\mathrm{unif}}"
         r" + \gamma\,\mathcal{L}_{\mathrm{res}} + \delta\,\mathcal{L}_{\mathrm{info}}$", size=13)
    _arrow(ax, (lx + lw / 2, 28.6), (lx + lw / 2, 13.6))
    _arrow(ax, (lx - 0.6, 10.0), (62.4, 18.5), ls="--", color=C_GRAD, lw=1.8, rad=-0.2)
    ax.text(71.5, 16.4, r"$\nabla\mathcal{L}$ trains $A$ and $\psi$" "\n(eqs. 18–21)", ha="center",
            va="center", fontsize=11, color=C_GRAD)

    # ---- the estimators and the entropy behind the loss terms
    _box(ax, 3, 1.5, 60, 12.0, C_EST)
    ax.text(4.2, 11.0, "behind the loss terms", ha="left", va="center", fontsize=12, weight="bold")
    ax.text(4.2, 7.1, r"density estimators, trained alongside on their own likelihood: marginal $\hat p_i$"
            "\n" r"(eqs. 27–28), conditional $\hat q(y_j \mid y_i)$ (eqs. 29–30) $\rightarrow$ uniformity, resolution",
            ha="left", va="center", fontsize=11, linespacing=1.4)
    ax.text(4.2, 3.3, r"low-rank Gaussian entropy $\hat H_r$ with rank window $r/N = \tau$ (eqs. 14–19)"
            r" $\rightarrow$ resolution, information", ha="left", va="center", fontsize=11)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
