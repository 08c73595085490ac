"""ipywidgets panels: live in a reader's kernel, precomputed in the HTML book.

``panel``     ``TrainingPanel``: sliders that retrain the MNIST network (in a thread)
``figure``    the panel's figure (loss left, accuracy right), drawn by every form of it
``labels``    a run's legend label and the sentence on what a setting trains
``controls``  a panel's sliders and dropdowns, and the TrainConfig their values make
``cores``     the thread policy: BLAS threads of a live run, one thread for stored runs
``explorer``  ``Explorer``: optimizer paths on the 2-D toy surfaces, redrawn as a slider moves
``static``    the precomputed form: sliders jslinked to Stacks of images, no kernel needed
``show``      ``PanelSpec``/``ExplorerSpec``, ``panel_for`` and ``show_panel``
``render``    figures as PNG/JPEG bytes (Agg, thread-safe, 2x pixels)

Which form ``show_panel`` displays is set by ``GDLIB_WIDGETS`` (``static`` in
``make book``; live otherwise).  The book's own specs are in ``gdlib.paper.panels``.
"""

from .controls import CONTROLS
from .explorer import Explorer, ToySetting
from .panel import TrainingPanel
from .show import MODE_ENV, Axis, ExplorerSpec, PanelSpec, panel_for, show_panel, static_mode

__all__ = ["TrainingPanel", "CONTROLS", "Explorer", "ToySetting", "Axis", "PanelSpec",
           "ExplorerSpec", "panel_for", "show_panel", "static_mode", "MODE_ENV"]
