"""The entropy weights of eq. 13 on Legendre data at N = 21 (no training): gathers the lab
studies that changed γ (the mean-marginal-entropy weight), δ (so γ + δ, the weight on
−Ĥ_r) or ramped γ in τ, and writes one table and one figure.

    python benchmarks/entropy_weights.py --out results/lab/entropy_ratio

Reads ``results/lab/{resolution_weight,resolution_ramp,information_weight_legendre,
entropy_ratio}/runs.jsonl`` (ser08 set-up, 3 000 steps, legendre-translation and
legendre-dst, seeds 0-3, the seeds every arm has) and writes ``weights.md`` and ``weights.png``: per arm γ, δ, the
ratio γ / (γ + δ), the mean cos per dataset and over both, the mean number of defects, and
the mean drop from the best logged cos to the final one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from small_n_lab import read_runs  # noqa: E402

STUDIES = ("resolution_weight", "resolution_ramp", "information_weight_legendre", "entropy_ratio")
DATASETS = ("legendre-translation", "legendre-dst")
GAMMA, DELTA = 1.5, 1.0  # v1, the lab's loss
SEEDS = (0, 1, 2, 3)  # every arm has these; resolution_weight's two arms have 4-7 as well


def arms(lab: Path) -> list[dict]:
    """One record per (study, setting), in the order the studies ran."""
    out = []
    for study in STUDIES:
        runs = [r for r in read_runs(lab / study / "runs.jsonl") if r["seed"] in SEEDS]
        for setting in dict.fromkeys(r["setting"] for r in runs):
            fits = [r for r in runs if r["setting"] == setting]
            ov = fits[0]["overrides"]
            gamma, delta = ov.get("gamma", GAMMA), ov.get("delta", DELTA)
            by = {d: [r for r in fits if r["dataset"] == d] for d in DATASETS}
            if any(len(v) != 4 for v in by.values()):
                raise ValueError(f"{study}/{setting}: expected 4 fits per dataset, got "
                                 f"{ {d: len(v) for d, v in by.items()} }")
            out.append(dict(
                study=study, setting=setting, gamma=gamma, delta=delta,
                gamma_start=ov.get("gamma_start"), ratio=gamma / (gamma + delta),
                cos={d: float(np.mean([r["cos"] for r in v])) for d, v in by.items()},
                mean=float(np.mean([r["cos"] for r in fits])),
                defects=float(np.mean([r["census_defects"] for r in fits])),
                drop=float(np.mean([r["best_cos"] - r["cos"] for r in fits])),
                cos_all=[r["cos"] for r in fits]))
    return out


def table(rows: list[dict]) -> str:
    lines = ["| arm | γ | δ | γ / (γ + δ) | legendre-translation | legendre-dst | mean cos (8 fits) "
             "| defects | best − final |", "|---|---|---|---|---|---|---|---|---|"]
    for a in rows:
        g = f"{a['gamma_start']:g} → {a['gamma']:g}" if a["gamma_start"] is not None else f"{a['gamma']:g}"
        lines.append(f"| {a['setting']} | {g} | {a['delta']:g} | {a['ratio']:.2f} | "
                     f"{a['cos']['legendre-translation']:.3f} | {a['cos']['legendre-dst']:.3f} | "
                     f"{a['mean']:.3f} | {a['defects']:.1f} | {a['drop']:.3f} |")
    return "\n".join(lines) + "\n"


def figure(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 3.6), dpi=150)
    for i, a in enumerate(rows):
        ax.scatter(np.full(len(a["cos_all"]), i), a["cos_all"], s=14, color="0.6", zorder=2)
        ax.scatter([i], [a["mean"]], s=60, marker="_", color="C3" if a["setting"] == "ser08" else "C0",
                   linewidths=2.5, zorder=3)
    ax.axhline(rows[0]["mean"], color="C3", lw=0.8, ls="--", label="published weights (mean)")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([a["setting"].replace("ser08-", "").replace("ser08", "γ 1.5, δ 1") for a in rows],
                       fontsize=8)
    ax.set_ylabel("final cos (8 fits, mean as bar)")
    ax.set_xlabel("arm (N = 21, 3 000 steps, legendre-translation and legendre-dst, seeds 0-3)")
    ax.set_ylim(-0.1, 1.0)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lab", type=Path, default=REPO / "results" / "lab")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    rows = arms(args.lab)
    args.out.mkdir(parents=True, exist_ok=True)
    text = table(rows)
    (args.out / "weights.md").write_text(text)
    figure(rows, args.out / "weights.png")
    print(text)


if __name__ == "__main__":
    main()
