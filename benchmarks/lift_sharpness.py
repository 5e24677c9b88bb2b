"""Are the failing N = 33 lifts mis-ordered or blurred?  (No training; a diagnostic that
reads the hidden basis.)

    python benchmarks/lift_sharpness.py --out results/lab/lift_sharpness

For every saved N = 33 fit of the defaults (the fits :mod:`snap_offline` reads: one per
dataset and seed, and both candidates of every best-of-two call) it takes the lift's pixel
estimates (the polar factor of the rows crop(G^k ψ̂), :func:`symlens.seriation.pixel_estimates`)
and measures

* **sharpness**: the mean over the estimates of their largest entry in the hidden basis,
  |Qᵀu|_max (1 for a pixel; 1/√2 for an even mixture of two),
* **pixels**: how many distinct hidden pixels are some estimate's largest entry,
* **step shares**: the share of G's squared weight, read in the hidden basis, that moves a
  pixel by one step, by two, and by more than four (``step1``, ``step2``, ``beyond4``),
* **uneven** and **folds**: how far the lift's steps (the centroids of the rows crop(G^k ψ̂)
  in the hidden basis) are from one pixel each, on average, and how many go backwards
  (:func:`chain_pace`),
* **cos, true order**: cos of the chain through the same estimates put in the order of
  their largest entry, with signs from the truth (:func:`symlens.seriation.chain_generator`,
  the better of the two directions).  If a fit failed by its order alone, this recovers it.

Writes ``table.csv``, ``table.md`` and ``sharpness.png`` (cos against sharpness; cos in the
true order against cos as trained).

    python benchmarks/lift_sharpness.py --out results/lab/alignment_kz \
        --lab results/lab/legendre_noise/runs.jsonl:ser08 results/lab/alignment_kz/runs.jsonl:ser08-a3-kz

measures the same on laboratory fits instead (``<runs.jsonl>:<setting>``: that arm's fits on the
(dataset, seed) pairs every arm holds; the hidden basis is redrawn from the run's dataset,
dimension and data seed) and writes ``sharpness.md``: per arm
the mean cos, sharpness, step shares and cos in the true order.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from snap_offline import crop, fits, write_tables  # noqa: E402
from symlens.analysis import hidden_basis  # noqa: E402
from symlens.io import git_sha  # noqa: E402
from symlens.metrics import generator_cosine_similarity  # noqa: E402
from symlens.seriation import chain_generator, lift_rows, pixel_estimates  # noqa: E402


def one(source, dataset, seed, cand, G_big, psi, Q, truth) -> dict:
    N = Q.shape[0]
    padding = (G_big.shape[0] - N) // 2
    rows = lift_rows(G_big, psi, padding)
    U = pixel_estimates(rows)
    H = U @ Q  # (N, N): estimate i in the hidden basis
    peak = np.abs(H).argmax(axis=1)
    order = np.argsort(peak, kind="stable")
    signs = np.sign(H[order, peak[order]])
    V = U[order] * signs[:, None]
    cos_true_order = max(generator_cosine_similarity(crop(chain_generator(W, padding)[0], padding), truth)
                         for W in (V, V[::-1].copy()))
    pace = chain_pace(rows @ Q)
    Gh = hidden_basis(crop(G_big, padding), Q)
    offset = np.abs(np.subtract.outer(np.arange(N), np.arange(N)))
    share = {f"step{k}": float(np.square(Gh[offset == k]).sum() / np.square(Gh).sum()) for k in (1, 2)}
    share["beyond4"] = float(np.square(Gh[offset > 4]).sum() / np.square(Gh).sum())
    return {"source": source, "dataset": dataset, "seed": seed, "candidate": cand, **share,
            "cos": generator_cosine_similarity(crop(G_big, padding), truth),
            "sharpness": float(np.abs(H).max(axis=1).mean()), "pixels": int(len(set(peak.tolist()))),
            "cos_true_order": cos_true_order, **pace}


def chain_pace(rows) -> dict:
    """How evenly the lift advances: ``rows`` (N, N) are the lift's rows crop(G^k ψ̂) in the
    hidden basis, in order of k.  Each row's position is the centroid of its squared entries
    (its normalised energy); the chain's direction is the sign of the median step.

    ``uneven``: the mean of |step − 1| over the N − 1 steps, read in that direction (0 for an
    exact shift; a stretch at half a pixel per power and a two-pixel jump both add 0.5 or 1);
    ``folds``: how many steps go backwards.
    """
    w = np.square(rows)
    centre = (w * np.arange(rows.shape[1])).sum(axis=1) / w.sum(axis=1)
    steps = np.diff(centre)
    steps = steps * (np.sign(np.median(steps)) or 1.0)
    return {"uneven": float(np.abs(steps - 1).mean()), "folds": int((steps < 0).sum())}


def figure(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    for family, marker in (("gaussian", "o"), ("legendre", "x")):
        g = [r for r in rows if r["dataset"].startswith(family)]
        cos = np.array([r["cos"] for r in g])
        axes[0].scatter([r["sharpness"] for r in g], cos, marker=marker, s=24, label=f"{family} datasets")
        axes[1].scatter(cos, [r["cos_true_order"] for r in g], marker=marker, s=24, label=f"{family} datasets")
    axes[0].set_xlabel("sharpness of the pixel estimates (mean largest entry in the hidden basis)")
    axes[0].set_ylabel("cos of the fit")
    axes[1].plot([0, 1], [0, 1], color="0.6", lw=0.8)
    axes[1].set_xlabel("cos of the fit")
    axes[1].set_ylabel("cos of the chain in the true order")
    for ax in axes:
        ax.axhline(0.95, color="0.6", ls=":", lw=0.8)
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def markdown(rows) -> str:
    lines = ["| family | fits | mean cos | mean cos, true order | sharpness (fits ≥ 0.95) | sharpness (fits < 0.95) | pixels reached (< 0.95) |",
             "|---|---|---|---|---|---|---|"]
    for family in ("gaussian", "legendre"):
        g = [r for r in rows if r["dataset"].startswith(family)]
        good = [r["sharpness"] for r in g if r["cos"] >= 0.95]
        bad = [r for r in g if r["cos"] < 0.95]
        span = lambda v: f"{min(v):.2f}-{max(v):.2f}" if v else "none"  # noqa: E731
        lines.append(f"| {family} | {len(g)} | {np.mean([r['cos'] for r in g]):.3f} | "
                     f"{np.mean([r['cos_true_order'] for r in g]):.3f} | {span(good)} | "
                     f"{span([r['sharpness'] for r in bad])} | {span([r['pixels'] for r in bad]).replace('.00', '')} |")
    r = np.corrcoef([x["sharpness"] for x in rows], [x["cos"] for x in rows])[0, 1]
    worst = sorted((x for x in rows if x["dataset"].startswith("legendre")), key=lambda x: x["cos"])[:5]
    span = lambda k: f"{100 * min(x[k] for x in worst):.0f}-{100 * max(x[k] for x in worst):.0f} %"  # noqa: E731
    lines += ["", f"{len(rows)} saved N = 33 fits of the defaults; correlation of sharpness and cos {r:.2f}. "
              f"On the five worst Legendre fits (cos {worst[0]['cos']:.3f}-{worst[-1]['cos']:.3f}) G moves a pixel by one "
              f"step with {span('step1')} of its weight, by two with {span('step2')}, by more than four with "
              f"{span('beyond4')}. This table by `benchmarks/lift_sharpness.py` at {git_sha()}."]
    return "\n".join(lines) + "\n"


def lab_rows(specs) -> list[dict]:
    """:func:`one` for every laboratory fit of each ``<runs.jsonl>:<setting>`` arm, on the
    (dataset, seed) pairs all arms hold; each row also carries ``arm``."""
    from small_n_lab import lab_dataset, read_runs

    arms = []
    for spec in specs:
        path, _, setting = spec.rpartition(":")
        runs = [r for r in read_runs(path) if r["setting"] == setting]
        if not runs:
            raise ValueError(f"no fits of setting {setting!r} in {path}")
        arms.append((setting, {(r["dataset"], r["seed"]): r for r in runs}))
    shared = sorted(set.intersection(*(set(by) for _, by in arms)))
    rows = []
    for setting, by in arms:
        for key in shared:
            r = by[key]
            data = lab_dataset(r["dataset"], 8, r["dim"], r["data_seed"])
            rows.append({"arm": setting, "dim": r["dim"], **one("lab", r["dataset"], r["seed"], r["seed"], np.array(r["generator_full"]),
                                                np.array(r["filter"]), data.transform, data.generator)})
    return rows


def lab_markdown(rows) -> str:
    lines = ["| arm | fits | mean cos | sharpness | step 1 | step 2 | beyond 4 | uneven | folds | cos, true order |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for arm in dict.fromkeys(r["arm"] for r in rows):
        g = [r for r in rows if r["arm"] == arm]
        mean = lambda k: np.mean([r[k] for r in g])  # noqa: E731
        lines.append(f"| {arm} | {len(g)} | {mean('cos'):.3f} | {mean('sharpness'):.3f} | {mean('step1'):.2f} | "
                     f"{mean('step2'):.2f} | {mean('beyond4'):.2f} | {mean('uneven'):.2f} | {mean('folds'):.1f} | "
                     f"{mean('cos_true_order'):.3f} |")
    keys = sorted({(r["dataset"], r["seed"]) for r in rows})
    dims = ", ".join(str(n) for n in sorted({r["dim"] for r in rows}))
    lines += ["", f"Laboratory fits (N = {dims}; {', '.join(sorted({d for d, _ in keys}))}, seeds "
              f"{min(s for _, s in keys)}-{max(s for _, s in keys)}), "
              "the same (dataset, seed) pairs in every arm. Sharpness: the mean largest entry of the lift's pixel "
              "estimates in the hidden basis; step k: the share of G's squared weight, read in the hidden basis, that "
              "moves a pixel k steps; uneven: the mean distance of the lift's steps from one pixel (the centroid of "
              "each row crop(G^k ψ̂) in the hidden basis; 0 for an exact shift); folds: steps that go backwards a fit; "
              "cos, true order: the chain through the same estimates put in the true order. "
              f"This table by `benchmarks/lift_sharpness.py --lab` at {git_sha()}."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for table.csv, table.md, sharpness.png")
    ap.add_argument("--lab", nargs="+", default=None, metavar="RUNS:SETTING",
                    help="laboratory arms instead of the saved N = 33 fits: writes <out>/sharpness.md")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.lab:
        text = lab_markdown(lab_rows(args.lab))
        (args.out / "sharpness.md").write_text(text)
        print(text)
        return 0
    rows = [one(*item) for item in fits()]
    text = markdown(rows)
    write_tables(args.out, rows, text)
    figure(rows, args.out / "sharpness.png")
    (args.out / "provenance.json").write_text(json.dumps({"code": git_sha()}, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
