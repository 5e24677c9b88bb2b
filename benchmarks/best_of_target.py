"""Time and accuracy of best-of-k restarts (:func:`symlens.restarts.fit_best_of`), one
training set per base seed.

    python benchmarks/best_of_target.py --profile cpu --dim 7 --data 'scale_range=[0.2,1.0]' \
        --dataset gaussian-permuted --seeds 0 3 6 --k 3 \
        --out results/cpu/best_of/gaussian-permuted-n7 [--table-only]

For each base seed s the training set is drawn as ``time_to_accuracy.py`` draws it (data
seed s), and ``fit_best_of(X, k, profile, seed=s)`` fits seeds s … s + k − 1 with the
defaults of :class:`~symlens.lens.SymmetryLens` (the ``symlens`` recipe) on 90 % of it and
keeps the lowest held-out loss on the rest; the true generator is only reported.  Base seeds
k apart give disjoint candidates.  Writes ``<out>/seed<s>.json`` (candidates, the kept one,
wall seconds, provenance), ``<out>/seed<s>-candidates.npz`` (every candidate's padded generator
and filter, stacked in seed order, with the true generator and the transform, so that other
selection rules can be replayed offline) and ``<out>/table.md``.  With ``--checkpoints``
each candidate's whole training state (model, estimators, optimisers, random streams) is
also saved, as ``<out>/seed<s>-checkpoints/seed<c>/checkpoint.pt`` for candidate seed c, so
that training can be continued from where the fit ended.  With ``--select-at S --keep m``
every candidate trains to step S and only the m lowest held-out losses there (at the
schedule's current τ) are finished (``fit_best_of``'s early selection); ``--branches B``
finishes each of them in B continuations, the plain one and B − 1 with their random streams
reseeded at step S, and keeps the lowest final held-out loss among them.  Wall seconds are
the whole call: k fits (``--jobs`` at a time, in worker processes), plus the selection.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from time_to_accuracy import key_values  # noqa: E402

from symlens.config import get_profile  # noqa: E402
from symlens.data import make_dataset  # noqa: E402
from symlens.io import git_sha, provenance, to_plain  # noqa: E402
from symlens.metrics import cosine_without_exit, generator_cosine_similarity  # noqa: E402
from symlens.restarts import fit_best_of, meets_target  # noqa: E402


def one(name: str, profile: str, dim: int, seed: int, k: int, data_kw: dict, overrides: dict,
        jobs: int = 1, checkpoints: Path | None = None, select_at: int | None = None,
        keep: int = 1, branches: int = 1) -> tuple[dict, dict]:
    """Fit best of k on data seed ``seed``; returns (the candidates' arrays, the record).
    ``checkpoints``: a folder to save each candidate's training state in (one sub-folder
    ``seed<c>`` per candidate seed c)."""
    cfg = get_profile(profile, **overrides)
    data = make_dataset(name, cfg.for_dim(dim).training_samples, dim=dim, seed=seed, **data_kw)
    git = git_sha()
    t0 = time.perf_counter()
    lens = fit_best_of(data.X, k=k, profile=profile, seed=seed, true_generator=data.generator,
                       n_jobs=jobs, progress=False, keep_candidates=True, select_at=select_at, keep=keep,
                       branches=branches, **overrides)
    wall = time.perf_counter() - t0
    for c in lens.candidates_ if checkpoints is not None else []:
        c.trainer_.save_checkpoint(checkpoints / f"seed{c.seed}")
    arrays = {"seeds": np.array([c.seed for c in lens.candidates_]),
              "generator_full": np.stack([c.generator_full_ for c in lens.candidates_]),
              "filter": np.stack([c.filter_ for c in lens.candidates_]),
              "true_generator": data.generator, "transform": data.transform}
    return arrays, {
        "dataset": name, "dim": dim, "samples": int(data.X.shape[0]), "base_seed": seed, "k": k, "jobs": jobs,
        "select_at": select_at, "keep": keep if select_at is not None else k,
        **({"branches": branches} if branches > 1 else {}), "data": data_kw, "overrides": overrides,
        "candidates": lens.restarts_,
        "kept_seed": lens.seed,
        "cos": generator_cosine_similarity(lens.generator_, data.generator),
        "cos_without_exit": cosine_without_exit(lens.generator_, data.generator),
        "wall_s": wall,
        "config": lens.trainer_.config.to_dict(),
        "provenance": provenance(profile, seed, lens.device, wall_time_s=wall, dataset=name, git=git,
                                 recipe=lens.recipe),
    }


def _at_selection(c: dict, r: dict) -> str:
    """A finished candidate's cos and loss at the early selection, where it was saved."""
    if "early_cosine_similarity" not in c:
        return ""
    text = f" ({c['early_cosine_similarity']:.3f}, {c['early_loss']:+.3f} at step {r['select_at']})"
    if "branches" in c:  # every continuation's end: cos (held-out loss)
        text += " → " + ", ".join(f"{b['cosine_similarity']:.3f} ({b['held_out_loss']:+.3f})" for b in c["branches"])
    return text


def table(records: list[dict], seconds: float) -> str:
    lines = ["| base seed | candidates (seed: cos, held-out loss) | kept seed | kept cos | cos without exit | "
             f"wall s | ≥ 0.95 in {seconds / 60:g} min |", "|---|---|---|---|---|---|---|"]
    for r in sorted(records, key=lambda r: r["base_seed"]):
        cands = "; ".join(f"{c['seed']}: {c['cosine_similarity']:.3f}, " + (
            f"{c['held_out_loss']:+.3f}" + _at_selection(c, r) if c["held_out_loss"] is not None
            else f"dropped ({c['early_loss']:+.3f})") for c in r["candidates"])
        met = meets_target(r, seconds=seconds)
        lines.append(f"| {r['base_seed']} | {cands} | {r['kept_seed']} | {r['cos']:.3f} | "
                     f"{r['cos_without_exit']:.3f} | {r['wall_s']:.0f} | {'yes' if met else 'no'} |")
    met = sum(meets_target(r, seconds=seconds) for r in records)
    r0 = records[0]
    prov = r0["provenance"]
    lines += ["", f"{met} of {len(records)} base seeds meet the target. {r0['dataset']}, N = {r0['dim']}, "
              f"data {json.dumps(r0['data'])}, profile `{prov['profile']}` with the `{prov.get('recipe')}` recipe "
              f"(batch {r0['config']['batch_size']}, width {r0['config']['hidden']}, "
              + f"{r0['config']['epochs'] * r0['config']['steps_per_epoch']:,}".replace(",", " ")
              + f" steps per fit), best of {r0['k']}"
              + (f", the {r0['keep']} lowest held-out losses at step {r0['select_at']} finished"
                 if r0.get("select_at") else "")
              + (f", each in {r0['branches']} continuations (the plain one first, the others with their "
                 f"random streams reseeded at step {r0['select_at']}), the lowest final held-out loss kept"
                 if r0.get("branches", 1) > 1 else "")
              + (f", {r0['jobs']} fits at a time" if r0.get("jobs", 1) > 1 else ", one fit at a time") + "; "
              f"hardware {prov['hardware']}, torch {prov['torch']}, code "
              + ", ".join(sorted({r['provenance']['git'] for r in records})) + "."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="cpu")
    p.add_argument("--dataset", default="gaussian-permuted")
    p.add_argument("--dim", type=int, default=33)
    p.add_argument("--data", nargs="+", action="extend", default=[], metavar="KEY=VALUE")
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--k", type=int, default=3)
    p.add_argument("--jobs", type=int, default=1, help="candidates fitted at once (fit_best_of's n_jobs)")
    p.add_argument("--seconds", type=float, default=None,
                   help="the target's time limit (default: the issue's, 300 s at N = 7 and 900 s otherwise)")
    p.add_argument("--out", required=True)
    p.add_argument("--table-only", action="store_true", help="rewrite table.md from the saved seed*.json")
    p.add_argument("--select-at", type=int, default=None,
                   help="early selection: train every candidate to this step, finish only the --keep best")
    p.add_argument("--keep", type=int, default=1, help="candidates finished after --select-at")
    p.add_argument("--branches", type=int, default=1,
                   help="with --select-at: continuations of each finished candidate (fit_best_of's branches)")
    p.add_argument("--checkpoints", action="store_true",
                   help="also save each candidate's training state under <out>/seed<s>-checkpoints/")
    args = p.parse_args(argv)
    if args.seconds is None:
        args.seconds = 300.0 if args.dim == 7 else 900.0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data_kw, overrides = key_values(args.data), key_values(args.set)
    for s in [] if args.table_only else args.seeds:
        arrays, rec = one(args.dataset, args.profile, args.dim, s, args.k, data_kw, overrides, args.jobs,
                          out / f"seed{s}-checkpoints" if args.checkpoints else None, args.select_at, args.keep,
                          args.branches)
        np.savez_compressed(out / f"seed{s}-candidates.npz", **arrays)
        (out / f"seed{s}.json").write_text(json.dumps(to_plain(rec), indent=1) + "\n")
        print(f"base seed {s}: kept {rec['kept_seed']}, cos {rec['cos']:.3f} in {rec['wall_s']:.0f} s", flush=True)
    records = [json.loads(f.read_text()) for f in sorted(out.glob("seed*.json"))]
    text = table(records, args.seconds)
    (out / "table.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
