"""The JupyterLab settings a reader's environment ships (labsettings/, via requirements.txt).

``labsettings/overrides.json`` is installed as ``{sys.prefix}/share/jupyter/lab/settings/
overrides.json``, JupyterLab's defaults for that environment: no news prompt and no update
check on a first open. The unit test checks that this venv holds the file as the repository
has it; the browser test opens JupyterLab once without it (``app_settings_dir`` pointed at
an empty folder), where the news prompt must show, and once as installed, where it must not.
So the check that tests/test_binder.py makes in a fresh Binder environment is seen to fail.
"""

import json
import sys
from pathlib import Path

import pytest
from lab_harness import ROOT, LabServer, first_run_prompts

SHIPPED = ROOT / "labsettings" / "overrides.json"
INSTALLED = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
NEWS_PROMPT = "official Jupyter news"


def test_the_environment_holds_the_shipped_settings():
    assert "./labsettings" in (ROOT / "requirements.txt").read_text().split(), (
        "requirements.txt must install ./labsettings (the reader's JupyterLab settings)")
    shipped = json.loads(SHIPPED.read_text())
    assert shipped["@jupyterlab/apputils-extension:notification"] == {
        "fetchNews": "false", "checkForUpdates": False}
    assert INSTALLED.is_file(), (f"{INSTALLED} is missing: install requirements.txt into "
                                 "this environment (`make venv`)")
    assert json.loads(INSTALLED.read_text()) == shipped, (
        f"{INSTALLED} differs from {SHIPPED}: reinstall it (`pip install ./labsettings`)")


def _prompts(lab, chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(lab.url + "lab", wait_until="load")
        return first_run_prompts(page)
    finally:
        context.close()


@pytest.mark.browser
def test_no_news_prompt_with_the_shipped_settings_and_one_without(chromium, tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "no-settings").mkdir()
    without = [f"--LabApp.app_settings_dir={tmp_path / 'no-settings'}"]
    with LabServer(tmp_path / "root", args=without) as lab:
        bare = _prompts(lab, chromium)
    assert any(NEWS_PROMPT in text for text in bare), (
        f"without overrides.json JupyterLab showed no news prompt ({bare}): the check "
        "cannot fail, so its pass in tests/test_binder.py says nothing")
    with LabServer(tmp_path / "root") as lab:
        shipped = _prompts(lab, chromium)
    assert shipped == [], f"JupyterLab with {INSTALLED} greets a reader with {shipped}"
