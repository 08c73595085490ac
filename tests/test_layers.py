"""gdlib's layering, read from the source: every module on a floor, no import going up.

Floors (DESIGN.md, "gdlib: one module per concern"): the core without any gdlib
import, then the loop and the figures, then widgets, exercises and the book's
helpers side by side (none imports another of that floor), then ``paper``, the
book's content, on top.  A module may import its own group (``widgets.static``
imports ``widgets.figure``), any lower floor, nothing else; a new module or
subpackage must be given a floor here before its test passes.  Inside
``widgets``, the static form and the explorer never reach the live panel.
"""

import ast
from pathlib import Path

import pytest

import gdlib

PACKAGE = Path(gdlib.__file__).parent

FLOORS = {
    "data": 0, "mlp": 0, "optimizers": 0, "metrics": 0, "toy": 0, "machine": 0,
    "schedules": 0,
    "train": 1, "plots": 1,
    "widgets": 2, "exercises": 2, "book": 2, "book_links": 2, "gradnoise": 2, "sweep": 2,
    "rates": 2,
    "paper": 3,
}
# Modules that must not depend on the live panel, even through another module.
WITHOUT_LIVE_PANEL = ("gdlib.widgets.static", "gdlib.widgets.explorer", "gdlib.widgets.figure",
                      "gdlib.widgets.labels", "gdlib.widgets.controls")


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name):
    """The gdlib modules ``name`` imports (a name imported from a package counts as its
    module when it is one, else as the package)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                child = f"{source}.{alias.name}"
                found.add(child if child in MODULES else source)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in MODULES and m != "gdlib" and m != name}


def group(name):
    return name.split(".")[1]


def closure(name):
    seen, todo = set(), [name]
    while todo:
        for dep in imports(todo.pop()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


@pytest.mark.parametrize("name", [m for m in MODULES if m != "gdlib"])
def test_every_module_stands_on_its_floor_or_below(name):
    assert group(name) in FLOORS, (f"{name} has no floor: give {group(name)!r} one in "
                                   "tests/test_layers.py (and DESIGN.md's table)")
    for dep in imports(name):
        mine, theirs = FLOORS[group(name)], FLOORS[group(dep)]
        assert theirs < mine or group(dep) == group(name), (
            f"{name} (floor {mine}) imports {dep} (floor {theirs}): an import going up or "
            "sideways")


def test_no_module_imports_itself_back():
    cycles = [m for m in MODULES if m != "gdlib" and m in closure(m)
              and not MODULES[m].name == "__init__.py"]
    assert not cycles, f"import cycles through {cycles}"


@pytest.mark.parametrize("name", WITHOUT_LIVE_PANEL)
def test_static_form_and_explorer_do_not_need_the_live_panel(name):
    assert "gdlib.widgets.panel" not in closure(name) | {name}


def test_the_check_sees_an_import_going_up(tmp_path):
    """The table above is read the way the test reads gdlib: an import of paper from
    train would be caught."""
    fake = tmp_path / "gdlib"
    (fake / "paper").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "paper" / "__init__.py").write_text("")
    (fake / "train.py").write_text("from .paper import figures\n")
    (fake / "paper" / "figures.py").write_text("from .. import train\n")
    global PACKAGE, MODULES
    saved = PACKAGE, MODULES
    PACKAGE = fake
    MODULES = {module_name(p): p for p in sorted(fake.rglob("*.py"))}
    try:
        assert imports("gdlib.train") == {"gdlib.paper.figures"}
        assert imports("gdlib.paper.figures") == {"gdlib.train"}
        with pytest.raises(AssertionError, match="an import going up"):
            test_every_module_stands_on_its_floor_or_below("gdlib.train")
        with pytest.raises(AssertionError, match="import cycles"):
            test_no_module_imports_itself_back()
    finally:
        PACKAGE, MODULES = saved
