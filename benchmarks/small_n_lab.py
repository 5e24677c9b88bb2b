"""The small-N laboratory: many short fits at N = 7-21, several seeds and settings at once,
each scored by its final and best cosine similarity and a defect census of the learned
generator (:func:`symlens.analysis.defect_census`).

    python benchmarks/small_n_lab.py --study centring --dim 15 --seeds 0 1 2 3 \\
        --datasets gaussian-translation gaussian-dst \\
        --setting faithful: --setting component:centring=component \\
        [--epochs 60 --steps-per-epoch 50] [--workers 2]

Each fit runs in its own process with one thread (``--workers`` processes side by side:
at these sizes two single-threaded fits on two cores beat one two-threaded fit).  Sizes
scale with N as in the ``cpu`` profile: batch ``--slot`` × N (samples per conditioning slot
of the masked estimator), hidden width ``--hidden-factor`` × N, padding N.  Everything else
is the ``--profile`` (default ``cpu``) with the setting's overrides.

Results go to ``results/lab/<study>/``: ``runs.jsonl`` (one line per fit, appended as fits
finish; a rerun skips fits already there, so a study can be extended or resumed),
``table.md`` (per setting and dataset: mean, min and max cos, fits ≥ 0.95, mean defects;
then every fit's chain), ``summary.md`` (the summary table alone, for the book) and
``cos.png``.  Datasets are the six named ones at dimension N, plus ``<signal>-haar``
(the signal behind a Haar-random orthogonal basis, seed 0) and ``<signal>-haar<k>``, where
the signal may also be one of the made-up families ``field`` and ``wave``, and
``<signal>-eigen`` (the signal written in the eigenbasis of its own covariance).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# The fits must run the symlens of this checkout, not whatever an editable install points
# at (a second worktree would otherwise train another tree's code under this one's commit).
sys.path.insert(0, str(REPO))


def _value(s: str):
    try:
        return json.loads(s)
    except json.JSONDecodeError:
        return s


def parse_setting(text: str) -> tuple[str, dict]:
    """``name:key=value,key=value`` -> (name, overrides)."""
    name, _, rest = text.partition(":")
    if not name:
        raise argparse.ArgumentTypeError(f"setting {text!r} needs a name before ':'")
    overrides = {}
    for item in filter(None, re.split(r",(?![^\[]*\])", rest)):  # commas inside [...] belong to a value
        key, eq, value = item.partition("=")
        if not eq:
            raise argparse.ArgumentTypeError(f"setting {text!r}: {item!r} is not key=value")
        overrides[key.strip()] = _value(value.strip())
    return name, overrides


#: Signal families made up for the laboratory (never in the paper, never tuned on): a smooth
#: stationary random field and windowed oscillations.  Both are windows of a process whose
#: statistics do not change under translation, so the shift is their symmetry too.
MADE_UP_SIGNALS = ("field", "wave")


def made_up_signals(kind: str, n: int, dim: int, rng: np.random.Generator, noise_std: float = 0.05) -> np.ndarray:
    """(n, dim) float32 samples of a made-up family, scaled to unit root-mean-square, plus noise.

    ``field``: a Gaussian process with squared-exponential covariance, amplitude A ~ U[0.5, 1.5]
    and length ℓ ~ U[1.5, 4] px drawn per sample (one of four lengths on a grid, for speed).
    ``wave``: A cos(ω (t - c) + φ) exp(-(t - c)² / 2w²), A ~ U[0.5, 1.5], ω ~ U[0.6, 1.4] rad/px,
    w ~ U[1.5, 3] px, c ~ U[-dim, dim], φ ~ U[0, 2π): a wave packet anywhere in or beyond the window.
    """
    t = np.arange(dim) - (dim - 1) / 2
    A = rng.uniform(0.5, 1.5, (n, 1))
    if kind == "field":
        lengths = np.array([1.5, 2.33, 3.17, 4.0])
        which = rng.integers(0, len(lengths), n)
        z = rng.standard_normal((n, dim))
        S = np.empty((n, dim))
        for k, ell in enumerate(lengths):
            cov = np.exp(-0.5 * ((t[:, None] - t[None, :]) / ell) ** 2) + 1e-6 * np.eye(dim)
            rows = which == k
            S[rows] = z[rows] @ np.linalg.cholesky(cov).T
        S *= A
    elif kind == "wave":
        omega, w = rng.uniform(0.6, 1.4, (n, 1)), rng.uniform(1.5, 3.0, (n, 1))
        c, phi = rng.uniform(-dim, dim, (n, 1)), rng.uniform(0, 2 * np.pi, (n, 1))
        S = A * np.cos(omega * (t - c) + phi) * np.exp(-0.5 * ((t - c) / w) ** 2)
    else:
        raise ValueError(f"unknown made-up signal {kind!r}; choose one of {MADE_UP_SIGNALS}")
    S = S / np.sqrt(np.mean(S**2))
    return (S + noise_std * rng.standard_normal(S.shape)).astype(np.float32)


def lab_dataset(name: str, n_samples: int, dim: int, seed: int, **data):
    """A named dataset at dimension ``dim``, or ``<signal>-haar[k]``: the signal behind a
    Haar-random orthogonal basis drawn with seed k (default 0), or ``<signal>-eigen``: the
    signal written in the eigenbasis of its covariance (Q = Uᵀ, U the eigenvectors of the
    covariance of 20 000 pilot samples of ``<signal>-translation``, data seed 424 242; the
    dst datasets are close to this basis, since the DST diagonalises a Toeplitz covariance
    nearly).  ``<signal>`` may also be one of :data:`MADE_UP_SIGNALS` (not with ``eigen``).  ``data``: :class:`symlens.data.DataConfig` overrides of the
    signal model (e.g. ``legendre_degrees``; not for the made-up families)."""
    from dataclasses import replace

    from symlens.analysis import random_orthogonal
    from symlens.data import make_dataset

    signal, _, kind = name.partition("-")
    if kind == "eigen":
        pilot = make_dataset(f"{signal}-translation", 20_000, dim=dim, seed=424_242, **data).signals
        pilot = pilot.astype(np.float64) - pilot.mean(0)
        U = np.linalg.eigh(pilot.T @ pilot / len(pilot))[1]
        return make_dataset(f"{signal}-translation", n_samples, dim=dim, seed=seed, transform=U.T, **data)
    if kind.startswith("haar"):
        q_seed = int(kind[4:] or 0)
        Q = random_orthogonal(dim, seed=10_000 + q_seed)
        if signal in MADE_UP_SIGNALS:
            if data:
                raise ValueError(f"data overrides {sorted(data)} do not apply to the made-up family {signal!r}")
            # the ground truth (Q, its conjugated shift) from a named dataset, new signals behind Q
            base = make_dataset("gaussian-translation", 64, dim=dim, seed=seed, transform=Q)
            S = made_up_signals(signal, n_samples, dim, np.random.default_rng([seed, 7]))
            return replace(base, name=name, signals=S, X=(S @ Q.T).astype(np.float32))
        return make_dataset(f"{signal}-translation", n_samples, dim=dim, seed=seed, transform=Q, **data)
    return make_dataset(name, n_samples, dim=dim, seed=seed, **data)


def code_version() -> dict:
    """The commit, and whether the code a lab fit runs (symlens/ and this script) differs
    from it."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    import symlens

    package_root = Path(symlens.__file__).resolve().parents[1]
    if package_root != REPO:
        raise RuntimeError(f"symlens is imported from {package_root}, not from this checkout {REPO}")
    sha = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "symlens", "benchmarks/small_n_lab.py")
    return {"git": sha + ("-dirty" if dirty else "")}


def save_text(text: str, path) -> None:
    """Print a generated table and write it to ``path`` (its folder made if need be)."""
    print(text)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def read_runs(path: Path) -> list[dict]:
    """The fits saved in a study's ``runs.jsonl``, one dict per line."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def oracle_filter(Q):
    """The filter that reads the middle pixel of the hidden basis, Q[:, (N-1)/2], (N,) unit
    norm: a diagnostic start for ψ (``--oracle-filter``), never a method."""
    import torch

    Q = np.asarray(Q, np.float64)
    return torch.as_tensor(Q[:, (Q.shape[0] - 1) // 2].copy(), dtype=torch.float32)


def fit_one(job: dict) -> dict:
    """Train one fit (in a worker process, one thread) and return its record."""
    import torch

    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    from symlens.analysis import defect_census, filter_peak_fraction, padding_diagonal
    from symlens.config import get_profile
    from symlens.io import processor_model
    from symlens.lens import SymmetryLens
    from symlens.metrics import generator_cosine_similarity
    from symlens.schedules import training_time
    from symlens.train import Trainer

    N = job["dim"]
    sizes = dict(batch_size=job["slot"] * N, hidden=job["hidden_factor"] * N, epochs=job["epochs"],
                 steps_per_epoch=job["steps_per_epoch"], log_every=job["log_every"], snapshot_every=0)
    # --whiten is LensConfig.whiten for every setting (kept as its own flag, as saved fits record it)
    whiten = {"whiten": job["whiten"]} if job.get("whiten") is not None else {}
    cfg = get_profile(job["profile"], **{**sizes, **job["overrides"], **whiten})
    data = lab_dataset(job["dataset"], cfg.training_samples, N, job["data_seed"], **job["data"])
    lens = SymmetryLens(cfg, seed=job["seed"], device="cpu", progress=False)
    scores = []
    t0 = time.perf_counter()
    if job.get("oracle_filter"):
        # a diagnostic that uses the truth: ψ starts at the hidden basis's middle pixel
        lens._trainer = Trainer(cfg, N, seed=job["seed"], device="cpu")
        with torch.no_grad():
            lens._trainer.system.model.filter.psi.copy_(oracle_filter(data.transform))
        lens.fit(data.X, true_generator=data.generator, resume=True)
    elif job.get("score_at"):
        # stop at each step, score the held-out loss there, go on: the same fit as one run through
        held = _held_out(job, 4 * cfg.batch_size)
        for i, step in enumerate(job["score_at"]):
            lens.fit(data.X, true_generator=data.generator, resume=i > 0, stop_at=step)
            tau = training_time(lens.trainer_.config, step - 1)
            scores.append({"step": step, "tau": round(tau, 4), "cos": generator_cosine_similarity(lens.generator_,
                                                                                                  data.generator),
                           "loss_now": float(lens.objective(held.X, tau=tau)["total"]),
                           "loss_1": held_out_total(lens, held)})
        lens.fit(data.X, true_generator=data.generator, resume=True)
    else:
        lens.fit(data.X, true_generator=data.generator)
    wall = time.perf_counter() - t0
    G = lens.generator_
    hist = lens.history_
    census = defect_census(G, data.transform)
    return {
        **{k: job[k] for k in ("study", "setting", "dataset", "seed", "data_seed", "dim")},
        "overrides": job["overrides"],
        **({"data": job["data"]} if job["data"] else {}),
        **({"whiten": job["whiten"]} if job.get("whiten") is not None else {}),
        **({"oracle_filter": True} if job.get("oracle_filter") else {}),
        # --score-at: held-out loss at the schedule's current τ and at τ = 1 along the way
        **({"scores": scores} if scores else {}),
        "cos": generator_cosine_similarity(G, data.generator),
        "best_cos": max(h["cosine_similarity"] for h in hist),
        **{f"census_{k}": v for k, v in census.items()},
        "padding_diagonal": padding_diagonal(lens.generator_full_, cfg.resolved_padding(N)),
        "final_losses": {k: hist[-1][k] for k in ("total", "alignment", "reg1", "reg2", "resolution",
                                                   "information")},
        "curve": {"step": [h["step"] for h in hist], "tau": [round(h["tau"], 4) for h in hist],
                  "cos": [round(h["cosine_similarity"], 4) for h in hist],
                  "offset": [round(h["filter_offset"], 2) for h in hist]},
        # where the filter sits: steps along G's chain from the middle (symlens.recentre), and
        # its peak in the hidden basis, in pixels from the middle
        "filter_offset": hist[-1]["filter_offset"],
        "filter_peak": filter_peak_fraction(lens.filter_, data.transform)["peak_index"] - (N - 1) // 2,
        "generator": np.round(G, 5).tolist(),
        "generator_full": np.round(lens.generator_full_, 6).tolist(),
        "held_out_total": held_out_total(lens, _held_out(job, 4 * cfg.batch_size)),
        "filter": np.round(lens.filter_, 5).tolist(),
        "seriations": lens.trainer_.seriations,  # seriate_tau: when, whether it changed the chain, scores
        "end_snap": lens.trainer_.end_snap,  # snap_end: agreement, whether it changed G, cos before and after
        "steps": lens.n_steps_,
        "seconds": wall,
        "config": {k: v for k, v in cfg.to_dict().items() if k not in ("log_every", "checkpoint_every")},
        "provenance": {**job["code"], "torch": torch.__version__, "threads": 1,
                       "hardware": platform.processor() or platform.machine(), "device": "cpu",
                       "processor": processor_model(),
                       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
    }


def _held_out(job: dict, n: int):
    """Held-out samples of the fit's dataset (the lens whitens them as it whitened its training set)."""
    return lab_dataset(job["dataset"], n, job["dim"], 1_000_003 + job["data_seed"], **job["data"])


def held_out_total(lens, data) -> float:
    """The model loss at τ = 1 on held-out samples with the fit's own final estimators: the
    criterion a best-of-k restart can use (it never looks at the true generator)."""
    return float(lens.objective(data.X)["total"])


def _mean_of(rows: list[dict], key: str) -> float:
    vals = [r[key] for r in rows if r.get(key) is not None and np.isfinite(r[key])]
    return float(np.mean(vals)) if vals else float("nan")


def arm_label(r: dict, rows: list[dict]) -> str:
    """The fit's setting name, with its schedule length when the study ran that setting at
    more than one length (e.g. ``est4, 6000 steps``), so the arms stay apart."""
    lengths = {q["steps"] for q in rows if q["setting"] == r["setting"]}
    return f"{r['setting']}, {r['steps']} steps" if len(lengths) > 1 else r["setting"]


def summarise(rows: list[dict]) -> list[dict]:
    """One line per (setting, schedule length, dataset): fits, mean cos and its range, fits
    ≥ 0.95, mean walls and defects (seconds per fit are in each fit's line of table.md)."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((arm_label(r, rows), r["dataset"], r["dim"]), []).append(r)
    out = []
    for (setting, dataset, dim), rs in groups.items():
        cos = np.array([r["cos"] for r in rs])
        offsets = [abs(r["filter_offset"]) for r in rs if "filter_offset" in r]
        out.append({
            "setting": setting, "dataset": dataset, "N": dim, "fits": len(rs),
            "mean cos": float(cos.mean()), "cos range": f"{cos.min():.3f}–{cos.max():.3f}",
            "≥ 0.95": int((cos >= 0.95).sum()),
            "walls": float(np.mean([r["census_walls"] for r in rs])),
            "defects": float(np.mean([r["census_defects"] for r in rs])),
            # fits saved before these were recorded lack them: shown as nan
            "exit w": _mean_of(rs, "census_exit_weight"),
            "pad diag": _mean_of(rs, "padding_diagonal"),
            "|offset|": float(np.mean(offsets)) if offsets else float("nan"),
        })
    return out


def restarts_table(rows: list[dict]) -> str | None:
    """Markdown: one column per training set (setting, dataset, N, data seed) that several
    start seeds trained on, one row per start (final cos / held-out loss at τ = 1), and the
    start the lowest held-out loss keeps (what best-of-k restarts would keep; the truth is
    only reported).  None when no training set has more than one start."""
    sets = {}
    for r in rows:
        key = (r["setting"], r["dataset"], r["dim"], r.get("data_seed", r["seed"]))
        sets.setdefault(key, {})[r["seed"]] = r
    sets = dict(sorted((k, v) for k, v in sets.items() if len(v) > 1))
    if not sets:
        return None
    several = len({k[:3] for k in sets}) > 1
    names = [(f"{s} {d} N={n} " if several else "") + f"set {ds}" for s, d, n, ds in sets]
    lines = ["| start | " + " | ".join(names) + " |", "|---|" + "---|" * len(sets)]
    for start in sorted({seed for fits in sets.values() for seed in fits}):
        lines.append(f"| {start} | " + " | ".join(
            f"{fits[start]['cos']:.3f} / {fits[start]['held_out_total']:+.3f}" if start in fits else ""
            for fits in sets.values()) + " |")
    kept = [min(fits.values(), key=lambda r: r["held_out_total"]) for fits in sets.values()]
    lines.append("| kept by the loss | " + " | ".join(f"{r['cos']:.3f} (start {r['seed']})" for r in kept) + " |")
    lines.append("| best | " + " | ".join(f"{max(r['cos'] for r in fits.values()):.3f}" for fits in sets.values())
                 + " |")
    # --score-at fits: where the start that ends best ranks by the held-out loss along the way
    steps = sorted({p["step"] for fits in sets.values() for r in fits.values() for p in r.get("scores", [])})
    for step in steps:
        cells = []
        for fits in sets.values():
            at = {s: next((p for p in r.get("scores", []) if p["step"] == step), None) for s, r in fits.items()}
            if any(p is None for p in at.values()):
                cells.append("")
                continue
            best = max(fits, key=lambda s: fits[s]["cos"])
            ranks = [1 + sum(at[o][key] < at[best][key] for o in fits) for key in ("loss_now", "loss_1")]
            cells.append(f"{ranks[0]} / {ranks[1]}")
        tau = next(p["tau"] for fits in sets.values() for r in fits.values() for p in r.get("scores", [])
                   if p["step"] == step)
        lines.append(f"| rank of the best at step {step} (τ {tau:.2f}) | " + " | ".join(cells) + " |")
    where = ""
    if not several:
        setting, dataset, dim, _ = next(iter(sets))
        where = f"{setting}, {dataset}, N = {dim}; "
    ranks = (" Rank of the best: where the start that ends with the highest cos ranks by the held-out loss at "
             "that step (1 = lowest), at the schedule's τ then / at τ = 1." if steps else "")
    return "\n".join(lines) + (f"\n\n{where}each cell: final cos / held-out loss at τ = 1 (the lowest is kept)."
                               f"{ranks}\n")


def write_table(rows: list[dict], path: Path, header: str) -> None:
    summ = summarise(rows)
    cols = list(summ[0]) if summ else []
    lines = [header, "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for s in summ:
        lines.append("| " + " | ".join(f"{v:.2f}" if k in ("walls", "defects", "exit w", "pad diag", "|offset|") else f"{v:.3f}" if isinstance(v, float)
                                       else str(v) for k, v in s.items()) + " |")
    lines += ["", "Per fit (seed: final cos, chain of the learned generator in the hidden basis):", ""]
    for r in sorted(rows, key=lambda r: (r["setting"], r["dataset"], r["dim"], r["seed"])):
        data_seed = r.get("data_seed", r["seed"])
        seed = f"seed {r['seed']}" + (f" (data seed {data_seed})" if data_seed != r["seed"] else "")
        lines.append(f"- {r['setting']} / {r['dataset']} / N={r['dim']} / {seed}: "
                     f"cos {r['cos']:.3f} (best {r['best_cos']:.3f}), `{r['census_chain']}`, "
                     f"{r['steps']} steps, {r['seconds']:.0f} s, git {r['provenance']['git']}")
    path.write_text("\n".join(lines) + "\n")
    path.with_name("summary.md").write_text("\n".join(lines[2:4 + len(summ)]) + "\n")


def plot(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [arm_label(r, rows) for r in rows]
    settings = list(dict.fromkeys(labels))
    datasets = list(dict.fromkeys(f"{r['dataset']} N={r['dim']}" for r in rows))
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(datasets) * max(1, len(settings)) / 2), 4), dpi=150)
    width = 0.8 / max(1, len(settings))
    for si, s in enumerate(settings):
        for di, d in enumerate(datasets):
            cs = [r["cos"] for r, lab in zip(rows, labels) if lab == s and f"{r['dataset']} N={r['dim']}" == d]
            if not cs:
                continue
            x = di + (si - (len(settings) - 1) / 2) * width
            ax.scatter(np.full(len(cs), x), cs, s=14, color=f"C{si}", label=s if di == 0 else None, zorder=3)
            ax.hlines(np.mean(cs), x - width / 2.5, x + width / 2.5, color=f"C{si}", lw=2)
    ax.axhline(0.95, color="0.5", ls=":", lw=1)
    ax.set_xticks(range(len(datasets)), datasets, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("final cosine similarity to the true generator")
    ax.set_ylim(min(0.0, min(r["cos"] for r in rows) - 0.05), 1.02)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--study", required=True, help="name of the study: results/lab/<study>/")
    p.add_argument("--dim", type=int, nargs="+", default=[15])
    p.add_argument("--datasets", nargs="+", default=["gaussian-translation"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    p.add_argument("--setting", type=parse_setting, action="append",
                   help="name:key=value,... (LensConfig or loss overrides); repeatable")
    p.add_argument("--profile", default="cpu")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--steps-per-epoch", type=int, default=50)
    p.add_argument("--slot", type=int, default=62, help="samples per conditioning slot: batch = slot x N")
    p.add_argument("--hidden-factor", type=int, default=8, help="estimator hidden width = factor x N")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--data-seed", type=int, default=None,
                   help="draw every fit's data with this seed instead of the fit's own seed (--seeds then "
                        "seeds the initialisation, noise and batch order only)")
    p.add_argument("--data", type=lambda text: parse_setting("data:" + text)[1], default={},
                   help="signal-model overrides for every dataset, key=value,... (DataConfig fields, "
                        "e.g. legendre_degrees=[[1,1]]); name the settings apart, since tables group fits "
                        "by setting")
    p.add_argument("--whiten", type=float, default=None,
                   help="partially whiten every fit's data, x -> (C + s·mean eig(C)·I)^(-1/2) x with s this "
                        "strength (0: fully), before the fit: LensConfig.whiten for every setting; name the settings apart")
    p.add_argument("--oracle-filter", action="store_true",
                   help="a diagnostic that uses the truth: every fit's filter ψ starts at the hidden basis's "
                        "middle pixel (freeze it with filter_lr_scale); name the settings apart")
    p.add_argument("--score-at", type=int, nargs="+", default=[],
                   help="stop each fit after these steps and score it on held-out samples (loss at the current τ "
                        "and at τ = 1, cos) before going on: the criteria early selection could use")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default=str(REPO / "results" / "lab"))
    p.add_argument("--title", default=None)
    args = p.parse_args(argv)
    settings = args.setting or [("faithful", {})]
    if args.score_at and args.oracle_filter:
        p.error("--score-at and --oracle-filter cannot be combined")
    if any(b <= a for a, b in zip(args.score_at, args.score_at[1:])) or any(
            s < 1 or s >= args.epochs * args.steps_per_epoch for s in args.score_at):
        p.error(f"--score-at must be increasing steps between 1 and {args.epochs * args.steps_per_epoch - 1}, "
                f"got {args.score_at}")

    out = Path(args.out) / args.study
    out.mkdir(parents=True, exist_ok=True)
    runs_path = out / "runs.jsonl"
    rows = read_runs(runs_path) if runs_path.exists() else []
    done = {(r["setting"], r["dataset"], r["seed"], r.get("data_seed", r["seed"]), r["dim"], r["steps"],
             json.dumps(r.get("data", {}), sort_keys=True), r.get("whiten")) for r in rows}
    data = args.data
    code = code_version()
    jobs = []
    for N in args.dim:
        for name, ov in settings:
            for d in args.datasets:
                for seed in args.seeds:
                    steps = args.epochs * args.steps_per_epoch
                    data_seed = seed if args.data_seed is None else args.data_seed
                    if (name, d, seed, data_seed, N, steps, json.dumps(data, sort_keys=True), args.whiten) in done:
                        continue
                    jobs.append(dict(study=args.study, setting=name, overrides=ov, dataset=d, seed=seed,
                                     data_seed=data_seed, dim=N, data=data, whiten=args.whiten,
                                     oracle_filter=args.oracle_filter, score_at=args.score_at,
                                     profile=args.profile, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
                                     slot=args.slot, hidden_factor=args.hidden_factor, log_every=args.log_every,
                                     code=code))
    print(f"{len(jobs)} fits to run ({len(rows)} already in {runs_path}), {args.workers} workers", flush=True)
    env_threads = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = {pool.submit(fit_one, j): j for j in jobs}
            for fut in as_completed(futures):
                r = fut.result()
                rows.append(r)
                with runs_path.open("a") as f:
                    f.write(json.dumps(r) + "\n")
                print(f"{r['setting']:>14} {r['dataset']:>22} N={r['dim']:>2} seed {r['seed']}: "
                      f"cos {r['cos']:.3f} (best {r['best_cos']:.3f}) {r['census_chain']} "
                      f"{r['seconds']:.0f} s", flush=True)
    finally:
        if env_threads is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = env_threads
    if rows:
        title = args.title or f"{args.study}: final cosine similarity per fit (mean as bar)"
        write_table(rows, out / "table.md", f"# Small-N study `{args.study}`\n\n{title}")
        plot(rows, out / "cos.png", title)
        restarts = restarts_table(rows)
        if restarts is not None:
            (out / "restarts.md").write_text(restarts)
        print((out / "table.md").read_text().split("\n\nPer fit")[0])


if __name__ == "__main__":
    sys.exit(main())
