"""One experiment = one dataset, one profile, one seed: fit, score, save with provenance.

Shared by the command line (``python -m symlens train``) and the notebooks, so every saved
result is produced by the same code path.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .batched import BatchedTrainer
from .config import STUDIES, StudyConfig, get_profile
from .data import Dataset, dataset_config, make_dataset, resample
from .io import git_sha, provenance, save_run
from .lens import SymmetryLens
from .metrics import (
    equivariance_error,
    generator_cosine_similarity,
    generator_rmse,
    group_convolution_alignment,
    signal_recovery,
)

__all__ = ["run_experiment", "run_many", "score", "lens_arrays", "held_out_dataset", "EVAL_SEED_OFFSET"]

#: Held-out evaluation samples are drawn with data seed ``EVAL_SEED_OFFSET + seed``, which no
#: training set uses (training sets use the run seed).
EVAL_SEED_OFFSET = 1_000_003


def score(lens: SymmetryLens, dataset, n_eval: int = 4096) -> dict:
    """Metrics of a fitted lens against a dataset's known truth (spec §5, App. B, E).

    The representation metrics use the first ``n_eval`` samples of ``dataset``: pass
    held-out samples (see ``EVAL_SEED_OFFSET``), not the training set.
    """
    G, K = lens.generator_, lens.group_convolution_matrix_
    Xe, Se = dataset.X[:n_eval], dataset.signals[:n_eval]
    rec = signal_recovery(lens.transform(Xe), Se)
    align = group_convolution_alignment(K, dataset.transform)
    return {
        "cosine_similarity": generator_cosine_similarity(G, dataset.generator),
        "rmse": generator_rmse(G, dataset.generator),
        "group_convolution_cosine": align["cosine"],
        "group_convolution_shift": align["shift"],
        "signal_shift": rec["shift"],
        "equivariance_error": equivariance_error(K, G, Xe, margin=2),
        "signal_correlation": rec["correlation"],
        "signal_reflected": rec["reflected"],
        "steps": lens.n_steps_,
    }


def lens_arrays(lens: SymmetryLens, data: Dataset) -> dict:
    """The arrays a saved run holds: learned and true matrices, the history as columns
    (``history_<key>``) and the training snapshots (``snapshot_*``)."""
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
    return arrays


def held_out_dataset(data: Dataset | str, n_samples: int, seed: int) -> Dataset:
    """Fresh samples of the same data model and transform as ``data`` (a Dataset or a
    dataset name), drawn with data seed ``EVAL_SEED_OFFSET + seed``, which no training set
    uses."""
    if isinstance(data, str):
        return make_dataset(data, n_samples, seed=EVAL_SEED_OFFSET + int(seed))
    return resample(data, n_samples, EVAL_SEED_OFFSET + int(seed))


def run_experiment(
    dataset: str | Dataset,
    profile: str = "smoke",
    seed: int = 0,
    out: str | Path | None = None,
    device: str = "auto",
    resume: bool = False,
    progress: bool = True,
    data_seed: int | None = None,
    time_limit_s: float | None = None,
    **overrides,
) -> dict:
    """Fit ``dataset`` with ``profile`` and ``seed``; save metrics/arrays/checkpoint to ``out``.

    ``dataset`` is a name of :data:`symlens.data.DATASET_NAMES` (the training set then has
    ``n_batches * batch_size`` samples drawn with ``data_seed``, default ``seed``) or a
    ready :class:`~symlens.data.Dataset` (e.g. one made with a custom ``transform``).
    ``time_limit_s`` stops training after that many seconds (the run is saved as it
    stands).  Metrics are measured on held-out samples.  Returns ``{"metrics", "lens", "dataset",
    "provenance"}``.
    """
    cfg = get_profile(profile, **overrides)
    git = git_sha()  # the code that trains, not the checkout's state when the run ends
    if isinstance(dataset, Dataset):
        data = dataset
    else:
        data = make_dataset(dataset, cfg.for_dim(dataset_config(dataset).dim).training_samples,
                            seed=seed if data_seed is None else data_seed)
    ckpt = None if out is None else Path(out) / "checkpoint"
    lens = SymmetryLens(cfg, seed=seed, device=device, checkpoint_dir=ckpt, progress=progress)
    lens.profile = profile
    t0 = time.perf_counter()
    lens.fit(data.X, true_generator=data.generator, resume=resume, time_limit_s=time_limit_s)
    return _score_and_save(lens, data, cfg, profile, seed, out, time.perf_counter() - t0, git=git)


def _score_and_save(lens, data, cfg, profile, seed, out, wall, **extra) -> dict:
    n_eval = STUDIES.get(profile, StudyConfig()).n_eval
    metrics = score(lens, held_out_dataset(data, n_eval, seed))
    if lens.trainer_.seriations:  # when and how each seriation changed the chain (seriate_tau)
        extra["seriations"] = [{k: v for k, v in rec.items() if k != "order"} for rec in lens.trainer_.seriations]
    if lens.trainer_.end_snap is not None:  # whether the finished chain was snapped (snap_end)
        extra["end_snap"] = lens.trainer_.end_snap
    prov = provenance(profile, seed, lens.device, wall_time_s=wall, dataset=data.name,
                      train_time_s=lens.trainer_.elapsed, variant=cfg.loss.variant, **extra)
    if out is not None:
        save_run(out, metrics, lens_arrays(lens, data), config=lens.trainer_.config, provenance=prov)
    return {"metrics": metrics, "lens": lens, "dataset": data, "provenance": prov}


def run_many(
    runs,
    profile: str = "smoke",
    out: str | Path | None = None,
    device: str = "auto",
    progress: bool = True,
    time_limit_s: float | None = None,
    **overrides,
) -> list[dict]:
    """Fit several (dataset name, seed) pairs together with one
    :class:`~symlens.batched.BatchedTrainer`; score and save each as :func:`run_experiment`
    would (``out/<dataset>/seed<k>/``, provenance records ``batched_runs``).

    Each run gets the training set and streams that ``run_experiment(dataset, profile,
    seed)`` would use, so a batched run and a single run of the same pair are the same fit
    (up to floating-point summation order).  Returns one result dict per pair, in order.
    """
    runs = [(str(d), int(k)) for d, k in runs]
    if len(set(runs)) != len(runs):
        raise ValueError(f"duplicate (dataset, seed) pairs in {runs}")
    cfg = get_profile(profile, **overrides)
    git = git_sha()
    datas = [make_dataset(d, cfg.for_dim(dataset_config(d).dim).training_samples, seed=k) for d, k in runs]
    dims = {d.X.shape[1] for d in datas}
    if len(dims) != 1:
        raise ValueError(f"batched runs need one dimension N, got {sorted(dims)}")
    bt = BatchedTrainer(cfg, dims.pop(), [k for _, k in runs], device=device)
    t0 = time.perf_counter()
    bt.fit([d.X for d in datas], [d.generator for d in datas], progress=progress, time_limit_s=time_limit_s)
    wall = time.perf_counter() - t0
    results = []
    for (name, k), data, tr in zip(runs, datas, bt.trainers):
        lens = SymmetryLens.from_trainer(tr, data.X, profile)
        run_out = None if out is None else Path(out) / name / f"seed{k}"
        results.append(_score_and_save(lens, data, cfg, profile, k, run_out, wall, git=git, batched_runs=len(runs)))
    return results
