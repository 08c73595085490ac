"""Chapters 7 and 8, averages over time: the moving average of eq. (12) and (13), and the
first iteration where a smoothed loss falls below a threshold."""

import math

import numpy as np

from ..metrics import smooth  # the trailing moving average of the book
from ..optimizers import gamma_from_window, window_from_gamma
from .compare import Case, FunctionChecker, variant

# -- eq. (12), (13): the exponential moving average ----------------------------------


def _ema_reference(values, gamma):
    E, out = 0.0, np.empty(len(values))
    for t, x in enumerate(values):
        E = (1 - gamma) * E + gamma * x          # eq. (12), starting from E_0 = 0
        out[t] = E
    return out


def _ema_cases():
    rng = np.random.default_rng(12)
    return [Case((np.array([1.0, 2.0, 4.0, 3.0, 0.5, 2.5]), 0.2), "in case 1 (gamma = 0.2)"),
            Case((np.ones(6), 0.1), "in case 2 (constant values, gamma = 0.1: a window of 19)"),
            Case((rng.uniform(0, 3, 8), gamma_from_window(4)),
                 "in case 3 (gamma = 0.4: a window of 4)")]


@variant("`gamma` and `1 - gamma` are swapped. In eq. (12) `gamma` weighs the newest value: "
         "`E = (1 - gamma)*E + gamma*x` (PyTorch's rho is 1 - gamma).")
def _swapped(values, gamma):
    return _ema_reference(values, 1 - gamma)


@variant("The average starts at the first value (E_1 = x_1). Eq. (12) starts from E_0 = 0, "
         "so E_1 = gamma*x_1.")
def _first_value_start(values, gamma):
    out = _ema_reference(values, gamma)
    return out - (1 - gamma) ** np.arange(len(values)) * (out[0] - values[0])


@variant("E_0 is in the result too: return E_1 .. E_T, one average per value (as many as "
         "`len(values)`).")
def _with_e0(values, gamma):
    return np.concatenate([[0.0], _ema_reference(values, gamma)])


@variant("Off by one: E_t already includes the value x_t, so the first entry is "
         "E_1 = gamma*x_1, not E_0 = 0.")
def _shifted(values, gamma):
    return np.concatenate([[0.0], _ema_reference(values, gamma)[:-1]])


@variant("Divided by 1 - (1 - gamma)^t (Adam's bias correction); eq. (12) has no correction.")
def _bias_corrected(values, gamma):
    t = np.arange(1, len(values) + 1)
    return _ema_reference(values, gamma) / (1 - (1 - gamma) ** t)


@variant("The newest value is not multiplied by `gamma`: `E = (1 - gamma)*E + gamma*x`.")
def _unweighted_value(values, gamma):
    return _ema_reference(values, gamma) / gamma


@variant("The old average is not multiplied by `1 - gamma`: `E = (1 - gamma)*E + gamma*x`.")
def _unweighted_history(values, gamma):
    return gamma * np.cumsum(values)


@variant("Only the last average E_T is returned; return all of E_1 .. E_T as an array.")
def _last_only(values, gamma):
    return _ema_reference(values, gamma)[-1]


@variant("That is the running mean of all values so far, where every value weighs the same. "
         "Eq. (12) weighs older values less: (1 - gamma) per step of age.")
def _running_mean(values, gamma):
    return np.cumsum(values) / np.arange(1, len(values) + 1)


@variant("That is a plain average over a window of n = 2/gamma - 1 values. Eq. (12) "
         "averages all earlier values, weighing each by (1 - gamma) per step of age.")
def _window_mean(values, gamma):
    return smooth(values, round(window_from_gamma(gamma)))


ema = FunctionChecker(
    "7.1", "ema(values, gamma)", "E",
    task="the averages E_1 .. E_T of eq. (12), an array as long as `values`",
    reference=_ema_reference, cases=_ema_cases,
    variants=[_swapped, _first_value_start, _with_e0, _shifted, _bias_corrected,
              _unweighted_value, _unweighted_history, _last_only, _running_mean, _window_mean],
    fallback="start from E = 0 and, for each value x in turn, set `E = (1 - gamma)*E + gamma*x` "
             "and keep it.",
    praise="`ema` gives E_1 .. E_T of eq. (12) from E_0 = 0 in all three cases.",
    doc="""Exercise 7.1: the exponential moving average, eq. (12) and (13).

    Write ``ema(values, gamma)``:

    ``values``  a 1-D array x_1 .. x_T
    ``gamma``   the weight of the newest value, 0 < gamma <= 1

    It returns a new array of length T holding E_1 .. E_T, where
    ``E_t = (1 - gamma) * E_(t-1) + gamma * x_t`` and ``E_0 = 0`` (eq. 12).  So
    its first entry is ``gamma * values[0]``.  A window of n steps is
    ``gamma = 2 / (n + 1)`` (eq. 13).  Whether the function also changes
    ``values`` does not matter (the checker passes copies).

    Check it with ``check("7.1", ema)``.
    """)


# -- chapter 8: iterations until the smoothed loss is below a threshold ----------------


def _iterations_reference(loss, threshold, window):
    below = np.flatnonzero(smooth(loss, window) < threshold)
    return float(below[0]) if below.size else math.inf


def _iterations_cases():
    return [
        Case((np.array([3, 2.5, 2, 1.5, 1, 0.5, 0.4, 0.3]), 1.2, 3), "in case 1 (window 3)"),
        Case((np.array([0.2, 3, 3, 0.1, 0.1, 0.1, 0.1]), 1.0, 3),
             "in case 2 (the loss starts low)"),
        Case((np.array([2, 1, 1, 0.5, 0.25]), 1.0, 2),
             "in case 3 (the average equals the threshold at iteration 2)"),
        Case((np.array([3, 2, 2.5, 2, 1.8]), 1.0, 2),
             "in case 4 (the average never gets below the threshold)"),
        Case((np.array([2, 0.5, 3, 0.2]), 1.0, 1), "in case 5 (window 1: no smoothing)"),
    ]


def _first(mask, offset=0):
    i = np.flatnonzero(mask)
    return float(i[0] + offset) if i.size else math.inf


@variant("The raw loss was compared; compare its trailing moving average over `window` "
         "points.")
def _raw(loss, threshold, window):
    return _first(loss < threshold)


@variant("Counted from 1: iteration i is `loss[i]`, counted from 0.")
def _one_based(loss, threshold, window):
    return _iterations_reference(loss, threshold, window) + 1


@variant("`<=` instead of `<`: an average equal to the threshold is not below it.")
def _at_most(loss, threshold, window):
    return _first(smooth(loss, window) <= threshold)


@variant("The first `window - 1` iterations were skipped. At the start the average is over "
         "the points so far: at iteration i over `loss[max(0, i - window + 1) : i + 1]`.")
def _full_windows(loss, threshold, window):
    full = np.convolve(loss, np.ones(window) / window, mode="valid")
    return _first(full < threshold, offset=window - 1)


@variant("That average looks ahead: at iteration i it is over `loss[i : i + window]` (as "
         "`np.convolve(..., 'valid')` gives it, indexed from 0). The trailing average at "
         "iteration i is over `loss[max(0, i - window + 1) : i + 1]`.")
def _ahead(loss, threshold, window):
    return _first(np.convolve(loss, np.ones(window) / window, mode="valid") < threshold)


@variant("At the start the average was divided by `window` although fewer points were "
         "summed (as zeros before the first loss): divide by the number of points, "
         "`min(i + 1, window)`.")
def _zero_padded(loss, threshold, window):
    return _first(np.convolve(loss, np.ones(window) / window)[:len(loss)] < threshold)


@variant("That is the iteration of the lowest average; the exercise asks for the first "
         "iteration whose average is below the threshold.")
def _argmin(loss, threshold, window):
    return float(np.argmin(smooth(loss, window)))


@variant("That is the average's value; return the iteration i where it first falls below "
         "the threshold.")
def _value(loss, threshold, window):
    s = smooth(loss, window)
    i = np.flatnonzero(s < threshold)
    return float(s[i[0]]) if i.size else math.inf


def _never(result):
    """A variant that returns ``result`` where the average never falls below the threshold."""
    def wrong(loss, threshold, window):
        found = _iterations_reference(loss, threshold, window)
        return result(loss) if math.isinf(found) else found
    return wrong


_NEVER = "When the average never falls below the threshold, return `math.inf`"
_never_none = variant(f"{_NEVER}, not None.")(_never(lambda loss: None))
_never_minus_one = variant(f"{_NEVER}, not -1.")(_never(lambda loss: -1.0))
_never_length = variant(f"{_NEVER}, not `len(loss)`.")(_never(lambda loss: float(len(loss))))
_never_nan = variant(f"{_NEVER}, not nan.")(_never(lambda loss: math.nan))


iterations_to = FunctionChecker(
    "8.1", "iterations_to(loss, threshold, window)", "iteration",
    task="the first iteration whose trailing moving average is below `threshold` "
         "(`math.inf` if none)",
    reference=_iterations_reference, cases=_iterations_cases,
    variants=[_raw, _one_based, _at_most, _full_windows, _ahead, _zero_padded,
              _argmin, _value, _never_none, _never_minus_one, _never_length, _never_nan],
    fallback="for each iteration i, average `loss[max(0, i - window + 1) : i + 1]`; return "
             "the first i where that average is `< threshold`, else `math.inf`.",
    praise="`iterations_to` finds the first iteration whose trailing average is below the "
           "threshold in all five cases, and `math.inf` when there is none.",
    doc="""Exercise 8.1: how many iterations until the smoothed loss is below a threshold.

    Write ``iterations_to(loss, threshold, window)``:

    ``loss``       a 1-D array of training losses; ``loss[i]`` is iteration i,
                   counted from 0 (as in ``History.loss``)
    ``threshold``  a number
    ``window``     an integer >= 1

    It returns the first iteration ``i`` whose trailing moving average
    ``mean(loss[max(0, i - window + 1) : i + 1])`` is strictly below
    ``threshold``: the average of the last ``window`` losses, of fewer at the
    start.  If there is none it returns ``math.inf``.  (Chapter 8 measures
    "faster" this way; gdlib smooths the loss the same way.)  Whether the
    function also changes ``loss`` does not matter (the checker passes copies).

    Check it with ``check("8.1", iterations_to)``.
    """)
