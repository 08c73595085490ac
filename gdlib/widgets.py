"""Live training panels: sliders that retrain the network and redraw the curves.

``TrainingPanel`` shows ipywidgets controls (learning rate, momentum, the
RMSProp/Adadelta window, batch size, optimizer), a status line and the book's
standard figure (training loss left, test accuracy right) as a PNG image.
Moving a control cancels the running training and starts a new one with
``base.replace(**values)``.  Training runs in a background thread, so the
kernel keeps receiving slider events while it works; ``train``'s callback
redraws every ``redraw_every`` iterations and stops the run as soon as a newer
request has arrived.  Widgets know no maths: they call ``train.train`` and
``plots`` and nothing else computes here.

A run should answer within seconds.  On the full MNIST (loaded once, passed in)
a base like this takes about 2-5 s per run on two cores::

    base = figures.FIGURES["fig5"]["momentum = 0.9"].replace(
        iterations=300, eval_every=50, eval_size=2000)    # train_size=None: all images
    panel = TrainingPanel(data, base, controls=("lr", "momentum"))
    panel                                                 # displays the widget

A built HTML page has no kernel, so the panel cannot run there: tag the cell
``remove-output`` and draw ``panel.wait()``'s History with ``plots`` instead.
"""

import io
import threading

import ipywidgets as w
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import plots
from .optimizers import gamma_from_window
from .train import OPTIMIZERS, train

__all__ = ["TrainingPanel", "CONTROLS"]

CONTROLS = ("lr", "momentum", "window", "batch_size", "optimizer")
BATCH_SIZES = (1, 32, 256)
USED_BY = {"momentum": ("momentum",), "window": ("rmsprop", "adadelta")}  # others: ignored
REFERENCE_COLOR = "0.65"     # grey: the `compare` runs


def _control(name, base):
    """The widget for one TrainConfig field, starting at ``base``'s value."""
    common = {"continuous_update": False, "style": {"description_width": "8em"},
              "layout": w.Layout(width="460px")}
    if name == "lr":
        return w.FloatLogSlider(value=base.lr, base=10, min=-4, max=0, step=0.1,
                                readout_format=".2g", description="learning rate η", **common)
    if name == "momentum":
        return w.FloatSlider(value=base.momentum, min=0.0, max=0.99, step=0.01,
                             description="momentum", **common)
    if name == "window":
        return w.IntSlider(value=_initial_window(base), min=1, max=100,
                           description="window n", **common)
    del common["continuous_update"]
    if name == "batch_size":
        return w.Dropdown(options=sorted({*BATCH_SIZES, base.batch_size}),
                          value=base.batch_size, description="batch size", **common)
    if name == "optimizer":
        return w.Dropdown(options=list(OPTIMIZERS), value=base.optimizer,
                          description="optimizer", **common)
    raise ValueError(f"controls must be among {CONTROLS}, got {name!r}")


def _initial_window(base):
    """``base.window``, or the window whose eq. (13) gamma is nearest ``base.gamma``."""
    if base.window is not None:
        return round(base.window)
    gamma = 0.1 if base.gamma is None else base.gamma   # None: the optimizers' default
    return min(range(1, 101), key=lambda n: abs(gamma_from_window(n) - gamma))


def _fmt(value):
    return f"{value:.3g}" if isinstance(value, float) else str(value)


class TrainingPanel:
    """Sliders, a status line and a live figure for one training configuration.

    ``data``          a ``gdlib.data.Dataset`` (or any object with x/t_train/test)
    ``base``          the ``TrainConfig`` the controls modify; keep it short
                      (``iterations`` ~300, ``eval_every`` 50, ``eval_size`` 2000)
    ``controls``      which of ``CONTROLS`` to show; ``"window"`` sets
                      ``config.window`` (and ``gamma=None``), shown with its gamma
    ``redraw_every``  iterations between redraws of the figure and status
    ``compare``       Histories (list, or dict label -> History) drawn in grey
    ``autostart``     start training with the initial values right away

    ``panel.widget`` is the ipywidgets container; ``panel.history`` the latest
    finished History (diverged runs count), ``panel.cancelled`` the latest run
    stopped by a newer request, ``panel.error`` the exception of the latest
    request that could not run (shown in the status line, never raised).
    """

    dpi = 72

    def __init__(self, data, base, *, controls=("lr",), redraw_every=25, compare=None,
                 autostart=True):
        if not (isinstance(redraw_every, int) and redraw_every >= 1):
            raise ValueError(f"redraw_every must be an integer >= 1, got {redraw_every!r}")
        self.data, self.base, self.redraw_every = data, base, redraw_every
        names = (controls,) if isinstance(controls, str) else controls
        self.controls = {name: _control(name, base) for name in dict.fromkeys(names)}
        self.references = dict(compare) if isinstance(compare, dict) else {
            f"reference: {h.meta.get('label') or self._label(h.config)}": h
            for h in (compare or ())}
        self.gamma_label = w.Label() if "window" in self.controls else None
        self.status = w.Label()
        self.image = w.Image(format="png", layout=w.Layout(width="100%", max_width="800px"))
        rows = [w.HBox([c, self.gamma_label]) if name == "window" else c
                for name, c in self.controls.items()]
        self.widget = w.VBox([*rows, self.status, self.image])
        self.history = self.cancelled = self.error = None
        self._generation, self._thread = 0, None   # every request bumps the generation;
        self._lock = threading.Lock()              # a run whose generation is stale stops
        self._update_controls()
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        if autostart:
            self.start()

    def __repr__(self):
        return (f"TrainingPanel({self.base.optimizer}, controls={list(self.controls)}, "
                f"history={self.history!r})")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def config(self):
        """The TrainConfig the controls describe now (``ValueError`` if invalid)."""
        values = {name: c.value for name, c in self.controls.items()}
        if "window" in values:
            values["gamma"] = None        # give gamma or window, not both
        return self.base.replace(**values)

    def start(self):
        """Cancel any running training and start one with the current values."""
        try:
            config, error = self.config(), None
        except ValueError as e:
            config, error = None, e
        with self._lock:
            self._generation += 1
            previous = self._thread
            self._thread = threading.Thread(
                target=self._run, args=(self._generation, previous, config, error),
                name=f"gdlib-training-{self._generation}", daemon=True)
            self._thread.start()

    def stop(self):
        """Cancel the running training (it stops after its current iteration)."""
        with self._lock:
            self._generation += 1

    def wait(self, timeout=None):
        """Block until the current run ends (or ``timeout`` s); return ``self.history``."""
        while (thread := self._thread) is not None:
            thread.join(timeout)
            if thread is self._thread or thread.is_alive():
                break
        return self.history

    def _on_change(self, change):
        self._update_controls()
        self.start()

    def _update_controls(self):
        """Show gamma of the window (eq. 13); grey out controls the optimizer ignores."""
        if self.gamma_label is not None:
            n = self.controls["window"].value
            self.gamma_label.value = f"γ = 2/(n+1) = {gamma_from_window(n):.3f}  (eq. 13)"
        optimizer = getattr(self.controls.get("optimizer"), "value", self.base.optimizer)
        for name, users in USED_BY.items():
            if name in self.controls:
                self.controls[name].disabled = optimizer not in users

    def _run(self, generation, previous, config, error):
        if previous is not None:
            previous.join()              # only one training thread works at a time
        if generation != self._generation:
            return                       # superseded before it began
        if error is not None:
            return self._fail(error)
        self.status.value = f"training with {self._label(config)} ..."

        def callback(run):
            if generation != self._generation:
                return True
            done = run.iteration + 1
            if done % self.redraw_every == 0 and done != config.iterations:  # final: below
                self._show(run.history, "iteration")
            return False

        try:
            history = train(config, self.data, callback=callback)
            if history.stopped_at is not None:
                self.cancelled = history
                self.status.value = (f"cancelled at iteration {history.stopped_at} "
                                     f"· {self._label(config)}")
                return
            self.history, self.error = history, None
            self._show(history, "done")
        except Exception as e:           # a thread has no caller: show it instead
            self._fail(e)

    def _fail(self, error):
        self.error = error
        self.status.value = f"{type(error).__name__}: {error}"

    def _label(self, config):
        """The controlled settings of ``config`` that its optimizer uses."""
        parts = []
        for name in sorted(self.controls or ("lr",), key=lambda n: n != "optimizer"):
            if config.optimizer in USED_BY.get(name, (config.optimizer,)):
                value = getattr(config, name)
                parts.append(f"gamma = {_fmt(config.gamma)}" if value is None
                             else f"{name} = {_fmt(value)}")
        return ", ".join(parts) or config.optimizer

    def _show(self, history, state):
        """Redraw the figure and the status line from ``history``."""
        self.image.value = self._render(history)
        n, total = history.iterations, history.config.iterations
        if history.diverged:
            text = f"diverged at iteration {history.diverged_at}"
        else:
            text = f"{state} {n}" + (f" of {total}" if total else "")
            if n:
                text += f" · batch loss {history.loss[-1]:.4f}"
            text += (f" · test accuracy {history.test_acc[-1]:.4f} "
                     f"(at iteration {history.eval_iter[-1]})")
        self.status.value = f"{text} · {self._label(history.config)}"

    def _render(self, history):
        """PNG bytes of the loss and accuracy panels (no pyplot: safe in a thread)."""
        fig = Figure(figsize=(11, 4), dpi=self.dpi)   # fixed margins: 2x faster than
        FigureCanvasAgg(fig)                           # constrained layout, per redraw
        axes = fig.subplots(1, 2, gridspec_kw=dict(left=0.09, right=0.985, bottom=0.13,
                                                   top=0.96, wspace=0.25))
        if self.references:
            labels, runs = zip(*self.references.items(), strict=True)
            plots.plot_loss(runs, labels, ax=axes[0])
            plots.plot_accuracy(runs, labels, ax=axes[1])
            for ax in axes:
                for artist in [*ax.lines, *ax.texts]:
                    artist.set_color(REFERENCE_COLOR)
                ax.set_prop_cycle(None)      # the live run always gets the first colour
        label = self._label(history.config)
        plots.plot_loss([history], [label], ax=axes[0])
        plots.plot_accuracy([history], [label], ax=axes[1])
        if history.config.iterations:
            for ax in axes:
                ax.set_xlim(0, history.config.iterations)   # stable axis while it grows
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
