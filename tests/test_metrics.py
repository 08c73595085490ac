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


@pytest.mark.parametrize("confidence, dof, t", [
    # Student's t table (two-sided): the 95 % factor for 5 seeds is 2.776
    (0.95, 1, 12.706), (0.95, 2, 4.303), (0.95, 4, 2.776), (0.95, 10, 2.228),
    (0.95, 30, 2.042), (0.99, 4, 4.604), (0.90, 4, 2.132), (0.99, 7, 3.499),
])
def test_t_critical_matches_the_table(confidence, dof, t):
    assert metrics.t_critical(confidence, dof) == pytest.approx(t, abs=6e-4)


def test_t_critical_tends_to_the_normal_quantile():
    assert metrics.t_critical(0.95, 2000) == pytest.approx(1.9600, abs=2e-3)


@pytest.mark.parametrize("confidence, dof, match", [
    (1.0, 4, "confidence must lie strictly between 0 and 1"),
    (0.95, 0, "dof must be an integer >= 1"),
    (0.95, 2.5, "dof must be an integer >= 1"),
])
def test_t_critical_rejects_bad_input(confidence, dof, match):
    with pytest.raises(ValueError, match=match):
        metrics.t_critical(confidence, dof)


def test_mean_interval_by_hand():
    v = [1.0, 2.0, 3.0, 4.0, 5.0]                  # mean 3, sample std sqrt(2.5)
    iv = metrics.mean_interval(v)
    half = 2.7764 * np.sqrt(2.5) / np.sqrt(5)
    assert (iv.mean, iv.n) == (3.0, 5)
    assert iv.low == pytest.approx(3 - half, abs=1e-3) and iv.high == pytest.approx(3 + half,
                                                                                      abs=1e-3)
    assert iv.contains(3 - half + 0.01) and not iv.contains(3 + half + 0.01)
    assert str(iv).startswith("+3.0000, 95% interval [")
    assert str(iv).endswith("n = 5")


def test_paired_interval_cancels_what_the_seeds_share():
    seed_effect = np.array([0.0, 1.0, -1.0, 2.0, -2.0])      # large, common to both groups
    a = 10 + seed_effect + np.array([0.10, 0.12, 0.09, 0.11, 0.10])
    b = 10 + seed_effect
    paired = metrics.paired_interval(a, b)
    assert paired.low > 0.08 and paired.high < 0.13            # the difference, sharply
    unpaired_sd = np.hypot(a.std(ddof=1), b.std(ddof=1)) / np.sqrt(5)
    assert paired.high - paired.low < 0.1 * unpaired_sd         # far narrower than unpaired


def test_intervals_reject_what_they_cannot_use():
    with pytest.raises(ValueError, match="at least 2 values"):
        metrics.mean_interval([1.0])
    with pytest.raises(ValueError, match="never got there"):
        metrics.mean_interval([1.0, np.inf, 2.0])
    with pytest.raises(ValueError, match="one of each per seed"):
        metrics.paired_interval([1.0, 2.0], [1.0, 2.0, 3.0])


def test_test_loss_measures():
    h = History(TrainConfig(), np.ones(10), np.array([0, 5, 10]), np.array([2.0, 0.5, 0.6]),
                np.array([0.1, 0.9, 0.9]))
    assert metrics.final_test_loss(h) == pytest.approx(0.6)
    assert metrics.test_loss_rise(h) == pytest.approx(0.2)        # 0.6 is 20 % above 0.5
    h.test_loss = np.array([2.0, 0.6, 0.5])
    assert metrics.test_loss_rise(h) == 0.0
    h.diverged_at = 7
    assert metrics.final_test_loss(h) == np.inf and metrics.test_loss_rise(h) == np.inf
