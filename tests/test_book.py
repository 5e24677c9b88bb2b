r"""The Jupyter Book builds without a warning, and every built page works in a real browser.

The book is built into a temporary folder (``--path-output``), so the repository is left as
it was.  The pages are then served from a localhost ``http.server`` and opened one by one in
headless Chromium, driven over the DevTools protocol through a pipe (no extra Python
package, no chromedriver).  For each page the test checks that:

- it loads with HTTP 200 and has a title;
- every ``<img>`` on it has loaded (``complete && naturalWidth > 0``);
- every internal link, stylesheet and script (same origin; links that are only
  ``#anchors`` are skipped) points to a file that exists in the built site;
- every formula is typeset by the book's local MathJax (each ``math`` element holds a
  rendered ``.MathJax_CHTML`` and no MathJax error), and no raw TeX delimiter (``\(``,
  ``\[``, ``$$``) is left in the visible text outside code;
- no table is wider than the page's article column in a 1 280 px window (it would scroll
  sideways; ``book/_css/tables.css`` lets wide tables wrap).

Chromium cannot resolve any host but localhost here (``--host-resolver-rules``), so the test
makes no network request, and a page that needs an outside image fails it.  The browser part
is skipped, with the reason given, only when no Chromium is installed; CI installs Debian's
``chromium`` package.
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"

# What Sphinx, docutils and Jupyter Book print for a problem (colour codes removed first).
_PROBLEM = re.compile(
    r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b|Warning, treated as error|Validation errors in config"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_REDIRECT = re.compile(r'http-equiv="Refresh"\s+content="\d+;\s*url=([^"]+)"', re.IGNORECASE)

PAGE_TIMEOUT_S = 30.0
#: The browser window's width: every table must fit the page at this width without scrolling.
PAGE_WIDTH_PX = 1280


@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    """Build the book exactly as ``jupyter-book build book/`` does, into a temporary folder.

    Returns (completed process, combined output without colour codes, html folder).
    """
    out = tmp_path_factory.mktemp("book")
    repo_build = BOOK / "_build"
    had_build = repo_build.exists()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")
    # Same interpreter as the tests, so the book is built with the environment under test.
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
           "build", "book/", "--path-output", str(out)]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    log = _ANSI.sub("", proc.stdout + proc.stderr)
    if not had_build:
        assert not repo_build.exists(), "the test build wrote into book/_build of the repository"
    return proc, log, out / "_build" / "html"


def test_book_builds_without_warnings(built_book):
    proc, log, html = built_book
    assert proc.returncode == 0, f"jupyter-book build failed ({proc.returncode}):\n{log[-6000:]}"
    problems = [line for line in log.splitlines() if _PROBLEM.search(line)]
    assert not problems, "the book build printed warnings:\n" + "\n".join(problems)
    assert (html / "index.html").is_file()


def test_every_toc_entry_has_a_page(built_book):
    _, _, html = built_book
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf8"))
    files = [toc["root"]] + list(_toc_files(toc.get("parts", []) + toc.get("chapters", [])))
    missing = [f for f in files if not (html / f"{Path(f).with_suffix('')}.html").is_file()]
    assert not missing, f"TOC entries without a built page: {missing}"


def _toc_files(entries):
    for entry in entries:
        if "file" in entry:
            yield entry["file"]
        for key in ("chapters", "sections", "parts"):
            yield from _toc_files(entry.get(key, []))


# --------------------------------------------------------------------------------------------
# Browser checks


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def site(built_book):
    """Serve the built html folder on a free localhost port; yields the base URL."""
    _, _, html = built_book
    if not (html / "index.html").is_file():
        pytest.fail("the book did not build; see test_book_builds_without_warnings")
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _Browser:
    """Headless Chromium driven over the DevTools protocol on fds 3/4 (--remote-debugging-pipe).

    Messages are JSON objects terminated by a NUL byte.  Only command replies are used;
    events are read and dropped.
    """

    FLAGS = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--remote-debugging-pipe",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        # the width the issue asks the tables to fit
        f"--window-size={PAGE_WIDTH_PX},900",
    ]

    def __init__(self, binary: str, profile_dir: Path, log_path: Path):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds():  # runs in the child: commands on fd 3, replies on fd 4
            # Move both ends out of the way first, so that neither dup2 clobbers the other.
            r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, *self.FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=wire_fds, pass_fds=(3, 4),  # fds are closed after preexec_fn
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._replies: queue.Queue = queue.Queue()
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.send(
            "Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def _read(self):
        buf = b""
        with os.fdopen(self._from_browser, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                buf += chunk
                *messages, buf = buf.split(b"\0")
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._replies.put(message)
        self._replies.put(None)  # the browser went away

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = PAGE_TIMEOUT_S) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._replies.get(timeout=max(deadline - time.monotonic(), 0.01))
            if reply is None:
                raise RuntimeError(f"Chromium exited while waiting for {method}")
            if reply["id"] == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {
            "expression": expression, "returnByValue": True, "awaitPromise": True,
        }, session=self._session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        nav = self.send("Page.navigate", {"url": url}, session=self._session)
        if nav.get("errorText"):
            raise AssertionError(f"{url}: navigation failed: {nav['errorText']}")
        deadline = time.monotonic() + PAGE_TIMEOUT_S
        check = f"location.href === {json.dumps(url)} && document.readyState === 'complete'"
        while not self.evaluate(check):
            if time.monotonic() > deadline:
                raise AssertionError(f"{url}: did not finish loading in {PAGE_TIMEOUT_S:.0f} s")
            time.sleep(0.05)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        self._log.close()


# Collected in the page once it has loaded.  Lazy images are switched to eager and awaited
# (at most 10 s), so an image below the fold is checked too.
_INSPECT = r"""
(async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(img => { if (img.loading === 'lazy') img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done); img.addEventListener('error', done);
    setTimeout(done, 10000);
  })));
  // Formulas: Sphinx writes each as a span/div.math holding \\(...\\) or \\[...\\]; MathJax
  // replaces the text by a rendered .MathJax_CHTML.  Wait for all of them (at most 20 s).
  const maths = () => Array.from(document.querySelectorAll('span.math, div.math'));
  const typeset = el => el.querySelector('.MathJax_CHTML') !== null;
  const t0 = Date.now();
  while (maths().some(el => !typeset(el)) && Date.now() - t0 < 20000) {
    await new Promise(done => setTimeout(done, 100));
  }
  const visible = document.body.cloneNode(true);
  visible.querySelectorAll('pre, code, script, style, .MathJax_Preview').forEach(el => el.remove());
  const text = visible.textContent;
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    status: nav ? nav.responseStatus : null,
    title: document.title.trim(),
    images: imgs.map(img => ({src: img.currentSrc || img.src,
                              ok: img.complete && img.naturalWidth > 0})),
    links: Array.from(document.querySelectorAll('a[href]'))
      .filter(a => !a.getAttribute('href').startsWith('#')).map(a => a.href),
    mathjax: typeof window.MathJax === 'object' && window.MathJax.version ? window.MathJax.version : null,
    formulas: maths().length,
    untypeset: maths().filter(el => !typeset(el)).map(el => el.textContent.slice(0, 80)),
    math_errors: Array.from(document.querySelectorAll('.MathJax_CHTML merror, .mjx-merror, .MathJax_Error'))
      .map(el => el.textContent.slice(0, 80)),
    raw_delimiters: ['\\(', '\\[', '$$'].filter(d => text.includes(d))
      .map(d => d + ' in "' + text.slice(Math.max(0, text.indexOf(d) - 40), text.indexOf(d) + 40)
      .replace(/\s+/g, ' ') + '"'),
    // a table that scrolls sideways: wider than the nearest box that has a width
    wide_tables: Array.from(document.querySelectorAll('.bd-article table')).map(t => {
      let box = t.parentElement;
      while (box && box.clientWidth === 0) box = box.parentElement;
      const head = t.querySelector('th');
      return {width: t.scrollWidth, room: box ? box.clientWidth : 0,
              head: head ? head.textContent.trim().slice(0, 40) : ''};
    }).filter(t => t.width > t.room + 1),
    resources: [
      ...Array.from(document.querySelectorAll('link[href]')).map(l => l.href),
      ...Array.from(document.querySelectorAll('script[src]')).map(s => s.src),
    ],
  };
})()
"""


def _target_file(html: Path, url: str) -> Path:
    """The file in the built site that a same-origin URL refers to."""
    path = unquote(urlsplit(url).path).lstrip("/")
    target = html / path
    return target / "index.html" if path == "" or path.endswith("/") else target


def test_pages_in_headless_chromium(built_book, site, tmp_path):
    binary = _chromium()
    if binary is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium), "
                    "so the built pages were not checked in a browser")
    _, _, html = built_book
    pages = sorted(p for p in html.rglob("*.html")
                   if p.relative_to(html).parts[0] not in ("_static", "_sources"))
    assert pages, "no html pages were built"

    failures: list[str] = []
    n_formulas = 0
    browser = _Browser(binary, tmp_path / "chromium-profile", tmp_path / "chromium.log")
    try:
        for page in pages:
            rel = page.relative_to(html).as_posix()
            text = page.read_text(encoding="utf8", errors="replace")
            redirect = _REDIRECT.search(text)
            if redirect and "<title>" not in text:
                # JB's index.html only forwards to the root page, which is checked itself.
                if not (page.parent / redirect.group(1)).is_file():
                    failures.append(f"{rel}: redirects to missing {redirect.group(1)}")
                continue
            url = site + rel
            try:
                browser.open(url)
                info = browser.evaluate(_INSPECT)
            except AssertionError as exc:
                failures.append(str(exc))
                continue
            if info["status"] != 200:
                failures.append(f"{rel}: HTTP status {info['status']}")
            if not info["title"]:
                failures.append(f"{rel}: page has no title")
            for img in info["images"]:
                if not img["ok"]:
                    failures.append(f"{rel}: image did not load: {img['src']}")
            if info["formulas"] and not info["mathjax"]:
                failures.append(f"{rel}: {info['formulas']} formulas but MathJax did not load")
            for tex in info["untypeset"]:
                failures.append(f"{rel}: formula not typeset: {tex}")
            for tex in info["math_errors"]:
                failures.append(f"{rel}: MathJax error in a formula: {tex}")
            for raw in info["raw_delimiters"]:
                failures.append(f"{rel}: raw TeX delimiter left in the text: {raw}")
            for t in info["wide_tables"]:
                failures.append(f"{rel}: a table is {t['width']} px wide in a {t['room']} px column at "
                                f"{PAGE_WIDTH_PX} px (first header {t['head']!r})")
            n_formulas += info["formulas"]
            for link in set(info["links"]) | set(info["resources"]):
                if link.startswith(site) and not _target_file(html, link).is_file():
                    failures.append(f"{rel}: internal link to a missing file: {link}")
    finally:
        browser.close()
    assert not failures, "\n".join(failures)
    assert n_formulas > 50, f"only {n_formulas} formulas in the whole book: is maths still rendered?"


def test_mathjax_is_served_locally(built_book):
    """The pages load MathJax from the site itself (book/_mathjax, installed by
    scripts/install_mathjax.sh), never from a CDN."""
    _, _, html = built_book
    assert (html / "_static" / "mathjax" / "MathJax.js").is_file(), \
        "no local MathJax in the built site: run scripts/install_mathjax.sh (scripts/setup.sh does)"
    pages = [p for p in html.rglob("*.html") if p.relative_to(html).parts[0] not in ("_static", "_sources")]
    with_maths = [p for p in pages if 'class="math' in p.read_text(encoding="utf8")]
    assert with_maths
    for page in with_maths:
        text = page.read_text(encoding="utf8")
        srcs = re.findall(r'<script[^>]*src="([^"]*[Mm]ath[Jj]ax[^"]*)"', text)
        assert srcs and all("://" not in s and "_static/mathjax/MathJax.js" in s for s in srcs), (page, srcs)
