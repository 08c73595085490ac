"""gdlib.toy (surfaces, trajectories) and gdlib.plots (figures drawn from data)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gdlib import plots, toy  # noqa: E402
from gdlib.optimizers import SGD, AdaGrad, Momentum  # noqa: E402
from gdlib.train import History, TrainConfig  # noqa: E402

# -- toy surfaces ---------------------------------------------------------------------


@pytest.mark.parametrize("surface", [toy.anisotropic_quadratic(), toy.rosenbrock()])
def test_gradient_matches_finite_differences(surface):
    rng = np.random.default_rng(0)
    for x, y in rng.uniform(-1.5, 1.5, size=(5, 2)):
        h = 1e-6
        fd = ((surface.f(x + h, y) - surface.f(x - h, y)) / (2 * h),
              (surface.f(x, y + h) - surface.f(x, y - h)) / (2 * h))
        np.testing.assert_allclose(surface.grad(x, y), fd, rtol=1e-5, atol=1e-6)
    assert surface.f(*surface.minimum) == pytest.approx(0.0)


def test_trajectory_uses_the_optimizer_and_records_every_point():
    quad = toy.anisotropic_quadratic()
    traj = toy.trajectory(SGD(lr=0.1), quad, (-7.0, 2.0), 30)
    path = traj.points
    assert path.shape == (31, 2) and traj.steps == 30 and traj.state == {}
    np.testing.assert_allclose(traj.values, quad.f(path[:, 0], path[:, 1]))
    np.testing.assert_array_equal(path[0], [-7.0, 2.0])
    # one SGD step by hand: w - lr * grad
    gx, gy = quad.grad(-7.0, 2.0)
    np.testing.assert_allclose(path[1], [-7.0 - 0.1 * gx, 2.0 - 0.1 * gy])


def test_momentum_damps_the_zigzag():
    """Sec. 3.2: on the anisotropic quadratic momentum gets closer in the same steps."""
    quad = toy.anisotropic_quadratic()
    sgd = toy.trajectory(SGD(lr=0.1), quad, (-7.0, 2.0), 100)
    mom = toy.trajectory(Momentum(lr=0.1, momentum=0.9), quad, (-7.0, 2.0), 100)
    assert np.linalg.norm(mom.points[-1]) < 0.2 * np.linalg.norm(sgd.points[-1])
    # plain SGD at a rate near the steep direction's limit flips the sign of y: the zig-zag
    zigzag = toy.trajectory(SGD(lr=0.9), quad, (-7.0, 2.0), 10).points
    assert np.all(np.sign(zigzag[1:, 1]) != np.sign(zigzag[:-1, 1]))


def test_a_diverging_trajectory_stops_before_inf():
    traj = toy.trajectory(SGD(lr=10.0), toy.rosenbrock(), (-1.5, 2.0), 500)
    assert traj.steps < 500 and np.all(np.isfinite(traj.points))


def test_trajectory_records_the_optimizer_state_after_every_step():
    quad = toy.anisotropic_quadratic()
    traj = toy.trajectory(Momentum(lr=0.1, momentum=0.9), quad, (-7.0, 2.0), 5)
    v = traj.state["v"]
    assert v.shape == (6, 2) and np.all(v[0] == 0)
    # eq. (9): the velocity after each step is the step the point made
    np.testing.assert_allclose(v[1:], traj.points[:-1] - traj.points[1:])
    assert traj.steps_to_reach(1e-9) is None
    assert toy.trajectory(SGD(lr=0.5), quad, (0.0, 1.0), 3).steps_to_reach(1e-9) == 1


def test_run_gradients_replays_a_given_sequence():
    """A constant gradient: the velocity approaches lr / (1 - momentum) (chapter 5)."""
    traj = toy.run_gradients(Momentum(lr=0.01, momentum=0.5), np.ones(200))
    assert traj.surface is None and traj.points.shape == (201, 1)
    assert traj.state["v"][-1, 0] == pytest.approx(0.01 / (1 - 0.5))
    G = toy.run_gradients(AdaGrad(lr=0.1), [[1.0, 2.0], [3.0, 0.0]]).state["G"]
    np.testing.assert_allclose(G, [[0, 0], [1, 4], [10, 4]])


# -- plots ------------------------------------------------------------------------------


def history(loss, diverged_at=None):
    loss = np.asarray(loss, dtype=float)
    return History(TrainConfig(), loss, np.array([0, len(loss)]), np.array([2.3, 0.5]),
                   np.array([0.1, 0.9]), diverged_at=diverged_at)


def test_training_figure_draws_raw_and_smoothed_curves():
    runs = [history(np.linspace(2, 0.1, 500)), history(np.linspace(2, 0.5, 500))]
    fig = plots.plot_training(runs, ["a", "b"], title="t")
    ax_loss, ax_acc = fig.axes
    assert len(ax_loss.lines) == 4                  # raw + smoothed per run
    assert ax_loss.lines[0].get_alpha() < 1 and ax_loss.get_yscale() == "log"
    assert [t.get_text() for t in ax_loss.get_legend().get_texts()] == ["a", "b"]
    assert len(ax_acc.lines) == 2
    plt.close(fig)


def test_training_figure_with_the_test_loss_between():
    runs = [history(np.linspace(2, 0.1, 500)), history(np.linspace(2, 0.5, 500))]
    fig = plots.plot_training(runs, ["a", "b"], test_loss=True)
    ax_loss, ax_test, ax_acc = fig.axes
    assert ax_test.get_ylabel() == "test loss" and ax_test.get_yscale() == "log"
    np.testing.assert_array_equal(ax_test.lines[0].get_ydata(), [2.3, 0.5])
    assert fig.get_size_inches()[0] <= 10
    plt.close(fig)


def test_seed_spread_of_the_test_loss():
    runs = [history(np.linspace(2, 0.1, 100)), history(np.linspace(2, 0.2, 100))]
    runs[1].test_loss = np.array([2.3, 0.7])
    ax = plots.plot_seed_spread({"sgd": runs}, test=True)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [2.3, 0.6])     # mean at each test
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0, 100])
    assert ax.get_ylabel() == "test loss"
    plt.close(ax.figure)
    fig = plots.plot_seed_spreads({"sgd": runs})
    assert [ax.get_ylabel() for ax in fig.axes] == ["smoothed training loss", "test loss"]
    plt.close(fig)


def test_diverged_run_is_drawn_to_its_end_and_marked():
    runs = [history(np.linspace(2, 1, 50), diverged_at=50)]
    ax = plots.plot_loss(runs, ["eta = 0.1"])
    xs = ax.lines[-1].get_xdata()
    assert ax.lines[-1].get_marker() == "x" and xs[0] == 49
    assert any("diverged at 50" in t.get_text() for t in ax.texts)
    assert all(np.all(np.isfinite(line.get_ydata())) for line in ax.lines)
    plt.close(ax.figure)


def test_labels_must_match_histories():
    with pytest.raises(ValueError):
        plots.plot_loss([history([1.0, 0.5])], ["a", "b"])


def test_seed_spread_counts_diverged_runs():
    runs = [history(np.linspace(2, 0.1, 100)), history(np.linspace(2, 0.2, 100)),
            history([2.0], diverged_at=1)]
    ax = plots.plot_seed_spread({"sgd": runs})
    label = ax.get_legend().get_texts()[0].get_text()
    assert "(2 seeds)" in label and "1 of 3 diverged" in label
    plt.close(ax.figure)


def test_trajectory_plot_has_one_path_per_optimizer():
    quad = toy.anisotropic_quadratic()
    paths = {"SGD": toy.trajectory(SGD(lr=0.9), quad, (-7.0, 2.0), 20),
             "AdaGrad": toy.trajectory(AdaGrad(lr=1.5), quad, (-7.0, 2.0), 20)}
    ax = plots.plot_trajectories(quad, paths)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["SGD (20 steps)", "AdaGrad (20 steps)", "minimum"]
    plt.close(ax.figure)


@pytest.mark.parametrize("label, shown", [
    ("eta = 0.1", "η = 0.1"), ("gamma = 0.5", "γ = 0.5"), ("Adadelta x 0.01", "Adadelta x 0.01"),
    ("momentum = 0.9, eta = 0.01", "momentum = 0.9, η = 0.01"), ("beta", "beta")])
def test_legends_write_eta_and_gamma_as_the_text_does(label, shown):
    assert plots.greek(label) == shown
    ax = plots.plot_loss([history([1.0, 0.5, 0.2])], [label])
    assert ax.get_legend().get_texts()[0].get_text() == shown
    plt.close("all")


def test_the_valley_is_named_in_maths():
    assert toy.anisotropic_quadratic().name == "x²/20 + y²"
    assert toy.anisotropic_quadratic(a=5.0, b=100.0).name == "5 x² + 100 y²"


def test_more_than_five_curves_are_told_apart_by_style_too():
    runs = {f"run {i}": [history(np.linspace(2.0, 0.1 + i / 10, 50))] for i in range(7)}
    fig = plots.plot_seed_spreads(runs)
    styles = [line.get_linestyle() for line in fig.axes[0].lines]
    assert len(styles) == 7 and len(set(styles)) == len(plots.LINE_STYLES)
    assert styles[0] != styles[1]                        # neighbours in the legend differ
    few = plots.plot_training([history(np.linspace(2, 0.1, 50))] * 3, ["a", "b", "c"])
    assert {line.get_linestyle() for line in few.axes[0].lines} == {"-"}
    plt.close("all")
