"""gdlib.schedules and TrainConfig.schedule: eta_t set before each update."""

import math

import numpy as np
import pytest
from helpers import make_clusters

from gdlib.optimizers import Momentum
from gdlib.schedules import Schedule
from gdlib.train import History, TrainConfig, train

TOTAL = 1000


@pytest.mark.parametrize("schedule, t, factor", [
    (Schedule(), 0, 1.0), (Schedule(), 999, 1.0),
    (Schedule("step", every=300, factor=0.5), 299, 1.0),
    (Schedule("step", every=300, factor=0.5), 300, 0.5),
    (Schedule("step", every=300, factor=0.5), 900, 0.125),
    (Schedule("cosine"), 0, 1.0), (Schedule("cosine"), 500, 0.5),
    (Schedule("cosine", final=0.1), 500, 0.55),
    (Schedule("cosine", warmup=100), 0, 0.01), (Schedule("cosine", warmup=100), 99, 1.0),
    (Schedule("cosine", warmup=100), 100, 1.0), (Schedule("cosine", warmup=100), 550, 0.5),
])
def test_the_factor_of_each_schedule(schedule, t, factor):
    assert math.isclose(schedule(t, TOTAL), factor, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("fields, words", [
    ({"kind": "linear"}, "kind must be one of"), ({"kind": "step"}, "needs every="),
    ({"factor": 0.0}, "factor must be in"), ({"final": 1.5}, "final must be in"),
    ({"warmup": -1}, "warmup must be an integer"),
])
def test_bad_schedules_are_named(fields, words):
    with pytest.raises(ValueError, match=words):
        Schedule(**fields)
    with pytest.raises(ValueError, match="schedule must be"):
        TrainConfig(schedule="cosine")


SMALL = TrainConfig(optimizer="momentum", lr=0.1, sizes=(20, 16, 3), batch_size=16,
                    iterations=40, eval_every=20)


def test_a_run_sets_eta_before_each_update_and_keeps_its_schedule():
    config = SMALL.replace(schedule=Schedule("step", every=10, factor=0.5))
    seen = []
    history = train(config, make_clusters(), callback=lambda run: seen.append(run.optimizer.lr))
    assert seen[:11] == [0.1] * 10 + [0.05] and seen[-1] == 0.1 * 0.5**3
    assert not history.equals(train(SMALL, make_clusters()))


def test_no_schedule_and_a_constant_one_give_the_same_bits(tmp_path):
    data = make_clusters()
    constant = train(SMALL.replace(schedule=Schedule()), data)
    assert np.array_equal(constant.loss, train(SMALL, data).loss)
    path = constant.save(tmp_path / "run.npz")
    again = History.load(path)                       # the schedule survives the file
    assert again.config == constant.config and again.config.schedule == Schedule()


def test_a_changing_eta_is_where_the_papers_momentum_and_pytorchs_differ():
    """Eq. (9) keeps eta inside the velocity; PyTorch scales the whole velocity by the
    newest eta. Equal while eta is constant, apart once it changes."""
    def paper_and_pytorch(etas, gamma=0.9):
        opt, w = Momentum(lr=etas[0], momentum=gamma), {"w": np.zeros(1)}
        b, w_torch = np.zeros(1), np.zeros(1)
        for eta in etas:
            opt.lr = eta
            opt.step(w, {"w": np.ones(1)})
            b = gamma * b + 1.0
            w_torch = w_torch - eta * b
        return w["w"][0], w_torch[0]

    paper, pytorch = paper_and_pytorch([0.1] * 20)
    assert math.isclose(paper, pytorch, rel_tol=1e-12)
    paper, pytorch = paper_and_pytorch([0.1] * 10 + [0.01] * 10)
    assert paper < pytorch - 0.1           # eq. (9)'s velocity still carries the old eta
