"""The gradient-descent methods of Kang (2020), eq. (6) to (18), and three after it.

After the paper (chapter 9): ``Nesterov`` (Nesterov 1983, in the form of Bengio
et al. 2013), ``Adam`` (Kingma and Ba 2015) and ``AdamW`` (Loshchilov and
Hutter 2019), on the same contract.

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
parameters' dtype.  Each ``_update`` is the equation as the book shows it
(``gdlib.book.show_code``), written with NumPy's operators, and it is the code
that runs; while a step runs it needs up to four parameter-sized temporaries
beside the state (``tests/test_optimizers.py`` states how many per method,
``benchmarks/throughput.py`` measures what they cost).  ``x[...] = ...`` writes
the new value into the state array ``x`` itself.

Conventions (they differ from PyTorch in places; the book has a table):

* ``gamma`` in RMSProp and Adadelta is the paper's weight of the *newest*
  squared gradient, ``E_t = (1 - gamma) E_{t-1} + gamma g_t^2`` (eq. 12),
  with ``gamma = 2 / (window + 1)`` (eq. 13).  PyTorch's ``rho`` is
  ``1 - gamma``.
* ``eps`` sits inside the square root, as in eq. (10), (14) and (15).

Each class is the one home of its vocabulary, which training, the panels, the
explorer and the labels read instead of writing it out again: ``key`` (the
name a ``TrainConfig`` gives, ``"rmsprop"``), ``title`` (the name as the book
prints it, ``"RMSProp"``), ``hyperparameters`` (one ``Hyper`` each: default,
range, the paper's symbol) and what is derived from them
(``Momentum.effective_rate``, ``gamma_from_window``/``window_from_gamma``).
A subclass with a ``key`` registers itself in ``REGISTRY``: adding an
optimizer is one class.
"""

import inspect
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Optimizer", "SGD", "Momentum", "AdaGrad", "RMSProp", "Adadelta", "Nesterov", "Adam",
           "AdamW", "Hyper", "REGISTRY", "gamma_from_window", "window_from_gamma", "DEFAULT_GAMMA"]

DEFAULT_GAMMA = 0.1      # the paper's Fig. 7 setting: window 19 (eq. 13)
REGISTRY = {}            # key -> optimizer class, filled by every subclass that has a key


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter as the book names it.

    ``name``     the keyword argument (``lr``, ``momentum``, ``window``, ...)
    ``default``  its default (None: the class resolves it, as gamma from window)
    ``symbol``   how the paper writes it (``η``, ``γ``, ``n``, ``ε``)
    ``low``, ``high``  the range a value must lie in, and whether each end is open
    """

    name: str
    default: object
    symbol: str
    low: float = 0.0
    high: float = math.inf
    low_open: bool = True
    high_open: bool = True

    def check(self, value):
        """``value`` as a float, or ``ValueError`` naming the parameter and its range."""
        ok = isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value)
        if ok:
            ok = ((value > self.low if self.low_open else value >= self.low)
                  and (value < self.high if self.high_open else value <= self.high))
        if not ok:
            raise ValueError(f"{self.name} must {self.range_text()}, got {value!r}")
        return float(value)

    def range_text(self):
        if self.high == math.inf:
            word = ">" if self.low_open else ">="
            return f"be a finite number {word} {self.low:g}"
        return (f"lie in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}"
                f"{')' if self.high_open else ']'}")


LR = Hyper("lr", 0.01, "η")
MOMENTUM = Hyper("momentum", 0.9, "m", 0.0, 1.0, low_open=False)
GAMMA = Hyper("gamma", None, "γ", 0.0, 1.0, high_open=False)
WINDOW = Hyper("window", None, "n", 1.0, low_open=False)


def gamma_from_window(window):
    """The paper's eq. (13): the EMA weight of a window of ``window`` steps, 2/(n+1)."""
    return 2.0 / (WINDOW.check(window) + 1.0)


def window_from_gamma(gamma):
    """Eq. (13) read backwards: the window ``n = 2/gamma - 1`` of an EMA weight ``gamma``."""
    return 2.0 / GAMMA.check(gamma) - 1.0


class Optimizer:
    """Base class: per-parameter state, created lazily; ``_update`` is the method's rule."""

    key: str = ""              # the TrainConfig name; a subclass with one registers itself
    title: str = ""            # the name as the book prints it
    hyperparameters: tuple = ()  # Hyper, in the order the book lists them
    state_names: tuple = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.key:
            REGISTRY[cls.key] = cls

    @classmethod
    def hyper(cls, name):
        """The ``Hyper`` called ``name`` (``KeyError`` if this optimizer has none)."""
        for h in cls.hyperparameters:
            if h.name == name:
                return h
        raise KeyError(f"{cls.title or cls.__name__} has no hyperparameter {name!r}")

    @classmethod
    def uses(cls, name):
        """True if this optimizer takes the hyperparameter ``name``."""
        return any(h.name == name for h in cls.hyperparameters)

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

    def step(self, params, grads):
        """Update every array in ``params`` in place from the same-named ``grads``."""
        for name, w in params.items():
            g = grads[name]
            if g.shape != w.shape:
                raise ValueError(f"gradient {name!r} has shape {g.shape}, parameter {w.shape}")
            if name not in self.state:
                self.state[name] = {s: np.zeros_like(w) for s in self.state_names}
            self._update(w, g, self.state[name])
        self.steps += 1

    def reset(self):
        """Forget all state, as if no step had been taken."""
        self.state.clear()
        self.steps = 0

    def _update(self, w, g, state):
        """Update the weights ``w`` in place from their gradient ``g`` and ``state``."""
        raise NotImplementedError

    def rate(self, state):
        """The learning rate each weight of one parameter has in ``state`` (its
        ``self.state[name]``): the number that multiplies its gradient (Adam: its
        averaged gradient ``m_hat``).  Plain and momentum methods give every weight
        ``lr``; an adaptive method divides it by the weight's own history, and after a
        step ``rate`` is the one that step used (Adadelta: the one the next step starts
        from).  Chapter 10 plots it, layer by layer (``gdlib.rates``)."""
        return self.lr

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

    key, title = "sgd", "SGD"
    hyperparameters = (LR,)

    def __init__(self, *, lr=0.01):
        super().__init__()
        self.lr = LR.check(lr)

    def _update(self, w, g, state):
        w -= self.lr * g                                      # eq. (6)-(8)

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

    key, title = "momentum", "Momentum"
    hyperparameters = (LR, MOMENTUM)
    state_names = ("v",)

    def __init__(self, *, lr=0.01, momentum=0.9):
        super().__init__()
        self.lr = LR.check(lr)
        self.momentum = MOMENTUM.check(momentum)

    @staticmethod
    def effective_rate(lr, momentum):
        """The step on a constant gradient once the velocity settles, eta/(1 - momentum)
        (eq. 9: v = m v + eta g tends to eta g/(1 - m))."""
        return lr / (1.0 - momentum)

    def _update(self, w, g, state):
        v = state["v"]
        v[...] = self.momentum * v + self.lr * g              # eq. (9)
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

    key, title = "adagrad", "AdaGrad"
    hyperparameters = (LR, Hyper("eps", 1e-8, "ε"))
    state_names = ("G",)

    def __init__(self, *, lr=0.01, eps=1e-8):
        super().__init__()
        self.lr = LR.check(lr)
        self.eps = self.hyper("eps").check(eps)

    def _update(self, w, g, state):
        G = state["G"]
        G += g**2                                             # eq. (10)
        w -= self.lr * (g / np.sqrt(G + self.eps))

    def rate(self, state):
        """``lr / sqrt(G + eps)``, eq. (10): it only falls, as G only grows."""
        return self.lr / np.sqrt(state["G"] + self.eps)

    def _hyper(self):
        return {"lr": self.lr, "eps": self.eps}


def _resolve_gamma(gamma, window, default=DEFAULT_GAMMA):
    if gamma is not None and window is not None:
        raise ValueError(
            f"give gamma or window, not both (got gamma={gamma!r}, window={window!r}); "
            "they are tied by eq. (13), gamma = 2/(window + 1)")
    if window is not None:
        return gamma_from_window(window)
    if gamma is None:
        gamma = default
    return GAMMA.check(gamma)


class RMSProp(Optimizer):
    """RMSProp, eq. (12) and (14).

    ``Eg2 = (1 - gamma) * Eg2 + gamma * g*g;  w = w - lr / sqrt(Eg2 + eps) * g``.

    ``gamma`` weighs the newest squared gradient (paper's convention; PyTorch's
    ``alpha`` is ``1 - gamma``).  Give ``gamma`` or ``window`` (eq. 13), not
    both; with neither, gamma = 0.1 (window 19).  State: ``Eg2``.
    """

    key, title = "rmsprop", "RMSProp"
    hyperparameters = (LR, GAMMA, WINDOW, Hyper("eps", 1e-8, "ε"))
    state_names = ("Eg2",)

    def __init__(self, *, lr=0.01, gamma=None, window=None, eps=1e-8):
        super().__init__()
        self.lr = LR.check(lr)
        self.gamma = _resolve_gamma(gamma, window)
        self.eps = self.hyper("eps").check(eps)

    def _update(self, w, g, state):
        Eg2 = state["Eg2"]
        Eg2[...] = (1 - self.gamma) * Eg2 + self.gamma * g**2    # eq. (12)
        w -= self.lr * (g / np.sqrt(Eg2 + self.eps))            # eq. (14)

    def rate(self, state):
        """``lr / sqrt(E[g^2] + eps)``, eq. (14): it rises again when the gradients shrink."""
        return self.lr / np.sqrt(state["Eg2"] + self.eps)

    def _hyper(self):
        return {"lr": self.lr, "gamma": self.gamma, "eps": self.eps}


class Adadelta(Optimizer):
    """Adadelta, eq. (12), (13) and (15) (Zeiler 2012).

    ``Eg2  = (1 - gamma) * Eg2 + gamma * g*g``
    ``dw   = - sqrt(Edw2 + eps) / sqrt(Eg2 + eps) * g``       (eq. 15)
    ``Edw2 = (1 - gamma) * Edw2 + gamma * dw*dw``
    ``w    = w + lr * dw``

    The code takes one square root of the quotient, which equals the quotient of
    the two roots and costs one root less.

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

    key, title = "adadelta", "Adadelta"
    hyperparameters = (GAMMA, WINDOW, Hyper("eps", 1e-6, "ε"), Hyper("lr", 1.0, "η"))
    state_names = ("Eg2", "Edw2")

    def __init__(self, *, gamma=None, window=None, eps=1e-6, lr=1.0):
        super().__init__()
        self.gamma = _resolve_gamma(gamma, window)
        self.eps = self.hyper("eps").check(eps)
        self.lr = self.hyper("lr").check(lr)

    def _update(self, w, g, state):
        Eg2, Edw2, gamma, eps = state["Eg2"], state["Edw2"], self.gamma, self.eps
        Eg2[...] = (1 - gamma) * Eg2 + gamma * g**2                 # eq. (12)
        dw = -np.sqrt((Edw2 + eps) / (Eg2 + eps)) * g               # eq. (15)
        Edw2[...] = (1 - gamma) * Edw2 + gamma * dw**2              # eq. (12) for dw
        w += self.lr * dw

    def rate(self, state):
        """``lr * sqrt(E[dw^2] + eps) / sqrt(E[g^2] + eps)``, eq. (15): no eta of its own;
        ``lr`` is PyTorch's multiplier (1 = the paper's)."""
        return self.lr * np.sqrt((state["Edw2"] + self.eps) / (state["Eg2"] + self.eps))

    def _hyper(self):
        return {"gamma": self.gamma, "eps": self.eps, "lr": self.lr}


# -- after the paper: Nesterov (1983), Adam (2015), AdamW (2019) --------------------

BETA1 = Hyper("beta1", 0.9, "β₁", 0.0, 1.0, low_open=False)
BETA2 = Hyper("beta2", 0.999, "β₂", 0.0, 1.0, low_open=False)


class Nesterov(Momentum):
    """Nesterov's accelerated gradient (Nesterov 1983), in the form of Bengio et al. (2013).

    ``v = momentum * v + lr * g;  w = w - (momentum * v + lr * g)``

    Nesterov evaluates the gradient at the look-ahead point ``w - momentum * v``;
    Bengio et al. rewrite the method in the shifted variable so that the gradient is
    taken at the current weights, as every other optimizer here takes it: the step is
    the new velocity looked one step further.  This is PyTorch's ``SGD(nesterov=True)``
    (which writes ``b = mu * b + g;  w -= lr * (g + mu * b)``; the same while ``lr`` is
    constant), with the learning rate inside the velocity as in eq. (9).  Its
    hyperparameters, state ``v`` and effective rate are ``Momentum``'s; only the
    step differs.
    """

    key, title = "nesterov", "Nesterov"

    def _update(self, w, g, state):
        v = state["v"]
        v[...] = self.momentum * v + self.lr * g              # eq. (9)
        w -= self.lr * g                                      # w = w - (lr g + momentum v):
        w -= self.momentum * v                                # v looked one step further


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015, Algorithm 1), bias correction included.

    ``m = beta1 * m + (1 - beta1) * g``              (a moving average of g, eq. 12's form)
    ``v = beta2 * v + (1 - beta2) * g*g``            (and of g^2, as RMSProp's Eg2)
    ``w = w - lr * m_hat / (sqrt(v_hat) + eps)``,  ``m_hat = m / (1 - beta1**t)``,
    ``v_hat = v / (1 - beta2**t)``

    ``t`` counts this parameter's steps from 1.  Both averages start at zero, so
    early on they are too small by the factors ``1 - beta**t``: dividing by them is
    the bias correction.  ``beta`` weighs the *history*, as PyTorch's ``betas``; in the
    paper's convention the EMA weight is ``gamma = 1 - beta``.  ``eps`` is added
    outside the root, as in Algorithm 1 and PyTorch (RMSProp here has it inside).
    ``lr`` defaults to Kingma and Ba's alpha = 0.001.
    State: ``m``, ``v`` and ``t`` (an integer).
    """

    key, title = "adam", "Adam"
    hyperparameters = (Hyper("lr", 0.001, "η"), BETA1, BETA2, Hyper("eps", 1e-8, "ε"))
    state_names = ("m", "v")

    def __init__(self, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__()
        self.lr = self.hyper("lr").check(lr)
        self.beta1 = BETA1.check(beta1)
        self.beta2 = BETA2.check(beta2)
        self.eps = self.hyper("eps").check(eps)

    def _update(self, w, g, state):
        m, v = state["m"], state["v"]
        t = state["t"] = state.get("t", 0) + 1                # this parameter's step, from 1
        m[...] = self.beta1 * m + (1 - self.beta1) * g        # the averages of g
        v[...] = self.beta2 * v + (1 - self.beta2) * (g * g)  # and of g^2
        v_hat = v / (1 - self.beta2**t)                       # bias-corrected, as m_hat:
        w -= self.lr / (1 - self.beta1**t) * (m / (np.sqrt(v_hat) + self.eps))

    def rate(self, state):
        """``lr / (sqrt(v_hat) + eps)``, the rate on ``m_hat`` (Kingma and Ba's step)."""
        v_hat = state["v"] / (1 - self.beta2**state["t"])
        return self.lr / (np.sqrt(v_hat) + self.eps)

    def _hyper(self):
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter 2019, Algorithm 2): Adam with decoupled weight decay.

    ``w = w - lr * weight_decay * w``, then Adam's step (``Adam``) from the gradient
    of the loss alone.  Adding ``weight_decay * w`` to the gradient instead (L2
    regularisation) would pass the decay through Adam's division by ``sqrt(v_hat)``,
    so weights with large gradients would be decayed less; decoupled, every weight
    shrinks by the same factor ``1 - lr * weight_decay`` per step.  As PyTorch's
    ``AdamW``, the decay is scaled by ``lr`` (the paper's schedule multiplier eta_t
    times lambda) and defaults to 0.01.  State: as Adam's.
    """

    key, title = "adamw", "AdamW"
    hyperparameters = (*Adam.hyperparameters, Hyper("weight_decay", 0.01, "λ", low_open=False))

    def __init__(self, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        self.weight_decay = self.hyper("weight_decay").check(weight_decay)

    def _update(self, w, g, state):
        w *= 1 - self.lr * self.weight_decay                  # decoupled decay
        Adam._update(self, w, g, state)                       # then Adam's step

    def _hyper(self):
        return {**super()._hyper(), "weight_decay": self.weight_decay}
