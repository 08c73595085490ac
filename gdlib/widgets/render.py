"""Figures as PNG bytes for image widgets: thread-safe, and sharp on high-density screens.

Widgets never touch pyplot: each figure is a ``matplotlib.figure.Figure`` on
its own Agg canvas, so a training thread can draw while the kernel handles
slider events.  Figures are rendered at ``SCALE`` times the pixels they are
shown at (``DISPLAY_DPI`` px per inch on screen), and the image widget is
given the 1x width, so a 2x ("retina") screen shows every pixel and a 1x
screen scales down.  Pictures of a run in progress are JPEG (fastest to make);
a finished run's picture is a PNG of a palette of ``COLORS`` colours: a third
of the bytes of a full-colour PNG, and decoded faster by the browser, which a
reader feels each time a setting comes back from the cache.  Live pictures
quantize fast (an octree); the
precomputed images of the HTML book are made once, so they favour size
(``best``: median cut, then the densest compression).
"""

import base64
import html
import io

import ipywidgets as w
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, PngImagePlugin

from ..plots import TEXT_KEY, smallest_text

__all__ = ["DISPLAY_DPI", "SCALE", "COLORS", "new_figure", "to_png", "to_jpeg",
           "image_widget", "static_image"]

DISPLAY_DPI = 72       # CSS pixels per figure inch on screen
SCALE = 2              # rendered pixels per CSS pixel
COLORS = 128           # palette of a finished picture: smooth antialiasing, a third the bytes


def new_figure(figsize, scale=SCALE):
    """A Figure of ``figsize`` inches with its own Agg canvas (no pyplot, no global state),
    rendered at ``scale`` pixels per CSS pixel."""
    fig = Figure(figsize=figsize, dpi=DISPLAY_DPI * scale)
    FigureCanvasAgg(fig)
    return fig


def _pixels(fig, draw):
    canvas = fig.canvas
    if draw:
        canvas.draw()
    return Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(),
                            "raw", "RGBA", 0, 1).convert("RGB")


def to_png(fig, compress_level=1, draw=True, colors=None, best=False):
    """PNG bytes of ``fig`` at its full (2x) resolution.

    ``draw=False`` encodes what the canvas holds already (after a blit).  One
    draw and one encoding: ``savefig`` would draw the figure a second time.
    ``colors``: a palette of at most that many colours (no dithering), found by
    a fast octree; ``best``: by median cut, with the densest compression (slow:
    for the precomputed images a page carries, about 2.5x smaller than full colour).
    The PNG says the size of its smallest text (``plots.TEXT_KEY``) for the look tests.
    """
    image = _pixels(fig, draw)
    buf = io.BytesIO()
    if colors:
        method = Image.Quantize.MEDIANCUT if best else Image.Quantize.FASTOCTREE
        image = image.quantize(colors=colors, method=method, dither=Image.Dither.NONE)
    info = PngImagePlugin.PngInfo()
    text = smallest_text(fig)
    if text is not None:
        info.add_text(TEXT_KEY, f"{text:.2f}")
    if best:
        image.save(buf, format="png", optimize=True, pnginfo=info)
    else:
        image.save(buf, format="png", compress_level=compress_level, pnginfo=info)
    return buf.getvalue()


def to_jpeg(fig, draw=True, quality=90):
    """JPEG bytes of ``fig`` (no chroma subsampling, so thin coloured lines stay crisp):
    several times faster to make than a PNG (``benchmarks/widgets.py`` prints both), for
    redraws while a slider moves."""
    buf = io.BytesIO()
    _pixels(fig, draw).save(buf, format="jpeg", quality=quality, subsampling=0)
    return buf.getvalue()


def static_image(figsize, png, alt):
    """An HTML widget holding ``png`` as an ``<img>`` with alt text ``alt``, shown like
    ``image_widget``: for a page without a kernel (an Image widget has no alt text,
    and its tooltip breaks the HTML widget manager's image view)."""
    width = round(figsize[0] * DISPLAY_DPI)
    source = base64.b64encode(png).decode("ascii")
    return w.HTML(f'<img src="data:image/png;base64,{source}" alt="{html.escape(alt)}" '
                  f'style="width: {width}px; max-width: 100%; height: auto">')


def image_widget(figsize, value=b""):
    """An Image widget shown at the 1x width of a ``figsize`` figure (and never wider
    than its container), holding ``value``."""
    width = round(figsize[0] * DISPLAY_DPI)
    return w.Image(value=value, format="png",
                   layout=w.Layout(width=f"{width}px", max_width="100%", height="auto"))
