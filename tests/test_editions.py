"""scripts/editions.py: the student edition and the plain (Colab) edition, on small notebooks."""

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import editions  # noqa: E402


def md(text, **meta):
    return {"cell_type": "markdown", "metadata": meta, "source": text}


def code(text, tags=(), outputs=()):
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": text,
            "outputs": list(outputs), "execution_count": None}


EXERCISE = """## Exercises

::::{exercise} Momentum in code
:label: ex-5-1

Write `momentum_step`.

:::{hint}
:class: dropdown
Eq. (9).
:::
::::
"""
SOLUTION = """:::{solution} ex-5-1
:class: dropdown
The velocity first, then the weights: {eval}`steps`.
:::
"""
ANSWER = """def momentum_step(w, v, g, lr, momentum):
    ### BEGIN SOLUTION
    v = momentum * v + lr * g
    w = w - v
    ### END SOLUTION
    return w, v


check("5.1", momentum_step)"""


def chapter():
    return {"cells": [md("# Momentum"), code("x = 1"),
                      code("steps = book.shown(12)", ["remove-cell", "solution"]),
                      code("with book.checks():\n    assert x == 1", ["remove-cell", "book-check"]),
                      md(EXERCISE), code(ANSWER, ["exercise", "hide-input"]), md(SOLUTION),
                      md("Text after {eval}`x`.\n\n" + SOLUTION.replace("5-1", "5-2"))],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def texts(nb):
    return [editions.cell_text(c) for c in nb["cells"]]


def test_the_student_edition_has_no_solution_and_no_check():
    student = editions.student_notebook(chapter())
    joined = "\n".join(texts(student))
    assert "{solution}" not in joined and "The velocity first" not in joined
    assert "v = momentum * v" not in joined and "book.checks" not in joined
    assert "book.shown(12)" not in joined                      # a solution's number
    assert "Write `momentum_step`" in joined and ":::{hint}" in joined   # the task stays
    assert "Text after {eval}`x`." in joined                   # prose around a solution stays
    [cell] = [c for c in student["cells"] if "exercise" in c["metadata"].get("tags", [])]
    assert "hide-input" not in cell["metadata"]["tags"]        # the student's cell is open
    assert 'raise NotImplementedError("your code here")\n    return w, v' in \
        editions.cell_text(cell)
    compile(editions.cell_text(cell), "exercise", "exec")      # still valid Python


def test_the_student_edition_keeps_the_text_of_links_to_the_teachers_guide():
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": [
        "See the [Teacher's guide](../guide/teachers.ipynb) and [Run it](../guide/run.ipynb)."]}]}
    [text] = texts(editions.student_notebook(nb))
    assert text.strip() == "See the Teacher's guide and [Run it](../guide/run.ipynb)."


def test_the_student_stub_at_top_level_names_the_answer():
    stub = editions.stub_answers("### BEGIN SOLUTION\nanswer = 545_810\n### END SOLUTION\n"
                                 'check("2.2", answer)')
    assert stub == 'answer = ...  # your answer here\ncheck("2.2", answer)'


def test_an_unclosed_answer_is_an_error():
    with pytest.raises(ValueError, match="without ### END SOLUTION"):
        editions.stub_answers("    ### BEGIN SOLUTION\n    x = 1\n")


def plain(text, values=None, figures=None, titles=None):
    convert = editions.Plain(values or {}, {"kang2020": ("Kang", "2020"),
                                            "polyak1964": ("Polyak", "1964")},
                             figures or {}, titles or {}, "05")
    return convert.markdown(text)


def test_plain_writes_numbers_in_and_roles_as_text():
    text = ("{cite:t}`kang2020` shows {eval}`acc` after {ref}`eq. (9) <eq-9>` "
            "{cite:p}`kang2020,polyak1964`; see {numref}`fig-paper-5` and {ref}`sec-x`; "
            "{term}`모멘텀법`.")
    out = plain(text, {"acc": "0.9707"}, {"fig-paper-5": "Fig. 5.2"}, {"sec-x": "The set-up"})
    assert out == ("Kang (2020) shows 0.9707 after eq. (9) (Kang, 2020; Polyak, 1964); "
                   "see Fig. 5.2 and The set-up; 모멘텀법.")
    with pytest.raises(KeyError, match="no value for"):
        plain("{eval}`missing`")


def test_plain_turns_directives_into_commonmark():
    out = plain("(eq-9)=\n" + EXERCISE + "\n" + SOLUTION, {"steps": "12"})
    assert "(eq-9)=" not in out and "{" not in out.replace("{eval}", "")
    assert "**Exercise 5.1: Momentum in code**" in out
    assert "<details>\n<summary>Hint</summary>\n\nEq. (9).\n\n</details>" in out
    assert "<summary>Solution to Exercise 5.1</summary>" in out and "weights: 12." in out
    note = plain(":::{admonition} In this chapter\n:class: tip\n- one\n- two\n:::\n")
    assert note.startswith("> **In this chapter**\n>\n> - one\n> - two")


def test_plain_reads_the_glued_numbers_of_an_executed_notebook():
    record = {"output_type": "display_data", "metadata": {"scrapbook": {"name": "acc"}},
              "data": {"application/papermill.record/text/plain": "0.9707"}}
    executed = {"cells": [code("acc = book.shown(a, '.4f')", outputs=[record])]}
    assert editions.glued_values(executed) == {"acc": "0.9707"}
    nb = editions.plain_notebook({"cells": [md("acc {eval}`acc`"), code("a = 1")],
                                  "metadata": {}}, executed, {}, {}, {}, "08")
    assert texts(nb) == ["acc 0.9707", "a = 1"] and nb["cells"][1]["outputs"] == []


def test_plain_reads_the_glue_file_myst_nb_writes(tmp_path):
    glue_file = tmp_path / "08_experiment.glue.json"
    glue_file.write_text(json.dumps({"acc": {"output_type": "display_data", "metadata": {
        "scrapbook": {"name": "acc"}}, "data": {"text/plain": "0.9707"}}}), encoding="utf-8")
    executed = {"cells": [code("acc = book.shown(a, '.4f')")]}
    assert editions.glued_values(executed) == {}
    assert editions.glued_values(executed, glue_file) == {"acc": "0.9707"}
    nb = editions.plain_notebook({"cells": [md("acc {eval}`acc`")], "metadata": {}}, executed,
                                 {}, {}, {}, "08", glue_file)
    assert texts(nb) == ["acc 0.9707"]


def test_starting_points_move_the_answer_into_its_solution_once():
    nb = chapter()
    assert editions.starting_points(nb) == ["ex-5-1"]
    cell = next(c for c in nb["cells"] if "exercise" in c["metadata"].get("tags", []))
    answer = editions.cell_text(cell)
    assert "### BEGIN SOLUTION" not in answer and "v = momentum * v" not in answer
    assert 'raise NotImplementedError("your code here")' in answer
    assert answer.endswith('check("5.1", momentum_step)')          # the checker call stays
    solution = next(t for t in texts(nb) if t.startswith(":::{solution} ex-5-1"))
    assert solution.startswith(":::{solution} ex-5-1\n:class: dropdown\n```python\n"
                               "def momentum_step(w, v, g, lr, momentum):\n"
                               "    v = momentum * v + lr * g\n    w = w - v\n"
                               "    return w, v\n```\nThe velocity first")
    before = texts(nb)
    assert editions.starting_points(nb) == [] and texts(nb) == before   # nothing left to move


def test_starting_points_need_the_solution_block():
    nb = chapter()
    nb["cells"] = [c for c in nb["cells"] if ":::{solution} ex-5-1" not in editions.cell_text(c)]
    with pytest.raises(ValueError, match="no {solution} ex-5-1 block"):
        editions.starting_points(nb)



def test_plain_keeps_a_solution_only_in_its_details():
    def record(name, text):
        return {"output_type": "display_data", "metadata": {"scrapbook": {"name": name}},
                "data": {"application/papermill.record/text/plain": text}}

    source = chapter()
    editions.starting_points(source)
    executed = {"cells": [code("", outputs=[record("steps", "12"), record("x", "1")])]}
    nb = editions.plain_notebook(source, executed, {}, {}, {}, "05")
    assert "book.shown(12)" not in "\n".join(texts(nb))            # the solution's cell
    assert "book.checks" not in "\n".join(texts(nb))               # the build's check
    outside = re.sub(r"<details>.*?</details>", "", "\n".join(texts(nb)), flags=re.S)
    assert "v = momentum * v" in "\n".join(texts(nb)) and "v = momentum * v" not in outside
    assert "12" in "\n".join(texts(nb))                             # its number, written in
