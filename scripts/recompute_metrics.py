"""Recompute the representation scores of every saved run with the current metrics, without
retraining anything.

The group-convolution cosine and the signal recovery allow, since issue 9, a shift of the
output index besides sign and reflection (:mod:`symlens.metrics`).  This script rewrites, in
each saved run's ``metrics.json`` (``results/**/metrics.json`` with an ``arrays.npz`` holding
``group_convolution`` and ``transform``):

- ``group_convolution_cosine`` (shift allowed) with ``group_convolution_shift``,
  ``group_convolution_reflected``, ``group_convolution_sign`` and
  ``group_convolution_cosine_unshifted`` (sign and reflection only, the former score);
- ``signal_correlation`` (shift allowed) with ``signal_shift``, ``signal_reflected`` and
  ``signal_correlation_unshifted`` (same centring, no shift) and
  ``signal_correlation_former`` (the score as first saved), on the run's held-out samples (data seed
  ``EVAL_SEED_OFFSET + seed``, the first 4 096, as :func:`symlens.experiment.score` uses).
  The held-out set is rebuilt from the dataset name, the saved transform and the dimension;
  it is used only if the score the run was saved with (the Pearson correlation over all
  entries with ±s and ±reversed s, recomputed by :func:`_former_signal_score`) comes out
  the same to 1e-4, otherwise the signal fields are left as they are and the run is listed
  as skipped;

and, in each notebook summary ``results/<profile>/03_accuracy/metrics.json``, the per-run
entries' ``group_convolution_cosine`` (and shift) and ``signal_correlation_train``.  Every
rewritten file records ``metrics_recomputed``: the script, the last commit of
``symlens/metrics.py`` and whether the checkout differed from it.  Only committed files of
``results/`` are read and rewritten.
Nothing else in the files changes.

    python scripts/recompute_metrics.py            # all of results/
    python scripts/recompute_metrics.py --check    # only report what would change
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import numpy as np

from symlens import metrics
from symlens.data import DATASET_NAMES, make_dataset
from symlens.experiment import EVAL_SEED_OFFSET
from symlens.io import repo_root

N_EVAL = 4096


def _metrics_stamp(root: Path) -> dict:
    """Which code computed the new fields: the last commit of symlens/metrics.py and whether
    the checkout's copy differs from it."""
    def git(*a):
        return subprocess.run(["git", *a], cwd=root, capture_output=True, text=True).stdout.strip()
    return {"by": "scripts/recompute_metrics.py",
            "metrics_commit": git("log", "-1", "--format=%h", "--", "symlens/metrics.py"),
            "metrics_modified": bool(git("status", "--porcelain", "--", "symlens/metrics.py", "scripts/recompute_metrics.py"))}


def _saved_files(root: Path, pattern: str) -> list[Path]:
    """Committed files of results/ matching ``pattern`` (runs that other work is writing right
    now, not yet committed, are left alone)."""
    out = subprocess.run(["git", "ls-files", "--", f"results/{pattern}"], cwd=root, capture_output=True,
                         text=True, check=True).stdout.split()
    return sorted(root / p for p in out)


def _held_out(dataset: str, seed: int, Q: np.ndarray):
    """The held-out samples of a run, rebuilt from its dataset name and saved transform."""
    N = Q.shape[0]
    name = dataset if dataset in DATASET_NAMES else f"{dataset.split('-')[0]}-translation"
    if name not in DATASET_NAMES:
        return None
    try:
        data = make_dataset(name, N_EVAL, dim=N, seed=EVAL_SEED_OFFSET + int(seed))
        if not np.allclose(data.transform, Q, atol=1e-6):
            data = make_dataset(name, N_EVAL, dim=N, seed=EVAL_SEED_OFFSET + int(seed), transform=Q)
    except ValueError:
        return None
    return data


def _training_set(dataset: str, n: int, seed: int, Q: np.ndarray):
    """A run's training set (data seed = the run seed), rebuilt like :func:`_held_out`."""
    if n <= 0:
        return None
    name = dataset if dataset in DATASET_NAMES else f"{dataset.split('-')[0]}-translation"
    if name not in DATASET_NAMES:
        return None
    try:
        return make_dataset(name, n, dim=Q.shape[0], seed=int(seed), transform=Q)
    except ValueError:
        return None


def _former_signal_score(Y, S) -> float:
    """The signal score as saved before shifts were allowed: max |Pearson(Y, ±T)| over all
    entries, T = S or S reversed.  Used only to check that the rebuilt held-out set is the
    one the run was scored on."""
    return max(abs(np.corrcoef(Y.ravel(), T.ravel())[0, 1]) for T in (S, S[:, ::-1]))


def recompute_run(path: Path, stamp: dict) -> dict | None:
    """New metric fields of one saved run (None if it is not a single run)."""
    saved = json.loads(path.read_text())
    m, prov = saved.get("metrics") or {}, saved.get("provenance") or {}
    npz = path.parent / "arrays.npz"
    if "group_convolution_cosine" not in m or not npz.exists():
        return None
    with np.load(npz) as a:
        if "group_convolution" not in a or "transform" not in a:
            return None
        K, Q = a["group_convolution"], a["transform"]
    al = metrics.group_convolution_alignment(K, Q)
    new = {
        "group_convolution_cosine": al["cosine"],
        "group_convolution_shift": al["shift"],
        "group_convolution_reflected": bool(al["reflected"]),
        "group_convolution_sign": al["sign"],
        "group_convolution_cosine_unshifted": metrics.group_convolution_cosine_similarity(K, Q, max_shift=0),
    }
    skipped = None
    data = _held_out(str(prov.get("dataset", "")), int(prov.get("seed", 0)), Q) if "signal_correlation" in m else None
    if data is not None:
        # lens.transform subtracts the training set's mean (and divides by a scalar std, which
        # no correlation sees): rebuild that mean from the run's training set
        cfg = saved.get("config") or {}
        n_train = int(cfg.get("n_batches", 0)) * int(cfg.get("batch_size", 0))
        train = _training_set(str(prov.get("dataset", "")), n_train, int(prov.get("seed", 0)), Q)
        if train is None:
            data = None
    if data is not None:
        mean = train.X.astype(np.float64).mean(0) if cfg.get("centring") == "component" else float(train.X.mean(dtype=np.float64))
        Y = (data.X.astype(np.float64) - mean) @ K.T
        S = data.signals
        former = _former_signal_score(Y, S)
        reference = m.get("signal_correlation_former", m["signal_correlation"])
        if abs(former - reference) <= 1e-4:
            r = metrics.signal_recovery(Y, S)
            new.update(signal_correlation=r["correlation"], signal_shift=r["shift"],
                       signal_reflected=bool(r["reflected"]), signal_correlation_former=reference,
                       signal_correlation_unshifted=metrics.signal_recovery(Y, S, max_shift=0)["correlation"])
        else:
            skipped = f"held-out set not reproduced (former score {former:.4f} vs saved {reference:.4f})"
    elif "signal_correlation" in m:
        skipped = "held-out set cannot be rebuilt"
    changed = {k: v for k, v in new.items() if m.get(k) != v}
    return {"saved": saved, "new": new, "changed": changed, "skipped": skipped, "stamp": stamp}


def update_summary(path: Path, root: Path, check: bool, stamp: dict) -> int:
    """Per-run entries of a notebook 03 summary from the (recomputed) runs it lists."""
    saved = json.loads(path.read_text())
    summary = saved.get("metrics") or {}
    n = 0
    for e in summary.get("runs", []):
        rel = summary.get("run_dirs", {}).get(f"{e['dataset']}/seed{e['seed']}")
        if rel is None:
            continue
        run = json.loads((root / "results" / rel / "metrics.json").read_text())["metrics"]
        for key, src in (("group_convolution_cosine", "group_convolution_cosine"),
                         ("group_convolution_shift", "group_convolution_shift"),
                         ("signal_correlation_train", "signal_correlation"),
                         ("signal_shift", "signal_shift")):
            if src in run and e.get(key) != run[src]:
                e[key] = run[src]
                n += 1
    if (n or saved.get("metrics_recomputed", stamp) != stamp) and not check:
        saved["metrics_recomputed"] = stamp
        path.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
    return n


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="report only, write nothing")
    args = ap.parse_args(argv)
    root = repo_root()
    stamp = _metrics_stamp(root)
    n_runs = 0
    for path in _saved_files(root, "**/metrics.json"):
        out = recompute_run(path, stamp)
        if out is None:
            continue
        n_runs += 1
        rel = path.parent.relative_to(root)
        old = out["saved"]["metrics"]
        print(f"{rel}: K-cos {old['group_convolution_cosine']:.3f} -> {out['new']['group_convolution_cosine']:.3f} "
              f"(shift {out['new']['group_convolution_shift']:+d})"
              + (f", signal {old['signal_correlation']:.3f} -> {out['new']['signal_correlation']:.3f} "
                 f"(shift {out['new']['signal_shift']:+d})" if "signal_shift" in out["new"] else "")
              + (f"  [signal skipped: {out['skipped']}]" if out["skipped"] else ""))
        record = {**stamp, **({"signal_skipped": out["skipped"]} if out["skipped"] else {})}
        if (out["changed"] or out["saved"].get("metrics_recomputed") != record) and not args.check:
            saved = out["saved"]
            saved["metrics"].update(out["new"])
            saved["metrics_recomputed"] = record
            path.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
    n_sum = sum(update_summary(p, root, args.check, stamp) for p in _saved_files(root, "*/03_accuracy/metrics.json"))
    print(f"{n_runs} runs rescored; {n_sum} summary entries updated" + (" (check only)" if args.check else ""))


if __name__ == "__main__":
    main()
