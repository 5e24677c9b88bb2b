"""Make every Sphinx warning fail the Jupyter Book build.

Jupyter Book 1.x exposes Sphinx's "warnings are errors" switch only as a command-line flag
(``jupyter-book build -W``); no ``_config.yml`` key sets it.  This extension, loaded through
``sphinx: local_extensions`` in ``_config.yml``, gives the plain ``jupyter-book build book/``
the behaviour of ``-W --keep-going``: every warning is still printed, and a build that
printed any warning ends with a non-zero exit status.

It relies on Sphinx 7 (JB 1.0.x requires ``sphinx~=7.0``): the application counts the
warnings it prints in ``app._warncount``, and JB1 exits with ``app.statuscode``.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _fail_if_warned(app: Sphinx, exception: Exception | None) -> None:
    count = getattr(app, "_warncount", 0)
    if exception is None and count:
        logger.info("fail_on_warnings: %d warning(s) printed; the build fails.", count)
        app.statuscode = 1


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", _fail_if_warned)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
