"""Best-of-k restarts chosen by the method's own objective on held-out samples.

A rushed schedule leaves some fits with defects (domain walls, jumps) that training does
not heal; which fits, depends on the seed.  The convergence study found that the final
objective (eq. 13 at τ = 1) prefers the true solution to broken ones, so among k fits
with different seeds the one with the lowest held-out loss is the one to keep.  The
choice never looks at a true generator: that is only used to report the candidates'
accuracy when it is known.

    lens = fit_best_of(X, k=3, profile="cpu", seed=0)
    lens.restarts_          # one record per candidate: seed, held-out loss, chosen
"""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import torch

from .lens import SymmetryLens, check_samples
from .metrics import generator_cosine_similarity
from .schedules import training_time

__all__ = ["fit_best_of", "split_validation", "saved_best_of", "best_of_record", "is_finished", "meets_target", "selection_statistics", "early_choice",
           "saved_early_selection"]


def split_validation(X, fraction: float, min_rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split X (n, N) into (training, validation) rows by a seeded shuffle; the validation
    part has ``max(min_rows, fraction n)`` rows."""
    X = check_samples(X)
    n = X.shape[0]
    n_val = max(int(min_rows), int(round(fraction * n)))
    if not 0 < fraction < 1:
        raise ValueError(f"validation fraction must lie in (0, 1), got {fraction}")
    if n - n_val < min_rows:
        raise ValueError(f"{n} samples are too few to hold out {n_val} for validation and still train")
    order = np.random.default_rng([int(seed), 7]).permutation(n)
    return X[order[n_val:]], X[order[:n_val]]


def _task(task, profile, lens_kwargs: dict, X, true_generator, threads: int | None) -> SymmetryLens:
    """One candidate, in this process (``threads`` None) or a worker (picklable: a fitted
    lens pickles whole): a lens to finish, or (seed, stop_at) to fit anew."""
    if threads is not None:
        torch.set_num_threads(threads)
    if isinstance(task, SymmetryLens):
        return task.fit(X, true_generator=true_generator, resume=True)
    seed, stop_at = task
    return SymmetryLens(profile, seed=seed, **lens_kwargs).fit(X, true_generator=true_generator, stop_at=stop_at)


def fit_best_of(
    X, k: int = 3, profile="cpu", seed: int = 0, X_val=None, validation_fraction: float = 0.1,
    true_generator=None, n_jobs: int = 1, keep_candidates: bool = False, select_at: int | None = None,
    keep: int = 1, branches: int = 1, **lens_kwargs,
) -> SymmetryLens:
    """Fit k lenses with seeds ``seed, seed + 1, ..., seed + k - 1`` and return the one with
    the lowest held-out objective (:meth:`SymmetryLens.objective`, τ = 1).

    X : (n, N) training samples.  X_val : (m, N) held-out samples; None holds out
    ``validation_fraction`` of X (at least four batches) by a seeded shuffle.
    true_generator : optional (N, N); recorded per candidate, never used to choose.
    n_jobs : fit this many candidates at once, each in its own process with an equal share
        of torch's threads (their progress bars are off).  On a small problem one fit cannot
        use two CPU cores (at N = 7 two threads are no faster than one), so two processes fit
        twice the candidates in the same time.  1: one after another in this process.
    keep_candidates : also attach every fitted candidate to the returned lens as
        ``candidates_`` (a list of k lenses in seed order, the kept one among them), so that
        other selection rules can be replayed on them.
    select_at, keep : early selection (a symlens option, not in the paper).  Train every
        candidate to step ``select_at`` only, score it there on the held-out samples at the
        schedule's current τ, and finish only the ``keep`` lowest; the final choice among
        those is by the held-out loss at τ = 1 as usual.  None: every candidate runs to the
        end.  A finished candidate is the same fit as one trained without the stop.
    branches : with ``select_at``, finish each kept candidate in this many continuations
        (a symlens option, not in the paper): the plain one and ``branches - 1`` branched
        ones (:meth:`SymmetryLens.branched`, branch seeds 1, 2, ...: the random streams
        reseeded at ``select_at``), and let the one with the lowest held-out loss at τ = 1
        stand for the candidate.  1: the plain continuation alone.
    lens_kwargs : passed to :class:`SymmetryLens` (``recipe``, ``device``, overrides, ...).

    The returned lens carries ``restarts_``: a list of ``{"seed", "held_out_loss",
    "cosine_similarity" (when the truth is given), "chosen"}``; with early selection also
    ``"early_loss"`` (at ``select_at``) and ``"finished"`` (and, with the truth given,
    ``"early_cosine_similarity"`` at ``select_at``), and a dropped candidate's
    ``held_out_loss`` is None and its cosine similarity that of step ``select_at``.  With
    ``branches`` > 1 a finished candidate's record also lists its continuations as
    ``"branches"``: ``{"branch_seed" (0: the plain one), "held_out_loss",
    "cosine_similarity"}``, the record's own values being the kept continuation's.
    """
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if int(n_jobs) != n_jobs or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer, got {n_jobs!r}")
    if n_jobs > 1 and lens_kwargs.get("checkpoint_dir") is not None:
        raise ValueError("checkpoint_dir is shared by every candidate: with n_jobs > 1 they would write "
                         "the same checkpoint at once; pass n_jobs=1 or no checkpoint_dir")
    probe = SymmetryLens(profile, seed=seed, **{**lens_kwargs, "progress": False})
    X = check_samples(X)
    cfg = probe.config.for_dim(X.shape[1])
    if X_val is None:
        X, X_val = split_validation(X, validation_fraction, 4 * cfg.batch_size, seed)
    else:
        X_val = check_samples(X_val, "X_val", dim=X.shape[1])
    seeds = [seed + i for i in range(int(k))]
    total = cfg.fit_steps
    if select_at is not None:
        if int(select_at) != select_at or not 0 < select_at < total:
            raise ValueError(f"select_at must be a step between 1 and {total - 1} (the fit's last), got {select_at!r}")
        if int(keep) != keep or not 1 <= keep <= k:
            raise ValueError(f"keep must be an integer from 1 to k = {k}, got {keep!r}")
        if lens_kwargs.get("checkpoint_dir") is not None:
            raise ValueError("early selection keeps its candidates in memory: pass no checkpoint_dir")
    if int(branches) != branches or branches < 1:
        raise ValueError(f"branches must be a positive integer, got {branches!r}")
    if branches > 1 and select_at is None:
        raise ValueError("branches continue the candidates from select_at: pass select_at too")
    run = partial(_run_all, n_jobs=int(n_jobs), profile=profile, lens_kwargs=lens_kwargs, X=X,
                  true_generator=true_generator)
    # a kept candidate's continuations, and the held-out loss of the one that stands for it
    branch_records: dict[int, list[dict]] = {}
    scored: dict[int, float] = {}
    if select_at is None:
        lenses = run([(s, None) for s in seeds])
        early = {}
    else:
        started = run([(s, int(select_at)) for s in seeds])
        tau = training_time(started[0].trainer_.config, int(select_at) - 1)
        early = {lens.seed: lens.objective(X_val, tau=tau)["total"] for lens in started}
        early_cos = ({lens.seed: generator_cosine_similarity(lens.generator_, true_generator) for lens in started}
                     if true_generator is not None else {})
        going_on = set(sorted(early, key=early.get)[: int(keep)])
        kept = [lens for lens in started if lens.seed in going_on]
        B = int(branches)
        ends = run([lens if b == 0 else lens.branched(b) for lens in kept for b in range(B)])
        finished = {}
        for i, lens in enumerate(kept):
            b, branch_records[lens.seed] = _best_continuation(ends[i * B:(i + 1) * B], X_val, true_generator)
            finished[lens.seed], scored[lens.seed] = ends[i * B + b], branch_records[lens.seed][b]["held_out_loss"]
        lenses = [finished.get(lens.seed, lens) for lens in started]
    best, records, candidates = None, [], []
    for s, lens in zip(seeds, lenses):
        if keep_candidates:  # otherwise each lens but the best is dropped as soon as it is scored
            candidates.append(lens)
        done = lens.n_steps_ == total
        loss = scored[s] if s in scored else lens.objective(X_val)["total"] if done else None
        rec = {"seed": s, "held_out_loss": loss}
        if early:
            rec.update(early_loss=early[s], finished=done)
            if early_cos:
                rec["early_cosine_similarity"] = early_cos[s]
        if true_generator is not None:
            rec["cosine_similarity"] = generator_cosine_similarity(lens.generator_, true_generator)
        if len(branch_records.get(s, ())) > 1:
            rec["branches"] = branch_records[s]
        if lens.trainer_.end_snap is not None:  # snap_end: agreement, whether G changed, cos before
            rec["end_snap"] = lens.trainer_.end_snap
        records.append(rec)
        if done and (best is None or loss < best[0]):
            best = (loss, lens)
    for rec in records:
        rec["chosen"] = rec["seed"] == best[1].seed
    best[1].restarts_ = records
    if keep_candidates:
        best[1].candidates_ = candidates
    return best[1]


def _best_continuation(ends: list[SymmetryLens], X_val, true_generator) -> tuple[int, list[dict]]:
    """Among the continuations (finished lenses of one candidate, the plain one first), the
    index of the one with the lowest held-out loss at τ = 1, and one record per continuation."""
    recs = []
    for b, lens in enumerate(ends):
        rec = {"branch_seed": b, "held_out_loss": lens.objective(X_val)["total"]}
        if true_generator is not None:
            rec["cosine_similarity"] = generator_cosine_similarity(lens.generator_, true_generator)
        recs.append(rec)
    return min(range(len(ends)), key=lambda b: recs[b]["held_out_loss"]), recs


def _run_all(tasks: list, n_jobs: int, profile, lens_kwargs: dict, X, true_generator) -> list[SymmetryLens]:
    """Fit or continue candidates in task order, ``n_jobs`` at a time.  A task is either
    (seed, stop_at): a new fit, stopped at ``stop_at`` (None: the end), or a lens fitted
    part way, to finish.  A single task runs in this process, on all its threads."""
    n_jobs = min(n_jobs, len(tasks))
    if n_jobs <= 1:
        return [_task(t, profile, lens_kwargs, X, true_generator, None) for t in tasks]
    threads = max(1, torch.get_num_threads() // n_jobs)
    quiet = {**lens_kwargs, "progress": False}
    # spawn: a forked child would inherit torch's thread pools in an undefined state
    with ProcessPoolExecutor(n_jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        work = partial(_task, profile=profile, lens_kwargs=quiet, X=X, true_generator=true_generator, threads=threads)
        return list(pool.map(work, tasks))


def saved_best_of(root) -> list[tuple[Path, dict]]:
    """The records ``benchmarks/best_of_target.py`` saved under ``root``
    (``<dataset>/seed<s>.json``, not the ``seed<s>-scores.json`` caches beside them), as
    (path, record) pairs sorted by dataset and base seed; empty if there are none."""
    found = [(f, json.loads(f.read_text())) for f in Path(root).glob("*/seed*.json") if "-" not in f.stem]
    return sorted(found, key=lambda fr: (fr[1]["dataset"], fr[1]["base_seed"]))


def best_of_record(root, dataset: str, base_seed: int) -> dict | None:
    """The record ``benchmarks/best_of_target.py`` saved under ``root`` for one training set
    (``<dataset>/seed<base_seed>.json``), or None if there is none."""
    f = Path(root) / dataset / f"seed{int(base_seed)}.json"
    return json.loads(f.read_text()) if f.exists() else None


def is_finished(candidate: dict) -> bool:
    """Whether a saved candidate trained to the end: one an early selection dropped has
    ``finished`` false and the cos of the step it stopped at (records saved before early
    selection existed have no such field: every candidate finished)."""
    return bool(candidate.get("finished", True))


def meets_target(record: dict, target: float = 0.95, seconds: float = 900.0) -> bool:
    """Whether a saved best-of call met the target: its kept fit's ``cos`` at or above
    ``target`` with ``wall_s`` (the whole call) within ``seconds`` (issue 8's N = 33 target)."""
    return record["cos"] >= target and record["wall_s"] <= seconds


def selection_statistics(records: list[dict], target: float = 0.95, seconds: float = 900.0,
                         margin: float = 0.1) -> dict:
    """What best-of-k bought over saved records (each with ``cos`` of the kept fit,
    ``wall_s`` and ``candidates`` carrying ``cosine_similarity``).

    Candidates an early selection dropped (``finished`` false: their cos is from the step
    they stopped at) count in none of the candidate figures.  Returns ``kept`` and
    ``candidates`` (the cos values of finished candidates), ``kept_mean`` and
    ``candidates_mean``, ``met`` (kept fits ≥ ``target`` within ``seconds`` for the whole
    call), ``split`` (sets whose best and worst finished candidates differ by more than
    ``margin``) and ``right`` (of those, the sets where the kept fit is the best candidate).
    """
    if not records:
        raise ValueError("no best-of records to summarise")

    def finished(r):
        return [float(c["cosine_similarity"]) for c in r["candidates"] if is_finished(c)]

    kept = [float(r["cos"]) for r in records]
    cands = [c for r in records for c in finished(r)]
    split = right = 0
    for r in records:
        cos = finished(r)
        if max(cos) - min(cos) > margin:
            split += 1
            right += r["cos"] == max(cos)
    return {"kept": kept, "candidates": cands, "kept_mean": float(np.mean(kept)),
            "candidates_mean": float(np.mean(cands)),
            "met": sum(meets_target(r, target, seconds) for r in records),
            "split": split, "right": int(right)}


def early_choice(early_loss: dict[int, float], final_loss: dict[int, float], keep: int) -> int:
    """The candidate early selection keeps (what :func:`fit_best_of` with ``select_at`` and
    ``keep`` does, replayed on saved scores): the ``keep`` seeds with the lowest
    ``early_loss`` go on, and of those the lowest ``final_loss`` wins.  ``final_loss`` needs
    an entry for every seed that goes on."""
    if not 1 <= keep <= len(early_loss):
        raise ValueError(f"keep must lie in 1..{len(early_loss)}, got {keep}")
    going_on = sorted(early_loss, key=early_loss.get)[:keep]
    missing = [s for s in going_on if s not in final_loss]
    if missing:
        raise ValueError(f"no final loss for seeds {missing}, which go on")
    return min(going_on, key=final_loss.get)


def saved_early_selection(root, best_of_root) -> list[tuple[dict, dict[int, dict]]]:
    """The records ``benchmarks/early_selection.py`` saved under ``root``
    (``<dataset>-seed<s>.json``), each with the final ``{"cos", "loss"}`` (held-out loss at
    τ = 1) of all four candidates by seed: the candidates trained to the end from their last
    point, the retrained ones from the best-of-two record under ``best_of_root``
    (``<dataset>/seed<s>.json``).  Sorted by dataset and base seed."""
    out = []
    for f in sorted(Path(root).glob("*-seed*.json")):
        rec = json.loads(f.read_text())
        saved = json.loads((Path(best_of_root) / rec["dataset"] / f"seed{rec['base_seed']}.json").read_text())
        fin = {c["seed"]: {"cos": c["cosine_similarity"], "loss": c["held_out_loss"]} for c in saved["candidates"]}
        for c in rec["candidates"]:
            if c["stop"] == rec["total_steps"]:
                fin[c["seed"]] = {"cos": c["points"][-1]["cos"], "loss": c["points"][-1]["loss_1"]}
        out.append((rec, fin))
    return sorted(out, key=lambda rf: (rf[0]["dataset"], rf[0]["base_seed"]))
