"""How wide are the defects of the failing N = 33 fits?  Offline, on saved fits.

    python benchmarks/defect_width.py [--out results/lab/defect_width] [--sharp 0.9]

Reads the 54 saved N = 33 fits of the `symlens` defaults: the targets table's runs
(``results/cpu/03_accuracy/runs-symlens/<dataset>/seed*/arrays.npz``) and the best-of-two
candidates (``results/cpu/best_of/n33-k2/<dataset>/seed*-candidates.npz``).  For each fit
:func:`symlens.analysis.smeared_defects` reads the cropped generator in the hidden basis:
runs of consecutive pixels whose move is spread over several (largest entry below
``--sharp`` of the column's norm).  The true generator is used only to read the fit, never
to change it.

Writes ``<out>/rows.csv`` (one row per fit), ``<out>/table.md`` and ``<out>/widths.png``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from symlens.analysis import defect_census, smeared_defects  # noqa: E402
from symlens.generator import crop  # noqa: E402
from symlens.io import git_sha  # noqa: E402
from symlens.metrics import generator_cosine_similarity  # noqa: E402

RUNS = REPO / "results" / "cpu" / "03_accuracy" / "runs-symlens"
CANDIDATES = REPO / "results" / "cpu" / "best_of" / "n33-k2"


def saved_fits() -> list[dict]:
    """Every saved fit as {source, dataset, seed, G (N, N) cropped, Q (N, N), T (N, N) true}."""
    fits = []
    for path in sorted(RUNS.glob("*/seed*/arrays.npz")):
        a = np.load(path)
        fits.append({"source": "targets", "dataset": path.parents[1].name, "seed": int(path.parent.name[4:]),
                     "G": a["generator"], "Q": a["transform"], "T": a["true_generator"]})
    for path in sorted(CANDIDATES.glob("*/seed*-candidates.npz")):
        a = np.load(path)
        N = a["transform"].shape[0]
        for seed, G_big in zip(a["seeds"], a["generator_full"]):
            fits.append({"source": f"best-of-two {path.name.split('-')[0]}", "dataset": path.parent.name,
                         "seed": int(seed), "G": crop(G_big, (G_big.shape[0] - N) // 2),
                         "Q": a["transform"], "T": a["true_generator"]})
    if not fits:
        raise FileNotFoundError(f"no saved fits under {RUNS} or {CANDIDATES}")
    return fits


def main(argv=None) -> None:
    from scipy.stats import spearmanr

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(REPO / "results" / "lab" / "defect_width"))
    p.add_argument("--sharp", type=float, default=0.9)
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for f in saved_fits():
        d = smeared_defects(f["G"], f["Q"], sharp=args.sharp)
        c = defect_census(f["G"], f["Q"])
        rows.append({"source": f["source"], "dataset": f["dataset"], "seed": f["seed"],
                     "cos": generator_cosine_similarity(f["G"], f["T"]), "blurred": d["blurred"],
                     "defects_wide": len(d["widths"]), "widest": d["widest"],
                     "widths": " ".join(map(str, d["widths"])), "census_walls": c["walls"],
                     "census_chain": c["chain"]})
    with open(out / "rows.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

    def family(r):
        return r["dataset"].split("-")[0]

    lines = [f"# Defect widths of {len(rows)} saved N = 33 fits (`symlens` defaults)", "",
             f"A pixel is blurred when its move's largest entry in the hidden basis is below {args.sharp} of "
             "its column's norm; a defect is a run of consecutive blurred pixels (`symlens.analysis."
             "smeared_defects`).", "",
             "| family | fits | below 0.95 | blurred pixels per failing fit (median, mean) | "
             "defect widths in failing fits (median, mean, max) | census walls per failing fit (mean) |",
             "|---|---|---|---|---|---|"]
    summary = {}
    for fam in ("gaussian", "legendre"):
        rs = [r for r in rows if family(r) == fam]
        bad = [r for r in rs if r["cos"] < 0.95]
        widths = [int(x) for r in bad for x in r["widths"].split()]
        summary[fam] = {"fits": len(rs), "failing": len(bad),
                        "blurred_median": float(np.median([r["blurred"] for r in bad])) if bad else None,
                        "blurred_mean": float(np.mean([r["blurred"] for r in bad])) if bad else None,
                        "width_median": float(np.median(widths)) if widths else None,
                        "width_mean": float(np.mean(widths)) if widths else None,
                        "width_max": max(widths, default=0),
                        "walls_mean": float(np.mean([r["census_walls"] for r in bad])) if bad else None}
        s = summary[fam]
        lines.append(f"| {fam} | {len(rs)} | {len(bad)} | {s['blurred_median']:.1f}, {s['blurred_mean']:.1f} | "
                     f"{s['width_median']:.1f}, {s['width_mean']:.2f}, {s['width_max']} | {s['walls_mean']:.2f} |")
    rho = spearmanr([r["blurred"] for r in rows], [r["cos"] for r in rows])[0]
    rho_fam = {fam: spearmanr([r["blurred"] for r in rows if family(r) == fam],
                              [r["cos"] for r in rows if family(r) == fam])[0] for fam in ("gaussian", "legendre")}
    summary["spearman_blurred_cos"] = float(rho)
    summary["spearman_by_family"] = {k: float(v) for k, v in rho_fam.items()}
    lines += ["", f"Spearman(blurred pixels, cos) over all {len(rows)} fits: {rho:.2f} "
              f"(Gaussian {rho_fam['gaussian']:.2f}, Legendre {rho_fam['legendre']:.2f}).",
              "", f"Code {git_sha()}; per-fit rows in `rows.csv`."]
    (out / "table.md").write_text("\n".join(lines) + "\n")
    (out / "summary.json").write_text(json.dumps({**summary, "sharp": args.sharp, "git": git_sha()}, indent=1))
    plot(rows, out / "widths.png", family)
    print("\n".join(lines))


def plot(rows, path: Path, family) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(9, 3.4), dpi=150)
    for fam, colour in (("gaussian", "tab:blue"), ("legendre", "tab:orange")):
        rs = [r for r in rows if family(r) == fam]
        ax[0].scatter([r["blurred"] for r in rs], [r["cos"] for r in rs], s=16, color=colour, label=fam)
        widths = [int(x) for r in rs if r["cos"] < 0.95 for x in r["widths"].split()]
        ax[1].hist(widths, bins=np.arange(0.5, len(rows[0]["census_chain"]) + 1.5), alpha=0.6, color=colour, label=fam)
    ax[0].set_xlabel("blurred pixels of the generator")
    ax[0].set_ylabel("cos with the true generator")
    ax[0].axhline(0.95, color="grey", lw=0.8, ls=":")
    ax[0].legend(frameon=False)
    ax[1].set_xlabel("defect width (pixels), fits below 0.95")
    ax[1].set_ylabel("defects")
    ax[1].legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()
