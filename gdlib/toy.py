"""Two-dimensional test functions and optimizer trajectories (Kang 2020, Sec. 3.2).

On a surface of two variables one can watch an optimizer move.  The
anisotropic quadratic is the paper's argument for momentum: plain gradient
descent zig-zags across the steep direction while crawling along the flat one.
Rosenbrock's banana-shaped valley is the classic hard case.  The trajectories
use the very optimizer classes that train the network: a point is a parameter
dict ``{"w": array([x, y])}``.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["Surface", "anisotropic_quadratic", "rosenbrock", "trajectory"]


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


def anisotropic_quadratic(a=1 / 20, b=1.0):
    """``f(x, y) = a x^2 + b y^2``: with ``a << b`` the valley is long and narrow,
    the gradient points mostly across it, and gradient descent zig-zags."""
    return Surface(
        name=f"{a:g} x^2 + {b:g} y^2",
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


def trajectory(optimizer, surface, start, steps):
    """Run ``optimizer`` for ``steps`` updates from ``start`` on ``surface``.

    Returns an array of shape (k + 1, 2): the start and every point visited.
    A run that leaves the finite numbers stops early (k < steps), so the
    array never holds inf or NaN.
    """
    w = np.array(start, dtype=np.float64)
    params, grads = {"w": w}, {"w": np.empty(2)}
    points = [w.copy()]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            grads["w"][:] = surface.grad(w[0], w[1])
            if not np.all(np.isfinite(grads["w"])):
                break
            optimizer.step(params, grads)
            if not np.all(np.isfinite(w)):
                break
            points.append(w.copy())
    return np.array(points)
