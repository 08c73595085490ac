"""The panels' latency as a reader feels it: JupyterLab in chromium, key press to new image.

    GDLIB_DATA=/abs/path PYTHONPATH=tests .venv/bin/python benchmarks/widgets_lab.py [--repeat 5]

Starts JupyterLab with tests/lab_harness.py on a temporary folder holding one
notebook (chapter 5's MNIST panel and chapter 7's explorer, from
gdlib.paper.panels), runs it through the menu, then presses keys on the
sliders as a reader would and times, in the browser, from the key press to

* the first new image of the retraining run, and to its final image;
* the image of a setting seen before (the cache);
* each new image of the explorer.

Prints medians with the machine's load.  Needs jupyterlab and jupyterlab-myst in
the venv and Debian's chromium.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from lab_harness import CHROMIUM, CHROMIUM_ARGS, LabNotebook, LabServer
from playwright.sync_api import sync_playwright

CELLS = [
    "from gdlib.data import load_dataset\nfrom gdlib.paper import panels\n"
    "data = load_dataset('mnist')",
    "panels.show('ch5', data)",
    "panels.show('ch7-explorer')",
]

IMAGE_JS = """(name) => { const i = document.querySelector('.gdlib-panel-' + name + ' img');
                          return i && i.complete && i.naturalWidth > 0 ? i.src : null; }"""
TEXT_JS = "(name) => document.querySelector('.gdlib-panel-' + name).innerText"


def _until(page, predicate, timeout=300.0):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.005)
    raise TimeoutError("the panel did not answer")


def _press(page, name, index, key):
    handle = page.locator(f".gdlib-panel-{name} .noUi-handle").nth(index)
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press(key)


def measure(page, repeat):
    out = {"first new image after a key press": [], "final image (whole retrain)": [],
           "cache hit (a setting seen before)": [], "explorer: new image": []}
    page.wait_for_function(IMAGE_JS, arg="ch5", timeout=300_000)
    for _ in range(repeat):
        before = page.evaluate(IMAGE_JS, "ch5")
        t0 = time.monotonic()
        _press(page, "ch5", 1, "ArrowRight")                       # ch5's second slider: eta
        out["first new image after a key press"].append(
            _until(page, lambda b=before: page.evaluate(IMAGE_JS, "ch5") not in (None, b)))
        _until(page, lambda: "done:" in page.evaluate(TEXT_JS, "ch5")
               and "(from the cache)" not in page.evaluate(TEXT_JS, "ch5"))
        out["final image (whole retrain)"].append(time.monotonic() - t0)
    for _ in range(repeat):                     # back through the settings just trained
        before = page.evaluate(IMAGE_JS, "ch5")
        _press(page, "ch5", 1, "ArrowLeft")
        out["cache hit (a setting seen before)"].append(_until(
            page, lambda b=before: page.evaluate(IMAGE_JS, "ch5") not in (None, b)))
    page.wait_for_function(IMAGE_JS, arg="ch7-explorer", timeout=60_000)
    for _ in range(2 * repeat):
        before = page.evaluate(IMAGE_JS, "ch7-explorer")
        _press(page, "ch7-explorer", 0, "ArrowRight")              # the window n
        out["explorer: new image"].append(_until(
            page, lambda b=before: page.evaluate(IMAGE_JS, "ch7-explorer") not in (None, b)))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gdlib-lab-bench-") as tmp:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nbformat.write(nb, Path(tmp) / "bench.ipynb")
        load = os.getloadavg()
        with LabServer(tmp) as lab, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            notebook = LabNotebook(page, lab, "bench.ipynb").open()
            notebook.run_all()
            report = notebook.wait_until_run(timeout=600)
            assert not report.errors, report.errors
            results = measure(page, args.repeat)
            browser.close()
    end = os.getloadavg()
    print(f"JupyterLab in chromium, {os.cpu_count()} cores, load average {load[0]:.2f} at the "
          f"start, {end[0]:.2f} at the end")
    for label, values in results.items():
        print(f"{label:40s} median {statistics.median(values):6.2f} s  "
              f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})")


if __name__ == "__main__":
    main()
