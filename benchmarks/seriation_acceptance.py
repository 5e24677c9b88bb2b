"""Which seriations should stand?  Scores acceptance rules on saved fits, without training.

    python benchmarks/seriation_acceptance.py \
        --lab results/lab/seriation-check/runs.jsonl --lab-setting ser08 \
        --lab-baseline results/lab/seriation/runs.jsonl --lab-baseline-setting est4 \
        --runs results/cpu/time_to_accuracy/gaussian-permuted-n7/per-dim-ser08 results/cpu/seriation \
        --baseline results/cpu/time_to_accuracy/gaussian-permuted-n7/per-dim \
                   results/cpu/recipe-before-seriation \
        --out results/lab/seriation-check/acceptance.md

Every fit here was trained with one seriation (``seriate_tau``) whose record holds the
order's gain in path score and eq. 13's terms at that τ before and after it
(:meth:`symlens.train.Trainer.seriate`, estimators as they were).  A seriation that does not stand leaves the fit
exactly the fit without seriation (``tests/test_seriation.py``), so the outcome of a rule
that would have undone it is the baseline fit of the same dataset, seed and N.  Rules:

- ``score``: every seriation whose order gains the 1 % bar stands (what the fits did);
- ``total``, ``alignment``, ``uniformity``: only those after which that term of eq. 13 is
  lower (measured right after the seriation; none of these is a setting: the study refuted
  them as judges);
- ``gain ≤ 10 %``: only those whose order gains at most 10 % (``seriate_max_gain = 0.1``;
  the bar was read off the N = 33 and N = 7 runs, so N = 21 is its out-of-sample test).

Writes a per-fit table and a summary (mean cos and fits ≥ 0.95 per rule and N).  Cos "at
once" is the logged cosine just before and just after the seriation step.
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

from seriation_offline import emit  # noqa: E402

from symlens.io import git_sha  # noqa: E402

RULES = ("score", "total", "alignment", "uniformity", "gain ≤ 10 %")
TERMS = ("total", "alignment", "uniformity")


def _around(steps, cos, step) -> tuple[float, float]:
    i = int(np.searchsorted(np.asarray(steps), step))
    return float(cos[max(i - 1, 0)]), float(cos[min(i + 1, len(cos) - 1)])


def lab_fits(path, setting) -> dict:
    out = {}
    for line in Path(path).read_text().splitlines():
        r = json.loads(line) if line.strip() else None
        if r and r["setting"] == setting:
            out[r["dataset"], r["seed"], r["dim"]] = {"cos": r["cos"], "seriations": r.get("seriations"),
                                                      "curve": (r["curve"]["step"], r["curve"]["cos"])}
    return out


def saved_fits(folder) -> dict:
    out = {}
    for m in sorted(Path(folder).glob("*/seed*/metrics.json")):
        saved = json.loads(m.read_text())
        prov, z = saved["provenance"], np.load(m.parent / "arrays.npz")
        N = z["true_generator"].shape[0]
        out[prov["dataset"], prov["seed"], N] = {
            "cos": saved["metrics"]["cosine_similarity"], "seriations": prov.get("seriations"),
            "curve": (z["history_step"], z["history_cosine_similarity"])}
    return out


def score(fits: dict, baseline: dict) -> list[dict]:
    rows = []
    for key in sorted(fits):
        fit, base = fits[key], baseline.get(key)
        recs = fit["seriations"]
        if base is None or not recs:
            continue
        if len(recs) != 1:
            raise ValueError(f"{key}: {len(recs)} seriations; this table scores one per fit")
        (rec,) = recs
        gain = rec["score_after"] / rec["score_before"] - 1.0
        moved = rec["changed"]
        # runs from before the terms were recorded: those rules' outcomes are unknown (nan)
        terms = moved and "terms_after" in rec
        delta = {k: rec["terms_after"][k] - rec["terms_before"][k] for k in TERMS} if terms else None
        stands = {"score": moved, "gain ≤ 10 %": moved and gain <= 0.10,
                  **{k: (delta[k] < 0 if terms else None) if moved else False for k in TERMS}}
        rows.append({"dataset": key[0], "seed": key[1], "N": key[2], "gain": gain, "changed": moved,
                     "change": delta, "at_once": _around(*fit["curve"], rec["step"]) if moved else None,
                     "cos": fit["cos"], "base_cos": base["cos"],
                     **{rule: np.nan if stands[rule] is None else fit["cos"] if stands[rule] else base["cos"]
                        for rule in RULES}})
    return rows


def table(rows: list[dict]) -> str:
    head = ("| N | dataset | seed | order's gain | " + " | ".join(f"Δ {t}" for t in TERMS)
            + " | cos at once | cos with it | cos without | " + " | ".join(f"{r}" for r in RULES) + " |")
    lines = [head, "|" + "---|" * (7 + len(TERMS) + len(RULES))]
    for r in rows:
        once = "–" if r["at_once"] is None else f"{r['at_once'][0]:.3f} → {r['at_once'][1]:.3f}"
        delta = " | ".join("–" if r["change"] is None else f"{r['change'][k]:+.3f}" for k in TERMS)
        lines.append(f"| {r['N']} | {r['dataset']} | {r['seed']} | {100 * r['gain']:.1f} % | {delta} | {once} | "
                     f"{r['cos']:.3f} | {r['base_cos']:.3f} | " + " | ".join("–" if np.isnan(r[k]) else f"{r[k]:.3f}" for k in RULES) + " |")
    lines += ["", "| N | fits | without seriation | " + " | ".join(RULES) + " |", "|" + "---|" * (3 + len(RULES))]
    for N in sorted({r["N"] for r in rows}):
        sub = [r for r in rows if r["N"] == N]

        def cell(k):
            v = np.array([r[k] for r in sub], dtype=float)
            v = v[np.isfinite(v)]
            if not len(v):
                return "–"
            return f"{v.mean():.3f} ({int((v >= 0.95).sum())} ≥ 0.95{'' if len(v) == len(sub) else f' of {len(v)}'})"

        lines.append(f"| {N} | {len(sub)} | {cell('base_cos')} | " + " | ".join(cell(k) for k in RULES) + " |")
    lines += ["", "Δ: the term right after the seriation minus right before, at that τ, with the estimators and the "
              "filter as they were. Each rule's cos is the fit with its seriation where the rule lets it stand, and the fit of the "
              "same seed without seriation where it does not. Table by `benchmarks/seriation_acceptance.py` at "
              f"{git_sha()}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lab", nargs="+", action="extend", default=[], help="lab runs.jsonl files with seriated fits")
    p.add_argument("--lab-setting", default="ser08")
    p.add_argument("--lab-baseline", nargs="+", action="extend", default=[], help="lab runs.jsonl files with the fits without")
    p.add_argument("--lab-baseline-setting", default="est4")
    p.add_argument("--runs", nargs="+", action="extend", default=[], help="folders of <dataset>/seed<k> seriated runs")
    p.add_argument("--baseline", nargs="+", action="extend", default=[], help="folders of the same runs without seriation")
    p.add_argument("--out", default=None)
    args = p.parse_args()
    fits, base = {}, {}
    for f in args.lab:
        fits.update(lab_fits(f, args.lab_setting))
    for f in args.lab_baseline:
        base.update(lab_fits(f, args.lab_baseline_setting))
    for d in args.runs:
        fits.update(saved_fits(d))
    for d in args.baseline:
        base.update(saved_fits(d))
    rows = score(fits, base)
    if not rows:
        raise SystemExit("no seriated fit with a seriation record and a baseline of the same dataset, seed and N")
    emit(table(rows), args.out)


if __name__ == "__main__":
    main()
