"""symlens.results: the results layout, and reusing or training saved runs."""

import json

import numpy as np
import pytest

from symlens import analysis, make_dataset, results

TINY = dict(epochs=1, steps_per_epoch=2, n_batches=1, hidden=16, log_every=1, snapshot_every=1)


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    return tmp_path


def test_layout_follows_the_environment(root):
    assert results.results_root() == root.resolve()
    d = results.notebook_dir("smoke", "01_data_model")
    assert d == root.resolve() / "smoke" / "01_data_model" and d.is_dir()
    assert results.run_dir("cpu", "gaussian-dst", 2) == root.resolve() / "cpu" / "03_accuracy" / "runs" / "gaussian-dst" / "seed2"


def test_a_recipe_has_its_own_run_folder(root):
    base = root.resolve() / "cpu" / "03_accuracy"
    assert results.run_dir("cpu", "gaussian-dst", 2, "symlens") == base / "runs-symlens" / "gaussian-dst" / "seed2"
    assert results.run_dir("cpu", "gaussian-dst", 2, "faithful") == base / "runs" / "gaussian-dst" / "seed2"
    with pytest.raises(ValueError, match="unknown recipe 'best'"):
        results.run_dir("cpu", "gaussian-dst", 2, "best")


def test_load_or_run_keeps_recipes_apart(root):
    faithful = results.load_or_run("gaussian-dst", "smoke", 0, device="cpu", **TINY)
    recipe = results.load_or_run("gaussian-dst", "smoke", 0, device="cpu", recipe="symlens", **TINY)
    assert not recipe["reused"] and recipe["dir"] == results.run_dir("smoke", "gaussian-dst", 0, "symlens")
    # the saved configuration is the recipe's, and the faithful run does not stand in for it
    assert recipe["config"]["centring"] == "component" and faithful["config"]["centring"] == "scalar"
    assert not results.saved_run_matches(faithful["dir"], "gaussian-dst", "smoke", 0, recipe="symlens", **TINY)
    assert not results.saved_run_matches(recipe["dir"], "gaussian-dst", "smoke", 0, **TINY)
    assert results.load_or_run("gaussian-dst", "smoke", 0, device="cpu", recipe="symlens", **TINY)["reused"]
    many = results.load_or_run_many([("gaussian-dst", 0), ("gaussian-dst", 1)], "smoke", device="cpu",
                                    recipe="symlens", **TINY)
    assert [r["reused"] for r in many.values()] == [True, False]
    assert many["gaussian-dst", 1]["dir"] == results.run_dir("smoke", "gaussian-dst", 1, "symlens")


def test_default_root_is_the_repository(monkeypatch):
    monkeypatch.delenv(results.RESULTS_ENV, raising=False)
    from symlens.io import repo_root

    assert results.results_root() == repo_root() / "results"


def test_load_or_run_trains_once_then_reuses(root):
    first = results.load_or_run("gaussian-translation", "smoke", 0, device="cpu", **TINY)
    assert not first["reused"] and first["metrics"]["steps"] == 2
    assert results.saved_run_matches(first["dir"], "gaussian-translation", "smoke", 0, **TINY)
    again = results.load_or_run("gaussian-translation", "smoke", 0, device="cpu", **TINY)
    assert again["reused"]
    for k, v in first["arrays"].items():
        np.testing.assert_array_equal(v, again["arrays"][k])
    # another configuration, seed or dataset does not match the saved run
    assert not results.saved_run_matches(first["dir"], "gaussian-translation", "smoke", 0, **{**TINY, "epochs": 2})
    assert not results.saved_run_matches(first["dir"], "gaussian-translation", "smoke", 1, **TINY)
    assert not results.saved_run_matches(first["dir"], "gaussian-dst", "smoke", 0, **TINY)
    retrained = results.load_or_run("gaussian-translation", "smoke", 0, device="cpu", retrain=True, **TINY)
    assert not retrained["reused"]
    np.testing.assert_array_equal(retrained["arrays"]["generator"], first["arrays"]["generator"])  # deterministic
    # the training set can be regenerated from the saved run
    ds = results.training_dataset(first)
    assert ds.X.shape == (1023, 33) and np.array_equal(ds.generator, first["arrays"]["true_generator"])
    assert "profile smoke" in results.describe_provenance(first["provenance"])


def test_load_or_run_many_trains_only_the_missing_runs_together(root):
    single = results.load_or_run("gaussian-dst", "smoke", 1, device="cpu", **TINY)
    pairs = [("gaussian-dst", 1), ("legendre-translation", 0), ("gaussian-dst", 0)]
    runs = results.load_or_run_many(pairs, "smoke", device="cpu", **TINY)
    assert list(runs) == pairs
    assert [runs[p]["reused"] for p in pairs] == [True, False, False]
    np.testing.assert_array_equal(runs["gaussian-dst", 1]["arrays"]["generator"], single["arrays"]["generator"])
    for p in pairs[1:]:
        assert runs[p]["provenance"]["batched_runs"] == 2
        assert results.saved_run_matches(runs[p]["dir"], p[0], "smoke", p[1], **TINY)
        # the stacked fit is the fit load_or_run would have made
        alone = results.load_or_run(p[0], "smoke", p[1], device="cpu", directory=root / "alone" / p[0] / str(p[1]), **TINY)
        np.testing.assert_allclose(runs[p]["arrays"]["generator"], alone["arrays"]["generator"], atol=2e-4)
    again = results.load_or_run_many(pairs, "smoke", device="cpu", **TINY)
    assert all(r["reused"] for r in again.values())


def test_a_run_saved_before_an_option_existed_still_matches(root):
    run = results.load_or_run("gaussian-translation", "smoke", 0, device="cpu", **TINY)
    path = run["dir"] / "metrics.json"
    saved = json.loads(path.read_text())
    for option in ("model_optimizer", "tau_clock"):  # options added after runs were saved
        del saved["config"][option]
    path.write_text(json.dumps(saved))
    assert results.saved_run_matches(run["dir"], "gaussian-translation", "smoke", 0, **TINY)
    # ... but not when the profile asks for a non-default setting of that option
    assert not results.saved_run_matches(run["dir"], "gaussian-translation", "smoke", 0,
                                         **{**TINY, "tau_clock": "steps"})
    # and a key this version does not know is no match
    saved["config"]["unknown_option"] = 1
    path.write_text(json.dumps(saved))
    assert not results.saved_run_matches(run["dir"], "gaussian-translation", "smoke", 0, **TINY)


def test_saved_run_matches_rejects_broken_files(root):
    d = root / "x"
    d.mkdir()
    assert not results.saved_run_matches(d, "gaussian-translation", "smoke", 0)
    (d / "metrics.json").write_text("{not json")
    (d / "arrays.npz").write_bytes(b"")
    assert not results.saved_run_matches(d, "gaussian-translation", "smoke", 0)
    (d / "metrics.json").write_text(json.dumps({"provenance": {}, "config": {}}))
    assert not results.saved_run_matches(d, "gaussian-translation", "smoke", 0)


def test_load_or_fit_custom_transform(root):
    Q = analysis.random_orthogonal(33, seed=0)
    data = make_dataset("gaussian-translation", 1023, seed=0, transform=Q)
    run = results.load_or_fit(data, "smoke", 0, root / "rot", device="cpu", **TINY)
    assert not run["reused"] and run["provenance"]["dataset"] == "gaussian-custom"
    np.testing.assert_array_equal(run["arrays"]["transform"], Q)
    assert {"generator", "filter", "group_convolution", "snapshot_generator", "history_total"} <= set(run["arrays"])
    assert results.load_or_fit(data, "smoke", 0, root / "rot", device="cpu", **TINY)["reused"]
    other = make_dataset("gaussian-translation", 1023, seed=0, transform=analysis.random_orthogonal(33, seed=1))
    assert not results.load_or_fit(other, "smoke", 0, root / "rot", device="cpu", **TINY)["reused"]
    with pytest.raises(ValueError, match="samples"):
        results.load_or_fit(make_dataset("gaussian-translation", 2046, seed=0, transform=Q), "smoke", 0,
                            root / "bad", device="cpu", **TINY)


def test_evaluation_data_is_held_out():
    ev = results.evaluation_dataset("gaussian-translation", 0, 64)
    train = make_dataset("gaussian-translation", 64, seed=0)
    assert ev.X.shape == (64, 33) and not np.array_equal(ev.X, train.X)


def _saved_notebook(root, profile, name, config=None, prov=None):
    d = root / profile / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "metrics.json").write_text(json.dumps({"config": config or {}, "metrics": {},
                                                "provenance": prov or {"profile": profile}}))
    return d


def test_best_saved_prefers_the_most_faithful_profile(root, monkeypatch, tmp_path_factory):
    committed = tmp_path_factory.mktemp("repo")
    (committed / "results").mkdir()
    monkeypatch.setattr(results, "repo_root", lambda: committed)
    assert results.evidence_roots() == [root.resolve(), (committed / "results").resolve()]
    assert results.best_saved("05_reconstruction") is None
    _saved_notebook(root, "smoke", "05_reconstruction")
    assert results.best_saved("05_reconstruction") == ("smoke", root.resolve() / "smoke" / "05_reconstruction")
    # a more faithful profile in the committed tree wins over this session's smoke run
    _saved_notebook(committed / "results", "cpu", "05_reconstruction")
    _saved_notebook(committed / "results", "scratch", "05_reconstruction")  # not a profile: ignored
    assert results.best_saved("05_reconstruction")[0] == "cpu"
    # between equal profiles, this session's results win
    _saved_notebook(root, "cpu", "05_reconstruction")
    assert results.best_saved("05_reconstruction") == ("cpu", root.resolve() / "cpu" / "05_reconstruction")
    assert results.PROFILE_ORDER.index("fast") > results.PROFILE_ORDER.index("cpu")


def test_saved_restarts_collects_seeds_with_the_same_configuration(root):
    cfg = {"batch_size": 8}
    for rel, seed, c, cos in (("03_accuracy/runs/a/seed0", 0, cfg, 0.9), ("tta/a/seed1", 1, cfg, 0.8),
                              ("tta/a/seed2-lr", 2, {"batch_size": 16}, 0.1), ("tta/b/seed0", 0, cfg, 0.5)):
        d = root / "cpu" / rel
        d.mkdir(parents=True)
        (d / "metrics.json").write_text(json.dumps({"config": c, "metrics": {"cosine_similarity": cos},
                                                    "provenance": {"dataset": rel.split("/")[-2], "seed": seed}}))
    assert results.saved_restarts(root, "cpu", {"a": cfg}) == {"a": {0: 0.9, 1: 0.8}}


def test_configs_compare_with_every_option_filled_in():
    # a run saved before `whiten` and `reach_tau` existed ran with their defaults: it has the same
    # configuration as a later run that carries them at those defaults, not one that sets them
    from symlens.config import get_profile

    full = get_profile("cpu").to_dict()
    old = {k: v for k, v in full.items() if k not in ("whiten", "reach_tau")}
    assert json.dumps(old, sort_keys=True) != json.dumps(full, sort_keys=True)  # as saved they differ
    assert results.comparable_config(old) == results.comparable_config(full)
    assert results.comparable_config(old) != results.comparable_config({**full, "whiten": 0.1})
    # a dict that is no whole configuration compares as saved
    assert results.comparable_config({"batch_size": 8}) == {"batch_size": 8}
    assert results.comparable_config(None) is None


def test_saved_restarts_fill_in_options_and_keep_the_given_runs(root):
    from symlens.config import get_profile

    full = get_profile("cpu").to_dict()
    old = {k: v for k, v in full.items() if k != "whiten"}
    for rel, seed, c, cos in (("03_accuracy/runs/a/seed0", 0, old, 0.9), ("03_accuracy/runs/a/seed1", 1, full, 0.8),
                              ("tta/a/seed0", 0, full, 0.3), ("tta/a/seed2", 2, {**full, "whiten": 0.1}, 0.1)):
        d = root / "cpu" / rel
        d.mkdir(parents=True)
        (d / "metrics.json").write_text(json.dumps({"config": c, "metrics": {"cosine_similarity": cos},
                                                    "provenance": {"dataset": "a", "seed": seed}}))
    # seed 1 (saved with `whiten`) is a restart of seed 0 (saved before it); seed 2 set it: not counted
    assert results.saved_restarts(root, "cpu", {"a": old}) == {"a": {0: 0.9, 1: 0.8}}
    # the rerun of seed 0 (0.3) gives way to the given Table 2 run
    assert results.saved_restarts(root, "cpu", {"a": full}, keep={"a": {0: 0.95}}) == {"a": {0: 0.95, 1: 0.8}}
