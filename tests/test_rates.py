"""Optimizer.rate and gdlib.rates: each weight's learning rate, and a run that records it."""

import numpy as np
import pytest
from helpers import make_clusters

from gdlib import optimizers
from gdlib.paper import figures
from gdlib.rates import QUANTILES, layer_rates, train_with_rates
from gdlib.train import TrainConfig, train

G1, G2 = np.array([0.5, -2.0, 1e-3]), np.array([0.1, 1.0, -1e-3])


def two_steps(opt):
    """Two steps from w = 1; the second step's move, its gradient and the state after it."""
    w = {"w": np.ones(3)}
    opt.step(w, {"w": G1.copy()})
    before = w["w"].copy()
    opt.step(w, {"w": G2.copy()})
    return w["w"] - before, opt.state["w"]


@pytest.mark.parametrize("opt", [optimizers.AdaGrad(lr=0.1, eps=1e-2),
                                 optimizers.RMSProp(lr=0.1, gamma=0.3, eps=1e-2)],
                         ids=lambda o: type(o).__name__)
def test_the_rate_is_what_multiplied_the_gradient(opt):
    move, state = two_steps(opt)
    np.testing.assert_allclose(move, -opt.rate(state) * G2, rtol=1e-12)


def test_adams_rate_multiplies_the_corrected_average():
    opt = optimizers.Adam(lr=0.1, beta1=0.5, beta2=0.8, eps=1e-2)
    move, state = two_steps(opt)
    m_hat = state["m"] / (1 - 0.5**2)
    np.testing.assert_allclose(move, -opt.rate(state) * m_hat, rtol=1e-12)


def test_adadeltas_rate_is_the_next_steps_before_its_gradient():
    opt = optimizers.Adadelta(gamma=0.3, eps=1e-2, lr=0.5)
    _, state = two_steps(opt)
    rate = opt.rate(state)
    Eg2, Edw2 = state["Eg2"].copy(), state["Edw2"].copy()
    w = {"w": np.zeros(3)}
    opt.step(w, {"w": np.zeros(3)})                  # g = 0: only Eg2 decays
    expected = 0.5 * np.sqrt((Edw2 + 1e-2) / (Eg2 + 1e-2))
    np.testing.assert_allclose(rate, expected, rtol=1e-12)


@pytest.mark.parametrize("cls", [optimizers.SGD, optimizers.Momentum, optimizers.Nesterov])
def test_plain_and_momentum_methods_give_every_weight_lr(cls):
    opt = cls(lr=0.03)
    _, state = two_steps(opt) if opt.state_names else (None, {})
    assert opt.rate(state) == 0.03


def test_adagrads_rate_only_falls_and_rmsprops_recovers():
    ada, rms = optimizers.AdaGrad(lr=0.1), optimizers.RMSProp(lr=0.1, gamma=0.5)
    rates = {"ada": [], "rms": []}
    for g in [1.0] * 5 + [0.01] * 20:
        for key, opt in (("ada", ada), ("rms", rms)):
            w = {"w": np.zeros(1)}
            opt.step(w, {"w": np.array([g])})
            rates[key].append(float(opt.rate(opt.state["w"])[0]))
    assert np.all(np.diff(rates["ada"]) <= 0)
    assert rates["rms"][-1] > 50 * rates["rms"][4]


SMALL = TrainConfig(optimizer="adagrad", lr=0.1, sizes=(20, 16, 12, 3), batch_size=16,
                    iterations=45, eval_every=15)


def test_a_run_with_rates_is_the_run_without_them():
    data = make_clusters()
    history = train_with_rates(SMALL, data, every=10)
    assert history.equals(train(SMALL, data))
    rates = layer_rates(history)
    assert list(rates) == ["W1", "W2", "W3"]
    for r in rates.values():
        assert list(r.iterations) == [1, 10, 20, 30, 40]
        assert np.all(r.low <= r.median) and np.all(r.median <= r.high)
        assert np.all(np.diff(r.median) <= 0)                   # AdaGrad's only fall
    assert len(QUANTILES) == 3 and "W1: median" in repr(rates["W1"])


def test_sgds_rates_are_its_learning_rate():
    history = train_with_rates(SMALL.replace(optimizer="sgd", lr=0.05), make_clusters(), every=15)
    for r in layer_rates(history).values():
        assert np.all(r.low == 0.05) and np.all(r.high == 0.05)


def test_rates_are_asked_for_where_none_were_recorded():
    with pytest.raises(ValueError, match="train_with_rates"):
        layer_rates(train(SMALL, make_clusters()))
    with pytest.raises(ValueError, match="every must be an integer >= 1"):
        train_with_rates(SMALL, make_clusters(), every=0)


def test_the_run_cache_keeps_the_rates_apart_from_the_plain_run(monkeypatch, tmp_path):
    monkeypatch.setenv("GDLIB_RUN_CACHE", str(tmp_path))
    data = make_clusters()
    plain = figures.cached_run(SMALL, data)
    rated = figures.cached_run(SMALL, data, make=train_with_rates)
    assert "rates" not in plain.meta and len(list(tmp_path.glob("*.npz"))) == 2
    again = figures.cached_run(SMALL, data, make=train_with_rates)      # from the cache
    assert again.meta["rates"] == rated.meta["rates"] and again.equals(rated)
