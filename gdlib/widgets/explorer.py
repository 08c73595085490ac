"""A 2-D explorer: an optimizer's path on a toy surface, redrawn while a slider moves.

``Explorer(ToySetting(...))`` shows the surface's contours with the path of
the chosen optimizer from the start point (left) and the value of the
function along the path, step by step (right).  Controls: the surface, the
optimizer, every hyperparameter of that optimizer (read from its signature,
so a new one appears by itself; ``window`` stands for ``gamma`` by eq. 13),
the start point and the number of steps.  Toy runs take milliseconds, so the
explorer redraws synchronously on every slider event (``continuous_update``).

Speed: the figure is kept between redraws.  Its background is kept as pixel
copies: the contours and axes once per surface, the value axes once per
number of steps (drawn over the first); a redraw restores them and draws only
the path, its end points and the value curve (blitting), and the picture is
sent as JPEG, which encodes ten times faster than PNG.  The precomputed form
(``static``) uses the same drawing.
"""

import math
from dataclasses import dataclass, fields, replace

import ipywidgets as w
import numpy as np

from .. import plots, toy
from ..optimizers import gamma_from_window
from ..train import OPTIMIZERS
from .labels import effective_rate, title
from .render import COLORS, image_widget, new_figure, to_jpeg, to_png

__all__ = ["Explorer", "PathFigure", "ToySetting", "SURFACES", "hyperparameters",
           "make_toy_optimizer", "toy_path"]

SURFACES = {"valley": toy.anisotropic_quadratic(), "rosenbrock": toy.rosenbrock()}
SURFACE_NAMES = {"valley": "valley x²/20 + y²", "rosenbrock": "Rosenbrock"}
STARTS = {"valley": (-9.0, 4.0), "rosenbrock": (-1.5, 2.0)}   # the book's start points
FIGSIZE = (10.0, 3.6)
CONTOURS = 20           # contour levels: fewer than the chapters' figures, lighter images
DOTS_UP_TO = 200        # paths of at most this many steps show a dot per step
FLOOR = 1e-16            # f - min f is drawn on a log axis: zero becomes this
MAX_STEPS = 3000
# eta on the 2-D surfaces, larger than on MNIST; an optimizer not named takes its own default
LR_DEFAULTS = {"sgd": 0.1, "momentum": 0.1, "nesterov": 0.1, "adagrad": 0.5, "rmsprop": 0.1,
               "adam": 0.1, "adamw": 0.1}
# the controls of the optimizers' hyperparameters, shown for the optimizer that takes each
HYPER_CONTROLS = ("lr", "momentum", "window", "beta1", "beta2", "weight_decay", "eps")


@dataclass(frozen=True)
class ToySetting:
    """One explorer run: surface, optimizer, its hyperparameters, start and steps."""

    surface: str = "valley"         # a key of SURFACES
    optimizer: str = "momentum"     # a key of gdlib.train.OPTIMIZERS
    lr: float = 0.1                 # eta (Adadelta: the multiplier of eq. 15, 1 = the paper's)
    momentum: float = 0.9           # momentum/nesterov (eq. 9)
    window: float = 19              # rmsprop/adadelta: gamma = 2/(window + 1), eq. (13)
    eps: float | None = None        # adagrad/rmsprop/adadelta/adam/adamw; None: its default
    beta1: float = 0.9              # adam/adamw: weight of the old mean of g (Kingma and Ba)
    beta2: float = 0.999            # adam/adamw: weight of the old mean of g^2
    weight_decay: float = 0.01      # adamw: decoupled decay (Loshchilov and Hutter)
    x0: float = -9.0                # start point
    y0: float = 4.0
    steps: int = 100

    def __post_init__(self):
        if self.surface not in SURFACES:
            raise ValueError(f"surface must be one of {sorted(SURFACES)}, got {self.surface!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, "
                             f"got {self.optimizer!r}")
        if not (isinstance(self.steps, (int, np.integer)) and 1 <= self.steps <= MAX_STEPS):
            raise ValueError(f"steps must be an integer in 1..{MAX_STEPS}, got {self.steps!r}")

    def replace(self, **changes):
        return replace(self, **changes)


def hyperparameters(optimizer):
    """The hyperparameters of ``optimizer`` (a key of OPTIMIZERS), from its class's
    vocabulary; ``gamma`` is given as ``window`` (eq. 13)."""
    return tuple(h.name for h in OPTIMIZERS[optimizer].hyperparameters if h.name != "gamma")


def default_eps(optimizer):
    return OPTIMIZERS[optimizer].hyper("eps").default


def default_lr(optimizer):
    """Eta for ``optimizer`` on a toy surface: ``LR_DEFAULTS``, else the class's default."""
    return LR_DEFAULTS.get(optimizer, OPTIMIZERS[optimizer].hyper("lr").default)


def make_toy_optimizer(setting):
    """The optimizer of ``setting`` with exactly the hyperparameters it takes."""
    values = {name: getattr(setting, name) for name in hyperparameters(setting.optimizer)}
    if values.get("eps", 0) is None:
        del values["eps"]
    return OPTIMIZERS[setting.optimizer](**values)


def toy_path(setting):
    """The points visited by ``setting``'s run, shape (k + 1, 2) (k < steps if it left
    the finite numbers)."""
    return toy.trajectory(make_toy_optimizer(setting), SURFACES[setting.surface],
                          (setting.x0, setting.y0), setting.steps).points


def label(setting):
    """The run in words, with eta and gamma."""
    parts = [title(setting.optimizer)]
    used = hyperparameters(setting.optimizer)
    if "lr" in used:
        parts.append(f"η = {setting.lr:.3g}")
    if "momentum" in used:
        parts.append(f"momentum {setting.momentum:g} "
                     f"(η/(1−m) = {effective_rate(setting.lr, setting.momentum):.3g})")
    if "window" in used:
        parts.append(f"n = {setting.window:g}, γ = {gamma_from_window(setting.window):.3g}")
    if "beta1" in used:
        parts.append(f"β₁ = {setting.beta1:g}, β₂ = {setting.beta2:g}")
    if "weight_decay" in used:
        parts.append(f"λ = {setting.weight_decay:g}")
    if "eps" in used and setting.eps is not None:
        parts.append(f"ε = {setting.eps:.0e}")
    return ", ".join(parts)


class PathFigure:
    """The explorer's figure, kept between redraws, with a cached background.

    ``render(setting)`` runs ``setting`` and returns the image, the path and the
    status line; the live explorer and its precomputed form both draw with it.
    """

    def __init__(self):
        self.fig = new_figure(FIGSIZE)
        self.surface = None     # the surface whose contours the figure holds
        self.steps = None       # the number of steps the value axis was drawn for

    def _surface_background(self, surface_name):
        """Contours and axes, drawn once per surface; the value axes left blank."""
        fig = self.fig
        fig.clear()
        surface = SURFACES[surface_name]
        ax_path, ax_f = fig.subplots(1, 2, gridspec_kw=dict(
            width_ratios=[1.2, 1], left=0.065, right=0.975, bottom=0.14, top=0.9, wspace=0.2))
        plots.plot_trajectories(surface, {}, ax=ax_path, levels=CONTOURS)
        ax_path.legend(loc="lower right", fontsize=10)
        ax_path.set_title(SURFACE_NAMES[surface_name], fontsize=10)
        fmax = float(np.max(surface.f(*np.meshgrid(np.linspace(*surface.xlim, 50),
                                                     np.linspace(*surface.ylim, 50)))))
        ax_f.set(yscale="log", ylim=(FLOOR, 10 ** math.ceil(math.log10(fmax))),
                 xlabel="step t", ylabel="f(x, y) − min f")
        ax_f.grid(alpha=0.3)
        ax_f.set_title("value along the path", fontsize=10)
        self.path, = ax_path.plot([], [], ".-", ms=2.5, lw=1, color="C0", animated=True)
        self.start, = ax_path.plot([], [], "o", ms=6, color="C3", animated=True)
        self.end, = ax_path.plot([], [], "X", ms=7, color="C0", mec="k", mew=0.6, animated=True)
        self.text = ax_path.text(0.02, 0.03, "", transform=ax_path.transAxes, va="bottom",
                                 fontsize=10, animated=True,
                                 bbox=dict(fc="white", ec="0.8", alpha=0.85))
        self.value, = ax_f.plot([], [], lw=1.4, color="C0", animated=True)
        self.axes = (ax_path, ax_f)
        ax_f.set_visible(False)
        fig.canvas.draw()
        self.blank = fig.canvas.copy_from_bbox(fig.bbox)
        ax_f.set_visible(True)
        self.surface, self.steps = surface_name, None

    def _steps_background(self, steps):
        """The value axes for ``steps`` drawn over the surface's background."""
        ax_f = self.axes[1]
        ax_f.set_xlim(0, steps)
        self.fig.canvas.restore_region(self.blank)
        self.fig.draw_artist(ax_f)
        self.pixels = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        self.steps = steps

    def draw(self, setting, points):
        """Draw ``points`` over the background; return f - min f along them."""
        if self.surface != setting.surface:
            self._surface_background(setting.surface)
        if self.steps != setting.steps:
            self._steps_background(setting.steps)
        surface = SURFACES[setting.surface]
        with np.errstate(all="ignore"):      # a diverging path overflows f: drawn clipped
            f = surface.f(points[:, 0], points[:, 1]) - surface.f(*surface.minimum)
        self.fig.canvas.restore_region(self.pixels)
        self.path.set_data(points[:, 0], points[:, 1])
        self.path.set_marker("." if len(points) <= DOTS_UP_TO + 1 else "None")
        self.start.set_data(points[:1, 0], points[:1, 1])
        self.end.set_data(points[-1:, 0], points[-1:, 1])
        self.text.set_text(f"{label(setting)}\n{len(points) - 1} steps")
        self.value.set_data(np.arange(len(f)), np.maximum(f, FLOOR))
        ax_path, ax_f = self.axes
        for artist in (self.path, self.start, self.end, self.text):
            ax_path.draw_artist(artist)
        ax_f.draw_artist(self.value)
        return f

    def render(self, setting, fmt="jpeg"):
        """``(image bytes, points, status)`` of ``setting``.

        ``fmt``: ``jpeg`` (live redraws: fastest), ``png``, or ``static`` (a palette
        PNG, smallest, for the precomputed form)."""
        points = toy_path(setting)
        f = self.draw(setting, points)
        if fmt == "jpeg":
            image = to_jpeg(self.fig, draw=False)
        else:
            static = fmt == "static"
            image = to_png(self.fig, draw=False, colors=COLORS if static else None, best=static)
        return image, points, describe(setting, points, f)


def describe(setting, points, f):
    """The status line: where the run ended, or that it left the finite numbers."""
    done = len(points) - 1
    end = points[-1]
    distance = float(np.hypot(*(end - np.array(SURFACES[setting.surface].minimum))))
    if done < setting.steps:
        return (f"diverged: the step after step {done} left the finite numbers "
                f"(try a smaller η) · f − min f = {f[-1]:.3g} at step {done}")
    return (f"{done} steps · ends at ({end[0]:.4g}, {end[1]:.4g}), f − min f = {f[-1]:.3g}, "
            f"distance to the minimum {distance:.3g}")


def _controls(setting):
    """One widget per ToySetting field, each with its own Layout (a shared one would hide
    them all together)."""
    def look():
        return {"style": {"description_width": "7em"}, "layout": w.Layout(width="400px")}

    def slider(cls, **kwargs):
        return cls(continuous_update=True, **look(), **kwargs)

    xs, ys = SURFACES[setting.surface].xlim, SURFACES[setting.surface].ylim
    return {
        "surface": w.Dropdown(options=[(SURFACE_NAMES[k], k) for k in SURFACES],
                              value=setting.surface, description="surface", **look()),
        "optimizer": w.Dropdown(options=[(title(k), k) for k in OPTIMIZERS],
                                value=setting.optimizer, description="optimizer", **look()),
        "lr": slider(w.FloatLogSlider, value=setting.lr, base=10, min=-4, max=1, step=0.02,
                     readout_format=".3g", description="learning rate η"),
        "momentum": slider(w.FloatSlider, value=setting.momentum, min=0, max=0.99, step=0.01,
                           description="momentum"),
        "window": slider(w.IntSlider, value=round(setting.window), min=1, max=100,
                         description="window n"),
        "beta1": slider(w.FloatSlider, value=setting.beta1, min=0, max=0.99, step=0.01,
                        description="β₁"),
        "beta2": slider(w.FloatSlider, value=setting.beta2, min=0.5, max=0.9999, step=0.0001,
                        readout_format=".4f", description="β₂"),
        "weight_decay": slider(w.FloatSlider, value=setting.weight_decay, min=0, max=0.5,
                               step=0.01, description="weight decay λ"),
        "eps": slider(w.FloatLogSlider, value=setting.eps or default_eps("adadelta"), base=10,
                      min=-10, max=0, step=0.5, readout_format=".0e", description="ε"),
        "x0": slider(w.FloatSlider, value=setting.x0, min=xs[0], max=xs[1],
                     step=(xs[1] - xs[0]) / 200, description="start x₀"),
        "y0": slider(w.FloatSlider, value=setting.y0, min=ys[0], max=ys[1],
                     step=(ys[1] - ys[0]) / 200, description="start y₀"),
        "steps": slider(w.IntSlider, value=setting.steps, min=1, max=MAX_STEPS, step=1,
                        description="steps"),
    }


class Explorer:
    """Contours, path and value curve of one ``ToySetting``, with a control for each field.

    ``explorer.widget`` is the container; ``explorer.points`` the path last drawn;
    ``explorer.setting()`` the ToySetting the controls describe.
    """

    def __init__(self, setting=None):
        setting = setting or ToySetting()
        if setting.eps is None and "eps" in hyperparameters(setting.optimizer):
            setting = setting.replace(eps=default_eps(setting.optimizer))
        self.controls = _controls(setting)
        self.readouts = {"momentum": w.Label(), "window": w.Label()}
        self.status = w.Label()
        self.image = image_widget(FIGSIZE)
        self.image.format = "jpeg"
        self.figure = PathFigure()
        self._applying = False
        self.points = None
        rows = [w.HBox([c, self.readouts[n]]) if n in self.readouts else c
                for n, c in self.controls.items()]
        self.widget = w.VBox([*rows, self.status, self.image])
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        self._show_used()
        self.redraw()

    def __repr__(self):
        return f"Explorer({self.setting()!r})"

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def setting(self):
        values = {name: c.value for name, c in self.controls.items()}
        return ToySetting(**{f.name: values[f.name] for f in fields(ToySetting)})

    def _on_change(self, change):
        if self._applying:
            return
        owner = change["owner"]
        self._applying = True
        try:
            if owner is self.controls["surface"]:
                self._move_start(change["new"])
            if owner is self.controls["optimizer"]:
                self._optimizer_defaults(change["old"], change["new"])
        finally:
            self._applying = False
        self._show_used()
        self.redraw()

    def _optimizer_defaults(self, old, new):
        """eps starts at the new optimizer's default; eta changes meaning at Adadelta
        (a multiplier of eq. 15, 1 = the paper's), so it is reset going in or out."""
        if "eps" in hyperparameters(new):
            self.controls["eps"].value = default_eps(new)
        if "adadelta" in (old, new) and old != new:
            self.controls["lr"].value = default_lr(new)

    def _move_start(self, surface):
        """Give the start sliders the new surface's window and the book's start point."""
        s = SURFACES[surface]
        for name, lim, value in (("x0", s.xlim, STARTS[surface][0]),
                                 ("y0", s.ylim, STARTS[surface][1])):
            c = self.controls[name]
            c.min, c.max = min(c.min, lim[0]), max(c.max, lim[1])     # never min > max
            c.value = value
            c.min, c.max, c.step = lim[0], lim[1], (lim[1] - lim[0]) / 200

    def _show_used(self):
        """Only the chosen optimizer's hyperparameters are shown, with eq. (9)/(13) readouts."""
        used = hyperparameters(self.controls["optimizer"].value)
        for name in HYPER_CONTROLS:
            box = self.controls[name]
            box.layout.display = None if name in used else "none"
            if name in self.readouts:
                self.readouts[name].layout.display = None if name in used else "none"
        lr, m = self.controls["lr"].value, self.controls["momentum"].value
        self.readouts["momentum"].value = f"effective rate η/(1 − momentum) = " \
                                          f"{effective_rate(lr, m):.3g}"
        n = self.controls["window"].value
        self.readouts["window"].value = f"γ = 2/(n+1) = {gamma_from_window(n):.3f}  (eq. 13)"

    def redraw(self):
        """Run and draw the current setting; an invalid one is reported in the status line."""
        try:
            self.image.value, self.points, self.status.value = self.figure.render(self.setting())
        except (ValueError, TypeError) as e:
            self.status.value = f"cannot run this setting: {e}"
