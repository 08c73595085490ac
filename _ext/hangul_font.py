"""A font for the book's Korean terms, shipped with the HTML and cut to the glyphs it uses.

The chapters quote the paper's Korean terms (경사하강법, ...).  A reader's
machine without a CJK font would draw them as empty boxes, and the book may
load nothing from outside itself, so the build takes NanumGothic from
Debian's ``fonts-nanum`` package (or the TrueType/OpenType file named by
``GDLIB_HANGUL_FONT``), keeps only the Hangul characters that the book's
sources contain, with their initial consonants for the index (fontTools'
subsetter), and writes it as ``_static/fonts/book-hangul.woff`` with a ``@font-face`` whose
``unicode-range`` limits it to Hangul: it draws every Korean character and
nothing else, so Latin text keeps the theme's fonts.
"""

import os
import re
import unicodedata
from pathlib import Path

from sphinx.errors import ExtensionError

FAMILY = "Book Hangul"
DEBIAN_FONT = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
UNICODE_RANGE = "U+1100-11FF, U+3130-318F, U+AC00-D7A3"
CSS = f"""/* Written by _ext/hangul_font.py: the Korean glyphs the book uses. */
@font-face {{
  font-family: "{FAMILY}";
  src: url("book-hangul.woff") format("woff");
  unicode-range: {UNICODE_RANGE};
  font-display: swap;
}}
:root {{
  --pst-font-family-base: "{FAMILY}", var(--pst-font-family-base-system);
  --pst-font-family-heading: "{FAMILY}", var(--pst-font-family-base-system);
}}
"""


def source_font():
    path = Path(os.environ.get("GDLIB_HANGUL_FONT", DEBIAN_FONT))
    if not path.is_file():
        raise ExtensionError(
            f"no font with Hangul at {path}: install Debian's fonts-nanum "
            "(apt-get install fonts-nanum) or set GDLIB_HANGUL_FONT to a .ttf/.otf with Hangul")
    return path


def characters(srcdir):
    """Every Hangul character in the book's sources (chapters, pages, glossary)."""
    found = set()
    for path in Path(srcdir).rglob("*"):
        if path.suffix in (".md", ".ipynb") and "_build" not in path.parts and \
                ".venv" not in path.parts and path.is_file():
            found.update(HANGUL.findall(path.read_text(encoding="utf-8")))
    # the general index heads each group by the syllable's initial consonant as a
    # conjoining jamo (U+1100...: 경 is filed under U+1100), which the font must draw too
    found.update(unicodedata.normalize("NFD", c)[0] for c in list(found))
    return "".join(sorted(found))


def write_font(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import logging

    from fontTools import subset

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)   # "TSI0 NOT subset" notes
    text = characters(app.srcdir)
    out = Path(app.outdir) / "_static" / "fonts"
    out.mkdir(parents=True, exist_ok=True)
    options = subset.Options()
    options.flavor = "woff"                 # zlib-compressed: needs no extra package
    options.layout_features = ["*"]
    font = subset.load_font(str(source_font()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    subset.save_font(font, str(out / "book-hangul.woff"), options)
    (out / "book-hangul.css").write_text(CSS, encoding="utf-8")


def check_font(app):
    source_font()                          # fail early, before executing any notebook


def setup(app):
    app.add_css_file("fonts/book-hangul.css")
    app.connect("builder-inited", check_font)
    app.connect("build-finished", write_font)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
