"""The benchmark scripts run on a clean checkout (tiny settings; their figures are not checked)."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from symlens.config import LensConfig
from symlens.io import load_run, repo_root
from symlens.train import Trainer

TINY = ["--set", "epochs=1", "steps_per_epoch=4", "n_batches=1", "hidden=8", "log_every=2"]


def _script(name: str, folder: str = "benchmarks"):
    """Import ``<folder>/<name>.py`` of this checkout as a module (the scripts are not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, repo_root() / folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*args) -> str:
    out = subprocess.run([sys.executable, *args], cwd=repo_root(), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_time_to_accuracy_single_run(tmp_path):
    text = _run("benchmarks/time_to_accuracy.py", "--profile", "smoke", "--device", "cpu", "--out", str(tmp_path), *TINY)
    assert "cos >=" in text and "final: steps=4" in text
    assert load_run(tmp_path)["provenance"]["dataset"] == "gaussian-translation"


def test_time_to_accuracy_keeps_a_finished_run(tmp_path):
    args = ["benchmarks/time_to_accuracy.py", "--profile", "smoke", "--device", "cpu", "--out", str(tmp_path), *TINY]
    _run(*args)
    saved = (tmp_path / "metrics.json").read_text()
    again = subprocess.run([sys.executable, *args], cwd=repo_root(), capture_output=True, text=True, timeout=600)
    assert again.returncode != 0 and "already saved" in again.stderr and "--overwrite" in again.stderr
    assert (tmp_path / "metrics.json").read_text() == saved
    assert "final: steps=4" in _run(*args, "--overwrite")


def test_time_to_accuracy_custom_data_model(tmp_path):
    text = _run("benchmarks/time_to_accuracy.py", "--profile", "smoke", "--device", "cpu", "--dim", "7",
                "--data", "scale_range=[0.2,1.0]", "--out", str(tmp_path), *TINY, "batch_size=28", "padding=7")
    assert "final: steps=4" in text
    run = load_run(tmp_path)
    assert run["arrays"]["true_generator"].shape == (7, 7) and run["config"]["padding"] == 7


def test_time_to_accuracy_stacked_runs(tmp_path):
    text = _run("benchmarks/time_to_accuracy.py", "--profile", "smoke", "--device", "cpu", "--dataset",
                "gaussian-dst", "legendre-dst", "--seed", "0", "1", "--out", str(tmp_path), *TINY)
    assert text.count("batched with 4 runs") == 4
    prov = json.loads((tmp_path / "legendre-dst" / "seed1" / "metrics.json").read_text())["provenance"]
    assert prov["batched_runs"] == 4


def test_time_to_accuracy_refuses_data_options_for_many_runs():
    out = subprocess.run([sys.executable, "benchmarks/time_to_accuracy.py", "--dataset", "all", "--dim", "7"],
                         cwd=repo_root(), capture_output=True, text=True, timeout=600)
    assert out.returncode != 0 and "single run" in out.stderr


@pytest.mark.parametrize("extra", [[], ["--runs", "2"], ["--profile", "cpu", "--paths", "fused", "reference", "--threads", "1"]])
def test_step_time(extra):
    text = _run("benchmarks/step_time.py", "--device", "cpu", "--modes", "eager", "--batches", "66", "--steps", "1", *extra)
    rows = [line.split() for line in text.splitlines() if line.split()[:1] == ["cpu"]]
    paths = {r[1] for r in rows if r[2] == "eager" and r[4] == "66"}
    assert paths == ({"fused", "reference"} if "reference" in extra else {"fused"})
    for r in rows:
        if r[1] in ("fused", "reference"):
            assert float(r[6]) > 0 and float(r[11]) > 0 and float(r[12]) > 0  # s/step, floor, x floor
    if "--runs" in extra:
        assert "2 runs" in text


def test_plot_curves_strip_and_sweep_labels():
    """benchmarks/plot_curves.py: the four-panel strip names every quantity and labels every axis."""
    import numpy as np

    pc = _script("plot_curves")
    n = 6
    hist = {k: np.linspace(0, 1, n) for k in ("step", "tau", "cosine_similarity", "rmse", "total", "alignment",
                                               "uniformity", "resolution", "information")}
    fig = pc.curve_figure(hist, "title")
    panels = fig.axes[:4]
    assert all(ax.get_ylabel() and ax.get_xlabel() == "training step" for ax in panels)
    shown = [ax.get_title() for ax in panels] + [t.get_text() for ax in panels if ax.get_legend() is not None
                                                 for t in ax.get_legend().get_texts()]
    assert shown and not any("_" in text for text in shown)  # no raw names such as cosine_similarity
    assert "information preservation (eq. 12)" in [t.get_text() for t in panels[3].get_legend().get_texts()]
    assert fig.axes[4].get_ylabel().startswith("τ")  # the rank window's clock on the total-loss panel
    base = {"batch_size": 1023, "epochs": 240, "lr_decay": 0.1}
    assert pc.variant_label("batch_size2046", {**base, "batch_size": 2046}, base) == "batch 1023 → 2046"
    assert pc.variant_label("baseline", base, base) == "baseline"
    assert pc.variant_label("x", base, None) == "x"


def test_gpu_step_without_cuda_and_its_cpu_rehearsal():
    import torch

    if not torch.cuda.is_available():
        assert "CUDA is not available" in _run("benchmarks/gpu_step.py")
    text = _run("benchmarks/gpu_step.py", "--rehearse", "--batches", "66", "--steps", "1", "--warmup", "0",
                "--modes", "fused", "graph-fused", "graph-reference", "--runs", "2")
    assert "partitioned step against train_step" in text and "failed" not in text
    assert all(m in text for m in ("graph-fused", "graph-reference", "stacked"))


def test_profile_step():
    text = _run("benchmarks/profile_step.py", "--hidden", "8", "--batch", "66", "--steps", "1", "--top", "2",
                "--paths", "fused", "reference")
    assert "fused path" in text and "reference path" in text and "estimator products" in text


@pytest.mark.parametrize("kind, tol", [("field", 1.15), ("wave", 1.3)])
def test_made_up_lab_signals_are_stationary_behind_their_haar_basis(kind, tol):
    # windows of a translation-invariant process: every pixel has the same variance and every
    # pair of neighbours the same covariance (up to sampling error and the window's edges)
    import numpy as np

    sys.path.insert(0, str(repo_root() / "benchmarks"))
    from small_n_lab import lab_dataset

    d = lab_dataset(f"{kind}-haar", 20_000, 11, seed=0)
    np.testing.assert_allclose(d.X, d.signals @ d.transform.T, atol=1e-5)
    np.testing.assert_allclose(d.transform @ d.transform.T, np.eye(11), atol=1e-10)
    shift = np.eye(11, k=-1)  # the hidden symmetry (T e_j = e_{j+1}), conjugated by the basis
    np.testing.assert_allclose(d.generator, d.transform @ shift @ d.transform.T, atol=1e-10)
    S = d.signals.astype(np.float64)
    var = S.var(0)
    lag1 = np.mean(S[:, 1:] * S[:, :-1], 0)
    assert var.max() / var.min() < tol
    assert lag1.max() / lag1.min() < tol and lag1.min() > 0.2 * var.mean()  # smooth: neighbours correlate


def test_lab_settings_keep_commas_inside_brackets_with_their_value():
    import argparse

    sys.path.insert(0, str(repo_root() / "benchmarks"))
    from small_n_lab import parse_setting

    assert parse_setting("kz:tau_dwell=3,tau_dwell_band=[0, 0.2],centring=component") == (
        "kz", {"tau_dwell": 3, "tau_dwell_band": [0, 0.2], "centring": "component"})
    with pytest.raises(argparse.ArgumentTypeError, match="not key=value"):
        parse_setting("kz:tau_dwell")


def test_lab_scores_along_the_way_without_changing_the_fit(tmp_path):
    common = ["benchmarks/small_n_lab.py", "--dim", "7", "--datasets", "gaussian-translation", "--seeds", "0",
              "--epochs", "2", "--steps-per-epoch", "6", "--slot", "8", "--hidden-factor", "2", "--log-every", "3",
              "--workers", "1", "--out", str(tmp_path)]
    _run(*common, "--study", "plain")
    _run(*common, "--study", "scored", "--score-at", "4", "9")
    plain, scored = (json.loads((tmp_path / s / "runs.jsonl").read_text().splitlines()[0])
                     for s in ("plain", "scored"))
    # stopping, scoring and resuming is the same fit as running through
    assert scored["generator_full"] == plain["generator_full"] and scored["cos"] == plain["cos"]
    assert "scores" not in plain and [p["step"] for p in scored["scores"]] == [4, 9]
    assert all(np.isfinite(p["loss_now"]) and np.isfinite(p["loss_1"]) for p in scored["scores"])
    assert 0 < scored["scores"][0]["tau"] < scored["scores"][1]["tau"] < 1
    out = subprocess.run([sys.executable, *common, "--study", "bad", "--score-at", "9", "4"], cwd=repo_root(),
                         capture_output=True, text=True)
    assert out.returncode != 0 and "--score-at must be increasing" in out.stderr


def test_lab_restarts_table_keeps_the_lowest_held_out_loss_per_training_set():
    sys.path.insert(0, str(repo_root() / "benchmarks"))
    from small_n_lab import restarts_table

    def row(seed, data_seed, cos, loss):
        return {"setting": "a", "dataset": "d", "dim": 7, "seed": seed, "data_seed": data_seed, "cos": cos,
                "held_out_total": loss}

    rows = [row(0, 1, 0.5, -1.0), row(1, 1, 0.9, -2.0), row(2, 1, 0.95, -1.5), row(0, 2, 0.7, -3.0),
            row(1, 2, 0.6, -2.5), row(5, 5, 0.99, -9.0)]  # data seed 5 has one start: no column
    lines = restarts_table(rows).splitlines()
    assert lines[0] == "| start | set 1 | set 2 |"
    assert lines[4] == "| 2 | 0.950 / -1.500 |  |"
    assert lines[5] == "| kept by the loss | 0.900 (start 1) | 0.700 (start 0) |"
    assert lines[6] == "| best | 0.950 | 0.700 |"
    assert restarts_table([row(0, 0, 0.5, -1.0), row(1, 1, 0.5, -1.0)]) is None
    # with scores along the way: the best start (cos 0.95, start 2) ranks 2nd by loss_now, 1st by loss_1
    for seed, now, one in ((0, -1.0, -1.0), (1, -3.0, -2.0), (2, -2.0, -4.0)):
        rows[seed]["scores"] = [{"step": 5, "tau": 0.25, "loss_now": now, "loss_1": one}]
    lines = restarts_table(rows).splitlines()
    assert lines[7] == "| rank of the best at step 5 (τ 0.25) | 2 / 1 |  |"


def test_reproduce_kernels_import_this_checkout(tmp_path, monkeypatch):
    """A kernel started by scripts/reproduce.py imports symlens from the checkout the script is in,
    even when another checkout comes first on the path (an editable install of a second worktree)."""
    import os

    other = tmp_path / "other"
    (other / "symlens").mkdir(parents=True)
    (other / "symlens" / "__init__.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(other))
    mod = _script("reproduce", "scripts")
    mod.use_this_checkout()
    out = subprocess.run([sys.executable, "-c", "import symlens; print(symlens.__file__)"], cwd=tmp_path,
                         env=dict(os.environ), capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == str(repo_root() / "symlens" / "__init__.py")
    assert os.environ["PYTHONPATH"].split(os.pathsep) == [str(repo_root()), str(other)]


def test_best_of_target_keeps_the_lowest_held_out_loss(tmp_path):
    # per-dimension smoke sizes at N = 7 (batch 217); two candidates, so one is kept
    _run("benchmarks/best_of_target.py", "--profile", "smoke", "--dim", "7", "--seeds", "0", "--k", "2",
         "--set", "epochs=1", "steps_per_epoch=2", "--out", str(tmp_path), "--checkpoints")
    rec = json.loads((tmp_path / "seed0.json").read_text())
    # each candidate's saved state is the fit it ended as: its generator is the saved one
    z = np.load(tmp_path / "seed0-candidates.npz")
    for i, seed in enumerate([0, 1]):
        state = torch.load(tmp_path / "seed0-checkpoints" / f"seed{seed}" / "checkpoint.pt", weights_only=False)
        assert state["seed"] == seed and state["step"] == 2
        trainer = Trainer(LensConfig.from_dict(state["config"]), 7, seed=seed)
        trainer.load_state_dict(state)
        np.testing.assert_allclose(trainer.model.generator.big().detach().numpy(), z["generator_full"][i], atol=1e-6)
    assert rec["config"]["batch_size"] == 31 * 7 and [c["seed"] for c in rec["candidates"]] == [0, 1]
    kept = min(rec["candidates"], key=lambda c: c["held_out_loss"])
    assert rec["kept_seed"] == kept["seed"] and kept["chosen"]
    assert rec["cos"] == pytest.approx(kept["cosine_similarity"])
    assert "base seeds meet the target" in (tmp_path / "table.md").read_text()


def test_polish_continues_saved_candidates_at_tau_one(tmp_path):
    study = tmp_path / "study"
    _run("benchmarks/best_of_target.py", "--profile", "smoke", "--dim", "7", "--dataset", "gaussian-dst",
         "--seeds", "0", "--k", "2", "--out", str(study / "gaussian-dst"), "--checkpoints",
         "--set", "epochs=1", "steps_per_epoch=4", "n_batches=10", "hidden=8", "log_every=2")
    _run("benchmarks/polish.py", str(study), "--seeds", "0", "--steps", "4", "--lr-scale", "1", "3",
         "--out", str(tmp_path / "polish"))
    runs = [json.loads(line) for line in (tmp_path / "polish" / "runs.jsonl").read_text().splitlines()]
    assert sorted((r["seed"], r["lr_scale"]) for r in runs) == [(0, 1.0), (0, 3.0), (1, 1.0), (1, 3.0)]
    rec = json.loads((study / "gaussian-dst" / "seed0.json").read_text())
    for r in runs:
        cand = next(c for c in rec["candidates"] if c["seed"] == r["seed"])
        assert r["before"]["cos"] == pytest.approx(cand["cosine_similarity"], abs=1e-9)
        assert r["schedule_steps"] == 4 and [s for s, _ in r["curve"]] == [0, 2, 4]
        assert r["after"]["cos"] == pytest.approx(r["curve"][-1][1], abs=1e-12)
    # the two scales start from the same state and end apart
    a = {r["lr_scale"]: r["after"]["cos"] for r in runs if r["seed"] == 0}
    assert a[1.0] != a[3.0]
    assert "| gaussian-dst | 0 / 1 | 3 |" in (tmp_path / "polish" / "table.md").read_text()
    assert (tmp_path / "polish" / "polish.png").stat().st_size > 0


def test_select_saved_replays_the_choice_from_checkpoints(tmp_path):
    for seed in ("0", "1"):
        _run("benchmarks/time_to_accuracy.py", "--profile", "smoke", "--device", "cpu", "--dim", "7",
             "--dataset", "gaussian-permuted", "--seed", seed, "--out", str(tmp_path / "gaussian-permuted" / f"seed{seed}"),
             *TINY, "batch_size=28", "padding=7")
    _run("benchmarks/select_saved.py", str(tmp_path), "--dim", "7", "--k", "2")
    text = (tmp_path / "selection.md").read_text()
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| gaussian-permuted |")]
    losses = {int(r[1]): float(r[4]) for r in rows[:2]}
    kept = int(rows[2][2])  # the window 0–1
    assert kept == min(losses, key=losses.get)


def test_select_saved_windows_need_consecutive_seeds():
    mod = _script("select_saved")
    rows = [{"dataset": "d", "seed": s, "cos": c, "held_out_loss": l}
            for s, c, l in [(0, 0.5, -1.0), (1, 0.9, -2.0), (2, 0.7, -3.0), (4, 0.99, -9.0)]]
    win = mod.windows(rows, 2)
    assert [(w["seeds"], w["kept seed"], w["best cos"]) for w in win] == [("0–1", 1, 0.9), ("1–2", 2, 0.9)]


def test_time_to_accuracy_names_a_setting_without_a_value():
    out = subprocess.run([sys.executable, "benchmarks/time_to_accuracy.py", "--set", "epochs"],
                         cwd=repo_root(), capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "expected KEY=VALUE, got ['epochs']" in out.stderr


def test_targets_table_sets_a_baseline_column_beside_each_run(tmp_path):
    # two hand-made N = 5 runs of the same dataset and seed: the true shift (cos 1) under
    # "runs" and the identity (cos 0) under "base"; the table must pair them by dataset and seed
    import numpy as np

    from symlens.config import get_profile
    from symlens.data import shift_matrix

    N = 5
    T = shift_matrix(N)
    for folder, G, cos in (("runs", T, 1.0), ("base", np.eye(N), 0.0)):
        d = tmp_path / folder / "gaussian-translation" / "seed1"
        d.mkdir(parents=True)
        cfg = get_profile("cpu", recipe="symlens", tau_dwell=3.0, tau_dwell_band=(0.0, 0.2), alpha=3.0,
                          polish_steps=300).to_dict()
        d.joinpath("metrics.json").write_text(json.dumps({
            "config": json.loads(json.dumps(cfg)), "metrics": {"cosine_similarity": cos, "steps": 10},
            "provenance": {"dataset": "gaussian-translation", "seed": 1, "git": "abc", "hardware": "x", "torch": "t",
                           "train_time_s": 3.0}}))
        np.savez(d / "arrays.npz", generator=G, true_generator=T, transform=np.eye(N),
                 history_cosine_similarity=np.array([0.5, cos]), history_elapsed_s=np.array([1.0, 2.0]))
    tt = _script("targets_table")
    tt.main(["--runs", str(tmp_path / "runs"), "--faithful", str(tmp_path / "none"),
             "--baseline", str(tmp_path / "base"), "--baseline-name", "defaults"])
    text = (tmp_path / "runs" / "targets.md").read_text()
    assert "| defaults cos |" in text.splitlines()[0]
    row = text.splitlines()[2]
    assert row.startswith("| gaussian-translation | 1 | 1.000 |") and "| – | 0.000 |" in row
    # the options the run changed, written once each; the default band is not listed
    assert "tau_dwell=3" in text and "tau_dwell_band=[0.0, 0.2]" in text and "centring=component" in text
    # a loss weight the run changed is listed, the unchanged ones are not
    assert "alpha=3" in text and "beta=" not in text
    # so is a polish after the schedule, and not its unchanged rate
    assert "polish_steps=300" in text and "polish_lr_scale" not in text


def test_seriation_offline_repairs_a_hand_built_walled_run(tmp_path):
    # a saved run whose generator visits the pixels of gaussian-translation (Q = I) with a
    # reversed run: one seriation must give back the true shift
    from symlens.data import true_generator
    from symlens.seriation import chain_generator

    N, P = 33, 33
    Q = np.eye(N)
    walled = list(range(10)) + list(range(20, 9, -1)) + list(range(21, N))
    G, _ = chain_generator(Q.T[walled], P)
    d = tmp_path / "gaussian-translation" / "seed0"
    d.mkdir(parents=True)
    np.savez(d / "arrays.npz", generator_full=G, generator=G[P:-P, P:-P], filter=Q[:, walled[16]],
             transform=Q, true_generator=true_generator(Q))
    (d / "metrics.json").write_text(json.dumps({"provenance": {"dataset": "gaussian-translation", "seed": 0,
                                                                "git": "abc1234"}}))
    _run("benchmarks/seriation_offline.py", "--runs", str(tmp_path), "--out", str(tmp_path / "t.md"))
    row = (tmp_path / "t.md").read_text().splitlines()[2].split(" | ")
    assert float(row[4]) < 0.7 and float(row[5]) > 0.99  # cos before, after one seriation
    assert float(row[2]) >= float(row[3]) - 1e-9  # the true order is the data's best path
    assert row[6].split()[:12] == [str(p) for p in walled[:12]]  # the lift visits the walled order


def test_wall_history_studies_only_unseriated_runs_on_their_own_clock(tmp_path):
    # five hand-made saved runs with the same N = 33 snapshots (Q = I): a plain faithful fit,
    # a seriated one (seriate_tau), one on a warped clock (tau_dwell), one cut short and one
    # at N = 7; only the plain fit is studied, and the summary counts what was left out
    from symlens.config import get_profile

    def field_generator(o):
        # G = I + skew part whose orientation field H[j+1, j] - H[j, j+1] is o
        G = np.eye(len(o) + 1)
        j = np.arange(len(o))
        G[j + 1, j] += np.asarray(o) / 2
        G[j, j + 1] -= np.asarray(o) / 2
        return G

    def save(name, N=33, cut=False, **overrides):
        cfg = get_profile("cpu", **overrides)
        steps = np.linspace(0, cfg.epochs * cfg.steps_per_epoch, 16).astype(int)
        if cut:
            steps = steps[:-1]
        walled = np.where(np.arange(N - 1) // ((N - 1) // 3) == 1, -0.5, 0.5)  # + | - | +: two walls
        fields = [np.zeros(N - 1)] + [walled] * (len(steps) - 2) + [np.ones(N - 1)]  # none left at the end
        psi = np.zeros((N, N))
        psi[:, N // 2] = 1.0
        d = tmp_path / "runs" / name / "gaussian-translation" / "seed0"
        d.mkdir(parents=True)
        np.savez(d / "arrays.npz", snapshot_generator=np.stack([field_generator(o) for o in fields]),
                 snapshot_step=steps, snapshot_group_convolution=np.stack([psi] * len(steps)), transform=np.eye(N))
        d.joinpath("metrics.json").write_text(json.dumps({
            "config": json.loads(json.dumps(cfg.to_dict())), "metrics": {"cosine_similarity": 0.5},
            "provenance": {"dataset": "gaussian-translation", "seed": 0}}))

    save("plain")
    save("seriated", seriate_tau=(0.8,))
    save("warped", tau_dwell=3.0)
    save("cut", cut=True)
    save("small", N=7)
    wh = _script("wall_history")
    wh.main(["--roots", str(tmp_path / "runs"), "--out", str(tmp_path / "out")])
    rows = (tmp_path / "out" / "runs.csv").read_text().splitlines()
    assert len(rows) == 2 and "/plain/" in rows[1]
    text = (tmp_path / "out" / "summary.md").read_text()
    assert text.startswith("1 finished N = 33 runs with snapshots (faithful 1, recipe 0)")
    assert "left out: 1 on a warped τ clock" in text and "and 1 seriated" in text
    # the plain run's two walls last until the last snapshot, where they are gone
    assert "Runs with walls at τ ≈ 0.6 that end without: 1 of 1" in text
    assert "the walls fall in 0 of 1 runs and rise in 0" in text


def test_seriation_acceptance_scores_each_rule_by_its_definition():
    sa = _script("seriation_acceptance")

    def fit(cos, gain, d_total, d_unif, changed=True):
        rec = {"step": 20, "changed": changed, "score_before": 10.0, "score_after": 10.0 * (1 + gain),
               "terms_before": {"total": -3.0, "alignment": -0.9, "uniformity": 0.2}}
        if changed:
            rec["terms_after"] = {"total": -3.0 + d_total, "alignment": -0.8, "uniformity": 0.2 + d_unif}
        return {"cos": cos, "seriations": [rec], "curve": ([10, 20, 30], [0.4, 0.5, 0.6])}

    fits = {("a", 0, 21): fit(0.90, 0.05, +1.0, -0.01),   # small gain, total up, uniformity down
            ("a", 1, 21): fit(0.30, 0.50, -1.0, +0.01),   # large gain, total down, uniformity up
            ("a", 2, 21): fit(0.70, 0.001, 0, 0, changed=False)}
    base = {("a", 0, 21): {"cos": 0.6}, ("a", 1, 21): {"cos": 0.8}, ("a", 2, 21): {"cos": 0.7}}
    rows = {r["seed"]: r for r in sa.score(fits, base)}
    assert [rows[0][k] for k in sa.RULES] == [0.90, 0.6, 0.6, 0.90, 0.90]  # score, total, alignment, uniformity, gain
    assert [rows[1][k] for k in sa.RULES] == [0.30, 0.30, 0.8, 0.8, 0.8]
    assert all(rows[2][k] == 0.70 for k in sa.RULES)  # nothing changed: every rule is the same fit
    assert rows[0]["at_once"] == (0.4, 0.6) and rows[2]["at_once"] is None
    text = sa.table(list(rows.values()))
    assert "| 21 | 3 | 0.700 (0 ≥ 0.95) | 0.633 (0 ≥ 0.95) |" in text


def test_neighbour_correlation_on_constructed_columns():
    sys.path.insert(0, str(repo_root() / "benchmarks"))
    from neighbour_correlation import lag_correlations

    x = np.random.default_rng(0).standard_normal(500)
    same = np.stack([x, x, x], axis=1)  # every pair perfectly correlated
    alternating = np.stack([x, -x, x], axis=1)  # neighbours anti-, next-neighbours correlated
    np.testing.assert_allclose(lag_correlations(same, 2), [1.0, 1.0])
    np.testing.assert_allclose(lag_correlations(alternating, 2), [-1.0, 1.0])
    with pytest.raises(ValueError, match="max_lag"):
        lag_correlations(same, 3)


def test_lab_dataset_passes_signal_overrides_and_refuses_them_for_made_up_families():
    sys.path.insert(0, str(repo_root() / "benchmarks"))
    from small_n_lab import lab_dataset

    d = lab_dataset("legendre-translation", 64, 11, seed=0, legendre_degrees=[[1, 1]])
    assert d.config.legendre_degrees == ((1, 1),)
    assert lab_dataset("legendre-haar", 64, 11, seed=0, legendre_degrees=[[1, 1]]).config.legendre_degrees == ((1, 1),)
    with pytest.raises(ValueError, match="made-up family"):
        lab_dataset("field-haar", 64, 11, seed=0, legendre_degrees=[[1, 1]])


def test_signal_statistics_on_constructed_signals():
    sys.path.insert(0, str(repo_root() / "benchmarks"))
    from signal_statistics import pixel_statistics

    rng = np.random.default_rng(0)
    # two independent pixels: one Gaussian (kurtosis 3), one sparse spike train (kurtosis 1/p for
    # a ±1 spike of probability p, minus a small correction for its mean), variances 1 and 1e-4
    g = rng.standard_normal(200_000)
    spikes = rng.choice([-1.0, 0.0, 1.0], size=200_000, p=[0.05, 0.9, 0.05])
    st = pixel_statistics(np.stack([g, 0.01 * spikes], axis=1))
    assert abs(st["kurtosis"] - (3 + 10) / 2) < 0.2
    assert abs(st["rho1"]) < 0.01
    assert st["weak"] == 1  # the spike pixel's variance is 1e-4 of the other's
    with pytest.raises(ValueError, match="n >= 3"):
        pixel_statistics(np.zeros((2, 4)))


def test_paired_runs_table_on_constructed_runs(tmp_path):
    sys.path.insert(0, str(repo_root() / "benchmarks"))
    from paired_runs import paired_table

    def save(root, ds, seed, cos):
        d = tmp_path / root / ds / f"seed{seed}"
        d.mkdir(parents=True)
        (d / "metrics.json").write_text(json.dumps({"metrics": {"cosine_similarity": cos},
                                                    "provenance": {"git": "abc", "train_time_s": 100.0}}))

    save("a", "x", 0, 0.5), save("b", "x", 0, 0.96), save("a", "x", 1, 0.8), save("b", "x", 1, 0.6)
    save("b", "y", 0, 0.9)  # no partner: left out
    text = paired_table(tmp_path / "a", tmp_path / "b")
    assert "| x | 0 | 0.500 | 0.960 | +0.460 | 100 |" in text and "| x | 1 | 0.800 | 0.600 | -0.200 |" in text
    assert "| y |" not in text
    assert "2 pairs: mean cos 0.650 → 0.780 (paired difference +0.130 ± 0.330" in text  # sd of (0.46, -0.2) / √2
    assert "≥ 0.95: 0 → 1" in text
    with pytest.raises(SystemExit, match="no \\(dataset, seed\\)"):
        paired_table(tmp_path / "a", tmp_path / "missing")


def test_lab_summary_keeps_schedule_lengths_of_one_setting_apart():
    # the same setting run at 6 000 and 12 000 steps is two arms; a setting run at one length keeps its name
    sys.path.insert(0, str(repo_root() / "benchmarks"))
    from small_n_lab import summarise

    def fit(setting, steps, seed, cos):
        return {"setting": setting, "dataset": "legendre-translation", "dim": 21, "steps": steps, "seed": seed,
                "cos": cos, "census_walls": 0, "census_defects": 1}

    rows = [fit("est4", 6000, 0, 0.4), fit("est4", 6000, 1, 0.6), fit("est4", 12000, 0, 0.9),
            fit("other", 3000, 0, 0.2)]
    by = {s["setting"]: s for s in summarise(rows)}
    assert set(by) == {"est4, 6000 steps", "est4, 12000 steps", "other"}
    assert by["est4, 6000 steps"]["fits"] == 2 and abs(by["est4, 6000 steps"]["mean cos"] - 0.5) < 1e-12
    assert by["est4, 12000 steps"]["fits"] == 1 and by["est4, 12000 steps"]["mean cos"] == 0.9


def test_steps_per_seed_rows_are_seeds_and_columns_lengths(tmp_path):
    import json

    sys.path.insert(0, str(repo_root() / "benchmarks"))
    from steps_per_seed import collect, table

    def fit(setting, steps, seed, cos, dataset="legendre-translation"):
        return {"setting": setting, "dataset": dataset, "dim": 21, "steps": steps, "seed": seed, "cos": cos,
                "census_chain": "+" * 20 + ".", "provenance": {"git": "abc1234"}}

    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("\n".join(json.dumps(f) for f in [fit("est4", 3000, 0, 0.2), fit("est4", 3000, 1, 0.4),
                                                   fit("other", 3000, 0, 0.9)]))
    b.write_text("\n".join(json.dumps(f) for f in [fit("est4", 6000, 0, 0.96), fit("est4", 6000, 1, 0.6),
                                                   fit("est4", 6000, 0, 0.1, dataset="gaussian-dst")]))
    fits = collect([f"{a}:est4", f"{b}:est4"], "legendre-translation", 21)
    assert sorted(fits) == [(0, 3000), (0, 6000), (1, 3000), (1, 6000)]
    text = table(fits)
    assert "| seed | 3000 steps | 6000 steps |" in text
    assert "| mean | 0.300 (2 fits) | 0.780 (2 fits) |" in text
    assert "| ≥ 0.95 | 0 | 1 |" in text
    with pytest.raises(SystemExit, match="saved twice"):
        collect([f"{a}:est4", f"{a}:est4"], "legendre-translation", 21)


def test_steps_per_seed_compares_n_at_one_length(tmp_path):
    import json

    sys.path.insert(0, str(repo_root() / "benchmarks"))
    from steps_per_seed import collect, table

    def fit(dim, steps, seed, cos):
        return {"setting": "est4", "dataset": "legendre-translation", "dim": dim, "steps": steps, "seed": seed,
                "cos": cos, "census_chain": "+" * (dim - 1), "provenance": {"git": "abc1234"}}

    a = tmp_path / "a.jsonl"
    a.write_text("\n".join(json.dumps(f) for f in [fit(21, 12000, 0, 0.9), fit(33, 12000, 0, 0.3),
                                                   fit(33, 12000, 1, 0.5), fit(33, 6000, 0, 0.99)]))
    fits = collect([f"{a}:est4"], "legendre-translation", steps=12000)
    assert sorted(fits) == [(0, 21), (0, 33), (1, 33)]     # the 6 000-step fit is another arm
    text = table(fits, across="N")
    assert "| seed | N = 21 | N = 33 |" in text and "| 1 | – | 0.500" in text
    assert "| mean | 0.900 (1 fits) | 0.400 (2 fits) |" in text
    with pytest.raises(SystemExit, match="exactly one"):
        collect([f"{a}:est4"], "legendre-translation", 21, steps=12000)


def test_restart_selection_recentres_the_filter_along_the_chain():
    # ground truth by hand: under the padded cyclic shift (Gᵀ e_j = e_{j+1}) a delta at window
    # pixel 1 of N = 7 sits two steps from the middle; recentring puts it at pixel 3, norm kept
    sys.path.insert(0, str(repo_root() / "benchmarks"))
    from restart_selection import recentred

    N, P = 7, 7
    M = N + 2 * P
    G = np.zeros((M, M))
    G[np.arange(M), (np.arange(M) + 1) % M] = 1.0
    psi = np.zeros(N)
    psi[1] = 2.5
    expected = np.zeros(N)
    expected[3] = 2.5
    np.testing.assert_allclose(recentred(G, psi, P), expected, atol=1e-12)
    np.testing.assert_allclose(psi[1], 2.5)  # the caller's filter is left alone


def test_best_of_saves_candidates_and_the_summary_replays_the_choice(tmp_path):
    _run("benchmarks/best_of_target.py", "--profile", "smoke", "--dim", "7", "--dataset", "gaussian-dst",
         "--seeds", "0", "--k", "2", "--out", str(tmp_path / "gaussian-dst"),
         "--set", "epochs=1", "steps_per_epoch=4", "n_batches=10", "hidden=8", "log_every=2")
    z = np.load(tmp_path / "gaussian-dst" / "seed0-candidates.npz")
    assert z["generator_full"].shape == (2, 21, 21) and z["filter"].shape == (2, 7)
    assert list(z["seeds"]) == [0, 1]
    text = _run("benchmarks/best_of_summary.py", str(tmp_path), "--rescore", "--estimator-steps", "5")
    scores = json.loads((tmp_path / "gaussian-dst" / "seed0-scores.json").read_text())
    assert len(scores["refit"]) == 2 and len(scores["recentred"]) == 2
    assert "| gaussian-dst | 0 | – |" in text  # no single fit of this profile and size to compare
    assert "kept (recentred)" in (tmp_path / "summary.md").read_text()


def test_polish_end_gains_reads_each_saved_training_log(tmp_path):
    _run("benchmarks/time_to_accuracy.py", "--profile", "smoke", "--device", "cpu", "--dim", "7",
         "--dataset", "gaussian-permuted", "--seed", "0", "--out", str(tmp_path / "gaussian-permuted" / "seed0"),
         *TINY, "batch_size=28", "padding=7")
    mod = _script("polish")
    a = load_run(tmp_path / "gaussian-permuted" / "seed0")["arrays"]
    steps, cos = a["history_step"], a["history_cosine_similarity"]
    last = int(steps[-1] - steps[0])  # from the first logged step to the end
    text = mod.end_gains(tmp_path, last=last)
    assert f"| gaussian-permuted | 0 | {cos[0]:.3f} | {cos[-1]:.3f} | {cos[-1] - cos[0]:+.3f} |" in text
    assert f"{int(cos[-1] > cos[0])} of 1 fits gained" in text


def test_early_selection_retraces_saved_candidates_in_segments(tmp_path):
    tiny = ["--set", "epochs=2", "steps_per_epoch=4", "n_batches=10", "hidden=8", "log_every=2"]
    _run("benchmarks/best_of_target.py", "--profile", "smoke", "--dim", "7", "--dataset", "gaussian-dst",
         "--seeds", "0", "--k", "2", "--out", str(tmp_path / "best" / "gaussian-dst"), *tiny)
    # the old candidates retrained to the end, in segments of 2 steps with scoring between
    _run("benchmarks/early_selection.py", "--profile", "smoke", "--dim", "7", "--dataset", "gaussian-dst",
         "--seeds", "0", "--every", "2", "--old-to", "8", "--jobs", "1", "--best-of", str(tmp_path / "best"),
         "--out", str(tmp_path / "early"), *tiny)
    saved = json.loads((tmp_path / "best" / "gaussian-dst" / "seed0.json").read_text())
    rec = json.loads((tmp_path / "early" / "gaussian-dst-seed0.json").read_text())
    assert sorted(c["seed"] for c in rec["candidates"]) == [0, 1, 2, 3]
    for c in saved["candidates"]:
        mine = next(m for m in rec["candidates"] if m["seed"] == c["seed"])
        assert [p["step"] for p in mine["points"]] == [2, 4, 6, 8]
        assert mine["points"][-1]["cos"] == pytest.approx(c["cosine_similarity"], abs=1e-9)
        assert mine["points"][-1]["loss_1"] == pytest.approx(c["held_out_loss"], abs=1e-9)
        assert mine["points"][-1]["tau"] == pytest.approx(1.0)
    mod = _script("early_selection")
    from symlens.restarts import saved_early_selection

    [(again, fin)] = saved_early_selection(tmp_path / "early", tmp_path / "best")
    assert again == rec
    # keeping all four to the end is best of four by final loss; keeping one at step 2 is the
    # lowest loss at step 2
    assert mod.replay(rec, fin, 8, 4) == min(fin, key=lambda s: fin[s]["loss"])
    first = {c["seed"]: c["points"][0]["loss_now"] for c in rec["candidates"]}
    assert mod.replay(rec, fin, 2, 1) == min(first, key=first.get)
    assert "| best of 4, oracle |" in (tmp_path / "early" / "summary.md").read_text()
    assert (tmp_path / "early" / "early_selection.png").stat().st_size > 0


def test_best_of_target_with_early_selection_records_the_dropped(tmp_path):
    out = tmp_path / "gaussian-dst"
    _run("benchmarks/best_of_target.py", "--profile", "smoke", "--dim", "7", "--dataset", "gaussian-dst",
         "--seeds", "0", "--k", "3", "--select-at", "4", "--keep", "1", "--out", str(out),
         "--set", "epochs=2", "steps_per_epoch=4", "n_batches=10", "hidden=8", "log_every=2")
    rec = json.loads((out / "seed0.json").read_text())
    assert rec["select_at"] == 4 and rec["keep"] == 1
    finished = [c for c in rec["candidates"] if c["finished"]]
    assert len(finished) == 1 and finished[0]["seed"] == rec["kept_seed"]
    # the finished one had the lowest loss at step 4
    assert finished[0]["early_loss"] == min(c["early_loss"] for c in rec["candidates"])
    assert sum("dropped" in line for line in (out / "table.md").read_text().splitlines()) == 1
    assert "the 1 lowest held-out losses at step 4 finished" in (out / "table.md").read_text()
    # the kept one's cos at the selection is saved and shown beside its final cos
    kept = finished[0]
    assert 0 <= kept["early_cosine_similarity"] <= 1
    assert f"({kept['early_cosine_similarity']:.3f}, {kept['early_loss']:+.3f} at step 4)" in (out / "table.md").read_text()


def test_entropy_weights_reads_each_arm_of_the_weight_studies(tmp_path):
    sys.path.insert(0, str(repo_root() / "benchmarks"))
    from entropy_weights import STUDIES, arms, table

    def fit(setting, overrides, dataset, seed, cos, best, defects):
        return json.dumps(dict(setting=setting, overrides=overrides, dataset=dataset, seed=seed, cos=cos,
                               best_cos=best, census_defects=defects))

    for i, study in enumerate(STUDIES):
        (tmp_path / study).mkdir()
        lines = []
        if i == 0:  # the published weights: cos 0.2 / 0.6 on the two datasets -> mean 0.4
            lines += [fit("base", {}, d, s, c, c + 0.1, 4) for d, c in (("legendre-translation", 0.2),
                                                                      ("legendre-dst", 0.6)) for s in range(4)]
        lines += [fit(f"d{i}", {"delta": 0.5 + i}, d, s, 0.5, 0.5, 2) for d in ("legendre-translation",
                                                                              "legendre-dst") for s in range(4)]
        lines.append(fit(f"d{i}", {"delta": 0.5 + i}, "legendre-dst", 4, 0.9, 0.9, 0))  # seed 4: left out
        (tmp_path / study / "runs.jsonl").write_text("\n".join(lines) + "\n")
    rows = arms(tmp_path)
    assert [a["setting"] for a in rows] == ["base", "d0", "d1", "d2", "d3"]
    base, d1 = rows[0], rows[2]
    assert base["ratio"] == pytest.approx(0.6) and base["mean"] == pytest.approx(0.4)  # 1.5 / (1.5 + 1)
    assert base["drop"] == pytest.approx(0.1) and base["defects"] == 4
    assert d1["ratio"] == pytest.approx(1.5 / 3.0) and d1["delta"] == 1.5
    assert "| base | 1.5 | 1 | 0.60 | 0.200 | 0.600 | 0.400 | 4.0 | 0.100 |" in table(rows)
    (tmp_path / STUDIES[-1] / "runs.jsonl").write_text(fit("short", {}, "legendre-dst", 0, 0.5, 0.5, 1) + "\n")
    with pytest.raises(ValueError, match="expected 4 fits per dataset"):
        arms(tmp_path)


def test_lift_sharpness_lab_mode_scores_an_exact_chain_as_sharp(tmp_path):
    # a hand-made laboratory record whose generator is the exact padded shift through the
    # pixels of gaussian-translation (Q = I) and whose filter is the middle delta: sharpness 1,
    # cos 1, all of G's weight one step; a second arm with G = I has no step at all
    from symlens.seriation import chain_generator

    N, P = 7, 7
    G_shift, _ = chain_generator(np.eye(N), P)
    psi = np.zeros(N)
    psi[N // 2] = 1.0
    path = tmp_path / "runs.jsonl"
    with path.open("w") as f:
        for setting, G in (("exact", G_shift), ("identity", np.eye(N + 2 * P))):
            f.write(json.dumps({"setting": setting, "dataset": "gaussian-translation", "seed": 0, "data_seed": 0,
                                "dim": N, "generator_full": G.tolist(), "filter": psi.tolist()}) + "\n")
    ls = _script("lift_sharpness")
    rows = ls.lab_rows([f"{path}:exact", f"{path}:identity"])
    exact, ident = rows
    assert exact["arm"] == "exact" and exact["sharpness"] == pytest.approx(1.0)
    assert exact["cos"] == pytest.approx(1.0) and exact["step1"] == pytest.approx(1.0)
    assert exact["uneven"] == pytest.approx(0.0, abs=1e-9) and exact["folds"] == 0
    assert ident["step1"] == pytest.approx(0.0) and ident["cos"] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="no fits of setting 'missing'"):
        ls.lab_rows([f"{path}:missing"])


def test_chain_pace_reads_steps_from_the_rows_centroids():
    ls = _script("lift_sharpness")
    eye = np.eye(7)
    for rows in (eye, eye[::-1]):  # an exact shift, either way round
        assert ls.chain_pace(rows) == {"uneven": pytest.approx(0.0, abs=1e-12), "folds": 0}
    # pixels 0 1 2 4 3 5 6: steps 1 1 2 -1 2 1, so |step - 1| sums to 4 over 6 steps, one fold
    assert ls.chain_pace(eye[[0, 1, 2, 4, 3, 5, 6]]) == {"uneven": pytest.approx(4 / 6), "folds": 1}
    # a row halfway between pixels 1 and 2 sits at 1.5: steps 1 0.5 0.5 1 (rows 0, 1, 1.5, 2, 3)
    half = np.array([eye[0], eye[1], (eye[1] + eye[2]) / np.sqrt(2), eye[2], eye[3]])
    assert ls.chain_pace(half) == {"uneven": pytest.approx(0.25), "folds": 0}


def test_best_of_target_with_branches_records_every_continuation(tmp_path):
    out = tmp_path / "gaussian-dst"
    _run("benchmarks/best_of_target.py", "--profile", "smoke", "--dim", "7", "--dataset", "gaussian-dst",
         "--seeds", "0", "--k", "2", "--select-at", "4", "--keep", "1", "--branches", "2", "--out", str(out),
         "--set", "epochs=2", "steps_per_epoch=4", "n_batches=10", "hidden=8", "log_every=2")
    rec = json.loads((out / "seed0.json").read_text())
    assert rec["branches"] == 2
    kept = next(c for c in rec["candidates"] if c["finished"])
    ends = kept["branches"]
    assert [b["branch_seed"] for b in ends] == [0, 1]
    assert kept["held_out_loss"] == min(b["held_out_loss"] for b in ends)
    assert rec["cos"] == pytest.approx(min(ends, key=lambda b: b["held_out_loss"])["cosine_similarity"], abs=1e-9)
    text = (out / "table.md").read_text()
    assert "each in 2 continuations" in text
    assert " → " + ", ".join(f"{b['cosine_similarity']:.3f} ({b['held_out_loss']:+.3f})" for b in ends) in text
