"""What jupyterlab-myst renders, measured in a real browser (issue 7's survey).

    .venv/bin/python tests/lab_survey.py [--json out.json] [--screenshots DIR]

Writes a small test notebook into a temporary folder (with a copy of
gdlib/optimizers.py at ../gdlib/ for ``literalinclude``), starts JupyterLab on
it (tests/lab_harness.py), runs all cells through the menu, and prints for
every probe what the rendered page shows (the timeline: seconds after Run All,
the {eval} probe's text, code cells run so far); then runs all again, moves a
widget slider, and opens a second notebook with front matter.  Not a test: a
record of the renderer's behaviour that decides how the chapters are written.
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from lab_harness import ROOT, LabNotebook, LabServer
from support import launch_chromium

md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell

EVAL_SETUP = """\
from types import SimpleNamespace

class Shown(float):
    def __repr__(self):
        return f"{float(self):.4f}"

i = 60000
f = 0.9707123456
s = "hello"
r = Shown(0.9707123456)
ns = SimpleNamespace(value=0.25)
from myst_nb import glue
glue("acc", 0.9707123456, display=False)
"""

WIDGET = """\
import io
import ipywidgets as w
from matplotlib.figure import Figure

def png(n):
    fig = Figure(figsize=(2, 2), dpi=50)
    fig.subplots().bar(range(n), range(n))
    buf = io.BytesIO(); fig.savefig(buf, format="png"); return buf.getvalue()

slider = w.IntSlider(value=3, min=1, max=10, description="n", continuous_update=False)
image = w.Image(value=png(3), format="png")
seen = w.Label("kernel saw n = 3")
def on_change(change):
    image.value = png(change["new"]); seen.value = f"kernel saw n = {change['new']}"
slider.observe(on_change, names="value")
w.VBox([slider, seen, image])
"""

# (probe id, cell); markdown cells start with their probe id so they can be found.
PROBES = [
    ("eval-before", md("EVAL-BEFORE: defined below: {eval}`i`")),
    ("setup", code(EVAL_SETUP)),
    ("eval", md("EVAL: int {eval}`i` | float {eval}`f` | str {eval}`s` | "
                "repr {eval}`r` | attr {eval}`ns.value` | fmt {eval}`f'{f:.4f}'` | "
                "undefined {eval}`nowhere`")),
    ("order-x1", code("x = 1")),
    ("eval-order-1", md("ORDER-1: x is {eval}`x` here")),
    ("order-x2", code("x = 2")),
    ("eval-order-2", md("ORDER-2: x is {eval}`x` here")),
    ("slow", code("import time\ntime.sleep(5)\nslow_done = time.time()")),
    ("eval-after-slow", md("AFTER-SLOW: {eval}`slow_done`")),
    ("eval-numpy", code("import numpy as np\n"
                        "np_f = np.float64(0.9707123456)\nnp_i = np.int64(535818)")),
    ("eval-numpy-md", md("NUMPY: float64 {eval}`np_f` | int64 {eval}`np_i` | "
                         "fmt {eval}`f'{np_i:,}'` | error {eval}`1/0`")),
    ("eval-table", md("| what | value |\n| --- | --- |\n| TABLE-ROW | {eval}`r` |")),
    ("eval-in-solution", md(":::{solution} ex-2-2\n:label: sol-eval\n:class: dropdown\n\n"
                            "EVAL-IN-SOLUTION {eval}`i`\n:::")),
    ("eval-in-admonition", md(":::{admonition} Note\nEVAL-IN-ADMONITION {eval}`r`\n:::")),
    ("remove-cell-tag", code("print('REMOVE-CELL-TAGGED')")),
    ("outputs-hidden", code("print('OUTPUTS-HIDDEN-OUTPUT')")),
    ("exercise", md(":::{exercise} Count the parameters\n:label: ex-2-2\n\n"
                    "EXERCISE-BODY How many parameters?\n:::")),
    ("solution", md(":::{solution} ex-2-2\n:class: dropdown\n\nSOLUTION-BODY 535,818.\n:::")),
    ("exercise-start", md("```{exercise-start} Write the layer\n:label: ex-2-1\n```\n\n"
                          "GATED-EXERCISE-BODY Write `layer(h, W, b)`.")),
    ("gated-code", code("def layer(h, W, b):\n    return h @ W + b")),
    ("exercise-end", md("```{exercise-end}\n```")),
    ("solution-start", md("```{solution-start} ex-2-1\n:class: dropdown\n```")),
    ("gated-solution-code", code("import numpy as np\nnp.maximum(0, 1.0)")),
    ("solution-end", md("```{solution-end}\n```")),
    ("hint", md(":::{hint}\n:class: dropdown\nHINT-BODY use numpy.\n:::")),
    ("admonition-hint", md(":::{admonition} Hint\n:class: dropdown\n"
                           "ADMONITION-HINT-BODY use numpy.\n:::")),
    ("dropdown", md(":::{dropdown} Solution to Exercise 1.1\nDROPDOWN-BODY counts.\n:::")),
    ("glue", md("GLUE: {glue:text}`acc:.4f` and {glue:text}`acc`")),
    ("term", md("TERM: gradient descent ({term}`경사하강법`) and {term}`SGD`")),
    ("glossary", md("```{glossary}\nSGD\n  stochastic gradient descent\n```")),
    ("cite", md("CITE: {cite:p}`kang2020` and {cite:t}`kang2020`")),
    ("target", md("(sec-here)=\n## TARGET heading")),
    ("ref", md("REF: {ref}`the section <sec-here>`, {ref}`sec-here`, "
               "{ref}`eq. (9) <eq-9>` (label below), {ref}`eq-5` (other notebook)")),
    ("tag", md("(eq-9)=\n$$\nv \\leftarrow \\gamma v + \\eta \\nabla J \\tag{9}\n$$")),
    ("tag-nolabel", md("TAG-NOLABEL\n$$\nw \\leftarrow w - \\eta g \\tag{6}\n$$")),
    ("math-directive", md("```{math}\n:label: eq-10\nG \\leftarrow G + g^2 \\tag{10}\n```")),
    ("ref-other-text", md("REF-OTHER: {ref}`eq. (5) <eq-5>` and {numref}`Fig. %s <fig-paper-7>`")),
    ("plain-eq", md("PLAIN-EQ\n$$\na = b\n$$")),
    ("labelled-eq", md("$$\nw \\leftarrow w - v\n$$ (eq-9b)\n\nLABELLED-EQ {eq}`eq-9b`")),
    ("figure", md(":::{figure} data:image/gif;base64,"
                  "R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs="
                  "\n:name: fig-dot\n\nA dot.\n:::")),
    ("code-figure", code("from matplotlib.figure import Figure\nfig = Figure(figsize=(2, 1))\n"
                         "fig.subplots().plot([0, 1])\nfig")),
    ("numref-code-figure", md("NUMREF-CODE-FIGURE: {numref}`fig-code`")),
    ("numref", md("NUMREF: {numref}`fig-dot`, {numref}`Figure %s <fig-dot>`, "
                  "{numref}`fig-paper-7` (other notebook)")),
    ("literalinclude", md("```{literalinclude} ../gdlib/optimizers.py\n:pyobject: SGD\n```")),
    ("code-cell", md("```{code-cell} python\nprint('CODE-CELL ran')\n```")),
    ("hidden-input", code("HIDDEN = 'HIDDEN-INPUT-OUTPUT'\nprint(HIDDEN)")),
    ("widget", code(WIDGET)),
]


# A second notebook: does front matter in the first cell turn the automatic
# equation numbers off, leaving only the paper's \\tag numbers?
FRONTMATTER_PROBES = [
    ("frontmatter", md("---\nnumbering:\n  equation: false\n---\nFRONTMATTER first cell")),
    ("fm-tag", md("(eq-9)=\n$$\nv \\leftarrow \\gamma v + \\eta g \\tag{9}\n$$\n\n"
                  "FM-REF {ref}`eq. (9) <eq-9>`")),
    ("fm-plain", md("FM-PLAIN\n$$\na = b\n$$")),
]


def write_notebook(path, probes):
    cells = []
    for probe, cell in probes:
        cell = nbformat.from_dict(cell)
        cell.metadata["probe"] = probe
        if probe == "remove-cell-tag":
            cell.metadata["tags"] = ["remove-cell"]
        if probe == "outputs-hidden":
            cell.metadata["jupyter"] = {"outputs_hidden": True}
        if probe == "hidden-input":
            cell.metadata["jupyter"] = {"source_hidden": True}
        if probe == "code-figure":       # as the chapters name their figures (myst-nb)
            cell.metadata["mystnb"] = {"figure": {"name": "fig-code", "caption": "A line."}}
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nbformat.write(nb, path)


def make_notebook(folder):
    (folder / "chapters").mkdir()
    (folder / "gdlib").mkdir()
    shutil.copy(ROOT / "gdlib" / "optimizers.py", folder / "gdlib" / "optimizers.py")
    write_notebook(folder / "chapters" / "survey.ipynb", PROBES)
    write_notebook(folder / "chapters" / "frontmatter.ipynb", FRONTMATTER_PROBES)
    return "chapters/survey.ipynb"


def summarize(cells):
    rows = {}
    for c in cells:
        probe = c["metadata"].get("probe")
        row = {"type": c["type"], "inputHidden": c["inputHidden"]}
        if c["type"] == "markdown":
            row.update(text=c["text"].strip(), textContent=c["textContent"].strip(),
                       details=c["details"], html=c["html"][:1500],
                       user_expressions=c["metadata"].get("user_expressions"))
        else:
            row.update(executionCount=c["executionCount"], output=c["outputText"].strip()[:300],
                       errors=[o.get("ename") for o in c["outputs"]
                               if o["output_type"] == "error"])
        rows[probe] = row
    return rows


def eval_values(page):
    """The eval probe's rendered text, and how many code cells have run so far."""
    return page.evaluate("""() => {
        const panel = window.jupyterapp.shell.currentWidget;
        const cells = panel.content.widgets;
        const cell = cells.find(c => c.model.sharedModel.getSource().startsWith('EVAL:'));
        const r = cell.node.querySelector('.myst')
                  || cell.node.querySelector('.jp-RenderedMarkdown');
        const ran = cells.filter(c => c.model.type === 'code' && c.model.executionCount).length;
        return [r ? r.innerText : '', ran];
    }""")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the full record here")
    parser.add_argument("--screenshots", type=Path, metavar="DIR",
                        help="save a screenshot of every cell after the first run here")
    args = parser.parse_args()
    record = {}
    with tempfile.TemporaryDirectory(prefix="gdlib-survey-") as tmp, \
            LabServer(tmp) as lab, launch_chromium() as browser:
        path = make_notebook(Path(tmp))
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        nb = LabNotebook(page, lab, path).open()
        time.sleep(1)
        record["before_run"] = eval_values(page)[0]
        record["before_run_html"] = page.evaluate("""() => window.jupyterapp.shell.currentWidget
            .content.widgets[2].node.querySelector('.myst').innerHTML""")
        nb.run_all()
        t0 = time.monotonic()
        timeline = []
        while time.monotonic() - t0 < 30:       # watch the eval cell for 30 s
            text, ran = eval_values(page)
            if not timeline or timeline[-1][1:] != [text, ran]:
                timeline.append([round(time.monotonic() - t0, 2), text, ran])
            time.sleep(0.05)
        record["eval_timeline_first_run"] = timeline
        report = nb.wait_until_run(timeout=120)
        record["first_run"] = summarize(report.cells)
        if args.screenshots:
            args.screenshots.mkdir(parents=True, exist_ok=True)
            for k, (probe, _) in enumerate(PROBES):
                cell = page.locator(".jp-Cell").nth(k)
                cell.scroll_into_view_if_needed()
                cell.screenshot(path=args.screenshots / f"{k:02d}-{probe}.png")

        # Second Run All: does anything change?
        nb.run_all()
        report2 = nb.wait_until_run(timeout=120)
        record["second_run"] = summarize(report2.cells)

        # The widget: move the slider with the keyboard and watch the image and the label.
        out = page.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-slider"))
        img = out.locator("img").first
        before = img.get_attribute("src")
        record["widget_displayed"] = {
            "slider": out.locator(".widget-slider").count(),
            "image": img.count(), "label_before": out.locator(".widget-label").all_inner_texts()}
        handle = out.locator(".noUi-handle").first
        handle.focus()
        t1 = time.monotonic()
        page.keyboard.press("ArrowRight")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and img.get_attribute("src") == before:
            time.sleep(0.05)
        record["widget_after_move"] = {
            "image_changed": img.get_attribute("src") != before,
            "seconds": round(time.monotonic() - t1, 2),
            "labels": out.locator(".widget-label").all_inner_texts(),
        }
        record["page_errors"] = nb.page_errors
        record["outputs_hidden"] = page.evaluate("""() => window.jupyterapp.shell.currentWidget
            .content.widgets.filter(c => c.model.sharedModel.getMetadata().probe ===
            'outputs-hidden').map(c => c.outputHidden)""")

        fm = LabNotebook(page, lab, "chapters/frontmatter.ipynb").open()
        fm.run_all()
        record["frontmatter_run"] = summarize(fm.wait_until_run(timeout=60).cells)

    if args.json:
        args.json.write_text(json.dumps(record, indent=1, ensure_ascii=False))
    print(json.dumps({k: v for k, v in record.items()
                      if k not in ("first_run", "second_run", "frontmatter_run")},
                     indent=1, ensure_ascii=False))
    for probe, row in record["frontmatter_run"].items():
        print(f"--- {probe}:", row["text"].replace("\n", " | ")[:300])
    for probe, row in record["first_run"].items():
        again = record["second_run"][probe]
        shown = row.get("text", row.get("output", ""))
        print(f"--- {probe} ({row['type']}, inputHidden={row['inputHidden']})")
        print("   first :", shown.replace("\n", " | ")[:300])
        shown_again = again.get("text", again.get("output", ""))
        if shown_again != shown:
            print("   second:", shown_again.replace("\n", " | ")[:300])
        if row.get("details"):
            print("   details:", row["details"])
        if row.get("errors"):
            print("   errors:", row["errors"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
