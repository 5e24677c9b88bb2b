"""pytest set-up for the notebook tests (nbval): the notebooks' results go to a temporary folder.

Each notebook saves its run with ``symlens.results`` under ``$SYMLENS_RESULTS_DIR`` (default:
the committed ``results/``).  When nbval executes the notebooks, typed as plainly as
``pytest --nbval notebooks/``, that would rewrite the committed ``results/smoke/``.  So, unless
``SYMLENS_RESULTS_DIR`` is already set (``make test-notebooks`` sets it) or
``SYMLENS_WRITE_RESULTS=1`` asks for the committed folder, this file points
``SYMLENS_RESULTS_DIR`` at a fresh temporary folder for the whole session, before nbval starts
any kernel (kernels inherit the environment), and removes it at the end.  Notebooks 04-07
then reuse the runs that 03 saved in that folder, as they would in ``results/``.

This file is not a notebook: the notebooks are the ``NN_topic.py`` / ``.ipynb`` pairs.
"""

from __future__ import annotations

import os
import shutil
import tempfile

_ENV = "SYMLENS_RESULTS_DIR"
_made: list[str] = []


def pytest_configure(config):
    os.environ.setdefault("GIT_OPTIONAL_LOCKS", "0")
    if os.environ.get(_ENV) or os.environ.get("SYMLENS_WRITE_RESULTS") == "1":
        return
    tmp = tempfile.mkdtemp(prefix="symlens-nbval-")
    _made.append(tmp)
    os.environ[_ENV] = tmp


def pytest_unconfigure(config):
    for tmp in _made:
        shutil.rmtree(tmp, ignore_errors=True)
        if os.environ.get(_ENV) == tmp:
            del os.environ[_ENV]
