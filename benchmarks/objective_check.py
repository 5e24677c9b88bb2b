"""Does the final objective prefer the truth?  The held-out loss at τ = 1 (estimators
refitted for each candidate, :func:`symlens.objective.held_out_objective`) of the true
solution, broken ones (one reversed segment, one jump) and learned ones from saved runs,
on each dataset, under the scalar (authors') and per-component centring.

    python benchmarks/objective_check.py [--dim 33] [--datasets ...] [--centring scalar component]
        [--learned results/cpu/03_accuracy/runs] [--learned-lab results/lab/<study>/runs.jsonl[:setting]]
        [--estimator-steps 400]

Writes ``results/lab/objective/N<dim>/table.md``, ``rows.json`` and ``objective.png``.
Learned candidates are read from ``<learned>/<dataset>/seed*/arrays.npz`` (their padded
generator and filter) when the run's N matches.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from small_n_lab import code_version, lab_dataset, read_runs  # noqa: E402


def candidates(Q, P: int, learned_dir: Path | None, dataset: str,
               lab_fits: list[dict] = ()) -> list[tuple[str, np.ndarray, np.ndarray]]:
    from symlens.objective import chain_candidate, jump_order, reversed_segment_order, true_order

    N = Q.shape[0]
    M = N + 2 * P
    seg = (P + N // 4, P + N // 2)  # a quarter of the window, left of centre
    out = [
        ("truth", *chain_candidate(true_order(M), Q, P)),
        (f"reversed segment {seg[0] - P}-{seg[1] - P - 1}", *chain_candidate(reversed_segment_order(M, *seg), Q, P)),
        (f"jump over pixel {N // 4}", *chain_candidate(jump_order(M, P + N // 4), Q, P)),
    ]
    if learned_dir is not None:
        for run in sorted((learned_dir / dataset).glob("seed*/arrays.npz")):
            a = np.load(run)
            if a["filter"].shape[0] == N and a["generator_full"].shape[0] == M:
                prov = json.loads((run.parent / "metrics.json").read_text())
                cos = prov["metrics"]["cosine_similarity"] if "metrics" in prov else float("nan")
                out.append((f"learned {run.parent.name} (cos {cos:.2f})", a["generator_full"], a["filter"]))
    for r in lab_fits:
        if r["dataset"] == dataset and r["dim"] == N and np.shape(r["generator_full"])[0] == M:
            out.append((f"learned {r['setting']} seed {r['seed']} (cos {r['cos']:.2f})",
                        np.array(r["generator_full"]), np.array(r["filter"])))
    return out


def main(argv=None) -> None:
    import torch

    from symlens.config import get_profile
    from symlens.data import DATASET_NAMES
    from symlens.objective import held_out_objective

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dim", type=int, default=33)
    p.add_argument("--datasets", nargs="+", default=list(DATASET_NAMES))
    p.add_argument("--centring", nargs="+", default=["scalar", "component"])
    p.add_argument("--learned", default=str(REPO / "results" / "cpu" / "03_accuracy" / "runs"))
    p.add_argument("--learned-lab", nargs="*", default=[], metavar="RUNS.JSONL[:SETTING]",
                   help="learned candidates from a laboratory study's fits (all, or one setting's)")
    p.add_argument("--estimator-steps", type=int, default=400)
    p.add_argument("--slot", type=int, default=62)
    p.add_argument("--hidden-factor", type=int, default=8)
    p.add_argument("--out", default=str(REPO / "results" / "lab" / "objective"))
    args = p.parse_args(argv)
    torch.set_flush_denormal(True)
    N = args.dim
    out = Path(args.out) / f"N{N}"
    out.mkdir(parents=True, exist_ok=True)
    rows_path = out / "rows.json"
    rows = json.loads(rows_path.read_text()) if rows_path.exists() else []
    done = {(r["dataset"], r["centring"], r["candidate"]) for r in rows}
    code = code_version()
    lab_fits = []
    for spec in args.learned_lab:
        path, _, setting = spec.partition(":")
        lab_fits += [r for r in read_runs(Path(path)) if not setting or r["setting"] == setting]
    for dataset in args.datasets:
        train = lab_dataset(dataset, args.slot * N * 20, N, seed=0)
        held = lab_dataset(dataset, args.slot * N * 4, N, seed=1_000_003)
        for centring in args.centring:
            cfg = get_profile("cpu", batch_size=args.slot * N, hidden=args.hidden_factor * N, centring=centring)
            for name, G_big, psi in candidates(train.transform, cfg.resolved_padding(N), Path(args.learned), dataset,
                                                 lab_fits):
                if (dataset, centring, name) in done:
                    continue
                t0 = time.perf_counter()
                terms = held_out_objective(G_big, psi, train.X, held.X, cfg, tau=1.0,
                                           estimator_steps=args.estimator_steps)
                rows.append({"dataset": dataset, "centring": centring, "candidate": name, **terms,
                             "seconds": time.perf_counter() - t0, "N": N, **code,
                             "torch": torch.__version__, "estimator_steps": args.estimator_steps})
                rows_path.write_text(json.dumps(rows, indent=1))
                print(f"{dataset:>22} {centring:>9} {name:>28}: total {terms['total']:+.3f} "
                      f"(reg1 {terms['reg1']:.3f}, reg2 {terms['reg2']:.3f}, align {terms['alignment']:+.3f})",
                      flush=True)
    write(rows, out)


def write(rows: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = ["Held-out model loss (eq. 13) at τ = 1 with estimators refitted to each candidate; lower is "
             "preferred. *truth wins*: the true solution scores below this candidate (same dataset and "
             "centring). The full table with every term is `table.csv` beside this file.", "",
             "| dataset | centring | candidate | total | align | reg1 | reg2 | truth wins |",
             "|---|---|---|---|---|---|---|---|"]
    keyed: dict[tuple, list[dict]] = {}
    for r in rows:
        keyed.setdefault((r["dataset"], r["centring"]), []).append(r)
    for (dataset, centring), rs in keyed.items():
        truth = next((r["total"] for r in rs if r["candidate"] == "truth"), None)
        for r in rs:
            wins = "" if r["candidate"] == "truth" or truth is None else ("yes" if truth < r["total"] else "**no**")
            lines.append(f"| {dataset} | {centring} | {r['candidate']} | {r['total']:+.3f} | {r['alignment']:+.3f} | "
                         f"{r['reg1']:.3f} | {r['reg2']:.3f} | {wins} |")
    lines += ["", f"git {rows[0]['git']}, torch {rows[0]['torch']}, {rows[0]['estimator_steps']} estimator steps, "
              f"N = {rows[0]['N']}, CPU."]
    (out / "table.md").write_text("\n".join(lines) + "\n")
    with (out / "table.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    groups = list(keyed)
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(groups)), 4), dpi=150)
    kinds = ["truth", "reversed", "jump", "learned"]
    for gi, key in enumerate(groups):
        for r in keyed[key]:
            k = next(i for i, kind in enumerate(kinds) if r["candidate"].startswith(kind))
            ax.scatter(gi + (k - 1.5) * 0.15, r["total"], color=f"C{k}", s=20,
                       label=kinds[k] if gi == 0 or not ax.get_legend_handles_labels()[1].count(kinds[k]) else None)
    ax.set_xticks(range(len(groups)), [f"{d}\n{c}" for d, c in groups], rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("held-out loss at τ = 1 (lower preferred)")
    ax.set_ylim(top=min(ax.get_ylim()[1], 3.0))
    ax.legend(fontsize=8)
    ax.set_title("Truth against broken and learned solutions", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "objective.png")
    plt.close(fig)


if __name__ == "__main__":
    main()
