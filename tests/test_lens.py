"""symlens.lens: the scikit-learn-like front door — fitted attributes against independent
NumPy computations, exact resume, and a clear error for every bad input."""

import numpy as np
import pytest
import scipy.linalg

from symlens.config import get_profile
from symlens.data import make_dataset
from symlens.lens import NotFittedError, SymmetryLens, check_samples
from symlens.testing import assert_orthogonal

N = 7
TINY = dict(epochs=1, steps_per_epoch=3, hidden=8, batch_size=N * 4, n_batches=2, padding=3, log_every=1)


def _data(n=N * 8, dim=N, seed=0):
    return make_dataset("gaussian-translation", n, dim=dim, seed=seed)


@pytest.fixture(scope="module")
def fitted():
    d = _data()
    lens = SymmetryLens("smoke", seed=0, device="cpu", progress=False, recipe="faithful", **TINY).fit(
        d.X, true_generator=d.generator)
    return lens, d


def test_fitted_attributes_are_consistent_with_numpy(fitted):
    lens, d = fitted
    P = 3
    G_full = lens.generator_full_
    assert G_full.shape == (N + 2 * P, N + 2 * P)
    assert_orthogonal(G_full, atol=1e-12)
    A = lens.trainer_.model.generator.A.detach().double().numpy()
    np.testing.assert_allclose(G_full, scipy.linalg.expm(0.5 * (A - A.T)), atol=1e-12)
    np.testing.assert_array_equal(lens.generator_, G_full[P:-P, P:-P])
    psi = lens.filter_
    raw = lens.trainer_.model.filter.psi.detach().double().numpy()
    # the clean filter (no noise), ψ / (‖ψ‖ + 1e-7) (eq. 21); ψ is still small after 3 steps
    np.testing.assert_allclose(psi, raw / (np.linalg.norm(raw) + 1e-7), rtol=1e-6, atol=1e-7)
    assert psi.shape == (N,) and np.linalg.norm(psi) == pytest.approx(1.0, abs=1e-4)
    psi_pad = np.concatenate([np.zeros(P), psi, np.zeros(P)])
    K = np.stack([(psi_pad @ np.linalg.matrix_power(G_full, n - 3))[P:P + N] for n in range(N)])
    np.testing.assert_allclose(lens.group_convolution_matrix_, K, atol=1e-6)
    assert lens.n_features_in_ == N and lens.n_steps_ == 3
    assert len(lens.history_) == 3 and "cosine_similarity" in lens.history_[-1]


def test_transform_uses_training_statistics(fitted):
    lens, d = fitted
    Xn = _data(n=20, seed=5).X
    mean, std = d.X.astype(np.float64).mean(), d.X.astype(np.float64).std()
    expected = ((Xn - mean) / std) @ lens.group_convolution_matrix_.T
    np.testing.assert_allclose(lens.transform(Xn), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="9 dimensions but the lens was fitted on 7"):
        lens.transform(np.zeros((4, 9)))


def test_recipes_select_method_options_and_a_config_is_taken_as_it_is():
    from symlens.config import RECIPES

    default = SymmetryLens("smoke", progress=False)
    assert default.recipe == "symlens"
    for key, value in RECIPES["symlens"].items():
        assert getattr(default.config, key) == value
    faithful = SymmetryLens("smoke", progress=False, recipe="faithful")
    assert (faithful.config.centring, faithful.config.filter_norm, faithful.config.tau_start,
            faithful.config.tau_clock) == ("scalar", "free", 0.0, "lr")
    assert faithful.config == get_profile("smoke")  # profiles themselves are faithful
    # an explicit override wins over the recipe; a LensConfig is not re-dressed
    assert SymmetryLens("smoke", progress=False, centring="scalar").config.centring == "scalar"
    assert SymmetryLens(get_profile("smoke"), progress=False).config == get_profile("smoke")
    with pytest.raises(ValueError, match="unknown recipe"):
        SymmetryLens("smoke", recipe="best")


def test_not_fitted_errors():
    lens = SymmetryLens("smoke", progress=False)
    for attr in ("generator_", "generator_full_", "filter_", "group_convolution_matrix_", "history_",
                 "snapshots_", "n_steps_", "trainer_"):
        with pytest.raises(NotFittedError, match="fit"):
            getattr(lens, attr)
    with pytest.raises(NotFittedError):
        lens.transform(np.zeros((3, N)))
    assert issubclass(NotFittedError, RuntimeError)


@pytest.mark.parametrize(
    "X,match",
    [
        (np.zeros(10), "2-D"),
        (np.zeros((2, 3, 4)), "2-D"),
        (np.array([["a", "b"]]), "numeric"),
    ],
)
def test_check_samples_shape_and_dtype(X, match):
    with pytest.raises(ValueError, match=match):
        check_samples(X)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_samples_are_located(bad):
    X = np.zeros((6, 5))
    X[4, 2] = bad
    with pytest.raises(ValueError, match="1 NaN/inf value.*first at row 4"):
        SymmetryLens("smoke", progress=False, **TINY).fit(X)


def test_bad_fit_inputs():
    lens = SymmetryLens("smoke", progress=False, **TINY)
    with pytest.raises(ValueError, match="2-D"):
        lens.fit(np.zeros(N * 8))
    with pytest.raises(ValueError, match="fewer than one batch of 28"):
        lens.fit(_data(n=20).X)
    with pytest.raises(ValueError, match="even"):
        lens.fit(np.random.default_rng(0).normal(size=(64, 8)))
    with pytest.raises(ValueError, match="at least 3"):
        lens.fit(np.random.default_rng(0).normal(size=(64, 1)))
    with pytest.raises(ValueError, match=r"true_generator must be \(7, 7\)"):
        lens.fit(_data().X, true_generator=np.eye(5))
    with pytest.raises(ValueError, match="resume=True needs checkpoint_dir"):
        lens.fit(_data().X, resume=True)


def test_resume_with_missing_checkpoint(tmp_path):
    lens = SymmetryLens("smoke", progress=False, checkpoint_dir=tmp_path / "none", **TINY)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        lens.fit(_data().X, resume=True)


def test_bad_profile_and_override():
    with pytest.raises(ValueError, match="unknown profile"):
        SymmetryLens("quick")
    with pytest.raises(ValueError, match="learning_rate"):
        SymmetryLens("smoke", learning_rate=0.1)


def test_batch_not_multiple_of_N_is_rounded_down_with_a_warning():
    cfg = dict(TINY, batch_size=N * 4 + 3)
    lens = SymmetryLens("smoke", progress=False, **cfg)
    with pytest.warns(UserWarning, match="rounded down to 28"):
        lens.fit(_data().X)
    assert lens.trainer_.config.batch_size == 28 and 28 % N == 0
    assert lens.config.batch_size == 31  # the user's config is left as given
    with pytest.raises(ValueError, match="smaller than N"):
        SymmetryLens("smoke", progress=False, **dict(TINY, batch_size=5)).fit(_data().X)


def test_a_named_profile_scales_its_sizes_to_the_data_dimension():
    # smoke: 31 samples per dimension and a width of 3 per dimension (1 023 and 99 at N = 33)
    lens = SymmetryLens("smoke", progress=False, epochs=1, steps_per_epoch=1, n_batches=2, padding=3)
    lens.fit(_data(n=31 * N).X)
    tr = lens.trainer_
    assert tr.config.batch_size == 31 * N and tr.conditional.hidden == 3 * N
    assert lens.config.batch_size == 1023  # the profile as given; the trainer holds the sizes used


def test_resume_equals_uninterrupted_run(tmp_path):
    cfg = get_profile("smoke", epochs=2, steps_per_epoch=10, hidden=16, batch_size=33 * 4, n_batches=4)
    d = make_dataset("gaussian-translation", cfg.batch_size * cfg.n_batches, seed=1)
    kw = dict(seed=4, device="cpu", progress=False)
    full = SymmetryLens(cfg, **kw).fit(d.X, true_generator=d.generator)
    SymmetryLens(cfg, checkpoint_dir=tmp_path, **kw).fit(d.X, true_generator=d.generator, stop_at=7)
    resumed = SymmetryLens(cfg, checkpoint_dir=tmp_path, **kw)  # a new process would start like this
    resumed.fit(d.X, true_generator=d.generator, resume=True)
    assert resumed.n_steps_ == full.n_steps_ == 20
    np.testing.assert_array_equal(resumed.generator_, full.generator_)
    np.testing.assert_array_equal(resumed.filter_, full.filter_)
    np.testing.assert_array_equal(resumed.group_convolution_matrix_, full.group_convolution_matrix_)
    strip = lambda h: [{k: v for k, v in r.items() if k != "elapsed_s"} for r in h]  # noqa: E731
    assert strip(resumed.history_) == strip(full.history_)
    # and the run moved away from its initial state (the comparison is not between two no-ops)
    assert np.abs(full.filter_).max() < 0.999 or np.abs(full.generator_ - np.eye(33)).max() > 1e-3


@pytest.mark.parametrize("recipe", ["faithful", "symlens"])
def test_objective_scores_the_transform_of_held_out_samples(recipe):
    d = _data()
    lens = SymmetryLens("smoke", seed=0, device="cpu", progress=False, recipe=recipe, **TINY).fit(d.X)
    Xh = _data(n=N * 9, seed=3).X  # two batches of 28 and a dropped remainder
    out = lens.objective(Xh)
    Y = lens.transform(Xh)
    expected = []
    for k in range(2):
        C = np.corrcoef(Y[k * N * 4:(k + 1) * N * 4].T)
        expected.append(-np.mean([C[i, i + 1] for i in range(N - 1)]))
    assert out["alignment"] == pytest.approx(np.mean(expected), abs=1e-5)
    assert out["total"] == pytest.approx(sum(c * out[k] for c, k in (
        (lens.config.loss.alpha, "alignment"), (lens.config.loss.beta, "uniformity"),
        (lens.config.loss.gamma, "resolution"), (lens.config.loss.delta, "information"))), rel=1e-5)
    with pytest.raises(ValueError, match="fewer than one batch"):
        lens.objective(Xh[:10])


def test_a_branched_copy_continues_as_the_fit_with_that_branch_set_from_the_start(tmp_path):
    # ground truth: the fit configured with branch_step/branch_seed from step 0
    cfg = get_profile("smoke", epochs=2, steps_per_epoch=5, hidden=8, batch_size=N * 4, n_batches=2, padding=3)
    d = _data()
    kw = dict(seed=2, device="cpu", progress=False)
    part = SymmetryLens(cfg, **kw).fit(d.X, stop_at=4)
    before = part.generator_.copy()
    twin = part.branched(3, checkpoint_dir=tmp_path)
    assert twin.n_steps_ == part.n_steps_ == 4 and part.trainer_.config.branch_step is None
    twin.fit(d.X, resume=True)
    configured = SymmetryLens(cfg, branch_step=4, branch_seed=3, **kw).fit(d.X)
    np.testing.assert_array_equal(twin.generator_, configured.generator_)
    np.testing.assert_array_equal(part.generator_, before)  # the original is left where it was
    again = SymmetryLens(cfg, branch_step=4, branch_seed=3, checkpoint_dir=tmp_path, **kw)  # a new process
    again.fit(d.X, resume=True)
    np.testing.assert_array_equal(again.generator_, configured.generator_)
    with pytest.raises(ValueError, match="already branched at step 4"):
        twin.branched(1)
    with pytest.raises(ValueError, match="before its last"):
        SymmetryLens(cfg, **kw).fit(d.X).branched(1)
    with pytest.raises(NotFittedError):
        SymmetryLens(cfg, **kw).branched(1)
