"""Citations and cross references written as Markdown links, read well everywhere.

jupyterlab-myst resolves no bibliography, no glossary of another file and no
label of another notebook: ``{cite:t}`kang2020``` shows a warning icon and the
key.  So the chapters write them as links whose text is what a reader should
see, and whose target opens the right file in JupyterLab::

    [Kang (2020)](references.md#kang2020)                              {cite:t}
    ([Polyak, 1964](references.md#polyak1964); [Qian, 1999](references.md#qian1999))
                                                                          {cite:p}
    [지수이동평균](references.md#glossary)                              {term}
    [eq. (5)](03_loss.ipynb#eq-5)                                         {ref}
    [Fig. 8.3](08_experiment.ipynb#fig-paper-7)                           {numref}
    [Momentum](05_momentum.ipynb)                                         {doc}

The book build (``_ext/book_links.py``) turns each back into the role on the
right before Sphinx parses the page, so the HTML is what the roles always made
("Kang (2020)" linked to the bibliography, "Fig. 8.3" numbered by Sphinx); the
plain edition (``scripts/editions.py``) keeps the link text.  A figure's link
text is its number as the HTML prints it, and a citation's is its authors and
year as ``bibliography()`` gives them: tests/test_book_links.py holds both to
that.  In the references page the list of references is written out for
JupyterLab (``reference_list``), between two marker lines that the build
replaces by the ``{bibliography}`` directive.
"""

import posixpath
import re
from pathlib import Path

REFERENCES_DOC = "chapters/references"   # the bibliography and the glossary
GLOSSARY_ANCHOR = "glossary"
# The reference list of the references page, written out between these lines.
LIST_START = "<!-- references: written out for JupyterLab; the HTML build shows {bibliography} -->"
LIST_END = "<!-- end of references -->"
BIBLIOGRAPHY = "```{bibliography}\n:all:\n```"

LINK = re.compile(r"\[(?P<text>[^\[\]]+)\]\((?P<target>[^()\s]+)\)")
_GROUP = re.compile(r"\((?P<links>\[[^\[\]]+\]\([^()\s]+\)(?:; \[[^\[\]]+\]\([^()\s]+\))*)\)")
KEY = re.compile(r"[a-z]+\d{4}[a-z]?")


def _resolve(docdir, path):
    """The document name (root-relative, no suffix) that ``path`` names from ``docdir``."""
    stem, _suffix = posixpath.splitext(posixpath.normpath(posixpath.join(docdir, path)))
    return stem


def _split(target):
    path, _, anchor = target.partition("#")
    return path, anchor


def _is_book_file(path):
    return path.endswith((".ipynb", ".md")) and "://" not in path and not path.startswith("/")


def _citation(docdir, text, target):
    """The key a link cites, or None if it is no citation link."""
    path, anchor = _split(target)
    if _is_book_file(path) and _resolve(docdir, path) == REFERENCES_DOC and KEY.fullmatch(anchor):
        return anchor
    return None


def to_roles(text, docdir, known_docs=None):
    """``text`` with every link of the book's kinds (module docstring) turned into its role.

    ``docdir`` is the folder of the page, relative to the book's root
    (``chapters``); ``known_docs`` (document names), when given, limits the
    conversion to links into the book and raises ValueError on a link to a
    notebook or page the book does not have.
    """
    def group(m):
        links = list(LINK.finditer(m.group("links")))
        keys = [_citation(docdir, link["text"], link["target"]) for link in links]
        if None in keys:
            return m.group(0)
        return "{cite:p}`" + ",".join(keys) + "`"

    def link(m):
        text, target = m["text"], m["target"]
        path, anchor = _split(target)
        if not _is_book_file(path):
            return m.group(0)
        doc = _resolve(docdir, path)
        if known_docs is not None and doc not in known_docs:
            raise ValueError(f"link {m.group(0)!r}: the book has no page {doc!r}; "
                             "link to a notebook or page listed in _toc.yml")
        if doc == REFERENCES_DOC and KEY.fullmatch(anchor):
            return "{cite:t}`" + anchor + "`"
        if doc == REFERENCES_DOC and anchor == GLOSSARY_ANCHOR:
            return "{term}`" + text + "`"
        if anchor.startswith("fig-"):
            return "{numref}`" + anchor + "`"
        if anchor:
            return "{ref}`" + text + " <" + anchor + ">`"
        return "{doc}`" + text + " </" + doc + ">`"

    text = _GROUP.sub(group, text)
    return LINK.sub(link, text)


def cited_keys(text, docdir):
    """``[(link text, key, kind)]`` for every citation link in ``text`` (kind "t" or "p")."""
    found = []
    for m in _GROUP.finditer(text):
        for link in LINK.finditer(m.group("links")):
            key = _citation(docdir, link["text"], link["target"])
            if key:
                found.append((link["text"], key, "p"))
    outside = _GROUP.sub("", text)
    for link in LINK.finditer(outside):
        key = _citation(docdir, link["text"], link["target"])
        if key:
            found.append((link["text"], key, "t"))
    return found


def citation_text(key, kind, bib):
    """What a citation of ``key`` reads: "Kang (2020)" (kind "t") or "Kang, 2020" ("p")."""
    if key not in bib:
        raise KeyError(f"no entry {key!r} in references.bib: add it, or fix the key")
    names, year = bib[key]
    return f"{names} ({year})" if kind == "t" else f"{names}, {year}"


def bibliography(path):
    """``key -> (authors as cited, year)`` from a BibTeX file, as the HTML cites them."""
    from pybtex.database import parse_file

    out = {}
    for key, entry in parse_file(str(path)).entries.items():
        people = [" ".join(p.last_names) for p in entry.persons.get("author", [])]
        people = [re.sub(r"[{}]", "", name) for name in people]
        names = (people[0] if len(people) == 1 else " and ".join(people) if len(people) == 2
                 else f"{people[0]} et al." if people else key)
        out[key] = (names, entry.fields.get("year", ""))
    return out


def reference_list(path):
    """The written-out reference list (Markdown), one entry per BibTeX entry, by author."""
    from pybtex.database import parse_file

    entries = parse_file(str(path)).entries
    lines = []
    for key, (names, year) in sorted(bibliography(path).items(),
                                     key=lambda kv: (kv[1][0].lower(), kv[1][1])):
        fields = entries[key].fields
        title = re.sub(r"[{}]", "", fields.get("title", ""))
        where = re.sub(r"[{}]", "", fields.get("journal") or fields.get("booktitle")
                       or fields.get("institution") or fields.get("publisher")
                       or fields.get("howpublished") or "")
        lines.append(f"- **{names} ({year})**. {title}."
                     + (f" *{where}*." if where else ""))
    return "\n".join(lines)


def with_bibliography(text):
    """The references page's text with its written list replaced by ``{bibliography}``."""
    start, end = text.find(LIST_START), text.find(LIST_END)
    if start < 0 or end < start:
        raise ValueError(f"{REFERENCES_DOC}.md: no written reference list between "
                         f"{LIST_START!r} and {LIST_END!r}")
    return text[:start] + BIBLIOGRAPHY + text[end + len(LIST_END):]


def written_list(text):
    """The reference list written in the references page (between the markers)."""
    start, end = text.find(LIST_START), text.find(LIST_END)
    if start < 0 or end < start:
        return None
    return text[start + len(LIST_START):end].strip()


def root_relative_dir(source, root):
    """``chapters`` for ``root/chapters/05_momentum.ipynb``."""
    return Path(source).resolve().parent.relative_to(Path(root).resolve()).as_posix()
