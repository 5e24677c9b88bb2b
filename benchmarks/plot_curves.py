"""Plot every saved time-to-accuracy run (results/<profile>/time_to_accuracy/<dataset>/seed<k>/)
and every schedule-sweep run (results/<profile>/sweep/<variant>/<dataset>/seed<k>/), and write
summary tables, for benchmarks/README.md and the book's convergence page.

    python benchmarks/plot_curves.py

Writes figures/curve.png next to each time-to-accuracy run, results/time_to_accuracy.md,
and per profile results/<profile>/sweep/sweep.png and sweep.md.
"""

from __future__ import annotations

import json

import numpy as np

from symlens import io, plotting
from symlens.io import repo_root

THRESHOLDS = (0.5, 0.9, 0.95, 0.99)
#: sweep runs are compared at equal step counts: their wall seconds were shared (see the
#: lease's README under results/gpu/)
COMPARE_AT = (2000, 3600, 5700)


#: Human names of the logged quantities (the history_* arrays of a saved run).
LABELS = {
    "cosine_similarity": "cosine similarity",
    "rmse": "RMSE",
    "total": "total loss (eq. 13)",
    "alignment": "alignment (eq. 9)",
    "uniformity": "uniformity (eqs. 7–8)",
    "resolution": "resolution (eqs. 10–11)",
    "information": "information preservation (eq. 12)",
}

#: Names of the configuration knobs that the sweep's variants change.
KNOBS = {"batch_size": "batch", "epochs": "epochs", "estimator_lr": "estimator lr", "model_lr": "model lr",
         "lr_decay": "lr decay factor", "noise_decay_epochs": "filter-noise decay, epochs"}


def variant_label(name: str, config: dict, baseline: dict | None) -> str:
    """A sweep variant named by what it changes against the baseline's configuration,
    e.g. "batch 1023 → 2046" (the folder name when there is no baseline to compare with)."""
    if baseline is None or name == "baseline":
        return name
    changed = [f"{KNOBS.get(k, k)} {baseline[k]:g} → {config[k]:g}" for k in KNOBS
               if k in config and k in baseline and config[k] != baseline[k]]
    return ", ".join(changed) or name


def curve_figure(hist: dict, title: str):
    """The four panels of one run: the learned generator against the true one (cosine
    similarity, RMSE), the total loss with the training time τ that opens the rank window
    (eqs. 18–19), and the loss terms; 2 × 2, with axis labels and fonts readable at page width."""
    terms = [k for k in ("alignment", "uniformity", "resolution", "information") if k in hist]
    fig = plotting.history_curves(
        hist, ["cosine_similarity", "rmse", "total", terms], x="step", ncols=2, suptitle=title, labels=LABELS,
        titles=["learned G against the true G", "learned G against the true G", "total loss and τ",
                "loss terms (before α, β, γ, δ)"],
        ylabels=["cosine similarity", "RMSE", "total loss (eq. 13)", "loss term"],
        xlabel="training step", fontsize=12, panel_size=(4.9, 3.6),
    )
    if "tau" in hist:  # the rank window's clock on a second axis of the total-loss panel
        ax = fig.axes[2]
        ax2 = ax.twinx()
        ax2.plot(hist["step"], hist["tau"], color="0.45", ls="--", lw=1.5, label="training time τ (right axis)")
        ax2.set_ylim(0, 1.05)
        ax2.set_ylabel("τ (eq. 18)", fontsize=12, color="0.35")
        ax2.tick_params(labelsize=11, colors="0.35")
        lines = ax.get_lines() + ax2.get_lines()
        ax.legend(lines, ["total loss", "τ (right axis)"], fontsize=11, loc="lower right")
    return fig


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
                cfg, prov = runs[0]["config"], runs[0]["provenance"]
                if ds_dir.name == "gaussian-translation":
                    base = sweep_dir / "baseline" / ds_dir.name / "seed0" / "metrics.json"
                    base_cfg = json.loads(base.read_text())["config"] if base.exists() else None
                    groups[variant_label(variant_dir.name, cfg, base_cfg)] = curves
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
            fig = plotting.curve_groups(groups, xlabel="training step",
                                        ylabel="cosine similarity of the learned generator",
                                        title=f"{sweep_dir.parent.name} profile, one knob changed "
                                              "(gaussian-translation, seeds 0–2)",
                                        figsize=(9.0, 5.4), fontsize=12)
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
        plotting.save_figure(curve_figure(hist, title), d, "curve")
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
