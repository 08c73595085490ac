"""The panels' latency as a reader feels it: JupyterLab in chromium, key press to new image.

    GDLIB_DATA=/abs/path .venv/bin/python -m benchmarks.widgets_lab [--repeat 5]

(from the repository root).  Starts JupyterLab with tests/lab_harness.py on a
temporary folder holding one notebook (chapter 5's MNIST panel and chapter 7's explorer, from
gdlib.paper.panels), runs it through the menu, then presses keys on the
sliders as a reader would and times, in the browser, from the key press to

* the first new image of the retraining run, and to its final image (the next
  key press comes ``PAUSE`` s after it, as a reader looks at the picture first);
* the start of the next run when a key is pressed while one trains (cancel);
* the image of a setting seen before (the cache), ``GLANCE`` s after the one before;
* each new image of the explorer;

and, from the kernel, the share of each retrain spent on two BLAS threads
(``panel.blas_seconds``).  Prints medians with the machine's load.  Needs
jupyterlab and jupyterlab-myst in the venv and Debian's chromium.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from tests.lab_harness import LabNotebook, LabServer
from tests.support import launch_chromium

CELLS = [
    "from gdlib.data import load_dataset\nfrom gdlib.paper import panels\n"
    "data = load_dataset('mnist')",
    # the panel logs, for each finished run, the seconds it spent on each number of BLAS
    # threads (panel.blas_seconds), one JSON line per run: read back after the measurement
    "import json\nch5 = panels.build('ch5', data)\n"
    "def log_threads(change):\n"
    "    if change['new'].startswith('done:') and 'cache' not in change['new']:\n"
    "        with open('threads.jsonl', 'a') as f:\n"
    "            print(json.dumps(ch5.blas_seconds), file=f)\n"
    "ch5.status.observe(log_threads, names='value')\nch5",
    "panels.show('ch7-explorer')",
]

# Installed once per panel: the page itself notes when a new image has loaded and when
# the status says a run is done (performance.now(), ms), so that measuring costs the
# browser nothing between a key press and the answer (polling it would: 0.3-0.5 of a
# core here, which a reader's browser does not spend, and which the panel's training
# would see as a busy machine).
WATCH_JS = r"""(name) => {
  const root = document.querySelector('.gdlib-panel-' + name);
  if (!root) return false;
  const log = (window.gdlibWatch = window.gdlibWatch || {})[name] = [];
  root.addEventListener('load', (e) => {
    if (e.target.tagName === 'IMG')
      log.push({ t: performance.now(), kind: 'image', src: e.target.src });
  }, true);
  let done = false, status = '';
  new MutationObserver(() => {
    const text = root.textContent;
    const now = text.includes('done:') && !text.includes('(from the cache)');
    if (now && !done) log.push({ t: performance.now(), kind: 'done' });
    done = now;
    const line = (root.querySelector('.gdlib-panel-status') || {}).textContent || '';
    // a new run's first status: "training <setting> …" (progress reads ": update n of N")
    if (line !== status && line.startsWith('training') && !line.includes(': update'))
      log.push({ t: performance.now(), kind: 'start' });
    if (line !== status && line.includes('(from the cache)'))
      log.push({ t: performance.now(), kind: 'cached' });
    status = line;
  }).observe(root, { subtree: true, childList: true, characterData: true });
  return true;
}"""
IMAGE_JS = """(name) => { const i = document.querySelector('.gdlib-panel-' + name + ' img');
                          return i && i.complete && i.naturalWidth > 0 ? i.src : null; }"""


PAUSE = 1.0     # seconds between a finished run and the next key press: a reader's look
GLANCE = 0.3    # seconds between two pictures that come back from the cache


def _events(page, name, t0, kind):
    return [e for e in page.evaluate(f"() => window.gdlibWatch[{name!r}]")
            if e["t"] > t0 and e["kind"] == kind]


def _answer(page, name, t0, kind, timeout=300.0):
    """Seconds from ``t0`` (the page's clock, ms) to the first event of ``kind`` (or of
    one of the kinds of a tuple: then also which), asked for every 0.1 s."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = [e for k in kinds for e in _events(page, name, t0, k)]
        if events:
            first = min(events, key=lambda e: e["t"])
            seconds = (first["t"] - t0) / 1000
            return (seconds, first["kind"]) if isinstance(kind, tuple) else seconds
        time.sleep(0.1)
    raise TimeoutError(f"the panel {name} did not answer")


def _press(page, name, index, key):
    """Press ``key`` on the ``index``-th slider of panel ``name``; the page's time before it."""
    handle = page.locator(f".gdlib-panel-{name} .noUi-handle").nth(index)
    handle.scroll_into_view_if_needed()
    handle.focus()
    t0 = page.evaluate("() => performance.now()")
    page.keyboard.press(key)
    return t0


def measure(page, repeat):
    out = {"first new image after a key press": [], "final image (whole retrain)": [],
           "cancel: a key press during a run -> the next run starts": [],
           "cache hit (a setting seen before)": [], "explorer: new image": []}
    for name in ("ch5", "ch7-explorer"):
        page.wait_for_function(IMAGE_JS, arg=name, timeout=300_000)
        assert page.evaluate(WATCH_JS, name), f"no panel {name} on the page"
    for _ in range(repeat):
        t0 = _press(page, "ch5", 1, "ArrowRight")                  # ch5's second slider: eta
        out["first new image after a key press"].append(_answer(page, "ch5", t0, "image"))
        done = _answer(page, "ch5", t0, "done")
        time.sleep(PAUSE)                       # the final image loads; the reader looks
        last = max(e["t"] for e in _events(page, "ch5", t0, "image"))
        out["final image (whole retrain)"].append(max(done, (last - t0) / 1000))
    position = repeat                           # key presses right of the start value
    cancels = out["cancel: a key press during a run -> the next run starts"]
    while len(cancels) < repeat and position < 6 * repeat:      # move again while one trains
        t0 = _press(page, "ch5", 1, "ArrowRight")
        _answer(page, "ch5", t0, ("image", "cached"))              # under way (or stored)
        t1 = _press(page, "ch5", 1, "ArrowRight")
        position += 2
        seconds, kind = _answer(page, "ch5", t1, ("start", "cached"))
        if kind == "start":                     # not a point of the stored grid
            cancels.append(seconds)
            _answer(page, "ch5", t1, "done")
    for _ in range(position - repeat):          # back to the settings of the first loop
        _press(page, "ch5", 1, "ArrowLeft")
    time.sleep(PAUSE)                           # the cancelled runs on the way have ended
    for _ in range(repeat):                     # back through the settings just trained
        t0 = _press(page, "ch5", 1, "ArrowLeft")
        out["cache hit (a setting seen before)"].append(_answer(page, "ch5", t0, "image"))
        time.sleep(GLANCE)
    for _ in range(2 * repeat):
        t0 = _press(page, "ch7-explorer", 0, "ArrowRight")         # the window n
        out["explorer: new image"].append(_answer(page, "ch7-explorer", t0, "image"))
        time.sleep(0.2)
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
        with LabServer(tmp) as lab, launch_chromium() as browser:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            notebook = LabNotebook(page, lab, "bench.ipynb").open()
            notebook.run_all()
            report = notebook.wait_until_run(timeout=600)
            assert not report.errors, report.errors
            results = measure(page, args.repeat)
        log = (Path(tmp) / "threads.jsonl").read_text()
        runs = [json.loads(line) for line in log.splitlines() if line]
    end = os.getloadavg()
    print(f"JupyterLab in chromium, {os.cpu_count()} cores, load average {load[0]:.2f} at the "
          f"start, {end[0]:.2f} at the end")
    for label, values in results.items():
        print(f"{label:40s} median {statistics.median(values):6.2f} s  "
              f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})")
    shares = [sum(s for k, s in run.items() if int(k) > 1) / sum(run.values()) for run in runs]
    print(f"ch5 runs on more than one BLAS thread: a median {statistics.median(shares):.0%} "
          f"of their time (min {min(shares):.0%}, max {max(shares):.0%}, n={len(runs)})")


if __name__ == "__main__":
    main()
