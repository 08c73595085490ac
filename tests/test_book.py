"""gdlib.book: numbers shown in the prose, and checks that guard the build only."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from gdlib import book


@pytest.mark.parametrize("value, fmt, text", [
    (np.float32(0.97071234), ".4f", "0.9707"),
    (60000, ",d", "60,000"),
    (np.int64(5), "", "5"),
    (0.1234, ".1%", "12.3%"),
    ("diverged at 31,848", "", "diverged at 31,848"),
])
def test_shown_prints_its_format_and_computes_as_the_number(value, fmt, text):
    v = book.shown(value, fmt)
    assert repr(v) == text and str(v) == text and f"{v}" == text
    if not isinstance(value, str):
        assert v == pytest.approx(float(value)) and v * 2 == pytest.approx(2 * float(value))
        assert f"{v:.2f}" == f"{float(value):.2f}"          # an explicit format still works


def test_shown_refuses_what_it_cannot_print():
    with pytest.raises(TypeError, match="number or a str"):
        book.shown([1, 2])
    with pytest.raises(ValueError):
        book.shown(1.5, ",d")                               # a float has no d format


def test_checks_raise_in_a_build(monkeypatch):
    monkeypatch.setenv(book.STRICT_ENV, "1")
    with pytest.raises(AssertionError), book.checks("the test"):
        assert 1 == 2


def test_checks_print_one_line_for_a_reader(monkeypatch, capsys):
    monkeypatch.delenv(book.STRICT_ENV, raising=False)
    with book.checks("Fig. 4"):
        assert 0.5 > 0.9, "accuracy 0.5"
        raise RuntimeError("never reached: the block stops at the first failed check")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "about Fig. 4" in out and "assert 0.5 > 0.9" in out and "accuracy 0.5" in out
    assert "changed a setting" in out


def test_checks_let_other_errors_through(monkeypatch):
    monkeypatch.delenv(book.STRICT_ENV, raising=False)
    with pytest.raises(ZeroDivisionError), book.checks():
        _ = 1 / 0


def notebook(tmp_path, cells):
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps({"cells": [
        {"cell_type": kind, "source": source, "metadata": {}} for kind, source in cells]}))
    return path


class FakeShell:
    def __init__(self):
        self.user_ns = {}


def run_cell(gluer, shell, source, **names):
    shell.user_ns.update(names)
    gluer(SimpleNamespace(info=SimpleNamespace(raw_cell=source)))


def test_the_build_glues_each_name_after_the_cell_before_it(tmp_path, monkeypatch):
    glued = []
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display: glued.append(
        (name, repr(value), display)))
    path = notebook(tmp_path, [
        ("markdown", "# title"),
        ("code", "a = 1"),
        ("markdown", "a is {eval}`a` and {eval}`b`"),
        ("code", "c = 3"),
        ("code", "d = 4"),
        ("markdown", ["then {eval}`d`, and a is still ", "{eval}`a`"]),
    ])
    shell = FakeShell()
    gluer = book._Gluer(shell, path)
    run_cell(gluer, shell, "a = 1", a=book.shown(1.0, ".2f"), b=book.shown(2))
    assert glued == [("a", "1.00", False), ("b", "2", False)]
    run_cell(gluer, shell, "c = 3", c=3)              # no text follows it
    run_cell(gluer, shell, "print('a cell typed by a reader')")
    run_cell(gluer, shell, "d = 4", d=book.shown(4))
    assert glued[2:] == [("d", "4", False)]           # a again, unchanged: glued once


def test_a_name_quoted_twice_with_two_values_fails_the_build(tmp_path, monkeypatch):
    glued = []
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display: glued.append((name, value)))
    path = notebook(tmp_path, [("code", "x = 1"), ("markdown", "{eval}`x`"),
                               ("code", "x = 2"), ("markdown", "{eval}`x`")])
    shell = FakeShell()
    gluer = book._Gluer(shell, path)
    run_cell(gluer, shell, "x = 1", x=1)
    run_cell(gluer, shell, "x = 2", x=2)
    # the build's {eval} role fails the page on this marker (a hook cannot raise)
    assert glued[-1][0] == "x::changed" and "give the later number its own name" in glued[-1][1]


def test_a_name_changed_after_its_quote_fails_the_build(tmp_path, monkeypatch):
    """JupyterLab shows a quoted name's value once all cells ran: it must not change."""
    glued = []
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display: glued.append((name, value)))
    path = notebook(tmp_path, [("code", "x = 1"), ("markdown", "{eval}`x`"), ("code", "x = 2")])
    shell = FakeShell()
    gluer = book._Gluer(shell, path)
    run_cell(gluer, shell, "x = 1", x=1)
    run_cell(gluer, shell, "x = 2", x=2)
    assert glued[-1][0] == "x::changed" and "a later cell changes it to 2" in glued[-1][1]


def test_start_does_nothing_outside_a_build(monkeypatch):
    monkeypatch.delenv(book.NOTEBOOK_ENV, raising=False)
    assert book.start() is None


def test_a_chapter_figure_is_shown_at_its_width_and_says_its_smallest_text():
    import base64
    import io

    from matplotlib.figure import Figure
    from PIL import Image

    from gdlib.plots import TEXT_KEY, smallest_text

    fig = Figure(figsize=(4, 2))
    ax = fig.subplots()
    ax.plot([0, 1])
    ax.set_title("small", fontsize=7)
    png, shown = book._retina_png(fig)
    image = Image.open(io.BytesIO(base64.b64decode(png)))
    assert shown == {"width": image.width // 2}        # no height: it scales with the width
    assert float(image.text[TEXT_KEY]) == round(smallest_text(fig, 2 * fig.dpi), 2)
    assert book._retina_png(Figure()) is None           # an empty figure shows nothing
