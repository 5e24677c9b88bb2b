"""symlens.batched: M stacked fits are the M independent fits a Trainer would make."""

import numpy as np
import pytest
import scipy.linalg
import torch

from symlens.batched import BatchedTrainer
from symlens.config import get_profile
from symlens.train import Trainer

N = 7


def _cfg(**kw):
    base = dict(epochs=2, steps_per_epoch=3, hidden=8, batch_size=N * 4, n_batches=2, padding=3,
                log_every=2, checkpoint_every=100, snapshot_every=3, model_lr=1e-2, estimator_lr=1e-2,
                filter_noise=0.1)
    base.update(kw)
    return get_profile("smoke", **base)


def _X(seed, n=N * 8):
    g = np.random.default_rng(seed)
    s = np.cumsum(g.normal(size=(n, N + 4)), axis=1)[:, 4:]
    return (s - s.mean(1, keepdims=True)).astype(np.float32)


def _shift(n=N):
    return np.eye(n, k=1)


@pytest.mark.parametrize("options", [{}, {"centring": "component", "filter_norm": "unit"},
                                     {"model_optimizer": "adam-tensorwise"}, {"generator_noise": 1.0},
                                     {"centring": "component", "whiten": 0.1},
                                     {"alpha_end": 0.0, "alpha_fade_tau": 0.2},
                                     {"branch_step": 3, "branch_seed": 2}])
def test_stacked_fits_equal_independent_fits(options):
    # ground truth: each seed fitted alone by a plain Trainer on its own data, on the plain
    # autograd path that BatchedTrainer vmaps (the fused path is compared with it in test_fused.py)
    cfg, seeds = _cfg(**options), [0, 5]
    Xs = [_X(10), _X(11)]
    bt = BatchedTrainer(cfg, N, seeds).fit(Xs, [_shift(), None], progress=False)
    for s, X, bt_run in zip(seeds, Xs, bt.trainers):
        alone = Trainer(cfg, N, seed=s, reference=True).fit(torch.from_numpy(X), _shift() if s == 0 else None, progress=False)
        assert bt_run.step == alone.step == cfg.total_steps
        # float32 summation order differs under vmap, and Adam turns 1e-7 gradient
        # differences into ~1e-5 parameter differences; a mixed-up run (another run's noise,
        # batch or gradient) differs by the step size, ~1e-2
        for (k, a), (_, b) in zip(alone.system.named_parameters(), bt_run.system.named_parameters()):
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=0, atol=2e-4, err_msg=k)
        assert [h["step"] for h in bt_run.history] == [h["step"] for h in alone.history]
        for hb, ha in zip(bt_run.history, alone.history):
            assert hb["total"] == pytest.approx(ha["total"], rel=1e-4, abs=1e-4)
        np.testing.assert_allclose(np.stack(bt_run.snapshots["generator"]),
                                   np.stack(alone.snapshots["generator"]), atol=2e-4)
    assert "cosine_similarity" in bt.trainers[0].history[-1]
    assert "cosine_similarity" not in bt.trainers[1].history[-1]


def test_stacked_steps_with_a_gradient_reach_equal_steps_alone():
    # the first four steps (reach 1, then 2) against a plain Trainer on the same batches.
    # Not a whole fit: the detached powers leave some entries of A near-zero gradients, whose
    # float32 rounding (different under vmap) Adam scales up to the step size over a fit
    cfg = _cfg(reach_tau=0.9)
    Xs = [_X(10), _X(11)]
    bt = BatchedTrainer(cfg, N, [0, 5])
    alone = [Trainer(cfg, N, seed=s, reference=True) for s in (0, 5)]
    for _ in range(4):
        bt.train_step(torch.stack([torch.from_numpy(X[: cfg.batch_size]) for X in Xs]))
        for tr, X in zip(alone, Xs):
            tr.train_step(torch.from_numpy(X[: cfg.batch_size]))
    for i, tr in enumerate(alone):
        for k, a in tr.system.named_parameters():
            np.testing.assert_allclose(bt.params[k][i].detach().numpy(), a.detach().numpy(), rtol=0, atol=1e-4, err_msg=k)


def test_stacked_filters_are_recentred_each_along_its_own_chain():
    # every run's generator set to the exact padded shift (A = log G; see test_recentre.py),
    # filters deltas at pixels 0 and 5: after the due step each sits at pixel 3
    P = 3
    M = N + 2 * P
    G = np.zeros((M, M))
    G[np.arange(M), (np.arange(M) + 1) % M] = 1.0
    cfg = _cfg(model_lr=1e-9, filter_noise=1e-9, recentre_filter_every=1, filter_norm="unit")
    bt = BatchedTrainer(cfg, N, [0, 1])
    with torch.no_grad():
        bt.params["model.generator.A"].copy_(torch.from_numpy(np.stack([scipy.linalg.logm(G).real] * 2)))
        bt.params["model.filter.psi"].copy_(torch.eye(N)[[0, 5]])
    bt.train_step(torch.from_numpy(np.stack([_X(0)[: N * 4], _X(1)[: N * 4]])))
    np.testing.assert_allclose(bt.params["model.filter.psi"].detach().numpy(), np.eye(N)[[3, 3]], atol=1e-5)


def test_one_run_on_cpu():
    bt = BatchedTrainer(_cfg(), N, [3]).fit([_X(0)], progress=False)
    assert bt.n_runs == 1 and bt.trainers[0].step == 6


def test_runs_are_independent():
    # a second run beside it must not change the first run's fit
    cfg = _cfg()
    one = BatchedTrainer(cfg, N, [0]).fit([_X(0)], progress=False)
    two = BatchedTrainer(cfg, N, [0, 1]).fit([_X(0), _X(1)], progress=False)
    a = one.trainers[0].current_generator()
    b = two.trainers[0].current_generator()
    np.testing.assert_allclose(a, b, atol=2e-4)


def test_time_limit_stops_after_the_first_step():
    bt = BatchedTrainer(_cfg(), N, [0, 1]).fit([_X(0), _X(1)], progress=False, time_limit_s=0.0)
    assert bt.step == 1
    assert [h["step"] for h in bt.trainers[1].history] == [1]
    assert bt.trainers[1].snapshots["step"] == [0, 1]


def test_shared_optimiser_has_model_and_estimator_groups():
    bt = BatchedTrainer(_cfg(), N, [0, 1, 2])
    model = {id(p) for g in bt.opt_model.param_groups for p in g["params"]}
    est = {id(p) for g in bt.opt_est.param_groups for p in g["params"]}
    assert model == {id(bt.params["model.generator.A"]), id(bt.params["model.filter.psi"])}
    assert len(est) == len(bt.params) - 2 and not model & est
    assert all(v.shape[0] == 3 for v in bt.params.values())


@pytest.mark.parametrize("bad, match", [
    (lambda: BatchedTrainer(_cfg(), N, []), "at least one seed"),
    (lambda: BatchedTrainer(_cfg(), N, [0, 1]).fit([_X(0)], progress=False), "1 training sets for 2 runs"),
    (lambda: BatchedTrainer(_cfg(), N, [0]).fit([_X(0)[:, :5]], progress=False), r"\(n, 7\)"),
    (lambda: BatchedTrainer(_cfg(), N, [0]).fit([_X(0, n=N * 2)], progress=False), "fewer than one batch"),
    (lambda: BatchedTrainer(_cfg(batch_size=N * 4 + 1), N, [0]).fit([_X(0)], progress=False), "multiple of N"),
    (lambda: BatchedTrainer(_cfg(), N, [0]).fit([_X(0)], [None, None], progress=False), "2 true generators"),
    (lambda: BatchedTrainer(_cfg(), N, [0, 1]).train_step(torch.zeros(3, N * 4, N)), "3 batches"),
])
def test_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()
