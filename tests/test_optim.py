"""symlens.optim: Adam with one second moment per tensor, checked against hand-computed
steps and against its defining property, invariance under an orthogonal change of basis;
Adam in a fixed basis, checked against torch's Adam on the reparametrised model."""

import numpy as np
import pytest
import torch

from symlens.config import get_profile
from symlens.optim import BasisAdam, TensorwiseAdam, covariance_basis, model_optimizer
from symlens.recentre import recentre_filter, recentring_matrix
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
    if "batch_dims" not in kw:
        with pytest.raises(ValueError, match=match):
            BasisAdam([torch.nn.Parameter(torch.zeros(2))], **{"lr": 1e-3, "eps": 1e-8, **kw})


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


def _orthogonal(n, seed):
    return np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))[0]


def _cubic_loss(P, W):
    # any smooth non-quadratic function of a matrix or vector will do
    return ((P * W).sum() ** 2 + (P ** 4).sum() + (P[..., 0] * P[..., -1]).sum())


def test_basis_adam_without_a_basis_is_torch_adam():
    rng = np.random.default_rng(0)
    W = torch.tensor(rng.normal(size=(4, 3)))
    ours = torch.nn.Parameter(torch.tensor(rng.normal(size=(4, 3))))
    theirs = torch.nn.Parameter(ours.detach().clone())
    o1 = BasisAdam([ours], lr=0.03, betas=(0.8, 0.99), eps=1e-7)
    o2 = torch.optim.Adam([theirs], lr=0.03, betas=(0.8, 0.99), eps=1e-7)
    for _ in range(25):
        for p, o in ((ours, o1), (theirs, o2)):
            o.zero_grad()
            _cubic_loss(p, W).backward()
            o.step()
    torch.testing.assert_close(ours.detach(), theirs.detach(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(5, 5), (4, 3), (6,)])
def test_basis_adam_is_adam_on_the_reparametrised_model(shape):
    # P = L B R^T (or L b): torch's Adam on B traces the same P as BasisAdam on P
    rng = np.random.default_rng(1)
    L = torch.tensor(_orthogonal(shape[0], 2))
    R = torch.tensor(_orthogonal(shape[-1], 3)) if len(shape) == 2 else None
    W = torch.tensor(rng.normal(size=shape))
    B = torch.nn.Parameter(torch.tensor(rng.normal(size=shape)))
    to_p = (lambda b: L @ b @ R.T) if R is not None else (lambda b: L @ b)
    P = torch.nn.Parameter(to_p(B).detach().clone())
    ob = torch.optim.Adam([B], lr=0.02, betas=(0.9, 0.999), eps=1e-7)
    op = BasisAdam([P], lr=0.02, betas=(0.9, 0.999), eps=1e-7)
    op.set_basis(P, L, R) if R is not None else op.set_basis(P, L)
    for _ in range(30):
        ob.zero_grad()
        _cubic_loss(to_p(B), W).backward()
        ob.step()
        op.zero_grad()
        _cubic_loss(P, W).backward()
        op.step()
    torch.testing.assert_close(P.detach(), to_p(B).detach(), rtol=1e-9, atol=1e-10)
    # and it is not plain Adam on P (so the check above can fail)
    plain = torch.nn.Parameter(to_p(torch.tensor(rng.normal(size=shape))).detach())
    assert not torch.allclose(plain, P.detach())


def test_covariance_basis_makes_adam_follow_a_rotation_of_the_data():
    # data x and x' = Q x: the quadratic fit of a generator-like matrix A to each, with Adam in
    # each data's covariance basis, gives A' = Q A Q^T at every step; plain Adam does not
    n, rng = 5, np.random.default_rng(4)
    Q = torch.tensor(_orthogonal(n, 5))
    X = torch.tensor(rng.normal(size=(400, n)) * np.linspace(0.2, 2.0, n))
    T = torch.tensor(np.eye(n, k=-1))

    def run(data, rotate, name):
        A = torch.nn.Parameter(rotate(torch.full((n, n), 0.01, dtype=torch.float64)))
        opt = model_optimizer(name, [A], lr=0.01, betas=(0.9, 0.999), eps=1e-9)
        if name == "adam-covariance":
            opt.set_basis(A, covariance_basis(data))
        target = rotate(T)
        for _ in range(20):
            opt.zero_grad()
            (((data @ (A - target).T) ** 2).mean() + ((A.T @ A) ** 2).sum()).backward()
            opt.step()
        return A.detach()

    same = lambda M: M
    turn = lambda M: Q @ M @ Q.T
    ours = run(X, same, "adam-covariance"), run(X @ Q.T, turn, "adam-covariance")
    torch.testing.assert_close(ours[1], Q @ ours[0] @ Q.T, rtol=1e-7, atol=1e-9)
    plain = run(X, same, "adam"), run(X @ Q.T, turn, "adam")
    assert (plain[1] - Q @ plain[0] @ Q.T).abs().max() > 1e-4


def test_covariance_basis_recovers_constructed_eigenvectors():
    n = 4
    V = _orthogonal(n, 6)
    Z = np.random.default_rng(7).normal(size=(20_000, n))
    Z = (Z - Z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(Z.T))).T  # exactly white
    X = 3.0 + (Z * np.sqrt([0.5, 1.0, 4.0, 9.0])) @ V.T  # covariance V diag(.5, 1, 4, 9) V^T
    U = covariance_basis(X).numpy()
    np.testing.assert_allclose(np.abs(U.T @ V), np.eye(n), atol=1e-10)


def test_set_basis_errors():
    p, q = torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(2, 2))
    opt = BasisAdam([p, q], lr=0.1)
    with pytest.raises(ValueError, match="not orthonormal"):
        opt.set_basis(p, 2 * torch.eye(3))
    with pytest.raises(ValueError, match=r"must be \(3, 3\)"):
        opt.set_basis(p, torch.eye(2))
    with pytest.raises(ValueError, match="one basis"):
        opt.set_basis(p, torch.eye(3), torch.eye(3))
    with pytest.raises(ValueError, match="not one of"):
        opt.set_basis(torch.nn.Parameter(torch.zeros(3)), torch.eye(3))
    with pytest.raises(ValueError, match="sample matrix"):
        covariance_basis(np.zeros(3))
    p.grad = torch.ones(3)
    opt.step()
    with pytest.raises(RuntimeError, match="first step"):
        opt.set_basis(p, torch.eye(3))
    with pytest.raises(ValueError, match="stacked fits"):
        model_optimizer("adam-covariance", [q], lr=0.1, betas=(0.9, 0.9), eps=1e-8, batch_dims=1)


def test_recentring_moves_the_moments_in_the_optimisers_basis():
    # the first moment, read in the data's coordinates (B m), must move by the same R as ψ
    N, P = 5, 5
    M = N + 2 * P
    big = torch.zeros(M, M, dtype=torch.float64)
    big[torch.arange(1, M), torch.arange(M - 1)] = 1.0  # the exact shift: ψ one pixel off-centre
    psi = torch.nn.Parameter(torch.tensor([0.0, 0.0, 0.0, 1.0, 0.0], dtype=torch.float64))
    B = torch.tensor(_orthogonal(N, 8))
    opt = BasisAdam([psi], lr=0.1)
    opt.set_basis(psi, B)
    psi.grad = torch.tensor([0.3, -1.0, 0.5, 2.0, 0.1], dtype=torch.float64)
    opt.step()
    m_data = B @ opt.state[psi]["exp_avg"]
    before = psi.detach().clone()
    (k,) = recentre_filter(psi, big, P, opt)
    assert k != 0
    R = recentring_matrix(big, N, P, k)
    moved = R @ before
    torch.testing.assert_close(psi.detach(), moved * before.norm() / moved.norm())
    torch.testing.assert_close(B @ opt.state[psi]["exp_avg"], R @ m_data)


def _covariance_config(**kw):
    """A seconds-long `adam-covariance` fit at N = 7 (28-sample batches, 5 steps an epoch)."""
    return get_profile("smoke", recipe="symlens", model_optimizer="adam-covariance", hidden=8, batch_size=28,
                       n_batches=2, padding=3, steps_per_epoch=5, **kw)


def _small_data():
    from symlens.data import make_dataset

    return torch.as_tensor(make_dataset("gaussian-dst", 56, dim=7, seed=0).X)


def test_trainer_sets_the_covariance_basis_at_fit_and_resumes_with_it(tmp_path):
    from symlens.batched import BatchedTrainer

    cfg = _covariance_config(epochs=2)
    X = _small_data()
    tr = Trainer(cfg, 7, seed=0)
    with pytest.raises(RuntimeError, match="train through fit"):
        tr.train_step(X[:28])
    tr.fit(X, progress=False, stop_at=4, checkpoint_dir=tmp_path)
    U = tr.opt_model.basis_of(tr.model.filter.psi)
    np.testing.assert_allclose(U.numpy(), covariance_basis(X).numpy())
    big = tr.opt_model.basis_of(tr.model.generator.A)
    assert big.shape == (13, 13) and torch.equal(big[3:10, 3:10], U) and torch.equal(big[:3, :3], torch.eye(3, dtype=big.dtype))
    again = Trainer(cfg, 7, seed=0)
    again.load_checkpoint(tmp_path)
    tr.fit(X, progress=False)
    again.fit(X, progress=False)
    np.testing.assert_array_equal(again.current_generator(), tr.current_generator())
    with pytest.raises(ValueError, match="stacked fits"):
        BatchedTrainer(cfg, 7, seeds=[0, 1])


def test_a_pickled_trainer_keeps_its_basis_and_trains_on_alike():
    # fit_best_of's worker processes send stopped candidates back pickled; the optimiser's
    # bases must survive, tied to the unpickled parameters
    import pickle

    X = _small_data()
    tr = Trainer(_covariance_config(epochs=2), 7, seed=0)
    tr.fit(X, progress=False, stop_at=4)
    copy = pickle.loads(pickle.dumps(tr))
    assert copy.opt_model.basis_of(copy.model.generator.A) is not None
    assert torch.equal(copy.opt_model.basis_of(copy.model.filter.psi), tr.opt_model.basis_of(tr.model.filter.psi))
    tr.fit(X, progress=False)
    copy.fit(X, progress=False)
    np.testing.assert_array_equal(copy.current_generator(), tr.current_generator())


def test_early_selection_in_two_processes_with_the_covariance_basis():
    from symlens.restarts import fit_best_of

    X = _small_data()
    kw = dict(recipe="symlens", model_optimizer="adam-covariance", hidden=8, batch_size=14, n_batches=2,
              padding=3, steps_per_epoch=5, epochs=2)
    plain = fit_best_of(X, k=2, profile="smoke", seed=0, X_val=X[:28], **kw)
    early = fit_best_of(X, k=2, profile="smoke", seed=0, X_val=X[:28], select_at=3, keep=1, n_jobs=2, **kw)
    kept = next(r for r in early.restarts_ if r["finished"])
    twin = next(r for r in plain.restarts_ if r["seed"] == kept["seed"])
    assert early.n_steps_ == 10 and kept["held_out_loss"] == pytest.approx(twin["held_out_loss"], abs=1e-5)


def test_releasing_a_signed_permutation_basis_is_plain_adam_throughout():
    # Adam is blind to a signed permutation of coordinates, so stepping in one and then
    # releasing it (moments carried over) must trace plain Adam exactly
    rng = np.random.default_rng(9)
    W = torch.tensor(rng.normal(size=(4, 4)))
    L = torch.eye(4, dtype=torch.float64)[[2, 0, 3, 1]] * torch.tensor([1.0, -1.0, -1.0, 1.0], dtype=torch.float64)[:, None]
    ours = torch.nn.Parameter(torch.tensor(rng.normal(size=(4, 4))))
    theirs = torch.nn.Parameter(ours.detach().clone())
    o1 = BasisAdam([ours], lr=0.02, eps=1e-9)
    o1.set_basis(ours, L, L.flip(0))
    o2 = torch.optim.Adam([theirs], lr=0.02, eps=1e-9)
    for step in range(20):
        if step == 10:
            o1.release_basis(ours)
            assert o1.basis_of(ours) is None
        for p, o in ((ours, o1), (theirs, o2)):
            o.zero_grad()
            _cubic_loss(p, W).backward()
            o.step()
    torch.testing.assert_close(ours.detach(), theirs.detach(), rtol=1e-10, atol=1e-12)


def test_trainer_leaves_the_covariance_basis_at_its_tau_and_resumes_across_it(tmp_path):
    from symlens.schedules import training_time

    cfg = _covariance_config(epochs=4, covariance_until_tau=0.5)
    X = _small_data()
    switch = next(s for s in range(cfg.fit_steps) if training_time(cfg, s) >= 0.5) + 1  # steps taken in the basis
    tr = Trainer(cfg, 7, seed=0)
    tr.fit(X, progress=False, stop_at=switch - 1)
    assert tr.opt_model.basis_of(tr.model.generator.A) is not None
    tr.fit(X, progress=False, stop_at=switch, checkpoint_dir=tmp_path)
    assert tr.opt_model.basis_of(tr.model.generator.A) is None and tr.opt_model.basis_of(tr.model.filter.psi) is None
    again = Trainer(cfg, 7, seed=0)
    again.load_checkpoint(tmp_path)
    tr.fit(X, progress=False)
    again.fit(X, progress=False)  # must not set the basis again
    assert again.opt_model.basis_of(again.model.generator.A) is None
    np.testing.assert_array_equal(again.current_generator(), tr.current_generator())
    # and the switch changed the fit (so the checks above can fail)
    never = Trainer(_covariance_config(epochs=4), 7, seed=0)
    never.fit(X, progress=False)
    assert not np.allclose(never.current_generator(), tr.current_generator())


@pytest.mark.parametrize("kw, match", [(dict(covariance_until_tau=0.5), "needs model_optimizer"),
                                       (dict(model_optimizer="adam-covariance", covariance_until_tau=1.0), r"in \(0, 1\)")])
def test_covariance_until_tau_is_checked(kw, match):
    with pytest.raises(ValueError, match=match):
        get_profile("smoke", **kw)
