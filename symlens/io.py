"""Saving and loading runs with their provenance.

A run directory holds ``metrics.json`` (plain floats, the config, and provenance: profile,
seed, device, versions, git commit, wall time, date) and ``arrays.npz`` (matrices,
histories, snapshots).  Every number the book shows is read back from such a directory.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
from pathlib import Path

import numpy as np

__all__ = ["provenance", "save_run", "load_run", "to_plain", "repo_root", "git_sha"]


def repo_root() -> Path:
    """The repository root (the folder holding ``pyproject.toml``) of this checkout."""
    here = Path(__file__).resolve().parent
    for p in (here, *here.parents):
        if (p / "pyproject.toml").exists():
            return p
    return here.parent


#: Tracked paths that hold outputs, not code: a run that rewrites its own committed result
#: (re-running a saved experiment into its folder) must not mark its code as changed.
OUTPUT_PATHS = ("results", "book/_generated")


def git_sha() -> str:
    """The checkout's commit (``-dirty`` with uncommitted changes outside
    :data:`OUTPUT_PATHS`); ``SYMLENS_GIT_SHA`` overrides it where the tree travels without its
    .git (e.g. to a GPU machine)."""
    if os.environ.get("SYMLENS_GIT_SHA"):
        return os.environ["SYMLENS_GIT_SHA"]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=repo_root(), capture_output=True, text=True, timeout=5
        )
        sha = out.stdout.strip() or "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
             *(f":(exclude){p}" for p in OUTPUT_PATHS)],
            cwd=repo_root(), capture_output=True, text=True, timeout=5,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def processor_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The processor's model name (``model name`` of /proc/cpuinfo where there is one, else
    ``platform.processor()``, else "unknown").  Runs on different processors may round
    differently (BLAS kernels), and a chaotic fit then follows another path."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def provenance(profile: str, seed: int, device, wall_time_s: float | None = None, **extra) -> dict:
    """Where a result came from: profile, seed, device, hardware, versions, git commit, date."""
    import torch

    dev = str(device)
    if dev.startswith("cuda") and torch.cuda.is_available():
        hardware = torch.cuda.get_device_name(torch.device(dev))
    else:
        n = torch.get_num_threads()
        hardware = f"{platform.processor() or platform.machine()}, {n} thread{'' if n == 1 else 's'}"
    return to_plain(
        {
            "profile": profile,
            "seed": seed,
            "device": dev,
            "hardware": hardware,
            "processor": processor_model(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "git": git_sha(),
            "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "wall_time_s": wall_time_s,
            **extra,
        }
    )


def to_plain(obj):
    """Recursively turn NumPy/torch scalars and arrays into plain Python for JSON."""
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if hasattr(obj, "item") and getattr(obj, "ndim", None) == 0:
        return obj.item()
    return obj


def save_run(directory, metrics: dict, arrays: dict | None = None, config=None, provenance: dict | None = None) -> Path:
    """Write ``metrics.json`` (+ ``config``, ``provenance``) and ``arrays.npz`` into directory."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    if hasattr(config, "to_dict"):
        config = config.to_dict()
    payload = {"metrics": to_plain(metrics), "config": to_plain(config), "provenance": to_plain(provenance)}
    (d / "metrics.json").write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    if arrays:
        np.savez_compressed(d / "arrays.npz", **{k: np.asarray(v) for k, v in arrays.items()})
    return d


def load_run(directory) -> dict:
    """Read a run back: ``{"metrics", "config", "provenance", "arrays"}``."""
    d = Path(directory)
    path = d / "metrics.json"
    if not path.exists():
        raise FileNotFoundError(f"no saved run at {d} (missing metrics.json)")
    out = json.loads(path.read_text())
    arr = d / "arrays.npz"
    out["arrays"] = dict(np.load(arr)) if arr.exists() else {}
    return out
