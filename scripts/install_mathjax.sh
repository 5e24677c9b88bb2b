#!/usr/bin/env bash
# Copies the part of MathJax 2 that the book uses (TeX input, CommonHTML output and its fast preview, the web
# fonts) from Debian's libjs-mathjax into book/_mathjax/mathjax/, so that the built pages
# typeset their formulas without a network connection.  _config.yml points Sphinx's
# `mathjax_path` at that copy.  book/_mathjax/ is not committed (.gitignore);
# scripts/setup.sh runs this script.
#   MATHJAX_SRC=/path/to/MathJax-2.7 bash scripts/install_mathjax.sh   # another copy of MathJax 2
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="${MATHJAX_SRC:-/usr/share/javascript/mathjax}"
if [ ! -f "$SRC/MathJax.js" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get install -y -qq libjs-mathjax >/dev/null 2>&1 \
            || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libjs-mathjax >/dev/null; }
    fi
fi
if [ ! -f "$SRC/MathJax.js" ]; then
    echo "error: no MathJax 2 at $SRC (Debian: apt-get install libjs-mathjax, or set MATHJAX_SRC)" >&2
    exit 1
fi
DEST=book/_mathjax/mathjax
rm -rf "$DEST"
for part in MathJax.js config/TeX-AMS_CHTML.js extensions jax/input/TeX jax/output/CommonHTML jax/output/PreviewHTML jax/element \
            localization/en fonts/HTML-CSS/TeX/woff; do
    mkdir -p "$DEST/$(dirname "$part")"
    cp -rL "$SRC/$part" "$DEST/$part"      # -L: Debian links the fonts from fonts-mathjax
done
echo "MathJax $(grep -o 'MathJax.version="[^"]*"' "$DEST/MathJax.js" | head -1) copied to $DEST ($(du -sh "$DEST" | cut -f1))"
