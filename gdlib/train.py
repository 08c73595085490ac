"""The training loop: batches, recording, divergence detection (Kang 2020, Sec. 4).

``train(config, data)`` builds the network and the optimizer that ``config``
names, runs mini-batch gradient descent (eq. 8; batch size 1 is eq. 7, the
whole training set is eq. 6) and returns a ``History``: plain arrays plus the
config that made them, so a figure can be redrawn, stored or compared without
training again.  The same config gives a bit-identical History on the same
machine.
"""

import dataclasses
import json
import math
import numbers
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import optimizers
from .mlp import MLP
from .schedules import Schedule

__all__ = ["TrainConfig", "History", "Run", "train", "batches", "make_optimizer", "OPTIMIZERS",
           "planned_iterations"]

OPTIMIZERS = optimizers.REGISTRY      # key -> class; every Optimizer subclass with a key


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run; the book keeps one per experiment."""

    optimizer: str = "sgd"          # one of OPTIMIZERS: sgd, momentum, adagrad, rmsprop, adadelta,
                                    # and after the paper nesterov, adam, adamw
    lr: float = 0.01                # eta; for adadelta a multiplier of eq. (15), 1.0 = the paper's
    momentum: float = 0.9           # momentum/nesterov: the weight of the old velocity (eq. 9)
    gamma: float | None = None      # rmsprop/adadelta: EMA weight of the newest g^2 (eq. 12)
    window: float | None = None     # rmsprop/adadelta: or the window n, gamma = 2/(n+1) (eq. 13)
    eps: float | None = None        # adagrad/rmsprop/adadelta/adam/adamw; None = its default
    beta1: float | None = None      # adam/adamw: weight of the old m (Kingma and Ba); None = 0.9
    beta2: float | None = None      # adam/adamw: weight of the old v; None = 0.999
    weight_decay: float | None = None  # adamw: decoupled decay (Loshchilov and Hutter); None = 0.01
    batch_size: int = 256           # 1: stochastic (eq. 7); 60000: full batch (eq. 6)
    epochs: int = 1                 # passes over the training set, unless `iterations` is set
    iterations: int | None = None   # if set: exactly this many updates, reshuffling each epoch
    sizes: tuple = (784, 500, 300, 10)  # layer widths (the paper's network)
    activation: str = "relu"        # hidden activation, eq. (3); or "sigmoid", eq. (2)
    loss: str = "cross_entropy"     # eq. (5); or "mse", eq. (4)
    seed: int = 0                   # initial weights and shuffling both derive from it
    dtype: str = "float32"          # "float32" or "float64"
    dataset: str = "mnist"          # "mnist" or "fashion"
    train_size: int | None = None   # use only the first n training images (None: all 60,000)
    eval_every: int | None = None   # iterations between test evaluations; None: 20 per run
    eval_size: int | None = None    # test images per evaluation (None: all 10,000)
    diverge_loss: float = 1e3       # a training loss above this (or not finite) ends the run
    schedule: Schedule | None = None  # eta_t = lr * schedule(t, total) before update t
                                      # (gdlib.schedules); None: eta stays lr, as in the paper

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, "
                             f"got {self.optimizer!r}")
        for name in ("batch_size", "epochs", "iterations", "train_size", "eval_every",
                     "eval_size"):
            value = getattr(self, name)
            if value is None and name not in ("batch_size", "epochs"):
                continue
            if not (isinstance(value, numbers.Integral) and not isinstance(value, bool)
                    and value >= 1):
                optional = "" if name in ("batch_size", "epochs") else "None or "
                raise ValueError(f"{name} must be {optional}an integer >= 1, got {value!r}")
            object.__setattr__(self, name, int(value))
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        object.__setattr__(self, "sizes", tuple(int(n) for n in self.sizes))
        if isinstance(self.schedule, dict):           # as to_dict() wrote it (History.load)
            object.__setattr__(self, "schedule", Schedule(**self.schedule))
        if not (self.schedule is None or isinstance(self.schedule, Schedule)):
            raise ValueError(f"schedule must be a gdlib.schedules.Schedule or None, "
                             f"got {self.schedule!r}")

    def replace(self, **changes):
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self):
        return dataclasses.asdict(self)


def make_optimizer(config):
    """The optimizer object ``config`` describes, with only the fields it uses.

    The fields are the class's ``hyperparameters``; one left at None (``eps``,
    ``gamma``, ``window``, ``beta1``, ``beta2``, ``weight_decay``) takes the
    optimizer's default.
    """
    cls = OPTIMIZERS[config.optimizer]
    missing = [h.name for h in cls.hyperparameters if not hasattr(config, h.name)]
    if missing:
        raise ValueError(f"{cls.__name__} takes {missing}, which TrainConfig has no field for: "
                         "add them to TrainConfig to train it")
    given = {h.name: getattr(config, h.name) for h in cls.hyperparameters}
    return cls(**{name: value for name, value in given.items() if value is not None})


@dataclass
class History:
    """What a run recorded: plain arrays and the config that produced them.

    ``loss[i]``     training loss (batch mean) of iteration ``i`` (before its update)
    ``eval_iter``   iterations at which the test set was evaluated (0 = before training)
    ``test_loss``, ``test_acc``   the test loss and accuracy there
    ``diverged_at`` first iteration whose loss was not finite or above
                    ``config.diverge_loss`` (None if it never diverged); ``loss``
                    stops just before it, so it holds no NaN or inf
    ``stopped_at``  iteration where a callback asked to stop (None otherwise)
    """

    config: TrainConfig
    loss: np.ndarray
    eval_iter: np.ndarray
    test_loss: np.ndarray
    test_acc: np.ndarray
    diverged_at: int | None = None
    stopped_at: int | None = None
    meta: dict = field(default_factory=dict)   # free-form notes (e.g. how it was made)

    @property
    def iterations(self):
        return len(self.loss)

    @property
    def diverged(self):
        return self.diverged_at is not None

    def __repr__(self):
        c = self.config
        end = (f"diverged at iteration {self.diverged_at}" if self.diverged else
               f"final test accuracy {self.test_acc[-1]:.4f}" if len(self.test_acc) else "")
        return (f"History({c.optimizer}, lr={c.lr}, batch={c.batch_size}, "
                f"{self.iterations} iterations, {end})")

    def equals(self, other):
        """True if both runs recorded bit-identical numbers from the same config."""
        return (self.config == other.config and self.diverged_at == other.diverged_at
                and self.stopped_at == other.stopped_at
                and all(np.array_equal(getattr(self, k), getattr(other, k))
                        for k in ("loss", "eval_iter", "test_loss", "test_acc")))

    def save(self, path):
        """Write to ``path`` (.npz) atomically: a failed save leaves no partial file."""
        path = Path(path)
        header = {"config": self.config.to_dict(), "diverged_at": self.diverged_at,
                  "stopped_at": self.stopped_at, "meta": self.meta}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez_compressed(f, header=np.array(json.dumps(header)), loss=self.loss,
                                    eval_iter=self.eval_iter, test_loss=self.test_loss,
                                    test_acc=self.test_acc)
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path):
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            arrays = {k: z[k] for k in ("loss", "eval_iter", "test_loss", "test_acc")}
        cfg = header["config"]
        cfg["sizes"] = tuple(cfg["sizes"])
        return cls(config=TrainConfig(**cfg), diverged_at=header["diverged_at"],
                   stopped_at=header["stopped_at"], meta=header.get("meta", {}), **arrays)


@dataclass
class Run:
    """What ``train``'s callback sees after each iteration: the run from inside.

    ``history``    the History so far (its arrays are views, valid until the next call)
    ``iteration``  index of the iteration just done (0-based; ``history.loss[iteration]``)
    ``model``      the MLP being trained, with its current ``params`` and ``grads``
    ``optimizer``  the optimizer, with its current ``state`` (for example AdaGrad's ``G``)
    """

    config: TrainConfig
    history: History
    model: MLP
    optimizer: optimizers.Optimizer
    iteration: int = -1

    def __repr__(self):
        return f"Run(iteration={self.iteration}, {self.optimizer!r}, {self.history!r})"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def planned_iterations(config, n_train):
    """The updates ``config`` makes on ``n_train`` images: its ``iterations``, or whole epochs."""
    if config.iterations is not None:
        return config.iterations
    return config.epochs * math.ceil(n_train / config.batch_size)


def batches(n, batch_size, total, rng):
    """Index arrays of ``total`` batches, reshuffled (without replacement) every epoch."""
    done = 0
    while done < total:
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            if done == total:
                return
            yield order[start:start + batch_size]
            done += 1


def train(config, data=None, *, callback=None, progress=False, model=None):
    """Train the network ``config`` describes and return its ``History``.

    ``data``      a ``gdlib.data.Dataset``; loaded from ``config.dataset`` if None
    ``callback``  called as ``callback(run)`` after every iteration with a ``Run``:
                  the History so far, the iteration, the model and the optimizer
                  (to look inside a run); return True to stop the run cleanly
    ``progress``  show a tqdm progress bar
    ``model``     an ``MLP`` to train in place (default: a new one from config)
    """
    if data is None:
        from .data import load_dataset
        data = load_dataset(config.dataset)
    x_train, t_train = data.x_train, data.t_train
    if config.train_size is not None:
        x_train, t_train = x_train[:config.train_size], t_train[:config.train_size]
    x_test, t_test = data.x_test, data.t_test
    if config.eval_size is not None:
        x_test, t_test = x_test[:config.eval_size], t_test[:config.eval_size]
    dtype = np.dtype(config.dtype)
    x_train = x_train.astype(dtype, copy=False)

    init_seed, shuffle_seed = np.random.SeedSequence(config.seed).spawn(2)
    if model is None:
        model = MLP(config.sizes, config.activation, config.loss,
                    seed=init_seed, dtype=dtype)
    opt = make_optimizer(config)
    total = planned_iterations(config, len(x_train))
    eval_every = config.eval_every or max(1, total // 20)

    loss = np.zeros(total, dtype=np.float64)
    evals = [(0, *model.evaluate(x_test, t_test))]
    history = History(config, loss[:0], *_eval_arrays(evals))
    run = Run(config, history, model, opt)
    xb = {}   # batch size -> reused input buffer
    bar = _progress_bar(total) if progress else None
    with np.errstate(all="ignore"):
        for i, idx in enumerate(batches(len(x_train), config.batch_size, total,
                                         np.random.default_rng(shuffle_seed))):
            if len(idx) not in xb:
                xb[len(idx)] = np.empty((len(idx), x_train.shape[1]), dtype)
            x = xb[len(idx)]
            np.take(x_train, idx, axis=0, out=x, mode="clip")   # clip: no buffered copy
            value, grads = model.loss_and_grads(x, t_train[idx])
            if not (math.isfinite(value) and value <= config.diverge_loss):
                history.diverged_at = i
                break
            loss[i] = value
            if config.schedule is not None:
                opt.lr = config.lr * config.schedule(i, total)
            opt.step(model.params, grads)
            done = i + 1
            if done % eval_every == 0 or done == total:
                evals.append((done, *model.evaluate(x_test, t_test)))
                if not math.isfinite(evals[-1][1]):
                    history.diverged_at = done
                    evals.pop()
                history.eval_iter, history.test_loss, history.test_acc = _eval_arrays(evals)
            history.loss = loss[:done]
            if bar is not None:
                bar.update(1)
            if history.diverged_at is not None:
                break
            run.iteration = i
            if callback is not None and callback(run):
                history.stopped_at = done
                break
    if bar is not None:
        bar.close()
    history.loss = history.loss.copy()
    return history


def _eval_arrays(evals):
    it, tl, ta = zip(*evals, strict=True)
    return np.array(it, dtype=np.int64), np.array(tl), np.array(ta)


def _progress_bar(total):
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="it", leave=False)
