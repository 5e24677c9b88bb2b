"""The rules that turn saved evidence into a verdict on a claim of the paper, shared by the
book's status table (``scripts/book_tables.py``) and the claims ledger (notebook 07), so that
the two never judge the same evidence by different rules.

A rule reads the per-run evidence notebook 03 saves (its summary's ``runs``: one dict per run
with ``cosine_similarity``, ``edge_fraction``, ``filter_peak_fraction``, ...) and returns a
:class:`Verdict`: a level, the measured values in words, and the rule in words.  The levels
are ``"reproduced"``, ``"partly"``, ``"not yet"`` (the evidence does not meet the rule) and
``"not tested"`` (nothing to judge), the words both pages print (the status table folds
*not tested* into *not yet*).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["COS_REPRODUCED", "CONVERGED", "all_datasets_learned", "minimal_generator", "PEAK_DELTA", "SEED_SD_MAX", "Verdict", "edge_error", "filter_delta", "paths_repeat", "restarts_similar", "trained_checks", "PATH_GAP_MAX"]

#: A generator counts as reproduced (Table 2's "close to the true one") from this cosine similarity on.
COS_REPRODUCED = 0.95
#: A run counts as having learned its generator from this cosine similarity on.
CONVERGED = 0.80
#: The filter's hidden-basis peak fraction from which it counts as a delta along the symmetry.
PEAK_DELTA = 0.90
#: The largest standard deviation of the cosine over seeds of one dataset for which restarts
#: count as giving similar results.
SEED_SD_MAX = 0.05
#: The largest gap between the cosine-against-τ curves of two seeds of one dataset for which
#: the training paths count as repeatable.
PATH_GAP_MAX = 0.10


class Verdict(NamedTuple):
    level: str     # "reproduced", "partly", "not yet" or "not tested"
    measured: str  # the values the level was decided from
    rule: str      # the rule, in words


def all_datasets_learned(mean_cos: dict[str, float]) -> Verdict:
    """"The learned generator is close to the true one for all datasets" (Table 2), from each
    dataset's mean cosine similarity over seeds: reproduced if every dataset reaches
    :data:`COS_REPRODUCED`, partly if some do."""
    rule = (f"per-dataset mean cos ≥ {COS_REPRODUCED}: reproduced if every dataset reaches it, partly if some do")
    if not mean_cos:
        return Verdict("not tested", "no dataset", rule)
    n_ok = sum(c >= COS_REPRODUCED for c in mean_cos.values())
    low = min(mean_cos, key=mean_cos.get)
    measured = (f"{n_ok} of {len(mean_cos)} datasets at mean cos ≥ {COS_REPRODUCED}; lowest {mean_cos[low]:.3f} ({low})")
    return Verdict("reproduced" if n_ok == len(mean_cos) else "partly" if n_ok else "not yet", measured, rule)


def minimal_generator(runs: list[dict]) -> Verdict:
    """"The minimal generator (T, not T² or T³) is learned": judged on the runs that learned a
    generator (cosine ≥ :data:`CONVERGED`), each of which must be closest to T¹
    (``best_power``); reproduced only if every run learned one."""
    conv = [r for r in runs if r["cosine_similarity"] >= CONVERGED]
    power1 = [r for r in conv if r["best_power"] == 1]
    rule = (f"over the runs with cos ≥ {CONVERGED}: reproduced if every run reaches it and is closest to T¹; "
            f"partly if each run that reaches it is; not tested if none does")
    if not conv:
        return Verdict("not tested", f"no run with cos ≥ {CONVERGED} ({len(runs)} runs)", rule)
    measured = f"best power 1 in {len(power1)} of the {len(conv)} runs with cos ≥ {CONVERGED} ({len(runs)} runs)"
    level = ("reproduced" if len(power1) == len(conv) == len(runs) else
             "partly" if len(power1) == len(conv) else "not yet")
    return Verdict(level, measured, rule)


def edge_error(runs: list[dict], uniform_share: float) -> Verdict:
    """"The small remaining error sits at the window's edges": judged on the runs that learned
    their generator (cosine ≥ :data:`CONVERGED`; only they have a *small* remaining error),
    whose edge share (``edge_fraction``) must exceed that of an evenly spread error
    (``uniform_share``)."""
    conv = [r for r in runs if r["cosine_similarity"] >= CONVERGED]
    at_edges = [r for r in conv if r["edge_fraction"] > uniform_share]
    rule = (f"over the runs with cos ≥ {CONVERGED}: reproduced if every run reaches it and each has a larger "
            f"edge share than an even spread; partly if each run that reaches it does; not tested if none does")
    if not conv:
        return Verdict("not tested", f"no run with cos ≥ {CONVERGED} ({len(runs)} runs)", rule)
    measured = (f"edge share {', '.join(format(r['edge_fraction'], '.2f') for r in conv)} against "
                f"{uniform_share:.2f} for an even spread ({len(conv)} of {len(runs)} runs with cos ≥ {CONVERGED})")
    level = ("reproduced" if len(at_edges) == len(conv) == len(runs) else
             "partly" if len(at_edges) == len(conv) else "not yet")
    return Verdict(level, measured, rule)


def filter_delta(runs: list[dict]) -> Verdict:
    """"The learned filter is a delta along the symmetry": a run's filter counts as one when
    its hidden-basis peak fraction (``filter_peak_fraction``) is at least :data:`PEAK_DELTA`."""
    rule = f"a delta at peak fraction ≥ {PEAK_DELTA}: reproduced if in every run, partly if in some"
    if not runs:
        return Verdict("not tested", "no run", rule)
    peaks = [r["filter_peak_fraction"] for r in runs]
    n = sum(p >= PEAK_DELTA for p in peaks)
    measured = f"peak fraction ≥ {PEAK_DELTA} in {n} of {len(runs)} runs (best {max(peaks):.2f})"
    return Verdict("reproduced" if n == len(runs) else "partly" if n else "not yet", measured, rule)


def restarts_similar(seeds: dict[str, dict[int, float]]) -> Verdict:
    """"Restarts from scratch give similar results": the cosine similarity of every saved seed
    of each dataset (``{dataset: {seed: cosine}}``; datasets with one seed are not evidence)
    must spread by at most :data:`SEED_SD_MAX` (sample standard deviation); the result is only
    *reproduced* if the restarts also learn their generator (every cosine ≥ :data:`CONVERGED`),
    since restarts that fail alike are similar too."""
    multi = {ds: v for ds, v in seeds.items() if len(v) > 1}
    rule = (f"sd over seeds ≤ {SEED_SD_MAX} for every dataset: reproduced if every run also has cos ≥ "
            f"{CONVERGED}, partly if not; not yet if some sd is larger; not tested with one seed per dataset")
    if not multi:
        return Verdict("not tested", "one seed per dataset", rule)
    sd = {ds: float(np.std(list(v.values()), ddof=1)) for ds, v in multi.items()}
    worst = max(sd, key=sd.get)
    measured = ("; ".join(f"{ds} seeds {', '.join(map(str, sorted(v)))}: cos "
                          f"{', '.join(format(v[k], '.3f') for k in sorted(v))}" for ds, v in multi.items())
                + f"; largest sd {sd[worst]:.3f} ({worst})")
    if sd[worst] > SEED_SD_MAX:
        return Verdict("not yet", measured, rule)
    learned = all(c >= CONVERGED for v in multi.values() for c in v.values())
    return Verdict("reproduced" if learned else "partly", measured, rule)


def paths_repeat(curves: dict[str, dict[int, tuple]], grid: int = 19) -> Verdict:
    """"Optimization paths are similar and repeatable along different experiments" (Figs
    16-17): ``{dataset: {seed: (tau (T,), cosine (T,))}}``, each seed's logged cosine
    similarity against training time τ.  The curves are compared on ``grid`` values of τ from
    0.1 to the end all seeds reached (linear interpolation); a dataset's gap is the largest
    spread between its seeds at one τ.  Reproduced if every gap is at most
    :data:`PATH_GAP_MAX` and every run ends at cos ≥ :data:`CONVERGED` (paths that all stall
    alike are repeatable too, which is *partly*); datasets with one seed are not evidence."""
    multi = {ds: v for ds, v in curves.items() if len(v) > 1}
    rule = (f"largest gap between seeds' cos-against-τ curves ≤ {PATH_GAP_MAX} for every dataset: reproduced "
            f"if every run also ends at cos ≥ {CONVERGED}, partly if not; not yet if some gap is larger; "
            f"not tested with one seed per dataset")
    if not multi:
        return Verdict("not tested", "one seed per dataset", rule)
    gaps, finals = {}, []
    for ds, seeds in multi.items():
        paths = []
        for seed, (t, c) in seeds.items():
            t, c = np.asarray(t, dtype=np.float64), np.asarray(c, dtype=np.float64)
            if t.shape != c.shape or t.ndim != 1 or len(t) < 2:
                raise ValueError(f"{ds} seed {seed}: tau and cosine must be 1-d of one length >= 2, "
                                 f"got {t.shape} and {c.shape}")
            paths.append((t, c))
        end = min(float(t.max()) for t, _ in paths)
        if end <= 0.1:
            raise ValueError(f"{ds}: the runs must pass tau 0.1 to compare their paths (they reach {end:.3f})")
        at = np.linspace(0.1, end, grid)
        ys = np.stack([np.interp(at, t, c) for t, c in paths])
        gaps[ds] = float((ys.max(axis=0) - ys.min(axis=0)).max())
        finals += [float(c[-1]) for _, c in paths]
    worst = max(gaps, key=gaps.get)
    measured = ("; ".join(f"{ds} ({len(multi[ds])} seeds) gap {g:.2f}" for ds, g in gaps.items())
                + f"; final cos {min(finals):.3f}–{max(finals):.3f}")
    if gaps[worst] > PATH_GAP_MAX:
        return Verdict("not yet", measured, rule)
    return Verdict("reproduced" if min(finals) >= CONVERGED else "partly", measured, rule)


def trained_checks(checks: list[dict]) -> Verdict:
    """An appendix's statements checked on trained models (notebook 06's checks of kind
    ``"trained"``, each with ``met``): reproduced if every check is met, partly if at least
    half are.  The exact identities (kind ``"identity"``) hold for any G and are not judged
    here."""
    trained = [c for c in checks if c.get("kind") == "trained"]
    rule = "on trained models: reproduced if every check is met, partly if at least half are"
    if not trained:
        return Verdict("not tested", "no check on a trained model", rule)
    ok = sum(bool(c["met"]) for c in trained)
    level = "reproduced" if ok == len(trained) else "partly" if ok >= len(trained) / 2 else "not yet"
    return Verdict(level, f"{ok} of {len(trained)} checks met", rule)
