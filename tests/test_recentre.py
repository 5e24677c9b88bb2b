"""symlens.recentre: the filter's place along the generator's chain, and moving it to the middle.

Ground truth: the exact padded shift, built by hand, moves a delta at window pixel c one
pixel up per power of Gᵀ, so it stays in the window for N-1-c forward steps and c backward
steps: offset (N-1)/2 - c, and recentring puts the delta at pixel (N-1)/2.
"""

import numpy as np
import pytest
import scipy.linalg
import torch

from symlens.config import get_profile
from symlens.recentre import chain_offset, recentre_filter, recentring_matrix
from symlens.train import Trainer

N, P = 7, 7
M = N + 2 * P
HALF = (N - 1) // 2


def _padded_shift(m=M):
    """Cyclic shift of the padded space: Gᵀ e_j = e_{j+1} (mod M), orthogonal."""
    G = torch.zeros(m, m, dtype=torch.float64)
    for j in range(m):
        G[j, (j + 1) % m] = 1.0
    return G


def _delta(c, n=N, scale=1.0):
    v = torch.zeros(n, dtype=torch.float64)
    v[c] = scale
    return v


def test_the_hand_built_shift_moves_a_delta_one_pixel_up():
    G = _padded_shift()
    assert torch.equal(G.T @ G, torch.eye(M, dtype=torch.float64))
    assert torch.equal(G.T @ _delta(4, M), _delta(5, M))


@pytest.mark.parametrize("c", range(N))
def test_offset_of_a_delta_is_its_distance_from_the_middle(c):
    assert float(chain_offset(_padded_shift(), _delta(c, scale=3.0), P)) == pytest.approx(HALF - c)


def test_offset_does_not_depend_on_the_basis():
    # hidden basis -> data basis: G -> Q_b G Q_bᵀ with Q acting on the window, ψ -> Q ψ
    Q = torch.from_numpy(scipy.linalg.qr(np.random.default_rng(0).normal(size=(N, N)))[0])
    Qb = torch.block_diag(torch.eye(P, dtype=torch.float64), Q, torch.eye(P, dtype=torch.float64))
    psi = _delta(1) + 0.5 * _delta(2)
    hidden = chain_offset(_padded_shift(), psi, P)
    data = chain_offset(Qb @ _padded_shift() @ Qb.T, Q @ psi, P)
    assert float(data) == pytest.approx(float(hidden), abs=1e-9)


def test_a_wide_filter_sits_at_its_mass_weighted_mean():
    psi = torch.sqrt(torch.tensor([0.0, 0.25, 0.75, 0, 0, 0, 0], dtype=torch.float64))
    assert float(chain_offset(_padded_shift(), psi, P)) == pytest.approx(0.25 * (HALF - 1) + 0.75 * (HALF - 2))


def test_a_cycle_closed_inside_the_window_has_no_offset():
    closed = torch.block_diag(torch.eye(P), _padded_shift(N), torch.eye(P)).double()
    for c in range(N):
        assert float(chain_offset(closed, _delta(c), P)) == pytest.approx(0.0)


def test_stacked_offsets_are_each_runs_own():
    G = torch.stack([_padded_shift(), _padded_shift()])
    psi = torch.stack([_delta(0), _delta(5)])
    np.testing.assert_allclose(chain_offset(G, psi, P).numpy(), [HALF, HALF - 5])


def test_recentring_matrix_is_the_windows_transport():
    assert torch.equal(recentring_matrix(_padded_shift(), N, P, 2) @ _delta(1), _delta(3))
    assert torch.equal(recentring_matrix(_padded_shift(), N, P, -3) @ _delta(5), _delta(2))


def test_recentre_moves_the_filter_and_keeps_its_norm():
    psi = _delta(1, scale=2.5).float()
    ks = recentre_filter(psi, _padded_shift(), P)
    assert ks == [HALF - 1]
    torch.testing.assert_close(psi, _delta(HALF, scale=2.5).float())


def test_recentre_stacked_filters_each_by_its_own_shift():
    psi = torch.stack([_delta(0), _delta(HALF), _delta(6)]).float()
    ks = recentre_filter(psi, torch.stack([_padded_shift()] * 3), P)
    assert ks == [HALF, 0, HALF - 6]
    torch.testing.assert_close(psi, torch.stack([_delta(HALF)] * 3).float())


def test_recentre_moves_adams_moments_with_the_filter():
    psi = torch.nn.Parameter(_delta(5).float())
    opt = torch.optim.Adam([psi], lr=0.1)
    opt.state[psi] = {"step": torch.tensor(3.0), "exp_avg": _delta(5, scale=0.2).float(),
                      "exp_avg_sq": _delta(5, scale=0.04).float()}
    with torch.no_grad():
        assert recentre_filter(psi, _padded_shift(), P, opt) == [HALF - 5]
    st = opt.state[psi]
    torch.testing.assert_close(psi.detach(), _delta(HALF).float())
    torch.testing.assert_close(st["exp_avg"], _delta(HALF, scale=0.2).float())
    torch.testing.assert_close(st["exp_avg_sq"], _delta(HALF, scale=0.04).float())


def test_recentre_keeps_a_tensorwise_second_moment():
    psi = torch.nn.Parameter(_delta(0).float())
    opt = torch.optim.Adam([psi], lr=0.1)
    opt.state[psi] = {"exp_avg": torch.zeros(N), "exp_avg_sq": torch.tensor([0.5])}
    with torch.no_grad():
        recentre_filter(psi, _padded_shift(), P, opt)
    assert opt.state[psi]["exp_avg_sq"].tolist() == [0.5]


def test_recentre_rejects_mismatched_stacks():
    with pytest.raises(ValueError, match="2 filters but 3 generators"):
        recentre_filter(torch.ones(2, N), torch.stack([_padded_shift()] * 3), P)


def test_trainer_recentres_every_k_steps():
    # a Trainer whose generator is the exact padded shift (A = log G, real and skew since
    # the cyclic shift of odd M has no eigenvalue -1) and whose filter is a delta at pixel 0;
    # a vanishing model rate keeps G the shift through the step
    cfg = get_profile("smoke", epochs=1, steps_per_epoch=2, hidden=8, batch_size=N * 4, n_batches=2,
                      padding=P, model_lr=1e-9, filter_noise=1e-9, recentre_filter_every=2,
                      centring="component", filter_norm="unit")
    tr = Trainer(cfg, N, seed=0)
    logG = scipy.linalg.logm(_padded_shift().numpy()).real
    with torch.no_grad():
        tr.model.generator.A.copy_(torch.from_numpy(logG))
        tr.model.filter.psi.copy_(_delta(0).float())
    torch.testing.assert_close(tr.model.generator.big(), _padded_shift(), atol=1e-6, rtol=0)  # A is float32
    X = torch.randn(N * 8, N, generator=torch.Generator().manual_seed(0))
    tr.train_step(X[: N * 4])
    assert float(tr.model.filter.psi.detach()[0]) == pytest.approx(1.0, abs=1e-5)  # step 1: not due
    tr.train_step(X[N * 4 :])
    torch.testing.assert_close(tr.model.filter.psi.detach(), _delta(HALF).float(), atol=1e-5, rtol=0)
    assert tr.filter_offset() == pytest.approx(0.0, abs=1e-5)
