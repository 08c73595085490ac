"""The gradient-descent methods of Kang (2020), eq. (6) to (18).

Every optimizer follows one contract::

    opt = Momentum(lr=0.01, momentum=0.9)
    opt.step(params, grads)   # dicts name -> ndarray; params change in place

Hyperparameters are passed by name (``Adadelta(0.01)`` raises ``TypeError``:
with ``lr`` first in some classes and last in others, a positional value
would quietly set the wrong one), set in ``__init__`` and checked there (a
bad value raises ``ValueError`` naming the parameter and its range).  State is created on the
first step for each parameter name and kept in ``opt.state[name]``, a dict
whose keys are the symbols of the paper's equations (``v``, ``G``, ``Eg2``,
``Edw2``), so a notebook can plot it.  Updates are in place and keep the
parameters' dtype; the only extra memory is the state the equation needs and
one scratch array per parameter (two for Adadelta), allocated once.

Conventions (they differ from PyTorch in places; the book has a table):

* ``gamma`` in RMSProp and Adadelta is the paper's weight of the *newest*
  squared gradient, ``E_t = (1 - gamma) E_{t-1} + gamma g_t^2`` (eq. 12),
  with ``gamma = 2 / (window + 1)`` (eq. 13).  PyTorch's ``rho`` is
  ``1 - gamma``.
* ``eps`` sits inside the square root, as in eq. (10), (14) and (15).
"""

import inspect
import math

import numpy as np

__all__ = ["Optimizer", "SGD", "Momentum", "AdaGrad", "RMSProp", "Adadelta", "gamma_from_window"]


def _check_positive(name, value):
    if not (isinstance(value, (int, float, np.floating)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _check_fraction(name, value, *, low_open, high_open):
    """Check ``value`` lies in the interval (0, 1] / [0, 1) given by the flags."""
    ok = isinstance(value, (int, float, np.floating)) and math.isfinite(value)
    if ok:
        ok = (value > 0 if low_open else value >= 0) and (value < 1 if high_open else value <= 1)
    if not ok:
        interval = ("(" if low_open else "[") + "0, 1" + (")" if high_open else "]")
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return float(value)


def gamma_from_window(window):
    """The paper's eq. (13): the EMA weight of a window of ``window`` steps, 2/(n+1)."""
    if not (isinstance(window, (int, float, np.integer, np.floating))
            and math.isfinite(window) and window >= 1):
        raise ValueError(f"window must be a number >= 1, got {window!r}")
    return 2.0 / (float(window) + 1.0)


class Optimizer:
    """Base class: per-parameter state and scratch buffers, created lazily."""

    state_names: tuple = ()
    scratch_count = 1    # parameter-sized scratch arrays the update needs

    def __new__(cls, *args, **kwargs):
        if args:
            names = ", ".join(f"{name}=..." for name in inspect.signature(cls).parameters)
            raise TypeError(f"{cls.__name__} takes its hyperparameters by name, as in "
                            f"{cls.__name__}({names}); got the positional value(s) "
                            f"{', '.join(map(repr, args))}")
        return super().__new__(cls)

    def __init__(self):
        self.state = {}      # name -> {symbol: ndarray}, visible for plots
        self.steps = 0       # number of completed step() calls
        self._scratch = {}   # name -> tuple of ndarrays, reused every step

    def step(self, params, grads):
        """Update every array in ``params`` in place from the same-named ``grads``."""
        for name, w in params.items():
            g = grads[name]
            if name not in self.state:
                self.state[name] = {s: np.zeros_like(w) for s in self.state_names}
                self._scratch[name] = tuple(np.empty_like(w) for _ in range(self.scratch_count))
            if g.shape != w.shape:
                raise ValueError(f"gradient {name!r} has shape {g.shape}, parameter {w.shape}")
            self._update(w, g, self.state[name], *self._scratch[name])
        self.steps += 1

    def reset(self):
        """Forget all state, as if no step had been taken."""
        self.state.clear()
        self._scratch.clear()
        self.steps = 0

    def _update(self, w, g, state, s):
        raise NotImplementedError

    def _hyper(self):
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyper().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Plain gradient descent, eq. (6)-(8): ``w = w - lr * g``.

    Whether this is batch, stochastic or mini-batch gradient descent depends
    only on how many samples the gradient ``g`` was averaged over (eq. 6 all,
    eq. 7 one, eq. 8 a mini-batch of n); the training loop decides that.
    """

    def __init__(self, *, lr=0.01):
        super().__init__()
        self.lr = _check_positive("lr", lr)

    def _update(self, w, g, state, s):
        np.multiply(g, self.lr, out=s)
        w -= s

    def _hyper(self):
        return {"lr": self.lr}


class Momentum(Optimizer):
    """Momentum, eq. (9): ``v = momentum * v + lr * g;  w = w - v``.

    This is the paper's form (and Qian's): the learning rate sits inside the
    velocity.  PyTorch keeps ``b = mu * b + g`` and steps ``w -= lr * b``; the
    two agree while ``lr`` is constant.  The paper calls the momentum ``gamma``;
    here it is ``momentum`` so that ``gamma`` keeps one meaning (the EMA weight).
    State: ``v``, the velocity, starting at zero.
    """

    state_names = ("v",)

    def __init__(self, *, lr=0.01, momentum=0.9):
        super().__init__()
        self.lr = _check_positive("lr", lr)
        self.momentum = _check_fraction("momentum", momentum, low_open=False, high_open=True)

    def _update(self, w, g, state, s):
        v = state["v"]
        v *= self.momentum
        np.multiply(g, self.lr, out=s)
        v += s
        w -= v

    def _hyper(self):
        return {"lr": self.lr, "momentum": self.momentum}


class AdaGrad(Optimizer):
    """AdaGrad, eq. (10): ``G = G + g*g;  w = w - lr / sqrt(G + eps) * g``.

    ``eps`` is inside the square root as in the paper (PyTorch and Duchi et al.
    add it outside, ``lr / (sqrt(G) + eps)``).  The two agree once ``G >> eps``;
    for weights whose inputs are rarely non-zero (MNIST's border pixels) G stays
    near eps and the two rates differ a lot (chapter 6 measures it).
    State: ``G``, the running sum of squared gradients, per weight.
    The effective learning rate of each weight is ``lr / sqrt(G + eps)``.
    """

    state_names = ("G",)

    def __init__(self, *, lr=0.01, eps=1e-8):
        super().__init__()
        self.lr = _check_positive("lr", lr)
        self.eps = _check_positive("eps", eps)

    def _update(self, w, g, state, s):
        G = state["G"]
        np.multiply(g, g, out=s)
        G += s
        _scaled_gradient(g, G, self.eps, self.lr, out=s)
        w -= s

    def _hyper(self):
        return {"lr": self.lr, "eps": self.eps}


def _scaled_gradient(g, acc, eps, lr, out):
    """``out = lr * g / sqrt(acc + eps)`` without temporaries (eq. 10 and 14)."""
    np.add(acc, eps, out=out)
    np.sqrt(out, out=out)
    np.divide(g, out, out=out)
    out *= lr
    return out


def _ema_update(acc, value_squared_into, gamma):
    """Eq. (12) in place: ``acc = (1 - gamma) * acc + gamma * x``, x given squared."""
    acc *= 1.0 - gamma
    value_squared_into *= gamma
    acc += value_squared_into


def _resolve_gamma(gamma, window, default):
    if gamma is not None and window is not None:
        raise ValueError(
            f"give gamma or window, not both (got gamma={gamma!r}, window={window!r}); "
            "they are tied by eq. (13), gamma = 2/(window + 1)")
    if window is not None:
        return gamma_from_window(window)
    if gamma is None:
        gamma = default
    return _check_fraction("gamma", gamma, low_open=True, high_open=False)


class RMSProp(Optimizer):
    """RMSProp, eq. (12) and (14).

    ``Eg2 = (1 - gamma) * Eg2 + gamma * g*g;  w = w - lr / sqrt(Eg2 + eps) * g``.

    ``gamma`` weighs the newest squared gradient (paper's convention; PyTorch's
    ``alpha`` is ``1 - gamma``).  Give ``gamma`` or ``window`` (eq. 13), not
    both; with neither, gamma = 0.1 (window 19).  State: ``Eg2``.
    """

    state_names = ("Eg2",)

    def __init__(self, *, lr=0.01, gamma=None, window=None, eps=1e-8):
        super().__init__()
        self.lr = _check_positive("lr", lr)
        self.gamma = _resolve_gamma(gamma, window, 0.1)
        self.eps = _check_positive("eps", eps)

    def _update(self, w, g, state, s):
        np.multiply(g, g, out=s)
        _ema_update(state["Eg2"], s, self.gamma)
        _scaled_gradient(g, state["Eg2"], self.eps, self.lr, out=s)
        w -= s

    def _hyper(self):
        return {"lr": self.lr, "gamma": self.gamma, "eps": self.eps}


class Adadelta(Optimizer):
    """Adadelta, eq. (12), (13) and (15) (Zeiler 2012).

    ``Eg2  = (1 - gamma) * Eg2 + gamma * g*g``
    ``dw   = - sqrt(Edw2 + eps) / sqrt(Eg2 + eps) * g``       (eq. 15)
    ``Edw2 = (1 - gamma) * Edw2 + gamma * dw*dw``
    ``w    = w + lr * dw``

    Eq. (15) has no learning rate: the default ``lr=1.0`` is exactly the
    paper's method.  Libraries (PyTorch) multiply the step by ``lr``; the paper's
    Fig. 7 says "eta = 0.01" for every method, and ``lr=0.01`` gives that
    reading.  As in PyTorch, the accumulated ``Edw2`` collects the step
    *before* it is scaled by ``lr`` (Zeiler's Algorithm 1 has no learning
    rate, so it has no such choice to make).  ``eps`` sits inside both
    square roots.  Give ``gamma`` or ``window`` (eq. 13), not both; with
    neither, the paper's Fig. 7 setting gamma = 0.1 (window 19).
    State: ``Eg2`` and ``Edw2``.
    """

    state_names = ("Eg2", "Edw2")
    scratch_count = 2

    def __init__(self, *, gamma=None, window=None, eps=1e-6, lr=1.0):
        super().__init__()
        self.gamma = _resolve_gamma(gamma, window, 0.1)
        self.eps = _check_positive("eps", eps)
        self.lr = _check_positive("lr", lr)

    def _update(self, w, g, state, s, denom):
        Eg2, Edw2 = state["Eg2"], state["Edw2"]
        np.multiply(g, g, out=s)
        _ema_update(Eg2, s, self.gamma)
        # s = sqrt((Edw2 + eps) / (Eg2 + eps)) * g, so that dw = -s   (eq. 15)
        np.add(Eg2, self.eps, out=denom)
        np.add(Edw2, self.eps, out=s)
        s /= denom
        np.sqrt(s, out=s)
        s *= g
        np.multiply(s, s, out=denom)
        _ema_update(Edw2, denom, self.gamma)
        if self.lr != 1.0:
            s *= self.lr
        w -= s

    def _hyper(self):
        return {"gamma": self.gamma, "eps": self.eps, "lr": self.lr}
