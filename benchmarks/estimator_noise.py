"""Mechanism 4 of the convergence study: how much of the uniformity term is estimator noise?

With the generator fixed at the truth the data are exactly as uniform along the symmetry as
they can be, so the conditional uniformity term reg2 should vanish; what remains is the
noise (and the positive bias of max(0, ·)) of the per-pair estimates.  This script refits
the estimators at the truth for several batch sizes (samples per conditioning slot) and
prints reg1 and reg2 on held-out data.

    python benchmarks/estimator_noise.py [--dim 15] [--slots 31 62 124 500] [--dataset gaussian-translation]

Writes ``results/lab/estimator_noise/N<dim>/table.md`` and ``rows.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from small_n_lab import code_version, lab_dataset  # noqa: E402


def main(argv=None) -> None:
    import torch

    from symlens.config import get_profile
    from symlens.objective import held_out_objective, true_candidate

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dim", type=int, default=15)
    p.add_argument("--dataset", default="gaussian-translation")
    p.add_argument("--slots", type=int, nargs="+", default=[31, 62, 124, 500])
    p.add_argument("--estimator-steps", type=int, default=400)
    p.add_argument("--hidden-factor", type=int, default=8)
    p.add_argument("--out", default=str(REPO / "results" / "lab" / "estimator_noise"))
    args = p.parse_args(argv)
    torch.set_flush_denormal(True)
    N = args.dim
    out = Path(args.out) / f"N{N}"
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for slot in args.slots:
        B = slot * N
        train = lab_dataset(args.dataset, B * 10, N, seed=0)
        held = lab_dataset(args.dataset, B * 4, N, seed=1_000_003)
        cfg = get_profile("cpu", batch_size=B, hidden=args.hidden_factor * N, centring="component")
        G_big, psi = true_candidate(train.transform, cfg.resolved_padding(N))
        t0 = time.perf_counter()
        terms = held_out_objective(G_big, psi, train.X, held.X, cfg, estimator_steps=args.estimator_steps)
        rows.append({"slot": slot, "batch": B, "reg1": terms["reg1"], "reg2": terms["reg2"],
                     "total": terms["total"], "seconds": time.perf_counter() - t0, **code_version(),
                     "dataset": args.dataset, "N": N, "torch": torch.__version__})
        print(f"slot {slot:>4} (batch {B:>6}): reg1 {terms['reg1']:.4f}  reg2 {terms['reg2']:.4f}", flush=True)
    (out / "rows.json").write_text(json.dumps(rows, indent=1))
    lines = [f"Uniformity terms at the true solution, {args.dataset}, N = {N}, estimators refitted "
             f"({args.estimator_steps} steps) per batch size, held-out data, per-component centring. "
             f"git {rows[0]['git']}.", "",
             "| samples per slot | batch | reg1 | reg2 | reg2 × √slot |", "|---|---|---|---|---|"]
    lines += [f"| {r['slot']} | {r['batch']} | {r['reg1']:.4f} | {r['reg2']:.4f} | {r['reg2'] * r['slot'] ** 0.5:.3f} |"
              for r in rows]
    (out / "table.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
