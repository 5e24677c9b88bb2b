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

# colours: the learned model, the loss terms, the gradient
C_MODEL, C_LOSS, C_GRAD = "#fde7c8", "#e3f1de", "#a04000"
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
    """Draw the diagram into ``path`` (PNG); 9.2 × 10.4 inches, so that its text stays readable
    at the width of a book page."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig = plt.figure(figsize=(9.2, 10.4))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, 92)
    ax.set_ylim(0, 104)
    ax.axis("off")
    cmap = plt.get_cmap("RdBu_r")
    rng = np.random.default_rng(3)
    n = 11

    # ---- what K is made of: G (eq. 6) and psi (eqs. 20-21)
    _box(ax, 13, 93, 30, 9.5, C_MODEL,
         "generator (eq. 6)\n" + r"$G = \exp\left(\frac{1}{2}(A - A^{\top})\right)$", size=12.5)
    _box(ax, 47, 93, 30, 9.5, C_MODEL,
         "filter (eqs. 20–21)\n" + r"$\hat\psi = \tilde\psi / \Vert\tilde\psi\Vert$,  "
         r"$\tilde\psi = \psi + \sigma(t)\,\varepsilon$", size=12.5)
    _arrow(ax, (28, 92.7), (28, 88.3))
    _arrow(ax, (62, 92.7), (62, 88.3))

    # ---- x -> the group convolution K (eq. 5) -> y
    _vector(ax, 2.2, 58, 84, 0.5 + 0.35 * np.tanh(rng.normal(size=n)), cmap, r"$x \in \mathbb{R}^N$")
    ax.text(3.8, 86.5, "data\nsample", ha="center", va="bottom", fontsize=12)
    kx, ky, kw, kh = 12, 52, 66, 36
    _box(ax, kx, ky, kw, kh, C_MODEL)
    ax.text(kx + kw / 2, ky + kh - 2.6, r"group convolution $K$ (eq. 5)", ha="center", va="center",
            fontsize=14, weight="bold")
    ax.text(kx + kw / 2, ky + kh - 7.0, r"row $n$:  $K_{n,:} = \hat\psi^{\top} G^{\,k_n}$,   "
            r"$k_n = n - \frac{N-1}{2}$", ha="center", va="center", fontsize=13)
    ncell, cw = 13, 2.6
    strip_x = kx + 21
    grid = np.arange(ncell)
    for r, k in enumerate([-2, -1, 0, 1, 2]):
        yy = ky + kh - 14.0 - r * 4.3
        label = r"$\hat\psi^{\top}$" if k == 0 else rf"$\hat\psi^{{\top}} G^{{{k}}}$"
        ax.text(strip_x - 1.5, yy + 1.0, label, ha="right", va="center", fontsize=13)
        bump = np.exp(-0.5 * ((grid - (ncell // 2 + k)) / 0.9) ** 2)
        for j, v in enumerate(bump):
            ax.add_patch(Rectangle((strip_x + j * cw, yy), cw, 2.2, facecolor=cmap(0.5 + 0.48 * v),
                                   edgecolor="#bbbbbb", linewidth=0.5))
    ax.text(strip_x + ncell * cw / 2, ky + kh - 10.3, r"$\vdots$", ha="center", va="center", fontsize=12)
    ax.text(strip_x + ncell * cw / 2, ky + 2.4, r"$\vdots$", ha="center", va="center", fontsize=12)
    _arrow(ax, (5.6, 71), (11.7, 71))
    _arrow(ax, (78.3, 71), (83.6, 71))
    _vector(ax, 84, 58, 84, 0.5 + 0.45 * np.exp(-0.5 * ((np.arange(n) - 5) / 1.6) ** 2), cmap, "")
    ax.text(85.6, 86.5, "repre-\nsentation", ha="center", va="bottom", fontsize=12)
    ax.text(85.6, 56.2, r"$y = Kx$", ha="center", va="top", fontsize=13)

    # ---- the four loss terms, fed by y
    terms = [
        ("alignment (eq. 9)", r"$\mathcal{L}_{\mathrm{align}} = -\mathrm{mean}_i\,\hat\rho(y_i, y_{i+1})$"),
        ("uniformity (eqs. 7–8)", r"$\mathcal{L}_{\mathrm{unif}}$: law of $(y_i, y_j)$ = law of $(y_{i+1}, y_{j+1})$"),
        ("resolution (eqs. 10–11)", r"$\mathcal{L}_{\mathrm{res}} = \mathrm{mean}_i\,\hat H(y_i) - \hat H_r(y)$"),
        ("information preservation (eq. 12)", r"$\mathcal{L}_{\mathrm{info}} = -\hat H_r(y)$"),
    ]
    lx, lw, lh = 12, 66, 6.6
    mids = []
    for i, (name, formula) in enumerate(terms):
        y0 = 42.5 - i * 8.2
        _box(ax, lx, y0, lw, lh, C_LOSS)
        ax.text(lx + 1.2, y0 + lh - 1.9, name, ha="left", va="center", fontsize=12.5, weight="bold")
        ax.text(lx + 1.2, y0 + 2.0, formula, ha="left", va="center", fontsize=12.5)
        mids.append(y0 + lh / 2)
    bus = 85.6
    ax.plot([bus, bus], [51.8, mids[-1]], color=EDGE, lw=1.6)
    for m in mids:
        _arrow(ax, (bus, m), (lx + lw + 0.4, m))

    # ---- total loss (eq. 13), and its gradient back to G and psi
    _box(ax, lx, 6.5, lw, 7.2, "#f6f6f6",
         "total loss (eq. 13):  " + r"$\mathcal{L} = \alpha\,\mathcal{L}_{\mathrm{align}} + \beta\,"
         r"\mathcal{L}_{\mathrm{unif}} + \gamma\,\mathcal{L}_{\mathrm{res}} + \delta\,\mathcal{L}_{\mathrm{info}}$",
         size=12.5)
    _arrow(ax, (lx + lw / 2, mids[-1] - lh / 2 - 0.3), (lx + lw / 2, 14.1))
    ax.plot([lx - 0.6, 6.5, 6.5], [10.1, 10.1, 51.0], color=C_GRAD, ls="--", lw=1.8)
    _arrow(ax, (6.5, 51.0), (11.6, 54.5), ls="--", color=C_GRAD, lw=1.8)
    ax.text(4.0, 32, r"$\nabla\mathcal{L}$ trains $A$ and $\psi$ (eqs. 18–21)", rotation=90, ha="center",
            va="center", fontsize=11.5, color=C_GRAD)

    # ---- the estimators and the entropy behind the loss terms
    ax.text(2, 3.6, r"behind the terms: density estimators $\hat p_i$ (eqs. 27–28) and $\hat q(y_j \mid y_i)$ "
            r"(eqs. 29–30), fitted on their own likelihood;", ha="left", va="center", fontsize=10.5,
            color="#5b3f7a")
    ax.text(2, 1.2, r"the low-rank Gaussian entropy $\hat H_r$ counts a rank $r/N = \tau$ that grows with the "
            r"training time (eqs. 14–19)", ha="left", va="center", fontsize=10.5, color="#5b3f7a")

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
