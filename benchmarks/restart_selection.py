"""What best-of-k restarts cost and buy, from a small-N lab study's saved fits.

For each (setting, dataset, N) group of n fits (different seeds), and each k = 1..n: the mean,
over all k-subsets of the fits, of the cosine similarity of the fit the method itself would
keep (the lowest held-out loss, eq. 13 at τ = 1; never the true generator), the chance that
the kept fit reaches 0.95, and the cost (k times the mean seconds of one fit, one thread).
Writes ``restarts.md`` beside the study's runs.

    python benchmarks/restart_selection.py results/lab/n33_restarts [more studies ...]
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np


def selection_curve(fits: list[dict], target: float = 0.95) -> list[dict]:
    """One row per k: mean kept cos, P(kept ≥ target), mean best cos (an oracle, for scale)."""
    out = []
    for k in range(1, len(fits) + 1):
        kept, best = [], []
        for sub in itertools.combinations(fits, k):
            kept.append(min(sub, key=lambda r: r["held_out_total"])["cos"])
            best.append(max(r["cos"] for r in sub))
        kept = np.array(kept)
        out.append({"k": k, "subsets": len(kept), "mean kept cos": float(kept.mean()),
                    f"P(kept ≥ {target})": float((kept >= target).mean()), "mean best cos": float(np.mean(best))})
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("studies", nargs="+")
    args = p.parse_args(argv)
    for study in map(Path, args.studies):
        rows = [json.loads(line) for line in (study / "runs.jsonl").read_text().splitlines() if line.strip()]
        groups: dict[tuple, list[dict]] = {}
        for r in rows:
            groups.setdefault((r["setting"], r["dataset"], r["dim"]), []).append(r)
        # headings at level 4 so that the file can be included in a book page's section
        lines = [f"**Best-of-k restarts chosen by held-out loss: `{study.name}`**", ""]
        for (setting, dataset, N), fits in sorted(groups.items()):
            fits = sorted(fits, key=lambda r: r["seed"])
            sec = float(np.mean([r["seconds"] for r in fits]))
            kept = min(fits, key=lambda r: r["held_out_total"])
            lines += [f"#### {setting}, {dataset}, N = {N}", "",
                      "Fits (seed: cos, held-out loss): " + "; ".join(
                          f"{r['seed']}: {r['cos']:.3f}, {r['held_out_total']:.3f}" for r in fits)
                      + f". Kept by the loss: seed {kept['seed']} (cos {kept['cos']:.3f}); best: "
                      f"{max(r['cos'] for r in fits):.3f}. One fit: {sec:.0f} s on one thread.", ""]
            curve = selection_curve(fits)
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
