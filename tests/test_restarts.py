"""symlens.restarts: the restart with the lowest held-out objective is returned, whatever
the true generator says; the validation split is seeded and disjoint."""

import json

import numpy as np
import pytest

from symlens.data import make_dataset
from symlens.lens import SymmetryLens
from symlens.metrics import generator_cosine_similarity
from symlens.restarts import (best_of_record, early_choice, fit_best_of, saved_best_of, selection_statistics,
                              split_validation)

N = 7
TINY = dict(epochs=1, steps_per_epoch=2, hidden=8, batch_size=N * 4, n_batches=2, padding=3, progress=False)


def test_split_validation_is_seeded_disjoint_and_complete():
    X = np.arange(60 * 3, dtype=np.float32).reshape(60, 3)
    tr, va = split_validation(X, 0.25, 10, seed=1)
    assert len(va) == 15 and len(tr) == 45
    rows = {tuple(r) for r in np.concatenate([tr, va])}
    assert rows == {tuple(r) for r in X}
    tr2, va2 = split_validation(X, 0.25, 10, seed=1)
    np.testing.assert_array_equal(va, va2)
    with pytest.raises(ValueError, match="too few"):
        split_validation(X[:15], 0.25, 10, seed=0)


def test_the_lowest_held_out_loss_wins_not_the_truth(monkeypatch):
    # stub objective: seed 11 scores best, although another seed may match the truth better
    losses = {10: -1.0, 11: -3.0, 12: -2.0}
    monkeypatch.setattr(SymmetryLens, "objective", lambda self, X, tau=1.0: {"total": losses[self.seed]})
    d = make_dataset("gaussian-translation", N * 40, dim=N, seed=0)
    lens = fit_best_of(d.X, k=3, profile="smoke", seed=10, true_generator=d.generator, **TINY)
    assert lens.seed == 11
    assert [r["seed"] for r in lens.restarts_] == [10, 11, 12]
    assert [r["chosen"] for r in lens.restarts_] == [False, True, False]
    assert all("cosine_similarity" in r for r in lens.restarts_)


def test_real_restarts_record_their_held_out_losses():
    d = make_dataset("gaussian-dst", N * 40, dim=N, seed=0)
    held = make_dataset("gaussian-dst", N * 8, dim=N, seed=5)
    lens = fit_best_of(d.X, k=2, profile="smoke", seed=0, X_val=held.X, **TINY)
    chosen = [r for r in lens.restarts_ if r["chosen"]]
    assert len(chosen) == 1 and chosen[0]["seed"] == lens.seed
    assert chosen[0]["held_out_loss"] == pytest.approx(lens.objective(held.X)["total"])
    assert chosen[0]["held_out_loss"] == min(r["held_out_loss"] for r in lens.restarts_)
    assert not hasattr(lens, "candidates_")
    kept = fit_best_of(d.X, k=2, profile="smoke", seed=0, X_val=held.X, keep_candidates=True, **TINY)
    # every candidate comes back in seed order, each scoring what its record says
    assert [c.seed for c in kept.candidates_] == [0, 1]
    assert any(c is kept for c in kept.candidates_)
    for c, r in zip(kept.candidates_, kept.restarts_):
        assert c.objective(held.X)["total"] == pytest.approx(r["held_out_loss"])
    with pytest.raises(ValueError, match="positive integer"):
        fit_best_of(d.X, k=0, profile="smoke", **TINY)


def test_candidates_fitted_in_worker_processes_are_the_same_fits():
    # the same seeds in two spawned processes: the same candidates up to float rounding (one
    # thread each instead of this process's threads), the same records, and a usable lens
    d = make_dataset("gaussian-translation", N * 40, dim=N, seed=0)
    held = make_dataset("gaussian-translation", N * 8, dim=N, seed=5)
    one = fit_best_of(d.X, k=2, profile="smoke", seed=3, X_val=held.X, true_generator=d.generator, **TINY)
    two = fit_best_of(d.X, k=2, profile="smoke", seed=3, X_val=held.X, true_generator=d.generator, n_jobs=2, **TINY)
    assert [r["seed"] for r in two.restarts_] == [3, 4] and two.seed == one.seed
    for a, b in zip(one.restarts_, two.restarts_):
        assert b["held_out_loss"] == pytest.approx(a["held_out_loss"], abs=1e-5)
        assert b["cosine_similarity"] == pytest.approx(a["cosine_similarity"], abs=1e-5)
    np.testing.assert_allclose(two.generator_, one.generator_, atol=1e-5)
    assert two.transform(held.X).shape == (len(held.X), N)
    with pytest.raises(ValueError, match="n_jobs"):
        fit_best_of(d.X, k=2, profile="smoke", n_jobs=0, **TINY)
    with pytest.raises(ValueError, match="same checkpoint at once"):
        fit_best_of(d.X, k=2, profile="smoke", n_jobs=2, checkpoint_dir="unused", **TINY)


def test_early_selection_finishes_the_lowest_loss_at_the_stop(monkeypatch):
    # stub objective by seed and τ: at τ < 1 seed 21 scores best, at τ = 1 seed 20 would;
    # keeping one at the stop must finish 21 although 20 wins at the end
    def stub(self, X, tau=1.0):
        mid = {20: -1.0, 21: -2.0, 22: -1.5}
        return {"total": -5.0 if self.seed == 20 else -4.0} if tau == 1.0 else {"total": mid[self.seed]}

    monkeypatch.setattr(SymmetryLens, "objective", stub)
    d = make_dataset("gaussian-translation", N * 40, dim=N, seed=0)
    cfg = dict(TINY, steps_per_epoch=6)
    lens = fit_best_of(d.X, k=3, profile="smoke", seed=20, select_at=2, keep=1, **cfg)
    assert lens.seed == 21 and lens.n_steps_ == 6
    assert [(r["seed"], r["finished"], r["held_out_loss"]) for r in lens.restarts_] == [
        (20, False, None), (21, True, -4.0), (22, False, None)]
    assert [r["early_loss"] for r in lens.restarts_] == [-1.0, -2.0, -1.5]
    two = fit_best_of(d.X, k=3, profile="smoke", seed=20, select_at=2, keep=2, keep_candidates=True, **cfg)
    assert two.seed == 21 and [c.n_steps_ for c in two.candidates_] == [2, 6, 6]


def test_early_selection_finishes_the_same_fits_as_uninterrupted_ones():
    d = make_dataset("gaussian-dst", N * 40, dim=N, seed=0)
    held = make_dataset("gaussian-dst", N * 8, dim=N, seed=5)
    cfg = dict(TINY, steps_per_epoch=6)
    plain = fit_best_of(d.X, k=2, profile="smoke", seed=0, X_val=held.X, true_generator=d.generator, **cfg)
    early = fit_best_of(d.X, k=2, profile="smoke", seed=0, X_val=held.X, true_generator=d.generator,
                        select_at=3, keep=2, **cfg)
    for a, b in zip(plain.restarts_, early.restarts_):
        assert b["held_out_loss"] == a["held_out_loss"] and b["cosine_similarity"] == a["cosine_similarity"]
    np.testing.assert_array_equal(early.generator_, plain.generator_)
    # the cos at the stop is that of a fit trained to that step alone
    for r in early.restarts_:
        alone = SymmetryLens("smoke", seed=r["seed"], **cfg).fit(d.X, stop_at=3)
        assert r["early_cosine_similarity"] == generator_cosine_similarity(alone.generator_, d.generator)
    # the same in two worker processes: a candidate stopped in one process finishes in another
    spawned = fit_best_of(d.X, k=2, profile="smoke", seed=0, X_val=held.X, true_generator=d.generator,
                          select_at=3, keep=1, n_jobs=2, **cfg)
    kept = next(r for r in spawned.restarts_ if r["finished"])
    twin = next(r for r in plain.restarts_ if r["seed"] == kept["seed"])
    assert kept["held_out_loss"] == pytest.approx(twin["held_out_loss"], abs=1e-5)
    for bad, match in ((dict(select_at=6), "select_at"), (dict(select_at=0), "select_at"),
                       (dict(select_at=2, keep=3), "keep"), (dict(select_at=2, keep=0), "keep")):
        with pytest.raises(ValueError, match=match):
            fit_best_of(d.X, k=2, profile="smoke", X_val=held.X, **cfg, **bad)


def test_selection_statistics_on_hand_made_records():
    rec = lambda kept, cands, wall=500.0: {"cos": kept, "wall_s": wall,  # noqa: E731
                                           "candidates": [{"cosine_similarity": c} for c in cands]}
    records = [rec(0.97, [0.97, 0.60]),          # split, kept the better, met
               rec(0.70, [0.90, 0.70]),          # split, kept the worse
               rec(0.96, [0.96, 0.93], 950.0),   # not split; ≥ 0.95 but over the time
               rec(0.50, [0.50, 0.45])]          # not split
    st = selection_statistics(records)
    assert st["split"] == 2 and st["right"] == 1 and st["met"] == 1
    assert st["kept_mean"] == pytest.approx((0.97 + 0.70 + 0.96 + 0.50) / 4)
    assert st["candidates_mean"] == pytest.approx(sum([0.97, 0.60, 0.90, 0.70, 0.96, 0.93, 0.50, 0.45]) / 8)
    assert selection_statistics(records, seconds=1000)["met"] == 2
    # a candidate an early selection dropped has the cos of the step it stopped at: it is
    # no candidate figure (here a 0.99 at step 3 500 would make the set split and wrongly kept)
    early = {"cos": 0.80, "wall_s": 800.0, "candidates": [
        {"cosine_similarity": 0.80, "finished": True}, {"cosine_similarity": 0.99, "finished": False},
        {"cosine_similarity": 0.75, "finished": True}]}
    st = selection_statistics([early])
    assert (st["split"], st["right"]) == (0, 0)
    assert st["candidates"] == [0.80, 0.75] and st["candidates_mean"] == pytest.approx(0.775)
    with pytest.raises(ValueError, match="no best-of records"):
        selection_statistics([])


def test_saved_best_of_reads_records_not_the_caches_beside_them(tmp_path):
    for d, s in [("b-set", 1), ("a-set", 2), ("a-set", 0)]:
        (tmp_path / d).mkdir(exist_ok=True)
        (tmp_path / d / f"seed{s}.json").write_text(json.dumps({"dataset": d, "base_seed": s}))
    (tmp_path / "a-set" / "seed0-scores.json").write_text("{}")
    found = saved_best_of(tmp_path)
    assert [(r["dataset"], r["base_seed"]) for _, r in found] == [("a-set", 0), ("a-set", 2), ("b-set", 1)]
    assert saved_best_of(tmp_path / "missing") == []
    assert best_of_record(tmp_path, "a-set", 2) == {"dataset": "a-set", "base_seed": 2}
    assert best_of_record(tmp_path, "a-set", 1) is None and best_of_record(tmp_path, "c-set", 0) is None


def test_early_choice_on_hand_made_scores():
    early = {0: -1.0, 1: -3.0, 2: -2.0, 3: -0.5}
    final = {0: -9.0, 1: -4.0, 2: -5.0}
    assert early_choice(early, final, keep=1) == 1  # alone, whatever its final loss
    assert early_choice(early, final, keep=2) == 2  # 1 and 2 go on; 2 ends lower
    assert early_choice(early, final, keep=3) == 0
    with pytest.raises(ValueError, match="no final loss for seeds \\[3\\]"):
        early_choice(early, final, keep=4)
    with pytest.raises(ValueError, match="keep"):
        early_choice(early, final, keep=0)


def test_branches_finish_the_kept_candidate_in_several_continuations_and_keep_the_lowest():
    # ground truth: each continuation is a fit trained alone with branch_step = select_at and
    # its branch_seed set from the start (branch 0: the plain fit)
    d = make_dataset("gaussian-dst", N * 40, dim=N, seed=0)
    held = make_dataset("gaussian-dst", N * 8, dim=N, seed=5)
    cfg = dict(TINY, steps_per_epoch=6)
    lens = fit_best_of(d.X, k=2, profile="smoke", seed=0, X_val=held.X, true_generator=d.generator,
                       select_at=3, keep=1, branches=3, **cfg)
    kept = next(r for r in lens.restarts_ if r["finished"])
    assert [b["branch_seed"] for b in kept["branches"]] == [0, 1, 2]
    for b in kept["branches"]:
        branch = {} if b["branch_seed"] == 0 else dict(branch_step=3, branch_seed=b["branch_seed"])
        alone = SymmetryLens("smoke", seed=kept["seed"], **cfg, **branch).fit(d.X)
        assert b["held_out_loss"] == pytest.approx(alone.objective(held.X)["total"], abs=1e-6)
        assert b["cosine_similarity"] == pytest.approx(generator_cosine_similarity(alone.generator_, d.generator),
                                                       abs=1e-6)
    lowest = min(kept["branches"], key=lambda b: b["held_out_loss"])
    assert kept["held_out_loss"] == lowest["held_out_loss"]
    assert lens.objective(held.X)["total"] == lowest["held_out_loss"]
    assert len({b["held_out_loss"] for b in kept["branches"]}) == 3  # three different fits
    dropped = next(r for r in lens.restarts_ if not r["finished"])
    assert "branches" not in dropped
    for bad, match in ((dict(branches=0), "branches"), (dict(branches=1.5), "branches"),
                       (dict(branches=2), "pass select_at")):
        with pytest.raises(ValueError, match=match):
            fit_best_of(d.X, k=2, profile="smoke", X_val=held.X, **cfg, **bad)


def test_meets_target_needs_both_the_cos_and_the_time_inclusive():
    from symlens.restarts import meets_target

    assert meets_target({"cos": 0.95, "wall_s": 900.0})            # both bounds are inclusive
    assert not meets_target({"cos": 0.949, "wall_s": 100.0})
    assert not meets_target({"cos": 0.99, "wall_s": 900.5})
    assert meets_target({"cos": 0.96, "wall_s": 290.0}, seconds=300.0)
    assert not meets_target({"cos": 0.96, "wall_s": 310.0}, seconds=300.0)
    assert not meets_target({"cos": 0.96, "wall_s": 100.0}, target=0.99)
