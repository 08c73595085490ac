"""A panel's controls: one ipywidget per TrainConfig field, and the config their values make.

``control(name, base)`` is the slider or dropdown for one of ``CONTROLS``,
starting at ``base``'s value; ``config_for(base, values)`` the ``TrainConfig``
that the controls' values describe (one config per run, whatever the idle
sliders say).
"""

import ipywidgets as w

from ..train import OPTIMIZERS
from .labels import optimizer_uses, title, window_of

__all__ = ["CONTROLS", "BATCH_SIZES", "control", "config_for"]

CONTROLS = ("optimizer", "lr", "momentum", "window", "batch_size")
BATCH_SIZES = (1, 32, 256)          # 1 is the paper's stochastic gradient descent (eq. 7)


def config_for(base, values, presets=None):
    """The TrainConfig of control ``values`` (name -> value) on top of ``base``.

    ``presets`` (optimizer -> {field: value}) are applied first for the chosen
    optimizer, then ``values``.  A value for a field the optimizer does not use
    (momentum for AdaGrad, the window for SGD) is left out, so one run has one
    config whatever the idle sliders say.  The window sets ``window`` and clears
    ``gamma`` (give one, not both; eq. 13 ties them).  Raises ``ValueError`` for
    a setting train cannot run.
    """
    optimizer = values.get("optimizer", base.optimizer)
    changes = {**(presets or {}).get(optimizer, {}), **values}
    changes = {k: v for k, v in changes.items() if optimizer_uses(optimizer, k)}
    if changes.get("window") is not None:
        changes["gamma"] = None
    return base.replace(**changes)


def control(name, base, optimizers=None):
    """The widget for one TrainConfig field, starting at ``base``'s value."""
    wide = {"style": {"description_width": "9em"}, "layout": w.Layout(width="430px")}
    slider = {"continuous_update": False, **wide}
    if name == "lr":
        return w.FloatLogSlider(value=base.lr, base=10, min=-4, max=0.5, step=0.05,
                                readout_format=".2g", description="learning rate η", **slider)
    if name == "momentum":
        return w.FloatSlider(value=base.momentum, min=0.0, max=0.99, step=0.01,
                             description="momentum", **slider)
    if name == "window":
        return w.IntSlider(value=round(window_of(base)), min=1, max=100,
                           description="window n", **slider)
    if name == "batch_size":
        return w.Dropdown(options=sorted({*BATCH_SIZES, base.batch_size}),
                          value=base.batch_size, description="batch size", **wide)
    if name == "optimizer":
        return w.Dropdown(options=[(title(k), k) for k in optimizers or OPTIMIZERS],
                          value=base.optimizer, description="optimizer", **wide)
    raise ValueError(f"controls must be among {CONTROLS}, got {name!r}")
