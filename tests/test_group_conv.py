"""symlens.group_conv: K of eq. 5 against hand-built matrices and numpy matrix powers; the
resolving filter (eqs. 20-21) and the scalar standardisation (spec §1.2)."""

import numpy as np
import pytest
import scipy.linalg
import torch

from symlens.config import get_profile
from symlens.data import dst_matrix, make_dataset
from symlens.group_conv import (GroupConvolution, ResolvingFilter, group_convolution_matrix, require_odd_dim,
                                standardize)
from symlens.testing import (assert_permutation_matrix, delta_filter, exact_shift_generator,
                             padded_shift_generator, reversal_matrix)


def _K(G_big, psi, padding):
    return group_convolution_matrix(torch.as_tensor(G_big, dtype=torch.float64),
                                    torch.as_tensor(psi, dtype=torch.float64), padding).numpy()


def _random_orthogonal(M, seed, scale=0.6):
    A = np.random.default_rng(seed).normal(scale=scale, size=(M, M))
    return scipy.linalg.expm(0.5 * (A - A.T))


@pytest.mark.parametrize("N", [5, 7, 9])
@pytest.mark.parametrize("position", [0, 2, None])
def test_circulant_shift_and_delta_give_a_permutation(N, position):
    K = _K(exact_shift_generator(N), delta_filter(N, position), 0)
    assert_permutation_matrix(K, atol=1e-12)


def test_circulant_shift_central_delta_is_the_reversal():
    # row n = (Tᵀ)^{p_n} e_c = e_{c - p_n} = e_{N-1-n} with T e_i = e_{i+1}, c = (N-1)/2
    N = 7
    K = _K(exact_shift_generator(N), delta_filter(N), 0)
    np.testing.assert_array_equal(K, reversal_matrix(N))
    # the inverse shift gives the identity
    np.testing.assert_array_equal(_K(exact_shift_generator(N).T, delta_filter(N), 0), np.eye(N))


def test_padded_non_circulant_shift_hand_computed():
    # G_big = circulant shift on N + 2P: its central block is the non-circulant shift.
    N, P = 7, 7
    G = padded_shift_generator(N, P)
    np.testing.assert_array_equal(G[P:-P, P:-P], exact_shift_generator(N, circulant=False))
    psi = delta_filter(N, position=4)  # one right of the centre c = 3
    # G = Tᵀ (e_i -> e_{i-1}): row n = T^{p_n} e_4 = e_{4 + n - 3} = e_{n+1}: the super-diagonal,
    # and the last row's e_7 lies in the padding, cropped to zero.
    np.testing.assert_array_equal(_K(G.T, psi, P), np.eye(N, k=1))
    # G = T: row n = (Tᵀ)^{p_n} e_4 = e_{7-n}: row 0 falls in the padding, rows 1..6 are e_{7-n}.
    expected = np.zeros((N, N))
    for n in range(1, N):
        expected[n, N - n] = 1.0
    np.testing.assert_array_equal(_K(G, psi, P), expected)


def test_padding_prevents_wrap_around():
    # without padding the circulant shift wraps the filter around the window; with P >= (N-1)/2
    # the central delta never reaches the edge, so K is exactly the reversal (no wrap either way)
    N = 9
    for P in (4, 9):
        np.testing.assert_array_equal(_K(padded_shift_generator(N, P), delta_filter(N), P), reversal_matrix(N))


@pytest.mark.parametrize("N,P", [(5, 0), (7, 3), (9, 9)])
def test_rows_are_filter_times_matrix_powers(N, P):
    M = N + 2 * P
    G = _random_orthogonal(M, seed=N + P)
    psi = np.random.default_rng(P).normal(size=N)
    psi /= np.linalg.norm(psi)
    psi_pad = np.concatenate([np.zeros(P), psi, np.zeros(P)])
    Ginv = np.linalg.inv(G)  # negative powers through the inverse, not through Gᵀ
    expected = np.empty((N, N))
    for n in range(N):
        p = n - (N - 1) // 2
        Gp = np.linalg.matrix_power(G, p) if p >= 0 else np.linalg.matrix_power(Ginv, -p)
        expected[n] = (psi_pad @ Gp)[P:P + N]
    np.testing.assert_allclose(_K(G, psi, P), expected, atol=1e-12)
    # row of power 0 is the filter itself
    np.testing.assert_allclose(_K(G, psi, P)[(N - 1) // 2], psi, atol=1e-15)


@pytest.mark.parametrize("N", [2, 4, 32])
def test_even_dimension_is_refused(N):
    with pytest.raises(ValueError, match="even"):
        group_convolution_matrix(torch.eye(N, dtype=torch.float64), torch.ones(N), 0)
    with pytest.raises(ValueError, match="even"):
        require_odd_dim(N)
    with pytest.raises(ValueError, match="even"):
        GroupConvolution(N, 1, 1e-3, torch.Generator().manual_seed(0))
    require_odd_dim(N + 1)  # odd passes


def test_resolving_filter():
    f = ResolvingFilter(7)
    assert torch.equal(f.psi.detach(), torch.zeros(7))  # ψ starts at zero (spec §1.4)
    # zero ψ, no noise: 0 / (0 + eps) = 0
    assert torch.equal(f(None), torch.zeros(7))
    # zero ψ with noise: the normalised noise, a random unit vector
    noise = 0.1 * torch.randn(7, generator=torch.Generator().manual_seed(3))
    out = f(noise)
    assert float(out.detach().norm()) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(out.detach().numpy(), (noise / noise.norm()).numpy(), atol=1e-6)
    # non-zero ψ: ψ̃ = ψ + noise normalised, eq. 21
    with torch.no_grad():
        f.psi.copy_(torch.tensor([3.0, 0, 0, 4.0, 0, 0, 0]))
    np.testing.assert_allclose(f().detach().numpy(), [0.6, 0, 0, 0.8, 0, 0, 0], atol=1e-7)
    nz = torch.tensor([0.0, 0, 0, 0, 0, 0, 12.0])
    np.testing.assert_allclose(f(nz).detach().numpy(), np.array([3, 0, 0, 4, 0, 0, 12]) / 13.0, atol=1e-7)


def test_standardize_scalar_mean_and_std():
    x = torch.randn(50, 5, generator=torch.Generator().manual_seed(0)) * torch.arange(1.0, 6.0) + 3.0
    z = standardize(x)
    assert float(z.mean()) == pytest.approx(0.0, abs=1e-6)
    assert float(z.std(unbiased=False)) == pytest.approx(1.0, abs=1e-6)
    # ONE scalar over batch and components: per-component stds keep their ratios
    ratios = (z.std(0) / x.std(0)).numpy()
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-5)
    xn = x.numpy().astype(np.float64)
    np.testing.assert_allclose(z.numpy(), (xn - xn.mean()) / xn.std(), rtol=1e-5, atol=1e-5)
    # given statistics are used as they are
    np.testing.assert_allclose(standardize(x, mean=1.0, std=2.0).numpy(), (x.numpy() - 1.0) / 2.0, rtol=1e-6)


def test_group_convolution_module_lifts_standardised_x():
    N, P = 5, 2
    gc = GroupConvolution(N, P, init_std=0.4, rng=torch.Generator().manual_seed(1))
    with torch.no_grad():
        gc.filter.psi.copy_(torch.tensor([0.1, -0.5, 1.0, 0.3, 0.2]))
    A = gc.generator.A.detach().double().numpy()
    G = scipy.linalg.expm(0.5 * (A - A.T))
    psi = gc.filter.psi.detach().double().numpy()
    psi /= np.linalg.norm(psi)
    psi_pad = np.concatenate([np.zeros(P), psi, np.zeros(P)])
    K = np.stack([(psi_pad @ np.linalg.matrix_power(G if n >= 2 else G.T, abs(n - 2)))[P:P + N] for n in range(N)])
    x = torch.randn(20, N, generator=torch.Generator().manual_seed(2)) + 1.0
    xn = x.double().numpy()
    y = gc(x).detach().numpy()
    assert gc.matrix().dtype == torch.float32
    np.testing.assert_allclose(y, ((xn - xn.mean()) / xn.std()) @ K.T, atol=1e-5)
    # gradients reach both the generator and the filter
    gc(x).pow(2).sum().backward()
    assert gc.generator.A.grad.abs().sum() > 0 and gc.filter.psi.grad.abs().sum() > 0


def test_component_centring_commutes_with_an_orthogonal_change_of_basis():
    # a constant offset in the hidden basis, observed through the DST (which does not map
    # constants to constants): per-component centring removes it in every basis, the scalar
    # mean does not
    N = 7
    g = torch.Generator().manual_seed(3)
    s = torch.randn(400, N, generator=g, dtype=torch.float64) + 2.0
    Q = torch.from_numpy(dst_matrix(N))
    x = s @ Q.T
    zs, zx = standardize(s, centring="component"), standardize(x, centring="component")
    np.testing.assert_allclose(zx.numpy(), (zs @ Q.T).numpy(), atol=1e-12)
    np.testing.assert_allclose(zx.mean(0).numpy(), 0.0, atol=1e-12)
    assert float(zx.pow(2).mean()) == pytest.approx(1.0)
    scalar = standardize(x) @ Q  # back to the hidden basis
    assert float(scalar.mean(0).abs().max()) > 0.1  # the offset survives as a per-pixel bias
    with pytest.raises(ValueError, match="unknown centring"):
        get_profile("smoke", centring="median")


def test_component_centring_reaches_transform_with_training_means():
    from symlens.lens import SymmetryLens

    N = 7
    d = make_dataset("gaussian-dst", N * 8, dim=N, seed=0)
    lens = SymmetryLens("smoke", seed=0, device="cpu", progress=False, centring="component", epochs=1,
                        steps_per_epoch=2, hidden=8, batch_size=N * 4, n_batches=2, padding=3)
    lens.fit(d.X)
    X = d.X.astype(np.float64)
    Xc = X - X.mean(0)
    expected = Xc / np.sqrt(np.mean(Xc**2)) @ lens.group_convolution_matrix_.T
    np.testing.assert_allclose(lens.transform(d.X), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("N", [7, 15])
def test_delta_filter_cannot_see_where_the_exit_pixel_goes(N):
    # Mechanism 6 of the convergence page: with a centred delta filter the powers
    # -(N-1)/2 .. (N-1)/2 never move the filter past the window's last pixel, so K is the
    # same whether that pixel leaves into the padding (the true padded shift) or wraps to
    # the first pixel (a cycle closed inside the window, padding untouched)
    P = N
    truth = padded_shift_generator(N, P)
    closed = np.eye(N + 2 * P)
    closed[P:P + N, P:P + N] = exact_shift_generator(N, circulant=True)
    psi = torch.tensor(delta_filter(N), dtype=torch.float64)
    K_truth = group_convolution_matrix(torch.tensor(truth), psi, P)
    K_closed = group_convolution_matrix(torch.tensor(closed), psi, P)
    assert torch.equal(K_truth, K_closed)
    # ... while the generator metric scores the closed cycle sqrt((N-1)/N), the cyclic ceiling
    from symlens.metrics import generator_cosine_similarity
    T = exact_shift_generator(N, circulant=False)
    assert generator_cosine_similarity(closed[P:P + N, P:P + N], T) == pytest.approx(np.sqrt((N - 1) / N))
    from symlens.analysis import cyclic_ceiling
    assert cyclic_ceiling(N) == pytest.approx(generator_cosine_similarity(closed[P:P + N, P:P + N], T))
    assert generator_cosine_similarity(truth[P:P + N, P:P + N], T) == pytest.approx(1.0)
    # a filter two pixels wide does see the difference
    wide = torch.tensor(delta_filter(N) + delta_filter(N, (N - 1) // 2 + 1), dtype=torch.float64) / np.sqrt(2)
    assert not torch.allclose(group_convolution_matrix(torch.tensor(truth), wide, P),
                              group_convolution_matrix(torch.tensor(closed), wide, P))


def test_reach_keeps_k_and_stops_the_generator_gradient_beyond_its_powers():
    # rows of K are ψᵀG^p (ψ padded); with reach r = 1 the row of power 2 is ψᵀG G₀ with G₀
    # a constant copy of G: the step next to ψ learns, the farther one does not.  By the
    # product rule d(ψᵀG G₀ w)/dG = ψ (G₀w)ᵀ, against ψ (G₀w)ᵀ + (G₀ᵀψ) wᵀ without the reach;
    # a row within the reach (power 1: d(ψᵀG w)/dG = ψ wᵀ) is untouched
    M, P, N = 9, 2, 5
    rng = np.random.default_rng(0)
    G0 = torch.tensor(scipy.linalg.expm(_skew_np(rng.normal(size=(M, M)))))
    psi, w = torch.tensor(rng.normal(size=N)), torch.tensor(rng.normal(size=M - 2 * P))
    pad = np.zeros(M); pad[P:P + N] = psi.numpy()
    W = np.zeros(M); W[P:P + N] = w.numpy()
    for reach in (None, 1):
        G = G0.clone().requires_grad_()
        K = group_convolution_matrix(G, psi, P, reach=reach)
        np.testing.assert_allclose(K.detach().numpy(), group_convolution_matrix(G0, psi, P).numpy(), atol=1e-12)
        (K[N - 1] @ w).backward(retain_graph=True)  # row of power +2 = (N-1)/2: ψ̃ᵀ G G (cropped), ψ̃ the padded ψ
        G0n = G0.numpy()
        near = np.outer(pad, G0n @ W)   # through the factor next to ψ
        far = np.outer(G0n.T @ pad, W)  # through the farther one
        want = near + far if reach is None else near
        np.testing.assert_allclose(G.grad.numpy(), want, atol=1e-10)
        G.grad = None
        (K[N // 2 + 1] @ w).backward()  # power +1 lies within any reach >= 1
        np.testing.assert_allclose(G.grad.numpy(), np.outer(pad, W), atol=1e-10)


def _skew_np(A):
    return (A - A.T) / 2
