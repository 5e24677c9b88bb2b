"""Steps and wall seconds until the learned generator reaches cosine similarity 0.5, 0.9,
0.95 and 0.99 with the true one, and the final values.

    python benchmarks/time_to_accuracy.py --profile cpu --dataset gaussian-translation [--seed 0]
        [--device auto] [--out results/cpu/time_to_accuracy/gaussian-translation/seed0]
        [--max-seconds S] [--set key=value ...] [--dim N --data key=value ...] [--resume] [--overwrite]

``--set recipe=symlens`` selects the best recipe (``symlens.config.RECIPES``); without it
the profile's faithful method runs.

Several datasets (``--dataset all``) or seeds are trained together in one batched
computation (:func:`symlens.experiment.run_many`); their wall seconds are then those of
the whole batch.

The curve (step, seconds, τ, cosine similarity, RMSE, loss terms) is saved with the run
when --out is given, so it can be plotted in the book.  Wall seconds are training time
(including a torch.compile warm-up where the profile compiles), not data generation.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Run this checkout's symlens, not whatever an editable install points at, so that the
# provenance recorded with a run (the package's own checkout) is the code that trained it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from symlens.config import get_profile
from symlens.data import DATASET_NAMES, make_dataset
from symlens.experiment import run_experiment, run_many
from symlens.train import CHECKPOINT_NAME

THRESHOLDS = (0.5, 0.9, 0.95, 0.99)


def first_crossing(history: list[dict], threshold: float):
    for h in history:
        if h["cosine_similarity"] >= threshold:
            return h["step"], h["elapsed_s"]
    return None, None


def _value(s: str):
    try:
        return json.loads(s)
    except json.JSONDecodeError:
        return s


def key_values(items) -> dict:
    """``["epochs=40", "scale_range=[0.2,1.0]"]`` -> ``{"epochs": 40, "scale_range": [0.2, 1.0]}``
    (values read as JSON where they parse, else kept as strings)."""
    bad = [kv for kv in items if "=" not in kv]
    if bad:
        raise SystemExit(f"expected KEY=VALUE, got {bad}")
    return {k: _value(v) for k, v in (kv.split("=", 1) for kv in items)}


def report(res: dict, profile: str) -> None:
    hist, prov, m = res["lens"].history_, res["provenance"], res["metrics"]
    print(f"\nprofile={profile} dataset={prov['dataset']} seed={prov['seed']} device={prov['device']} "
          f"({prov['hardware']}) torch={prov['torch']} git={prov['git']}"
          + (f" batched with {prov['batched_runs']} runs" if prov.get("batched_runs") else ""))
    print(f"{'cos >=':>7} {'step':>8} {'seconds':>9}")
    for t in THRESHOLDS:
        step, sec = first_crossing(hist, t)
        print(f"{t:>7.2f} {'-' if step is None else step:>8} {'-' if sec is None else f'{sec:.1f}':>9}")
    best = max(h["cosine_similarity"] for h in hist)
    print(f"final: steps={m['steps']} seconds={hist[-1]['elapsed_s']:.1f} cos={m['cosine_similarity']:.4f} "
          f"rmse={m['rmse']:.4f} K-cos={m['group_convolution_cosine']:.4f} (best logged cos {best:.4f})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="cpu")
    p.add_argument("--dataset", nargs="+", default=["gaussian-translation"], help="one or more names, or 'all'")
    p.add_argument("--seed", type=int, nargs="+", default=[0])
    p.add_argument("--device", default="auto")
    p.add_argument("--out", default=None,
                   help="save the run (metrics.json, arrays.npz with the curve); with several runs, "
                        "each goes to OUT/<dataset>/seed<k>")
    p.add_argument("--resume", action="store_true",
                   help="continue a single run from OUT/checkpoint when one is there (runs span sessions)")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="stop training after this many seconds (e.g. to sample the start of the paper schedule)")
    p.add_argument("--dim", type=int, default=33, help="data dimension N (single runs)")
    p.add_argument("--data", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                   help="data-model overrides (single runs), e.g. scale_range=[0.2,1.0]")
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                   help="config overrides, e.g. epochs=40 (may be repeated)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a finished run already saved where this one would go")
    args = p.parse_args()
    overrides = key_values(args.set)
    datasets = list(DATASET_NAMES) if args.dataset == ["all"] else args.dataset
    runs = [(d, k) for d in datasets for k in args.seed]
    if args.out is not None and not (args.overwrite or args.resume):
        # a second run with the same --out would silently replace the first one's results
        targets = [Path(args.out)] if len(runs) == 1 else [Path(args.out) / d / f"seed{k}" for d, k in runs]
        taken = [str(t) for t in targets if (t / "metrics.json").exists()]
        if taken:
            raise SystemExit(f"a finished run is already saved in {', '.join(taken)}: give another --out "
                             "(several runs go to OUT/<dataset>/seed<k>), --resume to continue it, or --overwrite")
    data_kw = key_values(args.data)
    if len(runs) == 1:
        (name, seed), = runs
        if data_kw or args.dim != 33:
            cfg = get_profile(args.profile, **overrides)
            name = make_dataset(name, cfg.for_dim(args.dim).training_samples, dim=args.dim, seed=seed, **data_kw)
        resume = args.resume and args.out is not None and (Path(args.out) / "checkpoint" / CHECKPOINT_NAME).exists()
        results = [run_experiment(name, args.profile, seed, out=args.out, device=args.device, progress=True,
                                  time_limit_s=args.max_seconds, resume=resume, **overrides)]
    else:
        if data_kw or args.dim != 33:
            raise SystemExit("--dim and --data apply to a single run (one dataset, one seed)")
        results = run_many(runs, args.profile, out=args.out, device=args.device, progress=True,
                           time_limit_s=args.max_seconds, **overrides)
    for res in results:
        report(res, args.profile)


if __name__ == "__main__":
    main()
