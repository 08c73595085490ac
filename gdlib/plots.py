"""Matplotlib figures drawn from recorded ``History`` objects and trajectories.

Plots only draw data: nothing here trains.  Conventions of every training
figure in the book: the raw per-iteration loss faint, a moving average solid
on top (noise hides the trend at small batch sizes), test accuracy in a second
panel, and a diverged run drawn up to its last finite iteration and marked
with a cross.
"""

import re

import matplotlib.pyplot as plt
import numpy as np

from .metrics import default_window, smooth

__all__ = ["use_book_style", "BOOK_STYLE", "TEXT_KEY", "smallest_text", "line_style", "greek",
           "plot_training", "plot_loss", "plot_accuracy", "plot_test_loss", "plot_seed_spread",
           "plot_seed_spreads", "plot_layer_rates", "plot_trajectories"]


# Sizes chosen for figures about 10 inches wide shown in a 700-800 px column: the
# smallest text (10 pt) is drawn 9 CSS px high or more where the column is 690 px
# wide, as at a 1280 px window (tests/test_book_looks.py measures it).
BOOK_STYLE = {
    "font.size": 11, "axes.titlesize": 11, "axes.labelsize": 11, "legend.fontsize": 10,
    "xtick.labelsize": 10, "ytick.labelsize": 10, "figure.dpi": 100, "savefig.dpi": 200,
    "figure.figsize": (9.0, 3.8), "axes.grid": True, "grid.alpha": 0.3,
}


# The PNG text chunk that carries an image's smallest text, in the image's own pixels:
# the book's look tests read it and scale it to the size the page draws the image at.
TEXT_KEY = "gdlib:smallest-text-px"


def smallest_text(fig, dpi=None):
    """The height of the smallest text ``fig`` shows, in pixels of an image of it rendered
    at ``dpi`` (default ``fig.dpi``): font size in points times dpi / 72.  ``None`` when
    the figure shows no text."""
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip()]
    return min(sizes) * (dpi or fig.dpi) / 72 if sizes else None


# Beyond five curves colours alone are hard to tell apart (and one may hide another):
# the lines then cycle through these styles as well.
LINE_STYLES = ("-", "--", "-.", ":")
MANY_CURVES = 5


def line_style(i, n):
    """The line style of curve ``i`` of ``n`` in one axes: solid, unless there are more
    than ``MANY_CURVES``."""
    return "-" if n <= MANY_CURVES else LINE_STYLES[i % len(LINE_STYLES)]


def use_book_style():
    """Set matplotlib's defaults to the book's figure style (``BOOK_STYLE``)."""
    plt.rcParams.update(BOOK_STYLE)


def greek(label):
    """A run's label as the text writes it: ``"eta = 0.1"`` becomes ``"η = 0.1"``, gamma ``γ``."""
    return re.sub(r"\bgamma\b", "γ", re.sub(r"\beta\b", "η", str(label)))


def _axes(ax, **subplots):
    if ax is None:
        _, ax = plt.subplots(**subplots)
    return ax


def plot_loss(histories, labels, ax=None, window=None, raw=True, logy=True):
    """Training loss against iteration, one line per History."""
    ax = _axes(ax, figsize=(6, 4))
    for i, (h, label) in enumerate(zip(histories, map(greek, labels), strict=True)):
        it = np.arange(len(h.loss))
        w = window or default_window(max(len(h.loss), 1))
        ls = line_style(i, len(histories))
        if raw and w > 1:
            faint, = ax.plot(it, h.loss, lw=0.5, alpha=0.25)
            line, = ax.plot(it, smooth(h.loss, w), lw=1.6, color=faint.get_color(), label=label,
                            ls=ls)
        else:
            line, = ax.plot(it, h.loss, lw=1.4, label=label, ls=ls)
        if h.diverged:
            _mark_divergence(ax, h, line.get_color())
    ax.set_xlabel("iteration")
    ax.set_ylabel("training loss (cross-entropy)" if _is_ce(histories) else "training loss")
    if logy and any(len(h.loss) for h in histories):   # nothing to draw: a log axis fails
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def _is_ce(histories):
    return all(h.config.loss == "cross_entropy" for h in histories)


def _mark_divergence(ax, h, color):
    last = len(h.loss) - 1
    y = h.loss[last] if last >= 0 else np.nan
    if last < 0 or not np.isfinite(y):
        ax.axvline(h.diverged_at, color=color, ls=":", lw=1)
        return
    ax.plot([last], [y], marker="x", ms=10, mew=2, color=color)
    ax.annotate(f"diverged at {h.diverged_at}", (last, y), textcoords="offset points",
                xytext=(5, 5), color=color, fontsize=10)


def plot_accuracy(histories, labels, ax=None):
    """Test accuracy at the evaluation points, one line per History."""
    return _plot_evaluations(histories, labels, "test_acc", "test accuracy", ax)


def plot_test_loss(histories, labels, ax=None, logy=True):
    """Test loss at the evaluation points, one line per History: where it turns up while
    the training loss still falls, the network fits its training images better than new ones."""
    ax = _plot_evaluations(histories, labels, "test_loss", "test loss", ax)
    if logy and any(len(h.test_loss) for h in histories):
        ax.set_yscale("log")
    return ax


def _plot_evaluations(histories, labels, field, ylabel, ax):
    ax = _axes(ax, figsize=(6, 4))
    for i, (h, label) in enumerate(zip(histories, map(greek, labels), strict=True)):
        ax.plot(h.eval_iter, getattr(h, field), marker=".", label=label,
                ls=line_style(i, len(histories)))
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def plot_training(histories, labels, title=None, window=None, logy=True, test_loss=False):
    """The book's standard figure: training loss (left) and test accuracy (right); with
    ``test_loss``, the test loss between them."""
    panels = 3 if test_loss else 2
    fig, axes = plt.subplots(1, panels, figsize=(10, 3.6 if test_loss else 3.8),
                             constrained_layout=True)
    plot_loss(histories, labels, ax=axes[0], window=window, logy=logy)
    if test_loss:
        plot_test_loss(histories, labels, ax=axes[1], logy=logy)
    plot_accuracy(histories, labels, ax=axes[-1])
    if title:
        fig.suptitle(title)
    return fig


def plot_seed_spread(groups, ax=None, window=None, logy=True, test=False):
    """Mean smoothed training loss over seeds with a band of +/- one standard deviation.

    ``groups`` maps a label to a list of Histories of the same config but for
    the seed; runs that diverged are left out of the band and counted in the label.
    With ``test``, the test loss at the evaluation points instead.
    """
    ax = _axes(ax, figsize=(6, 4))
    for i, (label, runs) in enumerate(groups.items()):
        label, ls = greek(label), line_style(i, len(groups))
        ok = [h for h in runs if not h.diverged]
        note = f" ({len(runs) - len(ok)} of {len(runs)} diverged)" if len(ok) < len(runs) else ""
        if not ok:
            ax.plot([], [], label=label + note, ls=ls)
            continue
        if test:
            n = min(len(h.test_loss) for h in ok)
            x, curves = ok[0].eval_iter[:n], np.array([h.test_loss[:n] for h in ok])
        else:
            n = min(len(h.loss) for h in ok)
            w = window or default_window(n)
            x, curves = np.arange(n), np.array([smooth(h.loss[:n], w) for h in ok])
        mean, std = curves.mean(axis=0), curves.std(axis=0)
        line, = ax.plot(x, mean, label=f"{label} ({len(ok)} seeds){note}", ls=ls)
        ax.fill_between(x, np.maximum(mean - std, 1e-12), mean + std,
                        color=line.get_color(), alpha=0.2)
    ax.set_xlabel("iteration")
    ax.set_ylabel("test loss" if test else "smoothed training loss")
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def plot_seed_spreads(groups, window=None):
    """``plot_seed_spread`` of the training loss (left) beside that of the test loss (right)."""
    fig, (ax_train, ax_test) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    plot_seed_spread(groups, ax=ax_train, window=window)
    plot_seed_spread(groups, ax=ax_test, test=True)
    return fig


def plot_layer_rates(rates, title_of=None):
    """Each weight matrix's learning rates over a run, one panel per layer, for every method.

    ``rates`` maps a method's label to ``gdlib.rates.layer_rates(history)`` (layer name ->
    ``LayerRates``): the median as a line, the 10th to 90th percentile as a band, on a
    log scale.  ``title_of`` names a panel from its layer (default: the layer's name).
    """
    layers = list(next(iter(rates.values())))
    fig, axes = plt.subplots(1, len(layers), figsize=(10, 3.8), sharey=True,
                             constrained_layout=True)
    for i, (label, by_layer) in enumerate(rates.items()):
        ls = line_style(i, len(rates))
        for ax, layer in zip(axes, layers, strict=True):
            r = by_layer[layer]
            line, = ax.plot(r.iterations, r.median, ls=ls, label=greek(label))
            ax.fill_between(r.iterations, r.low, r.high, color=line.get_color(), alpha=0.15)
    for ax, layer in zip(axes, layers, strict=True):
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_title(title_of(layer) if title_of else layer)
    axes[0].set_ylabel("learning rate of a weight")
    axes[0].legend()
    return fig


def plot_trajectories(surface, paths, ax=None, levels=30):
    """Contours of a ``toy.Surface`` with one optimizer path per entry of ``paths``
    (label -> ``toy.Trajectory``, or an array of points)."""
    ax = _axes(ax, figsize=(7, 4))
    xs = np.linspace(*surface.xlim, 300)
    ys = np.linspace(*surface.ylim, 300)
    X, Y = np.meshgrid(xs, ys)
    Z = surface.f(X, Y)
    ax.contour(X, Y, np.log1p(Z - Z.min()), levels=levels, colors="0.75", linewidths=0.6)
    for label, path in paths.items():
        label = greek(label)
        pts = getattr(path, "points", path)
        ax.plot(pts[:, 0], pts[:, 1], ".-", ms=3, lw=1, label=f"{label} ({len(pts) - 1} steps)")
    ax.plot(*surface.minimum, marker="*", ms=12, color="k", ls="none", label="minimum")
    ax.set_xlim(surface.xlim)
    ax.set_ylim(surface.ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=10)
    return ax
