"""The paired notebooks: .py and .ipynb in sync, parameters cell, stored outputs, house rules.

Executing the notebooks is nbval's job (``make test-notebooks``); these checks are static and
take a second.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NB_DIR = REPO / "notebooks"
PY = sorted(NB_DIR.glob("[0-9][0-9]_*.py"))
IPYNB = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = ["01_data_model", "02_method", "03_accuracy", "04_dynamics", "05_reconstruction",
            "06_appendix_checks", "07_claims_ledger"]


def _cells(path: Path):
    nb = jupytext.read(path)
    return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]


def test_all_notebooks_are_paired():
    assert [p.stem for p in PY] == EXPECTED
    assert [p.stem for p in IPYNB] == EXPECTED


@pytest.mark.parametrize("py", PY, ids=lambda p: p.stem)
def test_pair_in_sync(py):
    """Same cells (type, source, tags) in the .py (source of truth) and the .ipynb."""
    ipynb = py.with_suffix(".ipynb")
    a, b = _cells(py), _cells(ipynb)
    assert len(a) == len(b), f"{py.name}: {len(a)} cells vs {len(b)} in {ipynb.name}; run `make sync`"
    for i, (ca, cb) in enumerate(zip(a, b)):
        assert ca == cb, f"cell {i} differs between {py.name} and {ipynb.name}; run `make sync`"
    fmt = jupytext.read(ipynb).metadata.get("jupytext", {}).get("formats", "")
    assert "py:percent" in fmt and "ipynb" in fmt


@pytest.mark.parametrize("py", PY, ids=lambda p: p.stem)
def test_parameters_cell_has_plain_defaults(py):
    nb = jupytext.read(py)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    tree = ast.parse(tagged[0].source)
    values = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, "only plain assignments"
        values[node.targets[0].id] = ast.literal_eval(node.value)
    # the three every notebook takes from `make reproduce`, and the extras a notebook documents
    extras = {"03_accuracy": {"recipe": "symlens"}}.get(py.stem, {})
    assert values == {"profile": "smoke", "seed": 0, "device": "auto", **extras}
    # the parameters cell comes before any code cell
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code is tagged[0]


@pytest.mark.parametrize("ipynb", IPYNB, ids=lambda p: p.stem)
def test_ipynb_is_executed_without_errors(ipynb):
    nb = nbformat.read(ipynb, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "run `make notebooks` to store outputs"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "cells were executed out of order"
    for c in code:
        for o in c.get("outputs", []):
            assert o.output_type != "error", f"stored error output: {o.get('ename')}"
            assert "Traceback" not in o.get("text", "")
    assert code[-1].outputs, "the final assertion cell prints what it checked"


@pytest.mark.parametrize("py", PY, ids=lambda p: p.stem)
def test_house_rules(py):
    src = py.read_text()
    nb = jupytext.read(py)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    # symlens only: no model code, no optimisers, no training loops in the notebooks
    assert not re.search(r"^\s*class\s", src, re.M)
    assert "torch.optim" not in src and "nn.Module" not in src
    assert "progress=True" not in src
    # results are resolved from the repository root, never from the working directory
    assert "os.getcwd" not in src and "Path.cwd" not in src
    assert "results.notebook_dir(profile, NAME)" in src
    assert f'NAME = "{py.stem}"' in src
    # a cell that trains (or may train) a model has non-deterministic output: not compared
    for cell in code:
        if re.search(r"results\.load_or_(run|fit)\(", cell):
            assert cell.lstrip().startswith("# NBVAL_IGNORE_OUTPUT"), cell[:200]
    # the last cell is a cell of assertions
    assert "assert " in code[-1]


def test_sanitize_file_is_valid():
    cfg = (NB_DIR / "nbval_sanitize.cfg").read_text()
    sections = re.findall(r"^\[(.+)\]$", cfg, re.M)
    assert sections
    for regex in re.findall(r"^regex:\s*(.+)$", cfg, re.M):
        re.compile(regex)
