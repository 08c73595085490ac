"""gdlib.exercises as tables: every checker accepts a right answer, says "not done yet"
for a stub, and names the mistake of typical wrong answers.

The answers below are written the way a student would write them, in plain
NumPy, sharing no code with the checkers.  No MNIST is needed.
"""

import math
import threading
import time

import numpy as np
import pytest

from gdlib.exercises import CHECKERS, TIME_LIMIT, Result, check
from gdlib.exercises.compare import Case, FunctionChecker

# -- right answers --------------------------------------------------------------


def layer(h, W, b):
    return np.maximum(h @ W + b, 0)




def softmax_cross_entropy_grad(a, t):
    z = np.exp(a - a.max(axis=1, keepdims=True))
    y = z / z.sum(axis=1, keepdims=True)
    y[np.arange(len(t)), t] -= 1
    return y / len(a)


def hidden_layer_grads(h_prev, h, W_next, d_next):
    d = d_next @ W_next.T
    d[h <= 0] = 0
    return d, h_prev.T @ d, d.sum(axis=0)


def minibatch_epoch(model, x, t, lr, batch_size, rng):
    order = rng.permutation(len(x))
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        _, grads = model.loss_and_grads(x[idx], t[idx])
        for k in model.params:
            model.params[k] -= lr * grads[k]


def momentum_step(w, v, g, lr, momentum):
    v = momentum * v + lr * g
    return w - v, v


def adagrad_step(w, G, g, lr, eps):
    G = G + g * g
    return w - lr * g / np.sqrt(G + eps), G


def ema(values, gamma):
    E, out = 0.0, []
    for x in values:
        E = (1 - gamma) * E + gamma * x
        out.append(E)
    return np.array(out)


def adadelta_step(w, Eg2, Edw2, g, gamma, eps):
    Eg2 = (1 - gamma) * Eg2 + gamma * g**2
    dw = -np.sqrt(Edw2 + eps) / np.sqrt(Eg2 + eps) * g
    Edw2 = (1 - gamma) * Edw2 + gamma * dw**2
    return w + dw, Eg2, Edw2


def adam_step(w, m, v, g, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adagrad_rates(g, lr, eps):
    return lr / np.sqrt(np.cumsum(np.asarray(g) ** 2) + eps)


def iterations_to(loss, threshold, window):
    for i in range(len(loss)):
        if np.mean(loss[max(0, i - window + 1):i + 1]) < threshold:
            return i
    return math.inf


RIGHT = {"2.1": layer, "3.1": softmax_cross_entropy_grad, "3.5": hidden_layer_grads,
         "4.1": minibatch_epoch, "5.1": momentum_step, "6.1": adagrad_step, "7.1": ema,
         "7.2": adadelta_step, "8.1": iterations_to, "9.1": adam_step, "10.1": adagrad_rates}


# Right in other ways: in place, float32, a list, a lambda, an integer-valued float.

def momentum_in_place(w, v, g, lr, momentum):
    v *= momentum
    v += lr * g
    w -= v
    return w, v


def adagrad_float32(w, G, g, lr, eps):
    G = (G + g * g).astype(np.float32)
    return (w - lr * g / np.sqrt(G + eps)).astype(np.float32), G


def ema_list(values, gamma):
    out = [gamma * values[0]]
    for x in values[1:]:
        out.append((1 - gamma) * out[-1] + gamma * x)
    return out


def epoch_shuffling_data(model, x, t, lr, batch_size, rng):
    order = rng.permutation(len(x))
    xs, ts = x[order], t[order]
    for start in range(0, len(x), batch_size):
        model.loss_and_grads(xs[start:start + batch_size], ts[start:start + batch_size])
        for k, g in model.grads.items():
            model.params[k] = model.params[k] - lr * g


def epoch_returning_losses(model, x, t, lr, batch_size, rng):
    losses, order = [], rng.permutation(len(x))
    for idx in np.array_split(order, range(batch_size, len(x), batch_size)):
        loss, grads = model.loss_and_grads(x[idx], t[idx])
        for k in model.params:
            model.params[k] -= lr * grads[k]
        losses.append(loss)
    return losses


ALSO_RIGHT = [
    ("5.1", momentum_in_place), ("6.1", adagrad_float32), ("7.1", ema_list),
    ("4.1", epoch_shuffling_data), ("4.1", epoch_returning_losses),
    ("2.1", lambda h, W, b: (h @ W + b).clip(min=0)),
]


@pytest.mark.parametrize("label", sorted(CHECKERS))
def test_every_label_accepts_the_right_answer(label):
    result = check(label, RIGHT[label])
    assert result.passed, result.message
    assert result.status == "correct" and result.message.startswith("Correct")
    assert bool(result)


@pytest.mark.parametrize(("label", "answer"), ALSO_RIGHT)
def test_other_right_forms_pass(label, answer):
    result = check(label, answer)
    assert result.passed, result.message


# -- unfinished answers -------------------------------------------------------------


def layer_stub(h, W, b):
    ...


def grad_stub(a, t):
    ...


def backprop_stub(h_prev, h, W_next, d_next):
    raise NotImplementedError


def epoch_stub(model, x, t, lr, batch_size, rng):
    ...


def momentum_stub(w, v, g, lr, momentum):
    ...


def adagrad_stub(w, G, g, lr, eps):
    raise NotImplementedError


def ema_stub(values, gamma):
    pass


def adadelta_stub(w, Eg2, Edw2, g, gamma, eps):
    raise NotImplementedError("write the step")


def iterations_stub(loss, threshold, window):
    ...


def adam_stub(w, m, v, g, t, lr, beta1, beta2, eps):
    raise NotImplementedError("your code here")


def rates_stub(g, lr, eps):
    raise NotImplementedError("your code here")


STUBS = {"2.1": layer_stub, "3.1": grad_stub, "3.5": backprop_stub, "4.1": epoch_stub,
         "5.1": momentum_stub, "6.1": adagrad_stub, "7.1": ema_stub,
         "7.2": adadelta_stub, "8.1": iterations_stub, "9.1": adam_stub, "10.1": rates_stub}


@pytest.mark.parametrize("label", sorted(CHECKERS))
@pytest.mark.parametrize("kind", ["stub", "ellipsis", "none"])
def test_unfinished_exercise_is_not_done_yet(label, kind):
    answer = {"stub": STUBS[label], "ellipsis": ..., "none": None}[kind]
    result = check(label, answer)
    assert not result.passed
    assert result.status == "not done"
    assert result.message.startswith("Not done yet")
    assert "write" in result.message.lower() or "replace" in result.message


def test_the_labels_cover_the_plan():
    assert sorted(CHECKERS) == ["10.1", "2.1", "3.1", "3.5", "4.1", "5.1", "6.1", "7.1", "7.2",
                                "8.1", "9.1"]
    assert sorted(STUBS) == sorted(RIGHT) == sorted(CHECKERS)


# -- typical wrong answers, each with the hint it must get ------------------------------

def _relu(a):
    return np.maximum(a, 0)


def _softmax(a):
    z = np.exp(a - a.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _onehot(t, k):
    return np.eye(k)[t]


def epoch_unshuffled(model, x, t, lr, batch_size, rng):
    for start in range(0, len(x), batch_size):
        _, grads = model.loss_and_grads(x[start:start + batch_size], t[start:start + batch_size])
        for k in model.params:
            model.params[k] -= lr * grads[k]


def epoch_drops_last(model, x, t, lr, batch_size, rng):
    order = rng.permutation(len(x))
    for b in range(len(x) // batch_size):
        idx = order[b * batch_size:(b + 1) * batch_size]
        _, grads = model.loss_and_grads(x[idx], t[idx])
        for k in model.params:
            model.params[k] -= lr * grads[k]


def epoch_shuffles_separately(model, x, t, lr, batch_size, rng):
    rng.shuffle(x)
    for start in range(0, len(x), batch_size):
        _, grads = model.loss_and_grads(x[start:start + batch_size], t[start:start + batch_size])
        for k in model.params:
            model.params[k] -= lr * grads[k]


def _epoch_with(update):
    def epoch(model, x, t, lr, batch_size, rng):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            _, grads = model.loss_and_grads(x[idx], t[idx])
            update(model.params, grads, lr)
    return epoch


def _lr_twice(params, grads, lr):
    for k in params:
        params[k] -= lr * lr * grads[k]


def _weights_only(params, grads, lr):
    for k in ("W1", "W2"):
        params[k] -= lr * grads[k]


def _uphill(params, grads, lr):
    for k in params:
        params[k] += lr * grads[k]


def _local_name(params, grads, lr):
    for k in params:
        w = params[k]
        w = w - lr * grads[k]   # noqa: F841 -- the mistake under test


def epoch_gradients_first(model, x, t, lr, batch_size, rng):
    order = rng.permutation(len(x))
    kept = []
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        kept.append(model.loss_and_grads(x[idx], t[idx])[1])
    for grads in kept:
        for k in model.params:
            model.params[k] -= lr * grads[k]


def epoch_global_rng(model, x, t, lr, batch_size, rng):
    order = np.random.default_rng(12345).permutation(len(x))
    _epoch_over(model, x, t, lr, batch_size, order)


def epoch_new_order_per_batch(model, x, t, lr, batch_size, rng):
    for start in range(0, len(x), batch_size):
        idx = rng.permutation(len(x))[start:start + batch_size]
        _, grads = model.loss_and_grads(x[idx], t[idx])
        for k in model.params:
            model.params[k] -= lr * grads[k]


def epoch_one_by_one(model, x, t, lr, batch_size, rng):
    _epoch_over(model, x, t, lr, 1, rng.permutation(len(x)))


def _epoch_over(model, x, t, lr, batch_size, order):
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        _, grads = model.loss_and_grads(x[idx], t[idx])
        for k in model.params:
            model.params[k] -= lr * grads[k]


def epoch_array_split(model, x, t, lr, batch_size, rng):
    for idx in np.array_split(rng.permutation(len(x)), batch_size):
        _, grads = model.loss_and_grads(x[idx], t[idx])
        for k in model.params:
            model.params[k] -= lr * grads[k]


def epoch_backwards(model, x, t, lr, batch_size, rng):
    order = rng.permutation(len(x))
    starts = list(range(0, len(x), batch_size))
    for start in reversed(starts):
        idx = order[start:start + batch_size]
        _, grads = model.loss_and_grads(x[idx], t[idx])
        for k in model.params:
            model.params[k] -= lr * grads[k]


def ema_e0_first(values, gamma):
    E, out = values[0], [values[0]]
    for x in values[1:]:
        E = (1 - gamma) * E + gamma * x
        out.append(E)
    return np.array(out)


def ema_swapped(values, gamma):
    E, out = 0.0, []
    for x in values:
        E = gamma * E + (1 - gamma) * x
        out.append(E)
    return np.array(out)


def ema_with_e0(values, gamma):
    out = [0.0]
    for x in values:
        out.append((1 - gamma) * out[-1] + gamma * x)
    return np.array(out)


def ema_adam(values, gamma):
    return ema(values, gamma) / (1 - (1 - gamma) ** np.arange(1, len(values) + 1))


def _trailing(loss, window):
    return np.array([np.mean(loss[max(0, i - window + 1):i + 1]) for i in range(len(loss))])


def iterations_raw(loss, threshold, window):
    below = np.flatnonzero(loss < threshold)
    return below[0] if len(below) else math.inf


def iterations_one_based(loss, threshold, window):
    below = np.flatnonzero(_trailing(loss, window) < threshold)
    return below[0] + 1 if len(below) else math.inf


def iterations_at_most(loss, threshold, window):
    below = np.flatnonzero(_trailing(loss, window) <= threshold)
    return below[0] if len(below) else math.inf


def iterations_none(loss, threshold, window):
    below = np.flatnonzero(_trailing(loss, window) < threshold)
    if len(below):
        return below[0]


def iterations_valid(loss, threshold, window):
    smooth = np.convolve(loss, np.ones(window) / window, mode="valid")
    below = np.flatnonzero(smooth < threshold)
    return below[0] if len(below) else math.inf


WRONG = [
    # label, answer, words the message must contain
    ("2.1", lambda h, W, b: np.max(h @ W + b, 0), ["np.maximum(a, 0)", "reduction"]),
    ("2.1", lambda h, W, b: h @ W + b, ["ReLU is missing"]),
    ("2.1", lambda h, W, b: _relu(h @ W) + b, ["before the bias"]),
    ("2.1", lambda h, W, b: _relu(h @ W), ["bias `b` is missing"]),
    ("2.1", lambda h, W, b: _relu(W @ h + b), ["raised ValueError", "`h @ W`"]),
    ("2.1", lambda h, W, b: _relu(h @ W.T + b), ["`W` is transposed"]),
    ("3.1", lambda a, t: (np.exp(a) / np.exp(a).sum(axis=1, keepdims=True) - _onehot(t, a.shape[1]))
     / len(a), ["No max-shift", "nan"]),
    ("3.1", lambda a, t: _softmax(a) - _onehot(t, a.shape[1]), ["sum over the batch"]),
    ("3.1", lambda a, t: (_onehot(t, a.shape[1]) - _softmax(a)) / len(a), ["sign is flipped"]),
    ("3.1", lambda a, t: (_softmax(a) - _onehot(t, a.shape[1])) / a.size, ["n x K"]),
    ("3.1", lambda a, t: (np.exp(a - a.max(axis=1)) - _onehot(t, a.shape[1])) / len(a),
     ["raised ValueError", "keepdims=True"]),
    ("3.1", lambda a, t: (_softmax(a) - _onehot(t, 10)) / len(a), ["default is 10"]),
    ("3.1", lambda a, t: (_softmax(a.T).T - _onehot(t, a.shape[1])) / len(a), ["axis 0"]),
    ("3.5", lambda hp, h, W, d: (d @ W.T, hp.T @ (d @ W.T), (d @ W.T).sum(axis=0)),
     ["derivative f'(a) is missing", "`h > 0`"]),
    ("3.5", lambda hp, h, W, d: ((d @ W.T) * (h > 0), (hp.T @ ((d @ W.T) * (h > 0))) / len(h),
                                 ((d @ W.T) * (h > 0)).mean(axis=0)), ["once too often"]),
    ("3.5", lambda hp, h, W, d: ((d @ W.T) * (h > 0), h.T @ ((d @ W.T) * (h > 0)),
                                 ((d @ W.T) * (h > 0)).sum(axis=0)), ["layer's *input*"]),
    ("3.5", lambda hp, h, W, d: ((d @ W) * (h > 0), hp.T @ ((d @ W) * (h > 0)),
                                 ((d @ W) * (h > 0)).sum(axis=0)), ["not transposed"]),
    ("3.5", lambda hp, h, W, d: (W @ d.T, hp.T @ (W @ d.T), 0),
     ["raised ValueError", "`d_next @ W_next.T`"]),
    ("4.1", epoch_unshuffled, ["not shuffled", "rng.permutation"]),
    ("4.1", epoch_drops_last, ["last, smaller batch (2 samples) was dropped"]),
    ("4.1", epoch_shuffles_separately, ["labels", "do not belong", "`t[idx]`"]),
    ("4.1", _epoch_with(_lr_twice), ["batches are right", "applied twice"]),
    ("4.1", _epoch_with(_weights_only), ["biases"]),
    ("4.1", _epoch_with(_uphill), ["uphill"]),
    ("4.1", _epoch_with(_local_name), ["did not change", "in place"]),
    ("4.1", epoch_gradients_first, ["before the first update"]),
    ("4.1", epoch_global_rng, ["shuffle differs", "`rng` passed in"]),
    ("4.1", epoch_new_order_per_batch, ["more than once"]),
    ("4.1", epoch_one_by_one, ["one sample", "`batch_size` was not used"]),
    ("4.1", epoch_array_split, ["np.array_split(order, batch_size)", "[3, 3, 2, 2]"]),
    ("4.1", epoch_backwards, ["right ones but were visited in another order"]),
    ("4.1", lambda model, x, t, lr, batch_size, rng: model.loss_and_grads(x[None, 0], t[:1]),
     ["9 of the 10 samples were not used"]),
    ("4.1", lambda model, x, t, lr, batch_size, rng: model.loss_and_grads(x.T, t),
     ["raised ValueError", "input must have shape (batch, 6)"]),
    ("5.1", lambda w, v, g, lr, m: (w - lr * (m * v + g), m * v + g), ["PyTorch"]),
    ("5.1", lambda w, v, g, lr, m: (w - v, m * v + lr * g), ["order of the two updates"]),
    ("5.1", lambda w, v, g, lr, m: (w - lr * (m * v + lr * g), m * v + lr * g),
     ["applied twice"]),
    ("5.1", lambda w, v, g, lr, m: (m * v + lr * g, w - (m * v + lr * g)), ["swapped"]),
    ("5.1", lambda w, v, g, lr, m: (w - (m * v + g), m * v + g), ["learning rate is missing"]),
    ("6.1", lambda w, G, g, lr, eps: (w - lr * g / (np.sqrt(G + g * g) + eps), G + g * g),
     ["outside the square root"]),
    ("6.1", lambda w, G, g, lr, eps: (w - lr * g / (G + g * g + eps), G + g * g),
     ["square root is missing"]),
    ("6.1", lambda w, G, g, lr, eps: (w - lr * g / np.sqrt(G + eps), G + g * g), ["order"]),
    ("6.1", lambda w, G, g, lr, eps: (w - lr * g / np.sqrt(g * g + eps), g * g), ["replaced"]),
    ("7.1", ema_swapped, ["`1 - gamma` are swapped"]),
    ("7.1", ema_e0_first, ["starts at the first value", "E_0 = 0"]),
    ("7.1", ema_with_e0, ["E_0 is in the result"]),
    ("7.1", ema_adam, ["bias correction"]),
    ("7.1", lambda values, gamma: ema(values, gamma)[-1], ["Only the last"]),
    ("7.2", lambda w, Eg2, Edw2, g, gamma, eps: adadelta_step(w, Eg2, Edw2, g, 1 - gamma, eps),
     ["`1 - gamma` are swapped"]),
    ("7.2", lambda w, Eg2, Edw2, g, gamma, eps: _adadelta_old_eg2(w, Eg2, Edw2, g, gamma, eps),
     ["order", "old `Eg2`"]),
    ("7.2", lambda w, Eg2, Edw2, g, gamma, eps: _adadelta_eps_out(w, Eg2, Edw2, g, gamma, eps),
     ["outside the square roots"]),
    ("7.2", lambda w, Eg2, Edw2, g, gamma, eps: _adadelta_g2(w, Eg2, Edw2, g, gamma, eps),
     ["squared steps"]),
    ("7.2", lambda w, Eg2, Edw2, g, gamma, eps: _adadelta_uphill(w, Eg2, Edw2, g, gamma, eps),
     ["sign"]),
    ("8.1", iterations_raw, ["raw loss"]),
    ("8.1", iterations_one_based, ["Counted from 1"]),
    ("8.1", iterations_at_most, ["`<=` instead of `<`"]),
    ("8.1", iterations_none, ["`math.inf`, not None"]),
    ("8.1", iterations_valid, ["looks ahead", "'valid'"]),
    ("9.1", lambda w, m, v, g, t, lr, b1, b2, eps: _adam(w, m, v, g, t, lr, b1, b2, eps, 1, 1),
     ["bias correction is missing", "1 - beta1**t"]),
    ("9.1", lambda w, m, v, g, t, lr, b1, b2, eps: _adam(w, m, v, g, t, lr, b1, b2, eps,
                                                         inside=True),
     ["`eps` is inside the square root", "outside"]),
    ("9.1", lambda w, m, v, g, t, lr, b1, b2, eps: _adam(w, m, v, g, t, lr, b1, b2, eps, 1, 1,
                                                         inside=True),
     ["inside the square root and the bias correction is missing"]),
    ("9.1", lambda w, m, v, g, t, lr, b1, b2, eps: _adam(w, m, v, g, t, lr, 1 - b1, 1 - b2, eps),
     ["`1 - beta` are swapped"]),
    ("9.1", lambda w, m, v, g, t, lr, b1, b2, eps: adam_step(w, m, v, g, t, lr, b1, b2, eps)[::-1],
     ["should be"]),
    ("10.1", lambda g, lr, eps: lr / (np.sqrt(np.cumsum(g**2)) + eps), ["outside the square root"]),
    ("10.1", lambda g, lr, eps: lr / np.sqrt(g**2 + eps), ["forgets", "G = G + g*g"]),
    ("10.1", lambda g, lr, eps: lr / np.sqrt(np.cumsum(g**2) - g**2 + eps), ["before"]),
    ("10.1", lambda g, lr, eps: lr * g / np.sqrt(np.cumsum(g**2) + eps), ["multiplied by"]),
    ("10.1", lambda g, lr, eps: lr / np.sqrt(np.cumsum(np.abs(g)) + eps), ["`|g|`"]),
]


def _adam(w, m, v, g, t, lr, beta1, beta2, eps, c1=None, c2=None, inside=False):
    """Adam with the corrections ``c1``, ``c2`` (default ``1 - beta**t``) and eps placement."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t if c1 is None else c1)
    v_hat = v / (1 - beta2**t if c2 is None else c2)
    root = np.sqrt(v_hat + eps) if inside else np.sqrt(v_hat) + eps
    return w - lr * m_hat / root, m, v


def _adadelta_old_eg2(w, Eg2, Edw2, g, gamma, eps):
    dw = -np.sqrt(Edw2 + eps) / np.sqrt(Eg2 + eps) * g
    Eg2 = (1 - gamma) * Eg2 + gamma * g**2
    Edw2 = (1 - gamma) * Edw2 + gamma * dw**2
    return w + dw, Eg2, Edw2


def _adadelta_eps_out(w, Eg2, Edw2, g, gamma, eps):
    Eg2 = (1 - gamma) * Eg2 + gamma * g**2
    dw = -(np.sqrt(Edw2) + eps) / (np.sqrt(Eg2) + eps) * g
    Edw2 = (1 - gamma) * Edw2 + gamma * dw**2
    return w + dw, Eg2, Edw2


def _adadelta_g2(w, Eg2, Edw2, g, gamma, eps):
    Eg2 = (1 - gamma) * Eg2 + gamma * g**2
    dw = -np.sqrt(Edw2 + eps) / np.sqrt(Eg2 + eps) * g
    Edw2 = (1 - gamma) * Edw2 + gamma * g**2
    return w + dw, Eg2, Edw2


def _adadelta_uphill(w, Eg2, Edw2, g, gamma, eps):
    Eg2 = (1 - gamma) * Eg2 + gamma * g**2
    dw = -np.sqrt(Edw2 + eps) / np.sqrt(Eg2 + eps) * g
    Edw2 = (1 - gamma) * Edw2 + gamma * dw**2
    return w - dw, Eg2, Edw2


@pytest.mark.parametrize(("label", "answer", "words"), WRONG,
                         ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
def test_wrong_answer_gets_its_hint(label, answer, words):
    result = check(label, answer)
    assert not result.passed
    assert result.status == "wrong"
    assert result.message.startswith("Not right yet")
    for word in words:
        assert word in result.message, result.message
    assert "Traceback" not in result.message


def test_every_checker_has_at_least_three_wrong_answers():
    counts = {label: sum(w[0] == label for w in WRONG) for label in CHECKERS}
    assert min(counts.values()) >= 3, counts


def test_a_mismatch_names_case_element_and_values():
    message = check("5.1", lambda w, v, g, lr, m: (w - v, m * v + lr * g)).message
    assert "In run 1, step 1, `w[0]` should be 0.95, but is 1 (3 of 3 elements differ)." in message
    assert "Inputs: `w = [1, -2, 0.5]`, `v = [0, 0, 0]`" in message and "`lr = 0.1`" in message


def test_an_unknown_mistake_gets_general_advice_but_a_wrong_kind_does_not():
    odd = check("5.1", lambda w, v, g, lr, m: (w - 3 * g, v + g)).message
    assert "Likely cause: Compare each line with eq. (9)" in odd
    kind = check("5.1", lambda w, v, g, lr, m: "w").message
    assert "Likely cause" not in kind and "returned the string 'w'" in kind


_FUNCTION_CHECKERS = [c for c in CHECKERS.values() if isinstance(c, FunctionChecker)]
_VARIANTS = [(c.label, v) for c in _FUNCTION_CHECKERS for v in c.variants]


@pytest.mark.parametrize(("label", "variant"), _VARIANTS,
                         ids=[f"{label}-{v.function.__name__}" for label, v in _VARIANTS])
def test_every_known_mistake_is_told_apart(label, variant):
    """Each wrong variant a checker knows, given as the answer, earns its own hint: the
    cases are chosen so that no variant passes and none hides behind another."""
    result = check(label, variant.function)
    assert result.status == "wrong", result.message
    assert variant.hint in result.message


# -- answers of the wrong kind, exceptions, time-outs -----------------------------------

def momentum_raising(w, v, g, lr, momentum):
    scale = 1 / 0
    return w * scale, v


def test_an_exception_is_reported_with_its_line():
    result = check("5.1", momentum_raising)
    assert result.status == "wrong"
    message = result.message
    assert "raised ZeroDivisionError: division by zero" in message
    assert "in `momentum_raising`" in message and "`scale = 1 / 0`" in message
    assert "In run 1, step 1" in message


@pytest.mark.parametrize(("label", "answer", "words"), [
    ("5.1", (1.0, 2.0), ["checks a function", "without parentheses"]),
    ("7.1", 0.5, ["checks a function", "the number 0.5"]),
    ("3.1", "softmax", ["checks a function", "string"]),
    ("5.1", lambda w, v, g: (w, v), ["must take 5 arguments", "momentum_step(w, v, g, lr, "
                                                                "momentum)"]),
    ("5.1", lambda w, v, g, lr, m: "w", ["should return the 2 values `(w, v)`", "string"]),
    ("5.1", lambda w, v, g, lr, m: w - v, ["should return the 2 values", "array of shape"]),
    ("7.2", lambda w, Eg2, Edw2, g, gamma, eps: (w, Eg2), ["returned 2 values", "3"]),
    ("5.1", lambda w, v, g, lr, m: (w * np.nan, v), ["`w[0]` should be", "is nan"]),
    ("5.1", lambda w, v, g, lr, m: (w[None, :], v), ["shape (1, 3)"]),
    ("5.1", lambda w, v, g, lr, m: ({"w": w}, v), ["`w` should be an array", "dict"]),
    ("7.1", lambda values, gamma: ema(values, gamma)[None, :], ["has shape (1, 6)"]),
    ("8.1", lambda loss, threshold, window: (3, 4), ["one value", "tuple of 2"]),
    ("8.1", lambda loss, threshold, window: "5", ["should be a number", "string"]),
])
def test_an_answer_of_the_wrong_kind_is_reported(label, answer, words):
    result = check(label, answer)
    assert result.status == "wrong"
    for word in words:
        assert word in result.message, result.message


def _checking_threads(wait=2.0):
    """The checkers' worker threads still alive after at most ``wait`` seconds."""
    end = time.monotonic() + wait
    while True:
        alive = [t for t in threading.enumerate() if t.name == "gdlib-exercise-check"]
        if not alive or time.monotonic() > end:
            return alive
        time.sleep(0.02)


def test_an_endless_loop_is_stopped():
    def momentum_forever(w, v, g, lr, momentum):
        end = time.monotonic() + 20      # ends by itself should the stop ever fail
        while time.monotonic() < end:
            v = v + 0
        return w, v

    start = time.monotonic()
    result = check("5.1", momentum_forever, time_limit=0.3)
    assert time.monotonic() - start < 2
    assert result.status == "wrong"
    assert "did not finish within 0.3 s" in result.message and "It was stopped" in result.message
    assert not _checking_threads(wait=0)


def test_a_call_that_cannot_be_interrupted_is_reported():
    def sleepy(values, gamma):
        time.sleep(0.6)
        return ema(values, gamma)

    result = check("7.1", sleepy, time_limit=0.2)
    assert result.status == "wrong"
    assert "did not finish within 0.2 s" in result.message
    assert "may still be running" in result.message
    assert not _checking_threads()       # it wakes up and is stopped at its next line


def test_the_default_time_limit_is_a_few_seconds():
    assert 1 <= TIME_LIMIT <= 10
    with pytest.raises(ValueError, match="time_limit must be a number of seconds > 0"):
        check("5.1", momentum_step, time_limit=None)


def test_a_student_except_does_not_swallow_the_stop():
    def stubborn(values, gamma):
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                time.sleep(0.001)
            except Exception:            # noqa: BLE001 -- the habit under test
                pass
        return ema(values, gamma)

    result = check("7.1", stubborn, time_limit=0.2)
    assert "It was stopped" in result.message
    assert not _checking_threads()


# -- labels, display, docs ---------------------------------------------------------------

def test_labels_may_be_given_as_book_targets():
    assert check("ex-5-1", momentum_step).passed
    assert check(" 7.1 ", ema).passed


def test_an_unknown_label_is_an_error_listing_the_labels():
    with pytest.raises(ValueError, match=r"no checker for exercise '9\.9'.*2\.1, 3\.1"):
        check("9.9", momentum_step)


def test_the_result_displays_in_a_notebook():
    wrong = check("5.1", lambda w, v, g, lr, m: (w - v, m * v + lr * g))
    html = wrong._repr_html_()
    assert html.startswith("<div") and "Exercise 5.1." in html
    assert "<code>w[0]</code>" in html and "<br>" in html and "`" not in html
    assert wrong._repr_markdown_().startswith("\u2718 **Exercise 5.1.** Not right yet.")
    assert repr(wrong).startswith("Exercise 5.1: Not right yet.")
    right = check("5.1", momentum_step)
    assert "\u2714" in right._repr_html_() and "#2e7d32" in right._repr_html_()
    assert Result("1.1", "wrong", "a < b & `c`")._repr_html_().count("&lt;") == 1


def test_a_bug_in_a_checker_is_reported_not_raised():
    def broken_reference(x):
        raise RuntimeError("oops")

    checker = FunctionChecker(
        "0.1", "f(x)", "y", task="y", reference=broken_reference,
        cases=lambda: [Case((np.ones(2),), "in case 1")], variants=[], fallback="",
        praise="", doc="")
    result = checker(lambda x: x)
    assert result.status == "error" and not result.passed
    assert "a bug in gdlib.exercises" in result.message and "RuntimeError: oops" in result.message


@pytest.mark.parametrize("label", sorted(CHECKERS))
def test_each_docstring_states_the_task(label):
    doc = CHECKERS[label].__doc__
    assert doc.startswith(f"Exercise {label}:")
    assert f'check("{label}"' in doc
    assert f"``{CHECKERS[label].signature}``" in doc
    assert "copies" in doc
    if label != "8.1":
        assert "eq. (" in doc
