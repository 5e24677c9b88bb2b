"""Best-of-k at N = 33 across datasets: one table from the records of ``best_of_target.py``.

    python benchmarks/best_of_summary.py results/cpu/best_of/n33-k2 [--rescore]
        [--single results/cpu/03_accuracy/runs-symlens] [--compare results/cpu/best_of/n33-k2]

Reads every ``<root>/<dataset>/seed<s>.json`` and writes ``<root>/summary.md``: per dataset
and base seed, the single fit of the same training set (``--single``: the targets table's
run, which trained on all of it), every candidate's cos and held-out loss, the one the loss
kept, the best, and the wall seconds of the whole call; then how many meet the target, the
mean kept cos against the candidates' mean, and how often the loss kept the better of two
candidates that differ by more than 0.1.  ``--compare`` adds another root's kept cos for the
same training sets (e.g. best of two beside an early selection) and their paired difference.
Candidates an early selection dropped show the cos of the step they stopped at and count in
no candidate figure.

``--rescore`` replays the choice on the saved candidates (``seed<s>-candidates.npz``) with two
other scores, each the held-out loss at τ = 1 on the same validation rows ``fit_best_of``
held out, with estimators refitted to the candidate's lift on its training rows
(:func:`symlens.objective.held_out_objective`): as the fit left its filter ("refit"), and
with the filter moved to the middle of its own chain first ("recentred",
:func:`restart_selection.recentred`).  Neither reads the true generator.  Cached in
``seed<s>-scores.json``.
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

from symlens.io import git_sha  # noqa: E402
from symlens.restarts import (best_of_record, is_finished, meets_target, saved_best_of,  # noqa: E402
                              selection_statistics)

SCORES = ("refit", "recentred")


def training_split(record: dict):
    """(dataset, training rows, held-out rows) of a ``best_of_target.py`` record: its data
    seed's training set (its size as recorded; records from before that field hold the
    config's ``training_samples``), split as :func:`~symlens.restarts.fit_best_of` split it."""
    from symlens.config import LensConfig
    from symlens.data import make_dataset
    from symlens.restarts import split_validation

    cfg = LensConfig.from_dict(record["config"])
    N, s = record["dim"], record["base_seed"]
    n = record.get("samples", cfg.training_samples)
    data = make_dataset(record["dataset"], n, dim=N, seed=s, **record.get("data", {}))
    X, X_val = split_validation(data.X, 0.1, 4 * cfg.batch_size, s)
    return data, X, X_val


def rescore(record: dict, candidates: Path, cache: Path, estimator_steps: int = 400) -> dict:
    """{score: [one loss per candidate]} for :data:`SCORES`, computed once and cached."""
    if cache.exists():
        return json.loads(cache.read_text())
    import torch

    from restart_selection import recentred
    from symlens.config import LensConfig
    from symlens.objective import held_out_objective

    torch.set_flush_denormal(True)
    cfg = LensConfig.from_dict(record["config"])
    N = record["dim"]
    _, X, X_val = training_split(record)
    z = np.load(candidates)
    P = cfg.resolved_padding(N)
    out = {name: [] for name in SCORES}
    for G_big, psi in zip(z["generator_full"], z["filter"]):
        for name in SCORES:
            f = recentred(G_big, psi, P) if name == "recentred" else psi
            out[name].append(held_out_objective(G_big, f, X, X_val, cfg, tau=1.0,
                                                estimator_steps=estimator_steps)["total"])
    out["estimator_steps"] = estimator_steps
    out["git"] = git_sha()
    cache.write_text(json.dumps(out, indent=1) + "\n")
    return out


def single_cos(single: Path | None, record: dict) -> float | None:
    """The cos of the single fit of the record's training set, if one was saved with the
    same profile and dimension."""
    d = None if single is None else single / record["dataset"] / f"seed{record['base_seed']}"
    if d is None or not (d / "metrics.json").exists():
        return None
    saved = json.loads((d / "metrics.json").read_text())
    if (saved["provenance"]["profile"] != record["provenance"]["profile"]
            or np.load(d / "arrays.npz")["generator"].shape[0] != record["dim"]):
        return None
    return saved["metrics"]["cosine_similarity"]


def read_records(root: Path) -> list[tuple[Path, dict]]:
    """Every ``<root>/<dataset>/seed<s>.json`` record with its path, by dataset and base seed
    (:func:`symlens.restarts.saved_best_of`); exits with a message if there are none."""
    found = saved_best_of(root)
    if not found:
        raise SystemExit(f"no best_of_target records (<dataset>/seed<s>.json) under {root}")
    return found


def compared_cos(compare: Path | None, record: dict) -> float | None:
    """The kept cos of another best-of root's call on the same dataset and base seed."""
    other = None if compare is None else best_of_record(compare, record["dataset"], record["base_seed"])
    return None if other is None else float(other["cos"])


def candidate_cell(r: dict, c: dict) -> str:
    if is_finished(c):
        return f"{c['cosine_similarity']:.3f}, {c['held_out_loss']:+.3f}"
    return f"({c['cosine_similarity']:.3f} at step {r['select_at']}, dropped)"


def summary(records: list[dict], single: Path | None, scores: dict, seconds: float = 900.0,
            compare: Path | None = None, compare_name: str = "compared") -> str:
    extra = [name for name in SCORES if any(name in scores.get((r["dataset"], r["base_seed"]), {}) for r in records)]
    head = ["dataset", "seed", "single fit"] + ([compare_name] if compare else []) + [
        "candidates (cos, loss)", "kept cos"] + [f"kept ({n})" for n in extra] + [
        "best", "wall s", f"≥ 0.95 in {seconds / 60:g} min"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    paired, versus = [], []
    by_score = {n: [] for n in extra}
    for r in records:
        cands = r["candidates"]
        cos = [c["cosine_similarity"] for c in cands]
        one = single_cos(single, r)
        sc = scores.get((r["dataset"], r["base_seed"]), {})
        other = compared_cos(compare, r)
        cells = [r["dataset"], str(r["base_seed"]), "–" if one is None else f"{one:.3f}"] + (
            ["–" if other is None else f"{other:.3f}"] if compare else []) + [
            "; ".join(candidate_cell(r, c) for c in cands),
            f"**{r['cos']:.3f}**" if r["cos"] >= 0.95 else f"{r['cos']:.3f}"]
        if other is not None:
            versus.append((other, r["cos"]))
        for n in extra:
            if n in sc:
                k = int(np.argmin(sc[n]))
                by_score[n].append(cos[k])
                cells.append(f"{cos[k]:.3f}")
            else:
                cells.append("–")
        ok = meets_target(r, seconds=seconds)
        done = [c["cosine_similarity"] for c in cands if is_finished(c)]
        cells += [f"{max(done):.3f}", f"{r['wall_s']:.0f}", "yes" if ok else "no"]
        lines.append("| " + " | ".join(cells) + " |")
        if one is not None:
            paired.append((one, r["cos"]))
    st = selection_statistics(records, seconds=seconds)
    prov = records[0]["provenance"]
    cfg = records[0]["config"]
    text = ["", f"**{st['met']} of {len(records)}** training sets meet the target (kept fit ≥ 0.95 within "
            f"{seconds / 60:g} minutes of wall time for the whole call). Mean kept cos {st['kept_mean']:.3f}"]
    if len(st["candidates"]) > len(records):  # some set finished more than the one it kept
        text[-1] += (f" against {st['candidates_mean']:.3f} for the finished candidates one by one; where two "
                     f"candidates differ by more than 0.1 the loss kept the better in {st['right']} of {st['split']}.")
    else:
        text[-1] += "."
    if paired:
        ones, kept = np.array(paired).T
        diff = kept - ones
        text.append(f"The single fits of the same {len(paired)} training sets: mean {ones.mean():.3f}, "
                    f"{int((ones >= 0.95).sum())} at 0.95 or more; kept minus single fit {diff.mean():+.3f} ± "
                    f"{diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0:.3f} (standard error).")
    if versus:
        other, kept = np.array(versus).T
        diff = kept - other
        text.append(f"{compare_name.capitalize()} on the same {len(versus)} training sets: mean {other.mean():.3f}, "
                    f"{int((other >= 0.95).sum())} at 0.95 or more; kept here minus that {diff.mean():+.3f} ± "
                    f"{diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0:.3f} (standard error), "
                    f"higher in {int((diff > 0.005).sum())}, lower in {int((diff < -0.005).sum())}.")
    if any(r.get("select_at") for r in records):
        text.append("Early selection: every candidate trained to the step shown, the lowest held-out loss there "
                    "finished; a dropped candidate's cos is from that step.")
    for n in extra:
        text.append(f"Kept by the {n} score: mean {np.mean(by_score[n]):.3f} over {len(by_score[n])} sets, "
                    f"{sum(c >= 0.95 for c in by_score[n])} at 0.95 or more.")
    text.append(f"Profile `{prov['profile']}`, the `{prov.get('recipe')}` recipe (batch {cfg['batch_size']}, width "
                f"{cfg['hidden']}, {cfg['epochs'] * cfg['steps_per_epoch']} steps per fit), best of "
                f"{records[0]['k']}, {records[0].get('jobs', 1)} fits at a time; hardware {prov['hardware']}, "
                f"torch {prov['torch']}, code {', '.join(sorted({r['provenance']['git'] for r in records}))}. "
                "Single fit: the targets table's run of the same training set (all of it; the candidates "
                f"train on 90 %). This table by `benchmarks/best_of_summary.py` at {git_sha()}.")
    return "\n".join(lines + text) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root")
    p.add_argument("--single", default=str(REPO / "results" / "cpu" / "03_accuracy" / "runs-symlens"))
    p.add_argument("--rescore", action="store_true", help="also replay the choice with refitted and recentred scores")
    p.add_argument("--seconds", type=float, default=900.0)
    p.add_argument("--estimator-steps", type=int, default=400, help="estimator refit steps per score")
    p.add_argument("--compare", default=None, help="another best_of_target root: a column with its kept cos")
    p.add_argument("--compare-name", default="best of two kept", help="that column's name")
    args = p.parse_args(argv)
    root = Path(args.root)
    found = read_records(root)
    scores = {}
    for f, r in found if args.rescore else []:
        cand = f.with_name(f"{f.stem}-candidates.npz")
        if cand.exists():
            scores[r["dataset"], r["base_seed"]] = rescore(r, cand, f.with_name(f"{f.stem}-scores.json"),
                                                             args.estimator_steps)
            print(f"rescored {r['dataset']} seed {r['base_seed']}", flush=True)
    text = summary([r for _, r in found], Path(args.single) if args.single else None, scores, args.seconds,
                   Path(args.compare) if args.compare else None, args.compare_name)
    (root / "summary.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
