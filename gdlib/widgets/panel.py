"""The live MNIST panel: sliders that retrain the network and redraw its curves.

``TrainingPanel(data, base, controls=...)`` shows ipywidgets controls for some
fields of a ``TrainConfig`` (``CONTROLS``), a line saying what one setting
trains, a status line and the book's standard figure (training loss left, test
accuracy right).  Moving a control trains ``config_for(base, values)`` in a
background thread, so the kernel keeps receiving slider events while it
works; the run redraws as it goes and stops as soon as a newer request
arrives.  What it shows is exactly ``train(config, data)``: the widgets call
``train`` and ``plots`` and compute nothing themselves.

* One worker thread per panel at most, started on demand and ended when idle:
  never two trainings at once, no thread left behind.  Every request bumps a
  generation number; a run whose generation is stale stops after its current
  iteration, and a queued request that was overtaken never starts.
* Finished runs (and their final images) are kept in a small LRU cache: a
  setting seen before comes back at once, from the kernel thread.
* ``pin`` keeps the latest finished run as a grey, dashed reference; ``clear
  pins`` drops them.  ``compare`` adds fixed grey references (stored runs).
* Divergence and invalid settings are reported in words in the status line;
  nothing raises out of a slider.

Figures are drawn with the Agg canvas of ``render`` (thread-safe), two per panel:
a run in progress at 1x pixels, a finished run at 2x; each is drawn again in place
for the next picture (``figure.render_training(fig=...)``).  The figure, the labels,
the controls and the thread policy are modules of their own (``figure``,
``labels``, ``controls``, ``cores``), which the static form and the explorer use
without this one.

This module is longer than the others (about 400 lines) for one reason: a
``TrainingPanel``'s requests, worker thread, cache, pins and widgets share one
lock and one generation number, and each method reads or changes that state;
split over modules, each part would reach into the others' private state.
"""

import math
import threading
import time
from collections import OrderedDict

import ipywidgets as w

from ..optimizers import gamma_from_window
from ..train import make_optimizer, train
from .controls import CONTROLS, config_for, control
from .cores import BlasThreads
from .figure import FIGSIZE, grid_limits, render_training
from .labels import describe_training, effective_rate, optimizer_uses, run_label
from .render import COLORS, SCALE, image_widget, to_jpeg, to_png

__all__ = ["TrainingPanel", "CONTROLS", "config_for"]

MAX_PINS = 6
CACHE_SIZE = 32                     # finished runs kept, with their final images
FIRST_REDRAW = 4                    # iterations of a new run before its first picture
REDRAW_SECONDS = 1.5                # then one redraw per this many seconds of training,
LAST_REDRAW = 0.5                   # unless the run should end within this many seconds
# Pictures of a run in progress are drawn at 1x and sent as JPEG (a fraction of a 2x
# PNG's time: benchmarks/widgets.py); a finished run's picture is a 2x PNG of a palette
# (render.COLORS), quick for the browser to decode when it comes back from the cache.
# Redraws happen in the training thread, between iterations: drawn from another
# thread they fight the training for the GIL and slow the run down.


def progress_due(done, total, elapsed, since_last):
    """Whether a run that has made ``done`` of its ``total`` updates in ``elapsed`` s, its
    latest picture ``since_last`` s ago (None: none yet), shows a picture of its progress
    now: after ``FIRST_REDRAW`` updates, then every ``REDRAW_SECONDS``, but not when the
    run should end within ``LAST_REDRAW`` s (its final picture comes then)."""
    if done >= total:
        return False
    if since_last is None:
        return done == FIRST_REDRAW
    return since_last >= REDRAW_SECONDS and elapsed / done * (total - done) >= LAST_REDRAW


class _Entry:
    """A finished run in the cache, with its final image for one set of references."""

    __slots__ = ("history", "png", "refs_version")

    def __init__(self, history, png, refs_version):
        self.history, self.png, self.refs_version = history, png, refs_version


class TrainingPanel:
    """Controls, a status line and a live figure for one training configuration.

    ``data``      a ``gdlib.data.Dataset`` (or any object with x/t_train/test)
    ``base``      the ``TrainConfig`` the controls modify; keep runs short
                  (``iterations`` ~200, ``eval_every`` 40, ``eval_size`` 2000)
    ``controls``  which of ``CONTROLS`` to show; ``"window"`` sets ``config.window``
                  (and ``gamma=None``), shown with its gamma (eq. 13); ``"momentum"``
                  is shown with the effective rate eta/(1 - momentum)
    ``note``      a sentence shown under the controls: how these short runs differ
                  from the chapter's full ones
    ``compare``   Histories (list, or dict label -> History) drawn in grey
    ``presets``   optimizer -> {field: value} set when the optimizer control picks
                  it (for example Adadelta's eta = 1), one retrain for both changes
    ``optimizers`` the optimizer control's choices (default: all of ``OPTIMIZERS``)
    ``cache``     Histories to start the cache with (e.g. a stored grid of this panel)
    ``autostart`` show (train, or take from the cache) the initial values right away

    ``panel.widget`` is the ipywidgets container; ``panel.history`` the latest
    finished History shown (diverged runs count), ``panel.cancelled`` the latest
    run stopped by a newer request, ``panel.error`` the exception of the latest
    request that could not run (shown in the status line, never raised);
    ``panel.trainings`` counts the runs trained (not taken from the cache);
    ``panel.blas_seconds`` says how long the latest one ran on how many BLAS
    threads (``cores.BlasThreads``: a second one only while the cores are free).
    """

    def __init__(self, data, base, *, controls=("lr",), note="", compare=None, presets=None,
                 optimizers=None, cache=(), autostart=True):
        self.data, self.base, self.note = data, base, note
        names = (controls,) if isinstance(controls, str) else tuple(dict.fromkeys(controls))
        self.controls = {name: control(name, base, optimizers) for name in names}
        self.presets = dict(presets or {})
        if self.presets and "optimizer" not in self.controls:
            raise ValueError("presets need the 'optimizer' control")
        self.references = dict(compare) if isinstance(compare, dict) else {
            f"stored: {run_label(h.config, ('optimizer', *names))}": h for h in (compare or ())}
        self.pins = []                            # (label, History), oldest first
        self.history = self.cancelled = self.error = None
        self.trainings = 0
        self.blas_seconds = {}                    # BLAS threads -> seconds, of the last run
        self._cache = OrderedDict()               # TrainConfig -> _Entry
        for h in cache:
            self._cache[h.config] = _Entry(h, None, -1)
        # the axes of the stored grid and the references, widened only by a run outside them
        self._limits = grid_limits([*(e.history for e in self._cache.values()),
                                    *self.references.values()])
        self._refs_version = 0
        self._generation, self._pending, self._worker = 0, None, None
        self._lock = threading.RLock()
        self._drawing = threading.Lock()         # the figures, drawn again for each picture
        self._figures = {}                        # final (True/False) -> Figure
        self._applying = False                    # True while presets move controls

        self.readouts = {name: w.Label() for name in ("momentum", "window") if name in names}
        self.pin_button = w.Button(description="pin", icon="",
                                   tooltip="keep the latest finished run as a grey reference")
        self.clear_button = w.Button(description="clear pins", tooltip="drop every pinned run")
        self.pin_button.on_click(lambda _: self.pin())
        self.clear_button.on_click(lambda _: self.clear_pins())
        self.what = w.HTML()
        self.status = w.Label()
        self.status.add_class("gdlib-panel-status")
        self.image = image_widget(FIGSIZE)
        rows = [w.HBox([c, self.readouts[n]]) if n in self.readouts else c
                for n, c in self.controls.items()]
        self.widget = w.VBox([*rows, w.HBox([self.pin_button, self.clear_button]),
                              self.what, self.status, self.image])
        self._update_readouts()
        self._describe(None)
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        if autostart:
            self.start()

    def __repr__(self):
        return (f"TrainingPanel({self.base.optimizer}, controls={list(self.controls)}, "
                f"history={self.history!r})")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- requests ------------------------------------------------------------------
    def values(self):
        return {name: c.value for name, c in self.controls.items()}

    def config(self):
        """The TrainConfig the controls describe now (``ValueError`` if train would
        refuse it, including hyperparameters its optimizer rejects)."""
        config = config_for(self.base, self.values(), self.presets)
        make_optimizer(config)
        return config

    def start(self):
        """Show the current values: from the cache at once, else train them (in a thread)."""
        try:
            config, error = self.config(), None
        except (ValueError, TypeError) as e:
            config, error = None, e
        self._describe(config)
        self._request(config, error)

    def _request(self, config, error=None):
        """Make ``config`` the newest request: answer it from the cache or queue it."""
        with self._lock:
            self._generation += 1
            entry = self._cache.get(config) if config is not None else None
            if entry is not None and entry.png is not None \
                    and entry.refs_version == self._refs_version:
                self._pending = None              # a running training sees it is stale
                self._cache.move_to_end(config)
                self._show_final(entry.history, entry.png, cached=True)
                return
            self._pending = (self._generation, config, error)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, daemon=True,
                                                name=f"gdlib-training-{id(self):x}")
                self._worker.start()

    def stop(self):
        """Cancel the running training (it stops after its current iteration)."""
        with self._lock:
            self._generation += 1
            self._pending = None

    def wait(self, timeout=None):
        """Block until no request is running or queued (or ``timeout`` s); return ``history``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                worker = self._worker
            if worker is None:
                return self.history
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return self.history
            worker.join(remaining)

    def busy(self):
        """True while a request is being trained or waits to be."""
        with self._lock:
            return self._worker is not None

    # -- pins ----------------------------------------------------------------------
    def pin(self):
        """Keep the latest finished run as a grey dashed reference (at most ``MAX_PINS``)."""
        if self.history is None:
            self.status.value = "nothing to pin yet: no run has finished"
            return
        label = f"pin: {run_label(self.history.config, self._fields())}"
        with self._lock:
            if any(h is self.history for _, h in self.pins):
                return
            self.pins = [*self.pins, (label, self.history)][-MAX_PINS:]
            self._refs_version += 1
        self._redraw_finished()

    def clear_pins(self):
        """Drop every pinned run."""
        with self._lock:
            if not self.pins:
                return
            self.pins = []
            self._refs_version += 1
        self._redraw_finished()

    def _redraw_finished(self):
        """Redraw the shown run with the new references (a running training does it itself)."""
        if not self.busy() and self.history is not None:
            self._request(self.history.config)

    def _fields(self):
        return tuple(self.controls) or ("lr",)

    def _reference_list(self):
        refs = [(label, h, False) for label, h in self.references.items()]
        return refs + [(label, h, True) for label, h in self.pins]

    # -- controls ------------------------------------------------------------------
    def _on_change(self, change):
        if self._applying:
            return
        if change["owner"] is self.controls.get("optimizer"):
            self._apply_preset(change["new"])
        self._update_readouts()
        self.start()

    def _apply_preset(self, optimizer):
        self._applying = True
        try:
            for name, value in self.presets.get(optimizer, {}).items():
                if name in self.controls:
                    self.controls[name].value = value
        finally:
            self._applying = False

    def _update_readouts(self):
        """Effective rate beside momentum (eq. 9), gamma beside the window (eq. 13);
        controls the chosen optimizer ignores are greyed out."""
        values = {"lr": self.base.lr, "momentum": self.base.momentum, **self.values()}
        if "momentum" in self.readouts:
            self.readouts["momentum"].value = (
                f"effective rate η/(1 − momentum) = "
                f"{effective_rate(values['lr'], values['momentum']):.3g}")
        if "window" in self.readouts:
            self.readouts["window"].value = (
                f"γ = 2/(n+1) = {gamma_from_window(values['window']):.3f}  (eq. 13)")
        optimizer = values.get("optimizer", self.base.optimizer)
        for name, c in self.controls.items():
            if name != "optimizer":
                c.disabled = not optimizer_uses(optimizer, name)

    def _describe(self, config):
        """The line saying what one setting trains (``config`` None: the controls' values)."""
        if config is None:
            try:
                config = self.config()
            except (ValueError, TypeError):
                config = self.base
        n_train, n_test = len(self.data.x_train), len(self.data.x_test)
        text = describe_training(config, n_train, n_test)
        self.what.value = f"<small>{text} {self.note}</small>"

    # -- the worker ----------------------------------------------------------------
    def _work(self):
        while True:
            with self._lock:
                job, self._pending = self._pending, None
                if job is None:
                    self._worker = None
                    return
            try:
                self._serve(*job)
            except Exception as e:           # a thread has no caller: say it on screen
                self._publish(job[0], status=f"training failed ({type(e).__name__}): {e}")

    def _current(self, generation):
        return generation == self._generation

    def _publish(self, generation, *, jpeg=None, status=None):
        """Show a progress picture and/or ``status`` if ``generation`` is still the
        newest request."""
        with self._lock:
            if not self._current(generation):
                return False
            if jpeg is not None:
                self._show_image(jpeg, "jpeg")
            if status is not None:
                self.status.value = status
            return True

    def _serve(self, generation, config, error):
        if error is not None:
            with self._lock:
                if self._current(generation):
                    self.error = error
                    self.status.value = f"cannot train this setting: {error}"
            return
        with self._lock:
            entry = self._cache.get(config)
        if entry is not None:
            self._finish(generation, entry.history, cached=True)
            return
        label = run_label(config, self._fields())
        self._publish(generation, status=f"training {label} …")
        start, last = time.monotonic(), [None]

        def callback(run):
            if not self._current(generation):
                return True
            blas.update()
            now = time.monotonic()
            since = None if last[0] is None else now - last[0]
            if progress_due(run.iteration + 1, config.iterations, now - start, since):
                self._publish(generation, jpeg=self._picture(run.history, final=False),
                              status=self._progress(run.history))
                last[0] = time.monotonic()
            return False

        with BlasThreads() as blas:
            history = train(config, self.data, callback=callback)
        self.blas_seconds = blas.seconds
        if history.stopped_at is not None:
            with self._lock:
                self.cancelled = history
                if self._pending is None:        # stopped by stop(), not by a newer request
                    self.status.value = (f"cancelled at update {history.stopped_at} "
                                         f"· {label}")
            return
        self.trainings += 1
        self._finish(generation, history, cached=False)

    def _finish(self, generation, history, *, cached):
        with self._lock:
            version = self._refs_version
        png = self._picture(history, final=True)
        with self._lock:
            self._cache[history.config] = _Entry(history, png, version)
            self._cache.move_to_end(history.config)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            if self._current(generation):
                self._show_final(history, png, cached=cached)

    def _show_final(self, history, png, *, cached):
        """Show a finished run (called with the lock held)."""
        self.history, self.error = history, None
        self._show_image(png, "png")
        self.status.value = self._summary(history) + (" (from the cache)" if cached else "")

    def _show_image(self, data, fmt):
        with self.image.hold_sync():          # one message: the bytes and their format
            self.image.format = fmt
            self.image.value = data

    def _picture(self, history, final):
        """``history`` drawn on one of the panel's two figures (each kept between
        redraws): a run in progress at 1x as JPEG, a finished run at 2x as a palette PNG."""
        with self._lock:
            refs = self._reference_list()
        label = run_label(history.config, self._fields())
        limits = self.limits(history, refs)
        with self._drawing:
            fig = self._figures[final] = render_training(
                history, label, refs, fig=self._figures.get(final), scale=SCALE if final else 1,
                limits=limits)
            return to_png(fig, colors=COLORS) if final else to_jpeg(fig)

    def limits(self, history, refs):
        """The y-axes of ``history``'s picture beside ``refs``: the stored grid's and the
        references' (fixed while the slider moves), widened only where this run leaves them."""
        limits = grid_limits([history, *(h for _, h, _ in refs)])
        if limits is not None and self._limits is not None:
            limits = limits.union(self._limits)
        return limits

    def _progress(self, history):
        n, total = history.iterations, history.config.iterations
        text = f"training {run_label(history.config, self._fields())}: update {n} of {total}"
        if n:
            text += f" · batch loss {history.loss[-1]:.4f}"
        return text + f" · test accuracy {history.test_acc[-1]:.4f} at update " \
                      f"{history.eval_iter[-1]}"

    def _summary(self, history):
        label = run_label(history.config, self._fields())
        if history.diverged:
            return (f"diverged at update {history.diverged_at}: the training loss passed "
                    f"{history.config.diverge_loss:g} or stopped being a number; a smaller η "
                    f"keeps it finite · {label}")
        loss = history.loss[-1] if history.iterations else math.nan
        return (f"done: {history.iterations} updates · batch loss {loss:.4f} · test accuracy "
                f"{history.test_acc[-1]:.4f} · {label}")
