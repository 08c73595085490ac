"""Grading a class: made-up submissions of chapters 2 and 3, graded for real.

Each submission is a copy of a chapter (the student edition, the book's own
notebook as Binder opens it, a copy that lost its cell ids) whose answer cell
holds a correct answer, a typical mistake, or one of the bad cases the grader
must survive.  They are graded by ``python -m gdlib.exercises.grade`` as a
teacher runs it, and every row of the gradebook is checked.  About a minute
on two cores.
"""

import copy
import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import editions  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.mnist]

LAYER_OK = """def layer(h, W, b):
    return np.maximum(h @ W + b, 0)
"""
GRAD_OK = """def softmax_cross_entropy_grad(a, t):
    z = np.exp(a - a.max(axis=1, keepdims=True))
    y = z / z.sum(axis=1, keepdims=True)
    return (y - np.eye(a.shape[1])[t]) / len(a)
"""
CHECK_2 = '\n\ncheck("2.1", layer)\n'
CHECK_3 = '\n\ncheck("3.1", softmax_cross_entropy_grad)\n'

# name -> (chapter, answer cell source or a function of the notebook, expected 2.1/3.1
#          state, words the message must hold, words the notes must hold)
CASES = {
    "correct": ("02", LAYER_OK + CHECK_2, "passed", "Correct", ""),
    "not-done": ("02", None, "not passed", "Not done yet", ""),
    "no-relu": ("02", "def layer(h, W, b):\n    return h @ W + b\n" + CHECK_2,
                "not passed", "The ReLU is missing", ""),
    "transposed-w": ("02", "def layer(h, W, b):\n    return np.maximum(h @ W.T + b, 0)\n"
                     + CHECK_2, "not passed", "`W` is transposed", ""),
    "column-max": ("02", "def layer(h, W, b):\n    return np.max(h @ W + b, 0)\n" + CHECK_2,
                   "not passed", "np.max(a, 0)", ""),
    "grad-correct": ("03", GRAD_OK + CHECK_3, "passed", "Correct", ""),
    "grad-no-shift": ("03", "def softmax_cross_entropy_grad(a, t):\n    z = np.exp(a)\n"
                      "    y = z / z.sum(axis=1, keepdims=True)\n"
                      "    return (y - np.eye(a.shape[1])[t]) / len(a)\n" + CHECK_3,
                      "not passed", "No max-shift", ""),
    "grad-sum": ("03", GRAD_OK.replace(" / len(a)", "") + CHECK_3, "not passed",
                 "The sum over the batch", ""),
    "syntax-error": ("02", "def layer(h, W, b)\n    return np.maximum(h @ W + b, 0)\n" + CHECK_2,
                     "not passed", "syntax error in line 1", ""),
    "raises-after-def": ("02", LAYER_OK + CHECK_2 + "layer(1, 2)\n", "passed",
                         "raised TypeError", ""),
    "raises-before-def": ("02", "print(undefined_name)\n" + LAYER_OK + CHECK_2, "not passed",
                          "raised NameError", ""),
    "endless-loop": ("02", "while True:\n    pass\n" + LAYER_OK + CHECK_2, "not passed",
                     "ran past its time limit (10 s)", ""),
    "endless-function": ("02", "def layer(h, W, b):\n    while True:\n        pass\n", "not passed",
                         "did not finish within 3 s", ""),
    "prints-megabytes": ("02", LAYER_OK + 'print("x" * 5_000_000)\n' + CHECK_2, "passed",
                         "Correct", "printed 5.0 MB"),
    "memory-hog": ("02", LAYER_OK + "big = np.ones(10**9)  # 8 GB, over the 4 GB limit\n"
                   + CHECK_2, "passed", "raised MemoryError", ""),
    "exits-kernel": ("02", "import os\nos._exit(3)\n" + LAYER_OK, "not passed",
                     "ended the kernel", ""),
    "renamed": ("02", "def relu_layer(h, W, b):\n    return np.maximum(h @ W + b, 0)\n\n\n"
                'check("2.1", relu_layer)\n', "not passed", "defines `relu_layer`", ""),
    "redefined-check": ("02", "def check(label, answer):\n    print('Correct!')\n\n\n"
                        "def layer(h, W, b):\n    return h @ W + b\n" + CHECK_2,
                        "not passed", "The ReLU is missing", "redefines `check` (line 1)"),
    "patched-checker": ("02", "import gdlib.exercises as ex\n"
                        "ex.CHECKERS['2.1'].check = lambda answer: 'fine'\n"
                        "def layer(h, W, b):\n    return h\n" + CHECK_2, "not passed",
                        "line 2 of an answer cell sets `ex.CHECKERS['2.1'].check`", ""),
    "shadow-gdlib": ("02", "import pathlib, sys\n"
                     "pathlib.Path('gdlib/exercises/grading').mkdir(parents=True)\n"
                     "for name in ('', 'exercises/', 'exercises/grading/'):\n"
                     "    pathlib.Path(f'gdlib/{name}__init__.py').write_text('')\n"
                     "pathlib.Path('gdlib/exercises/grading/probe.py').write_text(\n"
                     "    'def start(*a): pass\\ndef finish(*a): pass\\n')\n"
                     "sys.path.insert(0, '.')\n"
                     "def layer(h, W, b):\n    return h @ W + b\n", "not passed",
                     "The ReLU is missing", ""),
    "patched-numpy": ("02", "exec('import numpy; numpy.allclose = lambda *a, **k: True')\n"
                      "def layer(h, W, b):\n    return h\n" + CHECK_2, "not passed",
                      "`numpy.allclose` was replaced", ""),
}


def student(stem):
    nb = json.loads((ROOT / "chapters" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    return nb, editions.student_notebook(nb)


def answer_cell(nb):
    return next(c for c in nb["cells"] if "exercise" in c.get("metadata", {}).get("tags", []))


def write(folder, name, nb):
    path = folder / f"{name}.ipynb"
    folder.mkdir(exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def submissions(folder):
    """The made-up class: name -> file."""
    chapters = {"02": student("02_network"), "03": student("03_loss")}
    files = {}
    for name, (chapter, source, *_) in CASES.items():
        nb = copy.deepcopy(chapters[chapter][1])
        if source is not None:
            answer_cell(nb)["source"] = source
        files[name] = write(folder / chapter, name, nb)
    book, edition = chapters["02"]
    binder = copy.deepcopy(book)                                  # the book's own notebook
    answer_cell(binder)["source"] = LAYER_OK + CHECK_2
    files["binder-copy"] = write(folder / "02", "binder-copy", binder)
    colab = copy.deepcopy(binder)                    # the plain edition: other markdown
    for cell in colab["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = "**Plain Markdown** in place of MyST."
    colab["metadata"]["colab"] = {"provenance": []}
    files["colab-copy"] = write(folder / "02", "colab-copy", colab)
    no_ids = copy.deepcopy(binder)                                # a copy that lost its ids
    for cell in no_ids["cells"]:
        cell.pop("id", None)
    no_ids["nbformat_minor"] = 4
    files["no-ids"] = write(folder / "02", "no-ids", no_ids)
    moved = copy.deepcopy(edition)
    answer_cell(moved)["source"] = LAYER_OK + CHECK_2
    moved["cells"] = moved["cells"][::-1]
    files["reordered"] = write(folder / "02", "reordered", moved)
    gone = copy.deepcopy(moved)
    gone["cells"] = [c for i, c in enumerate(gone["cells"]) if i % 2 == 0 or
                     "exercise" in c["metadata"].get("tags", [])]
    files["cells-deleted"] = write(folder / "02", "cells-deleted", gone)
    pasted = copy.deepcopy(edition)                      # the answer in a pasted copy
    answer_cell(pasted)["source"] = LAYER_OK + CHECK_2
    answer_cell(pasted)["id"] = "a1b2c3d4"
    files["answer-pasted"] = write(folder / "02", "answer-pasted", pasted)
    lost = copy.deepcopy(edition)
    lost["cells"] = [c for c in lost["cells"] if "exercise" not in c["metadata"].get("tags", [])]
    files["answer-deleted"] = write(folder / "02", "answer-deleted", lost)
    files["another-chapter"] = write(folder / "02", "another-chapter", chapters["03"][1])
    (folder / "02" / "essay.ipynb").write_text("My answer is in the email.\n")
    files["not-json"] = folder / "02" / "essay.ipynb"
    (folder / "02" / "empty.ipynb").write_text("{}")
    files["no-cells"] = folder / "02" / "empty.ipynb"
    return files


EXTRA = {   # the cases built above: expected 2.1 state, message words, notes words
    "binder-copy": ("passed", "Correct", ""),
    "colab-copy": ("passed", "Correct", ""),
    "no-ids": ("passed", "Correct", ""),
    "reordered": ("passed", "Correct", "cells were moved"),
    "cells-deleted": ("passed", "Correct", "were missing or changed"),
    "answer-pasted": ("passed", "Correct", "found by its tag `exercise`"),
    "answer-deleted": ("not passed", "not in the notebook", ""),
}
UNGRADED = {"another-chapter": "a notebook of 03_loss, not of 02_network",
            "not-json": "not valid JSON", "no-cells": "without a list of cells"}


def grade(files, out, *options, python_path=None, check=True):
    env = {**os.environ, "GDLIB_RUN_CACHE": str(out / "cache")}
    if python_path:
        env["PYTHONPATH"] = str(python_path)
    done = subprocess.run([sys.executable, "-m", "gdlib.exercises.grade", *map(str, files),
                           "--out", str(out), "--jobs", "2", "--cell-timeout", "10", *options],
                          capture_output=True, text=True, env=env, timeout=600,
                          cwd=python_path or ROOT)
    if not check:
        return done
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        return {r["file"]: r for r in csv.DictReader(f)}, done.stdout


def digest(paths):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    files = submissions(folder)
    before = digest(files.values())
    ch2 = [f for f in files.values() if f.parent.name == "02"]
    ch3 = [f for f in files.values() if f.parent.name == "03"]
    rows2, log2 = grade(ch2, folder / "out2")
    rows3, _ = grade(ch3, folder / "out3")
    assert digest(files.values()) == before, "a submission was modified"
    return files, {**rows2, **rows3}, folder, log2


@pytest.mark.parametrize("name", [*CASES, *EXTRA])
def test_every_graded_row_says_what_happened(graded, name):
    files, rows, _, _ = graded
    chapter = files[name].parent.name
    label = f"{int(chapter)}.1"
    state, words, note = (CASES[name][2:] if name in CASES else EXTRA[name])
    row = rows[files[name].name]
    assert row["chapter"] == {"02": "02_network", "03": "03_loss"}[chapter]
    total = {"02": 1, "03": 2}[chapter]  # chapter 3 also has Exercise 3.5, left undone here
    assert (row[label], row["passed"]) == (state, f"{int(state == 'passed')} of {total}"), row
    assert words in row[f"{label} message"], row
    assert note in row["notes"], row


@pytest.mark.parametrize("name", list(UNGRADED))
def test_files_that_cannot_be_graded_get_a_row_saying_why(graded, name):
    files, rows, _, _ = graded
    row = rows[files[name].name]
    assert UNGRADED[name] in row["notes"] and row["2.1"] == "" and row["chapter"] == "", row


def test_the_gradebook_has_a_row_per_file_and_a_feedback_page_each(graded):
    files, rows, folder, log = graded
    assert len(rows) == len(files)
    with open(folder / "out2" / "gradebook.csv", newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header == ["file", "chapter", "passed", "2.1", "2.1 message", "notes"]
    page = (folder / "out2" / "feedback" / "no-relu.ipynb.html").read_text(encoding="utf-8")
    assert "Exercise 2.1" in page and "not passed" in page and "ReLU is missing" in page
    assert "0 of 1 code exercises passed" in page
    assert len(list((folder / "out2" / "feedback").glob("*.html"))) == len(
        [f for f in files.values() if f.parent.name == "02"])
    assert "on 2 processes" in log


def test_a_notebook_that_runs_out_of_time_is_stopped(graded):
    files, _, folder, _ = graded
    rows, _ = grade([files["grad-correct"]], folder / "out-time", "--timeout", "2")
    row = rows[files["grad-correct"].name]
    assert row["3.1"] == "not passed" and "ran out of time (2 s in all)" in row["3.1 message"]


def test_an_answer_that_fails_or_ends_the_kernel_leaves_the_others_graded(tmp_path):
    """A handed-out student edition (``--book``) whose chapter has three code exercises:
    the first answer raises before defining anything, the second ends the kernel."""
    def code(source, cell_id, *tags):
        return {"cell_type": "code", "id": cell_id, "metadata": {"tags": list(tags)},
                "source": source, "outputs": [], "execution_count": None}

    stubs = {"2.1": "layer(h, W, b)", "3.1": "softmax_cross_entropy_grad(a, t)",
             "7.1": "ema(values, gamma)"}
    edition = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "id": "student-note", "metadata": {}, "source": "Note"},
        code("import numpy as np\nfrom gdlib.exercises import check\n", "imports"), *[
            code(f"def {call}:\n    raise NotImplementedError\n\n\n"
                 f'check("{label}", {call.split("(")[0]})\n', f"answer-{k}", "exercise")
            for k, (label, call) in enumerate(stubs.items())]]}
    (tmp_path / "edition" / "chapters").mkdir(parents=True)
    write(tmp_path / "edition" / "chapters", "02_three", edition)
    done = copy.deepcopy(edition)
    done["cells"][2]["source"] = "1 / 0\n" + LAYER_OK
    done["cells"][3]["source"] = "import os\nos._exit(1)\n"
    done["cells"][4]["source"] = ("def ema(values, gamma):\n    out, E = [], 0.0\n"
                                  "    for x in values:\n        E = (1 - gamma) * E + gamma * x\n"
                                  "        out.append(E)\n    return np.array(out)\n")
    rows, _ = grade([write(tmp_path, "three", done)], tmp_path / "out",
                    "--book", str(tmp_path / "edition"))
    row = rows["three.ipynb"]
    assert row["2.1"] == "not passed" and "raised ZeroDivisionError" in row["2.1 message"], row
    assert row["3.1"] == "not passed" and "ended the kernel" in row["3.1 message"], row
    assert row["7.1"] == "passed" and row["passed"] == "1 of 3", row
    assert "run 2 times" in row["notes"], row


def test_a_submission_that_writes_into_gdlib_gets_no_grades_at_all(tmp_path):
    """On a copy of the book: the submission appends to the checker's own source."""
    import shutil

    book = tmp_path / "book"
    for name in ("gdlib", "chapters", "scripts"):
        shutil.copytree(ROOT / name, book / name,
                        ignore=shutil.ignore_patterns("__pycache__", "results", "grids"))
    nb = student("02_network")[1]
    answer_cell(nb)["source"] = ("import gdlib.exercises.network as n\n"
                                 "with open(n.__file__, 'a') as f:\n    f.write('# mine\\n')\n"
                                 + LAYER_OK + CHECK_2)
    done = grade([write(tmp_path, "writer", nb)], tmp_path / "out", python_path=book,
                 check=False)
    assert done.returncode != 0 and "changed while the submissions ran" in done.stderr, done
    assert not (tmp_path / "out" / "gradebook.csv").exists()
    assert (book / "gdlib" / "exercises" / "network.py").read_text().endswith("# mine\n")
