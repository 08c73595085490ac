"""Panel specs and the one call a chapter makes: live in a kernel, precomputed in the book.

A ``PanelSpec`` (MNIST training) or ``ExplorerSpec`` (toy surfaces) says what
a panel controls live and over which grid of one or two ``Axis`` its
precomputed form runs.  ``show_panel(spec, data, grid=...)`` displays (and
``panel_for`` returns)

* the live panel (``TrainingPanel`` / ``Explorer``) in a reader's kernel,
  Binder or a local Jupyter: it retrains for any value;
* the precomputed form (``static``) when the HTML book is built: every grid
  point already run, moved by sliders that work without a kernel.

The switch is the environment variable ``GDLIB_WIDGETS``: ``make book`` sets
``GDLIB_WIDGETS=static`` for the jupyter-book build only; unset (or ``live``)
everywhere else, including ``make test``'s nbval run.  The grid point configs
come from the same ``config_for`` the live panel uses, so every image of the
book is a run the live panel would train.
"""

import os
from dataclasses import dataclass, field, fields

from IPython.display import display

from ..train import TrainConfig
from .controls import CONTROLS, config_for
from .explorer import Explorer, ToySetting
from .panel import TrainingPanel
from .static import static_explorer, static_training_panel

__all__ = ["Axis", "PanelSpec", "ExplorerSpec", "panel_for", "show_panel", "static_mode",
           "MODE_ENV"]

MODE_ENV = "GDLIB_WIDGETS"
MODES = ("live", "static")


def static_mode():
    """True when the book is being built (``GDLIB_WIDGETS=static``)."""
    mode = os.environ.get(MODE_ENV, "live")
    if mode not in MODES:
        raise ValueError(f"{MODE_ENV} must be one of {MODES} (unset means live), got {mode!r}")
    return mode == "static"


@dataclass(frozen=True)
class Axis:
    """One slider of a precomputed panel: a label per position and the settings it sets.

    ``options``   ``((label, {field: value, ...}), ...)``; a position may set several
                  fields (an optimizer with its learning rate, a surface with its start)
    ``dropdown``  show a Dropdown instead of a SelectionSlider
    """

    description: str
    options: tuple
    dropdown: bool = False

    def __post_init__(self):
        if not self.options:
            raise ValueError(f"axis {self.description!r} has no options")

    @classmethod
    def over(cls, name, values, description, fmt="{:g}", dropdown=False):
        """An axis setting the one field ``name`` to each of ``values``."""
        return cls(description, tuple((fmt.format(v), {name: v}) for v in values), dropdown)

    @property
    def labels(self):
        return [label for label, _ in self.options]

    def changes(self, i):
        return dict(self.options[i][1])


def _merge(grid, index):
    if len(index) != len(grid):
        raise ValueError(f"a grid of {len(grid)} axes needs {len(grid)} indices, got {index}")
    out = {}
    for axis, i in zip(grid, index, strict=True):
        out.update(axis.changes(i))
    return out


def _check_grid(name, grid, allowed):
    if len(grid) not in (1, 2):
        raise ValueError(f"panel {name!r}: a grid has one or two axes, got {len(grid)}")
    for axis in grid:
        for label, changes in axis.options:
            unknown = set(changes) - set(allowed)
            if unknown:
                raise ValueError(f"panel {name!r}, axis {axis.description!r}, option {label!r}: "
                                 f"unknown fields {sorted(unknown)}; allowed: {sorted(allowed)}")


def _size(grid):
    n = 1
    for axis in grid:
        n *= len(axis.options)
    return n


@dataclass(frozen=True)
class PanelSpec:
    """A live MNIST training panel and the grid of its precomputed form.

    ``name``      short id: the grid's folder and the page's CSS class ``gdlib-panel-<name>``
    ``page``      the book page that shows it (for the browser test)
    ``base``      the TrainConfig the controls modify (short: ~200 updates)
    ``controls``  live controls, among ``panel.CONTROLS``
    ``grid``      one or two ``Axis`` over TrainConfig fields
    ``note``      how these short runs differ from the chapter's full ones
    ``presets``   optimizer -> {field: value}, applied when that optimizer is chosen
    ``optimizers`` the live optimizer control's choices (None: all)
    ``check``     the grid index recomputed on every build against the stored run
                  (default: the first point)
    """

    name: str
    page: str
    base: TrainConfig
    controls: tuple
    grid: tuple
    note: str = ""
    presets: dict = field(default_factory=dict)
    optimizers: tuple = None
    check: tuple = None

    def __post_init__(self):
        bad = set(self.controls) - set(CONTROLS)
        if bad:
            raise ValueError(f"panel {self.name!r}: controls must be among {CONTROLS}, "
                             f"got {sorted(bad)}")
        _check_grid(self.name, self.grid, [f.name for f in fields(TrainConfig)])
        if self.check is None:
            object.__setattr__(self, "check", (0,) * len(self.grid))
        for index, _ in self.points():
            self.point(*index)                       # every grid point must be valid

    @property
    def size(self):
        """The number of runs the grid holds."""
        return _size(self.grid)

    def point(self, *index):
        """The TrainConfig at grid position ``index`` (one int per axis)."""
        return config_for(self.base, _merge(self.grid, index), self.presets)

    def points(self):
        """Every ``(index, config)`` of the grid, first axis outermost."""
        return [(index, self.point(*index)) for index in _indices(self.grid)]


@dataclass(frozen=True)
class ExplorerSpec:
    """A live 2-D explorer and the grid of its precomputed form (computed at build time)."""

    name: str
    page: str
    base: ToySetting
    grid: tuple

    def __post_init__(self):
        _check_grid(self.name, self.grid, [f.name for f in fields(ToySetting)])
        for index in _indices(self.grid):
            self.point(*index)

    @property
    def size(self):
        return _size(self.grid)

    @property
    def start(self):
        """The grid position the precomputed form shows first: ``base``'s, if the grid
        holds it, else the first."""
        return next((i for i in _indices(self.grid) if self.point(*i) == self.base),
                    (0,) * len(self.grid))

    def point(self, *index):
        return self.base.replace(**_merge(self.grid, index))


def _indices(grid):
    if len(grid) == 1:
        return [(i,) for i in range(len(grid[0].options))]
    return [(i, j) for i in range(len(grid[0].options)) for j in range(len(grid[1].options))]


def panel_for(spec, data=None, *, grid=None, compare=None):
    """``spec``'s panel, live in a kernel or precomputed when the book is built.

    ``data``     the Dataset a training panel trains on (live) and counts (static)
    ``grid``     training panels: grid index -> History (needed for the static form;
                 live, its runs fill the cache, so grid settings come back at once)
    ``compare``  training panels: label -> History drawn in grey
    Returns the live ``TrainingPanel``/``Explorer`` or the static widget; the
    outer box carries the CSS classes ``gdlib-panel`` and ``gdlib-panel-<name>``.
    """
    static = static_mode()
    if isinstance(spec, ExplorerSpec):
        shown = static_explorer(spec) if static else Explorer(spec.base)
    elif isinstance(spec, PanelSpec):
        if data is None:
            raise ValueError(f"panel {spec.name!r} needs data: panel_for(spec, data, ...)")
        if static:
            if grid is None:
                raise ValueError(f"panel {spec.name!r}: the book's static form needs its grid")
            shown = static_training_panel(spec, grid, len(data.x_train), len(data.x_test),
                                          compare)
        else:
            shown = TrainingPanel(data, spec.base, controls=spec.controls, note=spec.note,
                                  compare=compare, presets=spec.presets,
                                  optimizers=spec.optimizers, cache=(grid or {}).values())
    else:
        raise TypeError(f"panel_for takes a PanelSpec or an ExplorerSpec, got {spec!r}")
    live_widget = getattr(shown, "widget", None)
    if live_widget is not None:
        live_widget.add_class("gdlib-panel")
        live_widget.add_class(f"gdlib-panel-{spec.name}")
    return shown


def show_panel(spec, data=None, *, grid=None, compare=None):
    """Display ``panel_for(spec, data, grid=grid, compare=compare)`` (returns nothing, so
    a cell that ends with this call shows the panel once)."""
    display(panel_for(spec, data, grid=grid, compare=compare))
