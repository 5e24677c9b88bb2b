"""symlens.fused (chunked estimator passes with hand-written backward passes) against the
plain autograd path (``reference=True``), which tests/test_losses.py and
tests/test_estimators.py check against independent NumPy/SciPy references.

Equal means: the same loss terms and the same gradients for every model and estimator
parameter, within float32 rounding."""

import numpy as np
import pytest
import torch

import symlens.fused as fused
from symlens.config import get_profile
from symlens.estimators import MarginalMixture, MaskedConditional
from symlens.losses import ModelLoss
from symlens.train import LensSystem, Trainer

N, H, K = 7, 12, 3


def _perturbed(module, seed, scale):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g))
    return module


def _systems(variant, centring, seed=0):
    cfg = get_profile("smoke", variant=variant, centring=centring, hidden=H, n_kernels=K, padding=3)
    ref = LensSystem(cfg, N, torch.Generator().manual_seed(seed), reference=True)
    # a state away from the initialisation: a rotated generator, a filter, trained-looking estimators
    _perturbed(ref.model, seed + 1, 0.3)
    _perturbed(ref.marginal, seed + 2, 0.5)
    _perturbed(ref.conditional, seed + 3, 0.3)
    new = LensSystem(cfg, N, torch.Generator().manual_seed(seed), reference=False)
    new.load_state_dict(ref.state_dict())
    return ref, new


def _step_outputs(system, x, noise_model, noise_est, tau):
    system.zero_grad(set_to_none=True)
    terms, est = system(x, noise_model, noise_est, tau)
    (terms[0] + est).backward()
    grads = {k: p.grad.clone() for k, p in system.named_parameters()}
    return ModelLoss(*terms).as_floats(), float(est.detach()), grads


def _data(n_periods, seed=0):
    g = np.random.default_rng(seed)
    s = np.cumsum(g.normal(size=(N * n_periods, N + 4)), axis=1)[:, 4:]
    return torch.tensor(s + 0.3, dtype=torch.float32)


@pytest.mark.parametrize("chunk", [None, 2 * N])  # one chunk; chunks of one (model loss) and two (estimator loss) periods
@pytest.mark.parametrize("centring", ["scalar", "component"])
@pytest.mark.parametrize("variant", ["v1", "head"])
def test_fused_step_equals_reference(variant, centring, chunk, monkeypatch):
    if chunk is not None:
        monkeypatch.setattr(fused, "CHUNK_ROWS", chunk)
    ref, new = _systems(variant, centring)
    x = _data(9)
    g = torch.Generator().manual_seed(5)
    noise_model, noise_est = 0.1 * torch.randn(N, generator=g), 0.1 * torch.randn(N, generator=g)
    for tau in (0.0, 0.45, 1.0):
        tau_t = torch.tensor(tau, dtype=torch.float64)
        t_ref, e_ref, g_ref = _step_outputs(ref, x, noise_model, noise_est, tau_t)
        t_new, e_new, g_new = _step_outputs(new, x, noise_model, noise_est, tau_t)
        for k in t_ref:
            assert t_new[k] == pytest.approx(t_ref[k], rel=1e-5, abs=1e-6), k
        assert e_new == pytest.approx(e_ref, rel=1e-5, abs=1e-6)
        assert set(g_new) == set(g_ref) == {k for k, _ in ref.named_parameters()}
        for k in g_ref:
            scale = float(g_ref[k].abs().max())
            assert scale > 0, k  # every parameter gets a gradient
            np.testing.assert_allclose(g_new[k].numpy(), g_ref[k].numpy(), rtol=0, atol=2e-5 * scale + 1e-9,
                                       err_msg=f"{k} at tau={tau}")


def test_conditional_pair_means_and_gradient_at_every_shift():
    c = _perturbed(MaskedConditional(N, H, K, torch.Generator().manual_seed(0)), 1, 0.4)
    y0 = 1.5 * torch.randn(N * 6, N, generator=torch.Generator().manual_seed(2))
    shifts = (0, -1, 1, 2)
    w = torch.randn(len(shifts), N, N, generator=torch.Generator().manual_seed(3))
    y = y0.clone().requires_grad_()
    ref = torch.stack([c.pair_means(y, s, detach_params=True) for s in shifts])
    (ref * w).sum().backward()
    y_new = y0.clone().requires_grad_()
    got = fused.conditional_pair_means(c, y_new, shifts, chunk=2 * N)
    (got * w).sum().backward()
    np.testing.assert_allclose(got.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(y_new.grad.numpy(), y.grad.numpy(), rtol=1e-4, atol=1e-6)
    assert all(p.grad is None for p in c.parameters())  # the estimator is held fixed


def test_conditional_likelihood_gradient_reaches_parameters_only():
    c = _perturbed(MaskedConditional(N, H, K, torch.Generator().manual_seed(0)), 1, 0.4)
    y = 1.5 * torch.randn(N * 5, N, generator=torch.Generator().manual_seed(4))
    pair = c.pair_means(y)
    off = ~torch.eye(N, dtype=torch.bool)
    ref = -pair[off].mean()
    ref_grads = torch.autograd.grad(ref, list(c.parameters()))
    got = fused.conditional_likelihood(c, y, chunk=2 * N)
    got_grads = torch.autograd.grad(3.0 * got, list(c.parameters()))  # the incoming gradient scales them
    assert float(got) == pytest.approx(float(ref), rel=1e-6)
    for (name, _), a, b in zip(c.named_parameters(), got_grads, ref_grads):
        np.testing.assert_allclose(a.numpy(), 3.0 * b.numpy(), rtol=1e-4, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("detach_params", [True, False])
def test_marginal_log_prob_values_and_gradients_including_the_floor(detach_params):
    m = _perturbed(MarginalMixture(N, K, torch.Generator().manual_seed(0)), 1, 1.5)
    y0 = 2.0 * torch.randn(40, N, generator=torch.Generator().manual_seed(5))
    y0[0, :3] = torch.tensor([40.0, -60.0, 1e3])  # far tails: the density floor decides, and no gradient
    shifts = (0, -1, 1)
    w = torch.randn(len(shifts), *y0.shape, generator=torch.Generator().manual_seed(6))
    y = y0.clone().requires_grad_()
    ref = torch.stack([m.log_prob(y, s, detach_params=detach_params) for s in shifts])
    params = [] if detach_params else list(m.parameters())
    ref_grads = torch.autograd.grad((ref * w).sum(), [y, *params])
    y_new = y0.clone().requires_grad_()
    got = fused.marginal_log_prob(m, y_new, shifts, detach_params=detach_params)
    got_grads = torch.autograd.grad((got * w).sum(), [y_new, *params])
    np.testing.assert_allclose(got.detach().numpy(), ref.detach().numpy(), rtol=1e-6, atol=2e-6)
    for a, b in zip(got_grads, ref_grads):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
    assert float(got_grads[0][0, :3].abs().max()) < 1e-12


@pytest.mark.parametrize("options", [{}, {"centring": "component", "filter_norm": "unit"}])
def test_fused_and_reference_trainers_take_the_same_steps(options):
    cfg = get_profile("smoke", hidden=H, batch_size=N * 4, n_batches=2, padding=3, epochs=2, steps_per_epoch=3,
                      model_lr=1e-2, estimator_lr=1e-2, **options)
    for seed in (0, 5):
        X = _data(8, seed=seed)
        a = Trainer(cfg, N, seed=seed, reference=True).fit(X, progress=False)
        b = Trainer(cfg, N, seed=seed).fit(X, progress=False)
        assert a.system.reference and not b.system.reference
        for (k, p), (_, q) in zip(a.system.named_parameters(), b.system.named_parameters()):
            # Adam's normalised step turns float32 rounding of a gradient that is itself a
            # cancellation (the mixture logits' near the symmetric initialisation) into
            # parameter differences up to ~4e-4 over six steps; a wrong gradient moves a
            # parameter by the step size, 1e-2, every step
            np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=0, atol=1e-3, err_msg=k)
        for ha, hb in zip(a.history, b.history):
            assert hb["total"] == pytest.approx(ha["total"], rel=1e-4, abs=1e-4)


def test_compile_and_stacked_fits_use_the_reference_path(monkeypatch):
    assert not Trainer(get_profile("smoke"), N).system.reference
    assert Trainer(get_profile("smoke", compile=True), N).system.reference
    monkeypatch.setenv("SYMLENS_REFERENCE", "1")
    assert Trainer(get_profile("smoke"), N).system.reference
    monkeypatch.delenv("SYMLENS_REFERENCE")
    from symlens.batched import BatchedTrainer

    assert BatchedTrainer(get_profile("smoke"), N, [0]).trainers[0].system.reference
