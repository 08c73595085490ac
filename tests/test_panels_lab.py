"""The live panels in a real JupyterLab, moved in chromium (issue 8, item 4, "Live").

Uses the JupyterLab harness of tests/lab_harness.py (the ``lab_server`` fixture:
a server of the repository root), the fixture notebook tests/fixtures/live/panels.ipynb
(a TrainingPanel on small synthetic data and the 2-D Explorer, so it runs in
seconds), Run All through the menu, then the reader's gestures: a key press on
a slider, a click on "pin".  Each must bring a new image from the kernel.  The
seconds from the key press to the new image are printed (what a reader feels,
comms included; benchmarks/widgets.py has the kernel-side share).
"""

import time

import pytest
from lab_harness import LabNotebook

pytestmark = pytest.mark.browser

FIXTURE = "tests/fixtures/live/panels.ipynb"

IMAGE_JS = """
(name) => {
  const box = document.querySelector('.gdlib-panel-' + name);
  const img = box && box.querySelector('img');
  return img && img.complete && img.naturalWidth > 0 ? img.src : null;
}
"""

STATUS_JS = """
(name) => [...document.querySelectorAll('.gdlib-panel-' + name + ' .widget-label')]
    .map(e => e.textContent).join(' | ')
"""


@pytest.fixture(scope="module")
def notebook(chromium, lab_server):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    external = []

    def route(r):
        if r.request.url.startswith((lab_server.url, "data:", "blob:")):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    nb = LabNotebook(page, lab_server, FIXTURE).open()
    nb.run_all()
    report = nb.wait_until_run(timeout=300)
    assert not report.errors, report.errors
    nb.external = external
    yield nb
    context.close()


def _wait_for_new_image(page, name, before, timeout=60.0):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        now = page.evaluate(IMAGE_JS, name)
        if now and now != before:
            return time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError(f"panel {name}: no new image within {timeout} s "
                         f"(status: {page.evaluate(STATUS_JS, name)})")


def _press_on_slider(page, name, index=0, key="ArrowRight"):
    handle = page.locator(f".gdlib-panel-{name} .noUi-handle").nth(index)
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press(key)


def test_the_training_panel_retrains_when_its_slider_moves(notebook):
    page = notebook.page
    page.wait_for_function(IMAGE_JS, arg="live", timeout=120_000)
    first = page.evaluate(IMAGE_JS, "live")
    _press_on_slider(page, "live")
    seconds = _wait_for_new_image(page, "live", first)
    print(f"\ntraining panel: first new image {seconds:.2f} s after the key press")
    page.wait_for_function(
        "(name) => (document.querySelector('.gdlib-panel-' + name).innerText || '')"
        ".includes('done: 300 updates')", arg="live", timeout=120_000)
    assert "η = 0.0" in page.evaluate(STATUS_JS, "live")
    shown = page.evaluate(IMAGE_JS, "live")
    page.locator(".gdlib-panel-live button", has_text="pin").first.click()
    _wait_for_new_image(page, "live", shown)          # redrawn with the grey pin
    assert not notebook.external, notebook.external


def test_the_explorer_redraws_while_its_slider_moves(notebook):
    page = notebook.page
    page.wait_for_function(IMAGE_JS, arg="live-explorer", timeout=60_000)
    times = []
    for _ in range(3):
        before = page.evaluate(IMAGE_JS, "live-explorer")
        _press_on_slider(page, "live-explorer", index=0)       # the learning rate
        times.append(_wait_for_new_image(page, "live-explorer", before))
    print(f"\nexplorer: new image {', '.join(f'{t:.2f}' for t in times)} s after each key")
    assert "steps · ends at" in page.evaluate(STATUS_JS, "live-explorer")
    assert not notebook.external, notebook.external
