"""A truth-free score of a finished fit, offline: how far its lift is from orthogonal
(``symlens.analysis.lift_orthogonality_defect``), against its cos and as a way to choose
between restarts.  (No training.)

    python benchmarks/lift_orthogonality.py --out results/lab/lift_orthogonality

Reads the saved N = 33 fits of the defaults (as ``benchmarks/snap_offline.py`` does) and the
best-of-two records of ``results/cpu/best_of/n33-k2``; writes ``table.md`` (the rank
correlation with cos, and per best-of-two set what the held-out loss kept and what the
smaller defect would keep) and ``defect.png``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from snap_offline import BEST_OF, crop, fits  # noqa: E402

from symlens.analysis import lift_orthogonality_defect  # noqa: E402
from symlens.io import git_sha  # noqa: E402
from symlens.restarts import saved_best_of  # noqa: E402
from symlens.metrics import generator_cosine_similarity  # noqa: E402


def main(argv=None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import spearmanr

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for source, dataset, seed, cand, G_big, psi, Q, truth in fits():
        P = (G_big.shape[0] - Q.shape[0]) // 2
        rows.append({"source": source, "dataset": dataset, "seed": seed, "candidate": cand,
                     "cos": generator_cosine_similarity(crop(G_big, P), truth),
                     "defect": lift_orthogonality_defect(G_big, psi, P)})
    cos = np.array([r["cos"] for r in rows])
    defect = np.array([r["defect"] for r in rows])
    rho = spearmanr(cos, defect).statistic
    lines = ["| dataset | seed | candidates (cos, defect) | kept by the held-out loss | kept by the smaller defect |",
             "|---|---|---|---|---|"]
    by_loss, by_defect, legendre = [], [], []
    for _, rec in saved_best_of(BEST_OF):
        cands = [r for r in rows if r["source"] == "best_of" and r["dataset"] == rec["dataset"]
                 and r["seed"] == rec["base_seed"]]
        pick = min(cands, key=lambda r: r["defect"])
        by_loss.append(rec["cos"])
        by_defect.append(pick["cos"])
        legendre.append(rec["dataset"].startswith("legendre"))
        lines.append(f"| {rec['dataset']} | {rec['base_seed']} | "
                     + "; ".join(f"{r['cos']:.3f}, {r['defect']:.3f}" for r in cands)
                     + f" | {rec['cos']:.3f} | {pick['cos']:.3f} |")
    by_loss, by_defect, legendre = map(np.array, (by_loss, by_defect, legendre))
    lines += ["", f"Across the {len(rows)} saved N = 33 fits of the defaults the Spearman correlation of cos and "
              f"the lift's orthogonality defect ‖K Kᵀ − I‖_F / √N is {rho:+.2f}. Over the {len(by_loss)} best-of-two "
              f"sets the held-out loss kept a mean cos of {by_loss.mean():.3f} ({int((by_loss >= 0.95).sum())} ≥ 0.95), "
              f"the smaller defect {by_defect.mean():.3f} ({int((by_defect >= 0.95).sum())} ≥ 0.95); on the "
              f"{int(legendre.sum())} Legendre sets {by_loss[legendre].mean():.3f} and {by_defect[legendre].mean():.3f}. "
              f"By `benchmarks/lift_orthogonality.py` at {git_sha()}."]
    (args.out / "table.md").write_text("\n".join(lines) + "\n")
    fig, ax = plt.subplots(figsize=(6.5, 4.4))
    for name, marker in (("gaussian", "o"), ("legendre", "x")):
        m = np.array([r["dataset"].startswith(name) for r in rows])
        ax.scatter(defect[m], cos[m], marker=marker, s=24, label=f"{name} datasets")
    ax.axhline(0.95, color="0.6", ls=":", lw=0.8)
    ax.set_xlabel("orthogonality defect of the lift, ‖K Kᵀ − I‖ / √N")
    ax.set_ylabel("cos of the fit")
    ax.legend(fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out / "defect.png", dpi=150)
    plt.close(fig)
    print("\n".join(lines[-1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
