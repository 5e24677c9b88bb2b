"""Tests of symlens.data against independently computed ground truth (spec §2)."""

import math

import numpy as np
import pytest
import scipy.fft
import scipy.integrate
import scipy.special

from symlens import data
from symlens.data import (DATASET_NAMES, DataConfig, check_orthogonal, dataset_config, dst_matrix,
                          gaussian_bump, legendre_bump, make_dataset, permutation_transform,
                          sample_signals, scaled_assoc_legendre, shift_matrix, transform_matrix,
                          true_generator)

# Spec §2.4: np.random.seed(0); np.random.permutation(33)
PERM_33 = [11, 20, 24, 17, 2, 25, 26, 16, 10, 32, 29, 23, 15, 8, 13, 30, 5, 14, 28, 22, 1, 12, 6, 4,
           18, 21, 19, 9, 7, 31, 27, 3, 0]


def _expected_q(kind, n):
    """Q built independently of the module."""
    if kind == "translation":
        return np.eye(n)
    if kind == "permuted":
        perm = np.random.RandomState(0).permutation(n)
        q = np.zeros((n, n))
        for i, p in enumerate(perm):
            q[p, i] = 1.0  # (Q s)[perm[i]] = s[i]
        return q
    return scipy.fft.dst(np.eye(n), type=1, norm="ortho", axis=0)


def _expected_shift(n):
    t = np.zeros((n, n))
    for i in range(n - 1):
        t[i + 1, i] = 1.0
    return t


# --- transforms ---------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 7, 32, 33])
def test_dst_matrix(n):
    d = dst_matrix(n)
    np.testing.assert_allclose(d, scipy.fft.dst(np.eye(n), type=1, norm="ortho", axis=0), atol=1e-12)
    np.testing.assert_allclose(d, d.T, atol=1e-14)
    np.testing.assert_allclose(d @ d, np.eye(n), atol=1e-12)
    a, b = 3 % n + 1, 5 % n + 1  # 1-based entry from the closed form
    assert d[a - 1, b - 1] == pytest.approx(math.sin(math.pi * a * b / (n + 1)) / math.sqrt((n + 1) / 2))


@pytest.mark.parametrize("n", [2, 6, 33])
def test_shift_matrix(n):
    t = shift_matrix(n)
    assert t.sum() == n - 1 and np.count_nonzero(t) == n - 1
    np.testing.assert_array_equal(t, _expected_shift(n))
    np.testing.assert_array_equal(t @ np.eye(n)[:, 0], np.eye(n)[:, 1])  # T e_0 = e_1


def test_permutation_matches_spec():
    q = permutation_transform(33, seed=0)
    p_code = np.zeros((33, 33))
    p_code[np.arange(33), PERM_33] = 1.0
    np.testing.assert_array_equal(q, p_code.T)
    s = np.arange(33.0)
    np.testing.assert_array_equal(s @ p_code, q @ s)  # authors' row-vector action equals Q s
    assert not np.array_equal(permutation_transform(33, seed=1), q)


@pytest.mark.parametrize("name", DATASET_NAMES)
@pytest.mark.parametrize("dim", [33, 12])
def test_generator_and_observations(name, dim):
    ds = make_dataset(name, 300, dim=dim, seed=3)
    q = _expected_q(name.split("-")[1], dim)
    np.testing.assert_allclose(ds.transform, q, atol=1e-12)
    np.testing.assert_allclose(ds.generator, q @ _expected_shift(dim) @ q.T, atol=1e-12)
    assert ds.X.shape == ds.signals.shape == (300, dim)
    assert ds.X.dtype == ds.signals.dtype == np.float32
    assert ds.transform.dtype == ds.generator.dtype == np.float64
    np.testing.assert_allclose(ds.X, ds.signals.astype(np.float64) @ q.T, atol=1e-5)
    assert ds.name == name and ds.seed == 3 and ds.config.dim == dim


def test_transform_matrix_kinds():
    for kind, name in [("identity", "translation"), ("permutation", "permuted"), ("dst", "dst")]:
        np.testing.assert_allclose(transform_matrix(kind, 9), _expected_q(name, 9), atol=1e-12)
    with pytest.raises(ValueError):
        transform_matrix("fourier", 9)
    np.testing.assert_array_equal(true_generator(np.eye(5)), _expected_shift(5))


# --- basis signals ------------------------------------------------------------------------------

def test_scaled_legendre_closed_forms_and_scipy():
    x = np.linspace(-1, 1, 201)
    sq = np.sqrt(1 - x**2)
    np.testing.assert_allclose(scaled_assoc_legendre(2, 1, x), 0.75 * x * sq, atol=1e-13)
    np.testing.assert_allclose(scaled_assoc_legendre(3, 1, x), 3 / 16 * (5 * x**2 - 1) * sq, atol=1e-13)
    for l in range(0, 6):
        for m in range(0, l + 1):
            ref = scipy.special.lpmv(m, l, x) / ((-1) ** m * 2**l)
            np.testing.assert_allclose(scaled_assoc_legendre(l, m, x), ref, atol=1e-12, err_msg=f"{l},{m}")
    with pytest.raises(ValueError):
        scaled_assoc_legendre(1, 2, x)


def test_gaussian_bump_integrates_to_amplitude():
    val, _ = scipy.integrate.quad(lambda t: gaussian_bump(t, 0.3, 0.7, 1.3), -50, 50, points=[0.3])
    assert val == pytest.approx(1.3, rel=1e-9)
    t = np.linspace(-30, 30, 60001)
    assert scipy.integrate.trapezoid(gaussian_bump(t, -1.0, 2.0, 0.8), t) == pytest.approx(0.8, rel=1e-8)
    assert gaussian_bump(0.0, 0.0, 0.5, 1.0) == pytest.approx(1 / (math.sqrt(2 * math.pi) * 0.5))
    assert gaussian_bump(np.zeros((4, 1)), np.zeros(3), 1.0, 1.0).shape == (4, 3)


def test_legendre_bump_support_and_shape():
    t = np.linspace(-20, 20, 4001)
    c, L = 1.5, 9.0
    b = legendre_bump(t, c, L, 1.2, 2, 1)
    outside = np.abs(t - c) > L / 2
    assert np.all(b[outside] == 0) and np.any(b[~outside] != 0)
    xs = np.sin(np.pi * (t[~outside] - c) / L)
    np.testing.assert_allclose(b[~outside], 1.2 * 0.75 * xs * np.sqrt(1 - xs**2), atol=1e-12)
    edge = legendre_bump(np.array([c - L / 2, c + L / 2]), c, L, 1.0, 3, 1)
    np.testing.assert_allclose(edge, 0.0, atol=1e-12)  # vanishes at the support edges


# --- sampling statistics ------------------------------------------------------------------------

def test_component_counts_binomial():
    rng = np.random.default_rng(0)
    n = 40000
    comps = data._draw_components(DataConfig(signal="gaussian"), n, rng)
    counts = sum(f["present"].sum(axis=1) for f in comps)
    assert counts.mean() == pytest.approx(2.5, abs=0.03)  # Binomial(5, 0.5)
    assert counts.var() == pytest.approx(1.25, abs=0.05)
    comps = data._draw_components(DataConfig(signal="legendre"), n, rng)
    assert len(comps) == 2 and [(f["l"], f["m"]) for f in comps] == [(2, 1), (3, 1)]
    for f in comps:  # each feature Binomial(5, 0.25)
        assert f["present"].sum(axis=1).mean() == pytest.approx(1.25, abs=0.03)
    g = comps[0]
    assert g["center"].min() >= -33 and g["center"].max() <= 33
    assert g["scale"].min() >= 6.0 and g["scale"].max() <= 15.0
    assert g["amplitude"].min() >= 0.5 and g["amplitude"].max() <= 1.5


def test_empty_sample_fraction_matches_binomial():
    # Without noise a Gaussian sample is exactly zero only when it has no component (a bump's pdf
    # does not underflow across the window), so the zero fraction estimates P(Binomial(5, 0.5) = 0).
    s = sample_signals(dataset_config("gaussian-translation", noise_std=0.0), 20000,
                       np.random.default_rng(1))
    zero_frac = np.mean(np.all(s == 0, axis=1))
    assert zero_frac == pytest.approx(1 / 32, abs=0.005)


@pytest.mark.parametrize("signal", ["gaussian", "legendre"])
def test_signal_normalisation(signal):
    cfg = DataConfig(signal=signal, noise_std=0.0)
    s = sample_signals(cfg, 20000, np.random.default_rng(5))
    assert s.dtype == np.float64 and s.shape == (20000, 33)
    assert s.std() == pytest.approx(1.0, abs=1e-10)  # scalar std of the whole set, before noise
    s_noisy = sample_signals(DataConfig(signal=signal), 20000, np.random.default_rng(5))
    assert s_noisy.std() == pytest.approx(math.sqrt(1 + 0.05**2), abs=2e-4)
    np.testing.assert_allclose((s_noisy - s).std(), 0.05, rtol=0.02)  # same components, added noise


def test_locality_of_identity_signals():
    s = sample_signals(DataConfig(), 20000, np.random.default_rng(2))
    c = np.corrcoef(s.T)
    near = np.mean(np.diag(c, 1))
    far = np.mean(np.diag(c, 12))
    assert near > 0.5 and far < near - 0.3


# --- reproducibility and custom transforms ------------------------------------------------------

def test_seed_reproducibility():
    a = make_dataset("legendre-dst", 500, seed=7)
    b = make_dataset("legendre-dst", 500, seed=7)
    c = make_dataset("legendre-dst", 500, seed=8)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.signals, b.signals)
    assert not np.allclose(a.signals, c.signals)
    ref = sample_signals(a.config, 500, np.random.default_rng(7))
    np.testing.assert_allclose(a.signals, ref, rtol=1e-6, atol=1e-6)


def test_signals_independent_of_transform():
    base = make_dataset("gaussian-translation", 400, seed=4)
    for name in ("gaussian-permuted", "gaussian-dst"):
        np.testing.assert_array_equal(make_dataset(name, 400, seed=4).signals, base.signals)
    rot, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(33, 33)))
    custom = make_dataset("gaussian-dst", 400, seed=4, transform=rot)
    np.testing.assert_array_equal(custom.signals, base.signals)
    assert custom.config.transform == "custom" and custom.config.signal == "gaussian"
    np.testing.assert_allclose(custom.generator, rot @ _expected_shift(33) @ rot.T, atol=1e-12)
    np.testing.assert_allclose(custom.X, base.signals.astype(np.float64) @ rot.T, atol=1e-5)


def test_even_dim_grid_and_data():
    ds = make_dataset("legendre-translation", 200, dim=16, seed=0)
    assert ds.X.shape == (200, 16) and np.all(np.isfinite(ds.X))
    np.testing.assert_array_equal(data._pixel_grid(4), [-1.5, -0.5, 0.5, 1.5])
    np.testing.assert_array_equal(data._pixel_grid(33), np.arange(-16, 17))


def test_overrides_and_table_row():
    cfg = dataset_config("gaussian-dst", dim=7, scale_range=(0.2, 1.0), noise_std=0.1)
    assert (cfg.signal, cfg.transform, cfg.dim, cfg.scale_range, cfg.noise_std) == \
        ("gaussian", "dst", 7, (0.2, 1.0), 0.1)
    row = dataset_config("legendre-permuted").table_row()
    assert row["scale_range"] == [6.0, 15.0] and row["center_range"] == [-33.0, 33.0]
    assert row["p_component"] == 0.25 and row["mean_components_per_sample"] == 2.5
    assert row["transform"] == "permutation" and row["scale_name"] == "L"
    assert all(isinstance(v, (str, int, float, list)) for v in row.values())
    assert DataConfig().table_row()["scale_range"] == [0.5, 2.5]


# --- bad input ----------------------------------------------------------------------------------

def test_bad_inputs():
    with pytest.raises(ValueError, match="gaussian-translation"):
        dataset_config("gaussian-fourier")
    with pytest.raises((TypeError, ValueError), match="bogus"):
        dataset_config("gaussian-dst", bogus=1)
    with pytest.raises(ValueError, match="n_samples"):
        make_dataset("gaussian-dst", 0)
    with pytest.raises(ValueError, match="dim"):
        make_dataset("gaussian-dst", 10, dim=1)
    with pytest.raises(ValueError, match="orthogonal"):
        make_dataset("gaussian-dst", 10, transform=np.eye(33) * 2)
    with pytest.raises(ValueError, match="shape"):
        make_dataset("gaussian-dst", 10, transform=np.eye(5))
    bad = np.eye(33)
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        make_dataset("gaussian-dst", 10, transform=bad)
    with pytest.raises(ValueError, match="square"):
        check_orthogonal(np.ones((3, 4)))
    q = check_orthogonal(np.eye(3, dtype=np.float32))
    assert q.dtype == np.float64


def test_resample_draws_the_same_model_with_a_new_seed():
    from symlens.data import resample
    d = make_dataset("gaussian-dst", 50, dim=9, seed=0, scale_range=(0.2, 1.0))
    r = resample(d, 40, seed=3)
    # the ground truth: the same named dataset and parameters generated directly with seed 3
    direct = make_dataset("gaussian-dst", 40, dim=9, seed=3, scale_range=(0.2, 1.0))
    np.testing.assert_array_equal(r.X, direct.X)
    np.testing.assert_array_equal(r.transform, d.transform)
    assert r.config == d.config and r.name == d.name and r.seed == 3
    Q = np.linalg.qr(np.random.default_rng(1).normal(size=(9, 9)))[0]
    custom = make_dataset("legendre-translation", 30, dim=9, seed=0, transform=Q)
    rc = resample(custom, 30, seed=0)
    np.testing.assert_allclose(rc.X, custom.X)
    np.testing.assert_array_equal(rc.generator, custom.generator)
