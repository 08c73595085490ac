"""A submission: read it, take its answer cells, read them, rebuild the notebook to run.

Only the student's answer cells are taken (found by the pristine answer cell's
id, else, when the file has no matching ids, by the order of its cells tagged
``exercise``); every other cell comes from the pristine chapter, so deleted,
edited or reordered cells of the book do not matter.  The file is only read.
"""

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

from .chapters import cell_id, cell_text, fresh_copy, tags

MAX_BYTES = 50_000_000          # a notebook larger than this is not read


class Unreadable(Exception):
    """The file is not a notebook; the argument says why, in words."""


def read_notebook(path):
    """The notebook at ``path`` as a dict, or ``Unreadable`` saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise Unreadable("no such file" if not path.exists() else "not a file")
    if path.stat().st_size > MAX_BYTES:
        raise Unreadable(f"the file has {path.stat().st_size / 1e6:.0f} MB, more than a "
                         f"notebook of the book can have ({MAX_BYTES / 1e6:.0f} MB)")
    try:
        nb = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise Unreadable("not a notebook: the file is not text (UTF-8)") from None
    except json.JSONDecodeError as exc:
        raise Unreadable(f"not a notebook: not valid JSON ({exc.msg} at line {exc.lineno})") \
            from None
    if not (isinstance(nb, dict) and isinstance(nb.get("cells"), list)
            and all(isinstance(c, dict) and "cell_type" in c for c in nb["cells"])):
        raise Unreadable("not a notebook: JSON, but without a list of cells")
    return nb


@dataclass
class Taken:
    """What was taken from a submission: ``sources`` label -> the student's answer cell
    (absent when the cell is missing), and ``notes``, sentences for the gradebook."""

    sources: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)       # label -> why it is missing
    notes: list = field(default_factory=list)


def take_answers(nb, chapter):
    """The answer cells of submission ``nb`` (a dict) for ``chapter``."""
    taken = Taken()
    cells = [c for c in nb["cells"] if c.get("cell_type") == "code"]
    by_id = {}
    for cell in cells:
        by_id.setdefault(cell_id(cell), cell)
    own = {a.cell_id for a in chapter.answers}
    found = {a.label: by_id[a.cell_id] for a in chapter.answers if a.cell_id in by_id}
    lost = [a for a in chapter.answers if a.label not in found]
    # a cell tagged `exercise` under another id: copied and pasted, or a copy without ids
    strays = [c for c in cells if "exercise" in tags(c) and cell_id(c) not in own]
    if lost and len(strays) == len(lost):
        found.update({a.label: c for a, c in zip(lost, strays, strict=True)})
        if any(cell_id(c) is not None for c in nb["cells"]):
            taken.notes.append("the answer cell of " + ", ".join(a.label for a in lost) +
                               " was found by its tag `exercise` (its cell id changed)")
    for answer in chapter.answers:
        if answer.label in found:
            taken.sources[answer.label] = cell_text(found[answer.label])
        else:
            taken.missing[answer.label] = (
                f"the answer cell of Exercise {answer.label} is not in the notebook (no cell "
                f"with id `{answer.cell_id}` or tagged `exercise`): deleted, or pasted into "
                "a new cell")
    order = [cell_id(c) for c in nb["cells"] if cell_id(c) in chapter.ids()]
    pristine = [i for i in (cell_id(c) for c in chapter.notebook["cells"]) if i in order]
    if order != pristine:
        taken.notes.append("cells were moved; the grader ran them in the book's order")
    gone = sum(1 for c in chapter.notebook["cells"] if c["id"] not in order)
    if order and gone:
        taken.notes.append(f"{gone} of the chapter's {len(chapter.notebook['cells'])} cells "
                           "were missing or changed; the grader ran the book's own")
    return taken


def rebuild(chapter, taken):
    """The notebook to run: the pristine chapter with the student's answer cells in place
    of its own (a missing one stays the pristine stub), without outputs."""
    nb = fresh_copy(chapter)
    by_id = {a.cell_id: a.label for a in chapter.answers}
    for cell in nb["cells"]:
        label = by_id.get(cell.get("id"))
        if label in taken.sources:
            cell["source"] = taken.sources[label]
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb["metadata"] = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}}
    return nb


# -- reading an answer cell ----------------------------------------------------

GUARDED = ("gdlib", "numpy", "builtins", "sys", "importlib")   # what an answer must not patch


@dataclass
class Reading:
    """What an answer cell's code says about itself: the names it defines, a
    ``syntax`` error, whether it rebinds ``check`` and what it patches."""

    defines: set = field(default_factory=set)
    syntax: str = ""
    rebinds_check: list = field(default_factory=list)     # line numbers
    patches: list = field(default_factory=list)           # (line, what)


def read_answer(source, modules):
    """Read an answer cell; ``modules`` maps the names the notebook's imports bind to the
    module (or the module of the object) they came from: ``{"np": "numpy", ...}``."""
    reading = Reading()
    try:
        tree = ast.parse(_python(source))
    except SyntaxError as exc:
        reading.syntax = f"a syntax error in line {exc.lineno} of the answer cell: {exc.msg}"
        return reading
    aliases = dict(modules)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            base = node.module if isinstance(node, ast.ImportFrom) else None
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                aliases[bound] = base or alias.name
                if bound == "check" and base != "gdlib.exercises":
                    reading.rebinds_check.append(node.lineno)
    for node in tree.body:
        reading.defines.update(_bound_names(node))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == "check":
                reading.rebinds_check.append(node.lineno)
        targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete)) else
                   [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        for target in targets:
            if isinstance(target, ast.Name) and target.id == "check":
                reading.rebinds_check.append(node.lineno)
            root = _root(target)
            if root is not None and root is not target and _guarded(aliases.get(root.id)):
                reading.patches.append((node.lineno, ast.unparse(target)))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("setattr", "delattr") and node.args):
            root = _root(node.args[0])
            if root is not None and _guarded(aliases.get(root.id)):
                reading.patches.append((node.lineno, ast.unparse(node)))
    reading.rebinds_check = sorted(set(reading.rebinds_check))
    return reading


def imported_names(nb):
    """``name -> module`` for every name the pristine notebook's imports bind."""
    names = {}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse(_python(cell_text(cell)))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    names[alias.asname or alias.name.split(".")[0]] = alias.name
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    names[alias.asname or alias.name] = node.module
    return names


def _python(source):
    """Cell source with IPython's magics (``%timeit``, ``!ls``) turned into Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _bound_names(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {a.asname or a.name.split(".")[0] for a in node.names}
    return set()


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def _guarded(module):
    return module is not None and module.split(".")[0] in GUARDED
