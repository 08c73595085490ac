"""Each optimizer class is the one home of its vocabulary (issue 17, item 1).

Training, the panel's controls and labels, and the explorer read an optimizer's
key, title and hyperparameters from its class: a new optimizer is one class.
``test_a_new_optimizer_is_one_class`` defines a throw-away one and finds it in
all three places without any other change.
"""

import inspect
import math

import numpy as np
import pytest
from helpers import make_clusters

from gdlib import optimizers
from gdlib.optimizers import (
    DEFAULT_GAMMA,
    REGISTRY,
    Adadelta,
    Hyper,
    Momentum,
    Optimizer,
    RMSProp,
    gamma_from_window,
    window_from_gamma,
)
from gdlib.train import OPTIMIZERS, TrainConfig, make_optimizer, train
from gdlib.widgets import Explorer, ToySetting, TrainingPanel
from gdlib.widgets.controls import config_for
from gdlib.widgets.explorer import hyperparameters, toy_path
from gdlib.widgets.labels import run_label, window_of

PAPER = {"sgd": "SGD", "momentum": "Momentum", "adagrad": "AdaGrad", "rmsprop": "RMSProp",
         "adadelta": "Adadelta"}


def test_the_registry_holds_the_papers_methods_under_their_printed_names():
    assert {k: REGISTRY[k].title for k in PAPER} == PAPER
    assert OPTIMIZERS is REGISTRY


@pytest.mark.parametrize("key", sorted(PAPER))
def test_the_vocabulary_matches_the_signature(key):
    """Names, order and defaults of ``hyperparameters`` are the constructor's."""
    cls = REGISTRY[key]
    signature = inspect.signature(cls).parameters
    assert [h.name for h in cls.hyperparameters] == list(signature)
    for h in cls.hyperparameters:
        assert h.default == signature[h.name].default, (key, h.name)
        assert h.symbol, (key, h.name)


@pytest.mark.parametrize("key", sorted(PAPER))
def test_every_range_is_the_one_the_constructor_enforces(key):
    cls = REGISTRY[key]
    for h in cls.hyperparameters:
        outside = [h.low] if h.low_open else [h.low - 1]
        if h.high != math.inf:
            outside.append(h.high if h.high_open else h.high + 1)
        for value in outside:
            with pytest.raises(ValueError, match=rf"^{h.name} must"):
                cls(**{h.name: value})


def test_window_and_gamma_are_eq_13_both_ways():
    for n in (1, 3, 19, 99):
        assert window_from_gamma(gamma_from_window(n)) == pytest.approx(n)
    assert window_from_gamma(DEFAULT_GAMMA) == pytest.approx(19)
    assert window_of(TrainConfig(optimizer="rmsprop")) == window_from_gamma(DEFAULT_GAMMA)
    assert Adadelta().gamma == RMSProp().gamma == DEFAULT_GAMMA
    with pytest.raises(ValueError, match=r"gamma must lie in \(0, 1\]"):
        window_from_gamma(0.0)
    assert Momentum.effective_rate(0.01, 0.9) == pytest.approx(0.1)


def test_a_hyper_names_its_range_in_the_error():
    h = Hyper("beta", 0.5, "β", 0.0, 1.0)
    assert h.check(0.25) == 0.25
    with pytest.raises(ValueError, match=r"beta must lie in \(0, 1\), got 1"):
        h.check(1)
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got nan"):
        optimizers.LR.check(float("nan"))


@pytest.fixture
def half_step():
    """A throw-away optimizer, ``w -= lr/2 * g``, registered for one test."""

    class HalfStep(Optimizer):
        """Half a gradient step: ``w = w - lr/2 * g``."""

        key, title = "halfstep", "Half-step"
        hyperparameters = (Hyper("lr", 0.05, "η"),)

        def __init__(self, *, lr=0.05):
            super().__init__()
            self.lr = self.hyper("lr").check(lr)

        def _update(self, w, g, state):
            w -= 0.5 * self.lr * g

    try:
        yield HalfStep
    finally:
        REGISTRY.pop("halfstep", None)


def test_a_new_optimizer_is_one_class(half_step):
    # training
    config = TrainConfig(optimizer="halfstep", lr=0.2, sizes=(20, 16, 3), batch_size=32,
                         iterations=30, eval_every=10)
    opt = make_optimizer(config)
    assert isinstance(opt, half_step) and opt.lr == 0.2
    history = train(config, make_clusters())
    assert np.isfinite(history.loss).all() and history.loss[-1] < history.loss[0]
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        make_optimizer(config.replace(lr=-1.0))

    # the panel: in the optimizer control, labelled by its title, idle sliders off
    panel = TrainingPanel(make_clusters(), config.replace(optimizer="momentum"),
                          controls=("optimizer", "lr", "momentum", "window"), autostart=False)
    assert ("Half-step", "halfstep") in panel.controls["optimizer"].options
    panel.controls["optimizer"].value = "halfstep"
    panel.wait()
    assert panel.controls["momentum"].disabled and panel.controls["window"].disabled
    assert not panel.controls["lr"].disabled
    chosen = config_for(config, {"optimizer": "halfstep", "momentum": 0.5, "window": 7})
    assert chosen == config                       # what it does not use is left out
    assert run_label(chosen, ("optimizer", "lr", "momentum")) == "Half-step, η = 0.2"
    assert panel.history is not None and panel.history.config.optimizer == "halfstep"

    # the explorer: in its dropdown, with exactly its own hyperparameters
    assert hyperparameters("halfstep") == ("lr",)
    explorer = Explorer(ToySetting(optimizer="halfstep", steps=20))
    assert ("Half-step", "halfstep") in explorer.controls["optimizer"].options
    assert [n for n in ("lr", "momentum", "window", "eps")
            if explorer.controls[n].layout.display != "none"] == ["lr"]
    points = toy_path(ToySetting(optimizer="halfstep", lr=0.1, steps=5))
    x0, y0 = points[0]
    assert points[1] == pytest.approx([x0 - 0.5 * 0.1 * x0 / 10, y0 - 0.5 * 0.1 * 2 * y0])
    assert explorer.points is not None and len(explorer.points) == 21


def test_a_hyperparameter_train_has_no_field_for_is_named():
    class WithBeta(Optimizer):
        key, title = "withbeta", "With beta"
        hyperparameters = (Hyper("lr", 0.01, "η"), Hyper("beta", 0.5, "β", 0.0, 1.0))

        def __init__(self, *, lr=0.01, beta=0.5):
            super().__init__()
            self.lr, self.beta = lr, beta

    try:
        with pytest.raises(ValueError, match=r"takes \['beta'\], which TrainConfig has no field"):
            make_optimizer(TrainConfig(optimizer="withbeta"))
    finally:
        REGISTRY.pop("withbeta", None)
