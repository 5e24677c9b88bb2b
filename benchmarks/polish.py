"""Polish finished fits: continue them at τ = 1 (``LensConfig.polish_steps``) from their saved
training state, and measure what the extra steps buy.

    python benchmarks/polish.py results/cpu/best_of/n33-k2 --seeds 2 --steps 3000 \\
        --lr-scale 1 3 --jobs 2 --out results/lab/polish [--table-only]

Reads every ``<study>/<dataset>/seed<s>-checkpoints/seed<c>/checkpoint.pt`` that
``best_of_target.py --checkpoints`` saved (base seeds ``--seeds``), rebuilds the candidate's
training rows (its data seed, the 90 % that :func:`~symlens.restarts.fit_best_of` trained
on) and, for each ``--lr-scale`` m, trains ``--steps`` more steps at τ = 1 with the final
learning rates × m: the fit it would have been with ``polish_steps``/``polish_lr_scale``.
Records the cos every ``log_every`` steps, the defect census and the held-out loss (the
10 % fit_best_of held out; the choice between candidates) before and after.  Before it
trains, it checks that the loaded state is the saved fit (same cos and held-out loss as
the study's record).  Writes ``<out>/runs.jsonl`` (one line per candidate and scale, kept
across calls), ``<out>/table.md`` and ``<out>/polish.png``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from best_of_summary import training_split  # noqa: E402

from symlens.io import git_sha, provenance, to_plain  # noqa: E402
from symlens.restarts import saved_best_of  # noqa: E402

#: steps after the schedule at which the table reads the cos
READ_AT = (1000, 2000, 3000)


def tasks(study: Path, seeds: list[int], scales: list[float]) -> list[dict]:
    """One task per saved candidate checkpoint and lr scale, with the candidate's dataset,
    base seed and seed."""
    out = []
    for rec_path, rec in saved_best_of(study):
        if rec["base_seed"] not in seeds:
            continue
        folder = rec_path.parent / f"{rec_path.stem}-checkpoints"
        for cand in sorted(folder.glob("seed*/checkpoint.pt")):
            for m in scales:
                out.append({"record": str(rec_path), "checkpoint": str(cand), "lr_scale": float(m),
                            "dataset": rec["dataset"], "base_seed": rec["base_seed"],
                            "seed": int(cand.parent.name[4:])})
    return out


def polish_one(task: dict, steps: int, threads: int = 1) -> dict:
    """Continue one saved candidate for ``steps`` steps at lr scale ``task['lr_scale']``."""
    import torch

    from symlens.analysis import defect_census
    from symlens.config import LensConfig
    from symlens.lens import SymmetryLens
    from symlens.metrics import cosine_without_exit, generator_cosine_similarity
    from symlens.train import Trainer

    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    record = json.loads(Path(task["record"]).read_text())
    state = torch.load(task["checkpoint"], map_location="cpu", weights_only=False)
    cfg = LensConfig.from_dict(state["config"])
    seed, dim = state["seed"], state["dim"]
    data, X, X_val = training_split(record)
    T, Q = data.generator, data.transform
    cand = next(c for c in record["candidates"] if c["seed"] == seed)

    trainer = Trainer(replace(cfg, polish_steps=cfg.polish_steps + steps, polish_lr_scale=task["lr_scale"]),
                      dim, seed=seed)
    trainer.load_state_dict(state)
    start = trainer.step

    def measure() -> dict:
        G = trainer.current_generator()
        lens = SymmetryLens.from_trainer(trainer, X)
        census = defect_census(G, Q)
        return {"cos": generator_cosine_similarity(G, T), "cos_without_exit": cosine_without_exit(G, T),
                "held_out_loss": lens.objective(X_val)["total"], "chain": census["chain"],
                "defects": census["defects"]}

    before = measure()
    if abs(before["cos"] - cand["cosine_similarity"]) > 1e-6 or abs(before["held_out_loss"] - cand["held_out_loss"]) > 1e-4:
        raise RuntimeError(f"{task['checkpoint']} is not the saved fit: cos {before['cos']:.6f} against "
                           f"{cand['cosine_similarity']:.6f}, held-out loss {before['held_out_loss']:.5f} "
                           f"against {cand['held_out_loss']:.5f}")
    t0 = time.perf_counter()
    trainer.fit(torch.from_numpy(X), T, progress=False)
    seconds = time.perf_counter() - t0
    curve = [(r["step"] - start, r["cosine_similarity"]) for r in trainer.history if r["step"] >= start]
    return to_plain({
        "dataset": record["dataset"], "base_seed": record["base_seed"], "seed": seed, "lr_scale": task["lr_scale"],
        "steps": steps, "schedule_steps": start, "before": before, "after": measure(), "curve": curve,
        "polish_s": seconds, "kept_before": cand["chosen"],
        "provenance": provenance(record["provenance"]["profile"], seed, "cpu", wall_time_s=seconds,
                                 dataset=record["dataset"], git=git_sha()),
    })


def cos_at(run: dict, k: int) -> float | None:
    """The logged cos k steps into the polish (None past its end)."""
    steps = [s for s, _ in run["curve"]]
    if k > max(steps):
        return None
    return dict(run["curve"])[min(steps, key=lambda s: abs(s - k))]


def table(runs: list[dict]) -> str:
    """One row per candidate and lr scale (narrow enough for a book page), then the summary."""
    head = ["dataset", "base seed / seed", "rates ×", "cos at the end", *[f"+{k // 1000}k steps" for k in READ_AT],
            "held-out loss", "chain after (hidden basis)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in sorted(runs, key=lambda r: (r["dataset"], r["base_seed"], r["seed"], r["lr_scale"])):
        row = [r["dataset"], f"{r['base_seed']} / {r['seed']}", f"{r['lr_scale']:g}", f"{r['before']['cos']:.3f}",
               *[("–" if cos_at(r, k) is None else f"{cos_at(r, k):.3f}") for k in READ_AT],
               f"{r['before']['held_out_loss']:+.3f} → {r['after']['held_out_loss']:+.3f}",
               f"`{r['after']['chain']}`"]
        lines.append("| " + " | ".join(row) + " |")
    by = {}
    for r in runs:
        by.setdefault((r["dataset"], r["base_seed"], r["seed"]), {})[r["lr_scale"]] = r
    scales = sorted({r["lr_scale"] for r in runs})
    lines += ["", *summary_lines(by, scales), "", provenance_line(runs)]
    return "\n".join(lines) + "\n"


def summary_lines(by: dict, scales: list[float]) -> list[str]:
    out = []
    for m in scales:
        arms = [a[m] for a in by.values() if m in a]
        gain = np.array([a["after"]["cos"] - a["before"]["cos"] for a in arms])
        n95 = (sum(a["before"]["cos"] >= 0.95 for a in arms), sum(a["after"]["cos"] >= 0.95 for a in arms))
        loss_down = sum(a["after"]["held_out_loss"] < a["before"]["held_out_loss"] for a in arms)
        se = gain.std(ddof=1) / np.sqrt(gain.size) if gain.size > 1 else float("nan")
        out.append(f"- ×{m:g} ({arms[0]['steps']} steps): {len(arms)} candidates, cos "
                   f"{np.mean([a['before']['cos'] for a in arms]):.3f} → {np.mean([a['after']['cos'] for a in arms]):.3f} "
                   f"(paired {gain.mean():+.3f} ± {se:.3f}; {int((gain > 0).sum())} up), ≥ 0.95: {n95[0]} → {n95[1]}; "
                   f"held-out loss lower after in {loss_down} of {len(arms)}; "
                   f"{np.mean([a['polish_s'] for a in arms]):.0f} s per polish.")
        kept = np.array(kept_sets(arms)).reshape(-1, 3)
        if kept.size:
            n95 = [int((kept[:, i] >= 0.95).sum()) for i in range(3)]
            out.append(f"  Best of two over {len(kept)} training sets: kept unpolished {kept[:, 0].mean():.3f} "
                       f"({n95[0]} ≥ 0.95); the kept fit polished {kept[:, 1].mean():.3f} ({n95[1]}); both "
                       f"polished, then the lower held-out loss kept {kept[:, 2].mean():.3f} ({n95[2]}).")
    return out


def kept_sets(arms: list[dict]) -> list[tuple[float, float, float]]:
    """Per training set with every candidate polished: (cos of the fit the study kept, the
    same fit polished, the candidate with the lowest held-out loss after the polish)."""
    sets = {}
    for a in arms:
        sets.setdefault((a["dataset"], a["base_seed"]), []).append(a)
    out = []
    for group in sets.values():
        kept = [a for a in group if a["kept_before"]]
        if len(group) < 2 or not kept:
            continue
        after = min(group, key=lambda a: a["after"]["held_out_loss"])["after"]["cos"]
        out.append((kept[0]["before"]["cos"], kept[0]["after"]["cos"], after))
    return out


def provenance_line(runs: list[dict]) -> str:
    p = runs[0]["provenance"]
    return (f"Each fit continued from its saved state at the end of its {runs[0]['schedule_steps']}-step schedule, "
            f"at τ = 1 with the final learning rates × the scale; profile `{p['profile']}`, hardware "
            f"{p['hardware']}, torch {p['torch']}, code {', '.join(sorted({r['provenance']['git'] for r in runs}))}. "
            f"Cos read from the training log (every {runs[0]['curve'][1][0] - runs[0]['curve'][0][0]} steps); "
            "held-out loss on the rows fit_best_of held out.")


def figure(runs: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = sorted({r["lr_scale"] for r in runs})
    fig, axes = plt.subplots(1, len(scales), figsize=(5.2 * len(scales), 4.6), sharey=True, squeeze=False)
    for ax, m in zip(axes[0], scales):
        for r in (r for r in runs if r["lr_scale"] == m):
            s, c = zip(*r["curve"])
            ax.plot(s, c, lw=1.3, label=f"{r['dataset']} {r['base_seed']}/{r['seed']}")
        ax.axhline(0.95, color="k", ls=":", lw=1)
        ax.set_xlabel("steps after the schedule (τ = 1)")
        ax.set_title(f"final learning rates × {m:g}")
    axes[0][0].set_ylabel("cos(learned G, true G)")
    # the first panel has every candidate (the runs come in one order, so colours match across panels)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=5, frameon=False)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.savefig(path, dpi=130)
    plt.close(fig)


def end_gains(runs_root: Path, last: int = 500) -> str:
    """How much each saved fit under ``runs_root`` (``<dataset>/seed<s>/``, e.g. the targets
    table's runs) gained in cos over its last ``last`` logged steps: a table and a count."""
    from symlens.io import load_run

    rows = []
    for d in sorted(runs_root.glob("*/seed*")):
        a = load_run(d)["arrays"]
        steps, cos = a["history_step"], a["history_cosine_similarity"]
        before = cos[int(np.argmin(np.abs(steps - (steps[-1] - last))))]
        rows.append((d.parent.name, d.name[4:], float(before), float(cos[-1])))
    lines = [f"| dataset | seed | cos {last} steps before the end | cos at the end | gain |", "|---|---|---|---|---|"]
    lines += [f"| {n} | {s} | {b:.3f} | {e:.3f} | {e - b:+.3f} |" for n, s, b, e in rows]
    up = sum(e > b for _, _, b, e in rows)
    lines += ["", f"{up} of {len(rows)} fits gained cos over their last {last} steps (`{runs_root}`; "
              "read from each run's saved training log)."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("study", help="a best_of_target.py output folder with <dataset>/seed<s>-checkpoints")
    p.add_argument("--seeds", type=int, nargs="+", default=[2], help="base seeds whose candidates to polish")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--lr-scale", type=float, nargs="+", default=[1.0])
    p.add_argument("--jobs", type=int, default=1, help="polishes at once, one thread each")
    p.add_argument("--datasets", nargs="+", default=None, help="only these datasets")
    p.add_argument("--out", required=True)
    p.add_argument("--table-only", action="store_true", help="rewrite table.md and the figure from runs.jsonl")
    p.add_argument("--end-gains", metavar="RUNS", default=None,
                   help="also write <out>/end_gains.md: the cos each saved run under RUNS gained over its last 500 steps")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.end_gains:
        (out / "end_gains.md").write_text(end_gains(Path(args.end_gains)))
    log = out / "runs.jsonl"
    done = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    seen = {(r["dataset"], r["base_seed"], r["seed"], r["lr_scale"], r["steps"]) for r in done}
    todo = []
    for t in [] if args.table_only else tasks(Path(args.study), args.seeds, args.lr_scale):
        if args.datasets and t["dataset"] not in args.datasets:
            continue
        if (t["dataset"], t["base_seed"], t["seed"], t["lr_scale"], args.steps) not in seen:
            todo.append(t)
    if todo:
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            for run in pool.map(polish_one, todo, [args.steps] * len(todo)):
                with log.open("a") as f:
                    f.write(json.dumps(run) + "\n")
                done.append(run)
                print(f"{run['dataset']} {run['base_seed']}/{run['seed']} ×{run['lr_scale']:g}: "
                      f"cos {run['before']['cos']:.3f} → {run['after']['cos']:.3f} in {run['polish_s']:.0f} s", flush=True)
    if not done:
        raise SystemExit(f"no saved candidate checkpoints under {args.study} for base seeds {args.seeds}")
    (out / "table.md").write_text(table(done))
    figure(done, out / "polish.png")
    print((out / "table.md").read_text())


if __name__ == "__main__":
    main()
