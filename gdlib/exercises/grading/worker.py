"""Run one rebuilt submission, in this process, and report what happened as JSON.

    python -m gdlib.exercises.grading.worker JOB.json

The grader starts one such process per submission.  It makes a temporary
folder (the kernel's working directory, ``TMPDIR`` and ``IPYTHONDIR``; removed
afterwards), writes a kernel spec that starts ``sandbox`` under its limits,
and runs the notebook cell by cell in a fresh kernel:

- an answer cell may take ``cell_timeout`` seconds, a cell of the book
  ``book_cell_timeout``; all cells together ``notebook_timeout``;
- outputs are counted and dropped (the grade never comes from them); an
  error's name, message and line are kept;
- first and last come the grader's cells (``probe``): the verdicts arrive in
  a file.

When an answer cell ends the run (it timed out, or the kernel died in it or
in its checker), that exercise is marked and the notebook runs again with
that answer cell back to the stub, so the other exercises are still graded.
"""

import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*m")

# The grader's own cells, before and after the notebook's (see ``probe``): gdlib comes
# from the grader's folder, ahead of the kernel's working folder.
FIRST_CELL = """\
import sys as _gdlib_sys
_gdlib_sys.path.insert(0, {root})
import gdlib.exercises.grading.probe as _gdlib_probe
_gdlib_probe.start()
del _gdlib_sys, _gdlib_probe
"""
LAST_CELL = """\
import sys as _gdlib_sys
_gdlib_record = getattr(_gdlib_sys.modules.get("gdlib.exercises.grading.probe"), "SNAPSHOT", None)
_gdlib_sys.path.insert(0, {root})
for _gdlib_name in [m for m in _gdlib_sys.modules if m.startswith("gdlib.exercises.grading")]:
    del _gdlib_sys.modules[_gdlib_name]
import gdlib.exercises.grading.probe as _gdlib_fresh
_gdlib_fresh.finish(_gdlib_record, {answers}, globals(), {out}, {root})
"""


def run_job(job):
    """Grade the notebook described by ``job`` (a dict, see ``grade.make_job``)."""
    work = Path(tempfile.mkdtemp(prefix="gdlib-grade-"))
    try:
        _kernel_spec(work, job)
        deadline = time.monotonic() + job["notebook_timeout"]
        report = {"cells": {}, "verdicts": {}, "patched": [], "check_rebound": False,
                  "book_error": "", "stopped": "", "attempts": 0}
        stubbed = set()
        while True:
            report["attempts"] += 1
            nb = _notebook(job, work, stubbed)
            culprit = asyncio.run(_run(nb, job, work, deadline, report))
            done = set(report["verdicts"]) | set(stubbed) | ({culprit} if culprit else set())
            if (culprit and culprit not in stubbed and set(job["answers"]) - done
                    and time.monotonic() < deadline):
                stubbed.add(culprit)
                continue
            return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _kernel_spec(work, job):
    folder = work / "kernels" / "gdlib-grade"
    folder.mkdir(parents=True)
    argv = [sys.executable, "-m", "gdlib.exercises.grading.sandbox",
            "--memory", str(job["memory"]), "--cpu", str(int(job["notebook_timeout"]) + 60),
            "--file-size", str(job["file_size"]), "-f", "{connection_file}"]
    for name in ("ipython", "tmp", "runtime", "run"):
        (work / name).mkdir()
    env = {"IPYTHONDIR": str(work / "ipython"), "TMPDIR": str(work / "tmp")}
    (folder / "kernel.json").write_text(json.dumps(
        {"argv": argv, "display_name": "gdlib grader", "language": "python", "env": env}))
    os.environ["JUPYTER_RUNTIME_DIR"] = str(work / "runtime")     # the connection file


def _notebook(job, work, stubbed):
    import nbformat

    nb = json.loads(json.dumps(job["notebook"]))
    for cell in nb["cells"]:
        label = job["cell_labels"].get(cell.get("id"))
        if label in stubbed:
            cell["source"] = job["stubs"][label]
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    root = job["root"]
    answers = {label: a["name"] for label, a in job["answers"].items() if label not in stubbed}
    first = FIRST_CELL.format(root=repr(root))
    last = LAST_CELL.format(root=repr(root), answers=repr(answers),
                            out=repr(str(work / "verdicts.json")))
    cells = [nbformat.v4.new_code_cell(first, id="gdlib-grader-start"), *[
        nbformat.from_dict(c) for c in nb["cells"]],
        nbformat.v4.new_code_cell(last, id="gdlib-grader-verdicts")]
    nb["cells"] = cells
    return nbformat.from_dict(nb)


async def _run(nb, job, work, deadline, report):
    """Run ``nb`` once; fill ``report``; return the label of an answer cell that ended the
    run (timed out or lost the kernel), else None."""
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    labels = job["cell_labels"]
    specs = KernelSpecManager(kernel_dirs=[str(work / "kernels")], ensure_native_kernel=False)
    km = AsyncKernelManager(kernel_name="gdlib-grade", kernel_spec_manager=specs)
    client = _Client(nb, km=km, allow_errors=True, interrupt_on_timeout=False,
                     shutdown_kernel="immediate", startup_timeout=120,
                     resources={"metadata": {"path": str(work / "run")}})
    verdict_file = work / "verdicts.json"
    verdict_file.unlink(missing_ok=True)
    culprit = None
    try:
        async with client.async_setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                label = labels.get(cell.get("id"))
                own = job["cell_timeout"] if label else job["book_cell_timeout"]
                left = deadline - time.monotonic()
                if left <= 1:
                    report["stopped"] = _where(cell, label, index, "the notebook ran out of "
                                               f"time ({job['notebook_timeout']:g} s in all)")
                    culprit = label
                    break
                client.timeout = int(max(1, min(own, left)))
                try:
                    await asyncio.wait_for(client.async_execute_cell(cell, index),
                                           client.timeout + 30)
                except (CellTimeoutError, asyncio.TimeoutError):
                    limited = "the notebook's time" if own > left else f"{own:g} s"
                    culprit = label or _final_label(cell, job, verdict_file)
                    _mark(report, culprit, cell, index, "timeout",
                          f"ran past its time limit ({limited}) and was stopped")
                    break
                except DeadKernelError:
                    culprit = label or _final_label(cell, job, verdict_file)
                    _mark(report, culprit, cell, index, "died", "ended the kernel (it "
                          "crashed, exited, or went over the memory limit)")
                    break
                _record(report, label, cell, index, client)
    finally:
        if verdict_file.is_file():
            found = json.loads(verdict_file.read_text(encoding="utf-8"))
            report["verdicts"].update(found["labels"])
            report["patched"] = sorted(set(report["patched"]) | set(found["patched"]))
            report["check_rebound"] |= found["check_rebound"]
    return culprit


def _final_label(cell, job, verdict_file):
    """In the grader's last cell: the label whose checker was running when it stopped."""
    if cell.get("id") != "gdlib-grader-verdicts":
        return None
    done = json.loads(verdict_file.read_text())["labels"] if verdict_file.is_file() else {}
    return next((label for label in job["answers"] if label not in done), None)


def _where(cell, label, index, what):
    return (f"the answer cell of Exercise {label}: {what}" if label else
            f"cell {index} of the notebook (id `{cell.get('id')}`): {what}")


def _mark(report, label, cell, index, kind, what):
    """Note that a cell ended the run: an answer cell, the book's checker asked about
    answer ``label`` (in the grader's last cell), or a cell of the book."""
    checking = cell.get("id") == "gdlib-grader-verdicts"
    if label:
        where = "while the book's checker ran it, it " if checking else ""
        report["cells"].setdefault(label, {})[kind] = where + what
    else:
        report["stopped"] = ("the grader's last cell " + what if checking else
                             _where(cell, label, index, what))


def _record(report, label, cell, index, client):
    error = client.errors.pop(index, None)
    printed = client.printed.pop(index, 0)
    if label:
        entry = report["cells"].setdefault(label, {})
        entry["printed"] = max(entry.get("printed", 0), printed)
        if error:
            entry["error"] = error
    elif error and cell.get("id") == "gdlib-grader-verdicts":
        report["stopped"] = f"the grader's last cell failed: {error}"
    elif error and not report["book_error"]:
        report["book_error"] = f"cell {index} of the book (id `{cell.get('id')}`) raised {error}"


def _client_class():
    from nbclient import NotebookClient

    class Client(NotebookClient):
        """nbclient's client that counts each cell's output bytes and keeps only errors."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.printed, self.errors = {}, {}

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            size = len(content.get("text", "")) + sum(
                len(str(v)) for v in content.get("data", {}).values())
            self.printed[cell_index] = self.printed.get(cell_index, 0) + size
            if msg["msg_type"] == "error":
                self.errors[cell_index] = _error_text(content)
            return None

    return Client


def _error_text(content):
    """``NameError: name 'x' is not defined (line 3)``, from an error message's content."""
    text = f"{content.get('ename', 'Error')}: {str(content.get('evalue', ''))[:300]}"
    trace = ANSI.sub("", "\n".join(content.get("traceback", [])))
    lines = re.findall(r"Cell In\[\d+\], line (\d+)", trace)
    return text + (f" (line {lines[0]})" if lines else "")


def _Client(*args, **kwargs):  # noqa: N802 -- a class made on first use (nbclient is an extra)
    return _client_class()(*args, **kwargs)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    report = run_job(job)
    Path(job["result"]).write_text(json.dumps(report), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
