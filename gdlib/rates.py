"""What "adaptive" does inside the network: each layer's learning rates over a run.

An adaptive method (AdaGrad eq. 10, RMSProp eq. 14, Adadelta eq. 15, Adam)
gives every weight its own learning rate, ``Optimizer.rate(state)``: the
number that multiplies that weight's gradient on the next step.  ``train_with_rates``
trains a config as ``gdlib.train.train`` does and, every ``every`` updates,
records for each weight matrix ``W1 .. WL`` the median of those rates and the
10th and 90th percentiles (four in five of the layer's weights lie between
them).  They travel in the History's ``meta["rates"]`` (plain lists, so the
History stores and caches as any other) and ``layer_rates(history)`` returns
them as arrays.
"""

from dataclasses import dataclass

import numpy as np

from .machine import limited_blas
from .train import train

__all__ = ["train_with_rates", "layer_rates", "LayerRates", "QUANTILES"]

QUANTILES = (0.1, 0.5, 0.9)     # of each layer's rates: low, median, high


@dataclass
class LayerRates:
    """One layer's rates over a run: ``iterations[k]`` updates done, ``low``/``median``/
    ``high`` the 10th, 50th and 90th percentiles of its weights' rates there."""

    layer: str
    iterations: np.ndarray
    low: np.ndarray
    median: np.ndarray
    high: np.ndarray

    def __repr__(self):
        return (f"LayerRates({self.layer}: median {self.median[0]:.3g} after "
                f"{self.iterations[0]} updates, {self.median[-1]:.3g} after "
                f"{self.iterations[-1]})")


def _weights(params):
    return [name for name in params if name.startswith("W")]


def train_with_rates(config, data, every=20):
    """Train ``config`` on ``data`` on one BLAS thread (as a stored run) and record each
    weight matrix's rates every ``every`` updates into ``history.meta["rates"]``."""
    if not (isinstance(every, int) and every >= 1):
        raise ValueError(f"every must be an integer >= 1, got {every!r}")
    record = {"iterations": []}

    def look(run):
        done = run.iteration + 1
        if done % every and done != 1:
            return False
        record["iterations"].append(done)
        for name in _weights(run.model.params):
            rate = np.broadcast_to(run.optimizer.rate(run.optimizer.state[name]),
                                   run.model.params[name].shape)
            record.setdefault(name, []).append(np.quantile(rate, QUANTILES).tolist())
        return False

    with limited_blas():
        history = train(config, data, callback=look)
    history.meta["rates"] = record
    return history


def layer_rates(history):
    """``{"W1": LayerRates, ...}`` from a History made by ``train_with_rates``."""
    record = history.meta.get("rates")
    if record is None:
        raise ValueError(f"{history!r} holds no rates: train it with "
                         "gdlib.rates.train_with_rates(config, data)")
    iterations = np.asarray(record["iterations"])
    out = {}
    for name, rows in record.items():
        if name == "iterations":
            continue
        low, median, high = np.asarray(rows, dtype=float).T
        out[name] = LayerRates(name, iterations, low, median, high)
    return out
