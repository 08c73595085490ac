"""gdlib.optimizers against the paper's equations, as tables.

The expected values come from the scalar reference loops below, one per
equation, written from the paper (Kang 2020, eq. 9, 10, 12-15) and sharing no
code with gdlib.
"""

import ast
import inspect
import math
import textwrap
import tracemalloc

import numpy as np
import pytest

from gdlib.optimizers import (
    SGD,
    Adadelta,
    AdaGrad,
    Adam,
    AdamW,
    Momentum,
    Nesterov,
    RMSProp,
    gamma_from_window,
)

# -- scalar reference implementations of the equations -----------------------
# Each takes the start point and a list of gradients, and returns after every
# step (w, state) as plain Python lists.

W0 = [1.0, -2.0, 0.5]
GRADS = [[0.5, -1.0, 2.0], [-0.3, 0.2, 1.5], [0.1, -0.4, -2.5]]


def ref_sgd(w, grads, lr):
    w, out = list(w), []
    for g in grads:
        for i in range(len(w)):
            w[i] = w[i] - lr * g[i]
        out.append((list(w), {}))
    return out


def ref_momentum(w, grads, lr, momentum):
    w, v, out = list(w), [0.0] * len(w), []
    for g in grads:
        for i in range(len(w)):
            v[i] = momentum * v[i] + lr * g[i]                  # eq. (9)
            w[i] = w[i] - v[i]
        out.append((list(w), {"v": list(v)}))
    return out


def ref_adagrad(w, grads, lr, eps):
    w, G, out = list(w), [0.0] * len(w), []
    for g in grads:
        for i in range(len(w)):
            G[i] = G[i] + g[i] * g[i]                           # eq. (10)
            w[i] = w[i] - lr / math.sqrt(G[i] + eps) * g[i]
        out.append((list(w), {"G": list(G)}))
    return out


def ref_rmsprop(w, grads, lr, gamma, eps):
    w, E, out = list(w), [0.0] * len(w), []
    for g in grads:
        for i in range(len(w)):
            E[i] = (1 - gamma) * E[i] + gamma * g[i] ** 2       # eq. (12)
            w[i] = w[i] - lr / math.sqrt(E[i] + eps) * g[i]     # eq. (14)
        out.append((list(w), {"Eg2": list(E)}))
    return out


def ref_adadelta(w, grads, gamma, eps, lr):
    w, E, D, out = list(w), [0.0] * len(w), [0.0] * len(w), []
    for g in grads:
        for i in range(len(w)):
            E[i] = (1 - gamma) * E[i] + gamma * g[i] ** 2                   # eq. (12)
            dw = -math.sqrt(D[i] + eps) / math.sqrt(E[i] + eps) * g[i]      # eq. (15)
            D[i] = (1 - gamma) * D[i] + gamma * dw ** 2                     # Zeiler: unscaled dw
            w[i] = w[i] + lr * dw
        out.append((list(w), {"Eg2": list(E), "Edw2": list(D)}))
    return out


# -- after the paper (chapter 9): from the published algorithms -----------------------------

def ref_nesterov(w, grads, lr, momentum):
    """Bengio et al. (2013), eq. (7): the gradient at the current weights.
    v = momentum v + lr g;  w = w - (momentum v + lr g)."""
    w, v, out = list(w), [0.0] * len(w), []
    for g in grads:
        for i in range(len(w)):
            v[i] = momentum * v[i] + lr * g[i]
            w[i] = w[i] - (momentum * v[i] + lr * g[i])
        out.append((list(w), {"v": list(v)}))
    return out


def ref_adam(w, grads, lr, beta1, beta2, eps, decay=0.0):
    """Kingma and Ba (2015), Algorithm 1; with ``decay``, Loshchilov and Hutter (2019),
    Algorithm 2 with the schedule multiplier eta_t = lr and alpha = 1, as PyTorch."""
    w, m, v, out = list(w), [0.0] * len(w), [0.0] * len(w), []
    for t, g in enumerate(grads, 1):
        for i in range(len(w)):
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] ** 2
            m_hat = m[i] / (1 - beta1 ** t)
            v_hat = v[i] / (1 - beta2 ** t)
            w[i] = w[i] - lr * (m_hat / (math.sqrt(v_hat) + eps) + decay * w[i])
        out.append((list(w), {"m": list(m), "v": list(v), "t": t}))
    return out


HAND_STEPS = [
    ("sgd", lambda: SGD(lr=0.1), lambda: ref_sgd(W0, GRADS, 0.1)),
    ("momentum", lambda: Momentum(lr=0.1, momentum=0.9),
     lambda: ref_momentum(W0, GRADS, 0.1, 0.9)),
    ("momentum-0", lambda: Momentum(lr=0.05, momentum=0.0),
     lambda: ref_momentum(W0, GRADS, 0.05, 0.0)),
    ("adagrad", lambda: AdaGrad(lr=0.1, eps=1e-8), lambda: ref_adagrad(W0, GRADS, 0.1, 1e-8)),
    ("adagrad-big-eps", lambda: AdaGrad(lr=0.5, eps=0.25),
     lambda: ref_adagrad(W0, GRADS, 0.5, 0.25)),
    ("rmsprop", lambda: RMSProp(lr=0.01, gamma=0.1, eps=1e-8),
     lambda: ref_rmsprop(W0, GRADS, 0.01, 0.1, 1e-8)),
    ("rmsprop-window3", lambda: RMSProp(lr=0.02, window=3, eps=1e-4),
     lambda: ref_rmsprop(W0, GRADS, 0.02, 0.5, 1e-4)),
    ("adadelta-default", lambda: Adadelta(),
     lambda: ref_adadelta(W0, GRADS, 0.1, 1e-6, 1.0)),
    ("adadelta-lr0.01", lambda: Adadelta(lr=0.01),
     lambda: ref_adadelta(W0, GRADS, 0.1, 1e-6, 0.01)),
    ("adadelta-window19", lambda: Adadelta(window=19),
     lambda: ref_adadelta(W0, GRADS, 0.1, 1e-6, 1.0)),
    ("adadelta-gamma0.5-eps0.01", lambda: Adadelta(gamma=0.5, eps=0.01, lr=0.3),
     lambda: ref_adadelta(W0, GRADS, 0.5, 0.01, 0.3)),
    ("nesterov", lambda: Nesterov(lr=0.1, momentum=0.9), lambda: ref_nesterov(W0, GRADS, 0.1, 0.9)),
    ("nesterov-0", lambda: Nesterov(lr=0.05, momentum=0.0),
     lambda: ref_nesterov(W0, GRADS, 0.05, 0.0)),
    ("adam", lambda: Adam(lr=0.1), lambda: ref_adam(W0, GRADS, 0.1, 0.9, 0.999, 1e-8)),
    ("adam-big-eps", lambda: Adam(lr=0.01, beta1=0.5, beta2=0.8, eps=0.3),
     lambda: ref_adam(W0, GRADS, 0.01, 0.5, 0.8, 0.3)),
    ("adam-beta1-0", lambda: Adam(lr=0.02, beta1=0.0),
     lambda: ref_adam(W0, GRADS, 0.02, 0.0, 0.999, 1e-8)),
    ("adamw", lambda: AdamW(lr=0.1), lambda: ref_adam(W0, GRADS, 0.1, 0.9, 0.999, 1e-8, 0.01)),
    ("adamw-decay-0.5", lambda: AdamW(lr=0.1, weight_decay=0.5, eps=1e-3),
     lambda: ref_adam(W0, GRADS, 0.1, 0.9, 0.999, 1e-3, 0.5)),
]


@pytest.mark.parametrize("make, reference", [r[1:] for r in HAND_STEPS],
                         ids=[r[0] for r in HAND_STEPS])
def test_three_steps_match_the_equations(make, reference):
    opt = make()
    params = {"w": np.array(W0, dtype=np.float64)}
    for k, (w_expected, state_expected) in enumerate(reference()):
        opt.step(params, {"w": np.array(GRADS[k], dtype=np.float64)})
        np.testing.assert_allclose(params["w"], w_expected, rtol=1e-13, atol=1e-15,
                                   err_msg=f"w after step {k + 1}")
        assert set(opt.state["w"]) == set(state_expected)
        for sym, value in state_expected.items():
            np.testing.assert_allclose(opt.state["w"][sym], value, rtol=1e-13, atol=1e-15,
                                       err_msg=f"{sym} after step {k + 1}")
        assert opt.steps == k + 1


# The first step, as literal numbers: with zero state, AdaGrad, RMSProp and
# Adadelta all move each weight by a fixed amount in the direction of -sign(g).
FIRST_STEP = [
    ("sgd", SGD(lr=0.1), [0.95, -1.9, 0.3]),
    ("momentum", Momentum(lr=0.1, momentum=0.9), [0.95, -1.9, 0.3]),
    ("adagrad", AdaGrad(lr=0.1), [0.9, -1.9, 0.4]),                   # lr * sign(g)
    ("rmsprop", RMSProp(lr=0.01, gamma=0.1),                          # lr / sqrt(0.1)
     [1 - 0.0316227766, -2 + 0.0316227766, 0.5 - 0.0316227766]),
    ("adadelta", Adadelta(),                                          # sqrt(1e-6 / 0.1)
     [1 - 0.00316227766, -2 + 0.00316227766, 0.5 - 0.00316227766]),
    ("adadelta-lr0.01", Adadelta(lr=0.01),
     [1 - 0.0000316227766, -2 + 0.0000316227766, 0.5 - 0.0000316227766]),
]


@pytest.mark.parametrize("opt, expected", [r[1:] for r in FIRST_STEP],
                         ids=[r[0] for r in FIRST_STEP])
def test_first_step_literal(opt, expected):
    params = {"w": np.array(W0)}
    opt.step(params, {"w": np.array(GRADS[0])})
    np.testing.assert_allclose(params["w"], expected, rtol=1e-5)


def test_window_19_is_gamma_0_1_bit_for_bit():
    a, b = Adadelta(window=19), Adadelta(gamma=0.1)
    pa, pb = {"w": np.array(W0)}, {"w": np.array(W0)}
    for g in GRADS:
        a.step(pa, {"w": np.array(g)})
        b.step(pb, {"w": np.array(g)})
    np.testing.assert_array_equal(pa["w"], pb["w"])
    np.testing.assert_array_equal(a.state["w"]["Edw2"], b.state["w"]["Edw2"])


# -- the contract: in place, dtype, state, counters ----------------------------

OPTIMIZERS = [
    ("sgd", lambda: SGD(lr=0.1), ()),
    ("momentum", lambda: Momentum(lr=0.1, momentum=0.9), ("v",)),
    ("adagrad", lambda: AdaGrad(lr=0.1), ("G",)),
    ("rmsprop", lambda: RMSProp(lr=0.01), ("Eg2",)),
    ("adadelta", lambda: Adadelta(), ("Eg2", "Edw2")),
    ("adadelta-lr", lambda: Adadelta(lr=0.01), ("Eg2", "Edw2")),
]
MAKERS = [r[1] for r in OPTIMIZERS]
IDS = [r[0] for r in OPTIMIZERS]


def _float32_problem(seed=0):
    rng = np.random.default_rng(seed)
    params = {"W": rng.standard_normal((3, 4)).astype(np.float32),
              "b": rng.standard_normal(4).astype(np.float32)}
    grads = {k: rng.standard_normal(v.shape).astype(np.float32) for k, v in params.items()}
    return params, grads


@pytest.mark.parametrize("make, symbols", [r[1:] for r in OPTIMIZERS], ids=IDS)
def test_step_in_place_keeps_dtype_and_exposes_state(make, symbols):
    opt = make()
    params, grads = _float32_problem()
    originals = dict(params)
    before = {k: v.copy() for k, v in params.items()}
    grads_before = {k: v.copy() for k, v in grads.items()}
    assert opt.state == {} and opt.steps == 0
    for n in (1, 2):
        opt.step(params, grads)
        assert opt.steps == n
    for k in params:
        assert params[k] is originals[k], f"{k} was replaced, not updated in place"
        assert params[k].dtype == np.float32
        assert not np.array_equal(params[k], before[k]), f"{k} did not change"
        np.testing.assert_array_equal(grads[k], grads_before[k], err_msg="grads modified")
        assert set(opt.state[k]) == set(symbols)
        for sym in symbols:
            assert opt.state[k][sym].shape == params[k].shape
            assert opt.state[k][sym].dtype == np.float32


@pytest.mark.parametrize("make", MAKERS, ids=IDS)
def test_state_is_created_lazily_per_name(make):
    opt = make()
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(3), rng.standard_normal(2)
    opt.step({"a": a}, {"a": np.ones(3)})
    assert set(opt.state) == {"a"}
    state_a = {s: v.copy() for s, v in opt.state["a"].items()}
    b_before = b.copy()
    opt.step({"b": b}, {"b": np.ones(2)})              # a new name: fresh state for it only
    assert set(opt.state) == {"a", "b"}
    for s, v in opt.state["a"].items():
        np.testing.assert_array_equal(v, state_a[s])
    # b's first step is exactly the first step of a fresh optimizer
    fresh, b2 = make(), b_before.copy()
    fresh.step({"b": b2}, {"b": np.ones(2)})
    np.testing.assert_array_equal(b, b2)
    assert opt.steps == 2


@pytest.mark.parametrize("make", MAKERS, ids=IDS)
def test_reset_forgets_state(make):
    opt = make()
    w = {"w": np.array(W0)}
    opt.step(w, {"w": np.array(GRADS[0])})
    opt.reset()
    assert opt.state == {} and opt.steps == 0
    fresh, w2 = make(), {"w": w["w"].copy()}
    opt.step(w, {"w": np.array(GRADS[1])})
    fresh.step(w2, {"w": np.array(GRADS[1])})
    np.testing.assert_array_equal(w["w"], w2["w"])
    for s in fresh.state["w"]:
        np.testing.assert_array_equal(opt.state["w"][s], fresh.state["w"][s])


# -- gamma and window (eq. 13) --------------------------------------------------

@pytest.mark.parametrize("window, gamma", [(19, 0.1), (1, 1.0), (3, 0.5), (39, 0.05)])
def test_gamma_from_window(window, gamma):
    assert gamma_from_window(window) == gamma


@pytest.mark.parametrize("cls", [RMSProp, Adadelta])
def test_gamma_defaults_and_window(cls):
    assert cls().gamma == 0.1
    assert cls(window=19).gamma == 0.1
    assert cls(window=1).gamma == 1.0
    assert cls(gamma=0.3).gamma == 0.3


def test_adadelta_defaults():
    opt = Adadelta()
    assert (opt.gamma, opt.eps, opt.lr) == (0.1, 1e-6, 1.0)


# -- invalid hyperparameters -------------------------------------------------------

LR_CLASSES = [SGD, Momentum, AdaGrad, RMSProp, Adadelta]
BAD = (
    [(cls, {"lr": v}, "lr") for cls in LR_CLASSES
     for v in (math.nan, math.inf, -math.inf, 0, 0.0, -1)]
    + [(Momentum, {"momentum": v}, "momentum") for v in (-0.1, 1.0, 1.5, math.nan)]
    + [(cls, {"gamma": v}, "gamma") for cls in (RMSProp, Adadelta)
       for v in (0, 0.0, -0.5, 1.5, math.nan)]
    + [(cls, {"window": v}, "window") for cls in (RMSProp, Adadelta)
       for v in (0, 0.5, -3, math.nan)]
    + [(cls, {"eps": v}, "eps") for cls in (AdaGrad, RMSProp, Adadelta)
       for v in (0, 0.0, -1e-8, math.nan)]
    + [(cls, {"gamma": 0.1, "window": 19}, "window") for cls in (RMSProp, Adadelta)]
    + [(cls, {"gamma": 0.1, "window": 19}, "gamma") for cls in (RMSProp, Adadelta)]
)


@pytest.mark.parametrize("cls, kwargs, name", BAD,
                         ids=[f"{c.__name__}-{k}" for c, k, _ in BAD])
def test_invalid_hyperparameters_raise_naming_the_parameter(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls(**kwargs)


@pytest.mark.parametrize("window", [0, 0.5, -3, math.inf])
def test_gamma_from_window_rejects(window):
    with pytest.raises(ValueError, match="window"):
        gamma_from_window(window)


def test_gradient_shape_mismatch_raises():
    with pytest.raises(ValueError, match="shape"):
        SGD().step({"w": np.zeros(3)}, {"w": np.zeros(4)})


@pytest.mark.parametrize(
    "opt, parts",
    [
        (SGD(lr=0.05), ["SGD", "lr=0.05"]),
        (Momentum(lr=0.02, momentum=0.8), ["Momentum", "lr=0.02", "momentum=0.8"]),
        (AdaGrad(lr=0.1, eps=1e-7), ["AdaGrad", "lr=0.1", "eps=1e-07"]),
        (RMSProp(lr=0.001, window=19), ["RMSProp", "lr=0.001", "gamma=0.1", "eps=1e-08"]),
        (Adadelta(gamma=0.3, lr=0.01), ["Adadelta", "gamma=0.3", "eps=1e-06", "lr=0.01"]),
    ],
    ids=["sgd", "momentum", "adagrad", "rmsprop", "adadelta"],
)
def test_repr_shows_hyperparameters(opt, parts):
    text = repr(opt)
    for part in parts:
        assert part in text


# -- convergence on 2-D test functions ---------------------------------------------

def quadratic_grad(p):
    """f(x, y) = 0.5 (x^2 + 50 y^2): condition number 50."""
    return np.array([p[0], 50.0 * p[1]])


def rosenbrock_grad(p):
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum at (1, 1)."""
    x, y = p
    return np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])


def steps_to_reach(opt, grad, start, target, tol, budget):
    """Steps until every coordinate is within ``tol`` of ``target`` (None if never)."""
    params = {"p": np.array(start, dtype=np.float64)}
    target = np.asarray(target, dtype=np.float64)
    for k in range(budget + 1):
        if np.all(np.abs(params["p"] - target) < tol):
            return k
        if k < budget:
            opt.step(params, {"p": grad(params["p"])})
    return None


# (name, optimizer, budget); measured step counts are in the comments:
# every budget leaves a margin of at least 2x.
QUADRATIC = [
    ("sgd", lambda: SGD(lr=0.03), 400),                        # 197
    ("momentum", lambda: Momentum(lr=0.01, momentum=0.9), 250),  # 92
    ("adagrad", lambda: AdaGrad(lr=1.0), 120),                 # 35
    ("rmsprop", lambda: RMSProp(lr=0.01), 1000),               # 435
    # Adadelta needs a larger eps here: with eps=1e-6 the stiff y direction keeps
    # oscillating with a slowly growing amplitude (its step ratio stays just above 2/50).
    ("adadelta", lambda: Adadelta(eps=1e-3), 250),             # 93
    ("adadelta-window", lambda: Adadelta(window=199, eps=1e-4), 500),  # 209
]


@pytest.mark.parametrize("make, budget", [r[1:] for r in QUADRATIC],
                         ids=[r[0] for r in QUADRATIC])
def test_converges_on_ill_conditioned_quadratic(make, budget):
    k = steps_to_reach(make(), quadratic_grad, (-4.0, 1.5), (0.0, 0.0), 1e-2, budget)
    assert k is not None, f"did not reach the minimum within {budget} steps"


ROSENBROCK = [
    ("sgd", lambda: SGD(lr=0.001), 15000),                          # 6024
    ("momentum", lambda: Momentum(lr=0.001, momentum=0.9), 2000),   # 557
    ("adagrad", lambda: AdaGrad(lr=1.0), 10000),                    # 4586
    ("rmsprop", lambda: RMSProp(lr=0.001), 10000),                  # 4324
    # Adadelta (lr=1) is erratic on Rosenbrock for short windows; a long one is steady.
    ("adadelta", lambda: Adadelta(window=3999), 12000),             # 5465
]


@pytest.mark.parametrize("make, budget", [r[1:] for r in ROSENBROCK],
                         ids=[r[0] for r in ROSENBROCK])
def test_reaches_rosenbrock_minimum(make, budget):
    with np.errstate(over="raise", invalid="raise"):
        k = steps_to_reach(make(), rosenbrock_grad, (-1.5, 2.0), (1.0, 1.0), 0.1, budget)
    assert k is not None, f"did not get within 0.1 of (1, 1) in {budget} steps"


def test_momentum_beats_sgd_at_the_same_learning_rate():
    budget = 2000
    sgd = steps_to_reach(SGD(lr=0.01), quadratic_grad, (-4.0, 1.5), (0, 0), 1e-2, budget)
    mom = steps_to_reach(Momentum(lr=0.01, momentum=0.9), quadratic_grad, (-4.0, 1.5),
                         (0, 0), 1e-2, budget)
    assert sgd is not None and mom is not None
    assert mom < sgd / 3, (mom, sgd)                # measured: 92 vs 596


# -- memory -------------------------------------------------------------------------

# Each rule is written as the book shows it, with NumPy's operators, so a step makes
# parameter-sized temporaries (NumPy reuses some within one expression).  At most this
# many are alive at once during a step, on top of the parameters and the state;
# benchmarks/throughput.py prints what they cost against in-place code.
TEMPORARIES = {"sgd": 1,         # lr * g
               "momentum": 2,    # momentum * v, lr * g
               "adagrad": 2,     # sqrt(G + eps), g / sqrt(G + eps)
               "rmsprop": 3,     # eq. (12) then eq. (14), as AdaGrad
               "adadelta": 4,    # eq. (12), (15) and dw, alive until w has moved
               "adadelta-lr": 4}


@pytest.mark.parametrize("make, kind", list(zip(MAKERS, IDS, strict=True)), ids=IDS)
def test_steps_allocate_a_stated_number_of_temporaries(make, kind):
    shape = (1000, 1000)
    size = 4 * shape[0] * shape[1]                                # bytes of one float32 array
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal(shape, dtype=np.float32)}
    grads = {"W": rng.standard_normal(shape, dtype=np.float32)}
    opt = make()
    tracemalloc.start()
    try:
        opt.step(params, grads)                                   # warm-up: the state
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(10):
            opt.step(params, grads)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert current - base < size / 100, "a step kept parameter-sized memory after it ended"
    assert peak - base < (TEMPORARIES[kind] + 0.01) * size, \
        f"{(peak - base) / size:.2f} parameter sizes alive at once, {TEMPORARIES[kind]} stated"


# -- the code the book shows (book.show_code) ---------------------------------------

# Statements of each rule, as many as the lines of its equations (plus the line that
# names the state): the book shows this code beside the equation.
RULE_LENGTH = {SGD: 1, Momentum: 3, AdaGrad: 3, RMSProp: 3, Adadelta: 5,
               Nesterov: 4, Adam: 6, AdamW: 2}


@pytest.mark.parametrize("cls", list(RULE_LENGTH), ids=lambda c: c.__name__)
def test_the_shown_rule_is_self_contained_and_short(cls):
    rule = ast.parse(textwrap.dedent(inspect.getsource(cls._update))).body[0]
    body = [s for s in rule.body if not isinstance(s, ast.Expr)]        # no docstring
    assert len(body) <= RULE_LENGTH[cls], ast.unparse(rule)
    known = {a.arg for a in rule.args.args} | {"np"}
    known |= {c.__name__ for c in RULE_LENGTH}               # a rule the book shows too
    known |= {n.id for n in ast.walk(rule) if isinstance(n, ast.Name)
              and isinstance(n.ctx, ast.Store)}
    hidden = {n.id for n in ast.walk(rule) if isinstance(n, ast.Name)} - known
    assert not hidden, f"{cls.__name__}._update calls {hidden}, which the book does not show"
    on_self = {n.attr for n in ast.walk(rule) if isinstance(n, ast.Attribute)
               and isinstance(n.value, ast.Name) and n.value.id == "self"}
    assert on_self <= {h.name for h in cls.hyperparameters}, \
        f"{cls.__name__}._update uses self.{on_self - {h.name for h in cls.hyperparameters}}"
    assert "_update" in vars(cls), "the rule is inherited: book.show_code(cls) would hide it"
