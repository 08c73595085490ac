"""The book's other editions, made from its notebooks.

    python scripts/editions.py student [--out _build/student | --zip FILE]
    python scripts/editions.py plain [--out _build/html/plain]
    python scripts/editions.py starting-points [NOTEBOOK ...]

**student**: the chapters without their solutions, for a class.  Every
``{solution}`` block goes, every cell tagged ``solution`` (it computes a
solution's numbers) or ``book-check`` (a build check), and the answer
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in an exercise cell
is replaced by ``raise NotImplementedError`` (inside a function) or
``answer = ...``; the exercise cells are no longer folded.  The folder also
gets what Jupyter Book needs to build it, with solutions hidden, so that
``jupyter-book build _build/student`` executes every student notebook in a
kernel and writes the student HTML (``make student`` does both).  With ``--zip``,
only the notebooks, in one zip file: ``make book`` puts it in the HTML
(``downloads/gradient-descent-student-edition.zip``), linked from the guide pages.

**plain**: the chapters (and guide pages) for readers whom no MyST renderer serves (Colab, VS
Code, plain Jupyter).  It reads the notebooks the book build executed
(``_build/jupyter_execute``), writes each ``{eval}`` number in as the text the
build showed, and turns MyST into CommonMark: roles into text (citations as
"Kang (2020)", references as their text, figure references as "Fig. 5.1"),
admonitions into quotes, dropdowns, hints and solutions into
``<details>``, exercises into bold headings.  Outputs are dropped, and so are the
cells the student edition drops (a solution's cells: its numbers are written in
the text; the build's checks), so that a solution is met only in its ``<details>``.  The HTML
build publishes them (``_build/html/plain/``); the book's Colab buttons open them.

**starting-points** rewrites the book's own notebooks (all chapters, or those
named): an exercise cell that still holds its answer between the markers gets
the student's starting point instead (the stub of the student edition), and the
answer, as a whole function without the markers and the checker's call, moves
into the exercise's ``{solution}`` block as a code block (unless that block
shows the function already).  So in every place the book is read, the cell a
student is told to fill in is theirs to fill, its checker says "not done yet",
and the solution is behind the solution's one click.  Run it again after adding
an exercise written the old way; on a converted notebook it changes nothing.
"""

import argparse
import copy
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

from gdlib import book, book_links

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUDENT_DROPS = {"solution", "book-check"}       # cell tags the student edition removes


def cell_text(cell):
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def set_text(cell, text):
    lines = text.split("\n")
    cell["source"] = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def directive_blocks(text, name):
    """``(start, end)`` spans of every ``{name}`` directive block (colon or backtick fences)."""
    spans = []
    for m in re.finditer(rf"^([:`]{{3,}})\{{{name}\}}.*$", text, re.M):
        fence = m.group(1)
        close = re.compile(rf"^{re.escape(fence)}\s*$", re.M)
        end = close.search(text, m.end())
        if end is None:
            raise ValueError(f"unclosed {{{name}}} block: {m.group(0)!r}")
        spans.append((m.start(), end.end()))
    return spans


def drop_blocks(text, name):
    for start, end in reversed(directive_blocks(text, name)):
        text = text[:start].rstrip("\n") + "\n\n" + text[end:].lstrip("\n")
    return text.strip("\n") + "\n" if text.strip() else ""


# -- the student edition ------------------------------------------------------

def stub_answers(code, label=""):
    """Replace each answer region of an exercise cell by a stub."""
    out, lines, i = [], code.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        if line.strip() != BEGIN:
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(line.lstrip())]
        try:
            j = next(k for k in range(i + 1, len(lines)) if lines[k].strip() == END)
        except StopIteration:
            raise ValueError(f"exercise {label}: {BEGIN} without {END}") from None
        if indent:
            out.append(f'{indent}raise NotImplementedError("your code here")')
        else:
            names = re.findall(r"^(\w+)\s*=", "\n".join(lines[i + 1:j]), re.M) or ["answer"]
            out.extend(f"{name} = ...  # your answer here" for name in dict.fromkeys(names))
        i = j + 1
    return "\n".join(out)


# A link to the teacher's guide, which the student edition leaves out: its text stays.
TEACHERS_LINK = re.compile(r"\[([^\]]+)\]\((?:\.\./guide/)?teachers\.ipynb\)")


def student_notebook(nb):
    """A copy of notebook ``nb`` (a dict) without its solutions and build checks, and
    without links to the teacher's guide (their text stays)."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & STUDENT_DROPS:
            continue
        text = cell_text(cell)
        if cell["cell_type"] == "markdown":
            text = TEACHERS_LINK.sub(r"\1", drop_blocks(text, "solution"))
            if not text.strip():
                continue
        elif "exercise" in tags:
            text = stub_answers(text, cell.get("id", ""))
            cell["metadata"]["tags"] = sorted(tags - {"hide-input"})
        set_text(cell, text)
        cells.append(cell)
    nb["cells"] = cells
    return nb


STUDENT_NOTE = """\
:::{note} Student edition
This copy of the book has no solutions. Where an exercise asks for code, write it in the
cell below the exercise, in place of `raise NotImplementedError`, and run the cell: the
check at its end says whether it is right and, if not, what to look at.
:::"""


def write_student(out):
    """The student edition in folder ``out``: notebooks, and what Jupyter Book needs."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    (out / "chapters").mkdir(parents=True)
    for name in ("index.md", "references.bib"):
        shutil.copy(ROOT / name, out / name)
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")          # no teacher's guide
    (out / "_toc.yml").write_text(re.sub(r"^\s*- file: guide/teachers\n", "", toc, flags=re.M),
                                  encoding="utf-8")
    (out / "guide").mkdir()
    run = student_notebook(json.loads((ROOT / "guide" / "run.ipynb").read_text(encoding="utf-8")))
    (out / "guide" / "run.ipynb").write_text(json.dumps(run, indent=1, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    (out / "benchmarks" / "results").mkdir(parents=True)          # figures run.ipynb quotes
    shutil.copy(ROOT / "benchmarks" / "results" / "classroom.json",
                out / "benchmarks" / "results" / "classroom.json")
    shutil.copytree(ROOT / "_ext", out / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "_static", out / "_static")        # the book's CSS, JS, favicon
    if not (ROOT / "_vendor").is_dir():
        raise SystemExit("no _vendor/ (the widget JavaScript the panels need in the HTML): "
                         "run `make widgets-js` first")
    shutil.copytree(ROOT / "_vendor", out / "_vendor")
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    config = config.replace("title: Gradient Descent for Deep Learning",
                            "title: Gradient Descent for Deep Learning (student edition)")
    config = re.sub(r"(\n  config:\n)", r"\1    hide_solutions: true\n", config, count=1)
    (out / "_config.yml").write_text(config, encoding="utf-8")
    for name, text in student_chapters():
        (out / "chapters" / name).write_text(text, encoding="utf-8")
    return out


def student_chapters():
    """``(file name, text)`` of every chapter of the student edition."""
    for path in sorted(CHAPTERS.iterdir()):
        if path.suffix == ".ipynb":
            nb = student_notebook(json.loads(path.read_text(encoding="utf-8")))
            first = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown")
            note = {"cell_type": "markdown", "id": "student-note", "metadata": {},
                    "source": []}
            set_text(note, STUDENT_NOTE)
            nb["cells"].insert(first + 1, note)
            yield path.name, json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        elif path.suffix == ".md":
            yield path.name, path.read_text(encoding="utf-8")


STUDENT_ZIP = "gradient-descent-student-edition.zip"
STUDENT_README = """\
The student edition of "Gradient Descent for Deep Learning": the chapters as notebooks,
without solutions. Where an exercise asks for code, the cell below it is yours to fill in;
its last line checks your answer. The notebooks need gdlib and JupyterLab with
jupyterlab-myst: from the book's repository, `pip install -r requirements.txt`, then put
these chapters in its chapters/ folder (or beside it) and open them in JupyterLab.
"""


def write_student_zip(out):
    """The student edition's notebooks as one zip (``out``), for the site to offer."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = "gradient-descent-student-edition"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/README.txt", STUDENT_README)
        for name, text in student_chapters():
            archive.writestr(f"{folder}/chapters/{name}", text)
    return out


# -- starting points in the book's own notebooks --------------------------------

def solution_code(code):
    """The answer of an exercise cell as a whole: markers and the checker's lines dropped."""
    lines = [line for line in code.split("\n") if line.strip() not in (BEGIN, END)]
    first_check = next((i for i, line in enumerate(lines)
                        if re.match(r"(\w+\s*=\s*)?check\(", line)), len(lines))
    return "\n".join(lines[:first_check]).strip("\n")


def exercise_label(code):
    """``ex-7-1`` for the exercise cell whose checker call is ``check("7.1", ...)``."""
    m = re.search(r"""check\(["'](\d+)\.(\d+)["']""", code)
    return f"ex-{m[1]}-{m[2]}" if m else None


def with_solution_code(text, label, code):
    """``text`` with ``code`` as the first thing in the ``{solution} label`` block."""
    m = re.search(rf"^([:`]{{3,}})\{{solution\}} {re.escape(label)}[ \t]*\n"
                  rf"((?::[\w-]+:.*\n)*)", text, re.M)
    if m is None:
        return None
    defined = re.match(r"\s*def (\w+)\(", code)
    start, end = directive_blocks(text[m.start():], "solution")[0]
    block = text[m.start():m.start() + end]
    if defined and re.search(rf"^def {defined[1]}\(", block, re.M):
        return text                                   # the block shows the function already
    return text[:m.end()] + f"```python\n{code}\n```\n" + text[m.end():]


def starting_points(nb):
    """Notebook ``nb`` (a dict, changed in place) with its answers moved into the solutions.

    Returns the labels of the exercises it converted.
    """
    done = []
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        code = cell_text(cell)
        if cell["cell_type"] != "code" or "exercise" not in tags or BEGIN not in code:
            continue
        label = exercise_label(code)
        if label is None:
            raise ValueError(f"exercise cell {cell.get('id')}: no `check(\"N.M\", ...)` call")
        for other in nb["cells"]:
            if other["cell_type"] == "markdown":
                text = with_solution_code(cell_text(other), label, solution_code(code))
                if text is not None:
                    set_text(other, text)
                    break
        else:
            raise ValueError(f"exercise {label}: no {{solution}} {label} block to move it into")
        set_text(cell, stub_answers(code, label))
        done.append(label)
    return done


def write_starting_points(paths):
    for path in paths:
        path = Path(path)
        nb = json.loads(path.read_text(encoding="utf-8"))
        done = starting_points(nb)
        if done:
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"{path.name}: {', '.join(done)} now start from a stub")


# -- the plain edition --------------------------------------------------------

def glued_values(executed, glue_file=None):
    """``name -> text`` of every number the build glued for an executed notebook.

    MyST-NB 1.4 keeps them in ``glue_file`` (``<notebook>.glue.json`` beside the
    executed notebook); older versions left them in the cells' outputs.
    """
    values = {}
    for cell in executed["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get("application/papermill.record/text/plain")
            if name and text is not None:
                values[name] = text
    if glue_file is not None and Path(glue_file).exists():
        for name, output in json.loads(Path(glue_file).read_text(encoding="utf-8")).items():
            text = output.get("data", {}).get("text/plain")
            if text is not None:
                values[name] = text
    return values


def bibliography(path=ROOT / "references.bib"):
    """``key -> (authors as cited, year)`` from the book's BibTeX file."""
    return book_links.bibliography(path)


def figure_numbers(html_dir):
    """``label -> "Fig. 5.1"`` read from the built HTML (its numbering is Sphinx's)."""
    numbers = {}
    for page in Path(html_dir).glob("chapters/*.html"):
        html = page.read_text(encoding="utf-8")
        for m in re.finditer(r'<figure[^>]*id="([^"]+)".*?<span class="caption-number">'
                             r"([^<]+?)\s*</span>", html, re.S):
            numbers[m.group(1)] = m.group(2).strip()
    return numbers


def section_titles(markdown_cells):
    """``label -> heading text`` for every ``(label)=`` target followed by a heading."""
    text = "\n".join(markdown_cells)
    return {m.group(1): m.group(2).strip()
            for m in re.finditer(r"^\(([\w-]+)\)=\s*\n#+ (.+)$", text, re.M)}


ADMONITION_KINDS = ("note", "tip", "hint", "important", "warning", "caution", "attention",
                    "seealso", "danger", "error")


class Plain:
    """MyST markdown to CommonMark (with a little HTML), for one chapter."""

    def __init__(self, values, bib, figures, titles, chapter, docdir="chapters"):
        self.values, self.bib, self.figures, self.titles = values, bib, figures, titles
        self.chapter, self.docdir = chapter, docdir

    def roles(self, text):
        def eval_role(m):
            name = m.group(1).strip()
            if name not in self.values:
                raise KeyError(f"chapter {self.chapter}: no value for {{eval}}`{name}`")
            return self.values[name]

        def cite(m):
            kind, keys = m.group(1), [k.strip() for k in m.group(2).split(",")]
            refs = [self.bib.get(k, (k, "")) for k in keys]
            if kind == "t":
                return "; ".join(f"{names} ({year})" for names, year in refs)
            return "(" + "; ".join(f"{names}, {year}" for names, year in refs) + ")"

        def ref(m):
            body = m.group(2)
            shown = re.match(r"(.*?)\s*<([^>]+)>$", body, re.S)
            if shown:
                label_text, target = shown.groups()
            else:
                label_text, target = None, body
            if m.group(1) == "numref":
                number = self.figures.get(target, target)
                return label_text.replace("%s", number.split()[-1]) if label_text else number
            return label_text or self.titles.get(target, target)

        text = book.EVAL.sub(eval_role, text)
        text = book_links.to_roles(text, self.docdir)     # links read as the roles' text
        text = re.sub(r"\{cite:([pt])\}`([^`]+)`", cite, text)
        text = re.sub(r"\{(ref|numref|doc)\}`([^`]+)`", ref, text)
        text = re.sub(r"\{term\}`([^`<]+?)(?:\s*<[^>]+>)?`", r"\1", text)
        return text

    def directives(self, text):
        pattern = re.compile(r"^([:`]{3,})\{([\w:-]+)\}[ \t]*(.*)\n", re.M)
        while True:
            m = pattern.search(text)
            if m is None:
                return text
            fence, name, argument = m.groups()
            close = re.compile(rf"^{re.escape(fence)}\s*$", re.M).search(text, m.end())
            if close is None:
                raise ValueError(f"chapter {self.chapter}: unclosed {{{name}}}")
            body, options = text[m.end():close.start()], {}
            while (option := re.match(r":(\w[\w-]*):[ \t]*(.*)\n", body)):   # leading lines
                options[option.group(1)] = option.group(2)
                body = body[option.end():]
            body = self.directives(body.strip("\n"))
            text = text[:m.start()] + self.block(name, argument, options, body) + "\n" + \
                text[close.end():]

    def block(self, name, argument, options, body):
        folded = "dropdown" in options.get("class", "") or name in ("dropdown", "solution")
        if name == "exercise":
            label = options.get("label", "")
            number = ".".join(label.split("-")[1:]) if label.startswith("ex-") else ""
            return f"**Exercise {number}: {argument}**\n\n{body}\n"
        if name == "solution":
            number = ".".join(argument.split("-")[1:])
            return details(f"Solution to Exercise {number}", body)
        if name in ("math",):
            return f"$$\n{body}\n$$\n"
        title = argument or (name.capitalize() if name in ADMONITION_KINDS else "")
        if folded:
            return details(title or "Details", body)
        if name in ("admonition", *ADMONITION_KINDS):
            quoted = "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))
            return f"> **{title}**\n>\n{quoted}\n"
        return f"{body}\n"

    def markdown(self, text):
        text = re.sub(r"^\([\w-]+\)=[ \t]*\n", "", text, flags=re.M)
        return self.roles(self.directives(text))


def details(summary, body):
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>\n"


def plain_notebook(source, executed, bib, figures, titles, chapter, glue_file=None,
                   docdir="chapters"):
    """The plain edition of one chapter: ``source`` and ``executed`` are notebook dicts."""
    convert = Plain(glued_values(executed, glue_file), bib, figures, titles, chapter, docdir)
    nb = copy.deepcopy(source)
    cells = []
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & STUDENT_DROPS:
            continue        # a solution's numbers are written in; Run All runs no solution
        if cell["cell_type"] == "markdown":
            if "remove-cell" in tags:
                continue                     # jupyterlab-myst's front matter, for one
            set_text(cell, convert.markdown(cell_text(cell)))
        else:
            cell["outputs"], cell["execution_count"] = [], None
        cells.append(cell)
    nb["cells"] = cells
    nb["metadata"]["colab"] = {"provenance": []}
    return nb


def write_plain(out, executed_dir, html_dir):
    """The plain edition of the chapters and of the guide pages (every page the book's
    Colab buttons open) in folder ``out``."""
    out, executed_dir = Path(out), Path(executed_dir)
    sources = {p: json.loads(p.read_text(encoding="utf-8")) for p in [
        *sorted(CHAPTERS.glob("*.ipynb")), *sorted((ROOT / "guide").glob("*.ipynb"))]}
    titles = section_titles(cell_text(c) for nb in sources.values() for c in nb["cells"]
                            if c["cell_type"] == "markdown")
    bib, figures = bibliography(), figure_numbers(html_dir)
    for path, source in sources.items():
        folder = path.parent.name                                     # chapters or guide
        executed_path = executed_dir / folder / path.name
        if not executed_path.exists():
            raise SystemExit(f"{executed_path} is missing: build the book first (make book)")
        executed = json.loads(executed_path.read_text(encoding="utf-8"))
        nb = plain_notebook(source, executed, bib, figures, titles, path.stem,
                            executed_path.with_suffix(".glue.json"), docdir=folder)
        (out / folder).mkdir(parents=True, exist_ok=True)
        (out / folder / path.name).write_text(
            json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="edition", required=True)
    student = sub.add_parser("student", help="the chapters without solutions")
    student.add_argument("--out", default=str(ROOT / "_build" / "student"))
    student.add_argument("--zip", metavar="FILE", help="only the notebooks, as one zip file")
    plain = sub.add_parser("plain", help="the chapters in plain Markdown, numbers written in")
    plain.add_argument("--out", default=str(ROOT / "_build" / "html" / "plain"))
    plain.add_argument("--executed", default=str(ROOT / "_build" / "jupyter_execute"))
    plain.add_argument("--html", default=str(ROOT / "_build" / "html"))
    points = sub.add_parser("starting-points", help="answers out of the book's exercise cells")
    points.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.edition == "starting-points":
        write_starting_points(args.notebooks or sorted(CHAPTERS.glob("*.ipynb")))
    elif args.edition == "student" and args.zip:
        print(f"student edition: {write_student_zip(args.zip)}")
    elif args.edition == "student":
        print(f"student edition: {write_student(args.out)}")
    else:
        print(f"plain edition: {write_plain(args.out, args.executed, args.html)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
