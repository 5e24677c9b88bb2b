"""How the six datasets' pixels correlate with pixels d apart, in the hidden (pixel) basis.

    python benchmarks/neighbour_correlation.py [--samples 8192] [--max-lag 8]
        [--out results/lab/neighbour_correlation/table.md]

For each dataset it reports the Pearson correlation of the signal at pixel i with pixel
i + d, averaged over i, for d = 1 .. max-lag, and the Gaussian mutual information
-½ log(1 - ρ²) of that mean correlation (what the seriation's path score sums,
``symlens.seriation.neighbour_information``; it cannot see the sign).  Why: a seriation
that gains little in path score lowered two Legendre fits at N = 33 but no Gaussian one, and
the Legendre bumps (eq. 25) change sign inside their support, so far pixels anti-correlate.
No training; seconds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from small_n_lab import code_version, save_text  # noqa: E402


def lag_correlations(S, max_lag: int) -> np.ndarray:
    """Mean Pearson correlation of columns i and i + d of S, for d = 1 .. max_lag.

    S: (n, N) signals in pixel order.  Returns (max_lag,) float64.
    """
    S = np.asarray(S, np.float64)
    if S.ndim != 2 or not 1 <= max_lag < S.shape[1]:
        raise ValueError(f"need S of shape (n, N) and 1 <= max_lag < N, got {S.shape} and {max_lag}")
    C = np.corrcoef(S, rowvar=False)
    return np.array([np.mean(np.diagonal(C, offset=d)) for d in range(1, max_lag + 1)])


def main(argv=None) -> None:
    from symlens.data import DATASET_NAMES, make_dataset
    from symlens.plotting import markdown_table

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=8192)
    p.add_argument("--max-lag", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(REPO / "results" / "lab" / "neighbour_correlation" / "table.md"))
    a = p.parse_args(argv)
    rows = []
    for name in DATASET_NAMES:
        ds = make_dataset(name, a.samples, seed=a.seed)
        rho = lag_correlations(ds.signals, a.max_lag)
        mi = -0.5 * np.log1p(-rho**2)
        rows.append({"dataset": name, **{f"ρ d={d}": rho[d - 1] for d in range(1, a.max_lag + 1)},
                     **{f"MI d={d}": mi[d - 1] for d in range(1, a.max_lag + 1)}})
    note = (f"\n{a.samples} samples per dataset (data seed {a.seed}), signals in the hidden pixel basis "
            f"(before any permutation or DST), N = {ds.signals.shape[1]}. ρ d: mean Pearson correlation of "
            f"pixels d apart; MI d: -½ log(1 - ρ²) of it. Table by `benchmarks/neighbour_correlation.py` "
            f"at {code_version()['git']}.\n")
    save_text(markdown_table(rows) + "\n" + note, a.out)


if __name__ == "__main__":
    main()
