"""The built book as a reader sees it, in Chromium: shapes, widths, navigation, text.

test_book_html.py checks that every page loads and works; this file looks at what
the pages show.  Figures are drawn in their own proportions at every width, nothing
is wider than a phone, the sidebars open by tap, click and keyboard, no raw Markdown
or MyST reaches the text, code fits its column, no exercise cell gives its answer
away, sliders tell a screen reader their name and value, and dark mode keeps text
readable.  Each page is opened once (``reader_page``) and looked at at several widths.
Needs a built book (``make book``); ``GDLIB_BOOK_HTML`` points at another build.
"""

import base64
import io
import json
import os
import re
from pathlib import Path

import pytest
from PIL import Image
from support import PAGES, PANEL_PAGES, teacher_secrets
from widget_pages import wait_for_panels

from gdlib.plots import TEXT_KEY

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("GDLIB_BOOK_HTML", ROOT / "_build" / "html"))
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
CHAPTER_PAGES = [p for p in PAGES if re.match(r"chapters/0[1-9]_", p)]
WIDTHS = (390, 900, 1280, 1920)


@pytest.fixture(scope="module")
def server(book_url):
    return book_url


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


def open_page(browser, url, width, **context):
    page = browser.new_context(viewport={"width": width, "height": 900}, **context).new_page()
    page.goto(url, wait_until="load")
    return page


@pytest.fixture(scope="module")
def reader_page(browser, server):
    """``doc -> page``: each page opened once, its panels drawn, kept for the module."""
    opened = {}

    def get(doc):
        if doc not in opened:
            page = open_page(browser, server + f"{doc}.html", 1280)
            if PANEL_PAGES.get(doc):
                wait_for_panels(page, PANEL_PAGES[doc])
            opened[doc] = page
        return opened[doc]

    yield get
    for page in opened.values():
        page.context.close()


def at_width(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


# -- figures -------------------------------------------------------------------------

SHAPES_JS = """() => [...document.querySelectorAll('article.bd-article img')]
  .filter(i => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0)
  .map(i => { const r = i.getBoundingClientRect();
              return {src: i.getAttribute('src').slice(-40), drawn: r.width / r.height,
                      natural: i.naturalWidth / i.naturalHeight}; })"""


@pytest.mark.parametrize("doc", PAGES)
def test_every_image_keeps_its_proportions(reader_page, doc):
    page = reader_page(doc)
    for width in WIDTHS:
        at_width(page, width)
        for image in page.evaluate(SHAPES_JS):
            off = image["drawn"] / image["natural"] - 1
            assert abs(off) < 0.02, (f"{doc} at {width} px: {image['src']} drawn at "
                                     f"{image['drawn']:.2f}:1, its file is "
                                     f"{image['natural']:.2f}:1")


IMAGES_JS = """() => [...document.querySelectorAll('article.bd-article img')]
  .filter(i => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0)
  .map(i => ({src: i.getAttribute('src'), natural: i.naturalWidth,
              drawn: i.getBoundingClientRect().width, alt: i.getAttribute('alt') || ''}))"""

SMALLEST_TEXT = {390: 7, 1280: 9}             # CSS px, as the page draws the image


_TEXT_SEEN = {}


def smallest_text_px(doc, src):
    """The ``plots.TEXT_KEY`` a book image carries: its smallest text in its own pixels."""
    _seen = _TEXT_SEEN
    if src not in _seen:
        if src.startswith("data:image/png;base64,"):
            data = base64.b64decode(src.split(",", 1)[1])
        else:
            data = ((HTML / doc).parent / src).read_bytes()
        text = Image.open(io.BytesIO(data)).text.get(TEXT_KEY) if data[:4] == b"\x89PNG" else None
        _seen[src] = None if text is None else float(text)
    return _seen[src]


@pytest.mark.parametrize("doc", PAGES)
def test_the_text_in_every_figure_is_large_enough_to_read(reader_page, doc):
    """Font size in points x dpi / 72 (what the PNG says) x drawn / natural width."""
    page = reader_page(doc)
    for width, least in SMALLEST_TEXT.items():
        at_width(page, width)
        for image in page.evaluate(IMAGES_JS):
            text = smallest_text_px(doc, image["src"])
            where = f"{doc} at {width} px: {image['alt'][:60] or image['src'][-40:]!r}"
            assert text is not None, f"{where}: the PNG does not say its smallest text"
            shown = text * image["drawn"] / image["natural"]
            assert shown >= least, f"{where}: its smallest text is drawn {shown:.1f} px high"


# -- a phone -------------------------------------------------------------------------

OVERFLOW_JS = """() => {
  const page = document.documentElement.scrollWidth;
  // a picture may be wider than a phone inside a box that scrolls sideways: the box must fit
  const shown = e => { for (let p = e.parentElement; e.tagName === 'IMG' && p; p = p.parentElement)
                         if (getComputedStyle(p).overflowX === 'auto') return p;
                       return e; };
  const controls = [...document.querySelectorAll(
      '.gdlib-panel .widget-label, .gdlib-panel .widget-readout, .gdlib-panel .slider-container,'
      + ' .gdlib-panel select, .gdlib-panel img')].map(shown)
    .filter(e => e.getBoundingClientRect().width > 0)
    .filter(e => { const r = e.getBoundingClientRect();
                   return r.left < -1 || r.right > innerWidth + 1; })
    .map(e => e.className || e.tagName);
  return {page, controls};
}"""


@pytest.mark.parametrize("doc", PAGES)
def test_nothing_is_wider_than_a_phone(reader_page, doc):
    page = reader_page(doc)
    at_width(page, 390)
    seen = page.evaluate(OVERFLOW_JS)
    assert seen["page"] <= 390, f"{doc}: the page is {seen['page']} px wide on a 390 px phone"
    assert not seen["controls"], f"{doc}: cut off at 390 px: {seen['controls']}"


VISIBLE_LINK_JS = """(text) => [...document.querySelectorAll('nav.bd-docs-nav a')].some(a =>
    a.textContent.includes(text) && a.getBoundingClientRect().width > 0
    && getComputedStyle(a).visibility !== 'hidden')"""


def visible_toggle(page, kind):
    toggles = page.locator(f".{kind}-toggle")
    return next(toggles.nth(i) for i in range(toggles.count()) if toggles.nth(i).is_visible())


@pytest.mark.parametrize(("width", "how"), [(390, "tap"), (900, "keyboard"), (1280, "click")])
def test_the_chapter_list_opens_and_closes(browser, server, width, how):
    page = open_page(browser, server + "chapters/03_loss.html", width, has_touch=True)
    try:
        toggle = visible_toggle(page, "primary")
        press = {"tap": toggle.tap, "click": toggle.click,
                 "keyboard": lambda: (toggle.focus(), page.keyboard.press("Enter"))}[how]
        chapter = "The multilayer network"
        shown_before = page.evaluate(VISIBLE_LINK_JS, chapter)
        press()
        page.wait_for_timeout(400)                       # the sidebar's transition
        assert page.evaluate(VISIBLE_LINK_JS, chapter) != shown_before, \
            f"{width} px, {how}: the sidebar button did not change the chapter list"
        if not shown_before:                             # opened as a dialog: Escape closes
            page.keyboard.press("Escape")
        else:
            press()
        page.wait_for_timeout(400)
        assert page.evaluate(VISIBLE_LINK_JS, chapter) == shown_before, \
            f"{width} px, {how}: the chapter list did not close again"
    finally:
        page.context.close()


@pytest.mark.parametrize("width", [390, 900])
def test_the_page_contents_open_where_they_are_folded(browser, server, width):
    page = open_page(browser, server + "chapters/03_loss.html", width, has_touch=True)
    try:
        entry = "Exercises"
        assert not page.locator("#pst-secondary-sidebar-modal[open]").count()
        visible_toggle(page, "secondary").tap()
        page.wait_for_timeout(300)
        dialog = page.locator("#pst-secondary-sidebar-modal[open]")
        assert dialog.count() == 1, f"{width} px: the contents button opened nothing"
        assert dialog.get_by_role("link", name=re.compile(entry)).first.is_visible()
        page.keyboard.press("Escape")
        assert not page.locator("#pst-secondary-sidebar-modal[open]").count()
    finally:
        page.context.close()


# -- text ----------------------------------------------------------------------------

PROSE_JS = """() => {
  const copy = document.querySelector('article.bd-article').cloneNode(true);
  copy.querySelectorAll('pre, script, style, mjx-container, .math').forEach(e => e.remove());
  return copy.textContent;
}"""
RAW = [
    (re.compile(r"\|\s*(?:-{3,}|—|–|:?-+:?)\s*\|"), "a Markdown table row"),
    (re.compile(r"\{(?:eval|ref|numref|doc|cite(?::\w+)?|term|math|download)\}`"), "a MyST role"),
    (re.compile(r"^\s*(?::{3,}|`{3,})\{?[\w-]*\}?", re.M), "a MyST directive or fence"),
    (re.compile(r"REPOSITORY_URL|PLACEHOLDER|\[not computed"), "a placeholder"),
]


@pytest.mark.parametrize("doc", PAGES)
def test_no_raw_syntax_or_placeholder_in_the_text(reader_page, doc):
    text = reader_page(doc).evaluate(PROSE_JS)
    for pattern, what in RAW:
        m = pattern.search(text)
        around = m and text[max(0, m.start() - 60):m.end() + 60]
        assert m is None, f"{doc}: {what} in the text: {around!r}"


CODE_OVERFLOW_JS = """() => [...document.querySelectorAll(
    'article.bd-article div.highlight pre, article.bd-article .cell_output pre,'
    + ' article.bd-article .cell_output .output')]
  .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.trim().split('\\n')[0].slice(0, 60))"""


@pytest.mark.parametrize("doc", CHAPTER_PAGES)
def test_code_fits_its_column_at_1280(reader_page, doc):
    page = reader_page(doc)
    at_width(page, 1280)
    wide = page.evaluate(CODE_OVERFLOW_JS)
    assert not wide, f"{doc}: {len(wide)} code blocks or outputs scroll sideways: {wide[:3]}"


# -- exercises -----------------------------------------------------------------------

OUTSIDE_SOLUTIONS_JS = """() => {
  const copy = document.querySelector('article.bd-article').cloneNode(true);
  copy.querySelectorAll('.solution').forEach(e => e.remove());
  return copy.textContent;
}"""


def code_exercises(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return sum("exercise" in c.get("metadata", {}).get("tags", []) for c in cells)


def solution_lines(path):
    return teacher_secrets(path)


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_the_html_shows_solutions_only_inside_their_fold_out(reader_page, path):
    page = reader_page(f"chapters/{path.stem}")
    cells = page.evaluate("() => [...document.querySelectorAll('.cell.tag_exercise')]"
                          ".map(c => c.textContent)")
    assert len(cells) == code_exercises(path), f"{path.stem}: {len(cells)} exercise cells"
    outside = page.evaluate(OUTSIDE_SOLUTIONS_JS)
    for line in solution_lines(path):
        assert not any(line in cell for cell in cells), f"{path.stem}: exercise cell shows {line!r}"
        assert line not in outside, f"{path.stem}: solution line outside its fold-out: {line!r}"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_the_plain_edition_keeps_solutions_in_details(path):
    plain = HTML / "plain" / "chapters" / path.name
    assert plain.is_file(), f"{plain} missing: `make book` writes the plain edition"
    cells = json.loads(plain.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells)
    outside = re.sub(r"<details>.*?</details>", "", text, flags=re.S)
    exercise = "\n".join("".join(c["source"]) for c in cells
                         if "exercise" in c.get("metadata", {}).get("tags", []))
    assert exercise or not code_exercises(path), f"{plain.name}: no exercise cell"
    for line in solution_lines(path):
        assert line not in exercise, f"{plain.name}: the exercise cell holds {line!r}"
        assert line not in outside, f"{plain.name}: solution line outside <details>: {line!r}"


def test_the_site_offers_the_student_edition():
    import zipfile

    archive = HTML / "downloads" / "gradient-descent-student-edition.zip"
    assert archive.is_file(), f"{archive} missing: `make book` writes it"
    names = zipfile.ZipFile(archive).namelist()
    assert sum(n.endswith(".ipynb") for n in names) == len(CHAPTERS), names
    for guide in ("guide/run.html", "guide/teachers.html"):
        assert "downloads/gradient-descent-student-edition.zip" in (HTML / guide).read_text()


# -- controls ------------------------------------------------------------------------

SLIDERS_JS = """() => [...document.querySelectorAll('.gdlib-panel [role=slider]')].map(h => {
  const s = h.closest('.widget-slider');
  return {name: h.getAttribute('aria-label'), value: h.getAttribute('aria-valuetext'),
          index: h.getAttribute('aria-valuenow'),
          readout: s.querySelector('.widget-readout').textContent.trim(),
          label: s.querySelector('.widget-label').textContent.trim()};
})"""


DROPDOWNS_JS = """() => [...document.querySelectorAll('.gdlib-panel .widget-dropdown')].map(d => [
    d.querySelector('select').getAttribute('aria-label'),
    d.querySelector('.widget-label').textContent.trim()])"""


@pytest.mark.parametrize("doc", sorted(PANEL_PAGES))
def test_every_slider_says_its_name_and_value(reader_page, doc):
    page = reader_page(doc)
    for name, label in page.evaluate(DROPDOWNS_JS):
        assert name and name == label, f"{doc}: a dropdown named {name!r}, its label {label!r}"
    sliders = page.evaluate(SLIDERS_JS)
    if not sliders:                           # chapter 8: dropdowns only
        assert page.evaluate(DROPDOWNS_JS), f"{doc}: a panel with neither slider nor dropdown"
        return
    for s in sliders:
        assert s["name"] and s["name"] == s["label"], f"{doc}: slider named {s['name']!r}: {s}"
        assert s["value"] == s["readout"], f"{doc}: slider says {s['value']!r}: {s}"
    handle = page.locator(".gdlib-panel [role=slider]").first
    handle.focus()
    there, back = (("ArrowRight", "ArrowLeft") if float(handle.get_attribute("aria-valuenow")) == 0
                   else ("ArrowLeft", "ArrowRight"))
    page.keyboard.press(there)
    page.wait_for_timeout(200)
    moved = page.evaluate(SLIDERS_JS)[0]
    page.keyboard.press(back)                  # as it was, for the other tests of the page
    assert moved["value"] == moved["readout"] != sliders[0]["readout"], (doc, sliders[0], moved)


def test_every_fold_out_says_what_it_opens(reader_page):
    page = reader_page("chapters/05_momentum")
    labels = page.evaluate("() => [...document.querySelectorAll('button.toggle-button')]"
                           ".map(b => b.getAttribute('aria-label'))")
    said = re.compile(r"Show (Hint to Exercise|Solution to Exercise) 5\.\d.*")
    assert labels and all(said.fullmatch(label or "") for label in labels), labels


# -- dark mode -----------------------------------------------------------------------

CONTRAST_JS = """() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = e => { for (; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || c[3] > 0.5) return c.slice(0, 3); }
    return [255, 255, 255]; };
  const worst = [];
  for (const e of document.querySelectorAll(
      'article.bd-article p, article.bd-article li, .gdlib-panel .widget-label,'
      + ' .gdlib-panel .widget-readout, .gdlib-panel .widget-html-content')) {
    if (!e.textContent.trim() || e.getBoundingClientRect().width === 0) continue;
    const [a, b] = [lum(rgb(getComputedStyle(e).color)), lum(background(e))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) worst.push([e.className || e.tagName, ratio.toFixed(2),
                                 e.textContent.trim().slice(0, 40)]);
  }
  return {theme: document.documentElement.dataset.theme, worst};
}"""


@pytest.mark.parametrize("doc", ["index", "chapters/05_momentum", "chapters/08_experiment"])
def test_dark_mode_keeps_text_and_panel_labels_readable(browser, server, doc):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script("localStorage.setItem('mode', 'dark')")
    page = context.new_page()
    try:
        page.goto(server + f"{doc}.html", wait_until="load")
        if PANEL_PAGES.get(doc):
            wait_for_panels(page, PANEL_PAGES[doc])
        seen = page.evaluate(CONTRAST_JS)
        assert seen["theme"] == "dark", seen["theme"]
        assert not seen["worst"], f"{doc}: contrast below 4.5:1 in dark mode: {seen['worst'][:5]}"
    finally:
        context.close()


def test_the_index_headings_are_in_the_shipped_font():
    from fontTools.ttLib import TTFont

    headings = re.findall(r'<h2 id="[^"]*">([^<]+)</h2>', (HTML / "genindex.html").read_text())
    hangul = [h for h in headings if any("\u1100" <= c <= "\ud7a3" for c in h)]
    assert hangul, "the general index has no Hangul heading"
    drawn = TTFont(HTML / "_static" / "fonts" / "book-hangul.woff").getBestCmap()
    missing = [h for h in hangul if any(ord(c) not in drawn for c in h)]
    assert not missing, f"index headings the book's Hangul font cannot draw: {missing}"


def test_one_search_box_and_a_favicon(reader_page):
    page = reader_page("chapters/03_loss")
    at_width(page, 1280)
    boxes = page.evaluate("() => [...document.querySelectorAll('.search-button-field, "
                          "form.bd-search')].filter(e => e.getBoundingClientRect().width > 0"
                          " && getComputedStyle(e).visibility !== 'hidden').length")
    assert boxes == 1, f"{boxes} search boxes at 1280 px"
    icon = page.evaluate("() => document.querySelector('link[rel~=icon]')?.href")
    assert icon and (HTML / "_static" / Path(icon).name).is_file(), icon
