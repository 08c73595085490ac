"""Chapter 6, AdaGrad: one step of eq. (10)."""

import numpy as np

from ..optimizers import AdaGrad
from .compare import FunctionChecker, variant
from .steps import optimizer_step, rms, runs


def _adagrad_reference(w, G, g, lr, eps):
    return optimizer_step(AdaGrad(lr=lr, eps=eps), w, g, G=G)


def _adagrad_cases():
    return runs(_adagrad_reference,
                (([1.0, -2.0, 0.5, 3.0], [0.0, 0.0, 0.0, 0.0]),
                 [[0.5, -1.0, 2.0, 0.1], [-0.3, 0.2, 1.5, 0.1], [0.1, -0.4, -2.5, -0.2]],
                 (0.1, 1e-8)),
                (([0.4, -0.3], [0.2, 0.05]), [[0.3, -0.1], [0.2, 0.4]], (0.5, 0.25)))


@variant("`eps` is outside the square root, `sqrt(G) + eps` (PyTorch's placement). Eq. (10) "
         "has it inside: `lr * g / np.sqrt(G + eps)`.")
def _eps_outside(w, G, g, lr, eps):
    G = G + g * g
    return w - lr * g / (np.sqrt(G) + eps), G


@variant("The square root is missing: eq. (10) divides by `np.sqrt(G + eps)`.")
def _no_root(w, G, g, lr, eps):
    G = G + g * g
    return w - lr * g / (G + eps), G


@variant("The order: eq. (10) first adds `g*g` to `G` and then divides by the new "
         "`sqrt(G + eps)`; yours divided by the old `G`.")
def _old_sum(w, G, g, lr, eps):
    return w - lr * g / rms(G, eps), G + g * g


@variant("`G` accumulates `g`; it should accumulate the squared gradient, `G = G + g*g`.")
def _unsquared(w, G, g, lr, eps):
    G = G + g
    return w - lr * g / rms(G, eps), G


@variant("`G` accumulates `|g|`; it should accumulate the squared gradient, `G = G + g*g`.")
def _absolute(w, G, g, lr, eps):
    G = G + np.abs(g)
    return w - lr * g / rms(G, eps), G


@variant("`G` is replaced by `g*g`; AdaGrad adds it to the sum of all earlier squared "
         "gradients, `G = G + g*g`.")
def _not_accumulated(w, G, g, lr, eps):
    G = g * g
    return w - lr * g / rms(G, eps), G


@variant("The sign: the step goes against the gradient, `w = w - lr * g / np.sqrt(G + eps)`.")
def _adagrad_uphill(w, G, g, lr, eps):
    G = G + g * g
    return w + lr * g / rms(G, eps), G


@variant("The learning rate is applied twice (`lr**2`): once is enough.")
def _adagrad_lr_twice(w, G, g, lr, eps):
    G = G + g * g
    return w - lr * lr * g / rms(G, eps), G


@variant("The learning rate is missing: the step is `lr * g / np.sqrt(G + eps)`.")
def _adagrad_no_lr(w, G, g, lr, eps):
    G = G + g * g
    return w - g / rms(G, eps), G


@variant("Multiplied by `sqrt(G + eps)` where eq. (10) divides by it.")
def _multiplied(w, G, g, lr, eps):
    G = G + g * g
    return w - lr * g * rms(G, eps), G


@variant("The returned `G` is the old sum; return the updated one.")
def _stale_sum(w, G, g, lr, eps):
    return w - lr * g / rms(G + g * g, eps), G


@variant("The two results are swapped: return `(w, G)` in this order.")
def _swapped_adagrad_outputs(w, G, g, lr, eps):
    return tuple(reversed(_adagrad_reference(w, G, g, lr, eps)))


adagrad_step = FunctionChecker(
    "6.1", "adagrad_step(w, G, g, lr, eps)", "(w, G)",
    task="the new weights and sum of squared gradients `(w, G)` after one step of eq. (10)",
    reference=_adagrad_reference, cases=_adagrad_cases,
    variants=[_eps_outside, _no_root, _old_sum, _unsquared, _absolute, _not_accumulated,
              _adagrad_uphill, _adagrad_lr_twice, _adagrad_no_lr, _multiplied, _stale_sum,
              _swapped_adagrad_outputs],
    fallback="compare each line with eq. (10): `G = G + g*g`, then "
             "`w = w - lr * g / np.sqrt(G + eps)`.",
    praise="`adagrad_step` follows eq. (10) in every step of both runs, "
           "with `eps` inside the square root.",
    doc="""Exercise 6.1: AdaGrad's step, eq. (10).

    Write ``adagrad_step(w, G, g, lr, eps)``:

    ``w``, ``G``, ``g``  the weights, the running sum of squared gradients and the
                   gradient, arrays of one shape
    ``lr``, ``eps``  the learning rate eta and the small epsilon of eq. (10)

    It returns the pair ``(w, G)`` after one step, as new arrays: first
    ``G = G + g*g`` (elementwise), then ``w = w - lr * g / sqrt(G + eps)`` with
    the new ``G`` and ``eps`` inside the square root, as in the paper.  Whether
    the function also changes its inputs does not matter (the checker passes
    copies).

    Check it with ``check("6.1", adagrad_step)``.
    """)


