"""symlens.losses: every term of eq. 13 against loop-by-loop NumPy/SciPy references of the
spec's formulas (§1.5-1.9), plus constructed cases with known answers."""

import numpy as np
import pytest
import torch

from symlens.config import LOSS_VARIANTS
from symlens.estimators import MarginalMixture, MaskedConditional
from symlens.losses import (alignment_loss, conditional_uniformity, estimator_loss, information_loss,
                            lift_orthogonality_loss, marginal_uniformity, model_loss, resolution_loss,
                            uniformity_loss)

import _reference as ref


def _rng(seed=0):
    return torch.Generator().manual_seed(seed)


def _marginal(N, K=3, seed=0, spread=1.0):
    m = MarginalMixture(N, K, _rng(seed))
    g = np.random.default_rng(seed)
    with torch.no_grad():
        m.logits.copy_(torch.tensor(g.normal(size=(N, K))))
        m.means.copy_(torch.tensor(spread * g.normal(size=(N, K))))
        m.log_var.copy_(torch.tensor(g.normal(scale=0.5, size=(N, K))))
    return m


def _conditional(N, H=6, K=2, seed=0):
    c = MaskedConditional(N, H, K, _rng(seed))
    with torch.no_grad():
        c.b1.copy_(0.3 * torch.randn(c.b1.shape, generator=_rng(seed + 1)))
        c.b2.copy_(0.3 * torch.randn(c.b2.shape, generator=_rng(seed + 2)))
    return c


def _mparams(m):
    return ref.marginal_params(m.logits.detach(), m.means.detach(), m.log_var.detach())


# ------------------------------------------------------------------ alignment (eq. 9)
def test_alignment_is_minus_one_for_equal_components():
    col = torch.randn(40, 1, generator=_rng(0))
    assert float(alignment_loss(col.repeat(1, 6))) == pytest.approx(-1.0, abs=1e-5)
    # perfectly anti-correlated neighbours give +1
    alt = col * torch.tensor([1.0, -1.0, 1.0, -1.0])
    assert float(alignment_loss(alt)) == pytest.approx(1.0, abs=1e-5)


def test_alignment_hand_case_with_corrcoef():
    y = np.random.default_rng(1).normal(size=(30, 4)) @ np.triu(np.ones((4, 4)))  # correlated columns
    got = float(alignment_loss(torch.tensor(y)))
    assert got == pytest.approx(ref.alignment(y), abs=1e-6)
    assert got == pytest.approx(ref.alignment(y * [1.0, 5.0, 0.1, 3.0] + 2.0), abs=1e-6)  # scale-free


# ------------------------------------------------------------------ uniformity (eqs. 7-8)
def test_marginal_uniformity_matches_reference_and_is_nonnegative():
    N = 4
    m = _marginal(N, seed=3)
    y = np.random.default_rng(3).normal(size=(12, N)) + np.arange(N)
    got = float(marginal_uniformity(torch.tensor(y, dtype=torch.float32), m))
    assert got == pytest.approx(ref.reg1(y, _mparams(m)), rel=1e-4, abs=1e-6)
    assert got > 0.01  # differing mixtures: a genuinely positive divergence in this case


def test_marginal_uniformity_zero_for_identical_components():
    N = 5
    m = _marginal(N, seed=4)
    with torch.no_grad():
        for p in (m.logits, m.means, m.log_var):
            p.copy_(p[0].expand_as(p))
    y = torch.randn(20, N, generator=_rng(4)) * 3.0
    assert float(marginal_uniformity(y, m)) == 0.0


def test_marginal_uniformity_positive_when_densities_differ_by_a_shift():
    # component i is N(i, 0.2²) and its estimator knows it: p̂_{i±1} puts y_i 5σ away
    N = 4
    m = MarginalMixture(N, 1, _rng(0))
    with torch.no_grad():
        m.logits.zero_(), m.means.copy_(torch.arange(N, dtype=torch.float32)[:, None])
        m.log_var.fill_(np.log(0.04))
    y = torch.arange(N, dtype=torch.float32) + 0.2 * torch.randn(500, N, generator=_rng(1))
    # KL(N(i, σ²) ‖ N(i±1, σ²)) = 1 / (2σ²) = 12.5 per neighbour
    assert float(marginal_uniformity(y, m)) == pytest.approx(12.5, rel=0.1)


def test_conditional_uniformity_matches_spec_formula():
    N = 4
    c = _conditional(N, seed=5)
    y = np.random.default_rng(5).normal(size=(3 * N, N))
    got = float(conditional_uniformity(torch.tensor(y, dtype=torch.float32), c))
    assert got == pytest.approx(ref.reg2(y, ref.NumpyConditional.from_module(c)), rel=1e-4, abs=1e-6)


def test_conditional_uniformity_vanishes_for_identical_distributions():
    # a stationary network (q̂_{k,j}(v|u) = f(v|u) for every pair) on data whose conditioning
    # slots see identical samples: every pair density equals its shifted copy -> exactly 0
    N, H, K = 5, 6, 2
    c = _conditional(N, H, K, seed=6)
    with torch.no_grad():
        c.W1.copy_(c.W1[:, :1, :].expand_as(c.W1))  # same first-layer row for every conditioning slot
        W2 = c.W2.reshape(3, H, N, K)
        c.W2.copy_(W2[:, :, :1, :].expand_as(W2).reshape(3, H, N * K))  # same head for every target
        b2 = c.b2.reshape(3, N, K)
        c.b2.copy_(b2[:, :1, :].expand_as(b2).reshape(3, N * K))
    blocks = torch.randn(4, 1, N, generator=_rng(6))
    y = blocks.expand(4, N, N).reshape(4 * N, N)  # the N samples of a block are equal
    assert float(conditional_uniformity(y, c)) == pytest.approx(0.0, abs=1e-6)


def test_conditional_uniformity_positive_for_shifted_distributions():
    # target j has its own narrow density around c_j: the pair shifted by ±1 puts y_j far off
    N, K = 5, 2
    c = MaskedConditional(N, 3, K, _rng(0))
    centres = 1.0 + 2.0 * torch.arange(N, dtype=torch.float32)  # > 0: the mean head is LeakyReLU
    with torch.no_grad():
        c.W1.zero_(), c.W2.zero_(), c.b1.zero_()
        b2 = torch.zeros(3, N, K)
        b2[1] = centres[:, None]  # means
        b2[2] = -0.5  # log variance 3.5 tanh(-0.5)
        c.b2.copy_(b2.reshape(3, N * K))
    var = float(torch.exp(3.5 * torch.tanh(torch.tensor(-0.5))))
    y = centres + np.sqrt(var) * torch.randn(50 * N, N, generator=_rng(2))
    got = float(conditional_uniformity(y, c))
    # KL(N(c_j, v) ‖ N(c_{j±1}, v)) = (2)² / (2 v)
    assert got == pytest.approx(4.0 / (2 * var), rel=0.15)


def test_uniformity_loss_scales_the_sum():
    N = 3
    m, c = _marginal(N, seed=7), _conditional(N, seed=7)
    y = torch.randn(4 * N, N, generator=_rng(7))
    for scale in (1.0, 0.5):
        total, r1, r2 = uniformity_loss(y, m, c, scale)
        assert float(total) == pytest.approx(scale * (float(r1) + float(r2)), rel=1e-6)
        assert float(r1) == pytest.approx(float(marginal_uniformity(y, m)), rel=1e-6)
        assert float(r2) == pytest.approx(float(conditional_uniformity(y, c)), rel=1e-6)


# ------------------------------------------------------------------ resolution / information (eqs. 10-12)
def test_resolution_and_information_formulas():
    marg = torch.tensor([1.0, 2.0, 4.5])
    joint = torch.tensor(0.25)
    assert float(resolution_loss(marg, joint)) == pytest.approx(2.5 - 0.25)
    assert float(information_loss(joint)) == -0.25


# ------------------------------------------------------------------ total (eq. 13)
@pytest.mark.parametrize("variant", ["v1", "head"])
def test_model_loss_total_equals_weighted_independent_terms(variant):
    N, tau = 4, 0.4
    cfg = LOSS_VARIANTS[variant]
    m, c = _marginal(N, seed=8), _conditional(N, seed=8)
    y = np.random.default_rng(8).normal(size=(3 * N, N)) @ np.triu(np.ones((N, N)))
    out = model_loss(torch.tensor(y, dtype=torch.float32), m, c, tau, cfg)
    yf = y.astype(np.float32).astype(np.float64)
    align = ref.alignment(yf)
    unif = cfg.uniformity_scale * (ref.reg1(yf, _mparams(m)) + ref.reg2(yf, ref.NumpyConditional.from_module(c)))
    marg = ref.marginal_entropies(yf, _mparams(m)).mean()
    joint = ref.low_rank_entropy(yf, tau, cfg.gain)
    expected = cfg.alpha * align + cfg.beta * unif + cfg.gamma * (marg - joint) + cfg.delta * (-joint)
    # = α L_align + β L_unif + γ mean_i Ĥ(y_i) - (γ + δ) Ĥ_r(y)   (spec §1.9)
    assert float(out.total) == pytest.approx(expected, rel=1e-4, abs=1e-4)
    for name, val in (("alignment", align), ("uniformity", unif), ("marginal_entropy", marg),
                      ("joint_entropy", joint), ("resolution", marg - joint), ("information", -joint)):
        assert float(getattr(out, name)) == pytest.approx(val, rel=1e-4, abs=1e-4), name
    assert set(out.as_floats()) >= {"total", "alignment", "uniformity", "reg1", "reg2"}
    assert all(isinstance(v, float) for v in out.as_floats().values())


def _assert_reweighted(seed, tau, options, term, weight):
    """The total of eq. 13 with a τ-dependent weight on ``term`` equals the faithful (v1) total
    plus (weight - 1.5) × that term: both α and γ are 1.5 in v1."""
    from dataclasses import replace
    N = 4
    cfg = replace(LOSS_VARIANTS["v1"], **options)
    m, c = _marginal(N, seed=seed), _conditional(N, seed=seed)
    y = torch.tensor(np.random.default_rng(seed).normal(size=(3 * N, N)) @ np.triu(np.ones((N, N))),
                     dtype=torch.float32)
    out = model_loss(y, m, c, tau, cfg)
    faithful = model_loss(y, m, c, tau, LOSS_VARIANTS["v1"])
    assert float(out.total) == pytest.approx(
        float(faithful.total) + (weight - 1.5) * float(getattr(faithful, term)), rel=1e-5, abs=1e-5)
    return cfg


@pytest.mark.parametrize("tau, weight", [(0.0, 0.5), (0.15, 0.75), (0.3, 1.0), (0.3 * 3, 1.5)])
def test_model_loss_uses_the_ramped_resolution_weight(tau, weight):
    # gamma_start 0.5 -> gamma 1.5 over tau in [0, 0.6]: 0.5 + tau / 0.6 (hand-computed), flat after
    cfg = _assert_reweighted(9, tau, dict(gamma_start=0.5, gamma_ramp_tau=0.6), "resolution", weight)
    assert cfg.resolution_weight(torch.tensor(tau)).item() == pytest.approx(weight)


@pytest.mark.parametrize("bad", [dict(gamma_start=-0.1), dict(gamma_ramp_tau=0.0), dict(gamma_ramp_tau=1.5)])
def test_resolution_ramp_rejects_bad_settings(bad):
    from symlens.config import LossConfig
    with pytest.raises(ValueError, match="gamma_"):
        LossConfig(**bad)


@pytest.mark.parametrize("tau, weight", [(0.0, 1.5), (0.3, 1.5), (0.65, 0.75), (1.0, 0.0)])
def test_model_loss_uses_the_faded_alignment_weight(tau, weight):
    # alpha 1.5 held to tau 0.3, then linear to 0 at tau 1: 1.5 (1 - (tau - 0.3) / 0.7) (hand-computed)
    cfg = _assert_reweighted(11, tau, dict(alpha_end=0.0, alpha_fade_tau=0.3), "alignment", weight)
    assert cfg.alignment_weight(torch.tensor(tau)).item() == pytest.approx(weight)
    assert cfg.alignment_weight(tau) == pytest.approx(weight)


@pytest.mark.parametrize("bad", [dict(alpha_end=-0.5), dict(alpha_end=float("nan")), dict(alpha_fade_tau=1.0),
                                 dict(alpha_fade_tau=-0.1)])
def test_alignment_fade_rejects_bad_settings(bad):
    from symlens.config import LossConfig
    with pytest.raises(ValueError, match="alpha_"):
        LossConfig(**bad)


def test_lift_orthogonality_loss_on_constructed_lifts():
    # a permutation (the exact shift with a delta filter) is orthogonal: zero
    P = torch.eye(5)[[2, 0, 4, 1, 3]]
    assert float(lift_orthogonality_loss(P)) == pytest.approx(0.0, abs=1e-12)
    # rows e0, e0, e2: K Kᵀ - I has ones at (0, 1) and (1, 0) and zeros elsewhere: 2 / 3
    K = torch.eye(3)[[0, 0, 2]]
    assert float(lift_orthogonality_loss(K)) == pytest.approx(2.0 / 3.0)
    # rows (1, 1, 0)/√2, (0, 1, 1)/√2, e2: overlaps ½, 0, 1/√2 above the diagonal, each twice:
    # 2 (¼ + 0 + ½) / 3 = ½
    r = 2.0 ** -0.5
    K = torch.tensor([[r, r, 0.0], [0.0, r, r], [0.0, 0.0, 1.0]], dtype=torch.float64)
    assert float(lift_orthogonality_loss(K)) == pytest.approx(0.5)
    # stacked lifts give one value each
    out = lift_orthogonality_loss(torch.stack([P, 2 * P]))
    assert out.shape == (2,) and float(out[1]) == pytest.approx(3.0 * 3.0 * 5 / 5)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_orthogonality_weight_rejects_bad_values(bad):
    from symlens.config import LossConfig
    with pytest.raises(ValueError, match="orthogonality"):
        LossConfig(orthogonality=bad)


def test_model_loss_moves_y_but_not_the_estimators():
    N = 3
    m, c = _marginal(N, seed=9), _conditional(N, seed=9)
    y = torch.randn(4 * N, N, generator=_rng(9), requires_grad=True)
    model_loss(y, m, c, 0.5, LOSS_VARIANTS["v1"]).total.backward()
    assert y.grad is not None and y.grad.abs().sum() > 0
    assert all(p.grad is None for p in [*m.parameters(), *c.parameters()])


# ------------------------------------------------------------------ estimator loss (spec §1.9)
def test_estimator_loss_value_and_isolation():
    N, l2 = 4, 0.01
    m, c = _marginal(N, seed=10), _conditional(N, seed=10)
    y = np.random.default_rng(10).normal(size=(3 * N, N))
    yt = torch.tensor(y, dtype=torch.float32, requires_grad=True)
    loss = estimator_loss(yt, m, c, l2)
    W1, W2 = c.W1.detach().double().numpy(), c.W2.detach().double().numpy()
    penalty = sum(np.linalg.norm(W1[i]) + np.linalg.norm(W2[i]) for i in range(3))
    expected = (ref.marginal_entropies(y, _mparams(m)).mean()
                + ref.conditional_nll(y, ref.NumpyConditional.from_module(c)) + l2 * penalty)
    assert float(loss.detach()) == pytest.approx(expected, rel=1e-4)
    loss.backward()
    assert yt.grad is None  # y is detached: the estimator loss never moves the model
    assert all(p.grad is not None for p in [*m.parameters(), *c.parameters()])


def test_estimator_loss_decreases_under_training():
    N = 5
    g = _rng(11)
    y = torch.randn(20 * N, N, generator=g) @ torch.triu(torch.ones(N, N))  # dependent components
    m, c = MarginalMixture(N, 4, _rng(12)), MaskedConditional(N, 16, 4, _rng(13))
    opt = torch.optim.Adam([*m.parameters(), *c.parameters()], lr=0.02)
    first = float(estimator_loss(y, m, c, 1e-5).detach())
    for _ in range(60):
        opt.zero_grad()
        loss = estimator_loss(y, m, c, 1e-5)
        loss.backward()
        opt.step()
    last = float(estimator_loss(y, m, c, 1e-5).detach())
    assert last < first - 0.3, (first, last)
