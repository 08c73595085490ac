"""Measurements of recorded runs: one definition of each number the book quotes.

A ``History`` (``gdlib.train``) is plain data; everything here reads it and
returns a number, so a chapter, the claims table and a plot all measure a run
the same way.  Pure NumPy: nothing here trains, plots or knows the paper.

``smooth``          trailing moving average of a curve
``tail``            the last 10 % of a run's iterations, the part "final" refers to
``final_loss``      mean training loss over that tail
``fluctuation``     standard deviation of the raw training loss over that tail
``mean_loss``       mean training loss over a range of iterations
``final_accuracy``  last test accuracy, with a diverged run counted as chance
``iterations_to``   first iteration whose smoothed loss is below a threshold
``per_seed``        one measurement of each run of a group of seeds
``spread``          "mean ± std" over seeds, as text
"""

import numpy as np

__all__ = ["smooth", "default_window", "tail", "final_loss", "fluctuation", "mean_loss",
           "final_accuracy", "iterations_to", "per_seed", "spread", "TAIL_FRACTION"]

TAIL_FRACTION = 0.1   # "final" means the last 10 % of the iterations


def smooth(y, window):
    """Trailing moving average of ``y`` over ``window`` points (shorter at the start)."""
    y = np.asarray(y, dtype=np.float64)
    if window <= 1 or len(y) == 0:
        return y.copy()
    c = np.cumsum(np.insert(y, 0, 0.0))
    n = np.arange(1, len(y) + 1)
    lo = np.maximum(n - window, 0)
    return (c[n] - c[lo]) / (n - lo)


def default_window(n_iterations):
    """The book's smoothing window for a curve of ``n_iterations`` points: about 1/50 of it."""
    return max(1, n_iterations // 50)


def tail(history):
    """The training losses of the last ``TAIL_FRACTION`` of the iterations (at least one)."""
    n = len(history.loss)
    return history.loss[-max(1, int(n * TAIL_FRACTION)):] if n else history.loss


def final_loss(history):
    """Mean training loss over the last 10 % of the iterations (``nan`` for an empty run).

    One batch's loss is too noisy to compare runs; the tail's mean is not.
    """
    t = tail(history)
    return float(np.mean(t)) if len(t) else float("nan")


def fluctuation(history):
    """Standard deviation of the raw training loss over the last 10 % of the iterations."""
    t = tail(history)
    return float(np.std(t)) if len(t) else float("nan")


def mean_loss(history, start=0, stop=None):
    """Mean training loss of iterations ``start`` to ``stop`` (Python slice rules)."""
    return float(np.mean(history.loss[start:stop]))


def final_accuracy(history):
    """The last measured test accuracy; a run that diverged counts as chance.

    A diverged network's weights are no longer finite numbers, so its last
    recorded accuracy (from before it blew up) would flatter it: it is scored
    1 / (number of classes), 0.1 on MNIST.
    """
    if history.diverged:
        return 1.0 / history.config.sizes[-1]
    return float(history.test_acc[-1])


def iterations_to(history, threshold, window):
    """First iteration whose training loss, smoothed over ``window``, is below
    ``threshold``; ``inf`` if it never gets there."""
    below = np.flatnonzero(smooth(history.loss, window) < threshold)
    return float(below[0]) if below.size else float("inf")


def per_seed(runs, metric):
    """``metric(run)`` for each run of ``runs`` (the seeds of one config), as an array."""
    return np.array([metric(h) for h in runs], dtype=float)


def spread(values, fmt="{:.4f}"):
    """``mean ± std`` of ``values`` as text (population std over seeds).

    Values that are ``inf`` (a threshold never reached) are counted, not averaged.
    """
    v = np.asarray(values, dtype=float)
    if np.isinf(v).any():
        finite = v[np.isfinite(v)]
        return f"never in {np.isinf(v).sum()} of {len(v)} runs" + (
            f"; others {fmt.format(finite.mean())}" if finite.size else "")
    return f"{fmt.format(v.mean())} ± {fmt.format(v.std())}"
