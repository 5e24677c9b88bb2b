"""Can restarts be chosen before they finish?  Held-out loss along the schedule at N = 33.

    python benchmarks/early_selection.py --dataset gaussian-translation --seeds 2 \
        --out results/lab/early_selection [--jobs 2] [--every 500] [--old-to 3000]
    python benchmarks/early_selection.py --out results/lab/early_selection --table-only

Best of two (``benchmarks/best_of_target.py``, saved under ``--best-of``) fits candidates
s and s + 1 for base seed s.  This study adds candidates s + 2 and s + 3 on the same
training set and the same held-out split, trained to the end, and retrains s and s + 1 to
step ``--old-to`` (training is deterministic on the CPU, so they follow their saved runs;
the check is their saved history where a checkpoint holds one).  Every ``--every`` steps each
candidate is scored on the held-out rows by the method's own objective
(:meth:`SymmetryLens.objective`), at the schedule's current τ and at τ = 1, next to its cos
against the true generator, which is only reported.

With all four final fits known (s, s + 1 from the saved best-of-two records), selection
rules can be replayed offline (:func:`replay`): best of four, and *early selection*: train
four candidates to step S, keep the m with the lowest held-out loss at the current τ, finish
those and keep the lowest final loss.  Its cost in candidate-steps is 4 S + m (T - S);
``summary.md`` gives an estimated wall time from the measured seconds per step of two
candidates trained side by side (one thread each), without the selection and start-up
overhead.

Writes ``<out>/<dataset>-seed<s>.json`` per training set and ``summary.md``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from time_to_accuracy import key_values  # noqa: E402

from symlens.config import get_profile  # noqa: E402
from symlens.data import make_dataset  # noqa: E402
from symlens.io import git_sha, provenance, to_plain  # noqa: E402
from symlens.lens import SymmetryLens  # noqa: E402
from symlens.metrics import generator_cosine_similarity  # noqa: E402
from symlens.restarts import early_choice, saved_early_selection, split_validation  # noqa: E402
from symlens.schedules import training_time  # noqa: E402

BEST_OF = REPO / "results" / "cpu" / "best_of" / "n33-k2"


def trajectory(seed: int, stop: int, every: int, profile: str, overrides: dict, X, X_val, true_generator) -> dict:
    """Train candidate ``seed`` to step ``stop`` in segments of ``every`` steps (one thread),
    scoring it on X_val after each.  Returns the candidate's record."""
    torch.set_num_threads(1)
    lens = SymmetryLens(profile, seed=seed, progress=False, **overrides)
    points = []
    for step in range(every, stop + every, every):
        step = min(step, stop)
        lens.fit(X, true_generator=true_generator, resume=step > every, stop_at=step)
        tau = training_time(lens.trainer_.config, step - 1)
        points.append({
            "step": step, "tau": tau, "train_s": lens.trainer_.elapsed,
            "cos": generator_cosine_similarity(lens.generator_, true_generator),
            "loss_now": lens.objective(X_val, tau=tau)["total"],
            "loss_1": lens.objective(X_val)["total"],
        })
        if step == stop:
            break
    return {"seed": seed, "stop": stop, "points": points}


def one(dataset: str, base: int, profile: str, dim: int, every: int, old_to: int, jobs: int,
        overrides: dict) -> dict:
    cfg = get_profile(profile, **overrides).for_dim(dim)
    data = make_dataset(dataset, cfg.training_samples, dim=dim, seed=base)
    X, X_val = split_validation(data.X, 0.1, 4 * cfg.batch_size, base)  # as fit_best_of splits
    total = cfg.fit_steps
    tasks = [(base + 2, total), (base + 3, total), (base, old_to), (base + 1, old_to)]
    git = git_sha()
    t0 = time.perf_counter()
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(partial(trajectory, s, stop, every, profile, overrides, X, X_val, data.generator))
                   for s, stop in tasks]
        candidates = [f.result() for f in futures]
    wall = time.perf_counter() - t0
    return {"dataset": dataset, "dim": dim, "base_seed": base, "total_steps": total, "every": every,
            "jobs": jobs, "overrides": overrides, "candidates": candidates, "wall_s": wall,
            "provenance": provenance(profile, base, torch.device("cpu"), wall_time_s=wall, dataset=dataset,
                                     git=git, recipe="symlens")}


def replay(rec: dict, fin: dict[int, dict], at: int, keep: int, key: str = "loss_now") -> int | None:
    """The seed that early selection keeps (:func:`~symlens.restarts.early_choice` on the
    scores at step ``at``); None if some candidate was not scored at ``at``."""
    at_step = {}
    for c in rec["candidates"]:
        hit = [p[key] for p in c["points"] if p["step"] == at]
        if not hit:
            return None
        at_step[c["seed"]] = hit[0]
    return early_choice(at_step, {s: f["loss"] for s, f in fin.items()}, keep)


def summary(saved: list[tuple[dict, dict]]) -> str:
    """The per-set table (final cos of the four candidates; what best of two, best of four
    and the oracle keep) and one row per rule over the sets where it can be replayed."""
    # every step some set scored all four candidates at, from the first thousand on
    records = [rec for rec, _ in saved]
    points = sorted({p["step"] for r in records for p in min(r["candidates"], key=lambda c: c["stop"])["points"]
                     if 1000 <= p["step"] < r["total_steps"]})
    rows, kept = [], {}
    rules = [("best of 2 (saved)", None, None)] + [(f"4 → {m} at {S}", S, m) for S in points for m in (1, 2)] \
        + [("best of 4", "end", 4), ("best of 4, oracle", "oracle", None)]
    for rec, fin in saved:
        b = rec["base_seed"]
        got = {}
        for name, S, m in rules:
            if S is None:
                s = min((b, b + 1), key=lambda s: fin[s]["loss"])
            elif S == "oracle":
                s = max(fin, key=lambda s: fin[s]["cos"])
            elif S == "end":
                s = min(fin, key=lambda s: fin[s]["loss"])
            else:
                s = replay(rec, fin, S, m)
            if s is not None:
                got[name] = fin[s]["cos"]
        kept[(rec["dataset"], b)] = got
        cands = ", ".join(f"{s}: {fin[s]['cos']:.3f}" for s in sorted(fin))
        rows.append(f"| {rec['dataset']} | {b} | {cands} | {got['best of 2 (saved)']:.3f} | "
                    f"{got['best of 4']:.3f} | {got['best of 4, oracle']:.3f} |")
    sec_per_step = _seconds_per_step(records)
    T = records[0]["total_steps"]
    lines = ["| dataset | base seed | final cos of candidates | best of 2 | best of 4 | oracle of 4 |",
             "|---|---|---|---|---|---|", *rows, "",
             "| rule | candidate-steps | estimated wall s | sets | mean kept cos | best of 2 on those sets | "
             "kept ≥ 0.95 | kept the best of four |",
             "|---|---|---|---|---|---|---|---|"]
    for name, S, m in rules:
        sets = [k for k in kept if name in kept[k]]
        vals = [kept[k][name] for k in sets]
        best = [kept[k][name] == kept[k]["best of 4, oracle"] for k in sets]
        if S is None:
            steps = 2 * T
        elif S in ("end", "oracle"):
            steps = 4 * T
        else:
            steps = 4 * S + m * (T - S)
        lines.append(f"| {name} | {steps} | {steps / 2 * sec_per_step:.0f} | {len(sets)} | {np.mean(vals):.3f} | "
                     f"{np.mean([kept[k]['best of 2 (saved)'] for k in sets]):.3f} | "
                     f"{sum(v >= 0.95 for v in vals)} | {sum(best)} |")
    lines += ["", f"Training sets: {len(records)}; the saved candidates were retrained to step "
              + " or ".join(str(x) for x in sorted({c['stop'] for r in records for c in r['candidates']
                                                     if c['stop'] < r['total_steps']}))
              + ", so a rule is replayed on the sets scored at its step. Seconds per step of one candidate, two "
              f"trained side by side with one thread each: {sec_per_step:.4f} (measured here); the wall estimate is "
              "candidate-steps / 2 × that, without the selection and start-up overhead (for 4 → 1 an upper bound: "
              "the last candidate may run alone on both threads). Code "
              + ", ".join(sorted({r["provenance"]["git"] for r in records})) + "."]
    return "\n".join(lines) + "\n"


def figure(saved: list[tuple[dict, dict]], path: Path, mark: int) -> None:
    """One panel per training set: each candidate's held-out loss at the current τ minus the
    mean of the candidates scored at that step, against steps, coloured by its final cos
    (the retrained saved candidates dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(4, len(saved))
    rows = -(-len(saved) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.8 * rows), squeeze=False, sharex=True)
    cmap = plt.get_cmap("viridis")
    for ax, (rec, fin) in zip(axes.flat, saved):
        steps = sorted({p["step"] for c in rec["candidates"] for p in c["points"]})
        mean = {s: np.mean([p["loss_now"] for c in rec["candidates"] for p in c["points"] if p["step"] == s])
                for s in steps}
        for c in sorted(rec["candidates"], key=lambda c: c["seed"]):
            x = [p["step"] for p in c["points"]]
            y = [p["loss_now"] - mean[p["step"]] for p in c["points"]]
            cos = fin[c["seed"]]["cos"]
            ax.plot(x, y, color=cmap(max(0.0, min(1.0, (cos - 0.3) / 0.7))), lw=1.6,
                    ls="--" if c["stop"] < rec["total_steps"] else "-", label=f"seed {c['seed']}: {cos:.2f}")
        ax.axvline(mark, color="0.6", lw=0.8, ls=":")
        ax.axhline(0, color="0.85", lw=0.6)
        ax.set_title(f"{rec['dataset']} {rec['base_seed']}", fontsize=9)
        ax.legend(fontsize=7, title="final cos", title_fontsize=7, frameon=False)
        ax.tick_params(labelsize=8)
    for ax in axes.flat[len(saved):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("training step", fontsize=9)
    for ax in axes[:, 0]:
        ax.set_ylabel("held-out loss − mean", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def _seconds_per_step(records: list[dict]) -> float:
    per = [c["points"][-1]["train_s"] / c["points"][-1]["step"] for r in records for c in r["candidates"]]
    return float(np.median(per))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="cpu")
    p.add_argument("--dataset", default="gaussian-translation")
    p.add_argument("--dim", type=int, default=33)
    p.add_argument("--seeds", type=int, nargs="+", default=[])
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                   help="configuration overrides, as best_of_target.py took them")
    p.add_argument("--every", type=int, default=500)
    p.add_argument("--old-to", type=int, default=3000, help="steps to retrain the saved candidates s, s + 1")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--best-of", default=str(BEST_OF), help="the saved best-of-two records")
    p.add_argument("--out", required=True)
    p.add_argument("--table-only", action="store_true")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for s in [] if args.table_only else args.seeds:
        rec = one(args.dataset, s, args.profile, args.dim, args.every, args.old_to, args.jobs, key_values(args.set))
        (out / f"{args.dataset}-seed{s}.json").write_text(json.dumps(to_plain(rec), indent=1) + "\n")
        print(f"{args.dataset} {s}: {rec['wall_s']:.0f} s", flush=True)
    saved = saved_early_selection(out, args.best_of)
    if saved:
        text = summary(saved)
        (out / "summary.md").write_text(text)
        figure(saved, out / "early_selection.png", mark=2500)
        print(text)


if __name__ == "__main__":
    main()
