"""gdlib.mlp: the pure functions (eq. 2 to 5), initialisation, and backprop.

The gradients are checked against central finite differences of an
independent float64 forward pass written here, for every activation x loss,
at batch size 1 (the outer-product path) and 5 (the matmul path).
"""

import math
import warnings

import numpy as np
import pytest

from gdlib.mlp import (
    MLP,
    cross_entropy,
    log_softmax,
    mean_squared_error,
    one_hot,
    relu,
    sigmoid,
    softmax,
)

ACTIVATIONS = ["relu", "sigmoid"]
LOSSES = ["cross_entropy", "mse"]
SMALL = (6, 5, 4, 3)


# -- an independent reference: the network of eq. (1)-(5), written plainly -----

def reference_loss(params, x, t, activation, loss):
    """Batch-mean loss of the MLP in float64, without any of gdlib's code."""
    n_layers = len(params) // 2
    h = np.asarray(x, dtype=np.float64)
    for layer in range(1, n_layers + 1):
        a = h @ params[f"W{layer}"].astype(np.float64) + params[f"b{layer}"].astype(np.float64)
        if layer < n_layers:
            h = np.where(a > 0, a, 0.0) if activation == "relu" else 1.0 / (1.0 + np.exp(-a))
        else:
            h = a
    z = np.exp(h - h.max(axis=1, keepdims=True))
    y = z / z.sum(axis=1, keepdims=True)
    target = np.zeros_like(y)
    target[np.arange(len(t)), t] = 1.0
    if loss == "cross_entropy":
        per_sample = -(target * np.log(y)).sum(axis=1)          # eq. (5)
    else:
        per_sample = 0.5 * ((y - target) ** 2).sum(axis=1)     # eq. (4)
    return float(per_sample.mean())


def finite_difference_grads(params, x, t, activation, loss, h=1e-5):
    grads = {}
    for name, p in params.items():
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            up = reference_loss(params, x, t, activation, loss)
            p[idx] = old - h
            down = reference_loss(params, x, t, activation, loss)
            p[idx] = old
            g[idx] = (up - down) / (2 * h)
        grads[name] = g
    return grads


def batch(n, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)), rng.integers(0, n_out, size=n)


# -- backpropagation ------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 5], ids=["batch1-outer", "batch5-matmul"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_matches_finite_differences(activation, loss, n):
    model = MLP(SMALL, activation=activation, loss=loss, seed=3, dtype=np.float64)
    rng = np.random.default_rng(7)
    for name in model.params:                       # non-zero biases, so db is exercised
        if name.startswith("b"):
            model.params[name][...] = 0.3 * rng.standard_normal(model.params[name].shape)
    x, t = batch(n, SMALL[0], SMALL[-1], seed=11)

    value, grads = model.loss_and_grads(x, t)
    grads = {k: v.copy() for k, v in grads.items()}
    expected = finite_difference_grads(model.params, x, t, activation, loss)

    assert value == pytest.approx(reference_loss(model.params, x, t, activation, loss), rel=1e-12)
    assert set(grads) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert sum(np.linalg.norm(g) for g in expected.values()) > 1e-3   # a meaningful check
    for name, g in grads.items():
        assert g.shape == model.params[name].shape
        fd = expected[name]
        err = np.linalg.norm(g - fd) / max(np.linalg.norm(g) + np.linalg.norm(fd), 1e-12)
        assert err < 1e-6, f"{name}: relative error {err:.2e}"


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_batch_gradient_is_mean_of_single_sample_gradients(activation, loss):
    """The batch path (matmul) and the batch-1 path (outer product) agree."""
    model = MLP(SMALL, activation=activation, loss=loss, seed=1, dtype=np.float64)
    x, t = batch(4, SMALL[0], SMALL[-1], seed=2)
    value, grads = model.loss_and_grads(x, t)
    grads = {k: v.copy() for k, v in grads.items()}
    singles = [model.loss_and_grads(x[i:i + 1], t[i:i + 1]) for i in range(4)]
    assert value == pytest.approx(np.mean([v for v, _ in singles]), rel=1e-12)
    means = {k: np.zeros_like(v) for k, v in grads.items()}
    for i in range(4):
        _, g = model.loss_and_grads(x[i:i + 1], t[i:i + 1])
        for k in means:
            means[k] += g[k] / 4
    for k in grads:
        np.testing.assert_allclose(grads[k], means[k], rtol=1e-10, atol=1e-14)


def test_reused_buffers_do_not_leak_between_batch_sizes():
    model = MLP(SMALL, seed=0, dtype=np.float64)
    x5, t5 = batch(5, SMALL[0], SMALL[-1], seed=0)
    x1, t1 = batch(1, SMALL[0], SMALL[-1], seed=1)
    first = {k: v.copy() for k, v in model.loss_and_grads(x5, t5)[1].items()}
    model.loss_and_grads(x1, t1)
    model.loss_and_grads(x5[::-1], t5[::-1])
    again = model.loss_and_grads(x5, t5)[1]
    for k in first:
        np.testing.assert_array_equal(first[k], again[k])


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_evaluate_agrees_with_reference(activation, loss):
    model = MLP(SMALL, activation=activation, loss=loss, seed=4, dtype=np.float64)
    x, t = batch(9, SMALL[0], SMALL[-1], seed=5)
    value, acc = model.evaluate(x, t, chunk=4)        # chunks of 4, 4, 1
    assert value == pytest.approx(reference_loss(model.params, x, t, activation, loss), rel=1e-12)
    assert acc == pytest.approx(np.mean(model.predict(x) == t))


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_float32_gradients_agree_with_float64(activation, loss):
    m32 = MLP(activation=activation, loss=loss, seed=0, dtype=np.float32)
    m64 = MLP(activation=activation, loss=loss, seed=0, dtype=np.float64)
    for k in m64.params:                                  # the same (float32-rounded) init
        m64.params[k][...] = m32.params[k]
    rng = np.random.default_rng(0)
    x = rng.random((16, 784))
    t = rng.integers(0, 10, size=16)
    v32, g32 = m32.loss_and_grads(x.astype(np.float32), t)
    v64, g64 = m64.loss_and_grads(x, t)
    assert v32 == pytest.approx(v64, rel=1e-5)
    for k in g64:
        assert g32[k].dtype == np.float32 and g64[k].dtype == np.float64
        err = np.linalg.norm(g32[k] - g64[k]) / np.linalg.norm(g64[k])
        assert err < 1e-4, f"{k}: float32 vs float64 relative error {err:.2e}"


# -- large logits -------------------------------------------------------------

BIG = [1e4, -1e4, 0.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_finite_for_huge_logits(dtype):
    a = np.array([BIG, [-1e4, -1e4, -1e4], [3.0, 1e4, 1e4]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = softmax(a)
        ly = log_softmax(a)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(ly))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(y, [[1, 0, 0], [1 / 3] * 3, [0, 0.5, 0.5]], atol=1e-7)
    np.testing.assert_allclose(ly[0], [0.0, -2e4, -1e4], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_finite_when_a_probability_rounds_to_zero(dtype):
    y = softmax(np.array([BIG, BIG], dtype=dtype))      # y[:, 1] == 0 exactly
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wrong = cross_entropy(y, np.array([1, 1]))
        right = cross_entropy(y, np.array([0, 0]))
    assert math.isfinite(wrong) and wrong > 50
    assert right == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", LOSSES)
def test_mlp_loss_and_grads_finite_for_huge_logits(loss, dtype):
    model = MLP(SMALL, loss=loss, seed=0, dtype=dtype)
    model.params["b3"][...] = BIG
    x, _ = batch(3, SMALL[0], SMALL[-1], seed=0)
    t = np.array([0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grads = model.loss_and_grads(x, t)
        test_loss, _ = model.evaluate(x, t)
        y = model.forward(x)
    assert math.isfinite(value) and math.isfinite(test_loss)
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)
    if loss == "cross_entropy":                      # -log y_t = max(a) - a_t, about (0+2e4+1e4)/3
        assert value == pytest.approx(1e4, rel=1e-2)
        assert test_loss == pytest.approx(value, rel=1e-5)
    else:                                            # y = e_0: (0 + 2/2 + 2/2) / 3
        assert value == pytest.approx(2 / 3, rel=1e-5)


# -- pure functions against hand values ----------------------------------------

@pytest.mark.parametrize(
    "a, expected",
    [
        ([-3.0, -1e-12, 0.0, 1e-12, 2.5], [0.0, 0.0, 0.0, 1e-12, 2.5]),   # eq. (3): 0 at a <= 0
        ([[-1.0, 4.0], [0.0, -0.5]], [[0.0, 4.0], [0.0, 0.0]]),
    ],
)
def test_relu(a, expected):
    np.testing.assert_array_equal(relu(np.array(a)), np.array(expected))


@pytest.mark.parametrize(
    "a, expected",
    [
        (0.0, 0.5),
        (1.0, 1 / (1 + math.exp(-1.0))),           # eq. (2)
        (-2.0, 1 / (1 + math.exp(2.0))),
        (5.0, 0.9933071490757153),
        (1000.0, 1.0),
        (-1000.0, 0.0),
    ],
)
def test_sigmoid_hand_values(a, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")               # no overflow warning at +/-1000
        got = sigmoid(np.float64(a))
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_sigmoid_is_symmetric_and_bounded():
    a = np.linspace(-30, 30, 601)
    s = sigmoid(a)
    np.testing.assert_allclose(s + sigmoid(-a), 1.0, rtol=0, atol=1e-15)
    assert np.all((s >= 0) & (s <= 1)) and np.all(np.diff(s) >= 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = sigmoid(np.array([-1000.0, 1000.0], dtype=np.float32))
    np.testing.assert_array_equal(big, [0.0, 1.0])


Y = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]
T = [0, 2]


@pytest.mark.parametrize(
    "fn, expected",
    [
        # eq. (5), batch mean: -(log 0.7 + log 0.1) / 2
        (cross_entropy, 1.329630018466389),
        # eq. (4), batch mean: (0.5 * (0.09 + 0.04 + 0.01) + 0.5 * (0.01 + 0.64 + 0.81)) / 2
        (mean_squared_error, 0.4),
    ],
    ids=["cross_entropy", "mean_squared_error"],
)
@pytest.mark.parametrize("target", ["labels", "one_hot"])
def test_losses_hand_example(fn, expected, target):
    t = np.array(T) if target == "labels" else one_hot(T, 3, np.float64)
    assert fn(np.array(Y), t) == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_single_sample():
    assert cross_entropy(np.array([0.25, 0.75]), 1) == pytest.approx(-math.log(0.75), rel=1e-12)


@pytest.mark.parametrize(
    "t, k, expected",
    [
        ([2, 0, 1], 3, [[0, 0, 1], [1, 0, 0], [0, 1, 0]]),
        ([9], 10, [[0] * 9 + [1]]),
        (np.array([[1], [0]]), 2, [[0, 1], [1, 0]]),
    ],
)
def test_one_hot(t, k, expected):
    got = one_hot(t, k)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


def test_one_hot_default_width_and_dtype():
    got = one_hot([3], dtype=np.float64)
    assert got.shape == (1, 10) and got.dtype == np.float64 and got[0, 3] == 1


# -- construction and initialisation -------------------------------------------

@pytest.mark.parametrize(
    "activation, std",
    [("relu", math.sqrt(2 / 784)), ("sigmoid", math.sqrt(2 / (784 + 500)))],
    ids=["he", "xavier"],
)
def test_init_std(activation, std):
    w = MLP(activation=activation, seed=0).params["W1"].astype(np.float64)
    assert w.shape == (784, 500)
    # 392,000 samples: the std estimate is within 0.5 % with overwhelming probability
    assert w.std() == pytest.approx(std, rel=0.01)
    assert abs(w.mean()) < 0.01 * std


def test_biases_start_at_zero():
    model = MLP(seed=0)
    for k, v in model.params.items():
        if k.startswith("b"):
            assert not v.any(), k


def test_same_seed_same_params_different_seed_different():
    a, b, c = MLP(SMALL, seed=5), MLP(SMALL, seed=5), MLP(SMALL, seed=6)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert not np.array_equal(a.params["W1"], c.params["W1"])


def test_default_architecture_and_names():
    model = MLP()
    assert model.sizes == (784, 500, 300, 10)
    assert list(model.params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    shapes = {k: v.shape for k, v in model.params.items()}
    assert shapes == {"W1": (784, 500), "b1": (500,), "W2": (500, 300), "b2": (300,),
                      "W3": (300, 10), "b3": (10,)}
    assert model.n_params == 784 * 500 + 500 + 500 * 300 + 300 + 300 * 10 + 10
    assert "784-500-300-10" in repr(model)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_kept_by_params_and_gradients(dtype):
    kwargs = {} if dtype is np.float32 else {"dtype": dtype}
    model = MLP(SMALL, **kwargs)
    x, t = batch(3, SMALL[0], SMALL[-1], seed=0)     # float64 input
    _, grads = model.loss_and_grads(x, t)
    assert all(p.dtype == dtype for p in model.params.values())
    assert all(g.dtype == dtype for g in grads.values())
    assert model.logits(x).dtype == dtype


@pytest.mark.parametrize(
    "kwargs",
    [
        {"activation": "tanh"},
        {"activation": "ReLU"},
        {"loss": "hinge"},
        {"sizes": (784,)},
        {"sizes": ()},
        {"sizes": (784, 0, 10)},
        {"sizes": (784, -5, 10)},
        {"dtype": np.int32},
        {"dtype": np.float16},
    ],
)
def test_invalid_construction_raises(kwargs):
    with pytest.raises(ValueError):
        MLP(**kwargs)


def test_wrong_input_width_raises():
    with pytest.raises(ValueError, match="shape"):
        MLP(SMALL).loss_and_grads(np.zeros((2, 7)), [0, 1])


def test_activations_are_the_layers_of_the_forward_pass():
    """activations(x) lists f(h @ W + b) per hidden layer, then the logits (eq. 1-3)."""
    net = MLP((6, 5, 4, 3), seed=2, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((7, 6))
    h1, h2, a = net.activations(x)
    p = net.params
    np.testing.assert_allclose(h1, np.maximum(x @ p["W1"] + p["b1"], 0))
    np.testing.assert_allclose(h2, np.maximum(h1 @ p["W2"] + p["b2"], 0))
    np.testing.assert_allclose(a, h2 @ p["W3"] + p["b3"])
    np.testing.assert_array_equal(a, net.logits(x))
