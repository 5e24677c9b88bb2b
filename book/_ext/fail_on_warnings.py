"""Make every Sphinx warning fail the Jupyter Book build.

Jupyter Book 1.x exposes Sphinx's "warnings are errors" switch only as a command-line flag
(``jupyter-book build -W``); no ``_config.yml`` key sets it.  This extension, loaded through
``sphinx: local_extensions`` in ``_config.yml``, gives the plain ``jupyter-book build book/``
the behaviour of ``-W --keep-going``: every warning is still printed, and a build that
printed any warning ends with a non-zero exit status.

Jupyter Book's own check of ``_config.yml`` against its schema only prints a message box
outside Sphinx, so the extension repeats that check and reports each problem as a Sphinx
warning, which then fails the build too.

A failed build also deletes Sphinx's saved environment, as Sphinx does after an exception.
Otherwise the next build would re-read only changed pages, would not repeat the warnings
of the unchanged ones, and would pass.

It relies on Sphinx 7 (JB 1.0.x requires ``sphinx~=7.0``): the application counts the
warnings it prints in ``app._warncount``, and JB1 exits with ``app.statuscode``.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from jupyter_book.config import get_validator
from sphinx.application import ENV_PICKLE_FILENAME, Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _fail_if_warned(app: Sphinx, exception: Exception | None) -> None:
    count = getattr(app, "_warncount", 0)
    if exception is None and count:
        logger.info("fail_on_warnings: %d warning(s) printed; the build fails.", count)
        app.statuscode = 1
        Path(app.doctreedir, ENV_PICKLE_FILENAME).unlink(missing_ok=True)


def _check_book_config(app: Sphinx) -> None:
    path = Path(app.srcdir, "_config.yml")
    if path.is_file():
        config = yaml.safe_load(path.read_text(encoding="utf8")) or {}
        for error in get_validator().iter_errors(config):
            where = "/".join(str(p) for p in error.path)
            logger.warning("%s: %s [key path: '%s']", path, error.message, where)


def setup(app: Sphinx) -> dict:
    _check_book_config(app)
    app.connect("build-finished", _fail_if_warned)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
