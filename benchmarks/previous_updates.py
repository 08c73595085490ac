"""The baseline of benchmarks/throughput.py: the update rules gdlib used before.

Until the rules were rewritten to read as the book shows them (``Optimizer._update``),
every step wrote into two preallocated scratch arrays with ``out=`` and allocated
nothing.  This is that previous form, kept here only so that ``throughput.py`` can
measure what the readable form costs and check that both give the same bits; gdlib
never runs it.
"""

import numpy as np


def _previous_scaled_gradient(g, acc, eps, lr, out):
    np.add(acc, eps, out=out)
    np.sqrt(out, out=out)
    np.divide(g, out, out=out)
    out *= lr


def _previous_ema(acc, squared, gamma):
    acc *= 1.0 - gamma
    squared *= gamma
    acc += squared


def _previous_sgd(opt, w, g, state, s, _):
    np.multiply(g, opt.lr, out=s)
    w -= s


def _previous_momentum(opt, w, g, state, s, _):
    v = state["v"]
    v *= opt.momentum
    np.multiply(g, opt.lr, out=s)
    v += s
    w -= v


def _previous_adagrad(opt, w, g, state, s, _):
    np.multiply(g, g, out=s)
    state["G"] += s
    _previous_scaled_gradient(g, state["G"], opt.eps, opt.lr, out=s)
    w -= s


def _previous_rmsprop(opt, w, g, state, s, _):
    np.multiply(g, g, out=s)
    _previous_ema(state["Eg2"], s, opt.gamma)
    _previous_scaled_gradient(g, state["Eg2"], opt.eps, opt.lr, out=s)
    w -= s


def _previous_adadelta(opt, w, g, state, s, denom):
    np.multiply(g, g, out=s)
    _previous_ema(state["Eg2"], s, opt.gamma)
    np.add(state["Eg2"], opt.eps, out=denom)
    np.add(state["Edw2"], opt.eps, out=s)
    s /= denom
    np.sqrt(s, out=s)
    s *= g
    np.multiply(s, s, out=denom)
    _previous_ema(state["Edw2"], denom, opt.gamma)
    if opt.lr != 1.0:
        s *= opt.lr
    w -= s


PREVIOUS_FORM = {"sgd": _previous_sgd, "momentum": _previous_momentum,
                 "adagrad": _previous_adagrad, "rmsprop": _previous_rmsprop,
                 "adadelta": _previous_adadelta}


def previous_step(opt, rule, params, grads, scratch):
    """``opt.step`` with the previous in-place ``rule``: same state, two scratch arrays."""
    for name, w in params.items():
        if name not in opt.state:
            opt.state[name] = {s: np.zeros_like(w) for s in opt.state_names}
            scratch[name] = (np.empty_like(w), np.empty_like(w))
        rule(opt, w, grads[name], opt.state[name], *scratch[name])
    opt.steps += 1
