"""The widget JavaScript the book serves stays in step with the Python ipywidgets."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "vendor_widgets_js.py"
sys.path.insert(0, str(SCRIPT.parent))
import vendor_widgets_js as vendor  # noqa: E402


def test_the_locked_html_manager_matches_ipywidgets():
    assert vendor.check_versions() == json.loads(
        (ROOT / "package.json").read_text())["dependencies"][vendor.HTML_MANAGER]
    run = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr


def _lock_with(tmp_path, **changes):
    lock = json.loads((ROOT / "package-lock.json").read_text())
    entry = lock["packages"][f"node_modules/{vendor.HTML_MANAGER}"]
    for key, value in changes.items():
        if key == "version":
            entry["version"] = value
        else:
            entry["dependencies"][key] = value
    path = tmp_path / "package-lock.json"
    path.write_text(json.dumps(lock))
    package = json.loads((ROOT / "package.json").read_text())
    package["dependencies"][vendor.HTML_MANAGER] = entry["version"]
    (tmp_path / "package.json").write_text(json.dumps(package))
    return path, tmp_path / "package.json"


def test_drift_is_caught_and_explained(tmp_path):
    lock, package = _lock_with(tmp_path, **{"@jupyter-widgets/controls": "^5.0.1"})
    with pytest.raises(vendor.Drift, match="npm view"):
        vendor.check_versions(lock, package)
    run = subprocess.run([sys.executable, str(SCRIPT), "--check", "--lock", str(lock),
                          "--package", str(package)], capture_output=True, text=True)
    assert run.returncode == 1 and "out of step" in run.stderr
    lock, package = _lock_with(tmp_path, version="0.20.6")
    with pytest.raises(vendor.Drift, match="wants"):
        vendor.check_versions(lock, package)
    with pytest.raises(vendor.Drift, match="pins"):
        vendor.check_versions(lock, ROOT / "package.json")


def test_the_book_loads_the_vendored_files():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    scripts = list(config["nb_ipywidgets_js"])
    assert scripts == ["widgets/require.js", "widgets/widget-assets.js", "widgets/embed-amd.js"]
    assert not any("://" in s for s in scripts)
    assert config["html_extra_path"] == ["_vendor"]
    assert vendor.TARGET == ROOT / "_vendor" / "_static" / "widgets"
