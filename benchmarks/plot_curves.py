"""Plot every saved time-to-accuracy run (results/<profile>/time_to_accuracy/<dataset>/seed<k>/)
and write a summary table, for benchmarks/README.md and the book's convergence page.

    python benchmarks/plot_curves.py

Writes figures/curve.png next to each run and results/time_to_accuracy.md.
"""

from __future__ import annotations

from symlens import io, plotting
from symlens.io import repo_root

THRESHOLDS = (0.5, 0.9, 0.95, 0.99)


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
        row = {"profile": prov["profile"], "dataset": prov["dataset"], "seed": prov["seed"],
               "device": f"{prov['device']} ({prov['hardware']})", "batch": cfg["batch_size"],
               "model lr": cfg["model_lr"], "estimator lr": cfg["estimator_lr"], "steps": int(hist["step"][-1]),
               "train s": round(float(secs[-1])), "final cos": round(float(cos[-1]), 3),
               "final RMSE": round(float(hist["rmse"][-1]), 3)}
        for t in THRESHOLDS:
            hit = [float(s) for c, s in zip(cos, secs) if c >= t]
            row[f"s to {t}"] = round(hit[0]) if hit else "not reached"
        row["git"], row["date"] = prov["git"], prov["date"][:10]
        rows.append(row)
    table = plotting.markdown_table(rows) if rows else "(no saved runs)"
    (root / "time_to_accuracy.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
