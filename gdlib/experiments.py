"""The paper's experiments (Kang 2020, Sec. 4, Fig. 3-7) as configs, runs and stored results.

Each figure is a dict ``label -> TrainConfig`` built from one base config, so
every choice the paper leaves open (initialisation, iterations, evaluation) is
written down once.  ``scripts/make_results.py`` trains every figure for
``SEEDS`` and stores the Histories under ``results/``; a chapter loads them
with ``load_figure`` and recomputes seed 0 with ``check_against_stored`` to
show that the stored numbers still come out of the code.
"""

import platform
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__
from .train import History, TrainConfig, train

__all__ = ["FIGURES", "SEEDS", "BASE", "figure", "run_figure", "load_figure", "result_path",
           "save_run", "check_against_stored", "Comparison", "final_loss", "converged",
           "RESULTS_DIR", "CONVERGED_ACCURACY"]

SEEDS = (0, 1, 2, 3, 4)
RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"

# Mini-batch runs (Fig. 4-7): 2,000 updates of batch 256, about 8.5 epochs.
BASE = TrainConfig(batch_size=256, iterations=2000, eval_every=100)
# Stochastic runs (Fig. 3): batch 1 for one epoch, 60,000 updates.
STOCHASTIC = TrainConfig(batch_size=1, epochs=1, eval_every=2000)

FIGURES = {
    "fig3": {
        "eta = 0.01": STOCHASTIC.replace(lr=0.01),
        "eta = 0.1": STOCHASTIC.replace(lr=0.1),
    },
    "fig4": {
        "eta = 0.1": BASE.replace(lr=0.1),
        "eta = 0.01": BASE.replace(lr=0.01),
    },
    "fig5": {
        f"momentum = {m}": BASE.replace(optimizer="momentum", lr=0.01, momentum=m)
        for m in (0.1, 0.3, 0.5, 0.7, 0.9)
    },
    "fig6": {
        f"gamma = {g}": BASE.replace(optimizer="adadelta", lr=1.0, gamma=g)
        for g in (0.5, 0.3, 0.1)
    },
    "fig7": {
        "SGD": BASE.replace(optimizer="sgd", lr=0.01),
        "Momentum": BASE.replace(optimizer="momentum", lr=0.01, momentum=0.9),
        "AdaGrad": BASE.replace(optimizer="adagrad", lr=0.01),
        "Adadelta": BASE.replace(optimizer="adadelta", lr=1.0, gamma=0.1),
        "Adadelta x 0.01": BASE.replace(optimizer="adadelta", lr=0.01, gamma=0.1),
    },
}


def figure(name, seed=0):
    """The configs of figure ``name`` for one seed, as ``label -> TrainConfig``."""
    return {label: cfg.replace(seed=seed) for label, cfg in FIGURES[name].items()}


def run_figure(name, data, seed=0, labels=None):
    """Train every run of figure ``name`` (or only ``labels``) for ``seed``."""
    return {label: train(cfg, data) for label, cfg in figure(name, seed).items()
            if labels is None or label in labels}


def _slug(label):
    return re.sub(r"[^a-z0-9.]+", "-", label.lower()).strip("-")


def result_path(name, label, seed, root=None):
    return Path(root or RESULTS_DIR) / name / f"{_slug(label)}-seed{seed}.npz"


def save_run(name, label, history, root=None):
    """Store one History with a note of what produced it."""
    path = result_path(name, label, history.config.seed, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    history.meta = {"figure": name, "label": label, "gdlib": __version__,
                    "numpy": np.__version__, "machine": platform.machine(),
                    "made_by": "scripts/make_results.py"}
    return history.save(path)


def load_figure(name, seeds=SEEDS, root=None):
    """Stored Histories of figure ``name``: ``label -> [History per seed]``.

    Raises ``FileNotFoundError`` naming the missing file and the script that
    makes it; a stored file whose config differs from ``FIGURES`` raises
    ``ValueError`` (it was made by other code and must be recomputed).
    """
    out = {}
    for label, cfg in FIGURES[name].items():
        runs = []
        for seed in seeds:
            path = result_path(name, label, seed, root)
            if not path.exists():
                raise FileNotFoundError(
                    f"{path} is missing: run `python scripts/make_results.py {name}`")
            h = History.load(path)
            if h.config != cfg.replace(seed=seed):
                raise ValueError(f"{path} was made with a different config; "
                                 f"recompute it with `python scripts/make_results.py {name}`")
            runs.append(h)
        out[label] = runs
    return out


def final_loss(history, last=None):
    """Mean training loss over the last ``last`` iterations (default: the last 10 %)."""
    n = len(history.loss)
    k = last or max(1, n // 10)
    return float(np.mean(history.loss[-k:])) if n else float("nan")


@dataclass
class Comparison:
    """How a recomputed run compares with its stored twin."""

    label: str
    identical: bool         # every recorded number bit-for-bit equal
    loss_rel_diff: float    # relative difference of final_loss
    acc_diff: float         # absolute difference of the final test accuracy
    ok: bool                # within the tolerances

    def __repr__(self):
        return (f"{self.label}: identical={self.identical}, final-loss diff "
                f"{self.loss_rel_diff:.2%}, accuracy diff {self.acc_diff:.4f}, ok={self.ok}")


# BLAS rounding differs between processors and grows over thousands of
# updates, so a recomputed run is compared by its summary, not bit for bit.
LOSS_TOLERANCE = 0.10      # relative, on the mean loss of the last 10 % of iterations
ACCURACY_TOLERANCE = 0.01  # absolute, on the final test accuracy
# A run that fails (diverges, or ends below this test accuracy) is chaotic: where
# it ends is not reproducible across processors, only that it fails.
CONVERGED_ACCURACY = 0.90


def converged(history):
    """True if the run did not diverge and ended at ``CONVERGED_ACCURACY`` or better."""
    return not history.diverged and float(history.test_acc[-1]) >= CONVERGED_ACCURACY


def check_against_stored(live, stored):
    """Compare recomputed Histories (``label -> History``) with stored ones of the same seed.

    A converged run must match its twin within the tolerances; a failed one
    (diverged or below ``CONVERGED_ACCURACY``) must fail too.
    """
    out = []
    for label, h in live.items():
        twin = next(s for s in stored[label] if s.config == h.config)
        loss_diff = abs(final_loss(h) - final_loss(twin)) / final_loss(twin)
        acc_diff = abs(float(h.test_acc[-1]) - float(twin.test_acc[-1]))
        if converged(twin):
            ok = converged(h) and loss_diff <= LOSS_TOLERANCE and acc_diff <= ACCURACY_TOLERANCE
        else:
            ok = not converged(h)
        out.append(Comparison(label, h.equals(twin), loss_diff, acc_diff, ok))
    return out
