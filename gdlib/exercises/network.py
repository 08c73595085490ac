"""Chapter 2, the network: one layer (eq. 1, 3) and the number of parameters."""

import numpy as np

from ..mlp import relu, sigmoid
from .compare import Case, FunctionChecker, variant


def _layer_reference(h, W, b):
    return relu(h @ W + b)


def _layer_cases():
    rng = np.random.default_rng(21)
    square = (rng.standard_normal((2, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4))
    batch = (rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5))
    return [Case(square, "in case 1 (2 samples, a square W of shape (4, 4))"),
            Case(batch, "in case 2 (4 samples, W of shape (3, 5))")]


@variant("`np.max(a, 0)` is the largest value of each column (a reduction). The ReLU of "
         "eq. (3) is elementwise: `np.maximum(a, 0)`.")
def _column_max(h, W, b):
    return np.max(h @ W + b, 0)


@variant("`W` is transposed: with one sample per row of `h`, eq. (1) is `h @ W`, and `W` has "
         "shape (inputs, outputs).")
def _transposed_weights(h, W, b):
    return relu(h @ W.T + b)


@variant("The result is transposed: return one row per sample, shape (n, m), like `h`.")
def _transposed_result(h, W, b):
    return relu(h @ W + b).T


@variant("The ReLU is missing (eq. 3): negative sums must become 0, `np.maximum(a, 0)`.")
def _no_relu(h, W, b):
    return h @ W + b


@variant("The ReLU is applied before the bias is added. Eq. (1) first forms `a = h @ W + b`, "
         "then eq. (3) applies f to all of it.")
def _relu_before_bias(h, W, b):
    return relu(h @ W) + b


@variant("The bias `b` is missing: eq. (1) is `a = h @ W + b`.")
def _no_bias(h, W, b):
    return relu(h @ W)


@variant("The bias is subtracted; eq. (1) adds it: `a = h @ W + b`.")
def _bias_subtracted(h, W, b):
    return relu(h @ W - b)


@variant("That is the sigmoid of eq. (2); this layer uses the ReLU of eq. (3), "
         "`np.maximum(a, 0)`.")
def _sigmoid(h, W, b):
    return sigmoid(h @ W + b)


@variant("Negative values were turned positive (`abs`); the ReLU sets them to 0.")
def _absolute(h, W, b):
    return np.abs(h @ W + b)


@variant("`np.minimum(a, 0)` keeps the negative part; the ReLU keeps the positive part, "
         "`np.maximum(a, 0)`.")
def _minimum(h, W, b):
    return np.minimum(h @ W + b, 0)


@variant("That is the ReLU's derivative, `a > 0` as 0 and 1. The ReLU itself keeps the "
         "value: `np.maximum(a, 0)`.")
def _derivative(h, W, b):
    return (h @ W + b > 0).astype(float)


layer = FunctionChecker(
    "2.1", "layer(h, W, b)", "out",
    task="the layer's output f(h @ W + b), with f the ReLU of eq. (3), as a new array of "
         "shape (n, m)",
    reference=_layer_reference, cases=_layer_cases,
    variants=[_column_max, _transposed_weights, _transposed_result, _no_relu, _relu_before_bias,
              _no_bias, _bias_subtracted, _sigmoid, _absolute, _minimum, _derivative],
    error_hints=[("matmul", "`h` has one sample per row, shape (n, k), and `W` has shape "
                            "(k, m): multiply `h @ W`, in this order."),
                 ("broadcast", "the shapes do not fit: `h @ W` has shape (n, m) and the bias "
                               "`b`, shape (m,), is added to each of its rows.")],
    fallback="compare each part with eq. (1), `a = h @ W + b`, and eq. (3), `max(a, 0)`.",
    praise="`layer` computes ReLU(h @ W + b) (eq. 1 and 3) for both batches.",
    doc="""Exercise 2.1: one layer of the network, eq. (1) and (3).

    Write ``layer(h, W, b)``:

    ``h``  the layer's inputs, one sample per row, shape (n, k)
    ``W``  its weights, shape (k, m);  ``b``  its biases, shape (m,)

    It returns a new array of shape (n, m), the layer's output
    ``f(a)`` with ``a = h @ W + b`` (eq. 1 for a batch of row vectors) and ``f``
    the ReLU of eq. (3), ``f(a) = max(a, 0)`` elementwise.  Whether it also
    changes its inputs does not matter (the checker passes copies).

    Check it with ``check("2.1", layer)``.
    """)
