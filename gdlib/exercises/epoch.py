"""Chapter 4, mini-batch gradient descent: one epoch of eq. (8).

The student's epoch trains a small ``MLP`` (6-5-3, float64) on a few random
samples; the reference trains a twin with ``gdlib.train.batches`` and
``gdlib.optimizers.SGD``.  The twin network notes every batch it is given,
so a wrong epoch can be explained by its batches (not shuffled, the last
one dropped, samples used twice, labels separated from their images) or, if
those are right, by its update (the learning rate, the sign, ...).
"""

import math

import numpy as np

from ..mlp import MLP
from ..optimizers import SGD
from ..train import batches
from .compare import Case, differs
from .core import Checker, NotDone, Wrong, call, capital, require_function

SIZES = (6, 5, 3)                       # the small network every case trains
PARAMS = ("model", "x", "t", "lr", "batch_size", "rng")


class _RecordingMLP(MLP):
    """An MLP that notes the inputs and labels of every ``loss_and_grads`` call."""

    def __init__(self):
        super().__init__(SIZES, seed=1, dtype=np.float64)
        self.calls = []

    def loss_and_grads(self, x, t):
        result = super().loss_and_grads(x, t)
        self.calls.append((np.array(x, dtype=np.float64, ndmin=2), np.ravel(t)))
        return result


def _cases():
    rng = np.random.default_rng(8)

    def data(n):
        return rng.standard_normal((n, SIZES[0])), rng.integers(0, SIZES[-1], n)

    return [Case((*data(10), 0.3, 4, 40), "in case 1 (10 samples, batch_size 4)"),
            Case((*data(6), 0.1, 6, 41), "in case 2 (6 samples, batch_size 6: one batch, eq. 6)"),
            Case((*data(5), 0.2, 1, 42), "in case 3 (5 samples, batch_size 1: eq. 7)")]


def _sgd(params, grads, lr, size):
    SGD(lr=lr).step(params, grads)


def _epoch(x, t, lr, index, update=_sgd):
    """Train a fresh network on the batches ``index`` with ``update``; its parameters."""
    model = MLP(SIZES, seed=1, dtype=np.float64)
    for idx in index:
        _, grads = model.loss_and_grads(x[idx], t[idx])
        update(model.params, grads, lr, len(idx))
    return model.params


def _gradients_first(x, t, lr, index):
    """All gradients computed before any update (only the last survives: the dict is reused)."""
    model = MLP(SIZES, seed=1, dtype=np.float64)
    for idx in index:
        _, grads = model.loss_and_grads(x[idx], t[idx])
    for _ in index:
        SGD(lr=lr).step(model.params, grads)
    return model.params


def _changed(update):
    return lambda x, t, lr, index: _epoch(x, t, lr, index, update)


def _step(sign=1.0, power=1, by_size=False, keys="Wb"):
    def update(params, grads, lr, size):
        for k in params:
            if k[0] in keys:
                params[k] -= sign * lr ** power * (size if by_size else 1) * grads[k]
    return update


_UPDATE_MISTAKES = [
    (_changed(_step(power=2)), "the learning rate is applied twice: `model.params[k] -= lr * "
                               "grads[k]`."),
    (_changed(_step(power=0)), "the learning rate is missing: `model.params[k] -= lr * "
                               "grads[k]`."),
    (_changed(_step(sign=-1.0)), "the parameters move uphill: subtract the step, "
                                 "`model.params[k] -= lr * grads[k]`."),
    (_changed(_step(keys="W")), "only the weights are updated; the biases `b1`, `b2` are "
                                "parameters too: update every `k` in `model.params`."),
    (_changed(_step(by_size=True)), "the step is multiplied by the batch size: the gradients "
                                    "of `loss_and_grads` are already the batch mean (eq. 8)."),
    (_gradients_first, "all gradients were computed before the first update. Eq. (8) takes "
                       "one step per batch: compute a batch's gradient and update right away "
                       "(`loss_and_grads` also reuses one dict, so kept gradients are all the "
                       "last batch's)."),
]


def _show(index):
    return " ".join("[" + ", ".join(str(int(i)) for i in sorted(b)) + "]" for b in index)


class EpochChecker(Checker):
    """Exercise 4.1: one epoch of mini-batch gradient descent; see ``minibatch_epoch``."""

    signature = f"minibatch_epoch({', '.join(PARAMS)})"

    def check(self, answer):
        require_function(answer, "minibatch_epoch", PARAMS)
        for number, case in enumerate(_cases()):
            self._check_case(answer, case, first=number == 0)
        return ("`minibatch_epoch` shuffles with `rng.permutation`, visits every batch once "
                "(the last one smaller) and takes one step of eq. (8) per batch, in all "
                "three cases.")

    def _check_case(self, answer, case, first):
        x, t, lr, batch_size, seed = case.args
        model = _RecordingMLP()
        start = {k: v.copy() for k, v in model.params.items()}
        returned = call(answer, (model, x.copy(), t.copy(), lr, batch_size,
                                 np.random.default_rng(seed)),
                        name="minibatch_epoch", where=case.where, todo=self.todo)
        unchanged = all(np.array_equal(model.params.get(k), v) for k, v in start.items())
        if not model.calls:
            if first and unchanged and returned is None:
                raise NotDone(f"`minibatch_epoch` did nothing. {capital(self.todo)}")
            raise Wrong(f"{capital(case.where)}, `minibatch_epoch` never called "
                        "`model.loss_and_grads(xb, tb)`: it gives each batch's gradients.")
        index = list(batches(len(x), batch_size, math.ceil(len(x) / batch_size),
                             np.random.default_rng(seed)))
        expected = _epoch(x, t, lr, index)
        problem = self._params_differ(model.params, expected)
        if problem is None:
            return
        where = capital(case.where)
        used = self._batches(model.calls, x, t, where)
        if [sorted(b) for b in used] != [sorted(b) for b in index]:
            raise Wrong(f"{where}, {self._batch_problem(used, index, batch_size)}\n"
                        f"Your batches: {_show(used)}.\nExpected: {_show(index)} "
                        f"(consecutive pieces of `rng.permutation({len(x)})`).")
        if unchanged:
            hint = ("the parameters did not change. Update them in place, `model.params[k] -= "
                    "lr * grads[k]`; `w = w - lr * g` on a local name `w` leaves the model as "
                    "it was.")
        else:
            hint = next((hint for mistake, hint in _UPDATE_MISTAKES
                         if self._params_differ(model.params, mistake(x, t, lr, index)) is None),
                        "for each batch, `_, grads = model.loss_and_grads(x[idx], t[idx])`, then "
                        "`model.params[k] -= lr * grads[k]` for every `k`.")
        raise Wrong(f"{where}, the batches are right, but after the epoch {problem}.\n"
                    f"Likely cause: {capital(hint)}")

    @staticmethod
    def _params_differ(params, expected):
        for k, value in expected.items():
            if k not in params:
                return f"`model.params` has no `{k}` any more"
            problem = differs(params[k], value, (f"model.params['{k}']",))
            if problem:
                return problem
        return None

    @staticmethod
    def _batches(calls, x, t, where):
        """The index of every row passed to ``loss_and_grads``; ``Wrong`` if rows or labels
        are not those of ``x`` and ``t``.  A batch passed twice in a row counts once."""
        used = []
        for xb, tb in calls:
            found = [np.flatnonzero(np.isclose(x, row).all(axis=1)) for row in xb]
            if any(f.size == 0 for f in found) or len(tb) != len(xb):
                raise Wrong(f"{where}, `loss_and_grads` was given inputs that are not rows of "
                            "`x`, or a different number of labels. Pass `x[idx]` and `t[idx]` "
                            "with one index array `idx`.")
            idx = [int(f[0]) for f in found]
            wrong = [(i, int(label)) for i, label in zip(idx, tb, strict=True) if label != t[i]]
            if wrong:
                i, label = wrong[0]
                raise Wrong(f"{where}, the labels given to `loss_and_grads` do not belong to "
                            f"their images: row {i} of `x` came with the label {label}, but "
                            f"`t[{i}]` is {int(t[i])}.\nLikely cause: `x` and `t` were "
                            "shuffled or indexed separately; take both with the same indices, "
                            "`x[idx]` and `t[idx]`.")
            if not used or sorted(used[-1]) != sorted(idx):
                used.append(idx)
        return used

    @staticmethod
    def _batch_problem(used, index, batch_size):
        """What is wrong with the batches ``used`` (expected: ``index``), in words."""
        sizes, wanted = [len(b) for b in used], [len(b) for b in index]
        flat = [i for b in used for i in b]
        n = len([i for b in index for i in b])
        if sizes == wanted[:-1] and wanted[-1] < batch_size:
            return (f"the last, smaller batch ({wanted[-1]} samples) was dropped. Slicing "
                    "`order[start:start + batch_size]` for `start` in `range(0, len(x), "
                    "batch_size)` keeps it.")
        if len(set(flat)) < len(flat):
            return ("some samples were used more than once in the epoch. An epoch uses each "
                    "sample once: draw one `order = rng.permutation(len(x))` before the loop "
                    "and cut it into consecutive pieces.")
        if len(flat) < n:
            return (f"{n - len(flat)} of the {n} samples were not used. An epoch uses each "
                    "sample once: cut all of `order` into batches.")
        if sorted(map(sorted, used)) == sorted(map(sorted, index)):
            return ("the batches are the right ones but were visited in another order: go "
                    "through `order` from its start.")
        if batch_size > 1 and set(sizes) == {1}:
            return "each batch had one sample: `batch_size` was not used."
        if len(used) == 1 and batch_size < n:
            return "all samples went into one batch: cut the order into pieces of `batch_size`."
        if sizes != wanted and len(used) == batch_size:
            return (f"the epoch was cut into `batch_size` = {batch_size} batches, of {sizes} "
                    "samples (as `np.array_split(order, batch_size)` does); it needs batches "
                    f"of `batch_size` samples each, {wanted}.")
        if sizes != wanted:
            return (f"the batches had {sizes} samples, but should have {wanted}: consecutive "
                    "pieces of `batch_size`, the last one smaller.")
        if flat == sorted(flat):
            return ("the samples were not shuffled. Take the batches from "
                    "`order = rng.permutation(len(x))`, not in the order of `x`.")
        return ("the shuffle differs from `rng.permutation(len(x))` with the `rng` passed in: "
                "call it once per epoch, on that `rng` (not `np.random`, not a new generator).")


minibatch_epoch = EpochChecker(
    "4.1",
    f"write the body of `{EpochChecker.signature}` so that it trains "
    "`model` for one epoch of eq. (8), changing `model.params` in place.",
    """Exercise 4.1: one epoch of mini-batch gradient descent, eq. (8).

    Write ``minibatch_epoch(model, x, t, lr, batch_size, rng)``:

    ``model``       a ``gdlib.mlp.MLP``; its parameters are the dict ``model.params``
    ``x``, ``t``    the inputs, one sample per row, and their integer labels
    ``lr``          the learning rate eta
    ``batch_size``  the number of samples per batch
    ``rng``         a ``numpy.random.Generator``, for the shuffle

    It trains ``model`` for one epoch, in place, and returns nothing:

    1. shuffle once: ``order = rng.permutation(len(x))``;
    2. cut ``order`` into consecutive batches of ``batch_size`` indices (the
       last batch is smaller if ``batch_size`` does not divide ``len(x)``);
    3. for each batch ``idx`` in turn: ``_, grads = model.loss_and_grads(x[idx],
       t[idx])`` (the batch-mean loss and its gradients), then
       ``model.params[k] -= lr * grads[k]`` for every parameter name ``k`` (eq. 8).

    Whether the function also changes ``x`` and ``t`` does not matter (the
    checker passes copies).  The checker uses a small 6-5-3 network.

    Check it with ``check("4.1", minibatch_epoch)``.
    """)
