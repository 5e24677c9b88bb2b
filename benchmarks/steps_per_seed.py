"""Final cosine of each seed against schedule length (or against N), from laboratory fits
of one setting saved in one or more studies (``results/lab/<study>/runs.jsonl``): does a
fit that fails at one length succeed at a longer one, and does a chain that forms at one N
form at a larger one?

    python benchmarks/steps_per_seed.py results/lab/legendre_sign/runs.jsonl:est4 \\
        results/lab/legendre_steps/runs.jsonl:est4 --dataset legendre-translation --dim 21 \\
        --seeds 0 1 2 3 --out results/lab/legendre_steps/per_seed
    python benchmarks/steps_per_seed.py results/lab/legendre_steps/runs.jsonl:est4 \\
        results/lab/legendre_size/runs.jsonl:est4 --dataset legendre-translation --steps 12000 \\
        --out results/lab/legendre_size/per_seed

writes ``<out>.md`` (one row per seed, one column per schedule length or N, mean and fits
≥ 0.95 below, the census chain of each fit) and ``<out>.png`` (one line per seed).  Give
``--dim`` to compare lengths at one N, or ``--steps`` to compare N at one length.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from small_n_lab import read_runs, save_text  # noqa: E402


def collect(sources: list[str], dataset: str, dim: int | None = None, seeds=None,
            steps: int | None = None) -> dict[tuple[int, int], dict]:
    """{(seed, x): fit} of ``dataset`` from ``FILE:SETTING`` sources, where x is the schedule
    length at N = ``dim``, or N at ``steps`` steps (give exactly one of the two).  A (seed, x)
    pair found twice is an error: two fits of one arm cannot both be shown."""
    if (dim is None) == (steps is None):
        raise SystemExit("give exactly one of dim (compare lengths) and steps (compare N)")
    fits: dict[tuple[int, int], dict] = {}
    for src in sources:
        path, _, setting = src.rpartition(":")
        if not path or not setting:
            raise SystemExit(f"source must be FILE:SETTING, got {src!r}")
        for r in read_runs(Path(path)):
            if (r["setting"], r["dataset"]) != (setting, dataset) or (dim is not None and r["dim"] != dim) \
                    or (steps is not None and r["steps"] != steps):
                continue
            if seeds is not None and r["seed"] not in seeds:
                continue
            key = (r["seed"], r["steps"] if dim is not None else r["dim"])
            if key in fits:
                what = f"{key[1]} steps" if dim is not None else f"N = {key[1]}"
                raise SystemExit(f"seed {key[0]} at {what} is saved twice ({src})")
            fits[key] = r
    if not fits:
        where = f"N = {dim}" if dim is not None else f"{steps} steps"
        raise SystemExit(f"no fit of {dataset} at {where} in {sources}")
    return fits


def table(fits: dict[tuple[int, int], dict], target: float = 0.95, across: str = "steps") -> str:
    """Markdown: one row per seed, one column per x (``across``: ``"steps"`` or ``"N"``)."""
    seeds = sorted({s for s, _ in fits})
    lengths = sorted({n for _, n in fits})
    head = "| seed | " + " | ".join(f"{n} steps" if across == "steps" else f"N = {n}" for n in lengths) + " |"
    lines = [head, "|---|" + "---|" * len(lengths)]
    for s in seeds:
        cells = [f"{fits[s, n]['cos']:.3f} `{fits[s, n]['census_chain']}`" if (s, n) in fits else "–" for n in lengths]
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    means, hits = [], []
    for n in lengths:
        c = np.array([fits[s, n]["cos"] for s in seeds if (s, n) in fits])
        means.append(f"{c.mean():.3f} ({len(c)} fits)")
        hits.append(str(int((c >= target).sum())))
    lines.append("| mean | " + " | ".join(means) + " |")
    lines.append(f"| ≥ {target} | " + " | ".join(hits) + " |")
    gits = sorted({f["provenance"]["git"] for f in fits.values()})
    lines += ["", f"Cell: final cosine similarity and the learned chain in the hidden basis "
              f"(`symlens.analysis.defect_census`). Code of the fits: {', '.join(gits)}."]
    return "\n".join(lines) + "\n"


def plot(fits: dict[tuple[int, int], dict], path: Path, title: str, across: str = "steps") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seeds = sorted({s for s, _ in fits})
    lengths = sorted({n for _, n in fits})
    fig, ax = plt.subplots(figsize=(6.3, 3.8), dpi=150)
    for i, s in enumerate(seeds):
        xs = [n for n in lengths if (s, n) in fits]
        ax.plot(xs, [fits[s, n]["cos"] for n in xs], "o-", color=f"C{i}", lw=1.2, ms=4, label=f"seed {s}")
    mean = [np.mean([fits[s, n]["cos"] for s in seeds if (s, n) in fits]) for n in lengths]
    ax.plot(lengths, mean, "k--", lw=2, label="mean")
    ax.axhline(0.95, color="0.5", ls=":", lw=1)
    if across == "steps":
        ax.set_xscale("log")
        ax.set_xticks(lengths, [f"{n:,}".replace(",", " ") for n in lengths])
        ax.minorticks_off()
        ax.set_xlabel("training steps (log scale)")
    else:
        ax.set_xticks(lengths, [str(n) for n in lengths])
        ax.set_xlabel("N (pixels)")
    ax.set_ylabel("final cosine similarity")
    ax.set_ylim(0, 1.02)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))  # outside: lines end anywhere
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sources", nargs="+", metavar="FILE:SETTING")
    p.add_argument("--dataset", required=True)
    p.add_argument("--dim", type=int, help="compare schedule lengths at this N")
    p.add_argument("--steps", type=int, help="compare N at this schedule length")
    p.add_argument("--seeds", type=int, nargs="*")
    p.add_argument("--title", default="")
    p.add_argument("--out", type=Path, required=True, help="path stem: writes <out>.md and <out>.png")
    a = p.parse_args(argv)
    fits = collect(a.sources, a.dataset, a.dim, a.seeds, steps=a.steps)
    across = "steps" if a.dim is not None else "N"
    save_text(table(fits, across=across), a.out.with_suffix(".md"))
    default = (f"{a.dataset}, N = {a.dim}: final cos against steps" if across == "steps"
               else f"{a.dataset}, {a.steps} steps: final cos against N")
    plot(fits, a.out.with_suffix(".png"), a.title or default, across=across)


if __name__ == "__main__":
    main()
