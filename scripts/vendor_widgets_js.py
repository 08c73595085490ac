"""Copy the widget JavaScript the HTML book loads into _vendor/_static/widgets/ (no CDN).

    npm ci --ignore-scripts                        # node_modules/ from package-lock.json
    python scripts/vendor_widgets_js.py            # check versions, then copy
    python scripts/vendor_widgets_js.py --check    # only check (needs no node_modules)

`make widgets-js` runs both steps; `make book` depends on it.  The book's pages
with widgets load require.js and @jupyter-widgets/html-manager's embed-amd.js
(``nb_ipywidgets_js`` in _config.yml points at the copies), which bundles the
base, controls and output widget modules, so nothing is fetched from elsewhere.

Why ``_vendor/`` and not the book's ``_static/``: Jupyter Book puts every .js
file under a ``_static/`` folder of the source on *every* page, which would
load 3.6 MB of widget code on pages without widgets and twice on the others.
``_vendor/`` is an ``html_extra_path``: Sphinx copies it into the HTML as it
is (``_build/html/_static/widgets/``), and only pages with widgets load it.

The check fails (exit 1, saying what to change) when the JavaScript and the
Python ipywidgets drift apart:

* html-manager's version must satisfy the range the Python ipywidgets names
  (``ipywidgets._version.__html_manager_version__``);
* it must come from the same ipywidgets release as the installed
  jupyterlab_widgets: both depend on the very same versions of
  @jupyter-widgets/base, base-manager, controls and output;
* package.json must pin exactly what package-lock.json resolved.

Licences travel with the files: require.js keeps its licence header, and
LICENSES.txt beside them gives each file's package, version and licence,
with the BSD-3-Clause text of Jupyter widgets and the notices of the
third-party code the bundle contains.
"""

import argparse
import hashlib
import importlib.metadata
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "package-lock.json"
PACKAGE = ROOT / "package.json"
MODULES = ROOT / "node_modules"
TARGET = ROOT / "_vendor" / "_static" / "widgets"
HTML_MANAGER = "@jupyter-widgets/html-manager"
SHARED = ("@jupyter-widgets/base", "@jupyter-widgets/base-manager",
          "@jupyter-widgets/controls", "@jupyter-widgets/output")
ASSETS_JS = ROOT / "_ext" / "widget-assets.js"   # ours: tells the bundle where its fonts are
LAB_MANAGER = "share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager/package.json"


class Drift(Exception):
    """The widget JavaScript and the Python ipywidgets do not match."""


def _caret_ok(version, spec):
    """``version`` satisfies ``spec`` (an npm caret range such as ^1.0.1, or a version)."""
    v = tuple(int(x) for x in version.split("."))
    if not spec.startswith("^"):
        return version == spec
    low = tuple(int(x) for x in spec[1:].split("."))
    return v[0] == low[0] and v >= low


def _lab_manager_package():
    files = importlib.metadata.files("jupyterlab_widgets") or []
    for f in files:
        if str(f).replace("\\", "/").endswith(LAB_MANAGER):
            return json.loads(Path(f.locate()).read_text())
    raise Drift("jupyterlab_widgets has no jupyterlab-manager package.json: "
                "reinstall it (pip install -r requirements.txt)")


def check_versions(lock_path=LOCK, package_path=PACKAGE):
    """The html-manager version, after checking it against the Python side (``Drift``)."""
    import ipywidgets
    from ipywidgets._version import __html_manager_version__ as wanted

    lock = json.loads(Path(lock_path).read_text())
    entry = lock["packages"].get(f"node_modules/{HTML_MANAGER}")
    if entry is None:
        raise Drift(f"{lock_path} does not lock {HTML_MANAGER}: run `npm install`")
    version = entry["version"]
    pinned = json.loads(Path(package_path).read_text())["dependencies"].get(HTML_MANAGER)
    if pinned != version:
        raise Drift(f"package.json pins {HTML_MANAGER} {pinned!r} but package-lock.json has "
                    f"{version}: pin the exact version and run `npm install`")
    if not _caret_ok(version, wanted):
        raise Drift(f"ipywidgets {ipywidgets.__version__} wants {HTML_MANAGER} {wanted}, "
                    f"package-lock.json has {version}")
    lab = _lab_manager_package()
    ours = {k: entry["dependencies"].get(k) for k in SHARED}
    theirs = {k: lab["dependencies"].get(k) for k in SHARED}
    if ours != theirs:
        raise Drift(
            f"{HTML_MANAGER} {version} was released with other widget modules than the "
            f"installed ipywidgets {ipywidgets.__version__} (jupyterlab_widgets "
            f"{importlib.metadata.version('jupyterlab_widgets')}, jupyterlab-manager "
            f"{lab['version']}): it depends on {ours}, the Python side on {theirs}. Set "
            f"{HTML_MANAGER} in package.json to the release that depends on {theirs} "
            f"(`npm view {HTML_MANAGER}@<version> dependencies`), then `npm install`.")
    return version


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def vendor(target=TARGET):
    """Copy require.js, embed-amd.js and the assets it names into ``target``."""
    version = check_versions()
    manager = MODULES / HTML_MANAGER
    installed = json.loads((manager / "package.json").read_text())["version"]
    if installed != version:
        raise Drift(f"node_modules has {HTML_MANAGER} {installed}, the lockfile {version}: "
                    "run `npm ci --ignore-scripts`")
    requirejs = json.loads((MODULES / "requirejs" / "package.json").read_text())
    embed = manager / "dist" / "embed-amd.js"
    code = embed.read_text()
    assets = sorted(p for p in (manager / "dist").iterdir()
                    if re.fullmatch(r"[0-9a-f]{20}\.(woff2?|ttf|eot|svg)", p.name)
                    and p.name in code)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    copied = {"require.js": MODULES / "requirejs" / "require.js", "embed-amd.js": embed,
              "widget-assets.js": ASSETS_JS, **{p.name: p for p in assets}}
    for name, source in copied.items():
        shutil.copyfile(source, target / name)
    (target / "LICENSES.txt").write_text(_licences(version, requirejs, manager, copied))
    manifest = {"html-manager": version, "requirejs": requirejs["version"],
                "files": {name: _sha256(target / name) for name in copied}}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def _licences(version, requirejs, manager, copied):
    ipywidgets_licence = _dist_licence("ipywidgets")
    notices = (manager / "dist" / "embed.js.LICENSE.txt").read_text()
    fonts = json.loads((MODULES / "@fortawesome" / "fontawesome-free" / "package.json")
                       .read_text())
    lines = [
        "Files in this folder, copied from the npm registry by scripts/vendor_widgets_js.py",
        "",
        f"require.js    requirejs {requirejs['version']}, licence {requirejs['license']} "
        "(header of the file; https://github.com/requirejs/requirejs)",
        f"embed-amd.js  {HTML_MANAGER} {version}, licence BSD-3-Clause (Project Jupyter; "
        "text below); it bundles @jupyter-widgets/base, controls and output (BSD-3-Clause) "
        "and the third-party code whose notices follow the licence text",
        "widget-assets.js  this book's own (MIT, as the book): where embed-amd.js finds fonts",
        f"*.woff2 etc.  Font Awesome Free {fonts['version']} fonts, bundled by html-manager: "
        f"licence {fonts['license']} (https://fontawesome.com/license/free)",
        "",
        "=" * 78,
        "Jupyter widgets licence (BSD-3-Clause), as shipped with the Python ipywidgets:",
        "",
        ipywidgets_licence,
        "=" * 78,
        "Third-party notices of the html-manager bundle (its dist/embed.js.LICENSE.txt;",
        "embed-amd.js is built from the same sources):",
        "",
        notices,
    ]
    return "\n".join(lines) + "\n"


def _dist_licence(name):
    for f in importlib.metadata.files(name) or []:
        if Path(str(f)).name.startswith("LICENSE") and ".dist-info" in str(f):
            return Path(f.locate()).read_text()
    raise Drift(f"the Python package {name} ships no LICENSE file")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the versions")
    parser.add_argument("--lock", type=Path, default=LOCK, help="package-lock.json to check")
    parser.add_argument("--package", type=Path, default=PACKAGE, help="package.json to check")
    args = parser.parse_args(argv)
    try:
        if args.check:
            version = check_versions(args.lock, args.package)
            print(f"{HTML_MANAGER} {version} matches the Python ipywidgets")
        else:
            manifest = vendor()
            print(f"copied {len(manifest['files'])} files into {TARGET.relative_to(ROOT)}/ "
                  f"(html-manager {manifest['html-manager']}, "
                  f"requirejs {manifest['requirejs']})")
    except Drift as e:
        print(f"widget JavaScript out of step: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
