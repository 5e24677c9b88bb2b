"""symlens.entropy: the soft rank threshold (eq. 17) and the low-rank Gaussian entropy
(eqs. 14-16) against closed forms and the spec's quoted numbers (§1.8)."""

import math

import numpy as np
import pytest
import torch

from symlens.entropy import effective_rank, gaussian_entropies, low_rank_entropy, soft_threshold_weights

from _reference import low_rank_entropy as ref_low_rank_entropy
from _reference import soft_weights


def _gaussian_samples(C, n, seed):
    L = np.linalg.cholesky(C)
    return np.random.default_rng(seed).normal(size=(n, C.shape[0])) @ L.T


def _known_cov(N=5, seed=0):
    A = np.random.default_rng(seed).normal(size=(N, N))
    return A @ A.T / N + 0.3 * np.eye(N)


@pytest.mark.parametrize("gain", [50.0, 100.0])
def test_weights_start_at_half_and_decrease(gain):
    for tau in (0.0, 0.3, 1.0):
        w = soft_threshold_weights(33, tau, gain).numpy()
        assert np.all(np.diff(w) <= 0) and w[0] > w[-1], "weights must fall with the eigenvalue index"
        np.testing.assert_allclose(w, soft_weights(33, tau, gain), rtol=1e-12, atol=1e-300)
    w0 = soft_threshold_weights(33, 0.0, gain).numpy()
    assert w0[0] == 0.5  # s_1 = 0 = τ
    assert soft_threshold_weights(33, 1.0, gain).numpy()[-1] == 0.5  # s_N = 1 = τ


@pytest.mark.parametrize(
    "gain,tau,expected",
    [(100.0, 0.0, 0.55), (50.0, 0.0, 0.73), (100.0, 1.0, 32.46), (50.0, 1.0, 32.27)],
)
def test_effective_rank_matches_spec_numbers(gain, tau, expected):
    # spec §1.8: Σw at τ = 0 and τ = 1 for N = 33 (quoted to two decimals)
    assert effective_rank(33, tau, gain) == pytest.approx(expected, abs=0.01)


def test_effective_rank_closed_form_and_symmetry():
    # Σ_k σ(-g(s_k - τ)) with τ = 0 is the tail sum of a logistic; independent sum here
    g = 100.0
    direct = sum(1.0 / (1.0 + math.exp(g * (k / 32.0))) for k in range(33))
    assert effective_rank(33, 0.0, g) == pytest.approx(direct, rel=1e-12)
    # w_k(τ=1) = 1 - w_{N+1-k}(τ=0), so the two ranks sum to N
    assert effective_rank(33, 0.0, g) + effective_rank(33, 1.0, g) == pytest.approx(33.0, rel=1e-12)
    # spec §1.10 table: about 76 % of the rank at τ = 0.76
    assert effective_rank(33, 0.76, g) == pytest.approx(0.76 * 32 + 0.5, abs=0.05)


def test_weights_clip_the_exponent():
    w = soft_threshold_weights(5, 10.0, 1e4).numpy()
    assert np.all(np.isfinite(w))
    np.testing.assert_allclose(w, 1.0 / (1.0 + math.exp(-50.0)), rtol=1e-15)


def test_gaussian_entropies_of_diagonal_covariance():
    var = np.array([4.0, 0.25, 1.0, 9.0])
    y = np.random.default_rng(1).normal(size=(20000, 4)) * np.sqrt(var)
    h = gaussian_entropies(torch.tensor(y)).numpy()
    assert np.all(np.diff(h) <= 0), "entropies are ordered by descending eigenvalue"
    np.testing.assert_allclose(h, 0.5 * np.log(2 * np.pi * np.e * np.sort(var)[::-1]), atol=0.03)


def test_gaussian_entropies_use_the_biased_covariance_and_eps():
    y = np.array([[1.0, 0.0], [-1.0, 0.0], [3.0, 0.0], [-3.0, 0.0]])  # var 5 (1/B), second dim constant
    h = gaussian_entropies(torch.tensor(y)).numpy()
    assert h[0] == pytest.approx(0.5 * (math.log(2 * math.pi * 5.0 + 1e-7) + 1), rel=1e-12)
    assert h[1] == pytest.approx(0.5 * (math.log(1e-7) + 1), rel=1e-9)  # λ = 0: the 1e-7 floor


def test_full_rank_entropy_is_mean_gaussian_entropy_per_dimension():
    N = 5
    C = _known_cov(N)
    y = _gaussian_samples(C, 20000, seed=2)
    got = float(low_rank_entropy(torch.tensor(y), tau=10.0, gain=100.0))
    C_hat = np.cov(y, rowvar=False, bias=True)
    sample_closed_form = 0.5 * np.linalg.slogdet(2 * np.pi * np.e * C_hat)[1] / N
    assert got == pytest.approx(sample_closed_form, abs=1e-6)
    true_closed_form = 0.5 * np.linalg.slogdet(2 * np.pi * np.e * C)[1] / N
    assert got == pytest.approx(true_closed_form, abs=0.02)  # sampling error of 20 000 draws


def test_rank_one_limit_is_the_top_eigen_direction():
    C = _known_cov(5, seed=3)
    y = _gaussian_samples(C, 5000, seed=4)
    got = float(low_rank_entropy(torch.tensor(y), tau=0.0, gain=1e4))  # w_1 = 1/2, the others ~e^-50
    lam_max = np.linalg.eigvalsh(np.cov(y, rowvar=False, bias=True)).max()
    assert got == pytest.approx(0.5 * (math.log(2 * math.pi * lam_max + 1e-7) + 1), abs=1e-9)


@pytest.mark.parametrize("tau,gain", [(0.0, 100.0), (0.37, 50.0), (0.8, 100.0)])
def test_low_rank_entropy_matches_numpy_reference(tau, gain):
    y = _gaussian_samples(_known_cov(7, seed=5), 300, seed=6)
    got = float(low_rank_entropy(torch.tensor(y, dtype=torch.float32), tau, gain))
    assert got == pytest.approx(ref_low_rank_entropy(y.astype(np.float32), tau, gain), abs=1e-5)


def test_low_rank_entropy_gradient_is_finite_at_a_degenerate_batch():
    # at initialisation all y_n are nearly equal: a rank-1 covariance with N-1 zero eigenvalues
    base = torch.randn(64, 1, generator=torch.Generator().manual_seed(0))
    y = (base.repeat(1, 7) + 1e-4 * torch.randn(64, 7, generator=torch.Generator().manual_seed(1))).requires_grad_()
    low_rank_entropy(y, 0.1, 100.0).backward()
    assert torch.isfinite(y.grad).all()
