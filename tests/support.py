"""What the browser tests and the benchmarks share: the browser, a static server, the built book.

One home for:

* the browser: Debian's chromium (``CHROMIUM``, overridable by the environment
  variable of that name) with one set of arguments, ``CHROMIUM_ARGS``, launched
  by ``launch_chromium`` through playwright (which never downloads a browser);
* ``StaticServer``: a folder served on a free port of 127.0.0.1 while a
  ``with`` block runs;
* the built book: ``book_html()`` (``_build/html``, or ``GDLIB_BOOK_HTML`` for
  another build), its pages in reading order (``PAGES``, from ``_toc.yml``) and
  the panels each shows (``PANEL_PAGES``, from ``gdlib.paper.panels``),
  the inline numbers a chapter's HTML prose shows (``html_numbers``) and
  ``missing_numbers`` to look for them in another rendering of the chapter.

Nothing here imports another test module, and nothing here needs pytest: the
fixtures made of these parts are in ``tests/conftest.py``; a benchmark imports
this module as ``tests.support`` (run it with ``python -m benchmarks.NAME`` from
the repository root). JupyterLab itself (its server and a notebook driven in
it) is ``tests/lab_harness.py``, which stands on nothing here either.
"""

import contextlib
import functools
import http.server
import json
import os
import re
import sys
import threading
from pathlib import Path

import yaml

from gdlib.paper import panels as book_panels

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import editions  # noqa: E402  (scripts/editions.py: how the editions read a notebook)

# ----------------------------------------------------------------------- the browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.contextmanager
def launch_chromium():
    """Debian's chromium, headless, for the ``with`` block (closed after it)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        raise FileNotFoundError(
            f"no browser at {CHROMIUM}: `apt-get install chromium` (or set CHROMIUM)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# ------------------------------------------------------------------ a static server

class StaticServer:
    """Serve ``root`` on a free port of 127.0.0.1 while the ``with`` block runs."""

    def __init__(self, root):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


# ------------------------------------------------------------------ the built book

def book_html():
    """The folder of the built book's HTML: ``GDLIB_BOOK_HTML``, else ``_build/html``.

    Raises FileNotFoundError naming the fix when it holds no ``index.html``.
    """
    html = Path(os.environ.get("GDLIB_BOOK_HTML", ROOT / "_build" / "html"))
    if not (html / "index.html").is_file():
        raise FileNotFoundError(f"{html / 'index.html'} does not exist: run `make book` first "
                                "(or point GDLIB_BOOK_HTML at a built book)")
    return html


def toc_files(entry):
    """The 'file' entries of a _toc.yml node, in reading order."""
    if isinstance(entry, list):
        return [f for item in entry for f in toc_files(item)]
    if not isinstance(entry, dict):
        return []
    files = [entry[key] for key in ("root", "file") if key in entry]
    for key in ("parts", "chapters", "sections"):
        files += toc_files(entry.get(key, []))
    return files


PAGES = toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text()))
PANEL_PAGES = {}            # page -> names of the panels gdlib.paper.panels puts there
for _name, _spec in book_panels.SPECS.items():
    PANEL_PAGES.setdefault(_spec.page, []).append(_name)
CHAPTER_FILES = {int(p.name[:2]): p
                 for p in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))}

# Sphinx writes typographic quotes into the HTML ("smartquotes"); the notebook has plain ones.
_PLAIN_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def plain(text):
    """``text`` with its whitespace collapsed and typographic quotes made plain."""
    return " ".join(text.translate(_PLAIN_QUOTES).split())


def missing_numbers(page_text, expected):
    """The strings of ``expected`` that ``page_text`` does not show as whole tokens.

    Whitespace is compared collapsed and typographic quotes as plain ones; "5" is not
    found inside "0.5" or "15", nor "0.97" inside "0.9707".
    """
    text = plain(page_text)
    missing = []
    for s in dict.fromkeys(plain(e) for e in expected):
        # token edges only where the string has them: ", so 5" may follow "0.00098"
        before = r"(?<![\w.,])" if s[:1].isalnum() else ""
        after = r"(?![\w]|[.,]\d)" if s[-1:].isalnum() else ""
        if not re.search(before + re.escape(s) + after, text):
            missing.append(s)
    return missing


# The values myst-nb pasted into the prose ({glue:text} spans, inline {eval} and {glue}
# outputs), each with the last words of the text just before it: "set has 60,000".
_HTML_NUMBERS_JS = r"""
() => [...document.querySelectorAll('main span.pasted-text, main span.output.text_plain')]
  .filter(s => !s.closest('.cell_output') && s.textContent.trim())
  .map(s => {
    const prev = s.previousSibling;
    const before = prev && prev.nodeType === Node.TEXT_NODE
        ? prev.textContent.replace(/\s+/g, ' ').split(' ').slice(-3).join(' ') : '';
    const of = s.closest('.solution')?.querySelector('a[href^="#ex-"]');
    const exercise = of ? of.getAttribute('href').slice(4).replace(/-/g, '.') : null;
    return [(before + s.textContent.trim()).trimStart(), exercise];
  })
"""


def html_numbers(browser, number, unsolved=()):
    """The inline values of chapter ``number``'s built HTML page with the words before them.

    Collapsed parts (solutions) count: a reader opens them; except the solutions of the
    exercises ``unsolved`` ("8.4"), whose runs a reader's Run All leaves to
    ``book.solve`` (the page says what to run in their place).
    """
    page_path = book_html() / "chapters" / (CHAPTER_FILES[number].stem + ".html")
    if not page_path.is_file():
        raise FileNotFoundError(f"{page_path} does not exist: run `make book` first")
    page = browser.new_page()
    try:
        page.goto(page_path.as_uri(), wait_until="load")
        return list(dict.fromkeys(text for text, exercise in page.evaluate(_HTML_NUMBERS_JS)
                                  if exercise not in unsolved))
    finally:
        page.close()


# --------------------------------------------------------------------- the editions' secrets

CHAPTER_NOTEBOOKS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def teacher_secrets(path):
    """Lines that only the teacher's edition may hold: answers, solution texts and cells.

    A line that students see anyway is no secret: one that a chapter's text, a hint or a
    visible cell shows, in any chapter, or that gdlib's source holds (students have
    gdlib, and the method chapters show its optimizers' code beside their equations).
    """
    secrets, _ = _split(path)
    # lines long enough to be the solution's own, not a bracket or a `return w, v`
    return {s.strip() for s in secrets if len(s.strip()) >= 24 and not s.strip().startswith(":")
            and s.strip() not in _seen_by_students()}


@functools.cache
def _seen_by_students():
    """Every chapter's text for students, and gdlib's source, read once."""
    return "\n".join([*(_split(p)[1] for p in CHAPTER_NOTEBOOKS),
                       *(f.read_text(encoding="utf-8")
                         for f in sorted((ROOT / "gdlib").rglob("*.py")))])


def _split(path):
    """(the lines of its solutions and answers, the text it shows students) of a chapter."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    secrets, public = set(), []
    for cell in nb["cells"]:
        text = editions.cell_text(cell)
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] == "markdown":
            shown = text
            for start, end in editions.directive_blocks(text, "solution"):
                secrets.update(text[start:end].split("\n")[1:-1])
                shown = shown.replace(text[start:end], "")
            public.append(shown)
        elif "exercise" in tags:              # a starting point: the answer is in its solution
            public.append(text)
        elif "solution" in tags:
            secrets.update(text.split("\n"))
        else:
            public.append(text)
    return secrets, "\n".join(public)
