"""The chapters follow CONTRIBUTING.md: read statically, without running them.

Each test runs once per chapter, so a failure names the chapter and the cell.
"""

import json
import re
from pathlib import Path

import pytest

from gdlib import book
from gdlib.exercises import CHECKERS

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
GLOSSARY = (ROOT / "chapters" / "references.md").read_text(encoding="utf-8")
# Measurements and loops that live in gdlib; a chapter calls them, never redefines them.
GDLIB_HELPERS = ("smooth", "final_loss", "fluctuation", "iterations_to", "spread", "per_seed",
                 "steps_to_reach", "flat_gradient", "full_gradient", "gradient_noise",
                 "glue_number", "adagrad_run", "state_history", "updates_to", "pm")


def load(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        cell["text"] = "".join(cell["source"])
        cell["where"] = f"{path.name} cell {i} ({cell.get('id')})"
        cell["tags"] = cell.get("metadata", {}).get("tags", [])
    return nb["cells"]


def number(path):
    return int(path.name[:2])


def by_kind(cells, kind):
    return [c for c in cells if c["cell_type"] == kind]


chapters = pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])


@chapters
def test_numbers_in_prose_use_eval_not_glue(path):
    for cell in load(path):
        assert "{glue" not in cell["text"], f"{cell['where']}: use {{eval}} (CONTRIBUTING.md)"
        assert "myst_nb import glue" not in cell["text"], cell["where"]
        for name in book.eval_names(cell["text"]):
            assert re.fullmatch(r"[A-Za-z_]\w*", name), \
                f"{cell['where']}: {{eval}}`{name}` must quote a plain name"


@chapters
def test_first_cells_set_the_page_up(path):
    cells = load(path)
    front = cells[0]
    assert front.get("id") == "frontmatter" and "remove-cell" in front["tags"], \
        f"{path.name}: the first cell is the front matter for jupyterlab-myst"
    assert f'enumerator: "{number(path)}.%s"' in front["text"], \
        f"{path.name}: let jupyterlab-myst number exercises and figures N.M"
    assert "equation: false" in front["text"], f"{path.name}: number only the tagged equations"
    code = by_kind(cells, "code")
    assert code[0].get("id") == "colab-setup" and "remove-cell" in code[0]["tags"], \
        f"{path.name}: the first code cell is the Colab setup cell"
    assert "book.start()" in code[1]["text"], f"{code[1]['where']}: call book.start()"


@chapters
def test_hidden_cells_fold_in_jupyterlab(path):
    for cell in by_kind(load(path), "code"):
        if "remove-cell" in cell["tags"]:
            hidden = cell["metadata"].get("jupyter", {}).get("source_hidden")
            assert hidden is True, f"{cell['where']}: add jupyter.source_hidden (it is hidden)"


@chapters
def test_checks_guard_the_build_and_leave_readers_alone(path):
    for cell in by_kind(load(path), "code"):
        if re.search(r"^\s*assert\b", cell["text"], re.M):
            assert {"remove-cell", "book-check"} <= set(cell["tags"]), \
                f"{cell['where']}: an assert belongs in a check cell (tags remove-cell, book-check)"
            assert "with book.checks(" in cell["text"], \
                f"{cell['where']}: put the asserts inside `with book.checks(...)`"


@chapters
def test_no_chapter_redefines_what_gdlib_has(path):
    for cell in by_kind(load(path), "code"):
        if "exercise" in cell["tags"]:
            continue    # a code exercise may ask the student to write what gdlib has (8.1)
        for name in re.findall(r"^def (\w+)\(", cell["text"], re.M):
            assert name not in GDLIB_HELPERS, \
                f"{cell['where']}: {name} is in gdlib; call it instead of defining it"


@chapters
def test_every_figure_has_alt_text(path):
    for cell in by_kind(load(path), "code"):
        mystnb = cell["metadata"].get("mystnb", {})
        if "figure" in mystnb:
            alt = mystnb.get("image", {}).get("alt", "")
            assert len(alt.split()) >= 6, \
                f"{cell['where']}: mystnb.image.alt should say what the figure shows"


@pytest.mark.parametrize("path", [p for p in CHAPTERS if 4 <= number(p) <= 7],
                         ids=[p.stem for p in CHAPTERS if 4 <= number(p) <= 7])
def test_method_chapters_show_their_optimizers_code(path):
    assert any("book.show_code(" in c["text"] for c in by_kind(load(path), "code")), \
        f"{path.name}: show gdlib's optimizer next to its equation (book.show_code)"


EXERCISE = re.compile(r"^(:{3,})\{exercise\}[^\n]*\n:label: (ex-(\d+)-(\d+))\n(.*?)^\1\s*$",
                      re.M | re.S)
SOLUTION = re.compile(r"^(:{3,})\{solution\} (ex-\d+-\d+)\n:class: dropdown\n", re.M)


@chapters
def test_exercises_have_one_format(path):
    cells = load(path)
    markdown = "\n".join(c["text"] for c in by_kind(cells, "markdown"))
    n = number(path)
    exercises = EXERCISE.findall(markdown)
    labels = [label for _, label, _, _, _ in exercises]
    assert labels == [f"ex-{n}-{m}" for m in range(1, len(labels) + 1)], \
        f"{path.name}: exercises numbered ex-{n}-1, ex-{n}-2, ... in order, got {labels}"
    if n >= 2:
        assert 2 <= len(labels) <= 5, f"{path.name}: two to five exercises, found {len(labels)}"
    for _, label, _, _, body in exercises:
        assert re.search(r"^:{3,}\{hint\}\n:class: dropdown\n", body, re.M), \
            f"{path.name} {label}: give a hint, collapsed (:::{{hint}} + :class: dropdown)"
    solved = [label for _, label in SOLUTION.findall(markdown)]
    assert solved == labels, f"{path.name}: one collapsed solution per exercise, in order"
    for old in (r"\*\*Exercise \d", r"^\*\*\d+\. ", r"Exercise \d+:", r"Solution to Exercise",
                r"\{dropdown\} Solution", r"^```\{admonition\} (Exercise|Solution)"):
        assert not re.search(old, markdown, re.M), \
            f"{path.name}: an exercise in an old format ({old!r})"


@pytest.mark.parametrize("path", [p for p in CHAPTERS if number(p) >= 2],
                         ids=[p.stem for p in CHAPTERS if number(p) >= 2])
def test_the_first_exercise_asks_for_code_and_is_checked(path):
    n = number(path)
    cells = [c for c in by_kind(load(path), "code") if "exercise" in c["tags"]]
    checked = {m for c in cells for m in re.findall(r'check\("(\d+\.\d+)"', c["text"])}
    assert f"{n}.1" in checked, f"{path.name}: Exercise {n}.1 is a code exercise with a checker"
    for label in checked:
        assert label in CHECKERS, f"{path.name}: no checker {label!r} in gdlib.exercises"
    for cell in cells:
        assert "hide-input" in cell["tags"], f"{cell['where']}: tag it hide-input as well"
        assert "### BEGIN SOLUTION" not in cell["text"], (
            f"{cell['where']}: the cell a student fills in is a starting point; its answer "
            f"belongs in the {{solution}} block (`python scripts/editions.py starting-points`)")
        assert "NotImplementedError" in cell["text"] or "= ..." in cell["text"], \
            f"{cell['where']}: start the student off with a stub (raise NotImplementedError)"


KOREAN_IN_PARENS = re.compile(r"\(([가-힣][가-힣 ]*[가-힣]|[가-힣])(?:[,;][^)]*)?\)")


@chapters
def test_every_korean_term_the_chapters_quote_is_in_the_glossary(path):
    for cell in by_kind(load(path), "markdown"):
        text = re.sub(r"\{term\}`([^`<]*)(?:<[^>]*>)?`", r"\1", cell["text"])
        for term in KOREAN_IN_PARENS.findall(text):
            assert term.strip() in GLOSSARY, f"{cell['where']}: {term!r} is not in the glossary"


PAGES = CHAPTERS + sorted((ROOT / "guide").glob("*.ipynb"))


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_every_quoted_number_is_defined_above_its_text(path):
    # the build resolves {eval} when it reaches the text, so the value must exist by then
    defined = set()
    for cell in load(path):
        if cell["cell_type"] == "code":
            for targets in re.findall(r"^\s*((?:\w+\s*,\s*)*\w+)\s*=[^=]", cell["text"], re.M):
                defined |= {name.strip() for name in targets.split(",")}
        for name in book.eval_names(cell["text"]):
            assert name in defined, f"{cell['where']}: {{eval}}`{name}` comes before its value"


@chapters
def test_every_chapter_opens_with_one_in_this_chapter_box(path):
    first = next(c["text"] for c in by_kind(load(path), "markdown") if c["text"].startswith("# "))
    assert re.match(r"# [^\n]+\n\n:::\{admonition\} In this chapter\n:class: tip\n- ", first), \
        f"{path.name}: open with the title, then `:::{{admonition}} In this chapter` " \
        f"(`:class: tip`) listing what the chapter does, as every chapter does"
