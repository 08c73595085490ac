"""Chapter 5, momentum: one step of eq. (9)."""

from ..optimizers import Momentum
from .compare import FunctionChecker, variant
from .steps import optimizer_step, runs


def _momentum_reference(w, v, g, lr, momentum):
    return optimizer_step(Momentum(lr=lr, momentum=momentum), w, g, v=v)


def _momentum_cases():
    return runs(_momentum_reference,
                (([1.0, -2.0, 0.5], [0.0, 0.0, 0.0]),
                 [[0.5, -1.0, 2.0], [-0.3, 0.2, 1.5], [0.1, -0.4, -2.5]], (0.1, 0.9)),
                (([0.3, -0.7], [0.2, -0.1]), [[1.0, 0.5], [-2.0, 0.25]], (0.05, 0.6)))


@variant("PyTorch's form, `v = momentum*v + g` and `w = w - lr*v`. Eq. (9) puts the learning "
         "rate inside the velocity: `v = momentum*v + lr*g`, then `w = w - v`.")
def _pytorch(w, v, g, lr, momentum):
    v = momentum * v + g
    return w - lr * v, v


@variant("The order of the two updates: eq. (9) first updates the velocity and then moves "
         "`w` by the new `v`; yours moved `w` by the old one.")
def _old_velocity(w, v, g, lr, momentum):
    return w - v, momentum * v + lr * g


@variant("The sign of `v`: eq. (9) adds `lr*g` to the velocity and subtracts `v` from `w`. "
         "(`v = momentum*v - lr*g`, `w = w + v` moves `w` the same way, but its `v` is the "
         "negative of the paper's.)")
def _negative_velocity(w, v, g, lr, momentum):
    v = momentum * v - lr * g
    return w + v, v


@variant("`w` moves uphill: the step is `w = w - v`.")
def _uphill(w, v, g, lr, momentum):
    v = momentum * v + lr * g
    return w + v, v


@variant("The learning rate is applied twice: it is already inside `v`, so `w = w - v`.")
def _lr_twice(w, v, g, lr, momentum):
    v = momentum * v + lr * g
    return w - lr * v, v


@variant("The learning rate is missing: `v = momentum*v + lr*g`.")
def _no_lr(w, v, g, lr, momentum):
    v = momentum * v + g
    return w - v, v


@variant("`(1 - momentum)` makes `v` an average; eq. (9) has none: `v = momentum*v + lr*g`.")
def _averaged(w, v, g, lr, momentum):
    v = momentum * v + (1 - momentum) * lr * g
    return w - v, v


@variant("`lr` and `momentum` swapped places: the momentum multiplies the old velocity, "
         "the learning rate the gradient.")
def _swapped_settings(w, v, g, lr, momentum):
    v = lr * v + momentum * g
    return w - v, v


@variant("The returned `v` is the old velocity; return the updated one.")
def _stale_velocity(w, v, g, lr, momentum):
    return w - (momentum * v + lr * g), v


@variant("The two results are swapped: return `(w, v)` in this order.")
def _swapped_momentum_outputs(w, v, g, lr, momentum):
    return tuple(reversed(_momentum_reference(w, v, g, lr, momentum)))


momentum_step = FunctionChecker(
    "5.1", "momentum_step(w, v, g, lr, momentum)", "(w, v)",
    task="the new weights and velocity `(w, v)` after one step of eq. (9)",
    reference=_momentum_reference, cases=_momentum_cases,
    variants=[_pytorch, _old_velocity, _negative_velocity, _uphill, _lr_twice, _no_lr,
              _averaged, _swapped_settings, _stale_velocity, _swapped_momentum_outputs],
    fallback="compare each line with eq. (9): `v = momentum*v + lr*g`, then `w = w - v`.",
    praise="`momentum_step` follows eq. (9) in every step of both runs.",
    doc="""Exercise 5.1: the momentum step, eq. (9).

    Write ``momentum_step(w, v, g, lr, momentum)``:

    ``w``, ``v``, ``g``  the weights, the velocity and the gradient, arrays of one shape
    ``lr``        the learning rate eta
    ``momentum``  the weight of the old velocity (the paper's gamma in eq. 9)

    It returns the pair ``(w, v)`` after one step, as new arrays: first the
    velocity ``v = momentum * v + lr * g``, then ``w = w - v`` with the new ``v``.
    This is the paper's form, with the learning rate inside the velocity
    (PyTorch's differs).  Whether the function also changes its inputs does
    not matter (the checker passes copies).

    Check it with ``check("5.1", momentum_step)``.
    """)


