"""The built book, as a reader's browser shows it.

Serves the built book (_build/html, or GDLIB_BOOK_HTML) on 127.0.0.1 and opens
every page of the table of contents in Debian's headless chromium (driven by
playwright, which never downloads a browser of its own; tests/support.py).
Needs a built book: `make test` builds it first; alone, run `make book`.
"""

import functools

import pytest
from support import PAGES, PANEL_PAGES
from widget_pages import check_every_selector_moves, panel_names, wait_for_panels

pytestmark = pytest.mark.browser

TITLE = "Gradient Descent for Deep Learning"
PAGE_BUDGET = 6_000_000     # bytes of HTML per page, embedded widget images included


class Visit:
    """One page opened in a fresh browser context, with what went wrong while loading it."""

    def __init__(self, browser, base_url, path):
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.errors = []
        self.external = []
        self.page.on("console", self._on_console)
        self.page.on("response", self._on_response)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        self.page.route("**/*", functools.partial(self._route, base_url))
        response = self.page.goto(base_url + path, wait_until="load")
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"

    def _on_console(self, msg):
        if msg.type == "error":
            self.errors.append(f"console: {msg.text} ({msg.location.get('url')})")

    def _on_response(self, response):
        # Chromium asks for /favicon.ico by itself; the book has none.
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def _route(self, base_url, route):
        # The book must work offline: anything fetched from elsewhere is an error.
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def close(self):
        self.context.close()


@pytest.fixture
def visit(chromium, book_url):
    opened = []

    def open_page(path):
        opened.append(Visit(chromium, book_url, path))
        return opened[-1]

    yield open_page
    for v in opened:
        v.close()


def test_the_toc_lists_pages():
    assert PAGES and PAGES[0] == "index", PAGES


def test_index_title(visit):
    page = visit("index.html").page
    assert TITLE in page.title()
    assert page.locator("h1").first.inner_text().strip().startswith(TITLE)


@pytest.mark.parametrize("doc", PAGES)
def test_page_renders_cleanly(visit, doc):
    v = visit(f"{doc}.html")
    page = v.page

    n_math = page.locator(".math").count()
    if n_math:
        # MathJax typesets after load; its startup promise settles when it is done.
        page.wait_for_function("() => window.MathJax && MathJax.startup", timeout=30_000)
        page.evaluate("() => MathJax.startup.promise")
        unrendered = page.locator(".math:not(:has(mjx-container))").count()
        assert unrendered == 0, f"{doc}: {unrendered} of {n_math} math elements not typeset"
        assert page.locator("mjx-merror").count() == 0, f"{doc}: MathJax reports a TeX error"

    broken = page.evaluate(
        "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
        ".map(i => i.getAttribute('src'))"
    )
    assert not broken, f"{doc}: images that did not load: {broken}"

    for selector in (".output.stderr", ".output.traceback", ".output.error"):
        assert page.locator(selector).count() == 0, f"{doc}: has a `{selector}` output"
    text = page.locator("main").inner_text()
    assert "Traceback" not in text, f"{doc}: a traceback shows on the page"

    assert not v.external, f"{doc}: fetches from outside the book: {v.external}"
    assert not v.errors, f"{doc}: browser errors: {v.errors}"


def test_math_is_typeset_somewhere(visit):
    """At least one page (the index) has equations, so the MathJax check above is live."""
    page = visit("index.html").page
    page.wait_for_function("() => window.MathJax && MathJax.startup", timeout=30_000)
    page.evaluate("() => MathJax.startup.promise")
    assert page.locator("mjx-container").count() > 0


@pytest.mark.parametrize("doc", PAGES)
def test_page_size_within_budget(book_html, doc):
    size = (book_html / f"{doc}.html").stat().st_size
    assert size <= PAGE_BUDGET, f"{doc}.html is {size / 1e6:.1f} MB (budget 6 MB)"


@pytest.mark.parametrize("doc", sorted(set(PAGES) | set(PANEL_PAGES)))
def test_panels_move_without_a_kernel(visit, book_html, doc):
    """Every panel of the page moves: each slider and dropdown shows another precomputed
    image, with no kernel and nothing fetched from outside the book.  A page the panel
    specs name must show their panels (``panels.show(name, data)`` in a chapter cell)."""
    expected = sorted(PANEL_PAGES.get(doc, []))
    html = (book_html / f"{doc}.html").read_text()
    missing = [n for n in expected if f"gdlib-panel-{n}" not in html]
    assert not missing, (f"{doc}: no panel {missing} in the built page; the chapter must call "
                         f"`panels.show(name, data)` (gdlib.paper.panels)")
    v = visit(f"{doc}.html")
    if expected:
        wait_for_panels(v.page, expected)
    assert sorted(panel_names(v.page)) == expected, f"{doc}: unexpected panels"
    for name in expected:
        seen = check_every_selector_moves(v.page, name)
        assert seen >= 2, f"{doc}: panel {name} showed only {seen} image"
    assert not v.external, f"{doc}: fetches from outside the book: {v.external}"
    assert not v.errors, f"{doc}: browser errors: {v.errors}"


@pytest.mark.parametrize("doc", PAGES)
def test_every_image_says_what_it_shows(visit, doc):
    """Alt text that describes the figure: not missing, not a file name or a hash.

    Every image of the page has alt text; those of the chapter itself (its figures
    and panels) describe what they show, the theme's icons (the Binder logo) name it.
    """
    page = visit(f"{doc}.html").page
    if PANEL_PAGES.get(doc):
        wait_for_panels(page, PANEL_PAGES[doc])          # the panels' images, rendered
    every = page.evaluate("() => [...document.querySelectorAll('img')].map("
                          "i => [i.getAttribute('src'), i.getAttribute('alt') || ''])")
    assert all(alt.strip() for _, alt in every), f"{doc}: an image without alt text"
    images = page.evaluate(
        "() => [...document.querySelectorAll('article.bd-article img')].map("
        "i => [i.getAttribute('src'), i.getAttribute('alt') || ''])")
    for src, alt in images:
        words = alt.split()
        assert len(words) >= 4, f"{doc}: image {src} has alt text {alt!r}"
        assert not any(len(w) >= 32 and w.isalnum() for w in words), f"{doc}: {src}: {alt!r}"
        assert not alt.endswith((".png", ".svg", ".jpg")), f"{doc}: {src}: {alt!r}"


def test_korean_is_drawn_with_the_books_own_font(visit, book_html):
    """The glossary's Hangul uses the subset font shipped in _static (no CJK font needed)."""
    page = visit("chapters/references.html").page
    page.evaluate("() => document.fonts.ready")
    term = page.locator("dt", has_text="경사하강법").first
    assert term.count() == 1
    page.wait_for_function(
        "() => document.fonts.check('16px \"Book Hangul\"', '경사하강법')", timeout=10_000)
    family = term.evaluate("e => getComputedStyle(e).fontFamily")
    assert family.startswith('"Book Hangul"'), family
    loaded = page.evaluate("() => [...document.fonts].filter(f => f.family.includes("
                           "'Book Hangul') && f.status === 'loaded').length")
    assert loaded >= 1
    size = (book_html / "_static" / "fonts" / "book-hangul.woff").stat().st_size
    assert size < 200_000, f"the Hangul subset is {size} bytes"


def test_the_footer_names_the_licence(visit):
    footer = visit("index.html").page.locator("footer.bd-footer-content").inner_text()
    assert "MIT" in footer and "CC BY 4.0" in footer
