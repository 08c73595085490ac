"""Citations and references as links (gdlib.book_links): the forms, and the chapters' use.

JupyterLab shows a link's text; the HTML build turns the link into its role. So each
link's text must be what the role prints: a citation's authors and year as the
bibliography gives them, a figure's number as the built HTML numbers it.
"""

import json
import re

import pytest
from support import ROOT

from gdlib import book_links as bl

BIB = ROOT / "references.bib"
REFERENCES = ROOT / "chapters" / "references.md"
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "guide").glob("*.ipynb"))
DOCS = {"chapters/03_loss", "chapters/05_momentum", "chapters/references", "guide/run"}

CASES = [
    ("[Kang (2020)](references.md#kang2020)", "{cite:t}`kang2020`"),
    ("([Polyak, 1964](references.md#polyak1964); [Qian, 1999](references.md#qian1999))",
     "{cite:p}`polyak1964,qian1999`"),
    ("([Kang, 2020](../chapters/references.md#kang2020))", "{cite:p}`kang2020`"),
    ("[지수이동평균](references.md#glossary)", "{term}`지수이동평균`"),
    ("[eq. (5)](03_loss.ipynb#eq-5)", "{ref}`eq. (5) <eq-5>`"),
    ("[Fig. 5.1](05_momentum.ipynb#fig-mom-zigzag)", "{numref}`fig-mom-zigzag`"),
    ("[Momentum](05_momentum.ipynb)", "{doc}`Momentum </chapters/05_momentum>`"),
    ("[Run it yourself](../guide/run.ipynb)", "{doc}`Run it yourself </guide/run>`"),
    ("[Binder](https://mybinder.org) and ([not a citation](https://x.org))",
     "[Binder](https://mybinder.org) and ([not a citation](https://x.org))"),
]


@pytest.mark.parametrize("link, role", CASES)
def test_each_link_becomes_its_role(link, role):
    assert bl.to_roles(f"see {link}.", "chapters", DOCS) == f"see {role}."


def test_a_link_to_a_page_the_book_lacks_is_an_error():
    with pytest.raises(ValueError, match="no page 'chapters/10_nowhere'"):
        bl.to_roles("[Ten](10_nowhere.ipynb)", "chapters", DOCS)


def markdown_cells():
    for path in NOTEBOOKS:
        for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "markdown":
                yield f"{path.parent.name}/{path.name} cell {i}", path.parent.name, \
                    "".join(cell["source"])
    yield "chapters/references.md", "chapters", REFERENCES.read_text(encoding="utf-8")


def test_no_role_that_jupyterlab_cannot_resolve():
    """Citations, terms, pages and figures go through links: JupyterLab shows their keys."""
    found = [(where, m.group(0)) for where, _, text in markdown_cells()
             for m in re.finditer(r"\{(cite(:\w+)?|term|doc|numref)\}`[^`]*`", text)]
    assert not found, f"write these as links (gdlib.book_links): {found[:10]}"


def test_refs_point_into_their_own_notebook():
    """A {ref} to another notebook's label shows as a warning in JupyterLab: use a link."""
    labels = {}
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for m in re.finditer(r"^\(([\w-]+)\)=|:label:\s*([\w-]+)", "".join(cell["source"]),
                                 re.M):
                labels[m.group(1) or m.group(2)] = path.name
    wrong = []
    for where, _, text in markdown_cells():
        for m in re.finditer(r"\{ref\}`(?:[^`<]*<)?([\w-]+)>?`", text):
            home = labels.get(m.group(1))
            if home is not None and home not in where:
                wrong.append((where, m.group(0), home))
    assert not wrong, f"{{ref}} to another notebook: link to it instead: {wrong}"


def test_citation_texts_are_the_bibliographys():
    bib = bl.bibliography(BIB)
    wrong = [(where, text, bl.citation_text(key, kind, bib))
             for where, docdir, source in markdown_cells()
             for text, key, kind in bl.cited_keys(source, docdir)
             if text != bl.citation_text(key, kind, bib)]
    assert not wrong, f"citation links whose text is not what the HTML prints: {wrong}"
    assert sum(len(bl.cited_keys(s, d)) for _, d, s in markdown_cells()) > 40


def test_glossary_links_name_glossary_entries():
    text = REFERENCES.read_text(encoding="utf-8")
    entries = set()
    for block in re.findall(r"```\{glossary\}\n(.*?)```", text, re.S):
        entries.update(line.strip() for line in block.split("\n")
                       if line.strip() and not line.startswith(" "))
    linked = [(where, m["text"]) for where, _, source in markdown_cells()
              for m in bl.LINK.finditer(source) if m["target"].endswith("#glossary")]
    assert len(linked) > 30
    unknown = [item for item in linked if item[1] not in entries]
    assert not unknown, f"glossary links to no entry of {REFERENCES.name}: {unknown}"


def test_the_written_reference_list_is_the_bibliography():
    written = bl.written_list(REFERENCES.read_text(encoding="utf-8"))
    assert written == bl.reference_list(BIB), (
        f"the reference list of {REFERENCES.name} differs from references.bib: rewrite it "
        "between its marker lines with gdlib.book_links.reference_list('references.bib')")
    html = bl.with_bibliography(REFERENCES.read_text(encoding="utf-8"))
    assert bl.BIBLIOGRAPHY in html and "**Kang (2020)**" not in html


@pytest.mark.book
def test_figure_links_show_the_htmls_numbers():
    import importlib.util

    from support import book_html
    spec = importlib.util.spec_from_file_location("editions", ROOT / "scripts" / "editions.py")
    editions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(editions)
    numbers = editions.figure_numbers(book_html())
    wrong = [(where, m["text"], numbers.get(m["target"].partition("#")[2]))
             for where, _, source in markdown_cells() for m in bl.LINK.finditer(source)
             if m["target"].partition("#")[2].startswith("fig-")
             and m["text"] != numbers.get(m["target"].partition("#")[2])]
    assert not wrong, f"figure links whose text is not the HTML's number: {wrong}"
