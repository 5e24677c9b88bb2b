"""Plot every saved time-to-accuracy run (results/<profile>/time_to_accuracy/<dataset>/seed<k>/)
and every schedule-sweep run (results/<profile>/sweep/<variant>/<dataset>/seed<k>/), and write
summary tables, for benchmarks/README.md and the book's convergence page.

    python benchmarks/plot_curves.py

Writes figures/curve.png next to each time-to-accuracy run, results/time_to_accuracy.md,
and per profile results/<profile>/sweep/sweep.png and sweep.md.
"""

from __future__ import annotations

import numpy as np

from symlens import io, plotting
from symlens.io import repo_root

THRESHOLDS = (0.5, 0.9, 0.95, 0.99)
#: sweep runs are compared at equal step counts: their wall seconds were shared (see the
#: lease's README under results/gpu/)
COMPARE_AT = (2000, 3600, 5700)


def _cos_at(steps: np.ndarray, cos: np.ndarray, step: int):
    i = np.searchsorted(steps, step)
    return float(cos[i]) if i < len(steps) and steps[i] == step else None


def sweeps(root) -> None:
    for sweep_dir in sorted(root.glob("*/sweep")):
        groups, rows = {}, []
        for variant_dir in sorted(p for p in sweep_dir.iterdir() if p.is_dir()):
            for ds_dir in sorted(p for p in variant_dir.iterdir() if p.is_dir()):
                runs = [io.load_run(d) for d in sorted(ds_dir.glob("seed*")) if (d / "metrics.json").exists()]
                if not runs:
                    continue
                curves = [(r["arrays"]["history_step"], r["arrays"]["history_cosine_similarity"]) for r in runs]
                if ds_dir.name == "gaussian-translation":
                    groups[variant_dir.name] = curves
                cfg, prov = runs[0]["config"], runs[0]["provenance"]
                row = {"variant": variant_dir.name, "dataset": ds_dir.name, "seeds": len(runs),
                       "batch": cfg["batch_size"], "steps run": f"{int(min(c[0][-1] for c in curves))} of "
                                                               f"{cfg['epochs'] * cfg['steps_per_epoch']}"}
                for step in COMPARE_AT:
                    vals = [v for v in (_cos_at(s, c, step) for s, c in curves) if v is not None]
                    row[f"cos @ {step}"] = (f"{np.mean(vals):.3f} ({min(vals):.2f}-{max(vals):.2f})"
                                            if len(vals) == len(curves) else "-")
                row["device"] = f"{prov['device']} ({prov['hardware']})"
                row["torch"], row["git"], row["date"] = prov["torch"], prov["git"], prov["date"][:10]
                rows.append(row)
        if groups:
            fig = plotting.curve_groups(groups, title=f"{sweep_dir.parent.name} profile, one knob changed "
                                                      "(gaussian-translation, seeds 0-2)")
            plotting.save_figure(fig, sweep_dir, "sweep")
        table = plotting.markdown_table(rows) if rows else "(no sweep runs)"
        (sweep_dir / "sweep.md").write_text("Cosine similarity at equal steps: mean over seeds (min-max).\n\n"
                                            + table + "\n")
        print(table)


def main() -> None:
    root = repo_root() / "results"
    rows = []
    for metrics in sorted(root.glob("*/time_to_accuracy/*/seed*/metrics.json")):
        d = metrics.parent
        run = io.load_run(d)
        a, prov = run["arrays"], run["provenance"]
        hist = {k[len("history_"):]: v for k, v in a.items() if k.startswith("history_")}
        title = (f"{prov['dataset']}, profile {prov['profile']} (model lr {run['config']['model_lr']:g}), "
                 f"seed {prov['seed']}, {prov['device']} ({prov['hardware']})")
        fig = plotting.history_curves(
            hist, ["cosine_similarity", "rmse", "total", ["alignment", "uniformity", "resolution"]],
            x="step", ncols=4, suptitle=title,
        )
        plotting.save_figure(fig, d, "curve")
        cos, secs = hist["cosine_similarity"], hist["elapsed_s"]
        cfg = run["config"]
        row = {"profile": prov["profile"], "dataset": prov["dataset"], "N": a["true_generator"].shape[0],
               "loss": prov.get("variant", "-"), "seed": prov["seed"],
               "device": f"{prov['device']} ({prov['hardware']})", "batch": cfg["batch_size"],
               "model lr": f"{cfg['model_lr']:g}", "estimator lr": f"{cfg['estimator_lr']:g}", "steps": int(hist["step"][-1]),
               "train s": round(float(secs[-1])), "final cos": round(float(cos[-1]), 3),
               "final RMSE": round(float(hist["rmse"][-1]), 3)}
        for t in THRESHOLDS:
            hit = [float(s) for c, s in zip(cos, secs) if c >= t]
            row[f"s to {t}"] = round(hit[0]) if hit else "not reached"
        row["torch"], row["git"], row["date"] = prov["torch"], prov["git"], prov["date"][:10]
        rows.append(row)
    table = plotting.markdown_table(rows) if rows else "(no saved runs)"
    (root / "time_to_accuracy.md").write_text(table + "\n")
    print(table)
    sweeps(root)


if __name__ == "__main__":
    main()
