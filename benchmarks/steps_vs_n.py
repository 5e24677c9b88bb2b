"""How the steps a fit needs grow with N: reads a small-N lab study whose settings are
schedule lengths named ``s<steps>`` (``results/lab/steps_vs_n/runs.jsonl``) and writes
``scaling.md`` and ``scaling.png`` beside it.

Two readings, both per N over seeds:

* the shortest schedule at which at least 3 of 4 fits converge: cos >= min(0.95, ceiling -
  0.01), the target or, where the target lies above it, the cyclic ceiling below;
* the census of each schedule (:func:`symlens.analysis.defect_census`): complete chains
  (every link in one direction except the one at the exit pixel), chains closed into a cycle
  inside the window, walls;
* the cyclic ceiling: a chain that closes on itself inside the window (exit pixel -> entrance
  pixel, census symbol ``x`` at the exit) scores cos = sqrt((N - 1) / N) against the
  non-circulant shift (0.926 at N = 7, 0.985 at N = 33), so cos >= 0.95 is out of its reach
  at N <= 9.  The figure draws that ceiling for each N.

    python benchmarks/steps_vs_n.py [--study results/lab/steps_vs_n] \
        [--also results/lab/batch_steps/runs.jsonl:b62-12000]

``--also FILE:SETTING`` adds the fits of one setting of another study made with the same
recipe and sizes (here the N = 21, 12 000-step schedule of the batch study).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "benchmarks"))

from small_n_lab import read_runs  # noqa: E402
from symlens.analysis import convergence_threshold, cyclic_ceiling, steps_needed  # noqa: E402


def complete_chain(fit: dict) -> bool:
    """Every link but the exit one in the census's majority direction."""
    chain, forward = fit["census_chain"], fit["census_majority"] == 1
    inner = chain[:-1] if forward else chain[1:]
    return set(inner) == {"+" if forward else "-"}


def closed_cyclic(fit: dict) -> bool:
    """A complete chain whose exit pixel jumps (back to the entrance: a cycle in the window)."""
    chain = fit["census_chain"]
    return complete_chain(fit) and chain[-1 if fit["census_majority"] == 1 else 0] == "x"


def table(rows: list[dict]) -> list[dict]:
    out = []
    for N in sorted({r["dim"] for r in rows}):
        for steps in sorted({r["steps"] for r in rows if r["dim"] == N}):
            rs = [r for r in rows if r["dim"] == N and r["steps"] == steps]
            cos = np.array([r["cos"] for r in rs])
            out.append({"N": N, "steps": steps, "fits": len(rs), "mean cos": float(cos.mean()),
                        "min cos": float(cos.min()), "≥ 0.95": int((cos >= 0.95).sum()),
                        "converged": int((cos >= convergence_threshold(N)).sum()),
                        "complete chains": sum(complete_chain(r) for r in rs),
                        "closed cyclic": sum(closed_cyclic(r) for r in rs),
                        "walls": float(np.mean([r["census_walls"] for r in rs])),
                        "ceiling": cyclic_ceiling(N)})
    return out


def fit_exponent(needed: dict[int, int | None]) -> tuple[float, float] | None:
    pts = [(N, s) for N, s in needed.items() if s is not None]
    if len(pts) < 2:
        return None
    a, b = np.polyfit(np.log([p[0] for p in pts]), np.log([p[1] for p in pts]), 1)
    return float(a), float(np.exp(b))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--study", default=str(REPO / "results" / "lab" / "steps_vs_n"))
    p.add_argument("--also", nargs="*", default=[], metavar="FILE:SETTING")
    args = p.parse_args(argv)
    study = Path(args.study)
    rows = read_runs(study / "runs.jsonl")
    for spec in args.also:
        path, _, setting = spec.rpartition(":")
        extra = [r for r in read_runs(Path(path)) if r["setting"] == setting]
        if not extra:
            raise SystemExit(f"--also {spec}: no fits of setting {setting!r} in {path}")
        rows += extra
    summ = table(rows)
    needed = steps_needed(rows)
    fit = fit_exponent(needed)
    cols = list(summ[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for s in summ:
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in s.values()) + " |")
    lines += ["", "Converged: cos ≥ min(0.95, ceiling − 0.01). Shortest schedule with at least 3 of 4 fits converged: "
              + ", ".join(f"N = {N}: {s if s is not None else 'none of the schedules run'}" for N, s in needed.items()) + "."]
    censored = [N for N, st in needed.items() if st is None]
    if fit:
        a, c = fit
        line = (f"Power law through the N with a converged schedule: steps ≈ {c:.3g} · N^{a:.2f}; it predicts "
                f"{c * 33 ** a:,.0f} steps at N = 33 and {c * 65 ** a:,.0f} at N = 65.")
        if censored:
            longest = max(s["steps"] for s in summ)
            for N in censored:
                line += f" N = {N} did not converge within the longest schedule run ({longest:,} steps)"
                if longest >= c * N ** a:
                    line += f", above the law's {c * N ** a:,.0f}: the law is refuted there"
                known = [(n, st) for n, st in needed.items() if st is not None and n < N]
                if known:
                    n0, s0 = known[-1]
                    line += (f"; from N = {n0} ({s0:,} steps) the steps grow faster than "
                             f"N^{np.log(longest / s0) / np.log(N / n0):.2f}")
                line += "."
        lines.append(line)
    (study / "scaling.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4), dpi=150)
    for i, N in enumerate(sorted({s["N"] for s in summ})):
        ss = [s for s in summ if s["N"] == N]
        steps = [s["steps"] for s in ss]
        ax.plot(steps, [s["mean cos"] for s in ss], "o-", color=f"C{i}", label=f"N = {N}")
        for s in ss:
            cs = [r["cos"] for r in rows if r["dim"] == N and r["steps"] == s["steps"]]
            ax.scatter([s["steps"]] * len(cs), cs, s=8, color=f"C{i}", alpha=0.4)
        ax.axhline(cyclic_ceiling(N), color=f"C{i}", ls=":", lw=0.8)
    ax.axhline(0.95, color="0.4", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("schedule length (steps)")
    ax.set_ylabel("final cosine similarity to the true generator")
    ax.set_title("steps needed against N (dots: fits; dotted: cyclic ceiling √((N−1)/N))", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(study / "scaling.png")


if __name__ == "__main__":
    main()
