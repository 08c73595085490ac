"""Chapter 3, backpropagation: the gradient through a hidden ReLU layer (eq. 1, 3)."""

import numpy as np

from .compare import Case, FunctionChecker, variant


def _gradients(h_prev, d):
    """A layer's delta, the gradient of its weights and that of its biases."""
    return d, h_prev.T @ d, d.sum(axis=0)


def _delta(h, W_next, d_next):
    return np.where(h > 0, d_next @ W_next.T, 0.0)    # dJ/dh times the ReLU's f'(a)


def _reference(h_prev, h, W_next, d_next):
    return _gradients(h_prev, _delta(h, W_next, d_next))


def _cases():
    rng = np.random.default_rng(35)

    def case(n, j, k, m):
        h_prev = np.maximum(rng.standard_normal((n, j)), 0)      # outputs of a ReLU layer
        h = np.maximum(rng.standard_normal((n, k)), 0)           # about half of them zero
        return h_prev, h, rng.standard_normal((k, m)), rng.standard_normal((n, m)) / n

    return [Case(case(5, 4, 4, 4), "in case 1 (5 samples; square weights, 4 neurons a layer)"),
            Case(case(3, 4, 5, 2), "in case 2 (3 samples; layers of 4, 5 and 2 neurons)")]


@variant("The ReLU's derivative f'(a) is missing: dJ/dh = `d_next @ W_next.T` must still "
         "be multiplied by it, 1 where `h > 0` and 0 elsewhere (`h >= 0` is true "
         "everywhere, since a ReLU's outputs are never negative).")
def _no_mask(h_prev, h, W_next, d_next):
    return _gradients(h_prev, d_next @ W_next.T)


@variant("`W_next` is not transposed: the next layer computes `h @ W_next`, so the gradient "
         "flows back through `W_next.T`: dJ/dh = `d_next @ W_next.T`.")
def _not_transposed(h_prev, h, W_next, d_next):
    return _gradients(h_prev, (d_next @ W_next) * (h > 0))


@variant("The ReLU's derivative was taken of the gradient (`d_next @ W_next.T > 0`); it "
         "belongs to this layer's own sums a, and is 1 where its output `h > 0`.")
def _mask_of_gradient(h_prev, h, W_next, d_next):
    back = d_next @ W_next.T
    return _gradients(h_prev, back * (back > 0))


@variant("The gradient was multiplied by `h` itself; the ReLU's derivative is 1 where "
         "`h > 0` and 0 elsewhere: `(h > 0)`.")
def _times_h(h_prev, h, W_next, d_next):
    return _gradients(h_prev, (d_next @ W_next.T) * h)


@variant("That is the sigmoid's derivative, h (1 - h) (eq. 2); this layer is a ReLU "
         "(eq. 3), whose derivative is `(h > 0)`.")
def _sigmoid(h_prev, h, W_next, d_next):
    return _gradients(h_prev, (d_next @ W_next.T) * h * (1 - h))


@variant("The weight gradient is transposed: `W` has shape (inputs, outputs) like `h_prev.T "
         "@ d`, not `d.T @ h_prev`.")
def _gW_transposed(h_prev, h, W_next, d_next):
    d = _delta(h, W_next, d_next)
    return d, d.T @ h_prev, d.sum(axis=0)


@variant("The weight gradient uses this layer's output `h`; the weights multiply the layer's "
         "*input*, so dJ/dW = `h_prev.T @ d`.")
def _gW_from_output(h_prev, h, W_next, d_next):
    d = _delta(h, W_next, d_next)
    return d, h.T @ d, d.sum(axis=0)


@variant("The weight gradient uses the next layer's `d_next`; it needs this layer's own "
         "delta `d`: dJ/dW = `h_prev.T @ d`.")
def _gW_from_next(h_prev, h, W_next, d_next):
    d = _delta(h, W_next, d_next)
    return d, h_prev.T @ d_next, d_next.sum(axis=0)


@variant("Divided by n once too often: `d_next` already holds the batch mean's 1/n (it came "
         "from (y - t)/n), so dJ/dW is the plain sum `h_prev.T @ d`.")
def _mean_again(h_prev, h, W_next, d_next):
    d = _delta(h, W_next, d_next)
    return d, h_prev.T @ d / len(d), d.mean(axis=0)


@variant("The bias gradient is a mean; it is the sum over the samples, `d.sum(axis=0)` "
         "(the 1/n is already in `d`).")
def _gb_mean(h_prev, h, W_next, d_next):
    d = _delta(h, W_next, d_next)
    return d, h_prev.T @ d, d.mean(axis=0)


@variant("The bias gradient sums over the wrong axis: one value per neuron, the sum over "
         "the samples, `d.sum(axis=0)`.")
def _gb_axis(h_prev, h, W_next, d_next):
    d = _delta(h, W_next, d_next)
    return d, h_prev.T @ d, d.sum(axis=1)


hidden_layer_grads = FunctionChecker(
    "3.5", "hidden_layer_grads(h_prev, h, W_next, d_next)", "(d, gW, gb)",
    task="this layer's delta d = (d_next @ W_next.T) * f'(a), and the gradients of its "
         "weights, gW = h_prev.T @ d, and biases, gb = d summed over the samples",
    reference=_reference, cases=_cases,
    variants=[_no_mask, _not_transposed, _mask_of_gradient, _times_h, _sigmoid,
              _gW_transposed, _gW_from_output, _gW_from_next, _mean_again, _gb_mean, _gb_axis],
    error_hints=[("matmul", "the shapes do not fit. `d_next` has shape (n, m) and `W_next` "
                            "(k, m): dJ/dh = `d_next @ W_next.T` has shape (n, k), like `h`; "
                            "dJ/dW = `h_prev.T @ d` has the shape of `W`, (j, k).")],
    fallback="follow the chain rule one factor at a time: dJ/dh = d_next @ W_next.T, then "
             "d = dJ/dh * (h > 0), then gW = h_prev.T @ d and gb = d.sum(axis=0).",
    praise="`hidden_layer_grads` carries the gradient back through a hidden ReLU layer "
           "(delta, dJ/dW, dJ/db), as `MLP.loss_and_grads` does.",
    doc="""Exercise 3.5: backpropagation through one hidden ReLU layer (eq. 1, 3).

    The hidden layer computes ``h = f(a)``, ``a = h_prev @ W + b`` (eq. (1), with
    ``f`` the ReLU of eq. (3)), and the next layer ``a_next = h @ W_next + b_next``.
    Write ``hidden_layer_grads(h_prev, h, W_next, d_next)``:

    ``h_prev``  the layer's inputs, one sample per row, shape (n, j)
    ``h``       its outputs, shape (n, k)
    ``W_next``  the next layer's weights, shape (k, m)
    ``d_next``  dJ/da_next, the next layer's delta, shape (n, m) (for the output
                layer this is (y - t) / n; it already holds the batch mean's 1/n)

    It returns ``(d, gW, gb)``: this layer's delta ``d = dJ/da =
    (d_next @ W_next.T) * f'(a)`` with ``f'(a) = 1`` where ``h > 0`` and 0
    elsewhere, shape (n, k); the weight gradient ``dJ/dW = h_prev.T @ d``,
    shape (j, k); and the bias gradient ``dJ/db = d.sum(axis=0)``, shape (k,).
    Whether it also changes its inputs does not matter (the checker passes
    copies).

    Check it with ``check("3.5", hidden_layer_grads)``.
    """)
