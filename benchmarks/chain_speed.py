"""The chain's speed along the window for every saved N = 33 fit of the defaults (no
training): how far each power of G moves the filter, ``symlens.analysis.chain_speed``.

    python benchmarks/chain_speed.py --out results/lab/snap

Reads the fits ``benchmarks/snap_offline.py`` reads (the targets table's single fits and
both candidates of every best-of-two call) and writes ``speed.csv``, ``speed.md`` (counts
by cos band and the rank correlation) and ``speed.png`` (cos against slow steps, and two
speed profiles).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from snap_offline import crop, fits  # noqa: E402

from symlens.analysis import chain_speed, defect_census, filter_peak_fraction, row_positions  # noqa: E402
from symlens.seriation import lift_rows  # noqa: E402
from symlens.io import git_sha  # noqa: E402
from symlens.metrics import generator_cosine_similarity  # noqa: E402

OUTER = 8
BANDS = ((0.95, 1.01, "≥ 0.95"), (0.80, 0.95, "0.80–0.95"), (0.0, 0.80, "below 0.80"))


def rows():
    out = []
    for source, dataset, seed, cand, G_big, psi, Q, truth in fits():
        P = (G_big.shape[0] - Q.shape[0]) // 2
        speed = chain_speed(G_big, psi, Q, P)
        norms = np.linalg.norm(lift_rows(G_big, psi, P), axis=1)  # mass of each lift row left in the window
        census = defect_census(crop(G_big, P), Q)
        out.append({"source": source, "dataset": dataset, "seed": seed, "candidate": cand,
                    "cos": generator_cosine_similarity(crop(G_big, P), truth), "walls": census["walls"],
                    "slow": speed["slow"], "fast": speed["fast"], "back": speed["back"],
                    "spread": speed["spread"], "steps": " ".join(f"{v:.2f}" for v in speed["steps"]),
                    "filter_peak_fraction": filter_peak_fraction(psi, Q)["peak_fraction"],
                    "filter_offset": float(row_positions(psi[None, :], Q)[0] - (Q.shape[0] - 1) / 2),
                    "outer_row_norm": float(min(norms[:OUTER].min(), norms[-OUTER:].min()))})
    return out


def irregular(group, outer: int = OUTER) -> tuple[float, float]:
    """Share of irregular steps (back, or outside 0.5-1.5 pixel) over the fits of ``group``,
    among the ``outer`` powers at each end of the lift and among the rest."""
    ends = middle = n_ends = n_middle = 0
    for r in group:
        v = np.array(r["steps"].split(), float)
        bad = (v < 0.5) | (v > 1.5)
        at_end = np.zeros(v.size, bool)
        at_end[:outer] = at_end[-outer:] = True
        ends, middle = ends + bad[at_end].sum(), middle + bad[~at_end].sum()
        n_ends, n_middle = n_ends + at_end.sum(), n_middle + (~at_end).sum()
    return ends / n_ends, middle / n_middle


def summary(table) -> str:
    from scipy.stats import spearmanr

    lines = ["| cos | fits | slow steps: median, range | fits with ≥ 4 slow | fast steps: median | steps back: median | irregular share, outer powers | irregular share, inner powers |",
             "|---|---|---|---|---|---|---|---|"]
    for lo, hi, name in BANDS:
        g = [r for r in table if lo <= r["cos"] < hi]
        if not g:
            continue
        slow = np.array([r["slow"] for r in g])
        outer, inner = irregular(g)
        lines.append(f"| {name} | {len(g)} | {np.median(slow):.0f}, {slow.min()}–{slow.max()} | {(slow >= 4).sum()} | "
                     f"{np.median([r['fast'] for r in g]):.0f} | {np.median([r['back'] for r in g]):.0f} | "
                     f"{outer:.2f} | {inner:.2f} |")
    lines += ["", "| cos | filter: energy in its peak pixel, median | filter centroid off the middle, median pixels | "
              "least lift-row norm among the outer powers, median |", "|---|---|---|---|"]
    for lo, hi, name in BANDS:
        g = [r for r in table if lo <= r["cos"] < hi]
        if g:
            lines.append(f"| {name} | {np.median([r['filter_peak_fraction'] for r in g]):.2f} | "
                         f"{np.median([abs(r['filter_offset']) for r in g]):.1f} | "
                         f"{np.median([r['outer_row_norm'] for r in g]):.2f} |")
    unwalled = [r for r in table if r["walls"] == 0]
    rho = spearmanr([r["cos"] for r in unwalled], [r["slow"] for r in unwalled]).statistic
    lines += ["", f"{len(table)} saved N = 33 fits of the defaults; across the {len(unwalled)} without a wall "
              f"(defect census) the Spearman correlation of cos and slow steps is {rho:+.2f}. A step is the "
              "distance in hidden pixels between the centroids of consecutive lift rows, read along the "
              "majority direction: slow below 0.75 pixel (and above 0), fast above 1.25, back at most 0; an "
              f"irregular step is one back or outside 0.5–1.5 pixel, counted among the {OUTER} outermost "
              f"powers at each end of the lift and among the rest. The filter's peak share is max (Qᵀψ)² / ‖ψ‖²; "
              f"a lift row's norm is the part of crop(G^k ψ̂) still inside the window. By `benchmarks/chain_speed.py` at {git_sha()}."]
    return "\n".join(lines) + "\n"


def figure(table, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.3))
    walled = np.array([r["walls"] > 0 for r in table])
    x = np.array([r["slow"] for r in table], float)
    y = np.array([r["cos"] for r in table])
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(x))
    a.scatter(x[~walled] + jitter[~walled], y[~walled], s=22, label="no wall")
    a.scatter(x[walled] + jitter[walled], y[walled], s=22, marker="x", label="walls")
    a.axhline(0.95, color="0.6", ls=":", lw=0.8)
    a.set_xlabel("slow steps (a power moves the filter < 0.75 pixel)")
    a.set_ylabel("cos of the fit")
    a.legend(fontsize=9)
    shown = {"converged": max(table, key=lambda r: r["cos"]),
             "near miss": next(r for r in table if r["dataset"] == "legendre-dst" and r["seed"] == 0
                               and r["candidate"] == 0 and r["source"] == "best_of")}
    for name, r in shown.items():
        steps = [float(v) for v in r["steps"].split()]
        b.plot(range(1, len(steps) + 1), steps, marker=".",
               label=f"{name}: {r['dataset']} {r['seed']}/{r['candidate']}, cos {r['cos']:.3f}")
    b.axhline(1.0, color="0.6", lw=0.8)
    b.axhspan(0, 0.75, color="0.9", zorder=0)
    b.set_xlabel("power k of the lift (from the lowest)")
    b.set_ylabel("step p(k+1) − p(k), pixels")
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    table = rows()
    with open(args.out / "speed.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(table[0]))
        w.writeheader()
        w.writerows(table)
    text = summary(table)
    (args.out / "speed.md").write_text(text)
    figure(table, args.out / "speed.png")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
