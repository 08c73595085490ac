"""The panel's figure: training loss (left) and test accuracy (right) of one run.

``render_training(history, label, references)`` draws the book's standard panel
figure (``FIGSIZE``) with ``plots``; the live panel, the precomputed (static)
form and the stored grids' pictures all draw it here, so they look alike.
References are grey: pins dashed (``REFERENCE_COLOR``), stored runs told apart by
shade and style (``REFERENCE_STYLES``); legends at ``LEGEND_SIZE``; the loss axis
writes its ticks plainly (``PLAIN``, ``PlainMinor``).  ``grid_limits`` fixes both axes
over a panel's grid, so that moving a slider compares like with like.
"""

import math

import numpy as np
from matplotlib.ticker import Formatter, FuncFormatter

from .. import plots
from ..metrics import default_window, smooth
from .render import SCALE, new_figure

__all__ = ["render_training", "FIGSIZE", "REFERENCE_COLOR", "REFERENCE_STYLES", "LEGEND_SIZE",
           "PLAIN", "PlainMinor", "Limits", "grid_limits"]

FIGSIZE = (10.0, 3.6)               # inches; shown 720 px wide
REFERENCE_COLOR = "0.6"             # grey: stored runs (solid) and pins (dashed)
# stored references told apart by shade and line style (chapter 8 shows two)
REFERENCE_STYLES = (("0.45", "-"), ("0.6", ":"), ("0.35", "-."), ("0.7", (0, (5, 1))))
LEGEND_SIZE = 9.5                   # points: 9 CSS px or more where the panel is 690 px wide
PLAIN = FuncFormatter(lambda y, _: f"{y:.3g}")


class PlainMinor(Formatter):
    """Labels of a log axis's minor ticks, written like ``PLAIN``: all of them while the
    axis spans at most half a decade, else only 2, 3 and 5 times a power of ten (every
    minor tick of a decade overlaps its neighbours near the top of the decade)."""

    def __call__(self, y, pos=None):
        low, high = sorted(self.axis.get_view_interval())
        if y > 0 and low > 0 and math.log10(high / low) > 0.5:
            mantissa = y / 10 ** math.floor(math.log10(y) + 1e-9)
            if round(mantissa) not in (2, 3, 5):
                return ""
        return f"{y:.3g}"


class Limits(tuple):
    """``(loss_low, loss_high, accuracy_low)``: the y-axes of a panel's figure."""

    def __new__(cls, loss_low, loss_high, accuracy_low):
        return super().__new__(cls, (float(loss_low), float(loss_high), float(accuracy_low)))

    def union(self, other):
        return Limits(min(self[0], other[0]), max(self[1], other[1]), min(self[2], other[2]))


def grid_limits(histories):
    """The y-axes that hold every run of ``histories`` (a panel's grid and its references).

    Loss: from the lowest point of the smoothed curves (the faint raw batch losses may
    dip below it) to the largest finite training loss, on the log axis the figure draws;
    a diverged run's loss beyond twice the largest first loss of the grid is left off the
    top (its cross marks where it left).  Accuracy: from the lowest test
    accuracy to 1.  ``None`` when no run has a finite loss.
    """
    losses = [np.asarray(h.loss, dtype=float) for h in histories if len(h.loss)]
    finite = [x[np.isfinite(x) & (x > 0)] for x in losses]
    finite = [x for x in finite if len(x)]
    if not finite:
        return None
    ceiling = 2 * max(x[0] for x in finite)
    low = min(smooth(x, default_window(len(x))).min() for x in finite)
    high = max(x[x <= ceiling].max(initial=x[0]) for x in finite)
    accuracies = [a for h in histories for a in h.test_acc if np.isfinite(a)]
    return Limits(low, high, min(accuracies, default=0.0))


def _apply_limits(ax_loss, ax_acc, limits):
    low, high, acc_low = limits
    ax_loss.set_ylim(low / 1.15, high * 1.15)                 # a log axis: margins by factor
    ax_acc.set_ylim(max(acc_low - 0.03, 0.0), 1.005)


LAYOUT = dict(left=0.08, right=0.975, bottom=0.14, top=0.97, wspace=0.22)


def render_training(history, label, references=(), fig=None, scale=SCALE, limits=None):
    """The panel's figure: loss (left) and test accuracy (right) of ``history``.

    ``references`` are ``(label, History, dashed)`` drawn first, in grey.
    ``fig``: a figure this function returned before, drawn again in place: its
    axes and their ticks are kept (creating them is half the time of a redraw)
    and everything else is drawn anew, so the picture is the one a new figure
    shows.  ``scale``: pixels per CSS pixel of a new figure (2: sharp on a
    high-density screen).  ``limits``: the ``Limits`` of the y-axes (``grid_limits`` of
    the panel's grid), or ``None`` to fit this run.  Returns the Figure (not yet
    drawn); ``render.to_png`` encodes it.
    """
    if fig is None:
        fig = new_figure(FIGSIZE, scale)
        fig.subplots(1, 2, gridspec_kw=LAYOUT)
    else:
        _clear(fig)
    ax_loss, ax_acc = fig.axes
    stored = 0
    for ref_label, ref, dashed in references:
        first = (len(ax_loss.lines), len(ax_loss.texts), len(ax_acc.lines))
        plots.plot_loss([ref], [ref_label], ax=ax_loss)
        plots.plot_accuracy([ref], [ref_label], ax=ax_acc)
        color, style = (REFERENCE_COLOR, "--") if dashed else \
            REFERENCE_STYLES[stored % len(REFERENCE_STYLES)]
        stored += not dashed
        for artist in [*ax_loss.lines[first[0]:], *ax_loss.texts[first[1]:],
                       *ax_acc.lines[first[2]:]]:
            artist.set_color(color)
            if hasattr(artist, "set_linestyle"):
                artist.set_linestyle(style)
    for ax in (ax_loss, ax_acc):
        ax.set_prop_cycle(None)          # the live run always gets the first colour
    plots.plot_loss([history], [label], ax=ax_loss)
    plots.plot_accuracy([history], [label], ax=ax_acc)
    total = history.config.iterations or max(history.iterations, 1)
    ax_loss.yaxis.set_major_formatter(PLAIN)   # 2.2, not 2.2 x 10^0: short labels keep
    ax_loss.yaxis.set_minor_formatter(PlainMinor())   # the y label in the figure
    for ax, where in ((ax_loss, "upper right"), (ax_acc, "lower right")):
        ax.set_xlim(0, total)            # a stable axis while the run grows
        ax.set_xlabel("update (iteration)")
        ax.legend(loc=where, fontsize=LEGEND_SIZE)
    if limits is not None:
        _apply_limits(ax_loss, ax_acc, limits)
    return fig


def _clear(fig):
    """Take the runs off ``fig``'s axes and put the axes back as ``subplots`` made them."""
    for ax in fig.axes:
        for artist in [*ax.lines, *ax.texts, *ax.collections, *ax.patches]:
            artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        ax.set_yscale("linear")
        ax.relim()                       # no data limits, and the view limits of a new axes
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.autoscale(True)
        ax.set_prop_cycle(None)
