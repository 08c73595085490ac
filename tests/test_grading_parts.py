"""The grader's parts without a kernel: chapters found, answer cells taken and read, patches seen.

(``test_grade.py`` grades whole submissions in kernels; this runs in a second.)
"""

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from gdlib.exercises.grading import chapters, probe, submission

ROOT = Path(__file__).resolve().parent.parent
BOOK = chapters.Book(ROOT)
BOOK_NOTEBOOKS = {stem: json.loads((ROOT / "chapters" / f"{stem}.ipynb").read_text("utf-8"))
                  for stem in BOOK.chapters}


def test_every_chapter_with_a_code_exercise_is_there_with_its_labels_and_names():
    labels = {a.label: a.name for c in BOOK.chapters.values() for a in c.answers}
    assert labels == {"2.1": "layer", "3.1": "softmax_cross_entropy_grad",
                      "3.5": "hidden_layer_grads", "4.1": "minibatch_epoch",
                      "5.1": "momentum_step", "6.1": "adagrad_step", "7.1": "ema",
                      "7.2": "adadelta_step", "8.1": "iterations_to", "9.1": "adam_step",
                      "10.1": "adagrad_rates"}
    assert all(a.title for c in BOOK.chapters.values() for a in c.answers)


@pytest.mark.parametrize("stem", list(BOOK.chapters))
def test_any_edition_of_a_chapter_is_recognised_and_its_answer_cells_taken(stem):
    chapter, book_nb = BOOK.chapters[stem], BOOK_NOTEBOOKS[stem]
    no_ids = copy.deepcopy(book_nb)
    for cell in no_ids["cells"]:
        cell.pop("id", None)
    for nb in (chapter.notebook, book_nb, no_ids):
        assert BOOK.identify(nb) is chapter
        taken = submission.take_answers(nb, chapter)
        assert set(taken.sources) == {a.label for a in chapter.answers} and not taken.missing


@pytest.mark.parametrize("stem", list(BOOK.chapters))
def test_the_books_own_answers_read_as_honest(stem):
    chapter = BOOK.chapters[stem]
    imports = submission.imported_names(chapter.notebook)
    taken = submission.take_answers(BOOK_NOTEBOOKS[stem], chapter)
    for answer in chapter.answers:
        reading = submission.read_answer(taken.sources[answer.label], imports)
        assert not (reading.syntax or reading.patches or reading.rebinds_check), reading
        assert answer.name in reading.defines


IMPORTS = {"np": "numpy", "check": "gdlib.exercises", "mlp": "gdlib"}


@pytest.mark.parametrize("code", [
    "def check(label, answer):\n    pass\n", "check = print\n", "from mine import check\n",
    "import json as check\n"])
def test_a_redefined_check_is_read(code):
    assert submission.read_answer(code, IMPORTS).rebinds_check == [1]


@pytest.mark.parametrize("code", [
    "np.allclose = lambda *a, **k: True\n", "setattr(np, 'allclose', None)\n",
    "import gdlib.exercises as ex\nex.CHECKERS['2.1'] = print\n", "mlp.relu = abs\n",
    "check.__code__ = (lambda *a: 0).__code__\n", "import sys\nsys.modules['numpy'] = None\n",
    "def f():\n    np.max = min\n"])
def test_a_patch_of_gdlib_or_numpy_is_read(code):
    assert submission.read_answer(code, IMPORTS).patches


def test_a_syntax_error_is_read_with_its_line():
    assert "line 2" in submission.read_answer("x = 1\ndef f(:\n", IMPORTS).syntax


def test_the_probe_sees_a_numpy_function_replaced_and_put_back():
    record = probe.snapshot()
    assert probe.changes(record) == []
    original = np.allclose
    np.allclose = lambda *a, **k: True
    try:
        assert probe.changes(record) == ["`numpy.allclose` was replaced"]
    finally:
        np.allclose = original
    assert probe.changes(record) == []
    assert probe.changes(None) and "record" in probe.changes(None)[0]


def test_a_file_that_is_not_a_notebook_says_why(tmp_path):
    (tmp_path / "a.ipynb").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "b.ipynb").write_text("[1, 2]")
    for name, words in (("a", "not text"), ("b", "without a list of cells"),
                        ("missing", "no such file")):
        with pytest.raises(submission.Unreadable, match=words):
            submission.read_notebook(tmp_path / f"{name}.ipynb")
