"""symlens.seriation: re-ordering the pixels a generator's chain visits.

Ground truth: chains built by hand in a random orthonormal basis Q (the hidden pixels q_j),
Gaussian bumps rendered in that basis, and the true shift Q S Qᵀ.  A generator whose chain
visits the pixels with a reversed run (a domain wall) must come back as the true shift.
"""

from dataclasses import replace

import numpy as np
import pytest
import scipy.linalg
import torch

from symlens.batched import BatchedTrainer
from symlens.config import get_profile
from symlens.data import make_dataset, true_generator
from symlens.metrics import generator_cosine_similarity
from symlens.seriation import (best_path, chain_generator, cycle_log, lift_rows, neighbour_information,
                               path_score, pixel_estimates, seriate, snap, snap_model)
from symlens.train import Trainer, seriation_due, snap_due

N, P = 15, 15
M = N + 2 * P


def _basis(n=N, seed=0):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    return q


def _bumps(Q, n=8192):
    """Gaussian bumps rendered on the hidden pixels and observed through Q: (n, N)."""
    return make_dataset("gaussian-translation", n, dim=Q.shape[0], seed=3).signals.astype(np.float64) @ Q.T


def test_cycle_log_is_the_skew_logarithm_of_the_cyclic_shift():
    for m in (1, 3, 9, 45):
        L = cycle_log(m)
        np.testing.assert_allclose(L, -L.T, atol=0)
        np.testing.assert_allclose(scipy.linalg.expm(L), np.roll(np.eye(m), 1, axis=0), atol=1e-12)
    with pytest.raises(ValueError, match="odd size"):
        cycle_log(8)


def test_chain_generator_moves_each_row_to_the_next_and_leaves_through_the_padding():
    U = _basis()
    G, A = chain_generator(U, P)
    np.testing.assert_allclose(G.T @ G, np.eye(M), atol=1e-12)
    np.testing.assert_allclose(scipy.linalg.expm(A), G, atol=1e-10)
    embed = np.zeros((N, M))
    embed[:, P:P + N] = U
    for k in range(N - 1):
        np.testing.assert_allclose(G @ embed[k], embed[k + 1], atol=1e-12)
    out = G @ embed[N - 1]  # the last pixel steps into the first right-padding axis
    np.testing.assert_allclose(out, np.eye(M)[P + N], atol=1e-12)
    with pytest.raises(ValueError, match="orthonormal rows"):
        chain_generator(2 * U, P)


def test_lift_rows_of_a_hand_built_chain_are_its_pixels_in_order():
    Q = _basis()
    G, _ = chain_generator(Q.T, P)  # rows of Qᵀ: the pixels q_0 ... q_14 in order
    rows = lift_rows(G, 3.0 * Q[:, 7], P)  # delta at the middle pixel, any norm
    np.testing.assert_allclose(rows, Q.T, atol=1e-12)
    np.testing.assert_allclose(pixel_estimates(rows), Q.T, atol=1e-12)
    with pytest.raises(ValueError, match="filter is zero"):
        lift_rows(G, np.zeros(N), P)
    with pytest.raises(ValueError, match="must be"):
        lift_rows(G, Q[:, 7], P - 1)


def test_pixel_estimates_deconvolve_a_wide_filter():
    # a three-pixel filter under the exact chain: overlapping rows whose polar factor is
    # orthonormal and still peaks on the right pixel in every row
    Q = _basis()
    G, _ = chain_generator(Q.T, P)
    psi = Q @ np.convolve(np.eye(N)[7], [0.5, 1.0, 0.5], mode="same")
    U = pixel_estimates(lift_rows(G, psi, P))
    np.testing.assert_allclose(U @ U.T, np.eye(N), atol=1e-12)
    assert (np.abs(U @ Q).argmax(axis=1) == np.arange(N)).all()


def test_neighbour_information_is_the_gaussian_mutual_information():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 200_000))
    rho = 0.6
    Y = np.stack([a, rho * a + np.sqrt(1 - rho**2) * b, b], axis=1)
    W = neighbour_information(Y)
    assert W[0, 1] == pytest.approx(-0.5 * np.log(1 - rho**2), abs=5e-3)  # 0.223 nats
    assert W[0, 2] == pytest.approx(0.0, abs=1e-4)
    np.testing.assert_allclose(np.diag(W), 0.0)
    np.testing.assert_allclose(W, W.T)
    with pytest.raises(ValueError, match="constant"):
        neighbour_information(np.c_[Y, np.ones(len(Y))])
    dead = neighbour_information(np.c_[Y, np.ones(len(Y))], constant="zero")
    np.testing.assert_array_equal(dead[3], 0.0)
    np.testing.assert_allclose(dead[:3, :3], W)
    np.testing.assert_array_equal(neighbour_information(np.ones((5, 3)), constant="zero"), 0.0)


def test_seriation_reads_at_least_one_whole_batch(monkeypatch):
    # fewer seriation samples than a batch (the paper profile: 8 192 against 16 500): the
    # record's terms still come from a batch the conditional estimator can split
    import symlens.train as train

    monkeypatch.setattr(train, "SERIATION_SAMPLES", 2 * N + 1)
    tr, Q = _walled_trainer((0.5,))
    tr.fit(torch.from_numpy(_bumps(Q)).float(), progress=False)
    assert tr._seriation_data.shape[0] == tr.config.batch_size == 4 * N
    (rec,) = tr.seriations
    assert np.isfinite(rec["terms_before"]["total"])


def test_seriate_survives_a_dead_pixel():
    # a pixel the data never move: the rest of a walled chain is still put in order
    Q = _basis()
    X = _bumps(Q)
    X = X - np.outer(X @ Q[:, 0], Q[:, 0])  # pixel 0 (an end of the chain) never lights up
    walled = list(range(5)) + list(range(10, 4, -1)) + list(range(11, N))
    G, _ = chain_generator(Q.T[walled], P)
    out = seriate(G, Q[:, walled[7]], X, P)
    assert out["changed"]
    G_new = out["G"][P:P + N, P:P + N]
    moved = [int(np.abs(Q.T @ G_new @ Q[:, k]).argmax()) for k in range(1, N - 1)]
    assert {m - k for m, k in zip(moved, range(1, N - 1))} in ({1}, {-1}), moved  # one way, no wall


def test_best_path_recovers_a_scrambled_chain_and_undoes_a_wall():
    n = 21
    W = np.exp(-np.abs(np.subtract.outer(np.arange(n), np.arange(n))).astype(float))
    np.fill_diagonal(W, 0.0)
    perm = np.random.default_rng(1).permutation(n)
    found = perm[best_path(W[np.ix_(perm, perm)])]
    assert list(found) in (list(range(n)), list(range(n))[::-1])
    walled = list(range(8)) + list(range(15, 7, -1)) + list(range(16, n))  # 0..7, 15..8, 16..20
    assert path_score(W, walled) < path_score(W, range(n))
    assert best_path(W, walled) in (list(range(n)), list(range(n))[::-1])
    assert path_score(W, [2, 0, 1]) == pytest.approx(W[2, 0] + W[0, 1])
    with pytest.raises(ValueError, match="permutation"):
        best_path(W, [0] * n)


def test_seriate_turns_a_walled_chain_into_the_true_shift():
    Q = _basis()
    X = _bumps(Q)
    truth = true_generator(Q)
    walled = list(range(5)) + list(range(10, 4, -1)) + list(range(11, N))  # a reversed run
    G, _ = chain_generator(Q.T[walled], P)
    assert generator_cosine_similarity(G[P:P + N, P:P + N], truth) < 0.6
    out = seriate(G, Q[:, walled[7]], X, P)  # the filter in the middle of the chain
    assert out["changed"] and out["score_after"] > out["score_before"]
    assert generator_cosine_similarity(out["G"][P:P + N, P:P + N], truth) > 0.999
    np.testing.assert_allclose(scipy.linalg.expm(out["A"]), out["G"], atol=1e-10)


def test_snap_keeps_an_exact_chain_and_reorders_without_the_gain_bars():
    Q = _basis()
    G, _ = chain_generator(Q.T, P)
    out = snap(G, Q[:, 7], P)  # an exact chain with a delta filter: nothing to change
    assert out["order"] == list(range(N)) and "score_before" not in out
    np.testing.assert_allclose(out["G"], G, atol=1e-10)
    np.testing.assert_allclose(scipy.linalg.expm(out["A"]), out["G"], atol=1e-10)
    walled = list(range(5)) + list(range(10, 4, -1)) + list(range(11, N))
    Gw, _ = chain_generator(Q.T[walled], P)
    kept = snap(Gw, Q[:, walled[7]], P)  # no data: the wall stays, in the chain's own order
    np.testing.assert_allclose(kept["G"], Gw, atol=1e-10)
    X = _bumps(Q)
    barred = seriate(Gw, Q[:, walled[7]], X, P, max_gain=0.011)
    assert not barred["changed"] and barred["score_after"] > 1.011 * barred["score_before"]
    fixed = snap(Gw, Q[:, walled[7]], P, X=X)  # with data it reorders whatever the gain
    assert fixed["score_after"] == barred["score_after"]
    assert generator_cosine_similarity(fixed["G"][P:P + N, P:P + N], true_generator(Q)) > 0.999


def test_seriate_leaves_a_correct_chain_alone():
    Q = _basis()
    G, _ = chain_generator(Q.T, P)
    out = seriate(G, Q[:, 7], _bumps(Q), P)
    assert not out["changed"] and out["order"] == list(range(N))
    assert "G" not in out and out["score_after"] == pytest.approx(out["score_before"])


def _walled_trainer(seriate_tau, reference=False):
    cfg = get_profile("smoke", epochs=1, steps_per_epoch=4, hidden=8, batch_size=N * 4, n_batches=2,
                      padding=P, model_lr=1e-9, filter_noise=1e-9, centring="component",
                      filter_norm="unit", tau_clock="steps", seriate_tau=seriate_tau)
    tr = Trainer(cfg, N, seed=0, reference=reference)
    Q = _basis()
    walled = list(range(5)) + list(range(10, 4, -1)) + list(range(11, N))
    _, A = chain_generator(Q.T[walled], P)
    with torch.no_grad():
        tr.model.generator.A.copy_(torch.from_numpy(A))
        tr.model.filter.psi.copy_(torch.from_numpy(Q[:, walled[7]]).float())  # the middle of the chain
    return tr, Q


def test_seriation_is_due_once_per_training_time_crossed():
    cfg = get_profile("smoke", epochs=1, steps_per_epoch=100, tau_clock="steps", seriate_tau=(0.25, 0.5))
    assert [s for s in range(100) if seriation_due(cfg, s)] == [24, 49]  # τ = (s + 1) / 100
    assert not any(seriation_due(get_profile("smoke"), s) for s in range(200))


def test_trainer_seriates_at_the_chosen_time():
    tr, Q = _walled_trainer((0.5,))
    X = torch.from_numpy(_bumps(Q)).float()
    tr.fit(X, progress=False, stop_at=1)
    assert tr.seriations == []
    tr.fit(X, progress=False, stop_at=2)  # step 2 of 4 reaches τ = 0.5
    (rec,) = tr.seriations
    assert rec["step"] == 2 and rec["tau"] == pytest.approx(0.5) and rec["changed"]
    # the mended chain's resolved components are more alike along it (the method's own term)
    assert rec["terms_after"]["uniformity"] < rec["terms_before"]["uniformity"]
    G = tr.current_generator()
    assert generator_cosine_similarity(G, true_generator(Q)) > 0.99
    # the filter moved to the middle of the new chain
    assert int(np.abs(Q.T @ tr.model.filter.psi.detach().double().numpy()).argmax()) == (N - 1) // 2
    state = tr.state_dict()
    assert state["seriations"] == tr.seriations


def test_a_seriation_that_changes_nothing_leaves_the_fit_as_it_was_without():
    # the record's terms are computed without drawing from any random stream
    Q = _basis()
    _, A_true = chain_generator(Q.T, P)
    fits = []
    for taus in ((0.5,), ()):
        tr, _ = _walled_trainer(taus)
        with torch.no_grad():
            tr.model.generator.A.copy_(torch.from_numpy(A_true))
            tr.model.filter.psi.copy_(torch.from_numpy(Q[:, (N - 1) // 2]).float())
        fits.append(tr.fit(torch.from_numpy(_bumps(Q)).float(), progress=False))
    (rec,) = fits[0].seriations
    assert not rec["changed"] and np.isfinite(rec["terms_before"]["total"]) and "terms_after" not in rec
    for (k, a), (_, b) in zip(fits[0].system.named_parameters(), fits[1].system.named_parameters()):
        assert torch.equal(a, b), k


def test_a_seriation_that_gains_too_much_is_left_out():
    # the walled chain's best order gains g: a bar below g leaves the chain, one above lets it go
    Q = _basis()
    walled = list(range(5)) + list(range(10, 4, -1)) + list(range(11, N))
    G, _ = chain_generator(Q.T[walled], P)
    X = _bumps(Q)
    free = seriate(G, Q[:, walled[7]], X, P)
    gain = free["score_after"] / free["score_before"] - 1.0
    assert free["changed"] and gain > 0.02
    held = seriate(G, Q[:, walled[7]], X, P, max_gain=gain / 2)
    assert not held["changed"] and "G" not in held and held["order"] == free["order"]
    assert seriate(G, Q[:, walled[7]], X, P, max_gain=2 * gain)["changed"]
    tr, _ = _walled_trainer((0.5,))
    tr = Trainer(replace(tr.config, seriate_max_gain=gain / 2), N, seed=0)
    with torch.no_grad():
        _, A = chain_generator(Q.T[walled], P)
        tr.model.generator.A.copy_(torch.from_numpy(A))
        tr.model.filter.psi.copy_(torch.from_numpy(Q[:, walled[7]]).float())
    tr.fit(torch.from_numpy(X).float(), progress=False)
    (rec,) = tr.seriations
    assert not rec["changed"] and "terms_after" not in rec
    assert generator_cosine_similarity(tr.current_generator(), true_generator(Q)) < 0.95  # still walled


def test_seriate_tau_is_validated():
    for bad in ((0.0,), (0.5, 0.3), (1.2,), (0.4, 0.4)):
        with pytest.raises(ValueError, match="seriate_tau"):
            get_profile("smoke", seriate_tau=bad)
    assert get_profile("smoke", seriate_tau=[0.3, 0.6]).seriate_tau == (0.3, 0.6)
    for bad in (0.0, 0.01, -1.0):
        with pytest.raises(ValueError, match="seriate_max_gain"):
            get_profile("smoke", seriate_max_gain=bad)


def test_stacked_fits_seriate_each_run_as_it_would_alone():
    # run 0 starts walled, run 1 on the true chain: the stack must mend run 0 only, and each
    # run must end where a Trainer fitting it alone ends (records, parameters, Adam moments)
    alone = [_walled_trainer((0.5,), reference=True)[0] for _ in range(2)]  # the path vmap takes
    Q = _basis()
    cfg = alone[0].config
    _, A_true = chain_generator(Q.T, P)
    with torch.no_grad():
        alone[1].model.generator.A.copy_(torch.from_numpy(A_true))
        alone[1].model.filter.psi.copy_(torch.from_numpy(Q[:, (N - 1) // 2]).float())
    bt = BatchedTrainer(cfg, N, seeds=[0, 0])
    with torch.no_grad():
        for i, tr in enumerate(alone):
            for k, p in tr.system.named_parameters():
                bt.params[k][i].copy_(p)
    X = torch.from_numpy(_bumps(Q)).float()
    bt.fit([X, X], progress=False)
    for tr in alone:
        tr.fit(X, progress=False)
    (mended,), (kept,) = (t.seriations for t in bt.trainers)
    assert mended["changed"] and not kept["changed"] and mended["step"] == 2
    assert generator_cosine_similarity(bt.trainers[0].current_generator(), true_generator(Q)) > 0.99
    for b, a in zip(bt.trainers, alone):
        keys = ("step", "tau", "changed", "order", "filter_moved")
        assert b.seriations[0]["terms_before"] == pytest.approx(a.seriations[0]["terms_before"], abs=1e-4)
        assert [[r[k] for k in keys] for r in b.seriations] == [[r[k] for k in keys] for r in a.seriations]
        for (k, pa), (_, pb) in zip(a.system.named_parameters(), b.system.named_parameters()):
            np.testing.assert_allclose(pb.detach().numpy(), pa.detach().numpy(), atol=1e-4, err_msg=k)


def _cycled_inside_the_window(Q):
    """A_big whose chain visits the hidden pixels in order and closes from the last back to the
    first inside the window (padding fixed): the exit link the loss never sees, set wrong."""
    A = np.zeros((M, M))
    A[P:P + N, P:P + N] = Q @ cycle_log(N) @ Q.T  # u_k -> u_{k+1}, u_{N-1} -> u_0, u_k = Q[:, k]
    return A


def test_snap_model_sends_the_exit_into_the_padding_when_the_chains_agree():
    Q = _basis()
    truth = true_generator(Q)
    for gate, changed in ((0.95, True), (0.99, False)):
        tr, _ = _walled_trainer(())
        with torch.no_grad():
            tr.model.generator.A.copy_(torch.from_numpy(_cycled_inside_the_window(Q)))
            tr.model.filter.psi.copy_(torch.from_numpy(Q[:, (N - 1) // 2]).float())
        before = tr.current_generator()
        # the cycle scores sqrt((N - 1)/N) against the open chain (one link of N is wrong)
        assert generator_cosine_similarity(before, truth) == pytest.approx(np.sqrt((N - 1) / N), abs=1e-6)
        rec = snap_model(tr.model, gate)
        assert rec["agreement"] == pytest.approx(np.sqrt((N - 1) / N), abs=1e-5)  # 0.966 at N = 15
        assert rec["changed"] is changed
        after = tr.current_generator()
        if changed:
            assert generator_cosine_similarity(after, truth) > 0.999
        else:
            np.testing.assert_array_equal(after, before)
    with pytest.raises(ValueError, match="min_agreement"):
        snap_model(tr.model, 0.0)


def test_a_fit_snaps_its_chain_after_its_last_step_only():
    Q = _basis()
    truth = true_generator(Q)
    X = torch.from_numpy(_bumps(Q)).float()
    fits = {}
    for gate in (None, 0.95):
        tr, _ = _walled_trainer(())
        tr = Trainer(replace(tr.config, snap_end=gate), N, seed=0)
        assert [s for s in range(10) if snap_due(tr.config, s)] == ([] if gate is None else [4])
        with torch.no_grad():
            tr.model.generator.A.copy_(torch.from_numpy(_cycled_inside_the_window(Q)))
            tr.model.filter.psi.copy_(torch.from_numpy(Q[:, (N - 1) // 2]).float())
        tr.fit(X, true_generator=truth, progress=False, stop_at=3)
        assert tr.end_snap is None  # not yet at the end
        fits[gate] = tr.fit(X, true_generator=truth, progress=False)
    assert fits[None].end_snap is None
    rec = fits[0.95].end_snap
    assert rec["step"] == 4 and rec["changed"]
    assert rec["cosine_before"] == pytest.approx(np.sqrt((N - 1) / N), abs=1e-3)
    assert rec["cosine_after"] > 0.999
    assert generator_cosine_similarity(fits[0.95].current_generator(), truth) == pytest.approx(rec["cosine_after"])
    assert fits[0.95].state_dict()["end_snap"] == rec
    for bad in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="snap_end"):
            get_profile("smoke", snap_end=bad)


def test_stacked_fits_snap_each_run_as_it_would_alone():
    Q = _basis()
    truth = true_generator(Q)
    cfg = replace(_walled_trainer(())[0].config, snap_end=0.95)
    _, A_true = chain_generator(Q.T, P)
    bt = BatchedTrainer(cfg, N, seeds=[0, 0])
    with torch.no_grad():
        for i, A in enumerate((_cycled_inside_the_window(Q), A_true)):
            bt.params["model.generator.A"][i].copy_(torch.from_numpy(A))
            bt.params["model.filter.psi"][i].copy_(torch.from_numpy(Q[:, (N - 1) // 2]).float())
    X = torch.from_numpy(_bumps(Q)).float()
    bt.fit([X, X], true_generators=[truth, truth], progress=False)
    cycled, exact = (t.end_snap for t in bt.trainers)
    assert cycled["changed"] and cycled["cosine_after"] > 0.999 > cycled["cosine_before"]
    assert exact["agreement"] > 0.999 and exact["cosine_after"] > 0.999
    A = bt.params["model.generator.A"].detach().double()  # the stacked parameters carry the snap
    for big in torch.linalg.matrix_exp(0.5 * (A - A.mT)):
        assert generator_cosine_similarity(big[P:P + N, P:P + N].numpy(), truth) > 0.999
