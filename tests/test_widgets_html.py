"""Precomputed panels in a real browser, on a tiny fixture book (tests/fixtures/widget_book).

The fixture is built like the book (`GDLIB_WIDGETS=static`, the book's own
``nb_ipywidgets_js`` and ``html_extra_path``, the JavaScript that `make widgets-js`
vendored), served on 127.0.0.1 and opened in Debian's chromium with every request
outside the book aborted.  Moving each slider and dropdown must change the image,
with no kernel anywhere.  The same checks run over the real book's pages in
test_book_html.py.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import ROOT, StaticServer
from widget_pages import (
    changed,
    check_every_selector_moves,
    drag_across,
    panel_names,
    selectors,
    shown,
    wait_for_panels,
)

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "widget_book"
VENDORED = ROOT / "_vendor"


def fixture_config():
    """The fixture's _config.yml: the book's widget settings, nothing else."""
    book = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    return {
        "title": "Widget fixture",
        "only_build_toc_files": True,
        "exclude_patterns": ["_build", "_vendor", "_ext", "helpers.py"],
        "execute": {"execute_notebooks": "force", "timeout": 300, "allow_errors": False,
                    "run_in_temp": False, "stderr_output": "remove"},
        "sphinx": {"local_extensions": {"book_fixes": "_ext"},
                   # MathJax 3 as the book ships it: the widgets' MathJax 2 call must not throw
                   "extra_extensions": ["sphinx-mathjax-offline"],
                   "config": {"nb_execution_raise_on_error": True,
                              "html_context": book["html_context"],
                              "html_extra_path": book["html_extra_path"],
                              "nb_ipywidgets_js": book["nb_ipywidgets_js"]}},
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not (VENDORED / "_static" / "widgets" / "embed-amd.js").is_file():
        pytest.fail("no vendored widget JavaScript: run `make widgets-js` first")
    book = tmp_path_factory.mktemp("widget_book")
    shutil.copytree(FIXTURE, book, dirs_exist_ok=True)
    shutil.copy(Path(__file__).with_name("helpers.py"), book)
    shutil.copytree(VENDORED, book / "_vendor")
    shutil.copytree(ROOT / "_ext", book / "_ext")
    (book / "_config.yml").write_text(yaml.safe_dump(fixture_config(), sort_keys=False,
                                                     allow_unicode=True))
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(GDLIB_WIDGETS="static", JUPYTER_PREFER_ENV_PATH="1")
    jb = Path(sys.executable).with_name("jupyter-book")
    run = subprocess.run([str(jb), "build", str(book), "-W", "-n", "--keep-going"], env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return book / "_build" / "html"


@pytest.fixture
def offline_page(chromium, built):
    """A page of the fixture book; records errors and any request leaving the book."""
    with StaticServer(built) as server:
        context = chromium.new_context(device_scale_factor=2)
        page = context.new_page()
        page.errors, page.external, page.scripts = [], [], []

        def route(r):
            url = r.request.url
            if url.startswith(server.url) or url.startswith(("data:", "blob:")):
                if url.endswith(".js") or ".js?" in url:
                    page.scripts.append(url[len(server.url):])
                r.continue_()
            else:
                page.external.append(url)
                r.abort()

        context.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(f"uncaught: {e}"))
        page.on("response", lambda r: r.status >= 400 and not r.url.endswith("favicon.ico")
                and page.errors.append(f"HTTP {r.status} {r.url}"))
        page.base = server.url
        yield page
        context.close()


def test_sliders_switch_precomputed_images_without_a_kernel(offline_page):
    page = offline_page
    page.goto(page.base + "panels.html", wait_until="load")
    wait_for_panels(page, ["fixture", "fixture-explorer"])
    assert sorted(panel_names(page)) == ["fixture", "fixture-explorer"]
    assert check_every_selector_moves(page, "fixture") == 3 + 1      # 3 η, then batch 32
    assert check_every_selector_moves(page, "fixture-explorer") == 3
    info = shown(page, "fixture")
    assert info["natural"] >= 2 * info["width"]      # drawn at 2x, shown at 1x or less: sharp
    assert not page.external, page.external
    assert not page.errors, "\n".join(page.errors)
    assert "_static/widgets/embed-amd.js" in " ".join(page.scripts)


def test_panel_images_say_what_they_show(offline_page):
    page = offline_page
    page.goto(page.base + "panels.html", wait_until="load")
    wait_for_panels(page, ["fixture", "fixture-explorer"])
    page.wait_for_function("() => window.MathJax && MathJax.startup", timeout=30_000)
    alts = {name: page.evaluate(f"() => [...document.querySelectorAll('.gdlib-panel-{name} img')]"
                                ".map(i => i.getAttribute('alt') || '')")
            for name in ("fixture", "fixture-explorer")}
    assert alts["fixture"] and all(a.startswith("Training loss (left) and test accuracy")
                                   and "η = " in a for a in alts["fixture"]), alts
    assert alts["fixture-explorer"] and all(a.startswith("The path on the surface")
                                            for a in alts["fixture-explorer"]), alts
    assert not page.external and not page.errors, (page.external, page.errors)


def test_a_mouse_drag_moves_the_slider_too(offline_page):
    page = offline_page
    page.goto(page.base + "panels.html", wait_until="load")
    wait_for_panels(page, ["fixture-explorer"])
    before = shown(page, "fixture-explorer")["digest"]
    (slider, kind), = selectors(page, "fixture-explorer")
    assert kind == "slider"
    assert drag_across(page, slider) == 0           # it starts at momentum 0.9, the end
    changed(page, "fixture-explorer", before)
    assert not page.external and not page.errors, (page.external, page.errors)


def test_pages_without_widgets_load_no_widget_code(offline_page):
    page = offline_page
    page.goto(page.base + "index.html", wait_until="load")
    assert not [s for s in page.scripts if "widgets/" in s], page.scripts
    assert not page.errors, page.errors
