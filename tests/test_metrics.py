"""gdlib.metrics: each measurement against a hand-computed value."""

import numpy as np
import pytest

from gdlib import metrics
from gdlib.train import History, TrainConfig


def run(loss, acc=0.95, diverged_at=None):
    loss = np.asarray(loss, dtype=float)
    return History(TrainConfig(), loss, np.array([0, len(loss)]), np.array([2.3, 0.1]),
                   np.array([0.1, acc]), diverged_at=diverged_at)


def test_smooth_is_a_trailing_mean_shorter_at_the_start():
    y = np.array([1.0, 3.0, 5.0, 7.0])
    np.testing.assert_allclose(metrics.smooth(y, 2), [1.0, 2.0, 4.0, 6.0])
    np.testing.assert_allclose(metrics.smooth(y, 3), [1.0, 2.0, 3.0, 5.0])
    np.testing.assert_allclose(metrics.smooth(y, 1), y)
    assert metrics.smooth([], 5).size == 0


@pytest.mark.parametrize("n, window", [(2000, 40), (60_000, 1200), (10, 1), (0, 1)])
def test_default_window_is_a_fiftieth(n, window):
    assert metrics.default_window(n) == window


@pytest.mark.parametrize("n, k", [(100, 10), (2000, 200), (31_848, 3184), (9, 1), (1, 1)])
def test_tail_is_the_last_tenth(n, k):
    h = run(np.arange(float(n)))
    np.testing.assert_array_equal(metrics.tail(h), np.arange(n - k, n, dtype=float))


def test_final_loss_and_fluctuation_read_the_tail():
    h = run(np.r_[np.full(90, 5.0), [1.0, 3.0] * 5])
    assert metrics.final_loss(h) == pytest.approx(2.0)
    assert metrics.fluctuation(h) == pytest.approx(1.0)
    assert np.isnan(metrics.final_loss(run([])))


def test_mean_loss_over_a_range():
    h = run(np.arange(10.0))
    assert metrics.mean_loss(h, 2, 5) == pytest.approx(3.0)
    assert metrics.mean_loss(h) == pytest.approx(4.5)


def test_final_accuracy_counts_a_diverged_run_as_chance():
    assert metrics.final_accuracy(run([1.0], acc=0.93)) == pytest.approx(0.93)
    assert metrics.final_accuracy(run([1.0], acc=0.93, diverged_at=1)) == pytest.approx(0.1)


def test_iterations_to_finds_the_first_smoothed_crossing():
    loss = np.array([1.0, 0.8, 0.6, 0.2, 0.1, 0.1])
    assert metrics.iterations_to(run(loss), 0.5, window=1) == 3
    # smoothed over 2: 1, .9, .7, .4, .15 -> first below 0.5 is index 3
    assert metrics.iterations_to(run(loss), 0.5, window=2) == 3
    assert metrics.iterations_to(run(loss), 0.3, window=2) == 4
    assert metrics.iterations_to(run(loss), 0.01, window=1) == float("inf")


def test_per_seed_and_spread():
    runs = [run([v]) for v in (1.0, 2.0, 3.0)]
    values = metrics.per_seed(runs, metrics.final_loss)
    np.testing.assert_allclose(values, [1.0, 2.0, 3.0])
    assert metrics.spread(values, "{:.2f}") == "2.00 ± 0.82"
    assert metrics.spread([1.0, np.inf, 3.0], "{:.0f}") == "never in 1 of 3 runs; others 2"
    assert metrics.spread([np.inf, np.inf]) == "never in 2 of 2 runs"
