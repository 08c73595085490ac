"""The panel's figure: training loss (left) and test accuracy (right) of one run.

``render_training(history, label, references)`` draws the book's standard panel
figure (``FIGSIZE``) with ``plots``; the live panel, the precomputed (static)
form and the stored grids' pictures all draw it here, so they look alike.
References are grey: pins dashed (``REFERENCE_COLOR``), stored runs told apart by
shade and style (``REFERENCE_STYLES``); legends at ``LEGEND_SIZE``; the loss axis
writes its ticks plainly (``PLAIN``, ``PlainMinor``).
"""

import math

from matplotlib.ticker import Formatter, FuncFormatter

from .. import plots
from .render import SCALE, new_figure

__all__ = ["render_training", "FIGSIZE", "REFERENCE_COLOR", "REFERENCE_STYLES", "LEGEND_SIZE",
           "PLAIN", "PlainMinor"]

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


LAYOUT = dict(left=0.08, right=0.975, bottom=0.14, top=0.97, wspace=0.22)


def render_training(history, label, references=(), fig=None, scale=SCALE):
    """The panel's figure: loss (left) and test accuracy (right) of ``history``.

    ``references`` are ``(label, History, dashed)`` drawn first, in grey.
    ``fig``: a figure this function returned before, drawn again in place: its
    axes and their ticks are kept (creating them is half the time of a redraw)
    and everything else is drawn anew, so the picture is the one a new figure
    shows.  ``scale``: pixels per CSS pixel of a new figure (2: sharp on a
    high-density screen).  Returns the Figure (not yet drawn); ``render.to_png``
    encodes it.
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
