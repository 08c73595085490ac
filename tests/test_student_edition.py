"""The student edition, built and executed for real: no solution left, nothing crashes.

Builds ``_build/student`` as ``make student`` does (scripts/editions.py, then
Jupyter Book, which executes every student notebook in a kernel and writes
the student HTML), then reads what came out.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import teacher_secrets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import editions  # noqa: E402

pytestmark = [pytest.mark.book, pytest.mark.mnist]
OUT = ROOT / "_build" / "student"
TEACHER = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def student():
    """Build the student edition once; the HTML and the executed notebooks."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "editions.py"), "student",
                    "--out", str(OUT)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "GDLIB_BOOK_STRICT")}
    env["GDLIB_WIDGETS"] = "static"                   # its HTML's panels move, as the book's
    build = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build",
                            str(OUT), "-W", "-n", "--keep-going"], env=env,
                           capture_output=True, text=True, timeout=3600)
    assert build.returncode == 0, build.stdout[-6000:] + build.stderr[-3000:]
    executed = {p.name: json.loads((OUT / "_build" / "jupyter_execute" / "chapters" /
                                    p.name).read_text()) for p in TEACHER}
    html = {p: p.read_text(encoding="utf-8") for p in (OUT / "_build" / "html").rglob("*")
            if p.suffix in (".html", ".js") and p.is_file()}
    return executed, html


def outputs_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        for mime in ("text/plain", "text/markdown", "text/html"):
            value = output.get("data", {}).get(mime, "")
            parts.append("".join(value) if isinstance(value, list) else value)
    return "".join(parts)


def test_every_student_notebook_runs_and_its_checkers_say_not_done_yet(student):
    executed, _ = student
    for name, nb in executed.items():
        for cell in nb["cells"]:
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            assert not errors, f"{name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
            if "exercise" in cell.get("metadata", {}).get("tags", []):
                assert "Not done yet" in outputs_text(cell), (name, editions.cell_text(cell))
            assert "book.checks(" not in editions.cell_text(cell), name


@pytest.mark.parametrize("path", TEACHER, ids=[p.stem for p in TEACHER])
def test_no_solution_is_left_in_the_student_edition(student, path):
    executed, html = student
    secrets = teacher_secrets(path)
    assert secrets, f"{path.name}: found no solution lines to look for"
    notebook = "\n".join(editions.cell_text(c) for c in executed[path.name]["cells"])
    for secret in secrets:
        assert secret not in notebook, f"{path.name}: solution line in the notebook: {secret!r}"
    for page, text in html.items():
        plain = re.sub(r"<[^>]+>", "", text)
        for secret in secrets:
            assert secret not in text and secret not in plain, \
                f"{page.relative_to(OUT)}: solution line {secret!r}"


def test_the_student_html_has_exercises_but_no_solutions(student):
    _, html = student
    pages = {p.name: t for p, t in html.items() if p.parent.name == "chapters"}
    assert all("Solution to Exercise" not in t for t in pages.values())
    assert sum(t.count('class="exercise admonition') for t in pages.values()) >= 14
    assert "student edition" in html[OUT / "_build" / "html" / "index.html"]
    # the panels in their precomputed form, with the book's own widget JavaScript
    assert all(f"gdlib-panel-ch{n}" in pages[name] for n, name in (
        (4, "04_gradient_descent.html"), (8, "08_experiment.html")))
    assert (OUT / "_build" / "html" / "_static" / "widgets" / "embed-amd.js").is_file()
