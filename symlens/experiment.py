"""One experiment = one dataset, one profile, one seed: fit, score, save with provenance.

Shared by the command line (``python -m symlens train``) and the notebooks, so every saved
result is produced by the same code path.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .config import get_profile
from .data import make_dataset
from .io import provenance, save_run
from .lens import SymmetryLens
from .metrics import (
    equivariance_error,
    generator_cosine_similarity,
    generator_rmse,
    group_convolution_cosine_similarity,
    signal_recovery,
)

__all__ = ["run_experiment", "score"]


def score(lens: SymmetryLens, dataset, n_eval: int = 4096) -> dict:
    """Metrics of a fitted lens against a dataset's known truth (spec §5, App. B, E)."""
    G, K = lens.generator_, lens.group_convolution_matrix_
    Xe, Se = dataset.X[:n_eval], dataset.signals[:n_eval]
    rec = signal_recovery(lens.transform(Xe), Se)
    return {
        "cosine_similarity": generator_cosine_similarity(G, dataset.generator),
        "rmse": generator_rmse(G, dataset.generator),
        "group_convolution_cosine": group_convolution_cosine_similarity(K, dataset.transform),
        "equivariance_error": equivariance_error(K, G, Xe, margin=2),
        "signal_correlation": rec["correlation"],
        "signal_reflected": rec["reflected"],
        "steps": lens.n_steps_,
    }


def run_experiment(
    dataset: str,
    profile: str = "smoke",
    seed: int = 0,
    out: str | Path | None = None,
    device: str = "auto",
    resume: bool = False,
    progress: bool = True,
    data_seed: int | None = None,
    **overrides,
) -> dict:
    """Fit ``dataset`` with ``profile`` and ``seed``; save metrics/arrays/checkpoint to ``out``.

    The training set has ``n_batches * batch_size`` samples drawn with ``data_seed``
    (default: ``seed``).  Returns ``{"metrics", "lens", "dataset", "provenance"}``.
    """
    cfg = get_profile(profile, **overrides)
    data = make_dataset(dataset, cfg.n_batches * cfg.batch_size, seed=seed if data_seed is None else data_seed)
    ckpt = None if out is None else Path(out) / "checkpoint"
    lens = SymmetryLens(cfg, seed=seed, device=device, checkpoint_dir=ckpt, progress=progress)
    lens.profile = profile
    t0 = time.perf_counter()
    lens.fit(data.X, true_generator=data.generator, resume=resume)
    wall = time.perf_counter() - t0
    metrics = score(lens, data)
    prov = provenance(profile, seed, lens.device, wall_time_s=wall, dataset=dataset,
                      train_time_s=lens.trainer_.elapsed, variant=cfg.loss.variant)
    if out is not None:
        hist = lens.history_
        arrays = {
            "generator": lens.generator_,
            "generator_full": lens.generator_full_,
            "filter": lens.filter_,
            "group_convolution": lens.group_convolution_matrix_,
            "true_generator": data.generator,
            "transform": data.transform,
            **{f"history_{k}": np.array([h.get(k, np.nan) for h in hist]) for k in hist[0]},
        }
        snaps = lens.snapshots_
        if snaps["step"]:
            arrays.update(
                snapshot_step=np.array(snaps["step"]),
                snapshot_generator=np.stack(snaps["generator"]),
                snapshot_group_convolution=np.stack(snaps["group_convolution"]),
            )
        save_run(out, metrics, arrays, config=cfg, provenance=prov)
    return {"metrics": metrics, "lens": lens, "dataset": data, "provenance": prov}
