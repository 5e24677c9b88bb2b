"""symlens.whitening and LensConfig.whiten: the map against constructed covariances, and every
consumer of a fit (training, transform, objective, checkpoints, stacked fits) seeing the data
through the same fitted whitening."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from symlens.config import RECIPES, LensConfig, get_profile
from symlens.data import make_dataset
from symlens.lens import SymmetryLens
from symlens.train import Trainer
from symlens.whitening import Whitening, partial_whitening

N = 7
TINY = dict(epochs=1, steps_per_epoch=4, hidden=8, batch_size=N * 4, n_batches=2, padding=3, log_every=1)


def _orthogonal_columns(rng, n, scales):
    """n samples whose centred columns are mutually orthogonal with variances scales²."""
    q, _ = np.linalg.qr(rng.standard_normal((n, len(scales))))
    q -= q.mean(0)
    q, _ = np.linalg.qr(q)
    return q * np.sqrt(n) * np.asarray(scales) + 5.0  # an offset the whitening must remove


def test_partial_whitening_on_constructed_covariances():
    rng = np.random.default_rng(0)
    X = _orthogonal_columns(rng, 300, [1.0, 2.0, 3.0])  # eigenvalues 1, 4, 9 (mean 14/3)
    np.testing.assert_allclose(partial_whitening(X, 0.0), np.diag([1.0, 1 / 2, 1 / 3]), atol=1e-8)
    lam = 0.5 * 14 / 3
    np.testing.assert_allclose(partial_whitening(X, 0.5), np.diag(1 / np.sqrt([1 + lam, 4 + lam, 9 + lam])), atol=1e-8)
    # basis-neutral: the W of Q-rotated data is Q W Qᵀ
    Y = rng.standard_normal((400, 5)) @ rng.standard_normal((5, 5))
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    np.testing.assert_allclose(partial_whitening(Y @ Q.T, 0.1), Q @ partial_whitening(Y, 0.1) @ Q.T, atol=1e-8)
    with pytest.raises(ValueError, match="singular"):
        partial_whitening(np.zeros((10, 2)), 0.0)
    for bad in (-1.0, np.inf, float("nan"), "0.1", True):
        with pytest.raises(ValueError, match="finite number >= 0"):
            partial_whitening(Y, bad)


def test_whitening_commutes_with_the_cyclic_shift_of_stationary_data():
    # a circulant covariance (cyclically stationary signals): W is circulant too, so it
    # commutes exactly with the cyclic shift, and the generator to find is unchanged
    rng = np.random.default_rng(1)
    M = 9
    base = rng.standard_normal((4000, M)) @ np.diag([3, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01])
    X = np.concatenate([np.roll(base, k, axis=1) for k in range(M)])  # every cyclic shift of each
    S = np.roll(np.eye(M), 1, axis=0)
    W = partial_whitening(X, 0.1)
    np.testing.assert_allclose(W @ S, S @ W, atol=1e-10)


def test_whitening_map_centres_and_scales_to_unit_rms():
    rng = np.random.default_rng(2)
    X = _orthogonal_columns(rng, 500, [1.0, 2.0, 3.0])
    w = Whitening.fit(X, 0.0)
    Y = w(X)
    np.testing.assert_allclose(Y.mean(0), 0.0, atol=1e-10)
    np.testing.assert_allclose(np.sqrt((Y ** 2).mean()), 1.0, rtol=1e-10)
    np.testing.assert_allclose(Y.T @ Y / len(Y), np.eye(3), atol=1e-10)  # full: equal variances
    # a tensor keeps its dtype; the same map as on an array
    Yt = w(torch.from_numpy(X.astype(np.float32)))
    assert Yt.dtype == torch.float32
    np.testing.assert_allclose(Yt.numpy(), Y, atol=1e-5)
    again = Whitening.from_dict(w.to_dict())
    np.testing.assert_array_equal(again.matrix, w.matrix)
    with pytest.raises(ValueError, match="sample matrix"):
        Whitening.fit(X[0], 0.1)


def test_config_option_is_faithful_by_default_and_validated():
    assert LensConfig().whiten is None
    assert RECIPES["faithful"]["whiten"] is None
    assert get_profile("cpu", recipe="faithful").whiten is None
    assert get_profile("smoke", whiten=0.1).whiten == 0.1
    for bad in (-0.1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="whiten"):
            LensConfig(whiten=bad)


def _fit(whiten, seed=0, **kw):
    d = make_dataset("gaussian-translation", N * 8, dim=N, seed=seed)
    lens = SymmetryLens("smoke", seed=0, device="cpu", progress=False, recipe="symlens",
                        whiten=whiten, **TINY, **kw)
    return lens.fit(d.X, true_generator=d.generator), d


def test_trainer_trains_on_the_whitened_data():
    # ground truth: a fit on data whitened by hand, without the option, makes the same steps
    d = make_dataset("gaussian-translation", N * 8, dim=N, seed=0)
    cfg = get_profile("smoke", recipe="symlens", **TINY)
    with_option = Trainer(replace(cfg, whiten=0.1), N, seed=3)
    with_option.fit(torch.from_numpy(d.X), progress=False)
    W = partial_whitening(d.X, 0.1)
    Y = (d.X.astype(np.float64) - d.X.mean(0, dtype=np.float64)) @ W.T
    by_hand = Trainer(cfg, N, seed=3).fit(torch.from_numpy((Y / Y.std()).astype(np.float32)), progress=False)
    np.testing.assert_allclose(with_option.current_generator(), by_hand.current_generator(), atol=1e-5)
    np.testing.assert_allclose(with_option.current_group_convolution(), by_hand.current_group_convolution(), atol=1e-5)
    assert not np.allclose(with_option.current_generator(), np.eye(N), atol=1e-4)  # it moved


def test_transform_and_objective_follow_the_whitening():
    lens, d = _fit(0.1)
    tr = lens.trainer_
    assert tr.whitening is not None and tr.whitening.strength == 0.1
    Xn = make_dataset("gaussian-translation", N * 4, dim=N, seed=5).X
    # by hand: whiten with the training set's W, standardise with the whitened training set's
    # per-component mean and scalar rms, then K
    W = partial_whitening(d.X, 0.1)
    mu = d.X.astype(np.float64).mean(0)
    Ytr = (d.X - mu) @ W.T
    r = Ytr.std()
    Yn = ((Xn - mu) @ W.T) / r
    Ytr = Ytr / r
    m, s = Ytr.mean(0), np.sqrt(((Ytr - Ytr.mean(0)) ** 2).mean())
    expected = ((Yn - m) / s) @ lens.group_convolution_matrix_.T
    np.testing.assert_allclose(lens.transform(Xn), expected, atol=1e-6)
    # the objective scores the same representation (alignment: minus the mean neighbour correlation)
    out = lens.objective(Xn)
    C = np.corrcoef(expected.T)
    assert out["alignment"] == pytest.approx(-np.mean([C[i, i + 1] for i in range(N - 1)]), abs=1e-5)
    # and without the option nothing is whitened
    plain, _ = _fit(None)
    assert plain.trainer_.whitening is None


def test_whitening_survives_a_checkpoint_and_resume(tmp_path):
    cfg = get_profile("smoke", recipe="symlens", whiten=0.1, epochs=2, steps_per_epoch=4, hidden=8,
                      batch_size=N * 4, n_batches=2, padding=3, log_every=1)
    d = make_dataset("gaussian-translation", N * 8, dim=N, seed=1)
    kw = dict(seed=4, device="cpu", progress=False)
    full = SymmetryLens(cfg, **kw).fit(d.X)
    SymmetryLens(cfg, checkpoint_dir=tmp_path, **kw).fit(d.X, stop_at=3)
    resumed = SymmetryLens(cfg, checkpoint_dir=tmp_path, **kw)
    resumed.fit(d.X, resume=True)
    np.testing.assert_array_equal(resumed.trainer_.whitening.matrix, full.trainer_.whitening.matrix)
    np.testing.assert_array_equal(resumed.generator_, full.generator_)
    np.testing.assert_allclose(resumed.transform(d.X), full.transform(d.X))


def test_prepare_before_fit_is_a_clear_error():
    tr = Trainer(get_profile("smoke", whiten=0.1, **TINY), N, seed=0)
    with pytest.raises(RuntimeError, match="no whitening is fitted"):
        tr.prepare(np.zeros((4, N)))
