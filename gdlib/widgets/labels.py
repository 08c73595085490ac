"""What a panel writes about a run: its label, the sentence on what it trains, its config.

``run_label(config, fields)`` is the legend label (eta, momentum with its
effective rate, the window with its gamma, the batch); ``describe_training``
the sentence under the controls; ``uses`` says whether a run's optimizer reads
a field.  Names, symbols and which optimizer takes which hyperparameter come
from the optimizer classes (``gdlib.optimizers``: ``title``, ``hyperparameters``,
``Momentum.effective_rate``, ``window_from_gamma``).  The live panel, the
static form and the stored grids all label runs here.
"""

from ..optimizers import DEFAULT_GAMMA, Momentum, gamma_from_window, window_from_gamma
from ..train import OPTIMIZERS, planned_iterations

__all__ = ["run_label", "describe_training", "uses", "optimizer_uses", "title", "effective_rate",
           "window_of"]

effective_rate = Momentum.effective_rate


def title(optimizer):
    """The name the book prints for ``optimizer`` (a key of OPTIMIZERS)."""
    return OPTIMIZERS[optimizer].title


def optimizer_uses(optimizer, field):
    """True if ``optimizer`` (a key) reads the TrainConfig ``field``: its own
    hyperparameters, and every field that is no optimizer's hyperparameter."""
    if any(cls.uses(field) for cls in OPTIMIZERS.values()):
        return OPTIMIZERS[optimizer].uses(field)
    return True


def uses(config, field):
    """True if ``config``'s optimizer reads ``field`` (momentum, window/gamma)."""
    return optimizer_uses(config.optimizer, field)


def window_of(config):
    """``config.window``, or the window of ``config.gamma`` by eq. (13) (default gamma 0.1)."""
    if config.window is not None:
        return config.window
    return window_from_gamma(DEFAULT_GAMMA if config.gamma is None else config.gamma)


def run_label(config, fields):
    """Legend label of a run: the ``fields`` its optimizer uses, written with eta and gamma."""
    parts = [title(config.optimizer)] if "optimizer" in fields else []
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
    return ", ".join(parts) or title(config.optimizer)


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
