"""symlens.cli: ``python -m symlens train`` end to end with a shrunk smoke profile."""

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from symlens import config
from symlens.cli import main
from symlens.io import load_run


@pytest.fixture
def shrunk_smoke(monkeypatch):
    small = replace(config.PROFILES["smoke"], batch_size=33 * 2, n_batches=2, steps_per_epoch=3, hidden=8,
                    log_every=1, checkpoint_every=2, snapshot_every=0)
    monkeypatch.setitem(config.PROFILES, "smoke", small)
    return small


def test_train_then_resume(tmp_path, shrunk_smoke, capsys):
    out = tmp_path / "run"
    argv = ["train", "--dataset", "gaussian-translation", "--profile", "smoke", "--seed", "0",
            "--out", str(out), "--device", "cpu", "--epochs", "1", "--no-progress"]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    for name in ("metrics.json", "arrays.npz", "checkpoint/checkpoint.pt"):
        assert (out / name).exists(), name
    first = load_run(out)
    assert first["metrics"] == printed and printed["steps"] == 3
    assert first["config"]["epochs"] == 1 and first["config"]["batch_size"] == 66
    assert first["provenance"]["profile"] == "smoke" and first["provenance"]["seed"] == 0

    # --resume restores the finished run: no further steps, identical results
    assert main(argv + ["--resume"]) == 0
    again = load_run(out)
    assert again["metrics"] == first["metrics"]
    np.testing.assert_array_equal(again["arrays"]["generator"], first["arrays"]["generator"])

    # resuming under a different configuration is refused, naming what differs
    with pytest.raises(ValueError, match="config"):
        main(argv[:-3] + ["--epochs", "2", "--no-progress", "--resume"])


def test_variant_flag(tmp_path, shrunk_smoke, capsys):
    out = tmp_path / "head"
    assert main(["train", "--dataset", "legendre-dst", "--out", str(out), "--device", "cpu", "--epochs", "1",
                 "--variant", "head", "--no-progress"]) == 0
    cfg = load_run(out)["config"]
    assert cfg["loss"]["variant"] == "head" and cfg["loss"]["gain"] == 50.0 and cfg["loss"]["uniformity_scale"] == 0.5


def test_bad_arguments_exit_nonzero(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--dataset", "gaussian-rotation", "--out", "x"])
    assert e.value.code != 0
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["train", "--dataset", "gaussian-dst", "--profile", "huge", "--out", "x"])
    assert e.value.code != 0
    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code != 0


def test_module_entry_point_unknown_dataset(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "symlens", "train", "--dataset", "nope", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "nope" in proc.stderr and "invalid choice" in proc.stderr
    assert not any(tmp_path.iterdir())  # nothing was written
