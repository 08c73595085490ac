"""The chapter notebooks are committed clean, and run on this environment's kernel.

Policy (README, "Notebook outputs"): notebooks carry no outputs and no
execution counts; the book build executes them.  Fix a failure here with
``.venv/bin/python scripts/strip_outputs.py``.
"""

import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted([*(ROOT / "chapters").glob("*.ipynb"), *(ROOT / "guide").glob("*.ipynb")])
FIX = "run `.venv/bin/python scripts/strip_outputs.py`"


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in chapters/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    assert kernel == "python3", f"{path.name}: kernel is {kernel!r}, not 'python3'; {FIX}"
    assert "widgets" not in nb.metadata, f"{path.name}: saved widget state; {FIX}"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [], f"{path.name}: cell {i} has outputs; {FIX}"
        assert cell.execution_count is None, f"{path.name}: cell {i} has a count; {FIX}"


def test_python3_kernel_runs_this_environment():
    """The 'python3' kernel that nbval and the book use is this venv's Python with gdlib."""
    code = "import sys, gdlib\nprint(sys.prefix, gdlib.__file__)"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    prefix, gdlib_file = nb.cells[0].outputs[0]["text"].split()
    spec_dir = KernelSpecManager().get_kernel_spec("python3").resource_dir
    assert Path(prefix).resolve() == Path(sys.prefix).resolve(), (
        f"the python3 kernel ({spec_dir}) runs {prefix}, not {sys.prefix}; "
        "run `make venv`, which installs the kernel with --sys-prefix"
    )
    assert Path(gdlib_file).resolve() == ROOT / "gdlib" / "__init__.py", (
        f"the kernel imports gdlib from {gdlib_file}; reinstall with `pip install -e .`"
    )
