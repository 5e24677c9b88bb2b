"""Steps and wall seconds until the learned generator reaches cosine similarity 0.5, 0.9,
0.95 and 0.99 with the true one, and the final values.

    python benchmarks/time_to_accuracy.py --profile cpu --dataset gaussian-translation [--seed 0]
        [--device auto] [--out results/cpu/time_to_accuracy/gaussian-translation/seed0]
        [--max-seconds S] [--set key=value ...]

The curve (step, seconds, τ, cosine similarity, RMSE, loss terms) is saved with the run
when --out is given, so it can be plotted in the book.  Wall seconds are training time
(including a torch.compile warm-up where the profile compiles), not data generation.
"""

from __future__ import annotations

import argparse
import json

from symlens.experiment import run_experiment

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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="cpu")
    p.add_argument("--dataset", default="gaussian-translation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--out", default=None, help="save the run (metrics.json, arrays.npz with the curve)")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="stop training after this many seconds (e.g. to sample the start of the paper schedule)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="config overrides, e.g. epochs=40")
    args = p.parse_args()
    overrides = dict(kv.split("=", 1) for kv in args.set)
    overrides = {k: _value(v) for k, v in overrides.items()}
    res = run_experiment(args.dataset, args.profile, args.seed, args.out, args.device, progress=True,
                         time_limit_s=args.max_seconds, **overrides)
    hist = res["lens"].history_
    prov = res["provenance"]
    print(f"\nprofile={args.profile} dataset={args.dataset} seed={args.seed} device={prov['device']} "
          f"({prov['hardware']}) torch={prov['torch']} git={prov['git']}")
    print(f"{'cos >=':>7} {'step':>8} {'seconds':>9}")
    for t in THRESHOLDS:
        step, sec = first_crossing(hist, t)
        print(f"{t:>7.2f} {'-' if step is None else step:>8} {'-' if sec is None else f'{sec:.1f}':>9}")
    m = res["metrics"]
    best = max(h["cosine_similarity"] for h in hist)
    print(f"final: steps={m['steps']} seconds={hist[-1]['elapsed_s']:.1f} cos={m['cosine_similarity']:.4f} "
          f"rmse={m['rmse']:.4f} K-cos={m['group_convolution_cosine']:.4f} (best logged cos {best:.4f})")


if __name__ == "__main__":
    main()
