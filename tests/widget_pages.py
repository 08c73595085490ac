"""Driving precomputed panels in a built page: find them, move their selectors, read the image.

Shared by the browser tests of the fixture book (test_widgets_html.py) and of the
real book (test_book_html.py); the server and the browser they use are in
tests/support.py.  A panel is the element with the CSS class
``gdlib-panel-<name>`` that ``gdlib.widgets`` gives its outer box; its selectors
are its direct slider and dropdown children, and exactly one image inside it is
visible at a time (the Stacks show one child).  Images are compared by the
SHA-256 of their bytes, read back from the page.
"""

import time

PANEL_NAMES_JS = """
() => [...document.querySelectorAll('.gdlib-panel')].map(
    e => [...e.classList].find(c => c.startsWith('gdlib-panel-')).slice('gdlib-panel-'.length))
"""

SHOWN_JS = """
async (name) => {
  const box = document.querySelector('.gdlib-panel-' + name);
  const shown = [...box.querySelectorAll('img')].filter(
      i => i.offsetParent !== null && i.getBoundingClientRect().width > 0);
  if (shown.length !== 1) return {count: shown.length};
  const img = shown[0];
  if (!img.complete || img.naturalWidth === 0) return {count: 1, loaded: false};
  const bytes = await (await fetch(img.src)).arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  const hex = [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('');
  return {count: 1, loaded: true, digest: hex, width: img.getBoundingClientRect().width,
          natural: img.naturalWidth};
}
"""

SELECTORS_JS = """
(name) => {
  const box = document.querySelector('.gdlib-panel-' + name);
  return [...box.children].map((c, i) => ({
    index: i,
    kind: c.querySelector('select') ? 'dropdown'
        : c.querySelector('.noUi-handle, .slider-container, [role=slider]') ? 'slider' : null,
  })).filter(c => c.kind);
}
"""


def wait_for_panels(page, expected, timeout=60_000):
    """Wait until the html-manager has rendered the panels ``expected`` (names) with images."""
    page.wait_for_function(
        """(names) => names.every(n => {
             const box = document.querySelector('.gdlib-panel-' + n);
             return box && [...box.querySelectorAll('img')].some(
                 i => i.offsetParent !== null && i.complete && i.naturalWidth > 0);
           })""", arg=list(expected), timeout=timeout)


def panel_names(page):
    return page.evaluate(PANEL_NAMES_JS)


def shown(page, name):
    """The one visible image of panel ``name``: digest and sizes (waits until it loaded)."""
    page.wait_for_function(
        """(name) => { const box = document.querySelector('.gdlib-panel-' + name);
             const s = [...box.querySelectorAll('img')].filter(i => i.offsetParent !== null);
             return s.length === 1 && s[0].complete && s[0].naturalWidth > 0; }""",
        arg=name, timeout=30_000)
    info = page.evaluate(SHOWN_JS, name)
    assert info["count"] == 1 and info["loaded"], info
    return info


def selectors(page, name):
    """The panel's sliders and dropdowns: ``(locator, kind)`` in order."""
    box = page.locator(f".gdlib-panel-{name}")
    return [(box.locator(":scope > *").nth(s["index"]), s["kind"])
            for s in page.evaluate(SELECTORS_JS, name)]


def positions(locator, kind):
    if kind == "dropdown":
        return locator.locator("select option").count()
    return int(float(locator.locator(".noUi-handle").get_attribute("aria-valuemax"))) + 1


def position(locator, kind):
    """Where a selector stands now (an index)."""
    if kind == "dropdown":
        return locator.locator("select").evaluate("s => s.selectedIndex")
    return round(float(locator.locator(".noUi-handle").get_attribute("aria-valuenow")))


def move(page, locator, kind, position):
    """Put a selector at ``position`` as a reader would: keyboard on a slider, or the list."""
    if kind == "dropdown":
        locator.locator("select").select_option(index=position)
        return
    handle = locator.locator(".noUi-handle")
    handle.focus()
    now = int(float(handle.get_attribute("aria-valuenow")))
    key = "ArrowRight" if position > now else "ArrowLeft"
    for _ in range(abs(position - now)):
        page.keyboard.press(key)
    page.wait_for_function("([h, p]) => Math.round(+h.getAttribute('aria-valuenow')) === p",
                           arg=[handle.element_handle(), position], timeout=10_000)


def drag_across(page, locator):
    """Drag a slider's handle with the mouse to the far end away from where it stands;
    returns the new position."""
    handle = locator.locator(".noUi-handle")
    track = locator.locator(".noUi-target")
    handle.scroll_into_view_if_needed()
    hb, tb = handle.bounding_box(), track.bounding_box()
    go_right = position(locator, "slider") < positions(locator, "slider") - 1
    x = tb["x"] + tb["width"] + 20 if go_right else tb["x"] - 20
    page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, hb["y"] + hb["height"] / 2, steps=8)
    page.mouse.up()
    return position(locator, "slider")


def check_every_selector_moves(page, name):
    """Move each selector of panel ``name`` through all its positions (the others where
    they are), assert that every move shows another image, and put it back; returns
    the number of different images seen."""
    seen = {shown(page, name)["digest"]}
    for locator, kind in selectors(page, name):
        home = position(locator, kind)
        before = shown(page, name)["digest"]
        for p in [p for p in range(positions(locator, kind)) if p != home] + [home]:
            move(page, locator, kind, p)
            before = changed(page, name, before)
            seen.add(before)
    return len(seen)


def changed(page, name, before, timeout=10.0):
    """Wait until panel ``name`` shows an image other than ``before``; return its digest."""
    end = time.monotonic() + timeout
    while True:
        now = shown(page, name)["digest"]
        if now != before:
            return now
        assert time.monotonic() < end, f"panel {name}: the image did not change"
        time.sleep(0.05)
