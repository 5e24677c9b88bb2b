"""Paired final cosines of two sets of saved runs (``<root>/<dataset>/seed<k>/metrics.json``,
as ``time_to_accuracy.py --out`` writes them): one row per (dataset, seed) both hold.

    python benchmarks/paired_runs.py results/cpu/03_accuracy/runs-symlens results/cpu/whiten \\
        --labels defaults "defaults + whiten 0.1" --out results/cpu/whiten/paired.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from small_n_lab import save_text  # noqa: E402


def _metrics(d: Path) -> dict:
    return json.loads((d / "metrics.json").read_text())


def paired_table(base: Path, new: Path, labels=("base", "new"), target: float = 0.95) -> str:
    """Markdown: dataset, seed, both cosines, their difference and the new run's training seconds;
    then the paired mean and how many of each reach ``target``."""
    pairs = sorted((d.parent.name, d.name) for d in new.glob("*/seed*")
                   if (d / "metrics.json").exists() and (base / d.parent.name / d.name / "metrics.json").exists())
    if not pairs:
        raise SystemExit(f"no (dataset, seed) run is saved under both {base} and {new}")
    lines = [f"| dataset | seed | {labels[0]} cos | {labels[1]} cos | difference | {labels[1]} train s |",
             "|---|---|---|---|---|---|"]
    a_all, b_all, gits = [], [], set()
    for ds, sd in pairs:
        a, b = _metrics(base / ds / sd), _metrics(new / ds / sd)
        ca, cb = a["metrics"]["cosine_similarity"], b["metrics"]["cosine_similarity"]
        a_all.append(ca), b_all.append(cb), gits.add(b["provenance"]["git"])
        lines.append(f"| {ds} | {sd.removeprefix('seed')} | {ca:.3f} | {cb:.3f} | {cb - ca:+.3f} | "
                     f"{b['provenance']['train_time_s']:.0f} |")
    a_all, b_all = np.array(a_all), np.array(b_all)
    d = b_all - a_all
    lines += ["", f"{len(pairs)} pairs: mean cos {a_all.mean():.3f} → {b_all.mean():.3f} (paired difference "
              f"{d.mean():+.3f} ± {d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float('nan'):.3f}, standard "
              f"error); ≥ {target}: {int((a_all >= target).sum())} → {int((b_all >= target).sum())}. "
              f"{labels[1]} runs: code {', '.join(sorted(gits))}."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("base", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--labels", nargs=2, default=("base", "new"))
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    text = paired_table(a.base, a.new, tuple(a.labels))
    if a.out:
        save_text(text, a.out)
    else:
        print(text)


if __name__ == "__main__":
    main()
