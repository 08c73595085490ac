"""Chapter 7, Adadelta: one step of eq. (12), (13) and (15)."""

import numpy as np

from ..optimizers import Adadelta
from .compare import FunctionChecker, variant
from .steps import optimizer_step, rms, runs


def _adadelta_reference(w, Eg2, Edw2, g, gamma, eps):
    return optimizer_step(Adadelta(gamma=gamma, eps=eps), w, g, Eg2=Eg2, Edw2=Edw2)


def _adadelta_cases():
    return runs(_adadelta_reference,
                (([1.0, -2.0, 0.5], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
                 [[0.5, -1.0, 2.0], [-0.3, 0.2, 1.5], [0.1, -0.4, -2.5]], (0.1, 1e-6)),
                (([0.4, -0.3], [0.5, 0.1], [0.01, 0.2]), [[0.3, -0.1], [0.2, 0.4]],
                 (0.3, 0.01)))


def _ema(E, x, gamma):
    return (1 - gamma) * E + gamma * x


def _adadelta(w, Eg2, Edw2, g, gamma, eps, average=_ema, root=rms):
    """Adadelta with a replaceable average and root, for the wrong variants below."""
    Eg2 = average(Eg2, g * g, gamma)
    dw = -root(Edw2, eps) / root(Eg2, eps) * g
    return w + dw, Eg2, average(Edw2, dw * dw, gamma), dw


@variant("`gamma` and `1 - gamma` are swapped. In eq. (12) `gamma` weighs the newest value: "
         "`E = (1 - gamma)*E + gamma*x` (PyTorch's rho is 1 - gamma).")
def _rho(w, Eg2, Edw2, g, gamma, eps):
    return _adadelta(w, Eg2, Edw2, g, 1 - gamma, eps)[:3]


@variant("The order: eq. (15) first updates `Eg2` with the new `g*g` and divides by the "
         "new `sqrt(Eg2 + eps)`; yours divided by the old `Eg2`.")
def _old_eg2(w, Eg2, Edw2, g, gamma, eps):
    dw = -rms(Edw2, eps) / rms(Eg2, eps) * g
    return w + dw, _ema(Eg2, g * g, gamma), _ema(Edw2, dw * dw, gamma)


@variant("`Edw2` averages the squared steps `dw*dw`, not the squared gradients.")
def _edw2_of_gradients(w, Eg2, Edw2, g, gamma, eps):
    w, Eg2, _, _ = _adadelta(w, Eg2, Edw2, g, gamma, eps)
    return w, Eg2, _ema(Edw2, g * g, gamma)


@variant("`Edw2` averages the squared steps: `dw*dw`, not `dw`.")
def _edw2_unsquared(w, Eg2, Edw2, g, gamma, eps):
    w, Eg2, _, dw = _adadelta(w, Eg2, Edw2, g, gamma, eps)
    return w, Eg2, _ema(Edw2, dw, gamma)


@variant("`Edw2` is returned unchanged: after the step it is updated with the new `dw*dw`.")
def _edw2_stale(w, Eg2, Edw2, g, gamma, eps):
    return (*_adadelta(w, Eg2, Edw2, g, gamma, eps)[:2], Edw2)


@variant("`Eg2` is returned unchanged: the step starts by updating it with `g*g`.")
def _eg2_stale(w, Eg2, Edw2, g, gamma, eps):
    w, _, Edw2, _ = _adadelta(w, Eg2, Edw2, g, gamma, eps)
    return w, Eg2, Edw2


@variant("The square roots are missing: the step is "
         "`-np.sqrt(Edw2 + eps) / np.sqrt(Eg2 + eps) * g`.")
def _adadelta_no_root(w, Eg2, Edw2, g, gamma, eps):
    return _adadelta(w, Eg2, Edw2, g, gamma, eps, root=lambda x, eps: x + eps)[:3]


@variant("`eps` is outside the square roots; eq. (15) has it inside both: "
         "`np.sqrt(Edw2 + eps) / np.sqrt(Eg2 + eps)`.")
def _adadelta_eps_outside(w, Eg2, Edw2, g, gamma, eps):
    return _adadelta(w, Eg2, Edw2, g, gamma, eps, root=lambda x, eps: np.sqrt(x) + eps)[:3]


@variant("Running sums (AdaGrad's `G = G + x`) instead of the moving averages of eq. (12).")
def _sums(w, Eg2, Edw2, g, gamma, eps):
    return _adadelta(w, Eg2, Edw2, g, gamma, eps, average=lambda E, x, gamma: E + x)[:3]


@variant("The sign: `dw = -sqrt(Edw2 + eps) / sqrt(Eg2 + eps) * g` already points downhill, "
         "so `w = w + dw`.")
def _adadelta_uphill(w, Eg2, Edw2, g, gamma, eps):
    _, Eg2, Edw2, dw = _adadelta(w, Eg2, Edw2, g, gamma, eps)
    return w - dw, Eg2, Edw2


@variant("The first result is the step `dw`; return the new weights `w + dw`.")
def _returns_step(w, Eg2, Edw2, g, gamma, eps):
    _, Eg2, Edw2, dw = _adadelta(w, Eg2, Edw2, g, gamma, eps)
    return dw, Eg2, Edw2


@variant("The averages are swapped: return `(w, Eg2, Edw2)` in this order.")
def _swapped_averages(w, Eg2, Edw2, g, gamma, eps):
    w, Eg2, Edw2 = _adadelta_reference(w, Eg2, Edw2, g, gamma, eps)
    return w, Edw2, Eg2


adadelta_step = FunctionChecker(
    "7.2", "adadelta_step(w, Eg2, Edw2, g, gamma, eps)", "(w, Eg2, Edw2)",
    task="the new `(w, Eg2, Edw2)` after one step of eq. (15)",
    reference=_adadelta_reference, cases=_adadelta_cases,
    variants=[_rho, _old_eg2, _edw2_of_gradients, _edw2_unsquared, _edw2_stale, _eg2_stale,
              _adadelta_no_root, _adadelta_eps_outside, _sums, _adadelta_uphill,
              _returns_step, _swapped_averages],
    fallback="follow eq. (15) in this order: update `Eg2`; compute `dw` with the new `Eg2` "
             "and the old `Edw2`; update `Edw2` with `dw*dw`; return `w + dw`.",
    praise="`adadelta_step` follows eq. (12) and (15) in every step of both runs.",
    doc="""Exercise 7.2: Adadelta's step, eq. (12), (13) and (15).

    Write ``adadelta_step(w, Eg2, Edw2, g, gamma, eps)``:

    ``w``, ``g``   the weights and the gradient
    ``Eg2``   the moving average E[g^2] of the squared gradients
    ``Edw2``  the moving average E[dw^2] of the squared steps (all four arrays of one shape)
    ``gamma`` the weight of the newest value in eq. (12), ``E = (1 - gamma) E + gamma x``
              (a window n gives gamma = 2/(n + 1), eq. 13)
    ``eps``   the epsilon inside both square roots

    It returns ``(w, Eg2, Edw2)`` after one step, as new arrays, in this order
    of work: first ``Eg2`` is updated with ``g*g``; then the step
    ``dw = -sqrt(Edw2 + eps) / sqrt(Eg2 + eps) * g`` uses the new ``Eg2`` and the
    old ``Edw2``; then ``Edw2`` is updated with ``dw*dw``; the new weights are
    ``w + dw``.  Eq. (15) has no learning rate.  Whether the function also
    changes its inputs does not matter (the checker passes copies).

    Check it with ``check("7.2", adadelta_step)``.
    """)
