"""The book's panels: what each chapter lets a reader move, and the grids behind them.

A chapter shows its panel with one line::

    from gdlib.paper import panels
    panels.show("ch5", data)               # MNIST panel (data: the chapter's Dataset)
    panels.show("ch5-explorer")            # 2-D explorer on the toy surfaces

In a kernel (Binder, a local Jupyter, nbval) that is the live panel, whose
cache starts with the stored grid.  When the book is built
(``GDLIB_WIDGETS=static``, set by ``make book``) it is the precomputed form:
the stored grid of the panel drawn into images, after recomputing the grid's
``check`` point and comparing it with the stored run (``GridDrift`` fails the
build if they differ beyond the tolerances of the stored results).  Explorer
grids are computed during the build: toy runs take milliseconds.

MNIST grids are kept by the same store as the figures' results
(``gdlib.paper.store``, ``GRIDS``): one History per grid point in
``grids/<panel>/``, made by ``scripts/make_grids.py``, each carrying the config
that made it, made and recomputed on one BLAS thread.  Every panel trains
short runs (``SHORT``: 200 updates, tested on 2,000 images every 40), so that a
live retrain answers within 2.5 s as a reader feels it in JupyterLab on a
two-core machine (benchmarks/widgets_lab.py).
"""

import sys
import time

from IPython.display import display

from ..optimizers import gamma_from_window
from ..train import TrainConfig
from ..widgets import Axis, ExplorerSpec, PanelSpec, ToySetting, panel_for, static_mode
from ..widgets.labels import run_label
from ..widgets.static import payload_bytes
from .figures import load_figure
from .store import GRIDS, StoredRunMismatch, StoredRunMissing, train_as_stored

__all__ = ["PANELS", "EXPLORERS", "SPECS", "SHORT", "GRIDS_DIR", "show", "build", "load_grid",
           "grid_path", "save_grid_run", "check_grid", "compare_run", "GridDrift"]

GRIDS_DIR = GRIDS.default

# Every MNIST panel: 200 updates on all 60,000 training images, tested on 2,000.  (With
# 300 updates a retrain took 2.2-3.4 s in JupyterLab on a busy two-core machine.)
SHORT = TrainConfig(batch_size=256, iterations=200, eval_every=40, eval_size=2000)
LRS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCHES = Axis.over("batch_size", (1, 32, 256), "batch size", dropdown=True)
WINDOWS = (1, 2, 3, 5, 10, 19, 30, 50, 100)
FIG7_PRESETS = {   # the settings of Fig. 7, set when the optimizer is chosen
    "sgd": {"lr": 0.01},
    "momentum": {"lr": 0.01, "momentum": 0.9},
    "adagrad": {"lr": 0.01},
    "rmsprop": {"lr": 0.001, "window": 19},
    "adadelta": {"lr": 1.0, "window": 19},
}
# follows the sentence widgets.panel.describe_training writes (updates, batch, tests)
SHORTER = "So these runs show how training starts; the chapter's runs"


def _window_axis():
    return Axis("window n", tuple((f"n = {n} (γ = {gamma_from_window(n):.3f})", {"window": n})
                                  for n in WINDOWS))


PANELS = {
    "ch4": PanelSpec(
        name="ch4", page="chapters/04_gradient_descent",
        base=SHORT.replace(lr=0.1), controls=("lr", "batch_size"),
        grid=(Axis.over("lr", LRS, "learning rate η"), BATCHES), check=(4, 2),
        note=(f"{SHORTER} go much further: Fig. 3 runs batch 1 for a whole epoch (60,000 "
              "updates), Fig. 4 batch 256 for 2,000 updates, both tested on all 10,000 "
              "images. Batch 1 is the paper's stochastic gradient descent (eq. 7).")),
    "ch5": PanelSpec(
        name="ch5", page="chapters/05_momentum",
        base=SHORT.replace(optimizer="momentum", lr=0.01, momentum=0.9),
        controls=("momentum", "lr"),
        grid=(Axis.over("momentum", (0.0, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99), "momentum"),
              Axis.over("lr", LRS[:5], "learning rate η")), check=(4, 2),
        note=(f"{SHORTER} (Fig. 5) take 2,000 updates of batch 256 with η = 0.01 and test "
              "on all 10,000 images.")),
    "ch6": PanelSpec(
        name="ch6", page="chapters/06_adagrad",
        base=SHORT.replace(optimizer="adagrad", lr=0.01), controls=("lr",),
        grid=(Axis.over("lr", (0.0001, 0.0003, *LRS), "learning rate η"),), check=(4,),
        note=(f"{SHORTER} (Fig. 7) take 2,000 updates of batch 256 and test on all 10,000 "
              "images.")),
    "ch7": PanelSpec(
        name="ch7", page="chapters/07_rmsprop_adadelta",
        base=SHORT.replace(optimizer="adadelta", lr=1.0, window=19),
        controls=("optimizer", "window"), optimizers=("rmsprop", "adadelta"),
        presets={k: FIG7_PRESETS[k] for k in ("rmsprop", "adadelta")},
        grid=(Axis("optimizer", (("RMSProp, η = 0.001", {"optimizer": "rmsprop"}),
                                 ("Adadelta (eq. 15, no η)", {"optimizer": "adadelta"})),
                   dropdown=True), _window_axis()), check=(1, 5),
        note=(f"{SHORTER} (Fig. 6) take 2,000 updates of batch 256 with γ = 0.5, 0.3 and 0.1 "
              "and test on all 10,000 images.")),
    "ch8": PanelSpec(
        name="ch8", page="chapters/08_experiment",
        base=SHORT.replace(optimizer="momentum", lr=0.01, momentum=0.9),
        controls=("optimizer", "lr", "momentum", "window", "batch_size"),
        presets=FIG7_PRESETS,
        grid=(Axis("optimizer", (("SGD, η = 0.01", {"optimizer": "sgd"}),
                                 ("Momentum 0.9, η = 0.01", {"optimizer": "momentum"}),
                                 ("AdaGrad, η = 0.01", {"optimizer": "adagrad"}),
                                 ("RMSProp, η = 0.001, γ = 0.1", {"optimizer": "rmsprop"}),
                                 ("Adadelta, γ = 0.1", {"optimizer": "adadelta"})),
                   dropdown=True), BATCHES), check=(1, 2),
        note=(f"{SHORTER} (Fig. 7, grey: its stored SGD and momentum runs) take 2,000 updates "
              "of batch 256 and test on all 10,000 images.")),
}
COMPARE = {"ch8": ("fig7", ("SGD", "Momentum"))}   # grey references from the stored results

VALLEY_START = {"surface": "valley", "x0": -9.0, "y0": 4.0}
ROSEN_START = {"surface": "rosenbrock", "x0": -1.5, "y0": 2.0}

EXPLORERS = {
    "ch5-explorer": ExplorerSpec(
        name="ch5-explorer", page="chapters/05_momentum",
        base=ToySetting(optimizer="momentum", lr=0.9, momentum=0.5, steps=150, **VALLEY_START),
        grid=(Axis.over("momentum", (0.0, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9), "momentum"),
              Axis.over("lr", (0.3, 0.6, 0.9), "learning rate η"))),
    "ch6-explorer": ExplorerSpec(
        name="ch6-explorer", page="chapters/06_adagrad",
        base=ToySetting(optimizer="adagrad", lr=1.0, steps=400, **VALLEY_START),
        grid=(Axis("surface", (("valley, 400 steps", {**VALLEY_START, "steps": 400}),
                               ("Rosenbrock, 3000 steps", {**ROSEN_START, "steps": 3000})),
                   dropdown=True),
              Axis.over("lr", (0.1, 0.3, 0.5, 1.0, 2.0, 3.0), "learning rate η"))),
    "ch7-explorer": ExplorerSpec(
        name="ch7-explorer", page="chapters/07_rmsprop_adadelta",
        base=ToySetting(optimizer="adadelta", lr=1.0, window=19, steps=1000, **VALLEY_START),
        grid=(Axis("method", (
            ("RMSProp η = 0.1, valley", {"optimizer": "rmsprop", "lr": 0.1, **VALLEY_START,
                                         "steps": 1000}),
            ("Adadelta, valley", {"optimizer": "adadelta", "lr": 1.0, **VALLEY_START,
                                  "steps": 1000}),
            ("RMSProp η = 0.01, Rosenbrock", {"optimizer": "rmsprop", "lr": 0.01, **ROSEN_START,
                                              "steps": 3000}),
            ("Adadelta, Rosenbrock", {"optimizer": "adadelta", "lr": 1.0, **ROSEN_START,
                                      "steps": 3000})), dropdown=True),
              _window_axis())),
    "ch9-explorer": ExplorerSpec(
        name="ch9-explorer", page="chapters/09_nesterov_adam",
        base=ToySetting(optimizer="nesterov", lr=0.1, momentum=0.9, steps=300, **VALLEY_START),
        grid=(Axis("method", tuple((name, {"optimizer": key}) for name, key in (
                  ("Momentum 0.9", "momentum"), ("Nesterov 0.9", "nesterov"),
                  ("Adam", "adam"), ("AdamW, λ = 0.01", "adamw"))), dropdown=True),
              Axis.over("lr", (0.01, 0.03, 0.1, 0.3), "learning rate η"))),
}
SPECS = {**PANELS, **EXPLORERS}


class GridDrift(AssertionError):
    """A recomputed grid point no longer matches its stored run."""


def _point_name(name, index):
    """What grid point ``index`` of panel ``name`` changes in the base, as a file name."""
    changes = {}
    for axis, i in zip(PANELS[name].grid, index, strict=True):
        changes.update(axis.changes(i))
    return "_".join(f"{k}-{v}" for k, v in sorted(changes.items())) or "base"


def grid_path(name, index, root=None):
    """Where the History of grid point ``index`` of panel ``name`` is stored."""
    return GRIDS.path(name, _point_name(name, index), root)


def save_grid_run(name, index, history, root=None):
    """Store one grid point's History (atomically) with a note of what made it."""
    return GRIDS.save(name, _point_name(name, index), history,
                      {"panel": name, "index": list(index)}, root)


def load_grid(name, root=None, strict=True):
    """The stored Histories of panel ``name``: grid index -> History.

    ``strict``: a missing file raises ``FileNotFoundError`` and a file made from
    another config ``ValueError``, both naming the script that remakes them;
    otherwise such points are left out (the live panel then trains them).
    """
    grid = {}
    for index, config in PANELS[name].points():
        try:
            grid[index] = GRIDS.load(name, _point_name(name, index), config, root)
        except (StoredRunMissing, StoredRunMismatch):
            if strict:
                raise
    return grid


def compare_run(label, live, stored):
    """How a recomputed grid point compares with its stored twin (``GRIDS.compare``).

    Short runs rarely reach the accuracy at which stored results count as
    converged, so a run succeeds when it does not diverge: every such run is held
    to the tolerances of the stored results; a stored run that diverged must
    diverge again.
    """
    return GRIDS.compare(label, live, stored)


def check_grid(name, data, grid=None):
    """Recompute panel ``name``'s check point and compare it with the stored run.

    Returns ``(Comparison, seconds)``; raises ``GridDrift`` if it does not match.
    """
    spec = PANELS[name]
    grid = load_grid(name) if grid is None else grid
    config = spec.point(*spec.check)
    live = train_as_stored(config, data)     # one BLAS thread, as the grid was made
    seconds = live.meta["seconds"]
    result = compare_run(run_label(config, ("optimizer", *spec.controls)), live,
                         grid[spec.check])
    if not result.ok:
        raise GridDrift(f"panel {name!r}: the recomputed grid point no longer matches the "
                        f"stored run ({result!r}). If gdlib changed on purpose, run "
                        f"`python scripts/make_grids.py {name}` and commit grids/{name}/.")
    return result, seconds


def _compare(name):
    figure, labels = COMPARE.get(name, (None, ()))
    if figure is None:
        return None
    stored = load_figure(figure, seeds=(0,))
    return {f"stored Fig. 7 {label} (2,000 updates)": stored[label][0] for label in labels}


def _log(text):
    """A line in the build log: a kernel's ``sys.__stderr__`` is jupyter-book's terminal."""
    print(f"[gdlib panels] {text}", file=sys.__stderr__, flush=True)


def build(name, data=None):
    """Panel ``name`` of ``SPECS``: live in a kernel, precomputed in the book build
    (where the grid is checked first and the build log says what it cost)."""
    if name not in SPECS:
        raise KeyError(f"no panel {name!r}; the book's panels are {sorted(SPECS)}")
    spec = SPECS[name]
    static = static_mode()
    start = time.perf_counter()
    if isinstance(spec, ExplorerSpec):
        shown = panel_for(spec)
        if static:
            _log(f"{name}: {spec.size} runs computed and drawn in "
                 f"{time.perf_counter() - start:.1f} s, "
                 f"{payload_bytes(shown) / 1e6:.2f} MB of images in the page")
        return shown
    if data is None:
        from ..data import load_dataset
        data = load_dataset(spec.base.dataset)
    if not static:
        return panel_for(spec, data, grid=load_grid(name, strict=False),
                         compare=_compare(name))
    grid = load_grid(name)
    result, seconds = check_grid(name, data, grid)
    drawn = time.perf_counter()
    shown = panel_for(spec, data, grid=grid, compare=_compare(name))
    _log(f"{name}: {spec.size} stored runs; recomputed {result.label} in {seconds:.1f} s "
         f"({'bit-identical' if result.identical else 'within tolerance'}); images drawn in "
         f"{time.perf_counter() - drawn:.1f} s, {payload_bytes(shown) / 1e6:.2f} MB in the page")
    return shown


def show(name, data=None):
    """Display panel ``name`` (see ``build``); the one line a chapter cell needs."""
    display(build(name, data))
