"""What best-of-k restarts cost and buy, from a small-N lab study's saved fits.

For each (setting, dataset, N) group of n fits (different seeds), and each k = 1..n: the mean,
over all k-subsets of the fits, of the cosine similarity of the fit the method itself would
keep (the lowest held-out loss, eq. 13 at τ = 1; never the true generator), the chance that
the kept fit reaches 0.95, and the cost (k times the mean seconds of one fit, one thread).
Writes ``restarts.md`` beside the study's runs.

    python benchmarks/restart_selection.py results/lab/n33_restarts [more studies ...] [--refit]

``--refit`` also scores every fit the way the objective check does: estimators refitted to
the fit's lift on one common training set per dataset and the loss taken on one common
held-out set (:func:`symlens.objective.held_out_objective`), so that no fit is judged by its
own, differently trained estimators.  The scores are saved in ``refit.json`` (reused when
present) and the table gains the selection by that score.

``--recentre`` scores every fit the same way after moving its filter to the middle of its own
chain (:func:`symlens.recentre.recentre_filter`, which reads only G and ψ): the lift then
visits the whole window, so defects the fit's own filter position hid from the loss count
(convergence page, "what the loss sees").  Saved in ``recentred.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from small_n_lab import lab_dataset, read_runs  # noqa: E402

from symlens.analysis import unseen_defects  # noqa: E402


def selection_curve(fits: list[dict], target: float = 0.95, scores: tuple[str, ...] = ("held_out_total",)) -> list[dict]:
    """One row per k: for each score, the mean cos of the fit it keeps (lowest score) and
    P(kept ≥ target); and the mean best cos (an oracle, for scale)."""
    out = []
    for k in range(1, len(fits) + 1):
        subs = list(itertools.combinations(fits, k))
        row = {"k": k, "subsets": len(subs)}
        for key in scores:
            kept = np.array([min(sub, key=lambda r: r[key])["cos"] for sub in subs])
            label = {"held_out_total": "", "refit_total": " (refit)", "recentred_total": " (recentred)"}[key]
            row[f"mean kept cos{label}"] = float(kept.mean())
            row[f"P(kept ≥ {target}){label}"] = float((kept >= target).mean())
        row["mean best cos"] = float(np.mean([max(r["cos"] for r in sub) for sub in subs]))
        out.append(row)
    return out


def recentred(G_big, psi, padding: int) -> np.ndarray:
    """The filter ψ (N,) moved to the middle of the chain of G_big (M, M), rescaled to its norm."""
    import torch

    from symlens.recentre import recentre_filter

    moved = torch.tensor(np.asarray(psi, np.float64))
    recentre_filter(moved, torch.tensor(np.asarray(G_big, np.float64)), padding)
    return moved.numpy()


def refit_scores(rows: list[dict], cache: Path, estimator_steps: int = 400, recentre: bool = False) -> None:
    """Add ``refit_total`` (``recentred_total`` with ``recentre``) to every row: the held-out
    loss at τ = 1 with estimators refitted on common data (one training and one held-out set
    per dataset and N), the filter first moved to the chain's middle with ``recentre``."""
    import torch

    from symlens.config import LensConfig
    from symlens.objective import held_out_objective

    torch.set_flush_denormal(True)
    saved = json.loads(cache.read_text()) if cache.exists() else {}
    data = {}
    for r in rows:
        key = f"{r['setting']}|{r['dataset']}|{r['dim']}|{r['seed']}"
        if key not in saved:
            cfg = LensConfig.from_dict(r["config"])
            N = r["dim"]
            if (r["dataset"], N) not in data:
                data[r["dataset"], N] = (lab_dataset(r["dataset"], cfg.batch_size * 20, N, seed=0),
                                         lab_dataset(r["dataset"], cfg.batch_size * 4, N, seed=1_000_003))
            train, held = data[r["dataset"], N]
            G_big, psi = np.array(r["generator_full"]), np.array(r["filter"])
            if recentre:
                psi = recentred(G_big, psi, cfg.resolved_padding(N))
            terms = held_out_objective(G_big, psi, train.X, held.X, cfg, tau=1.0, estimator_steps=estimator_steps)
            saved[key] = terms["total"]
            cache.write_text(json.dumps(saved, indent=1))
            print(f"{'recentred' if recentre else 'refit'} {key}: {saved[key]:+.4f} (cos {r['cos']:.3f}, "
                  f"own {r['held_out_total']:+.4f})", flush=True)
        r["recentred_total" if recentre else "refit_total"] = saved[key]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("studies", nargs="+")
    p.add_argument("--refit", action="store_true", help="also select by a loss with refitted estimators")
    p.add_argument("--recentre", action="store_true",
                   help="also select by that loss with each fit's filter moved to the middle of its chain")
    args = p.parse_args(argv)
    scores = ("held_out_total",) + (("refit_total",) if args.refit else ()) + (("recentred_total",) if args.recentre else ())
    for study in map(Path, args.studies):
        rows = read_runs(study / "runs.jsonl")
        if args.refit:
            refit_scores(rows, study / "refit.json")
        if args.recentre:
            refit_scores(rows, study / "recentred.json", recentre=True)
        groups: dict[tuple, list[dict]] = {}
        for r in rows:
            groups.setdefault((r["setting"], r["dataset"], r["dim"]), []).append(r)
        # headings at level 4 so that the file can be included in a book page's section
        lines = [f"**Best-of-k restarts chosen by held-out loss: `{study.name}`**", ""]
        for (setting, dataset, N), fits in sorted(groups.items()):
            fits = sorted(fits, key=lambda r: r["seed"])
            sec = float(np.mean([r["seconds"] for r in fits]))
            kept = min(fits, key=lambda r: r["held_out_total"])
            refit = ""
            if args.refit:
                kept_refit = min(fits, key=lambda r: r["refit_total"])
                refit = f" Kept by the loss with refitted estimators: seed {kept_refit['seed']} (cos {kept_refit['cos']:.3f})."
            if args.recentre:
                kept_rc = min(fits, key=lambda r: r["recentred_total"])
                refit += (f" Kept by that loss with the filter recentred: seed {kept_rc['seed']} "
                          f"(cos {kept_rc['cos']:.3f}).")
            lines += [f"#### {setting}, {dataset}, N = {N}", "",
                      "Fits (seed: cos, held-out loss" + (", refitted" if args.refit else "")
                      + (", recentred" if args.recentre else "") + "): " + "; ".join(
                          f"{r['seed']}: {r['cos']:.3f}, {r['held_out_total']:.3f}"
                          + (f", {r['refit_total']:.3f}" if args.refit else "")
                          + (f", {r['recentred_total']:.3f}" if args.recentre else "") for r in fits)
                      + f". Kept by the loss with the fit's own estimators: seed {kept['seed']} (cos {kept['cos']:.3f}); best: "
                      f"{max(r['cos'] for r in fits):.3f}.{refit} One fit: {sec:.0f} s on one thread.", ""]
            Q = lab_dataset(dataset, 64, N, seed=0).transform
            seen = [(r["seed"], unseen_defects(np.array(r["generator"]), np.array(r["filter"]), Q)) for r in fits]
            lines += ["What the loss sees (filter peak, pixels its powers visit, defects, of them unseen): " + "; ".join(
                f"{sd}: {u['filter_peak']}, {u['visited'][0]}–{u['visited'][1]}, {len(u['defects'])}, {len(u['unseen'])}"
                for sd, u in seen) + ".", ""]
            curve = selection_curve(fits, scores=scores)
            cols = list(curve[0]) + ["cost (one-thread s)"]
            lines += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            for c in curve:
                lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in c.values())
                             + f" | {c['k'] * sec:.0f} |")
            lines.append("")
        (study / "restarts.md").write_text("\n".join(lines))
        print("\n".join(lines))


if __name__ == "__main__":
    main()
