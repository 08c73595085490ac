"""The optimizers after the paper (chapter 9): Nesterov, Adam and AdamW, as tables.

Their three hand-checked steps sit beside the paper's in test_optimizers.py
(``HAND_STEPS``), against scalar reference loops written from the algorithms as
published, sharing no code with gdlib: Nesterov (1983) in the
look-ahead form of Sutskever et al. (2013) and in the form of Bengio et al.
(2013), Kingma and Ba (2015) Algorithm 1, Loshchilov and Hutter (2019)
Algorithm 2.  ``TORCH_STEPS`` holds step values recorded once from
``torch.optim`` (the script in its comment), so that the book's claim "as
PyTorch's" is tested without PyTorch being a test dependency.
"""

import inspect
import math
import tracemalloc

import numpy as np
import pytest
from helpers import make_clusters

from gdlib.optimizers import REGISTRY, Adam, AdamW, Momentum, Nesterov
from gdlib.train import TrainConfig, make_optimizer, train
from gdlib.widgets import Explorer, ToySetting
from gdlib.widgets.explorer import hyperparameters, label, toy_path

W0 = [1.0, -2.0, 0.5]
GRADS = [[0.5, -1.0, 2.0], [-0.3, 0.2, 1.5], [0.1, -0.4, -2.5]]


def test_nesterov_is_the_look_ahead_method_shifted():
    """Nesterov (1983) as Sutskever et al. (2013) write it takes the gradient at the
    look-ahead point: u = m u - lr grad(theta + m u); theta = theta + u.  Bengio et al.'s
    form (gdlib's) follows w = theta + m u: the same method, read at the look-ahead."""
    def grad(p):                                  # f = 0.5 (x^2 + 50 y^2)
        return np.array([p[0], 50.0 * p[1]])

    lr, m = 0.01, 0.9
    theta, u = np.array([-4.0, 1.5]), np.zeros(2)
    opt, params = Nesterov(lr=lr, momentum=m), {"w": np.array([-4.0, 1.5])}
    for _ in range(50):
        u = m * u - lr * grad(theta + m * u)
        theta = theta + u
        opt.step(params, {"w": grad(params["w"])})
        np.testing.assert_allclose(params["w"], theta + m * u, rtol=1e-12, atol=1e-14)


# Recorded once from torch 2.13.0+cpu (float64, in a throw-away venv), by
#   w = torch.tensor(W0, dtype=torch.float64, requires_grad=True); opt = <optimizer>([w], ...)
#   for g in GRADS: w.grad = torch.tensor(g, dtype=torch.float64); opt.step(); print(w.tolist())
# with SGD(lr=0.1, momentum=0.9, nesterov=True), Adam(lr=0.1), Adam(lr=0.01,
# betas=(0.5, 0.8), eps=0.3), AdamW(lr=0.1) and AdamW(lr=0.1, weight_decay=0.5, eps=1e-3).
TORCH_STEPS = {
    "nesterov": [
        [0.905, -1.81, 0.12],
        [0.9215, -1.7670000000000001, -0.327],
        [0.89035, -1.6343, -0.11929999999999996],
    ],
    "adam": [
        [0.900000002, -1.900000001, 0.4000000005],
        [0.8808501989417752, -1.8488973939904945, 0.30174249291002414],
        [0.8554536806163684, -1.7887814001826312, 0.2932468731457079],
    ],
    "adam-big-eps": [
        [0.99375, -1.9923076923076923, 0.49130434782608695],
        [0.9942252491529363, -1.9902733734524853, 0.48313461776849376],
        [0.9935283046762294, -1.9867178558869032, 0.48612918450110987],
    ],
    "adamw": [
        [0.899000002, -1.898000001, 0.3995000005],
        [0.8789511989397751, -1.8449993939894944, 0.30084299290952415],
        [0.8526757294154286, -1.7830384007876416, 0.2920465301522984],
    ],
    "adamw-decay-0.5": [
        [0.8501996007984032, -1.8000999000999, 0.3750499750124937],
        [0.7885861553994615, -1.6590630821271064, 0.25809552342040276],
        [0.723834490274005, -1.5160888681329658, 0.23669928701770634],
    ],
}


@pytest.mark.parametrize("name", sorted(TORCH_STEPS))
def test_steps_match_torch_optim(name):
    make = {"nesterov": lambda: Nesterov(lr=0.1, momentum=0.9),
            "adam": lambda: Adam(lr=0.1),
            "adam-big-eps": lambda: Adam(lr=0.01, beta1=0.5, beta2=0.8, eps=0.3),
            "adamw": lambda: AdamW(lr=0.1),
            "adamw-decay-0.5": lambda: AdamW(lr=0.1, weight_decay=0.5, eps=1e-3)}[name]
    opt, params = make(), {"w": np.array(W0)}
    for g, expected in zip(GRADS, TORCH_STEPS[name], strict=True):
        opt.step(params, {"w": np.array(g)})
        np.testing.assert_allclose(params["w"], expected, rtol=1e-12, atol=1e-15)


def test_every_first_adam_step_is_lr_long():
    """With the bias correction, step 1 is lr * g/|g|: lr for every weight, whatever g."""
    opt, params = Adam(lr=0.01), {"w": np.array(W0)}
    opt.step(params, {"w": np.array([0.01, -30.0, 2.0])})
    np.testing.assert_allclose(params["w"] - W0, [-0.01, 0.01, -0.01], rtol=1e-5)


def test_adamw_without_decay_is_adam_and_decay_is_not_l2():
    grads = [np.array(g) for g in GRADS]
    a, b = Adam(lr=0.1), AdamW(lr=0.1, weight_decay=0.0)
    pa, pb = {"w": np.array(W0)}, {"w": np.array(W0)}
    for g in grads:
        a.step(pa, {"w": g})
        b.step(pb, {"w": g})
    np.testing.assert_array_equal(pa["w"], pb["w"])
    # L2: Adam on g + lambda w differs from decoupled decay
    l2, w_l2 = Adam(lr=0.1), {"w": np.array(W0)}
    decoupled, w_dec = AdamW(lr=0.1, weight_decay=0.5), {"w": np.array(W0)}
    for g in grads:
        l2.step(w_l2, {"w": g + 0.5 * w_l2["w"]})
        decoupled.step(w_dec, {"w": g})
    assert np.abs(w_l2["w"] - w_dec["w"]).max() > 1e-3


# -- the contract -------------------------------------------------------------

OPTIMIZERS = [
    ("nesterov", lambda: Nesterov(lr=0.1), ("v",)),
    ("adam", lambda: Adam(lr=0.01), ("m", "v", "t")),
    ("adamw", lambda: AdamW(lr=0.01), ("m", "v", "t")),
]
MAKERS = [r[1] for r in OPTIMIZERS]
IDS = [r[0] for r in OPTIMIZERS]


@pytest.mark.parametrize("make, symbols", [r[1:] for r in OPTIMIZERS], ids=IDS)
def test_step_in_place_keeps_dtype_and_exposes_state(make, symbols):
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((3, 4)).astype(np.float32),
              "b": rng.standard_normal(4).astype(np.float32)}
    grads = {k: rng.standard_normal(v.shape).astype(np.float32) for k, v in params.items()}
    originals, before = dict(params), {k: v.copy() for k, v in params.items()}
    opt = make()
    opt.step(params, grads)
    opt.step(params, grads)
    for k in params:
        assert params[k] is originals[k] and params[k].dtype == np.float32
        assert not np.array_equal(params[k], before[k])
        assert set(opt.state[k]) == set(symbols)
        for sym in set(symbols) - {"t"}:
            assert opt.state[k][sym].shape == params[k].shape
            assert opt.state[k][sym].dtype == np.float32
    if "t" in symbols:
        assert opt.state["W"]["t"] == 2


@pytest.mark.parametrize("make", MAKERS, ids=IDS)
def test_state_is_per_name_and_reset_forgets_it(make):
    opt = make()
    opt.step({"a": np.ones(3)}, {"a": np.ones(3)})
    b = np.array([0.5, -1.0])
    opt.step({"b": b}, {"b": np.array([2.0, 1.0])})     # b's first step: t = 1 for b
    fresh, b2 = make(), np.array([0.5, -1.0])
    fresh.step({"b": b2}, {"b": np.array([2.0, 1.0])})
    np.testing.assert_array_equal(b, b2)
    opt.reset()
    assert opt.state == {} and opt.steps == 0


# Written with NumPy's operators as the book shows them (test_optimizers.TEMPORARIES):
# at most this many parameter-sized arrays alive at once during a step.
TEMPORARIES = {"nesterov": 2,    # momentum * v, lr * g
               "adam": 3,        # v_hat, sqrt(v_hat) + eps, m / (...)
               "adamw": 3}       # Adam's; the decay is in place


@pytest.mark.parametrize("make, kind", list(zip(MAKERS, IDS, strict=True)), ids=IDS)
def test_steps_allocate_a_stated_number_of_temporaries(make, kind):
    shape = (1000, 1000)
    size = 4 * shape[0] * shape[1]
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal(shape, dtype=np.float32)}
    grads = {"W": rng.standard_normal(shape, dtype=np.float32)}
    opt = make()
    tracemalloc.start()
    try:
        opt.step(params, grads)
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(5):
            opt.step(params, grads)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert current - base < size / 100, "a step kept parameter-sized memory after it ended"
    assert peak - base < (TEMPORARIES[kind] + 0.01) * size, \
        f"{(peak - base) / size:.2f} parameter sizes alive at once, {TEMPORARIES[kind]} stated"


BAD = ([(cls, {"lr": v}, "lr") for cls in (Nesterov, Adam, AdamW) for v in (0, -1, math.nan)]
       + [(Nesterov, {"momentum": v}, "momentum") for v in (-0.1, 1.0)]
       + [(cls, {name: v}, name) for cls in (Adam, AdamW) for name in ("beta1", "beta2")
          for v in (-0.1, 1.0, 1.5, math.nan)]
       + [(cls, {"eps": v}, "eps") for cls in (Adam, AdamW) for v in (0, -1e-8, math.inf)]
       + [(AdamW, {"weight_decay": v}, "weight_decay") for v in (-0.01, math.nan)])


@pytest.mark.parametrize("cls, kwargs, name", BAD,
                         ids=[f"{c.__name__}-{k}-{list(kw.values())[0]}" for c, kw, k in BAD])
def test_invalid_hyperparameters_raise_naming_the_parameter(cls, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        cls(**kwargs)


def test_positional_values_are_refused():
    with pytest.raises(TypeError, match="by name"):
        Adam(0.01)


def test_vocabulary_registry_and_repr():
    assert {k: REGISTRY[k].title for k in ("nesterov", "adam", "adamw")} == {
        "nesterov": "Nesterov", "adam": "Adam", "adamw": "AdamW"}
    for key in ("nesterov", "adam", "adamw"):
        cls = REGISTRY[key]
        signature = inspect.signature(cls).parameters
        assert [h.name for h in cls.hyperparameters] == list(signature)
        assert all(h.default == signature[h.name].default and h.symbol
                   for h in cls.hyperparameters)
    assert AdamW(weight_decay=0).weight_decay == 0.0 and Adam(beta1=0).beta1 == 0.0
    assert repr(AdamW(lr=0.002)) == ("AdamW(lr=0.002, beta1=0.9, beta2=0.999, eps=1e-08, "
                                     "weight_decay=0.01)")
    assert repr(Nesterov(momentum=0.5)) == "Nesterov(lr=0.01, momentum=0.5)"


# -- convergence on the 2-D test functions --------------------------------------

def quadratic_grad(p):
    return np.array([p[0], 50.0 * p[1]])


def rosenbrock_grad(p):
    x, y = p
    return np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])


def steps_to_reach(opt, grad, start, target, tol, budget):
    params = {"p": np.array(start, dtype=np.float64)}
    for k in range(budget + 1):
        if np.all(np.abs(params["p"] - np.asarray(target)) < tol):
            return k
        if k < budget:
            opt.step(params, {"p": grad(params["p"])})
    return None


# measured step counts in the comments; every budget leaves a margin of at least 2x
CONVERGENCE = [
    ("nesterov-quadratic", lambda: Nesterov(lr=0.01, momentum=0.9), quadratic_grad,
     (-4.0, 1.5), (0.0, 0.0), 1e-2, 200),
    ("adam-quadratic", lambda: Adam(lr=0.1), quadratic_grad, (-4.0, 1.5), (0.0, 0.0), 1e-2,
     600),
    ("adamw-quadratic", lambda: AdamW(lr=0.1), quadratic_grad, (-4.0, 1.5), (0.0, 0.0), 1e-2,
     600),
    ("nesterov-rosenbrock", lambda: Nesterov(lr=0.001, momentum=0.9), rosenbrock_grad,
     (-1.5, 2.0), (1.0, 1.0), 0.1, 2000),
    ("adam-rosenbrock", lambda: Adam(lr=0.05), rosenbrock_grad, (-1.5, 2.0), (1.0, 1.0), 0.1,
     3000),
]


@pytest.mark.parametrize("make, grad, start, target, tol, budget",
                         [r[1:] for r in CONVERGENCE], ids=[r[0] for r in CONVERGENCE])
def test_converges(make, grad, start, target, tol, budget):
    with np.errstate(over="raise", invalid="raise"):
        k = steps_to_reach(make(), grad, start, target, tol, budget)
    assert k is not None, f"did not converge within {budget} steps"


def test_nesterov_damps_the_valley_better_than_momentum():
    """Same lr and momentum: the look-ahead brakes the oscillation across the steep y."""
    args = (quadratic_grad, (-4.0, 1.5), (0.0, 0.0), 1e-2, 2000)
    nag = steps_to_reach(Nesterov(lr=0.01, momentum=0.9), *args)
    mom = steps_to_reach(Momentum(lr=0.01, momentum=0.9), *args)
    assert nag is not None and mom is not None and nag < mom, (nag, mom)


# -- training and the explorer ---------------------------------------------------

def test_train_passes_the_new_hyperparameters():
    config = TrainConfig(optimizer="adamw", lr=0.003, beta2=0.99, weight_decay=0.1)
    opt = make_optimizer(config)
    assert (opt.lr, opt.beta1, opt.beta2, opt.weight_decay) == (0.003, 0.9, 0.99, 0.1)
    assert make_optimizer(TrainConfig(optimizer="adam")).beta2 == 0.999
    with pytest.raises(ValueError, match="beta1 must lie in"):
        make_optimizer(TrainConfig(optimizer="adam", beta1=1.0))
    for key in ("nesterov", "adam", "adamw"):
        history = train(TrainConfig(optimizer=key, lr=0.01, sizes=(20, 16, 3), batch_size=32,
                                    iterations=40, eval_every=20), make_clusters())
        assert np.isfinite(history.loss).all() and history.loss[-10:].mean() < history.loss[0]


def test_the_explorer_shows_each_methods_own_controls():
    assert hyperparameters("adam") == ("lr", "beta1", "beta2", "eps")
    assert hyperparameters("adamw") == ("lr", "beta1", "beta2", "eps", "weight_decay")
    assert hyperparameters("nesterov") == ("lr", "momentum")
    explorer = Explorer(ToySetting(optimizer="adamw", lr=0.1, steps=30))
    shown = [n for n in ("lr", "momentum", "window", "beta1", "beta2", "weight_decay", "eps")
             if explorer.controls[n].layout.display != "none"]
    assert shown == ["lr", "beta1", "beta2", "weight_decay", "eps"]
    assert explorer.controls["eps"].value == 1e-8
    explorer.controls["beta1"].value = 0.5
    assert explorer.setting().beta1 == 0.5 and len(explorer.points) == 31
    assert "β₁ = 0.5" in label(explorer.setting()) and "λ = 0.01" in label(explorer.setting())
    points = toy_path(ToySetting(optimizer="adam", lr=0.1, steps=1))
    np.testing.assert_allclose(points[1] - points[0], [0.1, -0.1], rtol=1e-6)  # lr * -sign(g)
