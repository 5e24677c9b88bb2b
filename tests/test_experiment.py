"""symlens.experiment: scoring against a dataset's truth and the saved run directory."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from symlens.data import make_dataset
from symlens.experiment import run_experiment, run_many, score
from symlens.io import load_run
from symlens.testing import delta_filter

TINY = dict(epochs=1, steps_per_epoch=4, hidden=8, batch_size=33 * 2, n_batches=2, log_every=2, snapshot_every=2)


class _PerfectLens(SimpleNamespace):
    """A stand-in for a lens that learned the symmetry exactly: G = Q T Qᵀ, K = Qᵀ."""

    def transform(self, X):
        return np.asarray(X, np.float64) @ self.group_convolution_matrix_.T


@pytest.mark.parametrize("name", ["gaussian-translation", "gaussian-permuted", "legendre-dst"])
def test_score_of_a_perfect_lens(name):
    d = make_dataset(name, 200, dim=9, seed=0, noise_std=0.0)
    lens = _PerfectLens(generator_=d.generator, group_convolution_matrix_=d.transform.T, n_steps_=5)
    m = score(lens, d, n_eval=100)
    assert m["cosine_similarity"] == pytest.approx(1.0)
    assert m["rmse"] == pytest.approx(0.0, abs=1e-12)
    assert m["group_convolution_cosine"] == pytest.approx(1.0)
    assert m["signal_correlation"] == pytest.approx(1.0) and m["signal_reflected"] is False
    assert m["steps"] == 5
    # with K = Qᵀ, (K G x)_n = (T s)_n = s_{n-1} = (K x)_{n-1}: equivariant in the other direction
    assert m["equivariance_error"] < 1e-6


def test_score_of_a_wrong_lens():
    d = make_dataset("gaussian-translation", 200, dim=9, seed=0)
    lens = _PerfectLens(generator_=np.eye(9), group_convolution_matrix_=np.outer(np.ones(9), delta_filter(9)),
                        n_steps_=0)
    m = score(lens, d, n_eval=100)
    assert m["cosine_similarity"] == 0.0  # the identity has no overlap with the shift
    assert m["rmse"] == pytest.approx(np.sqrt(17 / 81))
    assert m["group_convolution_cosine"] < 0.5


def test_run_experiment_saves_a_complete_run(tmp_path):
    res = run_experiment("gaussian-permuted", "smoke", seed=2, out=tmp_path, device="cpu", progress=False, **TINY)
    m = res["metrics"]
    assert m["steps"] == 4
    assert -1.0 <= m["cosine_similarity"] <= 1.0 and m["rmse"] >= 0
    run = load_run(tmp_path)
    assert run["metrics"] == json.loads(json.dumps(m))
    assert run["config"]["batch_size"] == 66 and run["config"]["epochs"] == 1
    prov = run["provenance"]
    assert (prov["profile"], prov["seed"], prov["dataset"], prov["device"]) == ("smoke", 2, "gaussian-permuted", "cpu")
    a = run["arrays"]
    # the saved truth is Q T Qᵀ with the spec's permutation (RandomState(0), Q = P_codeᵀ)
    perm = np.random.RandomState(0).permutation(33)
    Q = np.zeros((33, 33))
    Q[perm, np.arange(33)] = 1.0
    np.testing.assert_array_equal(a["transform"], Q)
    np.testing.assert_array_equal(a["true_generator"], Q @ np.eye(33, k=-1) @ Q.T)
    assert a["generator"].shape == (33, 33) and a["generator_full"].shape == (99, 99)
    np.testing.assert_array_equal(a["generator"], a["generator_full"][33:-33, 33:-33])
    np.testing.assert_array_equal(a["history_step"], [1, 2, 4])
    np.testing.assert_array_equal(a["snapshot_step"], [0, 2, 4])
    assert a["snapshot_generator"].shape == (3, 33, 33)
    assert (tmp_path / "checkpoint" / "checkpoint.pt").exists()
    # the data seed defaults to the run seed
    assert res["dataset"].seed == 2


def test_run_experiment_unknown_dataset():
    with pytest.raises(ValueError, match="unknown dataset 'gaussian-rotation'"):
        run_experiment("gaussian-rotation", "smoke", progress=False, **TINY)


def test_run_many_is_the_same_fit_as_single_runs(tmp_path):
    pairs = [("gaussian-translation", 0), ("legendre-dst", 1)]
    many = run_many(pairs, "smoke", out=tmp_path, device="cpu", progress=False, **TINY)
    for (name, seed), res in zip(pairs, many):
        alone = run_experiment(name, "smoke", seed, device="cpu", progress=False, **TINY)
        np.testing.assert_allclose(res["lens"].generator_, alone["lens"].generator_, atol=2e-4)
        assert res["metrics"]["cosine_similarity"] == pytest.approx(alone["metrics"]["cosine_similarity"], abs=1e-3)
        np.testing.assert_allclose(res["lens"].transform(alone["dataset"].X[:5]),
                                   alone["lens"].transform(alone["dataset"].X[:5]), atol=1e-3)
        run = load_run(tmp_path / name / f"seed{seed}")
        prov = run["provenance"]
        assert (prov["dataset"], prov["seed"], prov["batched_runs"]) == (name, seed, 2)
        np.testing.assert_array_equal(run["arrays"]["history_step"], [1, 2, 4])


def test_run_many_refuses_duplicates_and_unknown_names():
    with pytest.raises(ValueError, match="duplicate"):
        run_many([("gaussian-dst", 0), ("gaussian-dst", 0)], "smoke", progress=False, **TINY)
    with pytest.raises(ValueError, match="unknown dataset 'gaussian-rotation'"):
        run_many([("gaussian-rotation", 0)], "smoke", progress=False, **TINY)


def test_run_experiment_time_limit(tmp_path):
    res = run_experiment("gaussian-dst", "smoke", 0, out=tmp_path, device="cpu", progress=False,
                         time_limit_s=0.0, **TINY)
    assert res["metrics"]["steps"] == 1
    np.testing.assert_array_equal(load_run(tmp_path)["arrays"]["history_step"], [1])


def test_run_experiment_records_each_seriation(tmp_path):
    run_experiment("gaussian-translation", "smoke", seed=0, out=tmp_path, device="cpu", progress=False,
                   seriate_tau=[0.5], tau_clock="steps", centring="component", **TINY)
    (rec,) = load_run(tmp_path)["provenance"]["seriations"]  # step 2 of 4 reaches τ = 0.5
    assert rec["step"] == 2 and rec["tau"] == pytest.approx(0.5)
    assert set(rec) >= {"changed", "score_before", "score_after", "filter_moved"} and "order" not in rec
    plain = tmp_path / "plain"
    run_experiment("gaussian-translation", "smoke", seed=0, out=plain, device="cpu", progress=False, **TINY)
    assert "seriations" not in load_run(plain)["provenance"]
