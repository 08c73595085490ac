"""What a chapter page needs beyond the maths: numbers in its prose, and its checks.

**Numbers in the prose.**  A code cell names a number with the format the text
shows it in, and the markdown below quotes the name with MyST's ``{eval}`` role::

    final_acc = book.shown(history.test_acc[-1], ".4f")      # code cell
    ... ends at {eval}`final_acc` test accuracy ...           # markdown cell

``shown`` returns the number itself (it computes like a float, int or str)
whose printed form is the formatted text, ``0.9707``.  In JupyterLab,
jupyterlab-myst asks the kernel for ``final_acc`` when the markdown cell runs
and shows that text once the notebook has run.  When the book is built,
``start()`` (every chapter calls it in its first code cell) hands the same
values to the HTML: after each code cell it evaluates the names that the
markdown cells up to the next code cell quote, and glues them for MyST-NB.
Since JupyterLab shows a name's value at the end of the notebook and the
build its value where the text stands, a quoted name must keep its value
(the build fails otherwise): give each number its own name.

This module owns the protocol: the role's pattern (``EVAL``) and its parser
(``eval_names``), the environment variable that names the notebook being
built (``NOTEBOOK_ENV``) and the suffix of a changed name (``CHANGED``).  The
build's extension (``_ext/prose_numbers.py``), the student and plain editions
(``scripts/editions.py``) and the chapter tests import them from here.

**Checks that guard the build.**  A hidden cell asserts that the chapter's
numbers lie where the text says they do::

    with book.checks("Fig. 4: both learning rates converge"):
        assert fig4_acc > 0.95

When the book is built or tested (``GDLIB_BOOK_STRICT=1``, set by ``make``)
a failed assertion fails the build.  In a reader's session, who may have
changed a learning rate, it prints one line instead and the notebook runs on.
"""

import contextlib
import json
import os
import re
import sys
import traceback

__all__ = ["shown", "Shown", "start", "show_code", "show_markdown", "checks", "strict",
           "solve", "solving", "unsolved", "STRICT_ENV", "NOTEBOOK_ENV", "SOLVE_ENV",
           "CHANGED", "EVAL", "eval_names"]

STRICT_ENV = "GDLIB_BOOK_STRICT"       # "1": failed checks raise (book build, nbval)
NOTEBOOK_ENV = "GDLIB_BOOK_NOTEBOOK"   # path of the notebook being built (set by _ext)
SOLVE_ENV = "GDLIB_BOOK_SOLVE"         # "all" or "8.2,8.4": solutions a reader's kernel runs
CHANGED = "::changed"                  # glued beside a name whose value moved (see _Gluer)
EVAL = re.compile(r"\{eval\}`([^`]+)`")  # MyST's inline role; group 1: what it quotes


# -- numbers in the prose -----------------------------------------------------

class Shown:
    """Mixin: a number or text whose printed form is fixed when it is made (``shown``)."""

    text = ""

    def __repr__(self):
        return self.text

    __str__ = __repr__


class ShownFloat(Shown, float):
    pass


class ShownInt(Shown, int):
    pass


class ShownText(Shown, str):
    pass


def shown(value, fmt=""):
    """``value`` (a number or text) that prints as ``format(value, fmt)``.

    NumPy scalars become plain Python numbers.  ``fmt`` is a format spec:
    ``".4f"``, ``",d"``, ``".1%"``, ``".3g"``.
    """
    if hasattr(value, "item") and callable(value.item):      # NumPy scalar or 0-d array
        value = value.item()
    if isinstance(value, str):
        cls = ShownText
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"shown() takes a number or a str, got {type(value).__name__}")
    else:
        cls = ShownInt if isinstance(value, int) else ShownFloat
    out = cls(value)
    out.text = format(value, fmt)
    return out


def eval_names(text):
    """The names that ``text`` (a markdown cell) quotes with ``{eval}``, in order."""
    return [name.strip() for name in EVAL.findall(text)]


def _quoted_after_each_code_cell(cells):
    """For every code cell's source: the ``{eval}`` names that the markdown after it quotes."""
    plan, current = [], None
    for cell in cells:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code":
            current = (source, [])
            plan.append(current)
        elif cell["cell_type"] == "markdown" and current is not None:
            current[1].extend(eval_names(source))
    return plan


class _Gluer:
    """The build's half of ``{eval}``: glue each quoted name after the cell before it."""

    def __init__(self, shell, path):
        with open(path, encoding="utf-8") as f:
            self.plan = _quoted_after_each_code_cell(json.load(f)["cells"])
        self.shell, self.next, self.glued, self.flagged = shell, 0, {}, set()

    def __call__(self, result):
        source = result.info.raw_cell if result.info is not None else None
        for k in range(self.next, len(self.plan)):
            if self.plan[k][0] == source:
                self.next = k + 1
                for name in self.plan[k][1]:
                    self._glue(name)
                if self.next == len(self.plan):
                    self._check_unchanged()
                return

    def _check_unchanged(self):
        """After the last cell: every quoted name still has the value the text showed.

        jupyterlab-myst evaluates a markdown cell's names when the whole notebook
        has run, so a name changed further down would read differently there.
        """
        for name, text in self.glued.items():
            now = repr(eval(name, self.shell.user_ns))
            if now != text:
                self._changed(name, f"is quoted where it is {text}, but a later cell changes "
                                    f"it to {now}, which JupyterLab would show: give one of "
                                    "the two values another name")

    def _changed(self, name, problem):
        """Tell the build: an exception here would only be printed (IPython runs hooks
        in a try), so the build's ``{eval}`` role finds this and fails the page."""
        from myst_nb import glue

        if name not in self.flagged:
            self.flagged.add(name)
            glue(name + CHANGED, f"{{eval}}`{name}` {problem}", display=False)

    def _glue(self, name):
        from myst_nb import glue

        value = eval(name, self.shell.user_ns)    # a name the chapter's own code defined
        text = repr(value)
        if name not in self.glued:
            self.glued[name] = text
            glue(name, value, display=False)
        elif self.glued[name] != text:
            self._changed(name, f"is quoted where it is {self.glued[name]} and again where "
                                f"it is {text}: give the later number its own name")


def start():
    """A chapter's first code cell calls this: the book's figure style, and in a build, glue.

    Figures are drawn at twice the pixels they are shown at (sharp on
    high-density screens) with the book's font sizes (``plots.BOOK_STYLE``); each
    PNG says the size of its smallest text (``plots.TEXT_KEY``).
    In a book build it also glues the names that the prose quotes (see above).
    """
    from IPython import get_ipython

    from .plots import use_book_style

    use_book_style()
    shell = get_ipython()
    if shell is None:
        return
    shell.run_line_magic("config", "InlineBackend.figure_formats = ['retina']")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    plt.close(plt.figure())     # the inline backend loads now, choosing its formats first
    shell.display_formatter.formatters["image/png"].for_type(Figure, _retina_png)
    path = os.environ.get(NOTEBOOK_ENV)
    for hook in list(shell.events.callbacks["post_run_cell"]):
        if isinstance(hook, _Gluer):
            shell.events.unregister("post_run_cell", hook)
    if path:
        shell.events.register("post_run_cell", _Gluer(shell, path))


def _retina_png(fig):
    """IPython's retina PNG of ``fig`` (twice the pixels it is shown at), which also says
    the size of its smallest text (``plots.TEXT_KEY``, in the PNG's pixels) for the
    book's look tests, and is shown at its width only (it keeps its proportions)."""
    from IPython.core.pylabtools import retina_figure

    from .plots import TEXT_KEY, smallest_text

    text = smallest_text(fig, 2 * fig.dpi)
    metadata = {TEXT_KEY: f"{text:.2f}"} if text is not None else None
    shown = retina_figure(fig, base64=True, bbox_inches="tight", metadata=metadata)
    if shown is None:                                  # an empty figure shows nothing
        return None
    png, size = shown
    # the width alone: a narrower column (the HTML's, JupyterLab's, Colab's) then scales
    # the height with it, where a fixed height would squash the figure
    return png, {"width": size["width"]}


def show_markdown(text):
    """Show ``text`` (a Markdown table, say) as formatted text, in the HTML and in Jupyter."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def show_code(obj):
    """Show the source code of ``obj`` (a gdlib class or function): the code being taught.

    The code is read from gdlib itself when the cell runs, so what the page
    shows is what trains the network.
    """
    import inspect

    from IPython.display import Markdown, display

    display(Markdown(f"```python\n{inspect.getsource(obj).rstrip()}\n```"))


# -- solutions that train ------------------------------------------------------

_SOLVED = set()        # exercise labels whose solution cells this kernel runs (``solve``)


def solve(*labels):
    """Let the hidden cells of these exercises' solutions compute (all of them, given none).

    A solution that trains the network does not run in a reader's *Run All*: the
    kernel stays free for the sliders, and the student has not read the solution yet.
    After ``book.solve("8.2")``, run that solution's hidden cells (or *Run All*).
    """
    _SOLVED.update(str(label) for label in labels or ["all"])


def solving(label):
    """True where exercise ``label``'s solution cells compute: the book build and the
    notebook tests (``GDLIB_BOOK_STRICT=1``), a kernel started with ``GDLIB_BOOK_SOLVE``
    (``"all"`` or labels, ``"8.2,8.4"``), or after ``solve(label)``."""
    wanted = _SOLVED | {w.strip() for w in os.environ.get(SOLVE_ENV, "").split(",")}
    return strict() or str(label) in wanted or "all" in wanted


def unsolved(label):
    """What a solution's number shows (``{eval}``) before its cell has computed it."""
    return shown(f"[not computed: run book.solve(\"{label}\") and this cell]")


# -- checks -------------------------------------------------------------------

def strict():
    """True when failed checks must raise: the book build and the notebook tests."""
    return os.environ.get(STRICT_ENV, "") == "1"


@contextlib.contextmanager
def checks(what=""):
    """Run the asserts of a hidden check cell: fatal in a build, one line for a reader."""
    try:
        yield
    except AssertionError as e:
        if strict():
            raise
        where = traceback.extract_tb(e.__traceback__)[-1].line or ""
        message = str(e).split("\n", 1)[0]
        detail = f" ({message})" if message else ""
        about = f" about {what}" if what else ""
        print(f"Note: your run differs from the book's{about}: `{where}` no longer holds"
              f"{detail}. That is expected if you changed a setting.", file=sys.stdout)
