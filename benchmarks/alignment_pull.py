"""Does the alignment term pull the true pixels apart, and does the objective follow?
(No training; a diagnostic that reads the hidden basis.)

    python benchmarks/alignment_pull.py --datasets legendre-translation --out results/lab/alignment_pull

Starting from the true pixels (the rows of Qᵀ, one hidden pixel each, in the true order),
gradient ascent on the orthogonal group raises the alignment of eq. 9, the mean Pearson
correlation of neighbouring components of y = U x̃, on the training data.  For an exact
chain with a delta filter the lift *is* U, so the ascent walks through chains the model can
represent.  Along the path U(t) = exp(t S) Qᵀ (S skew, the ascent's end point) the
covariance eigenvalues of y never change: the information term and the joint part of the
resolution term (eqs. 11-12) are constant at every τ, and only the alignment, the
uniformity (reg1 + reg2) and the mean marginal entropy move.

Each point of the path is scored by the held-out model loss at τ = 1 with estimators refitted
(:func:`symlens.objective.lift_objective`, as ``objective_check.py`` scores candidates), with
several estimator seeds for the noise.  Writes ``rows.json`` (one row per dataset, t and
estimator seed), ``table.md`` and ``pull.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from small_n_lab import code_version, lab_dataset  # noqa: E402

TERMS = ("total", "alignment", "reg1", "reg2", "marginal_entropy", "joint_entropy")


def neighbour_pearson(Y):
    """Mean Pearson correlation of neighbouring columns of the tensor Y (B, N): minus eq. 9's alignment."""
    Y = Y - Y.mean(0)
    Y = Y / Y.norm(dim=0)
    return (Y[:, :-1] * Y[:, 1:]).sum(0).mean()


def ascent(U0, X, steps: int, lr: float, seed: int) -> np.ndarray:
    """The skew S (N, N) whose rotation exp(S) U0 locally maximises the neighbour correlation
    of X U0ᵀ exp(S)ᵀ, by Adam on the unconstrained half of S.  U0: (N, N) orthonormal rows;
    X: (n, N) standardised data."""
    import torch

    U0 = torch.as_tensor(U0, dtype=torch.float64)
    X = torch.as_tensor(X, dtype=torch.float64)
    N = U0.shape[0]
    g = torch.Generator().manual_seed(seed)
    A = (1e-3 * torch.randn(N, N, generator=g, dtype=torch.float64)).requires_grad_()
    opt = torch.optim.Adam([A], lr=lr)
    for _ in range(steps):
        loss = -neighbour_pearson(X @ (torch.linalg.matrix_exp(A - A.T) @ U0).T)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (A - A.T).detach().numpy()


def main(argv=None) -> int:
    import torch
    from scipy.linalg import expm

    from symlens.analysis import standardized
    from symlens.config import get_profile
    from symlens.metrics import generator_cosine_similarity
    from symlens.objective import lift_objective
    from symlens.seriation import chain_generator

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dim", type=int, default=33)
    p.add_argument("--datasets", nargs="+", default=["gaussian-translation", "legendre-translation"])
    p.add_argument("--ts", type=float, nargs="+", default=[0.0, 0.1, 0.25, 0.5, 0.75, 1.0])
    p.add_argument("--estimator-seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--estimator-steps", type=int, default=400)
    p.add_argument("--ascent-steps", type=int, default=400)
    p.add_argument("--ascent-lr", type=float, default=0.005)
    p.add_argument("--slot", type=int, default=62)
    p.add_argument("--hidden-factor", type=int, default=8)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    if any(not 0.0 <= t for t in args.ts):
        raise SystemExit("--ts must be non-negative fractions of the path")
    torch.set_flush_denormal(True)
    N = args.dim
    args.out.mkdir(parents=True, exist_ok=True)
    rows_path = args.out / "rows.json"
    rows = json.loads(rows_path.read_text()) if rows_path.exists() else []
    done = {(r["dataset"], r["t"], r["estimator_seed"]) for r in rows}
    code = code_version()
    for dataset in args.datasets:
        if all((dataset, t, seed) in done for t in args.ts for seed in args.estimator_seeds):
            continue
        train = lab_dataset(dataset, args.slot * N * 20, N, seed=0)
        held = lab_dataset(dataset, args.slot * N * 4, N, seed=1_000_003)
        cfg = get_profile("cpu", recipe="symlens", batch_size=args.slot * N, hidden=args.hidden_factor * N)
        P = cfg.resolved_padding(N)
        Q = np.asarray(train.transform, np.float64)
        U0 = Q.T.copy()
        Xs = standardized(train.X, cfg.centring)
        Xh = torch.as_tensor(standardized(held.X, cfg.centring))
        t0 = time.perf_counter()
        S = ascent(U0, Xs, args.ascent_steps, args.ascent_lr, seed=0)
        ascent_s = time.perf_counter() - t0
        for t in args.ts:
            U = expm(t * S) @ U0
            G = chain_generator(U, P)[0][P:P + N, P:P + N]
            point = {"dataset": dataset, "t": t, "N": N,
                     "sharpness": float(np.abs(U @ Q).max(axis=1).mean()),
                     "neighbour_rho_held_out": float(neighbour_pearson(Xh @ torch.as_tensor(U).T)),
                     "cos": max(generator_cosine_similarity(G, train.generator),
                                generator_cosine_similarity(G.T, train.generator)),
                     "ascent_seconds": ascent_s}
            for seed in args.estimator_seeds:
                if (dataset, t, seed) in done:
                    continue
                t1 = time.perf_counter()
                terms = lift_objective(U, train.X, held.X, cfg, tau=1.0, estimator_steps=args.estimator_steps,
                                       seed=seed)
                rows.append({**point, "estimator_seed": seed, **{k: terms[k] for k in TERMS},
                             "estimator": terms["estimator"], "seconds": time.perf_counter() - t1, **code,
                             "torch": torch.__version__, "estimator_steps": args.estimator_steps})
                rows_path.write_text(json.dumps(rows, indent=1))
                print(f"{dataset:>22} t {t:.2f} seed {seed}: sharpness {point['sharpness']:.2f} "
                      f"cos {point['cos']:.3f} total {terms['total']:+.3f} align {terms['alignment']:+.3f} "
                      f"reg1+reg2 {terms['reg1'] + terms['reg2']:.3f} marg {terms['marginal_entropy']:+.3f}",
                      flush=True)
    write(rows, args.out, get_profile("cpu", recipe="symlens").loss)
    return 0


def _means(rows, dataset):
    ts = sorted({r["t"] for r in rows if r["dataset"] == dataset})
    out = []
    for t in ts:
        g = [r for r in rows if r["dataset"] == dataset and r["t"] == t]
        m = {k: float(np.mean([r[k] for r in g])) for k in (*TERMS, "reg1", "reg2")}
        m["unif"] = m["reg1"] + m["reg2"]
        m["spread"] = float(np.ptp([r["total"] for r in g])) if len(g) > 1 else float("nan")
        out.append({"t": t, "sharpness": g[0]["sharpness"], "cos": g[0]["cos"],
                    "rho": g[0]["neighbour_rho_held_out"], "seeds": len(g), **m})
    return out


def write(rows, out: Path, loss) -> None:
    """``table.md`` (means over estimator seeds, weighted changes from t = 0) and ``pull.png``."""
    means = {d: _means(rows, d) for d in sorted({r["dataset"] for r in rows})}
    lines = ["| dataset | t | sharpness | cos | ρ | Δ total | spread | Δ α·align | Δ β·unif | Δ γ·H |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for d, m in means.items():
        base = m[0]
        for r in m:
            lines.append(
                f"| {d} | {r['t']:.2f} | {r['sharpness']:.2f} | {r['cos']:.3f} | {r['rho']:.3f} | "
                f"{r['total'] - base['total']:+.3f} | {r['spread']:.3f} | "
                f"{loss.alpha * (r['alignment'] - base['alignment']):+.3f} | "
                f"{loss.beta * loss.uniformity_scale * (r['unif'] - base['unif']):+.3f} | "
                f"{loss.gamma * (r['marginal_entropy'] - base['marginal_entropy']):+.3f} |")
    sha = sorted({r["git"] for r in rows})
    lines += ["", f"N = {rows[0]['N']}; ρ: mean neighbour correlation on held-out data; Δ: change of the held-out "
              f"model loss at τ = 1 from the pixels (t = 0), estimators refitted ({rows[0]['estimator_steps']} steps), "
              f"mean over estimator seeds; *spread*: the estimator seeds' range of the total; unif: reg1 + reg2; "
              f"H: the mean marginal entropy. "
              f"Weights α = {loss.alpha}, β = {loss.beta} × {loss.uniformity_scale}, γ = {loss.gamma}; "
              f"the information and joint-entropy terms are constant along the path. "
              f"Rows by `benchmarks/alignment_pull.py` at {', '.join(sha)}."]
    (out / "table.md").write_text("\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(means), figsize=(5.2 * len(means), 4.2), squeeze=False)
    for ax, (d, m) in zip(axes[0], means.items()):
        t = [r["t"] for r in m]
        base = m[0]
        ax.plot(t, [r["total"] - base["total"] for r in m], "k-o", label="total")
        ax.plot(t, [loss.alpha * (r["alignment"] - base["alignment"]) for r in m], "-s", label="α · alignment")
        ax.plot(t, [loss.beta * loss.uniformity_scale * (r["unif"] - base["unif"]) for r in m], "-^", label="β · (reg1 + reg2)")
        ax.plot(t, [loss.gamma * (r["marginal_entropy"] - base["marginal_entropy"]) for r in m], "-v",
                label="γ · marginal entropy")
        ax.axhline(0, color="0.6", lw=0.8)
        ax.set_xlabel("t along the alignment-ascent path (0 = the true pixels)")
        ax.set_ylabel("change in held-out loss from the pixels")
        ax.set_title(d, fontsize=11)
        sec = ax.twiny()
        sec.set_xlim(ax.get_xlim())
        sec.set_xticks(t)
        sec.set_xticklabels([f"{r['sharpness']:.2f}" for r in m], fontsize=7)
        sec.set_xlabel("sharpness of the basis", fontsize=8)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "pull.png", dpi=150)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
