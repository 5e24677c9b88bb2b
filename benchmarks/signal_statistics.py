"""Which property of a signal family goes with the laboratory's failures: width, sign, sparsity
or a weak covariance tail?  Statistics of the signals of each lab arm, in the hidden basis.

    python benchmarks/signal_statistics.py [--dim 21] [--samples 8192]
        [--out results/lab/legendre_sign/signals.md]

Per family (the signal models of the studies ``legendre_sign``, ``legendre_sparsity`` and
``whiten_seriation``), raw and partially whitened (``symlens.whitening.partial_whitening``, strength 0.1):

- pixel kurtosis: E[z⁴] of each standardised pixel, averaged over pixels (3 for a Gaussian; sparse
  pixels, mostly near zero with rare large values, score high);
- ρ d=1: mean correlation of neighbouring pixels;
- weak directions: how many covariance eigenvalues lie below 1 % of the largest (directions in
  which the data carry almost no signal, so the loss says little about what G does there);
- the laboratory's est4 fits of that family, where they exist: mean cos at τ = 0.3 and at the
  end, and weak links per fit (census ``.``: the chain never resolved there).

No training; seconds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from neighbour_correlation import lag_correlations  # noqa: E402
from small_n_lab import code_version, read_runs, save_text  # noqa: E402
from symlens.whitening import partial_whitening  # noqa: E402

#: (family label, dataset, DataConfig overrides, (study, setting) of its est4 fits at N = 21)
FAMILIES = (
    ("Gaussian bumps, Table 1 (σ 0.5–2.5)", "gaussian-translation", {}, ("seriation", "est4")),
    ("Gaussian bumps, wide (σ 1.7–4.2)", "gaussian-translation", {"scale_range": (1.7, 4.2)},
     ("legendre_sign", "est4-wide")),
    ("Legendre bumps, Table 1", "legendre-translation", {}, ("legendre_sign", "est4")),
    ("Legendre bumps, one sign (degree (1, 1))", "legendre-translation", {"legendre_degrees": ((1, 1),)},
     ("legendre_sign", "est4-l11")),
    ("Legendre bumps, five times rarer (p_exist 0.1)", "legendre-translation", {"p_exist": 0.1},
     ("legendre_sparsity", "est4-sparse")),
)


def pixel_statistics(S) -> dict:
    """Mean pixel kurtosis, mean neighbour correlation and the number of covariance eigenvalues
    below 1 % of the largest, of signals S (n, N) in pixel order."""
    S = np.asarray(S, np.float64)
    if S.ndim != 2 or S.shape[0] < 3 or S.shape[1] < 2:
        raise ValueError(f"S must be (n, N) with n >= 3 and N >= 2, got {S.shape}")
    Sc = S - S.mean(0)
    z = Sc / Sc.std(0)
    lam = np.linalg.eigvalsh(Sc.T @ Sc / len(Sc))
    return {"kurtosis": float(np.mean((z**4).mean(0))),
            "rho1": float(lag_correlations(S, 1)[0]),
            "weak": int(np.sum(lam < 0.01 * lam.max()))}


def lab_fits(study: str, setting: str, dataset: str, dim: int, tau: float = 0.3) -> dict:
    """The saved lab fits of (study, setting, dataset) at N = dim: their number, mean final cos,
    mean cos at the first logged τ >= ``tau`` and mean number of weak links (census ``.``)."""
    path = REPO / "results" / "lab" / study / "runs.jsonl"
    rows = read_runs(path) if path.exists() else []
    rows = [r for r in rows if r["setting"] == setting and r["dataset"] == dataset and r["dim"] == dim]
    if not rows:
        return {"fits": 0, "cos": float("nan"), "cos_tau": float("nan"), "weak_links": float("nan")}
    early = [r["curve"]["cos"][int(np.searchsorted(r["curve"]["tau"], tau))] for r in rows]
    return {"fits": len(rows), "cos": float(np.mean([r["cos"] for r in rows])),
            "cos_tau": float(np.mean(early)), "weak_links": float(np.mean([r["census_weak"] for r in rows]))}


def main(argv=None) -> None:
    from symlens.data import make_dataset
    from symlens.plotting import markdown_table

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dim", type=int, default=21)
    p.add_argument("--samples", type=int, default=8192)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--whiten", type=float, default=0.1)
    p.add_argument("--out", default=str(REPO / "results" / "lab" / "legendre_sign" / "signals.md"))
    a = p.parse_args(argv)
    rows = []
    for label, name, data, (study, setting) in FAMILIES:
        S = make_dataset(name, a.samples, dim=a.dim, seed=a.seed, **data).signals
        raw = pixel_statistics(S)
        white = pixel_statistics(S @ partial_whitening(S, a.whiten).T)
        lab = lab_fits(study, setting, name, a.dim)
        rows.append({"signals": label, "pixel kurtosis": raw["kurtosis"], "ρ d=1": raw["rho1"],
                     "weak directions": raw["weak"], f"kurtosis, whitened {a.whiten}": white["kurtosis"],
                     f"ρ d=1, whitened": white["rho1"], "weak, whitened": white["weak"],
                     "est4 cos at τ 0.3": lab["cos_tau"], "est4 mean cos": lab["cos"],
                     "weak links per fit": lab["weak_links"], "fits": lab["fits"]})
    note = (f"\n{a.samples} samples per family (data seed {a.seed}), N = {a.dim}, signals in the hidden pixel "
            f"basis. Weak directions: covariance eigenvalues below 1 % of the largest (of {a.dim}). Whitened: x -> "
            f"(C + {a.whiten}·mean eig(C)·I)^(-1/2) x. est4: the laboratory's fits (N = {a.dim}, "
            f"3 000 steps) of that family in `results/lab/<study>/runs.jsonl`. Table by "
            f"`benchmarks/signal_statistics.py` at {code_version()['git']}.\n")
    save_text(markdown_table(rows, digits=2) + "\n" + note, a.out)


if __name__ == "__main__":
    main()
