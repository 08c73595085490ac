"""gdlib declares what it imports: a venv made by ``pip install .`` alone imports every module.

The venv gets nothing but the project (no requirements files, no test extra), so
a module that imports a package only another package happens to bring fails
here with the name of that package.  About a minute of pip (from its cache), so
``make test`` runs it and ``make check`` does not.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

IMPORT_ALL = """
import importlib, pkgutil, sys
import gdlib
failed = []
names = ["gdlib"] + [m.name for m in pkgutil.walk_packages(gdlib.__path__, "gdlib.")]
for name in names:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        failed.append(f"{name}: {exc}")
print(len(names), "modules")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_after_pip_install_alone(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", "_build", "_vendor", "node_modules", ".git", "__pycache__", "chapters",
        "guide", "tests", "benchmarks", "*.egg-info"))
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    python = env / "bin" / "python"
    pip = subprocess.run([str(python), "-m", "pip", "install", "-q", str(source)],
                         capture_output=True, text=True)
    assert pip.returncode == 0, f"pip install . failed:\n{pip.stderr[-3000:]}"
    run = subprocess.run([str(python), "-c", IMPORT_ALL], capture_output=True, text=True,
                         cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"})
    assert run.returncode == 0, f"modules that do not import:\n{run.stdout}{run.stderr[-2000:]}"
    assert int(run.stdout.split()[0]) >= 30, run.stdout
