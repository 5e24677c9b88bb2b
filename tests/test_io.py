"""symlens.io: run directories round-trip with plain JSON and provenance."""

import json
import platform

import numpy as np
import pytest
import torch

from symlens.config import get_profile
import subprocess

import symlens.io as sio
from symlens.io import load_run, processor_model, provenance, repo_root, save_run, to_plain


def test_to_plain_converts_numpy_and_torch():
    obj = {"a": np.float32(1.5), "b": np.int64(3), "c": np.arange(3), "d": (np.bool_(True), torch.tensor(2.5)),
           1: [np.float64(0.25)]}
    out = to_plain(obj)
    assert out == {"a": 1.5, "b": 3, "c": [0, 1, 2], "d": [True, 2.5], "1": [0.25]}
    assert type(out["a"]) is float and type(out["b"]) is int and type(out["d"][0]) is bool
    json.dumps(out)  # serialisable


def test_save_load_round_trip(tmp_path):
    cfg = get_profile("smoke", epochs=3)
    arrays = {"generator": np.random.default_rng(0).normal(size=(5, 5)), "history_tau": np.linspace(0, 1, 4),
              "steps": np.arange(4, dtype=np.int32)}
    metrics = {"cosine_similarity": np.float32(0.75), "steps": np.int64(12), "flag": np.bool_(False)}
    prov = provenance("smoke", 3, "cpu", wall_time_s=np.float64(1.5))
    d = save_run(tmp_path / "run", metrics, arrays, config=cfg, provenance=prov)
    assert (d / "metrics.json").exists() and (d / "arrays.npz").exists()
    raw = json.loads((d / "metrics.json").read_text())
    assert type(raw["metrics"]["cosine_similarity"]) is float and raw["metrics"]["cosine_similarity"] == 0.75
    assert type(raw["metrics"]["steps"]) is int
    back = load_run(d)
    assert back["metrics"] == {"cosine_similarity": 0.75, "steps": 12, "flag": False}
    assert back["config"]["epochs"] == 3 and back["config"]["loss"]["alpha"] == cfg.loss.alpha
    assert back["provenance"]["seed"] == 3
    assert set(back["arrays"]) == set(arrays)
    for k, v in arrays.items():
        np.testing.assert_array_equal(back["arrays"][k], v)
        assert back["arrays"][k].dtype == v.dtype


def test_save_without_arrays_and_missing_run(tmp_path):
    save_run(tmp_path, {"x": 1.0})
    assert not (tmp_path / "arrays.npz").exists()
    assert load_run(tmp_path)["arrays"] == {}
    with pytest.raises(FileNotFoundError, match="metrics.json"):
        load_run(tmp_path / "nothing")


def test_provenance_fields():
    p = provenance("cpu", 7, torch.device("cpu"), wall_time_s=2.0, dataset="gaussian-dst")
    for key in ("profile", "seed", "device", "hardware", "processor", "torch", "numpy", "python", "git", "date",
                "wall_time_s"):
        assert key in p, key
    assert (p["profile"], p["seed"], p["device"], p["dataset"], p["wall_time_s"]) == ("cpu", 7, "cpu", "gaussian-dst", 2.0)
    assert p["torch"] == torch.__version__ and p["numpy"] == np.__version__
    assert isinstance(p["git"], str) and p["git"]
    json.dumps(p)


def test_processor_model_reads_the_model_name_of_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9654 96-Core Processor\n"
                    "processor\t: 1\nmodel name\t: AMD EPYC 9654 96-Core Processor\n")
    assert processor_model(str(info)) == "AMD EPYC 9654 96-Core Processor"
    assert processor_model(str(tmp_path / "missing")) == (platform.processor() or "unknown")


def test_repo_root_holds_pyproject():
    assert (repo_root() / "pyproject.toml").exists()
    assert (repo_root() / "symlens" / "io.py").exists()


def test_git_sha_is_dirty_for_changed_code_not_for_rewritten_results(tmp_path, monkeypatch):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "metrics.json").write_text("{}")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    monkeypatch.setattr(sio, "repo_root", lambda: tmp_path)
    monkeypatch.delenv("SYMLENS_GIT_SHA", raising=False)
    assert not sio.git_sha().endswith("-dirty")
    (tmp_path / "results" / "metrics.json").write_text('{"cos": 1}')  # a run rewrote its result
    assert not sio.git_sha().endswith("-dirty")
    (tmp_path / "code.py").write_text("x = 2\n")
    assert sio.git_sha().endswith("-dirty")
