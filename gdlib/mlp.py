"""The multilayer network of Kang (2020), Sec. 2: eq. (1) to (5).

Pure functions carry the maths (``relu``, ``sigmoid``, ``softmax``,
``cross_entropy``, ``mean_squared_error``); ``MLP`` strings them together into
a fully connected network with a softmax output, default 784-500-300-10, and
computes the loss and its gradients by backpropagation.

Parameters and gradients are dicts of arrays named ``W1, b1, W2, b2, ...``,
the form the optimizers take.  Layer ``l`` computes ``a = h @ W_l + b_l``:
eq. (1) for a batch of row vectors, with a bias added.  The loss is the mean
over the batch of the per-sample loss of eq. (4) or (5).
"""

import numpy as np

__all__ = [
    "relu", "sigmoid", "softmax", "log_softmax", "cross_entropy", "mean_squared_error",
    "one_hot", "MLP", "ACTIVATIONS", "LOSSES",
]


def relu(a):
    """Eq. (3): ``f(a) = a`` for ``a > 0``, else 0."""
    return np.maximum(a, 0)


def sigmoid(a):
    """Eq. (2): ``f(a) = 1 / (1 + exp(-a))``, written as ``(1 + tanh(a/2)) / 2``
    so that it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def log_softmax(a):
    """``log softmax(a)`` along the last axis, shifted by the row maximum so it
    stays finite for logits of any size."""
    z = a - a.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def softmax(a):
    """The output layer: ``y_k = exp(a_k) / sum_j exp(a_j)``, along the last axis."""
    z = np.exp(a - a.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def one_hot(t, k=10, dtype=np.float32):
    """Integer labels ``t`` as rows of a ``k``-column one-hot matrix."""
    t = np.asarray(t)
    out = np.zeros((t.size, k), dtype=dtype)
    out[np.arange(t.size), t.ravel()] = 1
    return out


def _as_targets(t, y):
    """One-hot targets for outputs ``y``, from labels or from a one-hot array."""
    t = np.asarray(t)
    return t if t.shape == y.shape else one_hot(t, y.shape[-1], y.dtype)


def cross_entropy(y, t):
    """Eq. (5), averaged over the batch: ``J = -mean_n sum_k t_k log y_k``.

    ``y`` are probabilities (softmax outputs), ``t`` integer labels or one-hot
    rows.  A probability that rounded to 0 is clipped to the smallest positive
    float so the loss stays finite.
    """
    y = np.atleast_2d(y)
    t = _as_targets(t, y)
    tiny = np.finfo(y.dtype).tiny
    return float(-(t * np.log(np.maximum(y, tiny))).sum() / y.shape[0])


def mean_squared_error(y, t):
    """Eq. (4), averaged over the batch: ``J = mean_n 1/2 sum_k (y_k - t_k)^2``."""
    y = np.atleast_2d(y)
    t = _as_targets(t, y)
    return float(0.5 * ((y - t) ** 2).sum() / y.shape[0])


ACTIVATIONS = ("relu", "sigmoid")
LOSSES = ("cross_entropy", "mse")


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
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        if len(sizes) < 2 or any(int(n) < 1 for n in sizes):
            raise ValueError(f"sizes must list at least two positive widths, got {sizes!r}")
        self.sizes = tuple(int(n) for n in sizes)
        self.activation = activation
        self.loss = loss
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        self.params = self.init_params(seed)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._buffers = {}   # batch size -> activations and deltas, reused

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

    # -- forward -------------------------------------------------------------

    def _buf(self, n):
        if n not in self._buffers:
            widths = self.sizes[1:]
            self._buffers[n] = {
                "h": [np.empty((n, w), self.dtype) for w in widths],        # layer outputs
                "d": [np.empty((n, w), self.dtype) for w in widths],        # dJ/da per layer
                "mask": [np.empty((n, w), bool) for w in widths[:-1]],
            }
        return self._buffers[n]

    def _forward(self, x, hs):
        """Fill ``hs`` with hidden activations and, last, the output logits."""
        h = x
        for layer in range(1, self.n_layers + 1):
            a = hs[layer - 1]
            np.matmul(h, self.params[f"W{layer}"], out=a)
            a += self.params[f"b{layer}"]
            if layer < self.n_layers:
                if self.activation == "relu":
                    # A zero row, not the scalar 0: np.maximum has a fast (SIMD)
                    # loop only for array operands, 2-5x faster here.
                    np.maximum(a, np.zeros(a.shape[1], a.dtype), out=a)
                else:
                    a *= 0.5
                    np.tanh(a, out=a)
                    a += 1.0
                    a *= 0.5
            h = a
        return h

    def _check_input(self, x):
        x = np.asarray(x)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"input must have shape (batch, {self.sizes[0]}), got {x.shape}")
        return x.astype(self.dtype, copy=False)

    def activations(self, x):
        """Every layer's output for a batch ``x``: ``[h1, h2, ..., a_L]``.

        ``h_l = f(h_{l-1} @ W_l + b_l)`` for the hidden layers (eq. 1-3); the
        last entry is the output layer's input ``a`` (softmax turns it into ``y``).
        """
        x = self._check_input(x)
        hs = [np.empty((x.shape[0], w), self.dtype) for w in self.sizes[1:]]
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
            total_loss += self._loss_value(a, tt) * len(tt)
            correct += int((a.argmax(axis=1) == tt).sum())
        return total_loss / len(x), correct / len(x)

    def _loss_value(self, a, t):
        if self.loss == "cross_entropy":
            return float(-log_softmax(a)[np.arange(len(t)), t].mean())
        return mean_squared_error(softmax(a), t)

    # -- backward ------------------------------------------------------------

    def loss_and_grads(self, x, t):
        """The batch-mean loss for inputs ``x`` and integer labels ``t``, and its
        gradient with respect to every parameter, by backpropagation.

        The gradients are written into ``self.grads`` (reused between calls)
        and that dict is returned: copy it to keep a snapshot.
        """
        x = self._check_input(x)
        t = np.asarray(t).ravel()
        n = x.shape[0]
        buf = self._buf(n)
        hs, ds = buf["h"], buf["d"]
        a = self._forward(x, hs)
        loss = self._output_delta(a, t, ds[-1])
        for layer in range(self.n_layers, 0, -1):
            d = ds[layer - 1]
            h_in = x if layer == 1 else hs[layer - 2]
            gW, gb = self.grads[f"W{layer}"], self.grads[f"b{layer}"]
            if n == 1:
                # An outer product.  np.dot hands it to BLAS as a GEMM of inner
                # size 1 (about 2x faster than a broadcast multiply here, same
                # bits); np.matmul falls back to a slow non-BLAS loop for it.
                np.dot(h_in.T, d, out=gW)
                gb[...] = d[0]
            else:
                np.matmul(h_in.T, d, out=gW)
                # A plain column sum.  (ones @ d through BLAS is 2-4x faster but
                # sums in another order: the stored results in results/ would no
                # longer be reproduced bit for bit.)
                d.sum(axis=0, out=gb)
            if layer > 1:
                d_prev = ds[layer - 2]
                np.matmul(d, self.params[f"W{layer}"].T, out=d_prev)
                self._activation_backward(hs[layer - 2], d_prev, buf["mask"][layer - 2])
        return loss, self.grads

    def _output_delta(self, a, t, out):
        """Loss of the logits ``a`` and its gradient dJ/da, written into ``out``."""
        n = a.shape[0]
        rows = np.arange(n)
        a_max = a.max(axis=1, keepdims=True)           # shift: exp stays finite
        np.subtract(a, a_max, out=out)
        np.exp(out, out=out)
        total = out.sum(axis=1, keepdims=True)
        out /= total                                   # out = softmax(a) = y
        if self.loss == "cross_entropy":
            # J = -mean log y_t = mean(log total - (a_t - a_max));  dJ/da = (y - t) / n
            z_t = a[rows, t] - a_max[:, 0]
            loss = float(np.mean(np.log(total[:, 0]) - z_t))
            out[rows, t] -= 1
        else:
            # J = mean 1/2 |y - t|^2;  dJ/dy = (y - t) / n;  dJ/da = y * (dJ/dy - <dJ/dy, y>)
            y = out.copy()
            out[rows, t] -= 1
            loss = float(0.5 * (out * out).sum() / n)
            out -= (out * y).sum(axis=1, keepdims=True)
            out *= y
        out /= n
        return loss

    def _activation_backward(self, h, d, mask):
        """Multiply ``d`` in place by f'(a) of the layer whose output is ``h``."""
        if self.activation == "relu":
            np.greater(h, 0, out=mask)
            np.multiply(d, mask, out=d)
        else:                                        # sigmoid: f' = h (1 - h)
            d *= h
            d *= 1.0 - h
