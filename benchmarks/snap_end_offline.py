"""What the end-of-fit snap (``LensConfig.snap_end``) does to saved fits, without training.

    python benchmarks/snap_end_offline.py --out results/cpu/snap_end/offline [--gates 0.9 0.92 0.95]

The snap is a function of a fit's final padded generator and filter alone
(:func:`symlens.seriation.snap_end`: no data, no random draw), so applying it to a saved
final state is exactly what the option would have done at the end of that fit.  Read on
every saved N = 7 single fit of ``results/cpu/time_to_accuracy/gaussian-permuted-n7/`` and
every saved N = 33 fit of the defaults (``results/cpu/03_accuracy/runs-symlens/``): for each
gate, the mean cos before and after, the fits ≥ 0.95 before and after, how many the snap
changed and the largest loss.  The true generator is only used to score.  Writes
``table.csv`` (one row per fit: agreement, cos before, cos after with no gate) and
``table.md``.
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

from snap_offline import write_tables  # noqa: E402
from symlens.generator import crop  # noqa: E402
from symlens.io import git_sha  # noqa: E402
from symlens.metrics import generator_cosine_similarity  # noqa: E402
from symlens.seriation import snap_end  # noqa: E402

SETS = {
    "N = 7 (gaussian-permuted, saved single fits)": "results/cpu/time_to_accuracy/gaussian-permuted-n7/*/gaussian-permuted/seed*/arrays.npz",
    "N = 33 (the defaults' 18 fits)": "results/cpu/03_accuracy/runs-symlens/*/seed*/arrays.npz",
}


def one(path: Path) -> dict:
    z = np.load(path)
    truth = z["true_generator"]
    N = truth.shape[0]
    P = (z["generator_full"].shape[0] - N) // 2
    out = snap_end(z["generator_full"], z["filter"], P, min_agreement=1e-9)  # no gate: every snap
    return {"fit": str(path.parent.relative_to(REPO)), "dim": N, "agreement": out["agreement"],
            "cos_before": generator_cosine_similarity(crop(z["generator_full"], P), truth),
            "cos_snapped": generator_cosine_similarity(crop(out["G"], P), truth)}


def markdown(groups: dict, gates) -> str:
    lines = ["| fits | gate | mean cos before → after | fits ≥ 0.95 before → after | snapped | largest loss |",
             "|---|---|---|---|---|---|"]
    for name, rows in groups.items():
        before = np.array([r["cos_before"] for r in rows])
        for gate in (None, *gates):
            take = np.array([gate is None or r["agreement"] >= gate for r in rows])
            after = np.where(take, [r["cos_snapped"] for r in rows], before)
            lines.append(f"| {name}, {len(rows)} | {'none' if gate is None else gate} | {before.mean():.3f} → "
                         f"{after.mean():.3f} | {(before >= 0.95).sum()} → {(after >= 0.95).sum()} | "
                         f"{take.sum()} | {(after - before).min():+.3f} |")
    lines += ["", f"The snap applied to each saved final state (`benchmarks/snap_end_offline.py` at {git_sha()}); "
              "a fit is snapped when the trained and snapped window blocks agree to at least the gate."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for table.csv and table.md")
    ap.add_argument("--gates", type=float, nargs="+", default=[0.9, 0.92, 0.95])
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    groups = {name: [one(p) for p in sorted(REPO.glob(pattern))] for name, pattern in SETS.items()}
    if not all(groups.values()):
        raise SystemExit(f"no saved fits found for {[n for n, r in groups.items() if not r]}")
    text = markdown(groups, args.gates)
    write_tables(args.out, [r for rows in groups.values() for r in rows], text)
    (args.out / "provenance.json").write_text(json.dumps({"code": git_sha()}, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
