"""symlens.optim: Adam with one second moment per tensor, checked against hand-computed
steps and against its defining property, invariance under an orthogonal change of basis."""

import numpy as np
import pytest
import torch

from symlens.config import get_profile
from symlens.optim import TensorwiseAdam, model_optimizer
from symlens.train import Trainer


def test_first_step_is_gradient_over_its_rms():
    # bias-corrected first step: m_hat = g, v_hat = mean(g^2), so the step is lr g / rms(g)
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0, 3.0, 4.0]))
    opt = TensorwiseAdam([p], lr=0.1, eps=0.0)
    p.grad = torch.tensor([3.0, 0.0, -4.0, 0.0])  # rms = sqrt(25 / 4) = 2.5
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [1 - 0.12, 2.0, 3 + 0.16, 4.0], rtol=1e-6)


def test_second_step_by_hand():
    b1, b2, lr = 0.9, 0.999, 0.01
    p = torch.nn.Parameter(torch.zeros(2))
    opt = TensorwiseAdam([p], lr=lr, betas=(b1, b2), eps=0.0)
    g1, g2 = np.array([1.0, -1.0]), np.array([2.0, 0.0])
    x = np.zeros(2)
    m = v = 0.0
    for t, g in enumerate((g1, g2), start=1):
        p.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * np.mean(g ** 2)
        x = x - lr * (m / (1 - b1 ** t)) / np.sqrt(v / (1 - b2 ** t))
    np.testing.assert_allclose(p.detach().numpy(), x, rtol=1e-5)


def _quadratic_run(opt_name, Q, steps=40):
    """Minimise 0.5 (x - c)^T H (x - c) in the coordinates z = Q x; return the final x."""
    rng = np.random.default_rng(0)
    n = Q.shape[0]
    B = rng.normal(size=(n, n))
    H = torch.tensor(B @ B.T + np.diag(np.logspace(-3, 1, n)), dtype=torch.float64)
    c = torch.tensor(rng.normal(size=n), dtype=torch.float64)
    Qt = torch.tensor(Q, dtype=torch.float64)
    z = torch.nn.Parameter(Qt @ torch.ones(n, dtype=torch.float64))
    opt = model_optimizer(opt_name, [z], lr=0.05, betas=(0.9, 0.999), eps=1e-12)
    for _ in range(steps):
        opt.zero_grad()
        x = Qt.T @ z
        (0.5 * (x - c) @ H @ (x - c)).backward()
        opt.step()
    return (Qt.T @ z).detach().numpy()


def test_tensorwise_adam_does_not_depend_on_the_basis():
    n = 6
    Q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(n, n)))
    same = _quadratic_run("adam-tensorwise", np.eye(n))
    np.testing.assert_allclose(_quadratic_run("adam-tensorwise", Q), same, atol=1e-9)
    # the faithful elementwise Adam does depend on it (so the check above can fail)
    assert np.abs(_quadratic_run("adam", Q) - _quadratic_run("adam", np.eye(n))).max() > 1e-2


def test_stacked_tensors_keep_their_own_second_moment():
    # batch_dims=1: slice i of a stacked (2, 3) tensor steps as a lone (3,) tensor would
    g = torch.tensor([[1.0, 2.0, 2.0], [100.0, 0.0, 0.0]])
    stacked = torch.nn.Parameter(torch.zeros(2, 3))
    stacked.grad = g.clone()
    TensorwiseAdam([stacked], lr=1.0, eps=0.0, batch_dims=1).step()
    for i in range(2):
        alone = torch.nn.Parameter(torch.zeros(3))
        alone.grad = g[i].clone()
        TensorwiseAdam([alone], lr=1.0, eps=0.0).step()
        torch.testing.assert_close(stacked[i].detach(), alone.detach())


@pytest.mark.parametrize("kw, match", [(dict(lr=0.0), "lr"), (dict(eps=-1.0), "eps"),
                                       (dict(betas=(1.0, 0.9)), "betas"), (dict(batch_dims=-1), "batch_dims")])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        TensorwiseAdam([torch.nn.Parameter(torch.zeros(2))], **{"lr": 1e-3, "eps": 1e-8, **kw})


def test_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="model_optimizer"):
        get_profile("smoke", model_optimizer="sgd")
    with pytest.raises(ValueError, match="unknown model optimizer"):
        model_optimizer("sgd", [torch.nn.Parameter(torch.zeros(1))], lr=1.0, betas=(0.9, 0.9), eps=1e-8)


def test_trainer_uses_it_for_the_model_only():
    cfg = get_profile("smoke", model_optimizer="adam-tensorwise", hidden=8, batch_size=28, n_batches=2, padding=3)
    tr = Trainer(cfg, 7, seed=0)
    assert isinstance(tr.opt_model, TensorwiseAdam)
    assert type(tr.opt_est) is torch.optim.Adam
    assert isinstance(Trainer(get_profile("smoke", hidden=8, batch_size=28, n_batches=2), 7).opt_model, torch.optim.Adam)
