"""symlens.estimators: the mixture density, the marginal mixture (eqs. 27-28) and the masked
conditional network (eqs. 29-30) against scipy and a dense NumPy re-implementation."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from symlens.estimators import DENSITY_FLOOR, MarginalMixture, MaskedConditional, mixture_log_prob

from _reference import NumpyConditional, marginal_logp, marginal_params


def _rng(seed=0):
    return torch.Generator().manual_seed(seed)


def test_mixture_log_prob_matches_scipy():
    w = np.array([0.2, 0.5, 0.3])
    mu = np.array([-1.0, 0.3, 2.0])
    var = np.array([0.25, 1.0, 4.0])
    y = np.linspace(-4, 5, 13)
    pdf = sum(w[m] * norm.pdf(y, mu[m], np.sqrt(var[m])) for m in range(3))
    args = (torch.tensor(y), torch.tensor(np.log(w)), torch.tensor(mu), torch.tensor(np.log(var)))
    exact = mixture_log_prob(*args, floor=0.0)
    np.testing.assert_allclose(exact.numpy(), np.log(pdf), rtol=1e-12, atol=1e-12)
    # default: the authors' density floor, log(p + 1e-7)
    floored = mixture_log_prob(*args)
    np.testing.assert_allclose(floored.numpy(), np.log(pdf + DENSITY_FLOOR), rtol=1e-12, atol=1e-12)


def test_mixture_log_prob_is_stable_in_the_tails():
    # far in the tail the density underflows to 0 but its log is finite (logsumexp)
    args = (torch.tensor([60.0]), torch.log(torch.tensor([0.5, 0.5])), torch.tensor([0.0, 1.0]),
            torch.tensor([0.0, 0.0]))
    lp = mixture_log_prob(*args, floor=0.0)
    expected = norm.logpdf(60.0, 1.0, 1.0) + math.log(0.5 * (1 + math.exp(-59.5)))
    assert torch.isfinite(lp).all() and float(lp) == pytest.approx(expected, rel=1e-5)
    # with the floor the log-density is bounded below by log(1e-7) and has no gradient there
    assert float(mixture_log_prob(*args)) == pytest.approx(math.log(1e-7), rel=1e-6)


def test_marginal_init_follows_spec():
    m = MarginalMixture(6, 4, _rng(0))
    assert torch.equal(m.logits.detach(), torch.ones(6, 4))
    assert torch.equal(m.log_var.detach(), torch.ones(6, 4))
    assert m.means.abs().max() <= 0.05
    assert sum(p.numel() for p in m.parameters()) == 3 * 6 * 4  # spec §3: 3·33·4 = 396 at N = 33


def test_marginal_log_prob_matches_scipy_with_clipping_and_shift():
    N, K = 4, 3
    m = MarginalMixture(N, K, _rng(1))
    g = np.random.default_rng(1)
    logits, means, log_var = g.normal(scale=3, size=(N, K)), g.normal(size=(N, K)), g.normal(scale=3, size=(N, K))
    logits[0, 0], log_var[1, 2] = 9.0, -7.0  # exercise the ±4.5 clips
    with torch.no_grad():
        m.logits.copy_(torch.tensor(logits)), m.means.copy_(torch.tensor(means)), m.log_var.copy_(torch.tensor(log_var))
    params = marginal_params(m.logits.detach(), m.means.detach(), m.log_var.detach())
    y = g.normal(size=(5, N))
    yt = torch.tensor(y, dtype=torch.float32)
    got = m.log_prob(yt).detach().numpy()
    exp = np.array([[marginal_logp(params, i, y[b, i]) for i in range(N)] for b in range(5)])
    np.testing.assert_allclose(got, exp, rtol=1e-5, atol=1e-5)
    # shift s: column i is scored by the mixture of component i + s
    for s in (-1, 1):
        got = m.log_prob(yt, shift=s).detach().numpy()
        for i in range(N):
            if 0 <= i + s < N:
                exp_i = [marginal_logp(params, i + s, y[b, i]) for b in range(5)]
                np.testing.assert_allclose(got[:, i], exp_i, rtol=1e-5, atol=1e-5)
    ent = m.entropies(yt).detach().numpy()
    np.testing.assert_allclose(ent, -exp.mean(0), rtol=1e-5)


def test_marginal_learns_the_entropy_of_a_gaussian():
    mus, sigmas = np.array([0.5, -1.0]), np.array([0.7, 1.3])
    g = torch.Generator().manual_seed(0)
    data = torch.randn(1000, 2, generator=g) * torch.tensor(sigmas, dtype=torch.float32) + torch.tensor(mus, dtype=torch.float32)
    fresh = torch.randn(20000, 2, generator=g) * torch.tensor(sigmas, dtype=torch.float32) + torch.tensor(mus, dtype=torch.float32)
    m = MarginalMixture(2, 4, _rng(3))
    opt = torch.optim.Adam(m.parameters(), lr=0.1)
    for _ in range(150):
        opt.zero_grad()
        m.entropies(data).sum().backward()
        opt.step()
    est = m.entropies(fresh).detach().numpy()
    true = 0.5 * np.log(2 * np.pi * np.e * sigmas ** 2)
    np.testing.assert_allclose(est, true, atol=0.03)


def _conditional(N=5, H=7, K=3, seed=0):
    c = MaskedConditional(N, H, K, _rng(seed))
    with torch.no_grad():  # non-zero biases so the hand computation checks them too
        c.b1.copy_(0.3 * torch.randn(c.b1.shape, generator=_rng(seed + 10)))
        c.b2.copy_(0.3 * torch.randn(c.b2.shape, generator=_rng(seed + 11)))
    return c


def test_conditional_shapes_and_glorot_init():
    N, H, K = 5, 40, 4
    c = MaskedConditional(N, H, K, _rng(0))
    assert c.W1.shape == (3, N, H) and c.W2.shape == (3, H, N * K)
    assert torch.equal(c.b1.detach(), torch.zeros(3, H)) and torch.equal(c.b2.detach(), torch.zeros(3, N * K))
    for W, fan_in, fan_out in ((c.W1, N, H), (c.W2, H, N * K)):
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        assert float(W.detach().abs().max()) <= bound
        assert float(W.detach().std()) == pytest.approx(bound / math.sqrt(3), rel=0.1)  # uniform(-b, b)


def test_conditional_parameter_count_spec_note():
    c = MaskedConditional(33, 528, 4, _rng(0))
    assert sum(p.numel() for p in c.parameters()) == 3 * (33 * 528 + 528 + 528 * 132 + 132) == 263_340


def test_conditional_batch_must_be_multiple_of_N():
    c = MaskedConditional(7, 4, 2, _rng(0))
    with pytest.raises(ValueError, match="N = 7"):
        c.log_prob(torch.zeros(15, 7))
    with pytest.raises(ValueError, match="multiple"):
        c.check_batch(50)
    c.check_batch(49)


def test_conditional_log_prob_equals_dense_masked_mlps():
    N, K = 5, 3
    c = _conditional(N, 7, K)
    net = NumpyConditional.from_module(c)
    y = np.random.default_rng(0).normal(size=(3 * N, N))
    got = c.log_prob(torch.tensor(y, dtype=torch.float32)).detach().numpy()
    exp = np.empty_like(y)
    for b in range(y.shape[0]):
        g = b % N  # sample b keeps only component b mod N
        for j in range(N):
            exp[b, j] = net.logq(g, j, y[b, j], y[b, g])
    np.testing.assert_allclose(got, exp, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shift", [-1, 1, 2])
def test_conditional_shift_scores_the_rolled_sample(shift):
    N = 5
    c = _conditional(N, 6, 2, seed=1)
    net = NumpyConditional.from_module(c)
    y = np.random.default_rng(shift + 5).normal(size=(2 * N, N))
    got = c.log_prob(torch.tensor(y, dtype=torch.float32), shift=shift).detach().numpy()
    for b in range(y.shape[0]):
        yr = np.roll(y[b], shift)  # yr[j'] = y[j' - shift]
        g = b % N
        for jp in range(N):
            assert got[b, jp] == pytest.approx(net.logq(g, jp, yr[jp], yr[g]), rel=1e-4, abs=1e-4)


def test_pair_means_average_each_conditioning_slot():
    N = 3
    c = _conditional(N, 4, 2, seed=2)
    net = NumpyConditional.from_module(c)
    y = np.random.default_rng(2).normal(size=(4 * N, N))
    got = c.pair_means(torch.tensor(y, dtype=torch.float32)).detach().numpy()
    for k in range(N):
        for j in range(N):
            assert got[k, j] == pytest.approx(net.pair_mean(y, k, k, j, k, j), rel=1e-4, abs=1e-4)


def test_detach_params_blocks_parameter_gradients_only():
    c = _conditional(5, 4, 2)
    m = MarginalMixture(5, 2, _rng(0))
    y = torch.randn(10, 5, generator=_rng(1), requires_grad=True)
    (c.log_prob(y, detach_params=True).sum() + m.log_prob(y, detach_params=True).sum()).backward()
    assert all(p.grad is None for p in [*c.parameters(), *m.parameters()])
    assert y.grad is not None and y.grad.abs().sum() > 0
    # without detaching, every parameter tensor gets a gradient
    (c.log_prob(y).sum() + m.log_prob(y).sum()).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in [*c.parameters(), *m.parameters()])


def test_weight_penalty_is_sum_of_six_frobenius_norms():
    c = _conditional(5, 7, 3)
    W1, W2 = c.W1.detach().double().numpy(), c.W2.detach().double().numpy()
    expected = sum(np.sqrt((W1[i] ** 2).sum()) for i in range(3)) + sum(np.sqrt((W2[i] ** 2).sum()) for i in range(3))
    assert float(c.weight_penalty().detach()) == pytest.approx(expected, rel=1e-6)
    # biases are not penalised
    with torch.no_grad():
        c.b1.add_(100.0), c.b2.add_(100.0)
    assert float(c.weight_penalty().detach()) == pytest.approx(expected, rel=1e-6)
