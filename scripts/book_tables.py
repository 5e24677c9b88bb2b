"""Write the book's generated tables from saved results (never typed in by hand):

- book/_generated/provenance.md: for every saved notebook run results/<profile>/<NN_topic>/,
  its profile, loss variant, seed, commit, device, hardware and date;
- book/_generated/time_to_accuracy.md: the time-to-accuracy runs (benchmarks/plot_curves.py).

    python scripts/book_tables.py
"""

from __future__ import annotations

import json

from symlens.io import repo_root
from symlens.plotting import markdown_table


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
    tta = root / "results" / "time_to_accuracy.md"
    (out / "time_to_accuracy.md").write_text(tta.read_text() if tta.exists() else "(no saved runs)\n")
    print(f"wrote {out}/provenance.md ({len(rows)} runs) and time_to_accuracy.md")


if __name__ == "__main__":
    main()
