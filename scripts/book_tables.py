"""Write the book's generated tables from saved results (never typed in by hand):

- book/_generated/provenance.md: for every saved notebook run results/<profile>/<NN_topic>/,
  its profile, loss variant, seed, commit, device, hardware and date;
- book/_generated/time_to_accuracy.md: the time-to-accuracy runs (benchmarks/plot_curves.py);
- book/_generated/table2_beyond_smoke.md: Table 2 of every profile other than smoke that
  notebook 03 has been run at (results/<profile>/03_accuracy/), run by run, with where each
  run was trained.

    python scripts/book_tables.py
"""

from __future__ import annotations

import json

from symlens.io import repo_root
from symlens.plotting import markdown_table


def table2_beyond_smoke(root) -> str:
    parts = []
    for m in sorted((root / "results").glob("*/03_accuracy/metrics.json")):
        saved = json.loads(m.read_text())
        summary = saved["metrics"]
        if summary["profile"] == "smoke":
            continue
        rows = []
        for e in summary["runs"]:
            run = json.loads((m.parent.parent.parent / summary["run_dirs"][f"{e['dataset']}/seed{e['seed']}"]
                              / "metrics.json").read_text())
            prov = run["provenance"]
            rows.append({"dataset": e["dataset"], "seed": e["seed"], "cosine similarity": e["cosine_similarity"],
                         "RMSE": e["rmse"], "best power": e["best_power"],
                         "trained on": f"{prov['device']} ({prov['hardware']})",
                         "stacked with": prov.get("batched_runs", 1) - 1, "train s": round(prov["train_time_s"]),
                         "commit": prov["git"], "date": prov["date"][:10]})
        parts.append(f"**Profile `{summary['profile']}`** ({summary['steps_per_run']} steps per run, loss "
                     f"variant `{summary['variant']}`, seeds {summary['seeds']}; notebook run of "
                     f"{saved['provenance']['date'][:10]}, `results/{summary['profile']}/03_accuracy/`):\n\n"
                     + markdown_table(rows, digits=3))
    return ("\n\n".join(parts) if parts else "(notebook 03 has not been run at a profile other than smoke)") + "\n"


def main() -> None:
    root = repo_root()
    out = root / "book" / "_generated"
    out.mkdir(exist_ok=True)
    rows = []
    for m in sorted((root / "results").glob("*/[0-9][0-9]_*/metrics.json")):
        prov = json.loads(m.read_text())["provenance"] or {}
        rows.append({
            "results folder": f"`results/{m.parent.parent.name}/{m.parent.name}/`",
            "profile": prov.get("profile"), "loss variant": prov.get("variant", "–"),
            "seed": prov.get("seed"), "commit": prov.get("git"), "device": prov.get("device"),
            "hardware": prov.get("hardware"), "torch": prov.get("torch"),
            "date": (prov.get("date") or "")[:10],
            "wall s": round(prov["wall_time_s"]) if prov.get("wall_time_s") else "–",
        })
    (out / "provenance.md").write_text((markdown_table(rows) if rows else "(no saved runs)") + "\n")
    (out / "table2_beyond_smoke.md").write_text(table2_beyond_smoke(root))
    tta = root / "results" / "time_to_accuracy.md"
    (out / "time_to_accuracy.md").write_text(tta.read_text() if tta.exists() else "(no saved runs)\n")
    print(f"wrote {out}/provenance.md ({len(rows)} runs) and time_to_accuracy.md")


if __name__ == "__main__":
    main()
