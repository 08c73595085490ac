"""Chapter 3, the loss: the gradient of softmax with cross-entropy (eq. 5)."""

import numpy as np

from ..mlp import log_softmax, one_hot, softmax
from .compare import Case, FunctionChecker, variant


def _targets(t, a):
    return one_hot(t, a.shape[1], dtype=np.float64)


def _reference(a, t):
    return (softmax(a) - _targets(t, a)) / len(a)


def _cases():
    rng = np.random.default_rng(3)
    small = 2.0 * rng.standard_normal((4, 5))
    large = np.array([[1000.0, 998.0, 1001.0, 990.0],
                      [-1000.0, -1002.0, -999.0, -1010.0],
                      [2.0, -1.0, 0.5, 1.0]])
    return [Case((small, np.array([0, 3, 1, 4])), "in case 1 (4 samples, 5 classes)"),
            Case((large, np.array([2, 0, 3])), "in case 2 (logits near +1000 and -1000)")]


def _naive_softmax(a):
    z = np.exp(a)
    return z / z.sum(axis=1, keepdims=True)


@variant("No max-shift: `np.exp(a)` overflows to inf for logits near 1000 (and all "
         "underflow to 0 near -1000), giving nan. Subtract each row's maximum first, "
         "`a - a.max(axis=1, keepdims=True)`: it does not change the softmax.")
def _no_shift(a, t):
    return (_naive_softmax(a) - _targets(t, a)) / len(a)


@variant("The shift uses one maximum for the whole batch (`a.max()`): a row far below it "
         "underflows to 0/0 = nan. Shift each row by its own maximum, "
         "`a.max(axis=1, keepdims=True)`.")
def _global_shift(a, t):
    return (_naive_softmax(a - a.max()) - _targets(t, a)) / len(a)


@variant("The sum over the batch instead of the mean: eq. (5)'s loss is averaged over the "
         "n samples, so the gradient is divided by n = `len(a)`.")
def _sum(a, t):
    return softmax(a) - _targets(t, a)


@variant("Divided by n x K (as `np.mean` over all elements would): divide by the number "
         "of samples n = `len(a)` only.")
def _mean_over_all(a, t):
    return (softmax(a) - _targets(t, a)) / a.size


@variant("Divided by the number of classes K; divide by the number of samples n = `len(a)`.")
def _per_class(a, t):
    return (softmax(a) - _targets(t, a)) / a.shape[1]


@variant("The sign is flipped: dJ/da = (y - t)/n with y = softmax(a), not (t - y)/n.")
def _sign(a, t):
    return (_targets(t, a) - softmax(a)) / len(a)


@variant("The softmax is normalised over the batch (axis 0). Each sample's probabilities "
         "must add up to 1 over its own row: `axis=1, keepdims=True`.")
def _axis0(a, t):
    z = np.exp(a - a.max(axis=0, keepdims=True))
    return (z / z.sum(axis=0, keepdims=True) - _targets(t, a)) / len(a)


@variant("The one-hot target is missing: subtract `one_hot(t)` (a 1 in column t[i] of row i) "
         "from softmax(a).")
def _no_target(a, t):
    return softmax(a) / len(a)


@variant("The labels t themselves were subtracted. Make them one-hot first: row i has a "
         "single 1, in column t[i] (`np.eye(K)[t]` or `mlp.one_hot(t, K)`).")
def _raw_labels(a, t):
    return (softmax(a) - t[:, None]) / len(a)


@variant("The logits `a` were used where the probabilities y = softmax(a) belong.")
def _logits(a, t):
    return (a - _targets(t, a)) / len(a)


@variant("That is log softmax(a); the gradient uses the probabilities softmax(a) themselves.")
def _log_probabilities(a, t):
    return (log_softmax(a) - _targets(t, a)) / len(a)


@variant("The result is transposed: return one row per sample, shape (n, K), like `a`.")
def _transposed(a, t):
    return _reference(a, t).T


softmax_cross_entropy_grad = FunctionChecker(
    "3.1", "softmax_cross_entropy_grad(a, t)", "grad",
    task="dJ/da = (softmax(a) - onehot(t)) / n, a new array of shape (n, K)",
    reference=_reference, cases=_cases,
    variants=[_no_shift, _global_shift, _sum, _mean_over_all, _per_class, _sign, _axis0,
              _no_target, _raw_labels, _logits, _log_probabilities, _transposed],
    error_hints=[("broadcast", "the shapes do not fit. `a.max(axis=1)` and `.sum(axis=1)` "
                               "have shape (n,): keep them as columns with `keepdims=True`. "
                               "`mlp.one_hot(t, K)` needs K = `a.shape[1]` columns (its "
                               "default is 10).")],
    fallback="compute y = softmax(a) row by row, subtract the one-hot rows of t, divide by n.",
    praise="`softmax_cross_entropy_grad` gives (softmax(a) - onehot(t)) / n (eq. 5), "
           "also for logits near +-1000.",
    doc="""Exercise 3.1: the gradient of softmax with cross-entropy, eq. (5).

    Write ``softmax_cross_entropy_grad(a, t)``:

    ``a``  logits (the softmax's inputs), one sample per row, shape (n, K)
    ``t``  the integer labels, shape (n,), each in 0 .. K-1

    It returns a new array of shape (n, K), the gradient of the batch-mean
    cross-entropy ``J = -(1/n) sum_i log y[i, t[i]]`` (eq. 5 averaged over the
    batch) with respect to ``a``:  ``dJ/da = (softmax(a) - onehot(t)) / n``.
    The softmax runs along each row and must stay finite for logits as large
    as 1000 in size.  Whether the function also changes its inputs does not
    matter (the checker passes copies).

    Check it with ``check("3.1", softmax_cross_entropy_grad)``.
    """)
