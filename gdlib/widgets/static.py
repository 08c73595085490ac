"""The precomputed form of a panel, for the HTML book: widgets that move without a kernel.

A built page has no kernel, so no Python callback ever runs there.  Instead
every position of the panel's slider(s) is computed when the book is built,
by the same gdlib code the live panel calls, and embedded as ipywidgets
whose links run in the browser: a ``SelectionSlider`` (or a ``Dropdown``) is
``jslink``-ed by its ``index`` to the ``selected_index`` of a ``Stack`` of
images; with two sliders the first selects one of several Stacks and the
second is linked to each of them (nested Stacks).  ``index`` is linked, not
``value``: a Stack counts its children, and an index stays an int whatever
the option labels say.

Images get a palette (``render.to_png(colors=..., best=True)``) because a page carries
all of them in its widget state, base64-encoded; ``payload_bytes`` says how much.
"""

import base64
import re

import ipywidgets as w

from .explorer import FIGSIZE as EXPLORER_FIGSIZE
from .explorer import PathFigure
from .figure import FIGSIZE as PANEL_FIGSIZE
from .figure import grid_limits, render_training
from .labels import describe_training, run_label
from .render import COLORS, static_image, to_png

__all__ = ["precomputed", "static_training_panel", "static_explorer", "payload_bytes",
           "static_note"]


def static_note(n_runs, descriptions):
    """The line under a precomputed panel: what moves, and where it retrains live."""
    if len(descriptions) == 1:
        each = f"one for each {descriptions[0]} offered above"
    else:
        each = f"one for each combination of {descriptions[0]} and {descriptions[1]}"
    return (f"These curves were precomputed when the book was built: {n_runs} runs of gdlib, "
            f"{each}. Open this page on Binder or run it in your own Jupyter to retrain "
            f"live with any value.")


def _selector(description, labels, dropdown, start):
    options = [(label, i) for i, label in enumerate(labels)]
    common = {"description": description, "style": {"description_width": "9em"},
              "layout": w.Layout(width="460px")}
    if dropdown:
        return w.Dropdown(options=options, value=start, **common)
    return w.SelectionSlider(options=options, value=start, continuous_update=True, **common)


def precomputed(axes, children, *, start=None, header=(), note="", css_class=None):
    """Selectors over precomputed widgets, linked in the browser.

    ``axes``      one or two ``(description, labels, dropdown)``
    ``children``  one widget per position: a list for one axis, a list of lists
                  (first axis outer) for two
    ``start``     the position shown first, one index per axis (default: all 0)
    ``header``    widgets shown above the selectors
    ``note``      HTML shown under the selectors
    Returns a ``VBox``; ``css_class`` names it in the page (for tests and styles).
    """
    if len(axes) not in (1, 2):
        raise ValueError(f"a precomputed panel has one or two axes, got {len(axes)}")
    start = tuple(start or (0,) * len(axes))
    selectors = [_selector(*axis, i) for axis, i in zip(axes, start, strict=True)]
    _check_count(children, len(axes[0][1]), axes[0][0])
    if len(axes) == 1:
        stack = w.Stack(children=list(children), selected_index=start[0])
        w.jslink((selectors[0], "index"), (stack, "selected_index"))
    else:
        inner = []
        for row in children:
            _check_count(row, len(axes[1][1]), axes[1][0])
            inner.append(w.Stack(children=list(row), selected_index=start[1]))
            w.jslink((selectors[1], "index"), (inner[-1], "selected_index"))
        stack = w.Stack(children=inner, selected_index=start[0])
        w.jslink((selectors[0], "index"), (stack, "selected_index"))
    box = w.VBox([*header, *selectors, w.HTML(f"<small>{note}</small>"), stack])
    if css_class:
        box.add_class("gdlib-panel")
        box.add_class(css_class)
    return box


def _check_count(items, n, description):
    if len(items) != n:
        raise ValueError(f"{description!r} has {n} positions but {len(items)} precomputed "
                         "entries were given")


def _grid_children(spec, make):
    """``make(index)`` for every grid position of ``spec``, nested as ``precomputed`` wants."""
    if len(spec.grid) == 1:
        return [make((i,)) for i in range(len(spec.grid[0].options))]
    return [[make((i, j)) for j in range(len(spec.grid[1].options))]
            for i in range(len(spec.grid[0].options))]


def _axes(spec):
    return [(axis.description, axis.labels, axis.dropdown) for axis in spec.grid]


def static_training_panel(spec, grid, n_train, n_test, compare=None):
    """The precomputed form of a ``PanelSpec``: one image per grid point.

    ``grid`` maps each grid index (a tuple) to the History of ``spec.point(*index)``
    (``gdlib.paper.panels.load_grid`` reads the stored ones); ``compare`` are
    grey references (label -> History), drawn in every image as in the live panel.
    """
    refs = [(label, h, False) for label, h in (compare or {}).items()]
    fields = spec.controls or ("lr",)
    limits = grid_limits([*grid.values(), *(h for _, h, _ in refs)])   # one pair of axes

    def make(index):
        history = grid[index]
        if history.config != spec.point(*index):
            raise ValueError(f"the stored run for {index} of panel {spec.name!r} was made with "
                             f"another config; recompute the grid")
        label = run_label(history.config, fields)
        fig = render_training(history, label, refs, limits=limits)
        what = describe_training(history.config, n_train, n_test)
        alt = (f"Training loss (left) and test accuracy (right) against the update, for "
               f"{label}" + (", beside grey reference runs" if refs else ""))
        return w.VBox([w.HTML(f"<small>{what} {spec.note}</small>"),
                       static_image(PANEL_FIGSIZE, to_png(fig, colors=COLORS, best=True), alt)])

    children = _grid_children(spec, make)
    return precomputed(_axes(spec), children, start=spec.check,
                       note=static_note(spec.size, [a.description for a in spec.grid]),
                       css_class=f"gdlib-panel-{spec.name}")


def static_explorer(spec):
    """The precomputed form of an ``ExplorerSpec``: every grid point run and drawn now
    (toy runs take milliseconds), with the live explorer's drawing."""
    figure = PathFigure()

    def make(index):
        png, _, status = figure.render(spec.point(*index), fmt="static")
        alt = f"The path on the surface (left) and the value against the step (right): {status}"
        return w.VBox([w.Label(status), static_image(EXPLORER_FIGSIZE, png, alt)])

    children = _grid_children(spec, make)
    return precomputed(_axes(spec), children, start=spec.start,
                       note=static_note(spec.size, [a.description for a in spec.grid]),
                       css_class=f"gdlib-panel-{spec.name}")


def payload_bytes(widget):
    """Bytes of base64 image data ``widget`` and its descendants put into a page."""
    total = 0
    todo = [widget]
    while todo:
        item = todo.pop()
        if isinstance(item, w.Image):
            total += len(base64.b64encode(bytes(item.value)))
        elif isinstance(item, w.HTML):          # static_image: a data URI in an <img>
            total += sum(len(m) for m in re.findall(r"data:image/[a-z]+;base64,([^\"]*)",
                                                    item.value))
        todo.extend(getattr(item, "children", ()))
    return total
