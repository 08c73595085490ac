"""The launch paths: one repository setting, and the Colab cell that installs gdlib.

The Colab cell is run by a real IPython shell in a separate process, with a
stand-in ``google.colab`` module and, to play a fresh Colab machine, an import
hook that makes ``import gdlib`` fail; ``%pip`` is recorded instead of run.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import set_repository  # noqa: E402

SHELL = r'''
import json, sys, types
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
calls = []
shell.run_line_magic = lambda name, line, *args, **kwargs: calls.append([name, line])
where = sys.argv[1]
if where != "elsewhere":
    colab = sys.modules["google.colab"] = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(
        enable_custom_widget_manager=lambda: calls.append(["widgets", ""]))
if where == "colab-without-gdlib":
    class NoGdlib:                                  # a machine that never installed gdlib
        def find_spec(self, name, path=None, target=None):
            if name == "gdlib" or name.startswith("gdlib."):
                raise ImportError(f"No module named {name!r}")
    sys.modules.pop("gdlib", None)
    sys.meta_path.insert(0, NoGdlib())
result = shell.run_cell(sys.stdin.read())
print(json.dumps({"calls": calls, "ok": result.success}))
'''


def run_colab_cell(where):
    url, branch = set_repository.read_setting()
    cell = set_repository.COLAB_CELL.format(url=url, branch=branch)
    out = subprocess.run([sys.executable, "-c", SHELL, where], input=cell, text=True,
                         capture_output=True, timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1]), url, branch


def test_the_colab_cell_installs_gdlib_only_on_colab_without_it():
    result, url, branch = run_colab_cell("colab-without-gdlib")
    assert result["ok"]
    [widgets, [magic, line]] = result["calls"]
    assert widgets == ["widgets", ""]                 # ipywidgets 8 sliders work on Colab
    assert magic == "pip" and f"git+{url}@{branch}" in line and "install" in line


def test_the_colab_cell_installs_nothing_on_colab_with_gdlib():
    result, _, _ = run_colab_cell("colab-with-gdlib")
    assert result == {"calls": [["widgets", ""]], "ok": True}


def test_the_colab_cell_does_nothing_elsewhere():
    result, _, _ = run_colab_cell("elsewhere")
    assert result == {"calls": [], "ok": True}


def test_every_copy_of_the_repository_setting_agrees():
    url, branch = set_repository.read_setting()
    assert url.startswith("https://github.com/") and branch
    assert set_repository.expected_uses(url, branch) == {}, \
        "run python scripts/set_repository.py"
    readme = (ROOT / "README.md").read_text()
    for link in set_repository.links(url, branch).values():
        assert link in readme


def test_launch_buttons_read_the_setting():
    config = (ROOT / "_config.yml").read_text()
    for key in ("binderhub_url:", "colab_url:", "use_repository_button: true"):
        assert key in config, key
