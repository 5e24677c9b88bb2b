"""Where the notebooks keep their results, and fitting-or-reusing a saved experiment.

Layout (conventions, "Results and the book")::

    results/<profile>/<NN_topic>/            metrics.json, arrays.npz, figures/*.png,
                                             and <NN_topic>.ipynb (the papermill run)
    results/<profile>/03_accuracy/runs/<dataset>/seed<k>/
                                             one :func:`~symlens.experiment.run_experiment`
    results/<profile>/03_accuracy/runs-<recipe>/<dataset>/seed<k>/
                                             the same with a recipe of
                                             :data:`symlens.config.RECIPES` other than the
                                             faithful method (e.g. ``runs-symlens``)

Paths are resolved from the repository root, never from the working directory (nbval and
papermill start kernels in different folders).  The environment variable
``SYMLENS_RESULTS_DIR`` moves the whole ``results/`` tree elsewhere; the notebook tests use
it so that running them does not rewrite the committed results.

Notebooks 04-07 reuse the runs that 03 saved when their configuration matches the current
profile, and otherwise train them with exactly the same call, so a notebook gives the same
numbers whether it runs alone or after 03.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .config import RECIPES, LensConfig, get_profile
from .data import Dataset, make_dataset
from .experiment import EVAL_SEED_OFFSET, held_out_dataset, run_experiment, run_many
from .io import load_run, repo_root

__all__ = [
    "RESULTS_ENV",
    "EVAL_SEED_OFFSET",
    "results_root",
    "notebook_dir",
    "run_dir",
    "saved_run_matches",
    "load_or_run",
    "load_or_run_many",
    "load_or_fit",
    "training_dataset",
    "evaluation_dataset",
    "describe_provenance",
    "PROFILE_ORDER",
    "evidence_roots",
    "best_saved",
    "saved_restarts",
    "comparable_config",
]

RESULTS_ENV = "SYMLENS_RESULTS_DIR"

# symlens.io records the git commit by calling git; it must not take git's optional index
# lock while someone else commits in the same checkout.
os.environ.setdefault("GIT_OPTIONAL_LOCKS", "0")


def results_root() -> Path:
    """``$SYMLENS_RESULTS_DIR`` if set, else ``<repo root>/results``."""
    env = os.environ.get(RESULTS_ENV)
    return Path(env).expanduser().resolve() if env else repo_root() / "results"


def notebook_dir(profile: str, name: str) -> Path:
    """``results/<profile>/<name>/`` (created)."""
    d = results_root() / profile / name
    d.mkdir(parents=True, exist_ok=True)
    return d


def run_dir(profile: str, dataset: str, seed: int, recipe: str | None = None) -> Path:
    """Folder of one saved experiment: ``results/<profile>/03_accuracy/runs/<dataset>/seed<k>``,
    or ``runs-<recipe>/`` for a recipe other than the faithful method (None or "faithful")."""
    if recipe is not None and recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {sorted(RECIPES)}")
    runs = "runs" if recipe in (None, "faithful") else f"runs-{recipe}"
    return results_root() / profile / "03_accuracy" / runs / dataset / f"seed{int(seed)}"


def _plain(v):
    return json.loads(json.dumps(v))


def saved_config(d: dict | None) -> LensConfig | None:
    """A saved run's configuration with every option filled in: a run saved before an option
    existed ran with its default, the faithful setting.  None when ``d`` is no whole config."""
    try:
        return LensConfig.from_dict(d or {})
    except (TypeError, KeyError, ValueError):
        return None


def saved_run_matches(directory, dataset: str, profile: str, seed: int, *, dim: int = 33, **overrides) -> bool:
    """True when ``directory`` holds a finished run of this dataset, profile, seed and the
    current configuration of the profile at data dimension ``dim`` (so a stale run from
    older settings is not reused)."""
    path = Path(directory) / "metrics.json"
    if not path.exists() or not (Path(directory) / "arrays.npz").exists():
        return False
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    prov = saved.get("provenance") or {}
    cfg = get_profile(profile, **overrides)
    saved_cfg = saved_config(saved.get("config"))
    if saved_cfg is None:
        return False
    return (
        prov.get("profile") == profile
        and prov.get("seed") == int(seed)
        and prov.get("dataset") == dataset
        and _plain(saved_cfg.to_dict()) == _plain(cfg.for_dim(dim).to_dict())
        and saved.get("metrics", {}).get("steps") == cfg.fit_steps
    )


def load_or_run(
    dataset: str,
    profile: str,
    seed: int = 0,
    device: str = "auto",
    directory=None,
    retrain: bool = False,
    resume: bool = False,
    **overrides,
) -> dict:
    """The saved run of (dataset, profile, seed), training and saving it first if needed.

    directory : default :func:`run_dir` (of ``overrides["recipe"]`` when one is given).
    retrain : train even if a matching run is saved.
    resume : continue from the run's checkpoint when one exists (long profiles).
    Returns :func:`symlens.io.load_run`'s dict (``metrics``, ``config``, ``provenance``,
    ``arrays``) plus ``dir`` and ``reused`` (True when nothing was trained).  The result is
    always read back from disk, so a reused and a fresh run give identical arrays.
    """


    d = Path(directory) if directory is not None else run_dir(profile, dataset, seed, overrides.get("recipe"))
    reused = not retrain and saved_run_matches(d, dataset, profile, seed, **overrides)
    if not reused:
        can_resume = resume and (d / "checkpoint" / "checkpoint.pt").exists()
        run_experiment(dataset, profile, seed, out=d, device=device, resume=can_resume,
                       progress=False, **overrides)
    return _loaded(d, reused)


def load_or_run_many(
    pairs,
    profile: str,
    device: str = "auto",
    retrain: bool = False,
    **overrides,
) -> dict:
    """:func:`load_or_run` for many (dataset, seed) pairs, training the missing ones together
    in one batched computation (:func:`symlens.experiment.run_many`): the way to fill a
    Table 2 on a GPU.  Batched runs keep no checkpoint.  Returns {(dataset, seed): run}.
    """
    pairs = [(str(d), int(k)) for d, k in pairs]
    where = lambda d, k: run_dir(profile, d, k, overrides.get("recipe"))  # noqa: E731
    todo = [(d, k) for d, k in pairs
            if retrain or not saved_run_matches(where(d, k), d, profile, k, **overrides)]
    if todo:
        run_many(todo, profile, out=where(*todo[0]).parent.parent, device=device, progress=False, **overrides)
    return {(d, k): _loaded(where(d, k), (d, k) not in todo) for d, k in pairs}


def _loaded(directory: Path, reused: bool) -> dict:
    """A saved run read back from disk, with ``dir`` and ``reused`` added."""
    out = load_run(directory)
    out["dir"] = directory
    out["reused"] = reused
    return out


def training_dataset(run: dict) -> Dataset:
    """Regenerate the training set of a saved run (same name, size and data seed)."""
    cfg = run["config"]
    prov = run["provenance"]
    return make_dataset(prov["dataset"], cfg["n_batches"] * cfg["batch_size"], seed=prov["seed"])


def evaluation_dataset(dataset: str, seed: int, n_samples: int) -> Dataset:
    """Held-out samples of ``dataset`` (data seed ``EVAL_SEED_OFFSET + seed``)."""
    return held_out_dataset(dataset, n_samples, seed)


#: Profiles from the least to the most faithful: where several have saved results, the book
#: and the claims ledger show the most faithful one ("best evidence").
PROFILE_ORDER = ("smoke", "cpu", "fast", "paper")


def evidence_roots() -> list[Path]:
    """The results trees that hold evidence, in order of preference: :func:`results_root`
    (this session's results, e.g. nbval's temporary folder) and the committed ``results/``."""
    roots = [results_root(), (repo_root() / "results").resolve()]
    return [r for i, r in enumerate(roots) if r not in roots[:i]]


def _profile_rank(profile: str) -> int:
    return PROFILE_ORDER.index(profile) if profile in PROFILE_ORDER else -1


def best_saved(name: str) -> tuple[str, Path] | None:
    """``(profile, folder)`` of the most faithful profile (:data:`PROFILE_ORDER`) that has a
    saved ``<profile>/<name>/metrics.json`` in one of :func:`evidence_roots` (the first root
    wins between equal profiles), or None when no profile has one."""
    found = []
    for i, root in enumerate(evidence_roots()):
        for m in root.glob(f"*/{name}/metrics.json"):
            if m.parent.parent.name in PROFILE_ORDER:
                found.append((_profile_rank(m.parent.parent.name), -i, m.parent))
    if not found:
        return None
    _, _, folder = max(found, key=lambda t: (t[0], t[1]))
    return folder.parent.name, folder


def comparable_config(d: dict | None):
    """A saved configuration in the form to compare with another: every option filled in
    (:func:`saved_config`), so that a run saved before an option existed equals a later run that
    carries the option at its default; a dict that is no whole config (e.g. a hand-made one)
    compares as saved."""
    full = saved_config(d) if d else None
    return _plain(d) if full is None else _plain(full.to_dict())


def saved_restarts(root, profile: str, configs: dict, keep: dict | None = None) -> dict:
    """Every saved single run under ``<root>/<profile>/`` whose dataset is a key of ``configs``
    and whose configuration equals ``configs[dataset]`` once both have every option filled in
    (:func:`comparable_config`): restarts with other seeds, wherever they were saved, as
    ``{dataset: {seed: cosine similarity}}``.

    ``keep`` (the same form, e.g. the Table 2 runs) is the starting point: where a seed has
    several such runs (a Table 2 run and a rerun of it, which the fused step made another
    draw), the one in ``keep`` stays, else the first in path order."""
    want = {ds: comparable_config(c) for ds, c in configs.items()}
    out: dict = {ds: {int(s): float(c) for s, c in seeds.items()} for ds, seeds in (keep or {}).items()}
    for path in sorted((Path(root) / profile).glob("**/metrics.json")):
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        prov, m = saved.get("provenance") or {}, saved.get("metrics") or {}
        ds = prov.get("dataset")
        if ds in want and "cosine_similarity" in m and comparable_config(saved.get("config")) == want[ds]:
            out.setdefault(ds, {}).setdefault(int(prov["seed"]), float(m["cosine_similarity"]))
    return out


def describe_provenance(prov: dict) -> str:
    """One line naming where a result came from, for the notebooks' text."""
    keys = ("profile", "variant", "seed", "device", "hardware", "git", "torch", "date")
    return ", ".join(f"{k} {prov[k]}" for k in keys if prov.get(k) is not None)


def load_or_fit(data: Dataset, profile: str, seed: int, directory, device: str = "auto",
                retrain: bool = False, **overrides) -> dict:
    """Like :func:`load_or_run` for a dataset given as an object (e.g. one made with a custom
    ``transform``), saved to ``directory`` with the same files as ``run_experiment``.

    A saved run is reused only if its profile, seed, configuration and data transform match.
    """
    import numpy as np

    d = Path(directory)
    reused = False
    if not retrain and saved_run_matches(d, data.name, profile, seed, dim=data.X.shape[1], **overrides):
        saved = load_run(d)
        reused = np.array_equal(saved["arrays"].get("transform"), data.transform)
    if not reused:
        n = get_profile(profile, **overrides).for_dim(data.X.shape[1]).training_samples
        if data.X.shape[0] != n:
            raise ValueError(f"data has {data.X.shape[0]} samples; profile {profile!r} trains on {n}")
        run_experiment(data, profile, seed, out=d, device=device, progress=False, **overrides)
    return _loaded(d, reused)
