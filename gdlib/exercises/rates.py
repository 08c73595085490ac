"""Chapter 10, inside the network: one weight's learning rate under AdaGrad, step by step."""

import numpy as np

from ..optimizers import AdaGrad
from .compare import Case, FunctionChecker, variant


def _adagrad_rates_reference(g, lr, eps):
    """gdlib's AdaGrad fed the gradients ``g`` of one weight; its rate after each step."""
    opt, w, rates = AdaGrad(lr=lr, eps=eps), {"w": np.zeros(1)}, []
    for value in np.asarray(g, dtype=np.float64):
        opt.step(w, {"w": np.array([value])})
        rates.append(float(opt.rate(opt.state["w"])[0]))
    return np.array(rates)


# (gradients of one weight, lr, eps): a large gradient then small ones (the rate falls
# and stays down), and small gradients with a large eps, so that where eps sits shows.
PLAN = (
    ([2.0, 0.1, -0.1, 0.05, -0.02, 0.01], 0.1, 1e-8),
    ([0.01, -0.02, 0.005, 0.0, 0.01], 0.05, 1e-3),
    ([1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0], 0.01, 1e-8),
)


def _adagrad_rates_cases():
    return [Case((np.array(g), lr, eps), f"in sequence {i}") for i, (g, lr, eps) in
            enumerate(PLAN, 1)]


def _rates(g, lr, eps, accumulate, root=np.sqrt):
    G, out = 0.0, []
    for value in np.asarray(g, dtype=np.float64):
        G = accumulate(G, value)
        out.append(lr / root(G + eps))
    return np.array(out)


@variant("`eps` is outside the square root, `np.sqrt(G) + eps` (PyTorch's placement): eq. (10) "
         "has it inside, `lr / np.sqrt(G + eps)`.")
def _eps_outside(g, lr, eps):
    G = np.cumsum(np.asarray(g, dtype=np.float64) ** 2)
    return lr / (np.sqrt(G) + eps)


@variant("Each rate uses `G` before that step's gradient was added: add `g*g` first, then "
         "take `lr / np.sqrt(G + eps)` (the rate the step itself used, as eq. 10 has it).")
def _before_the_step(g, lr, eps):
    G = np.concatenate([[0.0], np.cumsum(np.asarray(g, dtype=np.float64) ** 2)[:-1]])
    return lr / np.sqrt(G + eps)


@variant("`G` forgets: it holds only the newest `g*g` (that would be RMSProp with gamma = 1). "
         "AdaGrad's `G` is the sum of every squared gradient so far, `G = G + g*g`.")
def _forgets(g, lr, eps):
    return lr / np.sqrt(np.asarray(g, dtype=np.float64) ** 2 + eps)


@variant("The square root is missing: the rate is `lr / np.sqrt(G + eps)`.")
def _no_root(g, lr, eps):
    return _rates(g, lr, eps, lambda G, x: G + x * x, root=lambda z: z)


@variant("`G` accumulates `|g|`; it should accumulate the squared gradient, `G = G + g*g`.")
def _absolute(g, lr, eps):
    return _rates(g, lr, eps, lambda G, x: G + abs(x))


@variant("The rate is multiplied by the gradient: that is the step, `lr * g / np.sqrt(G + eps)`; "
         "the rate is what multiplies `g`, `lr / np.sqrt(G + eps)`.")
def _the_step(g, lr, eps):
    return _adagrad_rates_reference(g, lr, eps) * np.asarray(g, dtype=np.float64)


adagrad_rates = FunctionChecker(
    "10.1", "adagrad_rates(g, lr, eps)", "rates",
    task="the array of AdaGrad's learning rates of one weight after each of the steps `g`",
    reference=_adagrad_rates_reference, cases=_adagrad_rates_cases,
    variants=[_eps_outside, _before_the_step, _forgets, _no_root, _absolute, _the_step],
    fallback="start from `G = 0`; for each gradient add `g*g` to `G`, then append "
             "`lr / np.sqrt(G + eps)` (eq. 10).",
    praise="`adagrad_rates` gives eq. (10)'s rate after every step of all three sequences: "
           "the rate only falls, however small the later gradients are.",
    doc="""Exercise 10.1: one weight's learning rate under AdaGrad (eq. 10).

    Write ``adagrad_rates(g, lr, eps)``:

    ``g``    a 1-D array: the gradients of one weight at steps 1, 2, ..., T
    ``lr``   AdaGrad's learning rate eta
    ``eps``  the epsilon inside the square root of eq. (10)

    It returns an array of T numbers: after step t, the rate
    ``lr / sqrt(G_t + eps)`` with ``G_t = g_1**2 + ... + g_t**2``, the number
    that multiplies that weight's gradient in eq. (10) (``AdaGrad.rate``).  Whether
    the function also changes ``g`` does not matter (the checker passes copies).

    Check it with ``check("10.1", adagrad_rates)``.
    """)
