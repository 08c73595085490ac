"""Every code exercise of the book, as a reader meets it: the cell a student fills in is a
starting point whose checker says "not done yet", and the solution the book shows (the code
block of its collapsed ``{solution}``) passes that checker.

Reads the chapters' notebooks (no build, no MNIST): the answer cell is run with its stub,
the solution's code in a fresh namespace, each against ``gdlib.exercises.check``.
"""

import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from gdlib.exercises import check

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import editions  # noqa: E402


def code_exercises():
    """``(chapter, label, answer cell, solution block)`` for every exercise with a checker."""
    found = []
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        markdown = "\n".join(editions.cell_text(c) for c in cells if c["cell_type"] == "markdown")
        blocks = {m[0]: markdown[start:end]
                  for start, end in editions.directive_blocks(markdown, "solution")
                  for m in [re.findall(r"\{solution\} (\S+)", markdown[start:end])]}
        for cell in cells:
            if "exercise" in cell.get("metadata", {}).get("tags", []):
                code = editions.cell_text(cell)
                label = editions.exercise_label(code)
                found.append((path.stem, label, code, blocks.get(label)))
    return found


EXERCISES = code_exercises()
IDS = [label for _, label, _, _ in EXERCISES]


def test_every_chapter_from_2_has_a_code_exercise():
    assert {chapter[:2] for chapter, *_ in EXERCISES} >= {f"0{n}" for n in range(2, 10)}


def run_cell(code):
    """Run an answer cell as Run All would; the results its checker calls gave."""
    results = []

    def recording_check(label, answer, **kwargs):
        results.append(check(label, answer, **kwargs))
        return results[-1]

    exec(code, {"np": np, "math": math, "check": recording_check, "display": lambda *a: None})
    return results


@pytest.mark.parametrize(("chapter", "label", "code", "solution"), EXERCISES, ids=IDS)
def test_the_answer_cell_is_a_starting_point(chapter, label, code, solution):
    assert editions.BEGIN not in code and editions.END not in code, (
        f"{chapter}: exercise {label} still holds its answer between the markers; run "
        f"`python scripts/editions.py starting-points` to move it into its solution")
    results = run_cell(code)
    assert results, f"{chapter}: exercise {label}'s cell calls no checker"
    assert all(r.message.startswith("Not done yet") for r in results), (
        chapter, label, [r.message for r in results])


def solution_function(label, code, solution):
    """The function the solution block defines under the name the answer cell asks for."""
    assert solution, f"exercise {label}: no {{solution}} {label} block"
    name = re.match(r"\s*def (\w+)\(", code)[1]
    blocks = re.findall(r"^```python\n(.*?)^```", solution, re.M | re.S)
    defining = [b for b in blocks if re.search(rf"^def {name}\(", b, re.M)]
    assert len(defining) == 1, f"exercise {label}: {len(defining)} code blocks define {name}()"
    namespace = {"np": np, "math": math}
    exec(defining[0], namespace)
    return namespace[name]


@pytest.mark.parametrize(("chapter", "label", "code", "solution"), EXERCISES, ids=IDS)
def test_the_solution_shown_passes_its_checker(chapter, label, code, solution):
    result = check(label, solution_function(label, code, solution))
    assert result.passed, f"{chapter}: the solution of exercise {label}: {result.message}"


def test_a_solution_that_trains_runs_in_the_build_and_where_a_reader_asks(monkeypatch):
    from gdlib import book

    monkeypatch.setattr(book, "_SOLVED", set())
    monkeypatch.delenv(book.SOLVE_ENV, raising=False)
    monkeypatch.setenv(book.STRICT_ENV, "1")                 # the build, nbval
    assert book.solving("8.2")
    monkeypatch.delenv(book.STRICT_ENV)                      # a reader's Run All
    assert not book.solving("8.2")
    assert repr(book.unsolved("8.2")) == '[not computed: run book.solve("8.2") and this cell]'
    monkeypatch.setenv(book.SOLVE_ENV, "4.3, 8.2")
    assert book.solving("8.2") and book.solving("4.3") and not book.solving("8.4")
    monkeypatch.delenv(book.SOLVE_ENV)
    book.solve("8.4")
    assert book.solving("8.4") and not book.solving("8.2")
    book.solve()
    assert book.solving("8.2")
