"""Strip outputs and execution counts from the book's notebooks.

The notebooks in chapters/ are committed without outputs: the book build
executes them (see README, "Notebook outputs").  Run this before committing a
notebook you have executed:

    .venv/bin/python scripts/strip_outputs.py            # every chapters/*.ipynb and guide/*.ipynb
    .venv/bin/python scripts/strip_outputs.py FILE ...   # just these
    .venv/bin/python scripts/strip_outputs.py --check    # list dirty ones, exit 1

It also removes saved widget state, per-cell timing metadata and the Python
version, and sets the kernel to ``python3``.  Cell tags (``remove-cell``, ``hide-input``, ...) stay.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# Cell metadata written by running a notebook, not by its author.
RUN_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")


def strip(nb: nbformat.NotebookNode) -> bool:
    """Strip ``nb`` in place; return True if anything changed."""
    before = nbformat.writes(nb)
    for cell in nb.cells:
        for key in RUN_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}  # no Python version: no diff churn
    return nbformat.writes(nb) != before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: chapters/ and guide/")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if dirty")
    args = parser.parse_args(argv)

    paths = args.notebooks or sorted([*(ROOT / "chapters").glob("*.ipynb"),
                                      *(ROOT / "guide").glob("*.ipynb")])
    dirty = []
    for path in paths:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        if strip(nb):
            dirty.append(path)
            if not args.check:
                nbformat.write(nb, path)
    verb = "needs stripping" if args.check else "stripped"
    for path in dirty:
        print(f"{verb}: {path}")
    return 1 if args.check and dirty else 0


if __name__ == "__main__":
    sys.exit(main())
