"""Citation and cross-reference links of the sources, turned into their roles for the HTML.

The chapters write citations, glossary terms and references to other pages as
Markdown links that read well in JupyterLab (``gdlib.book_links`` holds the
forms).  Before Sphinx parses a page (``source-read``: a notebook's JSON, a
Markdown page's text), each such link becomes the role it stands for, so the
HTML is the one the roles made: "Kang (2020)" linked to the bibliography,
figures numbered by Sphinx.  The references page's written-out list becomes the
``{bibliography}`` directive.  A link to a page the book does not have fails the
build with its name.
"""

import posixpath
from dataclasses import dataclass, field

from sphinx.errors import ExtensionError
from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

from gdlib import book_links


def _links_to_roles(app, docname, source):
    text = source[0]
    try:
        if docname == book_links.REFERENCES_DOC:
            text = book_links.with_bibliography(text)
        source[0] = book_links.to_roles(text, posixpath.dirname(docname),
                                        known_docs=app.env.found_docs)
    except ValueError as exc:
        raise ExtensionError(f"{docname}: {exc}") from exc


def _round():
    return BracketStyle(left="(", right=")")


@dataclass
class RoundAuthorYear(AuthorYearReferenceStyle):
    """sphinxcontrib-bibtex's author-year citations in round brackets: "Kang (2020)",
    "(Polyak, 1964; Qian, 1999)", as the chapters' citation links read in JupyterLab."""

    bracket_textual: BracketStyle = field(default_factory=_round)
    bracket_parenthetical: BracketStyle = field(default_factory=_round)
    bracket_author: BracketStyle = field(default_factory=_round)
    bracket_label: BracketStyle = field(default_factory=_round)
    bracket_year: BracketStyle = field(default_factory=_round)


def setup(app):
    register_plugin("sphinxcontrib.bibtex.style.referencing",
                                  "author_year_round", RoundAuthorYear)
    app.connect("source-read", _links_to_roles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
