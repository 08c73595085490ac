"""Screenshots of every page of the built book, to look at before a release.

    python scripts/screenshots.py [--html _build/html] [--out _build/screenshots]

For each page of the table of contents: the whole page at 1280 and at 390 px wide,
and at 1280 px in dark mode (PNG, cut into pieces of at most 4000 px height, so an
image viewer shows them).  Serves the book on 127.0.0.1 and drives Debian's chromium.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from support import CHROMIUM, CHROMIUM_ARGS, PAGES, PANEL_PAGES, StaticServer  # noqa: E402
from widget_pages import wait_for_panels  # noqa: E402

VIEWS = {"1280": (1280, "light"), "390": (390, "light"), "1280-dark": (1280, "dark")}
PIECE = 4000                                            # px of page height per image


def shoot(browser, url, doc, width, mode, out):
    from PIL import Image

    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(f"localStorage.setItem('mode', '{mode}')")
    page = context.new_page()
    page.goto(url + f"{doc}.html", wait_until="load")
    if PANEL_PAGES.get(doc):
        wait_for_panels(page, PANEL_PAGES[doc])
    page.evaluate("() => document.fonts.ready")
    whole = out.with_suffix(".full.png")
    page.screenshot(path=str(whole), full_page=True)
    context.close()
    image = Image.open(whole)
    pieces = []
    for i, top in enumerate(range(0, image.height, PIECE)):
        piece = out.with_name(f"{out.name}-{i + 1}.png")
        image.crop((0, top, image.width, min(top + PIECE, image.height))).save(piece)
        pieces.append(piece)
    whole.unlink()
    return pieces


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "screenshots")
    parser.add_argument("pages", nargs="*", help="pages of the table of contents (all)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with StaticServer(args.html) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for doc in args.pages or PAGES:
            for view, (width, mode) in VIEWS.items():
                name = args.out / f"{doc.replace('/', '_')}-{view}"
                pieces = shoot(browser, server.url, doc, width, mode, name)
                print(f"{doc} at {view}: {len(pieces)} image(s), {pieces[0].name} ...")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
