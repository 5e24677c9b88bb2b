"""symlens.generator: G = exp(skew(A)) (eq. 6), padding and the central crop (spec §1.2-1.3)."""

import numpy as np
import pytest
import scipy.linalg
import torch

from symlens.generator import Generator, crop, skew, skew_matrix_exp
from symlens.testing import assert_orthogonal


def _rng(seed=0):
    return torch.Generator().manual_seed(seed)


def test_skew_hand_case_and_antisymmetry():
    A = torch.tensor([[1.0, 2.0], [6.0, 3.0]])
    np.testing.assert_array_equal(skew(A).numpy(), [[0.0, -2.0], [2.0, 0.0]])
    B = torch.randn(4, 5, 5, generator=_rng())  # batched
    S = skew(B)
    assert torch.equal(S, -S.transpose(-1, -2))
    assert torch.all(torch.diagonal(S, dim1=-2, dim2=-1) == 0)
    # a symmetric matrix has zero skew part
    assert torch.equal(skew(B + B.transpose(-1, -2)), torch.zeros_like(B))


def test_crop_takes_the_central_block():
    M = torch.arange(49.0).reshape(7, 7)
    expected = [[16.0, 17.0, 18.0], [23.0, 24.0, 25.0], [30.0, 31.0, 32.0]]  # rows/cols 2..4
    np.testing.assert_array_equal(crop(M, 2).numpy(), expected)
    assert torch.equal(crop(M, 0), M)
    assert crop(torch.zeros(3, 9, 9), 3).shape == (3, 3, 3)


def test_big_is_scipy_expm_of_skew_and_orthogonal():
    g = Generator(5, 3, init_std=0.7, rng=_rng(1))  # large entries: far from the identity
    A = g.A.detach().double().numpy()
    G = g.big().detach()
    assert G.dtype == torch.float64 and G.shape == (11, 11)
    np.testing.assert_allclose(G.numpy(), scipy.linalg.expm(0.5 * (A - A.T)), atol=1e-12)
    assert_orthogonal(G.numpy(), atol=1e-12)
    assert np.linalg.det(G.numpy()) == pytest.approx(1.0, abs=1e-10)  # exp of skew lies in SO(M)
    assert np.abs(G.numpy() - np.eye(11)).max() > 0.1  # the check above is not trivially the identity


def test_reported_generator_is_crop_of_exp_not_exp_of_crop():
    P, N = 4, 5
    g = Generator(N, P, init_std=0.5, rng=_rng(2))
    A = g.A.detach().double().numpy()
    S = 0.5 * (A - A.T)
    reported = g().detach().numpy()
    crop_of_exp = scipy.linalg.expm(S)[P:-P, P:-P]
    exp_of_crop = scipy.linalg.expm(S[P:-P, P:-P])
    assert reported.shape == (N, N)
    np.testing.assert_allclose(reported, crop_of_exp, atol=1e-12)
    # the distinction matters on this case: the two differ by far more than round-off
    assert np.abs(crop_of_exp - exp_of_crop).max() > 0.05
    # and the crop of an orthogonal matrix is in general not orthogonal
    assert np.abs(reported @ reported.T - np.eye(N)).max() > 1e-3


def test_no_padding_reports_the_whole_generator():
    g = Generator(4, 0, init_std=0.3, rng=_rng(3))
    assert torch.equal(g(), g.big())
    assert g.size == 4


def test_init_std_statistics():
    g = Generator(33, 33, init_std=1e-3, rng=_rng(4))
    A = g.A.detach().double().numpy().ravel()
    assert A.size == 99 * 99 == 9801  # spec §3 parameter count of the generator
    assert A.std() == pytest.approx(1e-3, rel=0.05)
    assert abs(A.mean()) < 4 * 1e-3 / np.sqrt(A.size)
    # G ≈ I at initialisation (spec §1.3)
    assert np.abs(g.big().detach().numpy() - np.eye(99)).max() < 1e-2


def test_init_is_seeded():
    a = Generator(5, 2, 1e-3, _rng(7)).A.detach()
    b = Generator(5, 2, 1e-3, _rng(7)).A.detach()
    c = Generator(5, 2, 1e-3, _rng(8)).A.detach()
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_gradient_reaches_A():
    g = Generator(3, 1, init_std=0.1, rng=_rng(5))
    g()[0, 1].backward()
    assert g.A.grad is not None and g.A.grad.abs().sum() > 0


def test_negative_padding_raises():
    with pytest.raises(ValueError, match="padding"):
        Generator(5, -1, 1e-3, _rng())


@pytest.mark.parametrize("case", ["random", "zero", "near-identity", "shift"])
def test_skew_matrix_exp_gradient_equals_matrix_exp(case):
    # the eigendecomposition backward (used by the fused training step) against matrix_exp's own
    M = 11
    g = torch.Generator().manual_seed(0)
    A = {"random": 0.8 * torch.randn(M, M, generator=g, dtype=torch.float64),
         "zero": torch.zeros(M, M, dtype=torch.float64),
         "near-identity": 1e-3 * torch.randn(M, M, generator=g, dtype=torch.float64)}.get(case)
    if A is None:  # the generator of the circulant shift: degenerate, widely spread eigenvalues
        A = torch.tensor(np.real(scipy.linalg.logm(np.roll(np.eye(M), 1, axis=0))))
    W = torch.randn(M, M, generator=g, dtype=torch.float64)
    A1, A2 = A.clone().requires_grad_(), A.clone().requires_grad_()
    G1 = torch.linalg.matrix_exp(skew(A1))
    G2 = skew_matrix_exp(skew(A2))
    assert torch.equal(G1, G2)  # the same forward value
    (G1 * W).sum().backward()
    (G2 * W).sum().backward()
    np.testing.assert_allclose(A2.grad.numpy(), A1.grad.numpy(), rtol=0, atol=1e-12)
