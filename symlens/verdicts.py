"""The rules that turn saved evidence into a verdict on a claim of the paper, shared by the
book's status table (``scripts/book_tables.py``) and the claims ledger (notebook 07), so that
the two never judge the same evidence by different rules.

A rule reads the per-run evidence notebook 03 saves (its summary's ``runs``: one dict per run
with ``cosine_similarity``, ``edge_fraction``, ``filter_peak_fraction``, ...) and returns a
:class:`Verdict`: a level, the measured values in words, and the rule in words.  The levels
are ``"reproduced"``, ``"partly"``, ``"not yet"`` (the evidence does not meet the rule) and
``"not tested"`` (nothing to judge); each page names them in its own words (the ledger says
*qualified* for *partly* and *not reproduced* for *not yet*).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["CONVERGED", "PEAK_DELTA", "SEED_SD_MAX", "Verdict", "edge_error", "filter_delta", "restarts_similar", "trained_checks"]

#: A run counts as having learned its generator from this cosine similarity on.
CONVERGED = 0.80
#: The filter's hidden-basis peak fraction from which it counts as a delta along the symmetry.
PEAK_DELTA = 0.90
#: The largest standard deviation of the cosine over seeds of one dataset for which restarts
#: count as giving similar results.
SEED_SD_MAX = 0.05


class Verdict(NamedTuple):
    level: str     # "reproduced", "partly", "not yet" or "not tested"
    measured: str  # the values the level was decided from
    rule: str      # the rule, in words


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
