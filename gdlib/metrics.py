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
``final_test_loss`` last test loss, ``inf`` for a diverged run
``test_loss_rise``  how far the test loss ends above its lowest point, relative to it
``per_seed``        one measurement of each run of a group of seeds
``spread``          "mean ± std" over seeds, as text
``t_critical``      Student's t quantile for a two-sided interval
``mean_interval``   t-interval of a mean over seeds; ``paired_interval`` of a paired difference
"""

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["smooth", "default_window", "tail", "final_loss", "fluctuation", "mean_loss",
           "final_accuracy", "final_test_loss", "test_loss_rise", "iterations_to", "per_seed",
           "spread", "t_critical", "Interval", "mean_interval", "paired_interval",
           "TAIL_FRACTION"]

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


def final_test_loss(history):
    """The last measured test loss; ``inf`` for a run that diverged (its weights are lost)."""
    if history.diverged:
        return float("inf")
    return float(history.test_loss[-1])


def test_loss_rise(history):
    """How far the test loss ends above the lowest value it reached, as a fraction of it.

    0 when the last evaluation is the lowest; 0.1 when the run ends 10 % above its best
    test loss, the mark of a method that goes on fitting the training set while it gets
    worse on new images (overfitting).  ``inf`` for a diverged run.
    """
    if history.diverged:
        return float("inf")
    best = float(np.min(history.test_loss))
    return float(history.test_loss[-1]) / best - 1.0


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


def _two_sided_probability(t, dof):
    """P(|T| < t) for Student's t with an integer ``dof`` (Abramowitz and Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(dof))
    c2 = math.cos(theta) ** 2
    if dof % 2 == 0:                    # sin(theta) (1 + c2/2 + 1*3/(2*4) c2^2 + ...)
        term = total = 1.0
        for k in range(1, dof // 2):
            term *= c2 * (2 * k - 1) / (2 * k)
            total += term
        return math.sin(theta) * total
    if dof == 1:
        return 2 * theta / math.pi
    term = total = math.cos(theta)     # cos + 2/3 cos^3 + 2*4/(3*5) cos^5 + ...
    for k in range(1, (dof - 1) // 2):
        term *= c2 * (2 * k) / (2 * k + 1)
        total += term
    return 2 / math.pi * (theta + math.sin(theta) * total)


def t_critical(confidence, dof):
    """The t with P(|T| < t) = ``confidence`` for Student's t with ``dof`` degrees of freedom.

    ``t_critical(0.95, 4)`` is 2.776: the factor of a 95 % interval from 5 seeds.
    Computed from the exact distribution function (bisection), so any integer ``dof``
    works without a table.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    if not (isinstance(dof, (int, np.integer)) and dof >= 1):
        raise ValueError(f"dof must be an integer >= 1 (the number of seeds minus one), "
                         f"got {dof!r}")
    lo, hi = 0.0, 1.0
    while _two_sided_probability(hi, int(dof)) < confidence:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if _two_sided_probability(mid, int(dof)) < confidence:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True)
class Interval:
    """A mean over seeds and its confidence interval: ``low <= mean <= high``."""

    mean: float
    low: float
    high: float
    n: int                  # how many seeds (pairs) it rests on
    confidence: float = 0.95

    def contains(self, value):
        return self.low <= value <= self.high

    def format(self, fmt="{:+.4f}"):
        return (f"{fmt.format(self.mean)}, {self.confidence:.0%} interval "
                f"[{fmt.format(self.low)}, {fmt.format(self.high)}], n = {self.n}")

    def __str__(self):
        return self.format()


def mean_interval(values, confidence=0.95):
    """Student's t-interval of the mean of ``values`` (one number per seed).

    mean ± t * s / sqrt(n), with s the sample standard deviation (n - 1 in the
    denominator) and t = ``t_critical(confidence, n - 1)``.  Needs at least two
    finite values.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.size < 2:
        raise ValueError(f"an interval needs at least 2 values (seeds), got {v.size}")
    if not np.isfinite(v).all():
        raise ValueError(f"values must be finite, got {v.tolist()}: replace a run that never "
                         "got there by a bound (for example its length) before the interval")
    half = t_critical(confidence, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    mean = float(v.mean())
    return Interval(mean, mean - half, mean + half, int(v.size), confidence)


def paired_interval(a, b, confidence=0.95):
    """t-interval of the mean of the per-seed differences ``a[i] - b[i]``.

    Runs of the same seed share their initial weights and batch order, so their
    difference cancels what the seeds have in common: a paired interval is
    narrower than one built from the two groups' spreads.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values need one of each per seed; got {a.size} and {b.size}")
    return mean_interval(a - b, confidence)
