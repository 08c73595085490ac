"""What a panel writes about a run: its label, the sentence on what it trains, its config.

``run_label(config, fields)`` is the legend label (eta, momentum with its
effective rate, the window with its gamma, the batch); ``describe_training``
the sentence under the controls; ``uses`` says whether a run's optimizer reads
a field (``USED_BY``).  The live panel, the static form and the stored grids
all label runs here.
"""

from ..optimizers import gamma_from_window
from ..train import planned_iterations

__all__ = ["run_label", "describe_training", "uses", "effective_rate", "window_of", "NAMES",
           "USED_BY"]

USED_BY = {"momentum": ("momentum",), "window": ("rmsprop", "adadelta")}   # others: all
NAMES = {"sgd": "SGD", "momentum": "Momentum", "adagrad": "AdaGrad", "rmsprop": "RMSProp",
         "adadelta": "Adadelta"}


def uses(config, field):
    """True if ``config``'s optimizer reads ``field`` (momentum, window/gamma)."""
    return config.optimizer in USED_BY.get(field, (config.optimizer,))


def effective_rate(lr, momentum):
    """The momentum method's step on a constant gradient, eta/(1 - momentum) (eq. 9)."""
    return lr / (1.0 - momentum)


def window_of(config):
    """``config.window``, or the window of ``config.gamma`` by eq. (13) (default gamma 0.1)."""
    if config.window is not None:
        return config.window
    gamma = 0.1 if config.gamma is None else config.gamma
    return 2.0 / gamma - 1.0


def run_label(config, fields):
    """Legend label of a run: the ``fields`` its optimizer uses, written with eta and gamma."""
    parts = [NAMES[config.optimizer]] if "optimizer" in fields else []
    for field in ("lr", "momentum", "window", "batch_size"):
        if field not in fields or not uses(config, field):
            continue
        if field == "lr":
            parts.append(f"η = {config.lr:.3g}")
        elif field == "momentum":
            parts.append(f"momentum {config.momentum:g} "
                         f"(η/(1−m) = {effective_rate(config.lr, config.momentum):.3g})")
        elif field == "window":
            n = window_of(config)
            parts.append(f"n = {n:.3g}, γ = {gamma_from_window(n):.3g}")
        else:
            parts.append(f"batch {config.batch_size}")
    return ", ".join(parts) or NAMES[config.optimizer]


def describe_training(config, n_train, n_test):
    """One sentence: what a run of ``config`` trains and tests, in numbers."""
    used = n_train if config.train_size is None else min(config.train_size, n_train)
    images = f"all {used:,}" if used == n_train else f"the first {used:,} of the {n_train:,}"
    updates = planned_iterations(config, used)
    tested = n_test if config.eval_size is None else min(config.eval_size, n_test)
    tests = f"all {n_test:,}" if tested == n_test else f"{tested:,} of the {n_test:,}"
    every = config.eval_every or max(1, updates // 20)
    return (f"Each setting trains {updates:,} updates of batch {config.batch_size} on "
            f"{images} training images ({updates * config.batch_size / used:.2g} epochs) "
            f"and tests on {tests} test images every {every} updates.")
