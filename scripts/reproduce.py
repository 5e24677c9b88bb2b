#!/usr/bin/env python
"""Run the companion notebooks: reproduce a profile, or refresh the stored outputs.

    python scripts/reproduce.py run --profile smoke      # = make reproduce PROFILE=smoke
    python scripts/reproduce.py run --profile cpu --only 03 04
    python scripts/reproduce.py store                    # = make notebooks
    python scripts/reproduce.py sync                     # = make sync

``run``   executes each ``notebooks/NN_topic.ipynb`` with papermill (``-p profile P -p seed S
          -p device D``) into ``results/<P>/<NN_topic>/<NN_topic>.ipynb``, next to the
          metrics, arrays and figures the notebook saves there, and writes the wall time of
          every notebook to ``results/<P>/reproduce.json``.  Notebooks run in order, so 04-07
          reuse the runs 03 trained.
``store`` re-creates every ``.ipynb`` from its ``.py`` (the source of truth), executes it at
          the smoke profile with nbclient (no timing metadata) and writes the outputs into the
          ``.ipynb``, which is what nbval compares against and what the book shows.  The
          results of that execution go to a temporary folder (``SYMLENS_RESULTS_DIR``), so
          ``results/`` is untouched.
``sync``  rewrites each ``.ipynb``'s cells from its ``.py`` keeping stored outputs where
          the code did not change (``jupytext --sync`` semantics, .py wins).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"


def _notebooks(only: list[str] | None) -> list[Path]:
    pys = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    if only:
        pys = [p for p in pys if any(p.stem.startswith(o) for o in only)]
        if not pys:
            raise SystemExit(f"no notebook matches {only}")
    return pys


def _read_py(py: Path):
    import jupytext

    nb = jupytext.read(py)
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    return nb


def _in_sync(py: Path, ipynb: Path) -> bool:
    """Same cells (type and source) in the .py and the .ipynb."""
    import jupytext

    if not ipynb.exists():
        return False
    a, b = jupytext.read(py), jupytext.read(ipynb)
    return [(c.cell_type, c.source) for c in a.cells] == [(c.cell_type, c.source) for c in b.cells]


def _results_root() -> Path:
    env = os.environ.get("SYMLENS_RESULTS_DIR")
    return Path(env).resolve() if env else REPO / "results"


def cmd_run(args) -> int:
    import papermill as pm

    os.environ.setdefault("GIT_OPTIONAL_LOCKS", "0")
    root = _results_root() / args.profile
    root.mkdir(parents=True, exist_ok=True)
    record_path = root / "reproduce.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    record.setdefault("notebooks", {})
    failures = []
    for py in _notebooks(args.only):
        ipynb = py.with_suffix(".ipynb")
        if not _in_sync(py, ipynb):
            print(f"[reproduce] {ipynb.name} is missing or its cells differ from {py.name}: "
                  "run `make sync` (or `make notebooks`) first", file=sys.stderr)
            return 2
        out_dir = root / py.stem
        out_dir.mkdir(parents=True, exist_ok=True)
        print(f"[reproduce] {py.stem} (profile {args.profile}) ...", flush=True)
        t0 = time.perf_counter()
        status = "ok"
        try:
            pm.execute_notebook(
                str(ipynb), str(out_dir / ipynb.name),
                parameters={"profile": args.profile, "seed": args.seed, "device": args.device},
                kernel_name="python3", cwd=str(NOTEBOOKS), progress_bar=False,
            )
        except Exception as exc:  # papermill raises PapermillExecutionError with the traceback
            status = f"failed: {type(exc).__name__}"
            failures.append((py.stem, exc))
        wall = time.perf_counter() - t0
        print(f"[reproduce] {py.stem}: {status} in {wall:.1f} s", flush=True)
        record["notebooks"][py.stem] = {"wall_time_s": round(wall, 1), "status": status}
        if status != "ok" and not args.keep_going:
            break
    record.update(profile=args.profile, seed=args.seed, device=args.device,
                  python=platform.python_version(), machine=platform.machine(),
                  cpu_count=os.cpu_count(),
                  date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    record_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    for name, exc in failures:
        print(f"[reproduce] {name} FAILED:\n{exc}", file=sys.stderr)
    return 1 if failures else 0


def cmd_sync(args) -> int:
    import jupytext
    import nbformat

    for py in _notebooks(args.only):
        ipynb = py.with_suffix(".ipynb")
        nb = _read_py(py)
        if ipynb.exists():
            old = nbformat.read(ipynb, as_version=4)
            # keep outputs of code cells whose source did not change (jupytext's combine)
            from jupytext.combine import combine_inputs_with_outputs

            nb = combine_inputs_with_outputs(nb, old, fmt="py:percent")
        jupytext.write(nb, ipynb)
        print(f"[sync] {py.name} -> {ipynb.name}")
    return 0


def cmd_store(args) -> int:
    import jupytext
    from nbclient import NotebookClient

    os.environ.setdefault("GIT_OPTIONAL_LOCKS", "0")
    with tempfile.TemporaryDirectory(prefix="symlens-store-") as tmp:
        os.environ["SYMLENS_RESULTS_DIR"] = args.results_dir or tmp
        for py in _notebooks(args.only):
            nb = _read_py(py)
            t0 = time.perf_counter()
            NotebookClient(nb, timeout=args.timeout, kernel_name="python3", record_timing=False,
                           resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
            for cell in nb.cells:  # nbclient leaves an empty execution dict behind
                cell.metadata.pop("execution", None)
            jupytext.write(nb, py.with_suffix(".ipynb"))
            print(f"[store] {py.stem}: executed in {time.perf_counter() - t0:.1f} s", flush=True)
    return 0


def use_this_checkout() -> None:
    """Make the notebook kernels (child processes) import symlens from this checkout: with a
    second checkout (a git worktree) and the package installed editable from the first, a
    kernel would otherwise import the other checkout's code and write into its results/."""
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), *[p for p in paths if Path(p).resolve() != REPO]])


def main(argv=None) -> int:
    use_this_checkout()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="papermill every notebook into results/<profile>/")
    r.add_argument("--profile", default="smoke", choices=["smoke", "cpu", "paper"])
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--device", default="auto")
    r.add_argument("--only", nargs="*", help="notebook prefixes, e.g. 03 04")
    r.add_argument("--keep-going", action="store_true", help="run the next notebooks after a failure")
    s = sub.add_parser("store", help="execute the paired notebooks in place at the smoke profile")
    s.add_argument("--only", nargs="*")
    s.add_argument("--timeout", type=int, default=3600, help="per-cell timeout in seconds")
    s.add_argument("--results-dir", help="keep the results of this execution here (default: a temp dir)")
    y = sub.add_parser("sync", help="update each .ipynb from its .py, keeping unchanged outputs")
    y.add_argument("--only", nargs="*")
    args = p.parse_args(argv)
    return {"run": cmd_run, "store": cmd_store, "sync": cmd_sync}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
