"""The book's repository URL and branch: one setting, written where it is used.

    python scripts/set_repository.py                      # rewrite every use from _config.yml
    python scripts/set_repository.py URL [BRANCH]         # change the setting, then rewrite
    python scripts/set_repository.py --check              # exit 1 if a use disagrees

The setting is ``repository.url`` and ``repository.branch`` in ``_config.yml``;
the page header's repository link and Binder/Colab launch buttons read it
there.  Two places cannot read it at run time and get a copy written here:
the Colab setup cell at the top of every chapter (``pip install`` from the
repository), the ``git clone`` line of the page "Run it yourself" (a code block,
where no role can write it) and the README's launch links.  Until the book is published the
URL is the placeholder ``PLACEHOLDER_URL``.
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "_config.yml"
README = ROOT / "README.md"
CHAPTERS = ROOT / "chapters"
PLACEHOLDER_URL = "https://github.com/gdlib-book/gradient-descent-book"
COLAB_CELL_ID = "colab-setup"
RUN_PAGE = ROOT / "guide" / "run.ipynb"
CLONE = re.compile(r"^git clone \S+ gradient-descent-book$", re.M)

COLAB_CELL = '''\
# Colab only: install this book's gdlib from its repository (anywhere else it is installed),
# and let Colab show ipywidgets 8 sliders.
import sys

if "google.colab" in sys.modules:
    from google.colab import output

    output.enable_custom_widget_manager()
    try:
        import gdlib  # noqa: F401
    except ImportError:
        %pip install --quiet "gdlib @ git+{url}@{branch}"'''

README_LINKS = '''\
<!-- launch links: written by scripts/set_repository.py from _config.yml -->
[Binder]({binder}) · [Colab]({colab}) · [repository]({url})
<!-- end of launch links -->'''
README_BLOCK = re.compile(r"<!-- launch links:.*?<!-- end of launch links -->", re.S)


def read_setting():
    """``(url, branch)`` from the ``repository:`` block of _config.yml."""
    text = CONFIG.read_text(encoding="utf-8")
    block = re.search(r"^repository:\n((?:[ \t]+.*\n|\n)+)", text, re.M)
    if not block:
        raise SystemExit(f"{CONFIG}: no repository: block")
    values = dict(re.findall(r"^\s+(url|branch):\s*(\S+)", block.group(1), re.M))
    if set(values) != {"url", "branch"}:
        raise SystemExit(f"{CONFIG}: repository: needs url: and branch:")
    return values["url"], values["branch"]


def write_setting(url, branch):
    text = CONFIG.read_text(encoding="utf-8")
    text = re.sub(r"(^repository:\n(?:[ \t]+.*\n|\n)*?\s+url:\s*)\S+", rf"\g<1>{url}", text,
                  count=1, flags=re.M)
    text = re.sub(r"(^repository:\n(?:[ \t]+.*\n|\n)*?\s+branch:\s*)\S+", rf"\g<1>{branch}",
                  text, count=1, flags=re.M)
    CONFIG.write_text(text, encoding="utf-8")


def links(url, branch):
    """The Binder and Colab URLs of the book's first chapter."""
    slug = url.removeprefix("https://github.com/")
    return {"url": url,
            "binder": f"https://mybinder.org/v2/gh/{slug}/{branch}?urlpath=lab/tree/chapters",
            "colab": f"https://colab.research.google.com/github/{slug}/blob/gh-pages/"
                     "plain/chapters/01_introduction.ipynb"}


def expected_uses(url, branch):
    """``{path: text}`` of every file whose copy of the setting is out of date."""
    out = {}
    cell = COLAB_CELL.format(url=url, branch=branch)
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        if not code or code[0].get("id") != COLAB_CELL_ID:
            raise SystemExit(f"{path}: its first code cell must be the Colab setup cell "
                             f"(id {COLAB_CELL_ID!r}); see CONTRIBUTING.md")
        if "".join(code[0]["source"]) != cell:
            lines = cell.split("\n")
            code[0]["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
            out[path] = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    run_page = RUN_PAGE.read_text(encoding="utf-8")
    nb = json.loads(run_page)
    clones = [c for c in nb["cells"] if CLONE.search("".join(c["source"]))]
    if len(clones) != 1:
        raise SystemExit(f"{RUN_PAGE}: needs one `git clone URL gradient-descent-book` line")
    text = CLONE.sub(f"git clone {url} gradient-descent-book", "".join(clones[0]["source"]))
    lines = text.split("\n")
    clones[0]["source"] = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    new_page = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if new_page != run_page:
        out[RUN_PAGE] = new_page
    readme = README.read_text(encoding="utf-8")
    block = README_LINKS.format(**links(url, branch))
    if not README_BLOCK.search(readme):
        raise SystemExit(f"{README}: no launch-links block to write")
    new = README_BLOCK.sub(lambda m: block, readme)
    if new != readme:
        out[README] = new
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="e.g. https://github.com/owner/repo")
    parser.add_argument("branch", nargs="?", default=None)
    parser.add_argument("--check", action="store_true", help="only report disagreements")
    args = parser.parse_args(argv)
    if args.url:
        if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", args.url):
            parser.error(f"URL must look like https://github.com/owner/repo, got {args.url}")
        write_setting(args.url, args.branch or read_setting()[1])
    url, branch = read_setting()
    stale = expected_uses(url, branch)
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} disagrees with _config.yml's repository "
                  f"({url} @ {branch}); run python scripts/set_repository.py")
        return 1 if stale else 0
    for path, text in stale.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
