"""JupyterLab in a real browser, for tests that read the chapters as a reader does.

A test owns a JupyterLab server started from the project's environment (the
Python that runs pytest, i.e. ``.venv/bin/python`` under ``make test``) and
drives it in a browser (tests/support.py: ``launch_chromium``, or the ``chromium``
fixture of tests/conftest.py):

    with LabServer(ROOT) as lab:                      # or the ``lab_server`` fixture
        page = browser.new_page()
        nb = LabNotebook(page, lab, "chapters/01_introduction.ipynb").open()
        nb.run_all()                                  # the menu: Run > Run All Cells
        report = nb.wait_until_run(timeout=600)       # kernel idle, no cell pending
        report.errors, report.markdown_text(), ...

The server listens on a free port of 127.0.0.1 without a token, with
temporary config, data, runtime, settings and workspace directories, so that
nobody's own settings or extensions leak in; as root it gets ``--allow-root``.
Its kernels start with the same kernelspec the book build uses (``python3``,
found in the venv first: ``JUPYTER_PREFER_ENV_PATH=1``), without
``MPLBACKEND`` (as the Makefile's ``KERNEL_ENV``), and inherit ``GDLIB_DATA``.

The temporary user settings change two things against a reader's default:
autosave is off (a run must never write outputs into ``chapters/``), and every
cell is attached to the page (``windowingMode: none``, so the page text is the
whole notebook). News and update checks are left to the settings the
environment ships (labsettings/overrides.json, installed by requirements.txt),
so that a test sees the first open a reader sees (``first_run_prompts``). The
checkpoint JupyterLab makes of every notebook it opens goes to the temporary
directory too, not into ``chapters/.ipynb_checkpoints``.
``expose_app_in_browser`` lets the harness read the notebook model
(``window.jupyterapp``); every action goes through the UI.

It imports no other test module and no pytest, so a benchmark can use it too
(``from tests.lab_harness import LabServer`` under ``python -m benchmarks.NAME``).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psutil

ROOT = Path(__file__).resolve().parent.parent
# User settings of the temporary JupyterLab (plugin id -> overrides); see module docstring.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}

# A markdown cell of front matter only (the chapters' first cell): it draws no text.
FRONT_MATTER = re.compile(r"---\n.*\n---", re.S)

# MyST syntax that must never reach a reader as text (issue 7, item 5).
RAW_MYST = ("{glue", "{eval", "{cite", "```{", ":::{")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_json(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


class LabServer:
    """A JupyterLab server this process starts, owns and stops (with its kernels).

    ``root_dir``  what the file browser shows; notebooks are opened by their path
                  relative to it, and kernels start in the notebook's folder
    ``python``    the interpreter whose JupyterLab runs (default: this one)
    ``env``       extra environment variables for the server and its kernels
    ``args``      extra command-line options, e.g. ``["--LabApp.app_settings_dir=DIR"]``
    """

    def __init__(self, root_dir, *, python=None, env=None, args=(), startup_timeout=120.0):
        self.root_dir = Path(root_dir).resolve()
        if not self.root_dir.is_dir():
            raise ValueError(f"root_dir {self.root_dir} is not a directory")
        self.python = python or sys.executable
        self.extra_env = dict(env or {})
        self.extra_args = list(args)
        self.startup_timeout = startup_timeout
        self.process = None
        self.url = None
        self._tmp = None

    # -- lifecycle -------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _check_installed(self):
        probe = subprocess.run(
            [self.python, "-c", "import jupyterlab, jupyterlab_myst, ipykernel"],
            capture_output=True, text=True)
        if probe.returncode != 0:
            raise RuntimeError(
                f"{self.python} cannot import jupyterlab, jupyterlab_myst and ipykernel: "
                "install requirements.txt into the venv (`make venv`)\n" + probe.stderr)

    def _environment(self, tmp):
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
        for name in ("config", "data", "runtime", "settings", "workspaces", "ipython"):
            (tmp / name).mkdir()
        env.update(
            JUPYTER_CONFIG_DIR=str(tmp / "config"),
            JUPYTER_DATA_DIR=str(tmp / "data"),
            JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
            IPYTHONDIR=str(tmp / "ipython"),
            JUPYTER_PREFER_ENV_PATH="1",
            JUPYTER_PLATFORM_DIRS="1",
        )
        env.update(self.extra_env)
        for plugin, values in LAB_SETTINGS.items():
            path = tmp / "settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        return env

    def _command(self, port):
        cmd = [
            self.python, "-m", "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            f"--ServerApp.root_dir={self.root_dir}",
            "--LabApp.expose_app_in_browser=True",
            # JupyterLab makes a checkpoint of every notebook it opens: not in the repository
            f"--FileCheckpoints.checkpoint_dir={self._tmp_path / 'checkpoints'}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd + self.extra_args

    def start(self):
        self._check_installed()
        self._tmp = tempfile.TemporaryDirectory(prefix="gdlib-lab-")
        tmp = self._tmp_path = Path(self._tmp.name)
        env = self._environment(tmp)
        self.log_path = tmp / "server.log"
        for _attempt in range(3):           # a free port can be taken before we bind it
            port = _free_port()
            self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
            self.process = subprocess.Popen(
                self._command(port), cwd=self.root_dir, env=env,
                stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
            self.url = f"http://127.0.0.1:{port}/"
            if self._wait_ready():
                return self
            self._log.close()
            if "already in use" not in self.log():
                break
        log = self.log()
        self.stop()
        raise RuntimeError(f"JupyterLab did not start within {self.startup_timeout} s:\n{log}")

    def _wait_ready(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                _get_json(self.url + "api/status", timeout=2)
                with urllib.request.urlopen(self.url + "lab", timeout=5) as r:
                    if r.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        return False

    def log(self):
        """What the server (and its kernels' stderr) printed so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except (AttributeError, OSError):
            return ""

    def kernels(self):
        return _get_json(self.url + "api/kernels")

    def _delete(self, path, timeout=30.0):
        """DELETE through the REST API, with the XSRF cookie and header it asks for."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(self.url + "lab", timeout=timeout).close()      # sets the _xsrf cookie
        xsrf = next((c.value for c in jar if c.name == "_xsrf"), "")
        request = urllib.request.Request(self.url + path, method="DELETE",
                                         headers={"X-XSRFToken": xsrf})
        opener.open(request, timeout=timeout).close()

    def shutdown_kernels(self):
        """Shut down every running kernel (the server waits for each to end)."""
        for kernel in self.kernels():
            self._delete(f"api/kernels/{kernel['id']}")

    def stop(self):
        """Shut down every kernel, then the server; kill whatever is left of either."""
        if self.process is None:
            return
        descendants = []
        if self.process.poll() is None:
            try:
                descendants = psutil.Process(self.process.pid).children(recursive=True)
            except psutil.NoSuchProcess:       # the server ended meanwhile
                descendants = []
            try:
                self.shutdown_kernels()
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for child in descendants:
            try:
                child.kill()
            except psutil.NoSuchProcess:       # it ended, as it should
                pass
        self._log.close()
        self.process = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


# ---------------------------------------------------------------- the notebook page

# One dict per cell, read from the notebook model and the cell's DOM node.
_CELLS_JS = r"""
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map((cell, index) => {
    const model = cell.model;
    const type = model.type;
    const out = { index, type, source: model.sharedModel.getSource(),
                  inputHidden: cell.inputHidden, metadata: model.sharedModel.getMetadata() };
    if (type === 'code') {
      out.executionCount = model.executionCount;
      out.outputs = model.outputs.toJSON();
      const prompt = cell.node.querySelector('.jp-InputPrompt');
      out.prompt = prompt ? prompt.textContent.trim() : '';
      const area = cell.node.querySelector('.jp-OutputArea');
      out.outputText = area ? area.innerText : '';
    } else if (type === 'markdown') {
      const rendered = cell.node.querySelector('.myst')             // jupyterlab-myst
                       || cell.node.querySelector('.jp-RenderedMarkdown');  // plain
      out.rendered = cell.rendered;
      out.text = rendered ? rendered.innerText : '';
      // all the text, collapsed parts too (textContent), with blocks and table cells
      // kept apart: "network" and "545,810" in two cells are not "network545,810"
      let whole = '';
      if (rendered) {
        const copy = rendered.cloneNode(true);
        copy.querySelectorAll('p, pre, li, div, td, th, tr, dt, dd, summary, h1, h2, h3, h4, '
                              + 'h5, h6, blockquote, table, ul, ol, details, br')
            .forEach(e => e.append(' '));
        whole = copy.textContent;
      }
      out.textContent = whole;
      out.html = rendered ? rendered.innerHTML : '';
      out.details = [...cell.node.querySelectorAll('details')].map(
        d => ({ open: d.open, summary: (d.querySelector('summary') || {}).textContent || '' }));
    }
    return out;
  });
}
"""

_STATE_JS = r"""
() => {
  const app = window.jupyterapp;
  if (!app) return { ready: false };
  const panel = app.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.content) return { ready: false };
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const prompts = [...panel.node.querySelectorAll('.jp-InputPrompt')].map(p => p.textContent);
  const cells = panel.content.widgets.map(c => c.model);
  // jupyterlab-myst stores an evaluated {eval} in the cell's metadata.user_expressions
  const evalPending = cells.filter(m => m.type === 'markdown'
      && m.sharedModel.getSource().includes('{eval}')
      && !m.sharedModel.getMetadata().user_expressions).length;
  const errors = cells.filter(m => m.type === 'code'
      && m.outputs.toJSON().some(o => o.output_type === 'error')).length;
  // markdown cells not (yet) drawn: off the page (windowing), or rendered with no text
  // (a cell of front matter only draws nothing, rightly)
  const frontMatter = /^---\n[\s\S]*\n---\s*$/;
  const unrendered = panel.content.widgets.filter(c => {
    const source = c.model.sharedModel.getSource().trim();
    if (c.model.type !== 'markdown' || !source || frontMatter.test(source)) return false;
    const drawn = c.node.querySelector('.myst, .jp-RenderedMarkdown');
    return !(c.node.isConnected && c.rendered && drawn && drawn.textContent.trim());
  }).length;
  return {
    ready: panel.context.isReady && !!kernel,
    path: panel.context.path,
    status: kernel ? kernel.status : 'none',
    connection: kernel ? kernel.connectionStatus : 'none',
    pending: prompts.filter(t => t.includes('*')).length,
    evalPending, errors, unrendered,
    windowing: (panel.content.notebookConfig || {}).windowingMode,
    cells: cells.length,
  };
}
"""


# JupyterLab's notifications (toasts) and modal dialogs on the page. On a first open a
# reader sees none: the news prompt, a toast that asks "Would you like to get notified
# about official Jupyter news?", is switched off by the settings the environment ships.
_PROMPTS_JS = r"""
async () => {
  await window.jupyterapp.restored;
  return [...document.querySelectorAll('.Toastify__toast, .jp-Dialog')]
    .map(e => e.innerText.trim()).filter(t => t);
}
"""


def first_run_prompts(page, settle=5.0):
    """The texts of the toasts and dialogs a JupyterLab ``page`` shows ``settle`` seconds
    after it has restored its layout (the news prompt comes once its plugin has read its
    settings, well within that; tests/test_lab_settings.py sees it come)."""
    page.wait_for_function("() => !!window.jupyterapp", timeout=120_000)
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    time.sleep(settle)
    return page.evaluate(_PROMPTS_JS)


@dataclass
class RunReport:
    """What a notebook shows after Run All (one dict per cell, see ``_CELLS_JS``)."""

    cells: list
    seconds: float
    page_errors: list = field(default_factory=list)

    @property
    def code_cells(self):
        return [c for c in self.cells if c["type"] == "code"]

    @property
    def markdown_cells(self):
        return [c for c in self.cells if c["type"] == "markdown"]

    @property
    def errors(self):
        """(cell index, 'Ename: evalue') of every error output."""
        return [(c["index"], f"{o.get('ename')}: {o.get('evalue')}")
                for c in self.code_cells for o in c["outputs"] if o["output_type"] == "error"]

    @property
    def eval_errors(self):
        """(cell index, expression, 'Ename: evalue') of every ``{eval}`` the kernel answered
        with an error (jupyterlab-myst keeps the answers in metadata.user_expressions): a
        name asked for before the cell that defines it ran, or one no cell defines."""
        return [(c["index"], e.get("expression"), f"{r.get('ename')}: {r.get('evalue')}")
                for c in self.markdown_cells
                for e in ((c.get("metadata") or {}).get("user_expressions") or [])
                if (r := e.get("result") or {}).get("status") != "ok"]

    @property
    def undrawn(self):
        """Indices of markdown cells with a source but no rendered text on the page (a
        cell left off the page by windowing, or not rendered): their numbers would be
        "missing" for no fault of their own."""
        return [c["index"] for c in self.markdown_cells
                if c["source"].strip() and not FRONT_MATTER.fullmatch(c["source"].strip())
                and not (c["rendered"] and c["textContent"].strip())]

    @property
    def not_run(self):
        """Indices of code cells that never ran (no execution count)."""
        return [c["index"] for c in self.code_cells
                if c["source"].strip() and c["executionCount"] is None]

    def output_text(self):
        return "\n".join(c["outputText"] for c in self.code_cells)

    def markdown_text(self):
        """The rendered text of every markdown cell, collapsed parts included."""
        return "\n".join(c["textContent"] for c in self.markdown_cells)

    def raw_myst(self):
        """(cell index, pattern, excerpt) for MyST syntax left as text in rendered markdown."""
        found = []
        for c in self.markdown_cells:
            for pattern in RAW_MYST:
                at = c["textContent"].find(pattern)
                if at >= 0:
                    found.append((c["index"], pattern, c["textContent"][max(0, at - 30):at + 60]))
        return found


def run_problems(report):
    """What went wrong while the notebook ran: error outputs, cells never run, tracebacks."""
    problems = [f"error output in cell {i}: {e}" for i, e in report.errors]
    if report.not_run:
        problems.append(f"code cells that never ran: {report.not_run}")
    if report.undrawn:
        problems.append(f"markdown cells not drawn on the page: {report.undrawn}")
    problems += [f"{{eval}}`{name}` in cell {i} answered {error}"
                 for i, name, error in report.eval_errors]
    if "Traceback" in report.output_text():
        problems.append("a traceback shows in an output")
    problems += report.page_errors
    return problems


class LabNotebook:
    """One notebook opened in JupyterLab in a playwright ``page``, driven through the UI."""

    _opened = 0

    def __init__(self, page, lab, path):
        self.page, self.lab, self.path = page, lab, str(path)
        self.page_errors = []
        self.console = []                  # (type, text) of the page's console warnings, errors
        page.on("pageerror", lambda exc: self.page_errors.append(f"uncaught: {exc}"))
        page.on("console", lambda msg: msg.type in ("warning", "error")
                and self.console.append((msg.type, msg.text)))

    def state(self):
        return self.page.evaluate(_STATE_JS)

    def open(self, timeout=120.0):
        """Open the notebook and wait until its kernel is connected and idle.

        Each page gets a workspace of its own, so no tab of an earlier page reopens.
        """
        LabNotebook._opened += 1
        workspace = f"w{os.getpid()}-{LabNotebook._opened}"
        self.page.goto(f"{self.lab.url}lab/workspaces/{workspace}/tree/{quote(self.path)}",
                       wait_until="load")
        self._wait(lambda s: s.get("ready") and s["path"] == self.path
                   and s["status"] == "idle" and s["connection"] == "connected"
                   and s["windowing"] == "none",
                   timeout, "the notebook to open with an idle kernel, every cell attached "
                   "(windowingMode none, from the harness's settings)")
        return self

    def _wait(self, condition, timeout, what, stable=0.0):
        deadline = time.monotonic() + timeout
        since = None
        state = {}
        while time.monotonic() < deadline:
            state = self.state()
            if condition(state):
                since = since or time.monotonic()
                if time.monotonic() - since >= stable:
                    return state
            else:
                since = None
            time.sleep(0.25)
        raise TimeoutError(f"{self.path}: waited {timeout} s for {what}; last state {state}"
                           f"\n--- server log (tail) ---\n{self.lab.log()[-3000:]}")

    def run_all(self):
        """Menu Run > Run All Cells, as a reader does it."""
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        self._started = time.monotonic()

    def wait_until_run(self, timeout=600.0, stable=2.0):
        """Wait until every cell has run and the kernel has been idle for ``stable`` s.

        "Run" means: no code cell pending (``[*]``), every markdown cell with an
        ``{eval}`` evaluated (jupyterlab-myst sends those after the code cells), and every
        markdown cell drawn on the page with its text. After
        an error JupyterLab stops the queue: the cells below it never run (listed
        by ``RunReport.not_run``) and the evaluations are aborted.
        """
        self._wait(lambda s: s.get("ready") and s["pending"] == 0 and s["status"] == "idle"
                   and ((s["evalPending"] == 0 and s["unrendered"] == 0) or s["errors"] > 0),
                   timeout, "every cell to run and every markdown cell to be drawn",
                   stable=stable)
        seconds = time.monotonic() - self._started - stable
        return RunReport(self.cells(), seconds, list(self.page_errors))

    def cells(self):
        return self.page.evaluate(_CELLS_JS)

    # What ``screenshots`` shows, by name: the first element of each kind in the notebook.
    SHOTS = {
        "top": ".jp-Notebook .jp-Cell",
        "citation": ".jp-MarkdownCell a[href*='references']",
        "reference": ".jp-MarkdownCell a[href*='.ipynb']",
        "figure": ".jp-OutputArea-output img",
        "panel": ".jp-OutputArea-output .widget-slider",
        "end": ".jp-Notebook .jp-Cell >> nth=-1",
    }

    def screenshots(self, folder, stem):
        """Save the viewport scrolled to each of ``SHOTS`` the notebook holds, as
        ``folder/stem-NAME.png``; returns the paths written."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, selector in self.SHOTS.items():
            target = self.page.locator(selector).first
            if target.count() == 0:
                continue
            target.scroll_into_view_if_needed()
            time.sleep(0.5)                        # images and MathJax settle after a scroll
            path = folder / f"{stem}-{name}.png"
            self.page.screenshot(path=str(path))
            written.append(path)
        return written
