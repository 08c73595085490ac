"""The pristine cells: each chapter's student edition, and its answer cells.

The grader rebuilds every submission from these, so they come from the book,
never from a submission.  ``Book(path)`` reads them from either

- a checkout of the book (a folder with ``chapters/`` and
  ``scripts/editions.py``): the student edition is made in memory from the
  chapters by the book's own ``editions.student_notebook``, exactly as
  ``make student`` makes it; or
- a student edition that was handed out (``_build/student``, whose chapter
  notebooks carry the ``student-note`` cell): its notebooks as they are.

By default the book is the checkout the imported gdlib belongs to (an
editable install, as ``requirements.txt`` makes it).

An answer cell is a code cell tagged ``exercise``; its id names it, and its
``check("N.M", name)`` call (in the pristine cell) gives the exercise label
and the name of the answer object the checker is asked about.
"""

import ast
import copy
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

import gdlib

DEFAULT_BOOK = Path(gdlib.__file__).resolve().parent.parent


@dataclass(frozen=True)
class Answer:
    """One code exercise of a chapter: its ``label`` ("2.1"), the ``name`` its answer
    object has ("layer"), the ``cell_id`` of its answer cell, and its ``title``."""

    label: str
    name: str
    cell_id: str
    title: str


@dataclass(frozen=True)
class Chapter:
    """A chapter's pristine student notebook (a dict) and its code exercises."""

    stem: str                 # "02_network"
    notebook: dict
    answers: tuple

    @property
    def number(self):
        return int(self.stem.split("_")[0])

    def ids(self):
        return {c["id"] for c in self.notebook["cells"] if c.get("id")}

    def code_texts(self):
        """The source of every code cell that is not an answer cell."""
        return {cell_text(c).strip() for c in self.notebook["cells"]
                if c["cell_type"] == "code" and "exercise" not in tags(c) and cell_text(c).strip()}


def cell_text(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def tags(cell):
    found = cell.get("metadata", {}).get("tags", [])
    return set(found) if isinstance(found, list) else set()


class Book:
    """The chapters of the book at ``path`` (default: the checkout gdlib is in)."""

    def __init__(self, path=None):
        self.path = Path(path or DEFAULT_BOOK).resolve()
        folder = self.path / "chapters"
        editions = self.path / "scripts" / "editions.py"
        if not folder.is_dir():
            raise SystemExit(
                f"no chapters/ in {self.path}: the grader rebuilds each submission from the "
                "book's own cells. Pass --book with a checkout of the book (the folder with "
                "chapters/ and scripts/editions.py) or with the student edition you handed out "
                "(_build/student).")
        self.chapters = {}
        for path in sorted(folder.glob("[0-9]*.ipynb")):
            nb = json.loads(path.read_text(encoding="utf-8"))
            student = any(c.get("id") == "student-note" for c in nb["cells"])
            if not student:
                if not editions.is_file():
                    raise SystemExit(f"{path} is not a student edition and there is no "
                                     f"{editions} to make one: pass --book with a checkout "
                                     "of the book or a student edition")
                nb = _editions(editions).student_notebook(nb)
            answers = tuple(_answers(nb, path.stem))
            if answers:
                self.chapters[path.stem] = Chapter(path.stem, nb, answers)
        if not self.chapters:
            raise SystemExit(f"no chapter of {self.path} has a code exercise to grade")

    def chapter(self, key):
        """The chapter named by ``key``: its number (5, "5", "05") or its stem."""
        for stem, chapter in self.chapters.items():
            if str(key) == stem or str(key).lstrip("0") == str(chapter.number):
                return chapter
        raise SystemExit(f"--chapter {key}: no such chapter with code exercises; the chapters "
                         f"are {', '.join(self.chapters)}")

    def identify(self, nb):
        """The chapter a submitted notebook (a dict) is a copy of, or None.

        Any edition counts (student edition, the book's notebook on Binder, the
        plain edition on Colab): their cells keep the book's ids, and the book's
        code cells keep their text.  Ids shared by several chapters do not count.
        """
        ids = {cell_id(c) for c in nb.get("cells", [])} - {None}
        texts = {cell_text(c).strip() for c in nb.get("cells", [])
                 if c.get("cell_type") == "code"}
        counts = {}
        for chapter in self.chapters.values():
            for i in chapter.ids():
                counts[i] = counts.get(i, 0) + 1
        scores = {}
        for stem, chapter in self.chapters.items():
            own = {i for i in chapter.ids() if counts[i] == 1}
            scores[stem] = 2 * len(ids & own) + len(texts & chapter.code_texts())
        best = max(scores, key=scores.get)
        return self.chapters[best] if scores[best] > 0 else None


def cell_id(cell):
    """A cell's id: nbformat 4.5's ``id``, or ``metadata.id`` where a front end keeps it."""
    return cell.get("id") or cell.get("metadata", {}).get("id") or None


def _editions(path):
    spec = importlib.util.spec_from_file_location("gdlib_book_editions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _answers(nb, stem):
    titles = _titles(nb)
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or "exercise" not in tags(cell):
            continue
        call = _check_call(cell_text(cell))
        if call is None:
            raise SystemExit(f"{stem}: the exercise cell {cell.get('id')!r} has no "
                             "`check(\"N.M\", answer)` call: the grader cannot tell what to "
                             "grade (a bug in the book)")
        label, name = call
        yield Answer(label, name, cell["id"], titles.get(label, ""))


def _check_call(code):
    """``(label, name)`` of the ``check("N.M", name)`` call in a pristine answer cell."""
    for node in ast.walk(ast.parse(code)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "check" and len(node.args) >= 2
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[1], ast.Name)):
            return str(node.args[0].value), node.args[1].id
    return None


def _titles(nb):
    text = "\n".join(cell_text(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    return {f"{a}.{b}": title.strip() for title, a, b in re.findall(
        r"^:{3,}\{exercise\} (.+)\n:label: ex-(\d+)-(\d+)", text, re.M)}


def fresh_copy(chapter):
    return copy.deepcopy(chapter.notebook)
