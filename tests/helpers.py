"""Small synthetic data shared by the gdlib unit tests (no MNIST needed)."""

from types import SimpleNamespace

import numpy as np


def make_clusters(n_train=240, n_test=90, dim=20, classes=3, spread=0.6, seed=0):
    """A Dataset-like object: Gaussian clusters around ``classes`` random centres.

    With the default ``spread`` the classes are (almost surely) linearly
    separable, so any working training loop reaches a high test accuracy.
    """
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, dim))
    centres *= 2.0 / np.linalg.norm(centres, axis=1, keepdims=True)   # all at radius 2

    def draw(n):
        t = rng.integers(0, classes, size=n)
        x = centres[t] + spread * rng.standard_normal((n, dim)) / np.sqrt(dim)
        return x.astype(np.float32), t.astype(np.int64)

    x_train, t_train = draw(n_train)
    x_test, t_test = draw(n_test)
    return SimpleNamespace(x_train=x_train, t_train=t_train, x_test=x_test, t_test=t_test)


def make_images(n_train=200, n_test=50, pixels=784, classes=10, seed=0):
    """A Dataset-like object shaped like MNIST: random pixels in [0, 1], random labels."""
    rng = np.random.default_rng(seed)
    return SimpleNamespace(
        x_train=rng.random((n_train, pixels), dtype=np.float32),
        t_train=rng.integers(0, classes, size=n_train),
        x_test=rng.random((n_test, pixels), dtype=np.float32),
        t_test=rng.integers(0, classes, size=n_test),
    )
