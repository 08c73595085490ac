"""The paper's experiments (Kang 2020, Sec. 4, Fig. 3-7) as configs, runs and stored results.

``after7`` is not the paper's: Fig. 7's set-up with the methods after it (chapter 9).
Every figure can be run on another data set of ``DATASETS`` (``dataset="fashion"``,
chapter 10): the same configs with only ``TrainConfig.dataset`` changed, stored
apart (``group``: ``fashion-fig7``).

Each figure is a dict ``label -> TrainConfig`` built from one base config, so
every choice the paper leaves open (initialisation, iterations, evaluation) is
written down once.  ``scripts/make_results.py`` trains every figure for
``SEEDS`` and stores the Histories in the results folder; a chapter loads them
with ``load_figure`` and recomputes seed 0 with ``check_against_stored`` to
show that the stored numbers still come out of the code.

The files are kept by ``gdlib.paper.store`` (``RESULTS``), which owns their
paths, saving, loading and the one comparison with a recomputed run.  The
results folder is, in order: the ``root`` argument of each function, the
environment variable ``GDLIB_RESULTS``, or the ``results/`` folder shipped
inside this package (``gdlib/paper/results``), so an installed gdlib finds
them as well as a checkout does.
"""

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..schedules import Schedule
from ..train import History, TrainConfig
from .store import (
    ACCURACY_TOLERANCE,
    CONVERGED_ACCURACY,
    LOSS_TOLERANCE,
    RESULTS,
    Comparison,
    converged,
    limited_blas,
    train_as_stored,
)

__all__ = ["FIGURES", "SEEDS", "DATASETS", "group", "BASE", "STOCHASTIC", "figure", "run_figure",
           "load_figure", "cached_run", "result_path", "results_dir", "save_run",
           "check_against_stored", "Comparison", "converged", "limited_blas",
           "PACKAGED_RESULTS", "CONVERGED_ACCURACY", "LOSS_TOLERANCE", "ACCURACY_TOLERANCE"]

SEEDS = (0, 1, 2, 3, 4)
PACKAGED_RESULTS = RESULTS.default

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
    # After the paper (chapter 9): the methods of 1983-2019 in Fig. 7's set-up, eta = 0.01.
    "after7": {
        "Nesterov": BASE.replace(optimizer="nesterov", lr=0.01, momentum=0.9),
        "Adam": BASE.replace(optimizer="adam", lr=0.01, beta1=0.9, beta2=0.999),
        "AdamW": BASE.replace(optimizer="adamw", lr=0.01, beta1=0.9, beta2=0.999,
                              weight_decay=0.01),
    },
    # After the paper, part 2 (issue 20; stored, no chapter yet): SGD at Fig. 4's eta = 0.1
    # and Momentum at Fig. 7's, each with a step decay, a cosine and a warm-up before it.
    "schedules": {
        f"{name}, {how}": cfg.replace(schedule=schedule)
        for name, cfg in (("SGD eta = 0.1", BASE.replace(lr=0.1)),
                          ("Momentum 0.9", BASE.replace(optimizer="momentum", lr=0.01,
                                                        momentum=0.9)))
        for how, schedule in (("step", Schedule("step", every=700, factor=0.1)),
                              ("cosine", Schedule("cosine")),
                              ("warm-up + cosine", Schedule("cosine", warmup=100)))
    },
    # The linear-scaling rule (eta proportional to the batch size n, Goyal et al. 2017) from
    # Fig. 4's SGD at eta = 0.1, batch 256, beside eta = 0.1 for every n; equal epochs
    # (Fig. 4's 512,000 samples, about 8.5 epochs) for every batch size.
    "batch-scaling": {
        f"batch {n}, eta = {eta:g}": BASE.replace(batch_size=n, lr=eta,
                                                  iterations=512_000 // n,
                                                  eval_every=512_000 // n // 20)
        for n in (32, 64, 128, 256, 512, 1024)
        for eta in sorted({0.1, 0.1 * n / 256})
    },
}


DATASETS = ("mnist", "fashion")    # the paper's, and Fashion-MNIST (Xiao et al. 2017)


def group(name, dataset="mnist"):
    """Where figure ``name`` on ``dataset`` is stored: ``fig7``, ``fashion-fig7``."""
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    if name not in FIGURES:
        raise ValueError(f"no figure {name!r}; the figures are {sorted(FIGURES)}")
    return name if dataset == "mnist" else f"{dataset}-{name}"


def figure(name, seed=0, dataset="mnist"):
    """The configs of figure ``name`` for one seed, as ``label -> TrainConfig``."""
    group(name, dataset)                                   # checks both names
    return {label: cfg.replace(seed=seed, dataset=dataset) for label, cfg in FIGURES[name].items()}


def run_figure(name, data, seed=0, labels=None):
    """Train every run of figure ``name`` (or only ``labels``) for ``seed``.

    With ``GDLIB_RUN_CACHE`` set (the book build and its tests set it), a run
    already trained by this very code, on this data, comes from that folder
    instead: the same config gives a bit-identical History, so a build that
    executes the chapters three times (HTML, nbval, student edition) trains
    each figure once.  Readers train every run.  Each History's
    ``meta["seconds"]`` says how long its training took (a cached run's, when it
    was trained: the first execution of the build).  Every run trains as the
    stored ones were made (``store.train_as_stored``: one BLAS thread), so that
    seed 0 can match its stored twin bit for bit on any machine whose processor
    and NumPy round as this one's.
    """
    configs = figure(name, seed, _dataset_of(data))
    return {label: cached_run(cfg, data) for label, cfg in configs.items()
            if labels is None or label in labels}


def _dataset_of(data):
    """The name in ``DATASETS`` of a loaded Dataset (``gdlib.data.load_dataset``)."""
    name = getattr(data, "name", "mnist")
    if name not in DATASETS:
        raise ValueError(f"the paper's figures run on {DATASETS}, not on {name!r}")
    return name


def cached_run(config, data, make=train_as_stored):
    """``make(config, data)``, a History, or the one this very code made before on this
    data, from the folder ``GDLIB_RUN_CACHE`` names (the book build's run cache; unset,
    every call trains).  ``make`` is ``train_as_stored`` or another function that
    trains as it does and records more in the History's ``meta`` (``gdlib.rates``)."""
    folder = os.environ.get("GDLIB_RUN_CACHE")
    if not folder:
        return make(config, data)
    key = hashlib.sha256(json.dumps(
        [config.to_dict(), _data_fingerprint(data), _code_version(),
         f"{make.__module__}.{make.__qualname__}"],
        sort_keys=True, default=str).encode()).hexdigest()[:24]
    path = Path(folder) / f"{key}.npz"
    if path.is_file():
        return History.load(path)
    history = make(config, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    history.save(path)                                   # atomic: never a partial file
    return history


def _data_fingerprint(data):
    """A fingerprint of a Dataset: its name, shapes, all labels and every 97th image."""
    digest = hashlib.sha256(str(getattr(data, "name", None)).encode())
    for array in (data.x_train, data.t_train, data.x_test, data.t_test):
        array = np.asarray(array)
        sample = array if array.ndim == 1 else array[::97]
        digest.update(str((array.shape, array.dtype.str)).encode())
        digest.update(np.ascontiguousarray(sample).tobytes())
    return digest.hexdigest()


def _code_version():
    """A fingerprint of gdlib's numeric code: a change to it retrains every cached run."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _run_name(label, seed):
    return f"{label} seed{seed}"


def results_dir(root=None):
    """Where the stored runs are: ``root``, else ``$GDLIB_RESULTS``, else the packaged folder."""
    return RESULTS.folder(root)


def result_path(name, label, seed, root=None, dataset="mnist"):
    """The file that stores seed ``seed`` of run ``label`` of figure ``name``."""
    return RESULTS.path(group(name, dataset), _run_name(label, seed), root)


def save_run(name, label, history, root=None):
    """Store one History (atomically) with a note of what produced it; the data set
    (and so the folder) is the run's own, ``history.config.dataset``."""
    dataset = history.config.dataset
    return RESULTS.save(group(name, dataset), _run_name(label, history.config.seed), history,
                        {"figure": name, "label": label, "dataset": dataset}, root)


def load_figure(name, seeds=SEEDS, root=None, dataset="mnist"):
    """Stored Histories of figure ``name`` on ``dataset``: ``label -> [History per seed]``.

    Raises ``FileNotFoundError`` naming the missing file and the script that
    makes it; a stored file whose config differs from ``FIGURES`` raises
    ``ValueError`` (it was made by other code and must be recomputed).
    """
    where = group(name, dataset)
    configs = {seed: figure(name, seed, dataset) for seed in seeds}
    return {label: [RESULTS.load(where, _run_name(label, seed), configs[seed][label], root)
                    for seed in seeds]
            for label in FIGURES[name]}


def _twin(label, history, stored):
    """The stored run of ``label`` made with the same config (and so the same seed)."""
    runs = stored.get(label)
    if runs is None:
        raise KeyError(f"no stored runs labelled {label!r}; stored labels: {sorted(stored)}")
    for run in runs:
        if run.config == history.config:
            return run
    seeds = sorted(run.config.seed for run in runs)
    raise LookupError(
        f"no stored twin of {label!r} for seed {history.config.seed} with this config "
        f"(stored seeds: {seeds}); store it with `python {RESULTS.script}`")


def check_against_stored(live, stored):
    """Compare recomputed Histories (``label -> History``) with stored ones of the same seed.

    A converged run must match its twin within the tolerances; a failed one
    (diverged or below ``CONVERGED_ACCURACY``) must fail too (``RESULTS.compare``).
    """
    return [RESULTS.compare(label, h, _twin(label, h, stored)) for label, h in live.items()]
