"""Command line: ``python -m symlens train --dataset NAME --profile P --seed S --out DIR``."""

from __future__ import annotations

import argparse
import json
import sys

from .config import profile_names
from .data import DATASET_NAMES

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m symlens", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="fit one dataset and save metrics.json, arrays.npz and a checkpoint")
    t.add_argument("--dataset", required=True, choices=DATASET_NAMES)
    t.add_argument("--profile", default="smoke", choices=profile_names())
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", required=True, help="output directory")
    t.add_argument("--device", default="auto", help="auto | cpu | cuda")
    t.add_argument("--variant", choices=["v1", "head"], help="loss variant (default: the profile's)")
    t.add_argument("--epochs", type=int, help="override the profile's number of epochs")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")
    t.add_argument("--no-progress", action="store_true")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from .experiment import run_experiment

    overrides = {}
    if args.variant:
        overrides["variant"] = args.variant
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    res = run_experiment(
        args.dataset, args.profile, args.seed, args.out, args.device,
        resume=args.resume, progress=not args.no_progress, **overrides,
    )
    json.dump(res["metrics"], sys.stdout, indent=2)
    print()
    return 0
