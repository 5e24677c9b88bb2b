#!/usr/bin/env bash
# Installs everything symlens, its tests and its book need, on a fresh machine.
# torch is installed first and pinned: an unpinned torch on a machine without one pulls
# a multi-GB CUDA build, and 2.13.0 is the CPU build this project is developed against.
# (Elsewhere, take torch 2.13.0 from PyTorch's CPU wheel index before running this.)
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q --disable-pip-version-check "torch==2.13.0"
python -m pip install -q --disable-pip-version-check -e ".[test,book]"
# The browser test of the book needs Debian's Chromium.
if ! command -v chromium >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
    else
        echo "warning: chromium not found and apt-get unavailable; the browser test will be skipped" >&2
    fi
fi
# The book's formulas are typeset by a local MathJax (Debian's libjs-mathjax, copied into
# book/_mathjax/), so the pages need no network connection.
bash scripts/install_mathjax.sh
