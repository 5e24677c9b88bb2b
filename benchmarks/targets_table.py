"""The convergence targets table: every saved run of a recipe beside the faithful `cpu`
run of the same dataset and seed (where there is one).

    python benchmarks/targets_table.py [--runs results/cpu/recipe] [--faithful results/cpu/03_accuracy/runs]
                                       [--seconds 900]

For each ``<runs>/<dataset>/seed<k>/`` (``metrics.json`` + ``arrays.npz``, as
``time_to_accuracy.py --out`` saves them) it reports the final cosine similarity, the
seconds to reach 0.95, the training seconds, the defect chain of the learned generator and
whether the target (cos ≥ 0.95 within ``--seconds``: 900 for N = 33, 300 for the
7-dimensional set-up) is met, with the faithful run's cosine beside it.  Writes ``<runs>/targets.md`` and ``<runs>/targets.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TARGET_COS = 0.95


def read_run(path: Path) -> dict:
    from symlens.analysis import defect_census
    from symlens.metrics import cosine_without_exit

    m = json.loads((path / "metrics.json").read_text())
    a = np.load(path / "arrays.npz")
    cos = a["history_cosine_similarity"]
    secs = a["history_elapsed_s"]
    hit = np.nonzero(cos >= TARGET_COS)[0]
    cfg = m["config"]
    from symlens.config import PROFILES, RECIPES

    faithful = RECIPES["faithful"]
    # JSON keeps 4 and 4.0 apart; a setting is written the same way whichever was saved
    show = lambda v: f"{v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)  # noqa: E731
    same = lambda a, b: (list(a) if isinstance(a, (list, tuple)) else a) == (list(b) if isinstance(b, (list, tuple)) else b)  # noqa: E731
    options = ", ".join(f"{k}={show(cfg[k])}" for k in faithful if k in cfg and not same(cfg[k], faithful[k]))
    cpu = PROFILES["cpu"]
    changed = [f"{k}={show(cfg[k])}" for k in ("batch_size", "hidden", "epochs", "estimator_lr", "model_lr", "lr_decay",
                                               "polish_steps", "polish_lr_scale")
               if k in cfg and cfg[k] != getattr(cpu, k)]
    # the loss's weights and their schedules live one level down (a changed α is an option too)
    loss = cfg.get("loss", {})
    changed += [f"{k}={show(v)}" for k, v in loss.items() if hasattr(cpu.loss, k) and not same(v, getattr(cpu.loss, k))]
    options = ", ".join(filter(None, [options, *changed]))
    prov = m["provenance"]
    return {
        "dataset": prov["dataset"], "seed": int(prov["seed"]),
        "cos": float(m["metrics"]["cosine_similarity"]),
        "cos_without_exit": cosine_without_exit(a["generator"], a["true_generator"]),
        "s_to_0.95": float(secs[hit[0]]) if hit.size else None,
        "train_s": float(prov.get("train_time_s", secs[-1])),
        "steps": int(m["metrics"]["steps"]),
        "N": int(a["generator"].shape[0]),
        "chain": defect_census(a["generator"], a["transform"])["chain"],
        "options": options or "faithful",
        "git": prov["git"], "hardware": prov["hardware"], "torch": prov["torch"],
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", default=str(REPO / "results" / "cpu" / "recipe"))
    p.add_argument("--faithful", default=str(REPO / "results" / "cpu" / "03_accuracy" / "runs"))
    p.add_argument("--seconds", type=float, default=900.0, help="the target's time limit")
    p.add_argument("--baseline", default=None,
                   help="another runs folder (e.g. the defaults' runs-symlens): its cos for the same dataset, seed and N "
                        "becomes a column")
    p.add_argument("--baseline-name", default="baseline", help="that column's name (with ' cos')")
    args = p.parse_args(argv)
    runs_dir, faithful_dir = Path(args.runs), Path(args.faithful)
    baseline_dir = Path(args.baseline) if args.baseline else None

    def same_n_cos(folder: Path, r: dict):
        ref = folder / r["dataset"] / f"seed{r['seed']}" / "metrics.json"
        if not ref.exists() or np.load(ref.parent / "arrays.npz")["generator"].shape[0] != r["N"]:
            return None
        return float(json.loads(ref.read_text())["metrics"]["cosine_similarity"])

    rows = []
    for run in sorted(runs_dir.glob("**/seed*/metrics.json")):
        r = {"setting": run.parent.parent.parent.relative_to(runs_dir).as_posix(), **read_run(run.parent)}
        r["faithful_cos"] = same_n_cos(faithful_dir, r)
        if baseline_dir is not None:
            r["baseline_cos"] = same_n_cos(baseline_dir, r)
        r["target met"] = bool(r["s_to_0.95"] is not None and r["s_to_0.95"] <= args.seconds)
        rows.append(r)
    if not rows:
        raise SystemExit(f"no saved runs under {runs_dir}")
    fmt = lambda v, f: "–" if v is None else format(v, f)  # noqa: E731
    by_setting = any(r["setting"] != "." for r in rows)
    head = "| setting | options " if by_setting else ""
    limit = f"{args.seconds / 60:g} min"
    base_head = f" {args.baseline_name} cos |" if baseline_dir else ""
    lines = [head + f"| dataset | seed | cos | cos without exit | faithful cos |{base_head} s to 0.95 | train s | ≥ 0.95 in {limit} | learned chain (hidden basis) |",
             "|---|---" * by_setting + "|---|---|---|---|---|" + "---|" * bool(baseline_dir) + "---|---|---|---|"]
    for r in rows:
        lead = f"| {r['setting']} | {r['options']} " if by_setting else ""
        base = f" {fmt(r['baseline_cos'], '.3f')} |" if baseline_dir else ""
        lines.append(lead + f"| {r['dataset']} | {r['seed']} | {r['cos']:.3f} | {r['cos_without_exit']:.3f} | {fmt(r['faithful_cos'], '.3f')} |{base} "
                     f"{fmt(r['s_to_0.95'], '.0f')} | {r['train_s']:.0f} | {'yes' if r['target met'] else 'no'} | "
                     f"`{r['chain']}` |")
    met = sum(r["target met"] for r in rows)
    hw = sorted({f"{r['hardware']}, torch {r['torch']}" for r in rows})
    options = "" if by_setting else " Options: " + "; ".join(sorted({r['options'] for r in rows})) + "."
    lines += ["", f"{met} of {len(rows)} saved runs meet the target.{options} `cpu` profile with those changes, "
              + " / ".join(f"{s:,}".replace(",", " ") for s in sorted({r['steps'] for r in rows})) + " steps, "
              f"N = {', '.join(str(n) for n in sorted({r['N'] for r in rows}))}; hardware: {'; '.join(hw)}; code: " + ", ".join(sorted({r['git'] for r in rows}))
              + ". Faithful cos: the `cpu` Table 2 run of the same dataset and seed."
              + (f" {args.baseline_name.capitalize()} cos: the run of the same dataset and seed in "
                 f"`{baseline_dir.resolve().relative_to(REPO).as_posix() if baseline_dir.resolve().is_relative_to(REPO) else baseline_dir}`."
                 if baseline_dir else "")
              + " Cos without exit: the "
              "same with the direction the true shift sends out of the window left out "
              "(`symlens.metrics.cosine_without_exit`), which the loss cannot see."]
    (runs_dir / "targets.md").write_text("\n".join(lines) + "\n")
    with (runs_dir / "targets.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
