"""Two-dimensional test functions and optimizer trajectories (Kang 2020, Sec. 3.2).

On a surface of two variables one can watch an optimizer move.  The
anisotropic quadratic is the paper's argument for momentum: plain gradient
descent zig-zags across the steep direction while crawling along the flat one.
Rosenbrock's banana-shaped valley is the classic hard case.  The trajectories
use the very optimizer classes that train the network: a point is a parameter
dict ``{"w": array([x, y])}``.
"""

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Surface", "Trajectory", "anisotropic_quadratic", "rosenbrock", "trajectory",
           "run_gradients"]


@dataclass(frozen=True)
class Surface:
    """A function of two variables with its gradient and a sensible plot window."""

    name: str
    f: object            # f(x, y) -> value; works elementwise on arrays
    grad: object         # grad(x, y) -> (df/dx, df/dy)
    minimum: tuple       # where f is smallest
    xlim: tuple          # plotting window
    ylim: tuple

    def __repr__(self):
        return f"Surface({self.name!r}, minimum={self.minimum})"


def _term(coefficient, power):
    """``x²/20`` for 1/20, ``y²`` for 1, ``5 x²`` for 5: the valley's name as maths."""
    if coefficient == 1:
        return power
    if coefficient < 1 and (1 / coefficient).is_integer():
        return f"{power}/{1 / coefficient:g}"
    return f"{coefficient:g} {power}"


def anisotropic_quadratic(a=1 / 20, b=1.0):
    """``f(x, y) = a x^2 + b y^2``: with ``a << b`` the valley is long and narrow,
    the gradient points mostly across it, and gradient descent zig-zags."""
    return Surface(
        name=f"{_term(a, 'x²')} + {_term(b, 'y²')}",
        f=lambda x, y: a * x**2 + b * y**2,
        grad=lambda x, y: (2 * a * x, 2 * b * y),
        minimum=(0.0, 0.0), xlim=(-10.0, 10.0), ylim=(-5.0, 5.0),
    )


def rosenbrock(a=1.0, b=100.0):
    """``f(x, y) = (a - x)^2 + b (y - x^2)^2``, minimum 0 at ``(a, a^2)``."""
    return Surface(
        name="Rosenbrock",
        f=lambda x, y: (a - x) ** 2 + b * (y - x**2) ** 2,
        grad=lambda x, y: (-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)),
        minimum=(a, a * a), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0),
    )


@dataclass
class Trajectory:
    """An optimizer's path: every point visited, the function there, and its state.

    ``points``  shape (k + 1, d): the start and the point after each of k steps
    ``values``  shape (k + 1,): the surface's value at each point (empty without a surface)
    ``state``   symbol -> shape (k + 1, d): the optimizer's state after each step
                (row 0 is the zero state before the first step), e.g. ``"v"`` for
                Momentum, ``"G"`` for AdaGrad, ``"Eg2"`` and ``"Edw2"`` for Adadelta
    ``surface`` the Surface it ran on, or None for a given gradient sequence
    """

    points: np.ndarray
    values: np.ndarray
    state: dict
    surface: Surface | None = None

    @property
    def steps(self):
        """How many updates were made (fewer than asked if the run left the finite numbers)."""
        return len(self.points) - 1

    def steps_to_reach(self, tol):
        """The first step whose point is within ``tol`` of the surface's minimum (None if never)."""
        dist = np.hypot(*(self.points - np.array(self.surface.minimum)).T)
        hits = np.flatnonzero(dist < tol)
        return int(hits[0]) if hits.size else None

    def __repr__(self):
        where = self.surface.name if self.surface else "given gradients"
        return f"Trajectory({self.steps} steps on {where}, end {self.points[-1].round(4)})"


def _finite(a):
    """True if every entry of the small array ``a`` is a finite number (on a point of
    the plane faster than ``np.isfinite(a).all()``, which the loop below would ask twice
    a step; ``benchmarks/widgets.py`` times both)."""
    return all(map(math.isfinite, a.ravel().tolist()))


def _run(optimizer, start, gradient, steps):
    """The one loop: ``steps`` updates of ``optimizer`` from ``start``, gradient(t, w) each.

    Stops early when a gradient or a point leaves the finite numbers, so no
    recorded array holds inf or NaN.
    """
    w = np.array(start, dtype=np.float64)
    params, grads = {"w": w}, {"w": np.empty_like(w)}
    points = [w.copy()]
    before = optimizer.state.get("w", {})      # an optimizer may arrive with state
    state = {symbol: [np.array(before.get(symbol, np.zeros_like(w)), dtype=np.float64)]
             for symbol in optimizer.state_names}
    with np.errstate(all="ignore"):
        for t in range(steps):
            grads["w"][:] = gradient(t, w)
            if not _finite(grads["w"]):
                break
            optimizer.step(params, grads)
            if not _finite(w):
                break
            points.append(w.copy())
            for symbol, values in state.items():
                values.append(optimizer.state["w"][symbol].copy())
    return np.array(points), {symbol: np.array(v) for symbol, v in state.items()}


def trajectory(optimizer, surface, start, steps):
    """Run ``optimizer`` for ``steps`` updates from ``start`` on ``surface``.

    Returns a ``Trajectory``: the points, the function's values there and the
    optimizer's state after every step.  A run that leaves the finite numbers
    stops early (fewer than ``steps`` steps).
    """
    points, state = _run(optimizer, start, lambda t, w: surface.grad(w[0], w[1]), steps)
    with np.errstate(all="ignore"):
        values = surface.f(points[:, 0], points[:, 1])
    return Trajectory(points, values, state, surface)


def run_gradients(optimizer, gradients, start=None):
    """Feed ``optimizer`` a given sequence of gradients (one row per step) and record it.

    For studying an update rule on its own: the gradient does not depend on
    the point, e.g. a constant or alternating gradient, or a burst of large
    ones.  ``start`` defaults to zeros.  Returns a ``Trajectory`` without a surface.
    """
    gradients = np.asarray(gradients, dtype=np.float64)
    gradients = gradients.reshape(len(gradients), -1)
    start = np.zeros(gradients.shape[1]) if start is None else start
    points, state = _run(optimizer, start, lambda t, w: gradients[t], len(gradients))
    return Trajectory(points, np.empty(0), state)
