"""The chapters as a reader opens them: JupyterLab with jupyterlab-myst, in chromium.

Starts JupyterLab from the project's venv on 127.0.0.1 (tests/lab_harness.py),
opens each selected chapter, runs all cells through the menu and checks what
the page shows (issue 7, item 5):

- no error output, no traceback, every code cell ran;
- no raw MyST in the rendered markdown (``{glue``, ``{eval``, ``{cite``, ...);
- every number the built HTML shows in the chapter's prose shows here too;
- solutions start collapsed (gated solutions: their code cells' input hidden);
- chapter 8: the training panel is displayed, and moving a slider changes its image;
- the notebook file is unchanged afterwards (nothing was saved into chapters/).

``test_the_checks_catch_faults`` runs a small notebook with one fault of each
kind through the same checks, so each of them is seen to fail.

Which chapters run: ``GDLIB_LAB_CHAPTERS`` (default ``all``, see ``DEFAULT_CHAPTERS``;
or numbers such as ``1-3,8`` or ``4 5``). With
the build's run cache (``GDLIB_RUN_CACHE``, where the paper's figure runs come from)
all eight take about 5 minutes here; without it chapters 4-8 train on MNIST for
minutes each. The number check reads
the built book (``make book``, or ``GDLIB_BOOK_HTML``). ``GDLIB_LAB_SHOTS=DIR``
saves screenshots of each chapter after Run All (``LabNotebook.screenshots``).
"""

import hashlib
import os
import re
import time
from pathlib import Path

import pytest
from lab_harness import ROOT, LabNotebook, LabServer, RunReport, run_problems
from support import CHAPTER_FILES, html_numbers, missing_numbers, plain

pytestmark = pytest.mark.browser

# Every chapter by default. Chapter 4 was left out after one CI run (2026-12-04) in which
# 117 of its 152 HTML numbers were absent from the page after Run All; it has not happened
# again (one quiet and five busy runs, 2026-12-06). The harness now waits until every
# markdown cell is drawn, with windowing off, and names an undrawn cell as a problem of
# its own (RunReport.undrawn), so a recurrence says where the text went missing.
DEFAULT_CHAPTERS = "all"
RUN_TIMEOUT = float(os.environ.get("GDLIB_LAB_TIMEOUT", 1800))    # seconds per chapter
SHOTS = os.environ.get("GDLIB_LAB_SHOTS")   # a folder: screenshots of each chapter after Run All
PANEL_CHAPTERS = (8,)          # chapters whose live TrainingPanel must respond to a slider


def selected_chapters(spec=None):
    """Chapter numbers from ``GDLIB_LAB_CHAPTERS``: ``all``, or e.g. ``1-3,8`` / ``4 5``."""
    spec = (os.environ.get("GDLIB_LAB_CHAPTERS", DEFAULT_CHAPTERS) if spec is None else spec)
    spec = spec.strip().lower()
    if spec == "all":
        return sorted(CHAPTER_FILES)
    chosen = set()
    for part in filter(None, re.split(r"[,\s]+", spec)):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise ValueError(f"GDLIB_LAB_CHAPTERS: {part!r} is not a chapter number or range; "
                             "use e.g. 'all', '1-3,8' or '4 5'")
        low, high = int(m[1]), int(m[2] or m[1])
        unknown = [n for n in range(low, high + 1) if n not in CHAPTER_FILES]
        if unknown or low > high:
            raise ValueError(f"GDLIB_LAB_CHAPTERS: no chapter {unknown or part!r}; "
                             f"the chapters are {sorted(CHAPTER_FILES)}")
        chosen.update(range(low, high + 1))
    if not chosen:
        raise ValueError("GDLIB_LAB_CHAPTERS is empty: name chapters, e.g. '1-3', or 'all'")
    return sorted(chosen)


CHAPTERS = selected_chapters()


# ------------------------------------------------------------------ the numbers hook

# Strings that the HTML shows in a chapter's prose and JupyterLab must show too,
# per chapter number. A chapter listed here uses exactly this list; any other
# chapter is sampled from the built HTML (``html_numbers``).
EXPECTED_NUMBERS: dict[int, list[str]] = {}

# Numbers that measure the machine's speed in the execution that shows them, by the words
# before them in the HTML: the build's execution and JupyterLab's give other values, so the
# page must show a number there, not the same one (chapter 4: Exercise 4.4's samples per
# second of the Fig. 4 runs, which each execution trains).
TIMINGS: dict[int, tuple[str, ...]] = {4: ("at about",)}

# ------------------------------------------------------------------ one run per chapter

class ChapterRun:
    def __init__(self, number, notebook, report, files_before):
        self.number, self.notebook, self.report = number, notebook, report
        self.path = CHAPTER_FILES[number]
        self.files_before = files_before


def _files(path):
    """The notebook's digest and the files beside it (checkpoints would show here)."""
    return (hashlib.sha256(path.read_bytes()).hexdigest(),
            sorted(str(p.relative_to(path.parent)) for p in path.parent.rglob("*")))


@pytest.fixture(scope="module", params=CHAPTERS, ids=lambda n: CHAPTER_FILES[n].stem)
def chapter(request, chromium, lab_server):
    """Chapter ``n`` opened in a fresh page, all cells run; its kernel is shut down after."""
    number = request.param
    path = CHAPTER_FILES[number]
    before = _files(path)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        notebook = LabNotebook(page, lab_server, path.relative_to(ROOT).as_posix()).open()
        notebook.run_all()
        report = notebook.wait_until_run(timeout=RUN_TIMEOUT)
        print(f"\n{path.name}: Run All took {report.seconds:.1f} s in JupyterLab")
        if SHOTS:
            notebook.screenshots(SHOTS, path.stem)
            (Path(SHOTS) / f"{path.stem}-console.txt").write_text(
                "".join(f"{kind}: {text}\n" for kind, text in notebook.console))
        yield ChapterRun(number, notebook, report, before)
    finally:
        context.close()
        lab_server.shutdown_kernels()


# ------------------------------------------------------------------ the checks

def test_the_selection_is_read():
    assert selected_chapters("all") == sorted(CHAPTER_FILES)
    assert selected_chapters("1-3, 8") == [1, 2, 3, 8]
    for bad in ("one", "0", "3-1", ","):
        with pytest.raises(ValueError, match="GDLIB_LAB_CHAPTERS"):
            selected_chapters(bad)


def _is_solution(summary):
    return re.match(r"\s*(Start of )?Solution\b", summary) is not None


def solutions(report):
    """The collapsible solutions (<details> whose summary starts "Solution")."""
    return [d for c in report.markdown_cells for d in c["details"] if _is_solution(d["summary"])]


def open_solutions(report):
    """Solutions a reader sees without a click: open <details>, and the code cells of a
    gated solution ({solution-start} ... {solution-end}), which no <details> holds,
    unless their input is hidden (metadata jupyter.source_hidden)."""
    shown = [d["summary"] for d in solutions(report) if d["open"]]
    inside = False
    for c in report.cells:
        if c["type"] == "markdown" and "{solution-start}" in c["source"]:
            inside = True
        elif c["type"] == "markdown" and "{solution-end}" in c["source"]:
            inside = False
        elif inside and c["type"] == "code" and not c["inputHidden"]:
            shown.append(f"code cell {c['index']}")
    return shown


def test_runs_without_errors(chapter):
    problems = run_problems(chapter.report)
    assert not problems, f"{chapter.path.name}: {problems}"


def test_no_raw_myst(chapter):
    raw = chapter.report.raw_myst()
    assert not raw, f"{chapter.path.name}: MyST syntax shown as text: {raw}"


def test_numbers_from_the_html_appear(chapter, chromium):
    page = chapter.report.markdown_text()
    # solutions whose runs Run All leaves to book.solve: the page says so in their place
    unsolved = set(re.findall(r'book\.solve\(["“”]?(\d+\.\d+)', page))
    expected = EXPECTED_NUMBERS.get(chapter.number)
    if expected is None:
        expected = html_numbers(chromium, chapter.number, unsolved)
    assert expected, f"{chapter.path.name}: no numbers to look for (EXPECTED_NUMBERS, HTML)"
    missing = missing_numbers(page, expected)
    missing = [s for s in missing if not shows_a_timing(page, s, TIMINGS.get(chapter.number, ()))]
    assert not missing, (f"{chapter.path.name}: {len(missing)} of {len(expected)} numbers of "
                         f"the HTML prose are not in the JupyterLab page: {missing[:20]}")


# What jupyterlab-myst logs for a reference it cannot resolve: a {term}, {ref} or {numref}
# whose target is in another notebook (the chapters write those as Markdown links).
UNRESOLVED = re.compile(r"target was not found", re.I)


# What the page logs when an extension was built against another JupyterLab than the one it
# runs in (jupyterlab_widgets 3.0.17, built against 4.6, under the pinned 4.5).
MISMATCHED = re.compile(r"Unsatisfied version|No satisfying version", re.I)


def test_every_extension_was_built_for_this_jupyterlab(chapter):
    mismatched = [text for _, text in chapter.notebook.console if MISMATCHED.search(text)]
    assert not mismatched, (f"{chapter.path.name}: an extension asks for another JupyterLab "
                            f"(requirements.txt pins both): {mismatched[:3]}")


def test_every_reference_resolves(chapter):
    unresolved = [text for _, text in chapter.notebook.console if UNRESOLVED.search(text)]
    assert not unresolved, f"{chapter.path.name}: the console reports {unresolved[:5]}"


def shows_a_timing(page_text, sample, timings):
    """True if ``sample`` ("at about 61,373") is a timing (its words before the number are
    one of ``timings``) and ``page_text`` shows those words followed by some number."""
    words = next((t for t in timings if re.fullmatch(re.escape(t) + r" [\d][\d,.]*", sample)),
                 None)
    return words is not None and bool(
        re.search(r"(?<![\w.,])" + re.escape(words) + r" \d", plain(page_text)))


def test_solutions_start_collapsed(chapter):
    assert solutions(chapter.report), f"{chapter.path.name}: no collapsible solution found"
    shown = open_solutions(chapter.report)
    assert not shown, f"{chapter.path.name}: solutions shown open at the start: {shown}"


def test_notebook_file_unchanged(chapter):
    digest, files = _files(chapter.path)
    digest_before, files_before = chapter.files_before
    assert digest == digest_before, f"{chapter.path.name} was written while it ran in JupyterLab"
    new = sorted(set(files) - set(files_before))
    assert not new, f"running {chapter.path.name} in JupyterLab left files in chapters/: {new}"


_PANELS_JS = r"""
() => [...document.querySelectorAll('.jp-OutputArea-output')]
  .filter(o => o.querySelector('.widget-slider') && o.querySelector('img'))
  .map(o => { const img = o.querySelector('img');
              return { width: img.naturalWidth, src: img.src.length }; })
"""


def test_panel_slider_changes_image(chapter):
    page = chapter.notebook.page
    panels = page.evaluate(_PANELS_JS)
    if chapter.number not in PANEL_CHAPTERS:
        assert panels == [] or all(p["width"] > 0 for p in panels)
        return
    assert panels, f"{chapter.path.name}: no training panel (slider and image) is displayed"
    assert all(p["width"] > 0 for p in panels), f"{chapter.path.name}: a panel image is empty"
    panel = page.locator(".jp-OutputArea-output").filter(
        has=page.locator(".widget-slider")).filter(has=page.locator("img")).first
    image = panel.locator("img").first
    slider = panel.locator(".widget-slider").first
    before_src = image.get_attribute("src")
    before_value = slider.locator(".widget-readout").inner_text()
    slider.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and image.get_attribute("src") == before_src:
        time.sleep(0.1)
    after_value = slider.locator(".widget-readout").inner_text()
    assert after_value != before_value, f"the slider did not move ({before_value})"
    assert image.get_attribute("src") != before_src, (
        f"{chapter.path.name}: moving the slider {before_value} -> {after_value} did not "
        "change the panel's image within 120 s")


def test_cells_that_never_ran_are_reported():
    def code(index, source, count):
        return {"type": "code", "index": index, "source": source, "executionCount": count,
                "outputs": [], "outputText": ""}

    cells = [code(0, "a = 1", 1), {"type": "markdown", "index": 1, "source": "text",
                                    "rendered": True, "textContent": "text"},
             code(2, "b = 2", None), code(3, "  ", None)]
    report = RunReport(cells, 1.0)
    assert report.not_run == [2]
    assert "code cells that never ran: [2]" in run_problems(report)


def test_an_eval_the_kernel_could_not_answer_is_reported():
    def answer(expression, **result):
        return {"expression": expression, "result": result}

    cells = [{"type": "markdown", "index": 0, "source": "{eval}`a` {eval}`b`", "metadata": {
        "user_expressions": [answer("a", status="ok", data={"text/plain": "1"}),
                             answer("b", status="error", ename="NameError",
                                    evalue="name 'b' is not defined")]},
              "rendered": True, "textContent": "1 b"},
             {"type": "markdown", "index": 1, "source": "plain", "metadata": {},
              "rendered": True, "textContent": "plain"}]
    report = RunReport(cells, 1.0)
    assert report.eval_errors == [(0, "b", "NameError: name 'b' is not defined")]
    assert run_problems(report) == [
        "{eval}`b` in cell 0 answered NameError: name 'b' is not defined"]


def test_missing_numbers_matches_whole_tokens():
    page = "The training set has 60,000\n  images; eta 0.5 and 15 updates; loss 0.9707."
    assert missing_numbers(page, ["set has 60,000", "0.5", "15", "0.9707"]) == []
    assert missing_numbers(page, ["5", "0.97", "set has 6", "60"]) == ["5", "0.97", "set has 6",
                                                                      "60"]
    # a sample that starts at punctuation may follow a digit; its number still ends whole
    after = "bounds 0.0039 and 0.00098, so 5 layers suffice"
    assert missing_numbers(after, [", so 5", ", so 50", "so 5"]) == [", so 50"]
    assert missing_numbers("OpenBLAS's default", ["OpenBLAS\u2019s default"]) == []


def test_a_timing_needs_a_number_after_its_words_not_the_same_one():
    page = "batch 1 ran at about 1,302 samples per second and batch 256 at about 58,011"
    assert shows_a_timing(page, "at about 61,373", ("at about",))
    assert not shows_a_timing(page, "at about 61,373", ())                  # not a timing
    assert not shows_a_timing(page, "ran at 61,373", ("at about",))         # other words
    assert not shows_a_timing("batch 256 at about {eval}", "at about 61,373", ("at about",))


# ------------------------------------------------------------------ the checks can fail

_FAULTY = [
    ("markdown", "The value is {eval}`value` and `{glue:text}` stays raw."),
    ("code", "value = 0.9707"),
    ("markdown", ":::{dropdown} Solution to Exercise 9.1\n:open:\nshown\n:::"),
    ("markdown", "```{solution-start} ex-9-2\n:class: dropdown\n```"),
    ("code", "answer = 42"),
    ("markdown", "```{solution-end}\n```"),
    ("code", "raise ValueError('a check that fires')"),
    ("code", "never = True"),
    ("markdown", "It never ran: {eval}`never`."),
    ("markdown", "A {term}`term-nowhere` that no glossary of this notebook holds."),
]


def test_the_checks_catch_faults(chromium, tmp_path):
    """A notebook with one fault of each kind, run like a chapter: every check reports it."""
    import nbformat

    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb = nbformat.v4.new_notebook(cells=[make[kind](src) for kind, src in _FAULTY])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.write(nb, tmp_path / "faulty.ipynb")
    with LabServer(tmp_path) as lab:
        context = chromium.new_context()
        try:
            notebook = LabNotebook(context.new_page(), lab, "faulty.ipynb").open()
            notebook.run_all()
            report = notebook.wait_until_run(timeout=120)
        finally:
            context.close()
    problems = run_problems(report)
    assert any("ValueError: a check that fires" in p for p in problems), problems
    # The kernel aborts the requests queued when the error comes; one that JupyterLab
    # sends a moment later (a busy machine) still runs. Either way the report says so.
    assert report.not_run in ([7], []), report.not_run
    assert any("never ran: [7]" in p for p in problems) == (report.not_run == [7]), problems
    assert [pattern for _, pattern, _ in report.raw_myst()] == ["{glue"]
    assert any(UNRESOLVED.search(text) for _, text in notebook.console), notebook.console
    assert open_solutions(report) == ["Solution to Exercise 9.1", "code cell 4"]
    # A value whose cell never ran is not on the page (whether the kernel still answered
    # the page's other {eval} requests before the error depends on timing).
    assert missing_numbers(report.markdown_text(), ["ran: True", "It never ran"]) == ["ran: True"]


def test_a_markdown_cell_left_undrawn_is_named():
    """A cell the page never drew (windowing, or a render that did not come) is reported as
    such, not only as the numbers it would have shown."""
    cells = [{"index": 0, "type": "markdown", "source": "x is {eval}`x`", "rendered": False,
              "textContent": ""},
             {"index": 1, "type": "markdown", "source": " ", "rendered": True, "textContent": ""},
             {"index": 2, "type": "markdown", "source": "a", "rendered": True, "textContent": "a"},
             {"index": 3, "type": "markdown", "source": "b", "rendered": True, "textContent": ""},
             {"index": 4, "type": "markdown", "source": "---\nnumbering:\n  equation: false\n---",
              "rendered": True, "textContent": ""}]
    report = RunReport(cells, 1.0, [])
    assert report.undrawn == [0, 3]
    assert "markdown cells not drawn on the page: [0, 3]" in run_problems(report)
