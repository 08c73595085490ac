"""One step of an update rule, checked step by step (chapters 5 to 7).

The references are gdlib's own optimizers, run for one step from a given
state by ``optimizer_step``.  ``runs`` makes the cases: a run of steps starts
at a given state and each step starts where the reference's previous step
ended, so a mistake is reported at the step where it first shows (a wrong
order of two updates, for example, only shows once the state is not zero).
"""

import numpy as np

from .compare import Case


def optimizer_step(optimizer, w, g, **state):
    """One step of a gdlib optimizer from the given state: ``(w, *state)`` as new arrays."""
    params = {"w": w.copy()}
    optimizer.step(params, {"w": np.zeros_like(g)})   # creates the state; a zero gradient
    for symbol, value in state.items():                # moves nothing in these methods
        optimizer.state["w"][symbol][...] = value
    optimizer.step(params, {"w": g.copy()})
    return (params["w"], *(optimizer.state["w"][symbol].copy() for symbol in state))


def runs(reference, *plan):
    """Cases ``(w, *state, g, *settings)`` for runs given as (start, gradients, settings)."""
    cases = []
    for r, (start, gradients, settings) in enumerate(plan, 1):
        values = tuple(np.array(s, dtype=np.float64) for s in start)
        for s, g in enumerate(gradients, 1):
            args = (*values, np.array(g, dtype=np.float64), *settings)
            cases.append(Case(args, f"in run {r}, step {s}"))
            values = reference(*args)
    return cases


def rms(x, eps):
    """``sqrt(x + eps)``, the root of eq. (10), (14) and (15)."""
    return np.sqrt(x + eps)
