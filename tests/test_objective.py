"""symlens.objective: candidate generators built from chains, checked against hand-built
permutations, the lift of the true candidate against Qᵀ, and the held-out alignment term
against a direct NumPy computation."""

import numpy as np
import pytest
import torch

from symlens.analysis import defect_census
from symlens.config import get_profile
from symlens.data import dst_matrix, make_dataset, shift_matrix
from symlens.group_conv import group_convolution_matrix
from symlens.objective import (chain_candidate, chain_generator, held_out_objective, jump_order, lift_objective,
                               reversed_segment_order, true_candidate, true_order)


def _K(G_big, psi, P):
    return group_convolution_matrix(torch.tensor(G_big), torch.tensor(psi), P).numpy()


def test_chain_generator_is_the_permutation_of_the_order():
    G = chain_generator([0, 2, 1, 3])
    expected = np.zeros((4, 4))
    for a, b in ((0, 2), (2, 1), (1, 3), (3, 0)):
        expected[b, a] = 1.0
    np.testing.assert_array_equal(G, expected)
    np.testing.assert_array_equal(chain_generator(true_order(5))[1:, :-1], np.eye(4))  # sub-diagonal
    with pytest.raises(ValueError, match="permutation"):
        chain_generator([0, 0, 1])


def test_orders_and_their_defects():
    assert reversed_segment_order(8, 2, 5) == [0, 1, 4, 3, 2, 5, 6, 7]
    assert jump_order(6, 2) == [0, 1, 3, 4, 5, 2]
    with pytest.raises(ValueError):
        reversed_segment_order(8, 5, 5)
    with pytest.raises(ValueError):
        jump_order(6, 0)
    N, P = 9, 9
    M = N + 2 * P
    crop = lambda G: G[P:-P, P:-P]  # noqa: E731
    assert defect_census(crop(chain_generator(true_order(M))), np.eye(N))["chain"] == "++++++++."
    c = defect_census(crop(chain_generator(reversed_segment_order(M, P + 2, P + 6))), np.eye(N))
    assert c["chain"] == "+xx---++." and c["walls"] == 2  # 1->5 and 2->6 jump, 5..3 go back


@pytest.mark.parametrize("kind", ["identity", "dst"])
def test_true_candidate_lifts_x_back_to_the_reflected_hidden_signal(kind):
    N, P = 7, 7
    Q = np.eye(N) if kind == "identity" else dst_matrix(N)
    G_big, psi = true_candidate(Q, P)
    np.testing.assert_allclose(G_big[P:-P, P:-P], Q @ shift_matrix(N) @ Q.T, atol=1e-12)
    # rows ψᵀ G^p for p = -3..3 visit hidden pixels 3+3 .. 3-3: K = R Qᵀ
    np.testing.assert_allclose(_K(G_big, psi, P), np.flipud(np.eye(N)) @ Q.T, atol=1e-12)


def test_the_exit_column_is_invisible_to_a_centred_delta_filter():
    # the padded shift and a shift that wraps inside the window give the same K, so the loss
    # cannot tell them apart; the wrap costs the cosine sqrt((N-1)/N)
    N, P = 9, 9
    M = N + 2 * P
    G_true, psi = chain_candidate(true_order(M), np.eye(N), P)
    G_wrap = np.zeros((M, M))
    for cycle in (list(range(P)) + list(range(P + N, M)), list(range(P, P + N))):
        for a, b in zip(cycle, cycle[1:] + cycle[:1]):
            G_wrap[b, a] = 1.0
    np.testing.assert_array_equal(_K(G_true, psi, P), _K(G_wrap, psi, P))
    crop_t, crop_w = G_true[P:-P, P:-P], G_wrap[P:-P, P:-P]
    cos = (crop_t * crop_w).sum() / (np.linalg.norm(crop_t) * np.linalg.norm(crop_w))
    assert cos == pytest.approx(np.sqrt((N - 1) / N))


def test_held_out_alignment_of_the_truth_is_the_hidden_neighbour_correlation():
    N = 7
    cfg = get_profile("smoke", batch_size=N * 20, hidden=16, centring="component")
    train = make_dataset("gaussian-dst", N * 40, dim=N, seed=0)
    held = make_dataset("gaussian-dst", N * 40, dim=N, seed=1)
    G_big, psi = true_candidate(train.transform, cfg.resolved_padding(N))
    out = held_out_objective(G_big, psi, train.X, held.X, cfg, tau=1.0, estimator_steps=5)
    # y = R Qᵀ (x - mean) / s: neighbour correlations are the hidden signal's, batch by batch
    Xt = train.X.astype(np.float64)
    expected = []
    for k in range(2):
        Y = ((held.X[k * N * 20:(k + 1) * N * 20] - Xt.mean(0)) @ train.transform)[:, ::-1]
        C = np.corrcoef(Y.T)
        expected.append(-np.mean([C[i, i + 1] for i in range(N - 1)]))
    assert out["alignment"] == pytest.approx(np.mean(expected), abs=1e-4)
    assert all(np.isfinite(v) for v in out.values())
    with pytest.raises(ValueError, match="G_big must be"):
        held_out_objective(np.eye(3), psi, train.X, held.X, cfg)


def test_lift_objective_scores_a_lift_given_as_a_matrix():
    N = 7
    cfg = get_profile("smoke", batch_size=N * 20, hidden=16, centring="component")
    train = make_dataset("gaussian-dst", N * 40, dim=N, seed=0)
    held = make_dataset("gaussian-dst", N * 40, dim=N, seed=1)
    Q = train.transform
    # the true lift is the hidden pixels in reverse order (eq. 5 runs the powers backwards):
    # scored as a matrix, its alignment is the hidden signal's neighbour correlation too
    K = Q.T[::-1]
    out = lift_objective(K, train.X, held.X, cfg, estimator_steps=5)
    Xt = train.X.astype(np.float64)
    expected = []
    for k in range(2):
        Y = (held.X[k * N * 20:(k + 1) * N * 20] - Xt.mean(0)) @ Q
        C = np.corrcoef(Y.T)
        expected.append(-np.mean([C[i, i + 1] for i in range(N - 1)]))
    assert out["alignment"] == pytest.approx(np.mean(expected), abs=1e-4)
    with pytest.raises(ValueError, match="K must be"):
        lift_objective(np.eye(N + 1), train.X, held.X, cfg)
