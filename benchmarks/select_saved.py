"""Would best-of-k restarts have chosen well?  Score saved single runs by the method's own
held-out objective and replay the choice.

    python benchmarks/select_saved.py results/cpu/time_to_accuracy/gaussian-permuted-n7/per-dim \
        --dim 7 --data 'scale_range=[0.2,1.0]' [--k 3]

Every ``<runs>/<dataset>/seed<k>/`` saved by ``time_to_accuracy.py --out`` with its
``checkpoint/`` is reloaded (model and both estimators), its training set regenerated as
``time_to_accuracy.py`` drew it, and the final objective (eq. 13 at τ = 1,
:meth:`symlens.lens.SymmetryLens.objective`) taken on one common held-out set per dataset.
For every window of k consecutive seeds, the fit with the lowest loss is the one
:func:`symlens.restarts.fit_best_of` would keep (it never sees the true generator); the
table gives its cosine beside the window's best.  Writes ``<runs>/selection.md``.
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

from time_to_accuracy import key_values  # noqa: E402

HELD_OUT_SEED = 1_000_003


def score_runs(runs_dir: Path, dim: int, data_kw: dict) -> list[dict]:
    import torch

    from symlens.config import LensConfig
    from symlens.data import make_dataset
    from symlens.lens import SymmetryLens
    from symlens.metrics import cosine_without_exit
    from symlens.train import Trainer

    torch.set_flush_denormal(True)
    rows, held = [], {}
    for path in sorted(runs_dir.glob("*/seed*/metrics.json")):
        d = path.parent
        m = json.loads(path.read_text())
        cfg = LensConfig.from_dict(m["config"])
        prov = m["provenance"]
        name, seed = prov["dataset"], int(prov["seed"])
        if not (d / "checkpoint").exists():
            raise SystemExit(f"{d} has no checkpoint/: the estimators are needed to score it")
        tr = Trainer(cfg, dim, seed=seed, device="cpu")
        tr.load_checkpoint(d / "checkpoint")
        X = make_dataset(name, cfg.training_samples, dim=dim, seed=seed, **data_kw).X
        lens = SymmetryLens.from_trainer(tr, X)
        if name not in held:
            held[name] = make_dataset(name, 8 * cfg.batch_size, dim=dim, seed=HELD_OUT_SEED, **data_kw).X
        a = np.load(d / "arrays.npz")
        rows.append({"dataset": name, "seed": seed, "cos": float(m["metrics"]["cosine_similarity"]),
                     "cos_without_exit": cosine_without_exit(a["generator"], a["true_generator"]),
                     "held_out_loss": lens.objective(held[name])["total"]})
        print(f"{name} seed {seed}: cos {rows[-1]['cos']:.3f}, held-out loss {rows[-1]['held_out_loss']:+.4f}",
              flush=True)
    if not rows:
        raise SystemExit(f"no saved runs under {runs_dir}")
    return rows


def windows(rows: list[dict], k: int) -> list[dict]:
    """For each dataset and each run of k consecutive seeds: the seed the loss keeps."""
    out = []
    for name in sorted({r["dataset"] for r in rows}):
        fits = sorted((r for r in rows if r["dataset"] == name), key=lambda r: r["seed"])
        for i in range(len(fits) - k + 1):
            win = fits[i:i + k]
            if [r["seed"] for r in win] != list(range(win[0]["seed"], win[0]["seed"] + k)):
                continue
            kept = min(win, key=lambda r: r["held_out_loss"])
            out.append({"dataset": name, "seeds": f"{win[0]['seed']}–{win[-1]['seed']}", "kept seed": kept["seed"],
                        "kept cos": kept["cos"], "best cos": max(r["cos"] for r in win)})
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs")
    p.add_argument("--dim", type=int, default=33)
    p.add_argument("--data", nargs="+", action="extend", default=[], metavar="KEY=VALUE")
    p.add_argument("--k", type=int, default=3)
    args = p.parse_args(argv)
    if args.k < 1:
        raise SystemExit(f"--k must be at least 1, got {args.k}")
    runs_dir = Path(args.runs)
    data_kw = key_values(args.data)
    rows = score_runs(runs_dir, args.dim, data_kw)
    lines = ["| dataset | seed | cos | cos without exit | held-out loss |", "|---|---|---|---|---|"]
    lines += [f"| {r['dataset']} | {r['seed']} | {r['cos']:.3f} | {r['cos_without_exit']:.3f} | "
              f"{r['held_out_loss']:+.4f} |" for r in sorted(rows, key=lambda r: (r["dataset"], r["seed"]))]
    win = windows(rows, args.k)
    lines += ["", f"Best of {args.k} consecutive seeds, kept by the lowest held-out loss:", "",
              "| dataset | seeds | kept seed | kept cos | best cos |", "|---|---|---|---|---|"]
    lines += [f"| {w['dataset']} | {w['seeds']} | {w['kept seed']} | {w['kept cos']:.3f} | {w['best cos']:.3f} |"
              for w in win]
    if win:
        lines += ["", f"The loss keeps the window's best fit in {sum(w['kept cos'] == w['best cos'] for w in win)} "
                  f"of {len(win)} windows; the kept fit reaches 0.95 in {sum(w['kept cos'] >= 0.95 for w in win)}."]
    (runs_dir / "selection.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
