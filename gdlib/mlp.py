"""The multilayer network of Kang (2020), Sec. 2: eq. (1) to (5).

Each piece of the maths is one pure function with its backward twin:

=====================  ==========================  ==============================
piece                  forward                     backward (times dJ/d-output)
=====================  ==========================  ==============================
ReLU, eq. (3)          ``relu(a)``                 ``relu_backward(h, d)``
sigmoid, eq. (2)       ``sigmoid(a)``              ``sigmoid_backward(h, d)``
softmax output         ``softmax(a)``              (folded into the losses)
cross-entropy, eq. (5) ``softmax_cross_entropy``   ``softmax_cross_entropy_backward``
squared error, eq. (4) ``softmax_squared_error``   ``softmax_squared_error_backward``
=====================  ==========================  ==============================

Every function takes an optional ``out=`` array, so that ``MLP`` runs the very
functions a chapter plots, writing into buffers it allocates once per batch
size.  ``MLP`` strings them together: layer ``l`` computes
``a = h @ W_l + b_l`` (eq. 1 for a batch of row vectors, with a bias), the
hidden layers apply the activation, and the output layer the softmax.  The
loss is the mean over the batch of the per-sample loss of eq. (4) or (5).
Parameters and gradients are dicts of arrays named ``W1, b1, W2, b2, ...``,
the form the optimizers take.
"""

from dataclasses import dataclass

import numpy as np

__all__ = [
    "relu", "relu_backward", "sigmoid", "sigmoid_backward", "softmax", "log_softmax",
    "one_hot", "cross_entropy", "mean_squared_error",
    "softmax_cross_entropy", "softmax_cross_entropy_backward",
    "softmax_squared_error", "softmax_squared_error_backward",
    "MLP", "ACTIVATIONS", "LOSSES",
]


# -- activations, eq. (2) and (3) ---------------------------------------------

def relu(a, out=None):
    """Eq. (3): ``f(a) = a`` for ``a > 0``, else 0."""
    return np.maximum(a, 0, out=out)


def relu_backward(h, d, out=None):
    """``d * f'(a)`` for ReLU, from its output ``h``: ``f'(a) = 1`` where ``h > 0``, else 0."""
    return np.multiply(d, h > 0, out=out)


def sigmoid(a, out=None):
    """Eq. (2): ``f(a) = 1 / (1 + exp(-a))``, computed as ``(1 + tanh(a/2)) / 2``
    so that it never overflows."""
    if out is None:
        out = np.empty(np.shape(a), np.result_type(a, 0.5))
    np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def sigmoid_backward(h, d, out=None):
    """``d * f'(a)`` for the sigmoid, from its output ``h``: ``f'(a) = h (1 - h)``."""
    out = np.multiply(d, h, out=out)
    out *= 1.0 - h
    return out


# -- the output layer ---------------------------------------------------------

def softmax(a, out=None):
    """The output layer: ``y_k = exp(a_k) / sum_j exp(a_j)``, along the last axis.

    The row maximum is subtracted first (it cancels), so ``exp`` never overflows.
    """
    out = np.subtract(a, np.max(a, axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


def log_softmax(a):
    """``log softmax(a)`` along the last axis, finite for logits of any size."""
    z = a - np.max(a, axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def one_hot(t, k=10, dtype=np.float32):
    """Integer labels ``t`` as rows of a ``k``-column one-hot matrix."""
    t = np.asarray(t)
    out = np.zeros((t.size, k), dtype=dtype)
    out[np.arange(t.size), t.ravel()] = 1
    return out


def _labels(t, y):
    """Integer labels from labels or from one-hot rows shaped like ``y``."""
    t = np.asarray(t)
    return t.argmax(axis=-1) if t.shape == y.shape else t.ravel()


def _one_hot_like(t, y):
    t = np.asarray(t)
    return t if t.shape == y.shape else one_hot(t, y.shape[-1], y.dtype)


# -- losses, eq. (4) and (5) --------------------------------------------------

def _mean_negative_log(log_y, t):
    """Eq. (5) averaged over the batch, from log-probabilities: ``-mean_n log y_{n, t_n}``."""
    return float(-log_y[np.arange(len(t)), t].mean())


def cross_entropy(y, t):
    """Eq. (5), averaged over the batch: ``J = -mean_n sum_k t_k log y_k``.

    ``y`` are probabilities (softmax outputs), ``t`` integer labels or one-hot
    rows.  A probability that rounded to 0 is clipped to the smallest positive
    float so the loss stays finite.
    """
    y = np.atleast_2d(y)
    return _mean_negative_log(np.log(np.maximum(y, np.finfo(y.dtype).tiny)), _labels(t, y))


def mean_squared_error(y, t):
    """Eq. (4), averaged over the batch: ``J = mean_n 1/2 sum_k (y_k - t_k)^2``."""
    y = np.atleast_2d(y)
    return float(0.5 * ((y - _one_hot_like(t, y)) ** 2).sum() / y.shape[0])


def softmax_cross_entropy(a, t):
    """Eq. (5) of the softmax of logits ``a``, batch mean: ``cross_entropy(softmax(a), t)``
    computed from ``log_softmax(a)``, so it stays exact for confident wrong answers."""
    a = np.atleast_2d(a)
    return _mean_negative_log(log_softmax(a), _labels(t, a))


def softmax_cross_entropy_backward(y, t, out=None):
    """``dJ/da`` of ``softmax_cross_entropy`` from the softmax output ``y``: ``(y - t) / n``."""
    y = np.atleast_2d(y)
    if out is None:
        out = y.copy()
    elif out is not y:
        np.copyto(out, y)
    out[np.arange(len(y)), _labels(t, y)] -= 1
    out /= len(y)
    return out


def softmax_squared_error(a, t):
    """Eq. (4) of the softmax of logits ``a``, batch mean: ``mean_squared_error(softmax(a), t)``."""
    return mean_squared_error(softmax(np.atleast_2d(a)), t)


def softmax_squared_error_backward(y, t, out=None):
    """``dJ/da`` of ``softmax_squared_error`` from the softmax output ``y``.

    ``dJ/dy = (y - t) / n``, and through the softmax ``dJ/da = y * (dJ/dy - <dJ/dy, y>)``.
    """
    y = np.atleast_2d(y).copy()           # read again below, and out may be y itself
    out = softmax_cross_entropy_backward(y, t, out)     # (y - t) / n
    out -= (out * y).sum(axis=1, keepdims=True)
    out *= y
    return out


@dataclass(frozen=True)
class _Pair:
    forward: object
    backward: object


ACTIVATIONS = {"relu": _Pair(relu, relu_backward), "sigmoid": _Pair(sigmoid, sigmoid_backward)}
LOSSES = {"cross_entropy": _Pair(softmax_cross_entropy, softmax_cross_entropy_backward),
          "mse": _Pair(softmax_squared_error, softmax_squared_error_backward)}


# -- the network --------------------------------------------------------------

class MLP:
    """A fully connected network with a softmax output (Kang 2020, Fig. 1).

    ``sizes``       layer widths from input to output; the paper's is 784-500-300-10
    ``activation``  hidden activation: ``"relu"`` (eq. 3) or ``"sigmoid"`` (eq. 2)
    ``loss``        ``"cross_entropy"`` (eq. 5) or ``"mse"`` (eq. 4), on the softmax
    ``seed``        initial weights: He normal for ReLU, Xavier normal for sigmoid;
                    biases zero
    ``dtype``       ``np.float32`` (default) or ``np.float64``
    """

    def __init__(self, sizes=(784, 500, 300, 10), activation="relu", loss="cross_entropy",
                 seed=0, dtype=np.float32):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {loss!r}")
        if len(sizes) < 2 or any(int(n) < 1 for n in sizes):
            raise ValueError(f"sizes must list at least two positive widths, got {sizes!r}")
        self.sizes = tuple(int(n) for n in sizes)
        self.activation, self.loss = activation, loss
        self.f, self.J = ACTIVATIONS[activation], LOSSES[loss]
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        self.params = self.init_params(seed)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._buffers = {}   # batch size -> (layer outputs, dJ/da per layer), reused

    @property
    def n_layers(self):
        return len(self.sizes) - 1

    def init_params(self, seed):
        """Fresh weights from ``seed``: std sqrt(2/fan_in) (He) for ReLU,
        sqrt(2/(fan_in + fan_out)) (Xavier) for sigmoid."""
        rng = np.random.default_rng(seed)
        params = {}
        widths = zip(self.sizes[:-1], self.sizes[1:], strict=True)
        for layer, (n_in, n_out) in enumerate(widths, start=1):
            var = 2.0 / n_in if self.activation == "relu" else 2.0 / (n_in + n_out)
            w = rng.standard_normal((n_in, n_out)) * np.sqrt(var)
            params[f"W{layer}"] = w.astype(self.dtype)
            params[f"b{layer}"] = np.zeros(n_out, dtype=self.dtype)
        return params

    @property
    def n_params(self):
        return sum(p.size for p in self.params.values())

    def __repr__(self):
        shape = "-".join(map(str, self.sizes))
        return (f"MLP({shape}, activation={self.activation!r}, loss={self.loss!r}, "
                f"dtype={self.dtype.name}, {self.n_params:,} parameters)")

    # -- forward: eq. (1) to (3), layer by layer --------------------------------

    def _check_input(self, x):
        x = np.asarray(x)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"input must have shape (batch, {self.sizes[0]}), got {x.shape}")
        return x.astype(self.dtype, copy=False)

    def _new_outputs(self, n):
        return [np.empty((n, width), self.dtype) for width in self.sizes[1:]]

    def _forward(self, x, hs):
        """Fill ``hs`` with every layer's output: hidden activations, last the logits."""
        h = x
        for layer, a in enumerate(hs, start=1):
            np.matmul(h, self.params[f"W{layer}"], out=a)          # eq. (1)
            a += self.params[f"b{layer}"]
            if layer < self.n_layers:
                self.f.forward(a, out=a)                           # eq. (2) or (3)
            h = a
        return h

    def activations(self, x):
        """Every layer's output for a batch ``x``: ``[h1, h2, ..., a_L]``.

        ``h_l = f(h_{l-1} @ W_l + b_l)`` for the hidden layers (eq. 1-3); the
        last entry is the output layer's input ``a`` (softmax turns it into ``y``).
        """
        x = self._check_input(x)
        hs = self._new_outputs(x.shape[0])
        self._forward(x, hs)
        return hs

    def logits(self, x):
        """The output layer's input ``a`` for a batch ``x`` (new array)."""
        return self.activations(x)[-1]

    def forward(self, x):
        """Softmax probabilities ``y`` for a batch ``x`` of shape (n, 784)."""
        return softmax(self.logits(x))

    def predict(self, x):
        """The most probable class of each row of ``x``."""
        return self.logits(x).argmax(axis=1)

    def evaluate(self, x, t, chunk=2000):
        """Mean loss and accuracy on ``(x, t)``, in chunks to bound memory."""
        total_loss, correct = 0.0, 0
        for start in range(0, len(x), chunk):
            a = self.logits(x[start:start + chunk])
            tt = t[start:start + chunk]
            total_loss += self.J.forward(a, tt) * len(tt)
            correct += int((a.argmax(axis=1) == tt).sum())
        return total_loss / len(x), correct / len(x)

    # -- backward: the chain rule through the same functions --------------------

    def loss_and_grads(self, x, t):
        """The batch-mean loss for inputs ``x`` and integer labels ``t``, and its
        gradient with respect to every parameter, by backpropagation.

        The gradients are written into ``self.grads`` (reused between calls)
        and that dict is returned: copy it to keep a snapshot.
        """
        x = self._check_input(x)
        t = np.asarray(t).ravel()
        n = x.shape[0]
        if n not in self._buffers:
            self._buffers[n] = (self._new_outputs(n), self._new_outputs(n))
        hs, ds = self._buffers[n]
        a = self._forward(x, hs)
        loss = self.J.forward(a, t)
        softmax(a, out=ds[-1])
        self.J.backward(ds[-1], t, out=ds[-1])                     # dJ/da of the output
        for layer in range(self.n_layers, 0, -1):
            d = ds[layer - 1]
            h_in = x if layer == 1 else hs[layer - 2]
            gW, gb = self.grads[f"W{layer}"], self.grads[f"b{layer}"]
            if n == 1:
                # An outer product.  np.dot hands it to BLAS as a GEMM of inner
                # size 1; np.matmul falls back to a slow non-BLAS loop for it.
                np.dot(h_in.T, d, out=gW)
                gb[...] = d[0]
            else:
                np.matmul(h_in.T, d, out=gW)
                # A plain column sum.  (ones @ d through BLAS is faster but sums
                # in another order: the stored results would no longer be
                # reproduced bit for bit.)
                d.sum(axis=0, out=gb)
            if layer > 1:
                d_prev = ds[layer - 2]
                np.matmul(d, self.params[f"W{layer}"].T, out=d_prev)
                self.f.backward(hs[layer - 2], d_prev, out=d_prev)
        return loss, self.grads
