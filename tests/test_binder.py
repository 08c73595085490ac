"""What Binder builds: a fresh environment from ``requirements.txt`` alone runs a chapter.

repo2docker reads the repository's configuration files, finds ``requirements.txt``
(and nothing that would replace it), and runs ``pip install -r requirements.txt``
in the repository's folder. This test does the same here, offline but for the
package registries: it copies the files git tracks (what Binder clones) into a
temporary folder, makes a virtual environment there with ``requirements.txt``
only (never ``requirements-test.txt``), starts JupyterLab from that environment
(tests/lab_harness.py), opens chapter 1 in chromium and runs all its cells.

It checks that the lab extensions a reader needs came with ``requirements.txt``
(jupyterlab-myst renders the markdown, the widget manager is loaded), that the
first open shows no news prompt and no other toast or dialog (the settings of
labsettings/; tests/test_lab_settings.py shows the prompt without them), that the
kernel is the new environment's Python, and that the chapter runs to its end
with every number of the HTML prose shown. MNIST comes from ``GDLIB_DATA``:
Binder downloads it through the loader (tested in test_data.py), which this
machine cannot. Costs about 1.5 minutes of pip and half a minute of JupyterLab.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from lab_harness import ROOT, LabNotebook, LabServer, first_run_prompts, run_problems
from support import html_numbers, missing_numbers

pytestmark = pytest.mark.browser

CHAPTER = "chapters/01_introduction.ipynb"
CHAPTER_NUMBER = 1

# Files repo2docker reads before (or instead of) requirements.txt: any of them would
# change what Binder builds, and this test would have to build it the same way.
OTHER_BINDER_FILES = ("binder", ".binder", "environment.yml", "Pipfile", "Pipfile.lock",
                      "setup.py", "postBuild", "start", "apt.txt", "runtime.txt",
                      "install.R", "Project.toml", "default.nix", "Dockerfile")

# What a reader's JupyterLab must load, by plugin id.
LAB_PLUGINS = ("jupyterlab-myst:content-factory", "jupyterlab-myst:executor",
               "@jupyter-widgets/jupyterlab-manager:plugin")


def tracked_files():
    """The files git tracks (as they are in the working tree): what Binder clones."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"{ROOT} is not a git checkout ({exc}): Binder builds from a clone")
    return [p for p in out.decode().split("\0") if p and (ROOT / p).is_file()]


@pytest.fixture(scope="module")
def binder_repo(tmp_path_factory):
    """A copy of the tracked files, with a venv made from its requirements.txt only."""
    repo = tmp_path_factory.mktemp("binder") / "repo"
    for name in tracked_files():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, repo / name)
    env = repo.parent / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    python = env / "bin" / "python"
    pip = subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", "requirements.txt"],
                         cwd=repo, capture_output=True, text=True)
    assert pip.returncode == 0, f"pip install -r requirements.txt failed:\n{pip.stderr[-3000:]}"
    return repo, python


def test_binder_reads_only_requirements_txt():
    present = [name for name in OTHER_BINDER_FILES if (ROOT / name).exists()]
    assert not present, (f"repo2docker would read {present}: build this test's environment "
                         "the way Binder then builds it")
    assert "requirements.txt" in tracked_files()


def test_a_chapter_runs_in_the_environment_binder_builds(binder_repo, chromium):
    repo, python = binder_repo
    lacking = subprocess.run([str(python), "-c", "import pytest"], capture_output=True)
    assert lacking.returncode != 0, "the Binder environment holds a test tool: not from " \
                                    "requirements.txt alone"
    env = {"PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "VIRTUAL_ENV": str(python.parent.parent)}
    with LabServer(repo, python=str(python), env=env) as lab:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            notebook = LabNotebook(page, lab, CHAPTER).open()
            prompts = first_run_prompts(page)     # the first open: no news prompt, no dialog
            missing_plugins = [p for p in LAB_PLUGINS
                               if not page.evaluate("id => window.jupyterapp.hasPlugin(id)", p)]
            kernels = [c.cmdline() for c in psutil.Process(lab.process.pid).children()
                       if "ipykernel_launcher" in " ".join(c.cmdline())]
            notebook.run_all()
            report = notebook.wait_until_run(timeout=600)
        finally:
            context.close()
    print(f"\n{CHAPTER} in the Binder environment: Run All took {report.seconds:.1f} s")
    assert not missing_plugins, f"JupyterLab from requirements.txt lacks {missing_plugins}"
    assert prompts == [], f"a reader's first open of JupyterLab shows {prompts}"
    assert kernels and all(Path(k[0]).parent == python.parent for k in kernels), (
        f"the kernel is not the Binder environment's Python {python}: {kernels}")
    problems = run_problems(report)
    assert not problems, f"{CHAPTER} in the Binder environment: {problems}"
    assert not report.raw_myst(), f"MyST shown as text: {report.raw_myst()}"
    expected = html_numbers(chromium, CHAPTER_NUMBER)
    missing = missing_numbers(report.markdown_text(), expected)
    assert expected and not missing, f"numbers of the HTML not shown: {missing[:20]}"
