"""How noisy a mini-batch gradient is (Kang 2020, Sec. 3.1; the book's Fig. 4.1).

At fixed weights, the gradient of a batch of ``B`` samples drawn at random
(eq. 8; eq. 7 for ``B = 1``) is compared with the gradient of the whole
training set (eq. 6), all weights and biases taken as one long vector:

``cos``       cosine similarity of batch and full gradient, mean over draws
``dev_rms``   relative deviation ``|g_B - g| / |g|``, root mean square over draws
``dev_mean``  the same, plain mean over draws
``loss_mean``, ``loss_std``   mean and standard deviation of the batch loss

Batches come from ``gdlib.train.batches`` (without replacement), gradients
from ``MLP.loss_and_grads``.
"""

import numpy as np

from .train import batches

__all__ = ["flat_gradient", "full_gradient", "gradient_noise"]


def flat_gradient(model, x, t, out):
    """The loss of the batch ``(x, t)``; its gradient, all parameters as one vector, in ``out``."""
    loss, grads = model.loss_and_grads(x, t)
    np.concatenate([g.ravel() for g in grads.values()], out=out)
    return loss


def full_gradient(model, x, t, chunk=10_000):
    """Training loss and gradient over all of ``(x, t)`` (eq. 6), as float64.

    Accumulated in chunks to bound memory: both are means, so chunk means
    weighted by chunk size add up to them.
    """
    g = np.zeros(model.n_params)
    buf = np.empty(model.n_params, model.dtype)
    loss = 0.0
    for start in range(0, len(x), chunk):
        xc, tc = x[start:start + chunk], t[start:start + chunk]
        weight = len(tc) / len(x)
        loss += weight * flat_gradient(model, xc, tc, buf)
        g += weight * buf
    return loss, g


def gradient_noise(model, x, t, batch_sizes, draws, seed=0):
    """Batch gradients against the full gradient: ``draws`` batches per batch size.

    Returns a dict of arrays, one entry per batch size (see the module
    docstring), plus the scalars ``full_loss`` and ``grad_norm``.
    """
    full_loss, g = full_gradient(model, x, t)
    gg = g @ g
    g = g.astype(model.dtype)
    rng = np.random.default_rng(seed)
    buf = np.empty(model.n_params, model.dtype)
    out = {"cos": [], "dev_rms": [], "dev_mean": [], "loss_mean": [], "loss_std": []}
    for size in batch_sizes:
        cos, dev, loss = [], [], []
        for idx in batches(len(x), size, draws, rng):
            loss.append(flat_gradient(model, x[idx], t[idx], buf))
            bg, bb = float(buf @ g), float(buf @ buf)
            cos.append(bg / np.sqrt(bb * gg))
            dev.append(np.sqrt((bb - 2 * bg + gg) / gg))     # |g_B - g| / |g|
        out["cos"].append(np.mean(cos))
        out["dev_rms"].append(np.sqrt(np.mean(np.square(dev))))
        out["dev_mean"].append(np.mean(dev))
        out["loss_mean"].append(np.mean(loss))
        out["loss_std"].append(np.std(loss))
    return {"full_loss": full_loss, "grad_norm": float(np.sqrt(gg)),
            **{k: np.array(v) for k, v in out.items()}}
