"""gdlib.train: the loop, its bookkeeping, History, and the config object.

All runs use small synthetic data (tests/helpers.py) and small networks, so
the whole file takes a few seconds.
"""

import math
import warnings

import numpy as np
import pytest
from helpers import make_clusters, make_images

from gdlib import optimizers
from gdlib.mlp import MLP
from gdlib.train import History, TrainConfig, batches, make_optimizer, train

DATA = make_clusters()                      # 240 train, 90 test, 20 features, 3 classes
N = len(DATA.x_train)
BASE = TrainConfig(sizes=(20, 16, 3), batch_size=32, epochs=2, lr=0.1)
SENSIBLE_LR = {"sgd": 0.1, "momentum": 0.05, "adagrad": 0.05, "rmsprop": 0.005, "adadelta": 1.0}
OPTIMIZER_NAMES = list(SENSIBLE_LR)


class RecordingMLP(MLP):
    """An MLP that remembers the inputs of every training batch."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.batches = []

    def loss_and_grads(self, x, t):
        self.batches.append(np.array(x[:, 0]))
        return super().loss_and_grads(x, t)


# -- reproducibility -------------------------------------------------------------

@pytest.mark.parametrize(
    "config, data",
    [(BASE.replace(optimizer=name, lr=lr), DATA) for name, lr in SENSIBLE_LR.items()]
    + [(TrainConfig(iterations=3, batch_size=50), make_images())],       # the paper's network
    ids=OPTIMIZER_NAMES + ["784-500-300-10"],
)
def test_same_config_gives_bit_identical_history(config, data):
    a, b = train(config, data), train(config, data)
    assert a.equals(b)
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.test_acc, b.test_acc)
    other = train(config.replace(seed=config.seed + 1), data)
    assert not a.equals(other)
    assert not np.array_equal(a.loss, other.loss)


def test_seed_drives_both_init_and_shuffling():
    model_a = MLP(BASE.sizes, seed=123)
    model_b = MLP(BASE.sizes, seed=123)
    a = train(BASE, DATA, model=model_a)
    b = train(BASE.replace(seed=1), DATA, model=model_b)    # same init, other shuffling
    assert a.loss[0] != b.loss[0]


# -- how many iterations, and which samples ----------------------------------------

@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"iterations": 17}, 17),                      # spans three epochs of 8 batches
        ({"iterations": 1}, 1),
        ({"epochs": 2, "batch_size": 32}, 2 * 8),      # ceil(240 / 32) = 8
        ({"epochs": 1, "batch_size": 7}, 35),          # ceil(240 / 7) = 35
        ({"epochs": 3, "batch_size": N}, 3),           # full batch (eq. 6): one per epoch
        ({"epochs": 2, "batch_size": 1000}, 2),        # batch larger than the data
        ({"epochs": 1, "batch_size": 1}, N),           # stochastic (eq. 7)
        ({"epochs": 1, "batch_size": 10, "train_size": 100}, 10),
        ({"epochs": 5, "batch_size": 32, "iterations": 3}, 3),   # iterations wins
    ],
)
def test_iteration_budget(changes, expected):
    h = train(BASE.replace(**changes), DATA)
    assert h.iterations == len(h.loss) == expected
    assert h.diverged_at is None and h.stopped_at is None
    assert h.eval_iter[-1] == expected


@pytest.mark.parametrize("batch_size, iterations", [(7, 35 * 2 + 5), (32, 8 * 3), (N, 2)])
def test_every_sample_once_per_epoch(batch_size, iterations):
    data = make_clusters()
    data.x_train[:, 0] = np.arange(N) / N               # feature 0 encodes the sample's index
    model = RecordingMLP(BASE.sizes, seed=0)
    train(BASE.replace(batch_size=batch_size, iterations=iterations), data, model=model)
    per_epoch = math.ceil(N / batch_size)
    assert len(model.batches) == iterations
    epochs = [model.batches[i:i + per_epoch] for i in range(0, iterations, per_epoch)]
    for epoch in epochs:
        sizes = [len(b) for b in epoch]
        assert all(s == batch_size for s in sizes[:-1])
        ids = np.rint(np.concatenate(epoch) * N).astype(int)
        if len(epoch) == per_epoch:                     # a complete epoch: a permutation
            np.testing.assert_array_equal(np.sort(ids), np.arange(N))
        else:                                           # a partial one: no repeats
            assert len(np.unique(ids)) == len(ids)
    if batch_size < N:                                  # reshuffled between epochs
        assert not np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1]))


@pytest.mark.parametrize(
    "n, batch_size, total",
    [(10, 3, 4), (10, 3, 9), (10, 10, 3), (10, 1, 25), (7, 100, 2)],
)
def test_batches_are_epochs_of_permutations(n, batch_size, total):
    got = list(batches(n, batch_size, total, np.random.default_rng(0)))
    assert len(got) == total
    per_epoch = math.ceil(n / batch_size)
    for start in range(0, total, per_epoch):
        epoch = got[start:start + per_epoch]
        ids = np.concatenate(epoch)
        if len(epoch) == per_epoch:
            np.testing.assert_array_equal(np.sort(ids), np.arange(n))
        else:
            assert len(np.unique(ids)) == len(ids)
        assert all(len(b) == min(batch_size, n) for b in epoch[:-1])


def test_full_batch_loss_is_the_training_set_loss():
    config = BASE.replace(batch_size=N, epochs=1, dtype="float64")
    model = MLP(config.sizes, seed=7, dtype=np.float64)
    init_loss, _ = model.evaluate(DATA.x_train.astype(np.float64), DATA.t_train)
    h = train(config, DATA, model=model)
    assert h.loss[0] == pytest.approx(init_loss, rel=1e-12)


# -- divergence ----------------------------------------------------------------------

@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_divergence_is_recorded_cleanly(name):
    config = BASE.replace(optimizer=name, lr=1e4, batch_size=16, epochs=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # any RuntimeWarning fails the test
        h = train(config, DATA)
        text = repr(h)
    assert h.diverged and h.diverged_at is not None
    assert 0 < h.diverged_at < 45
    assert len(h.loss) == h.diverged_at
    assert np.all(np.isfinite(h.loss)) and np.all(h.loss <= config.diverge_loss)
    assert np.all(np.isfinite(h.test_loss)) and np.all(np.isfinite(h.test_acc))
    assert h.eval_iter[-1] <= h.diverged_at
    assert len(h.eval_iter) == len(h.test_loss) == len(h.test_acc)
    assert "diverged" in text


def test_diverge_loss_threshold():
    h = train(BASE.replace(diverge_loss=1e-3), DATA)    # the very first loss is above it
    assert h.diverged_at == 0 and len(h.loss) == 0
    assert h.eval_iter.tolist() == [0]


def test_no_divergence_at_a_sensible_lr():
    h = train(BASE, DATA)
    assert h.diverged_at is None and not h.diverged


# -- callback ---------------------------------------------------------------------------

@pytest.mark.parametrize("stop", [0, 4, 15])            # 16 iterations in BASE
def test_callback_sees_a_growing_history_and_can_stop(stop):
    full = train(BASE, DATA)
    seen, lengths, last = [], [], []

    def callback(run):
        seen.append(run.iteration)
        lengths.append(len(run.history.loss))
        last.append(run.history.loss[-1])
        return run.iteration == stop

    h = train(BASE, DATA, callback=callback)
    assert seen == list(range(stop + 1))
    assert lengths == list(range(1, stop + 2))
    assert h.stopped_at == stop + 1 and len(h.loss) == stop + 1
    assert h.diverged_at is None
    np.testing.assert_array_equal(h.loss, full.loss[:stop + 1])
    np.testing.assert_array_equal(last, full.loss[:stop + 1])


def test_callback_sees_the_model_and_the_optimizer_state():
    config = BASE.replace(optimizer="adagrad", lr=0.01)
    G_sums, models = [], set()

    def callback(run):
        G_sums.append(sum(float(s["G"].sum()) for s in run.optimizer.state.values()))
        models.add(id(run.model))
        assert run.optimizer.steps == run.iteration + 1
        assert run.model.params["W1"].shape == (config.sizes[0], config.sizes[1])

    h = train(config, DATA, callback=callback)
    assert len(G_sums) == h.iterations and len(models) == 1
    assert all(b > a for a, b in zip(G_sums, G_sums[1:], strict=False))   # G only grows


def test_callback_returning_none_does_not_stop():
    h = train(BASE, DATA, callback=lambda run: None)
    assert h.stopped_at is None and len(h.loss) == 16


# -- History: save, load, atomicity --------------------------------------------------------

@pytest.mark.parametrize(
    "config",
    [BASE, BASE.replace(optimizer="adadelta", window=19, lr=1.0),
     BASE.replace(optimizer="sgd", lr=1e4)],            # a diverged run
    ids=["sgd", "adadelta-window", "diverged"],
)
def test_history_save_load_round_trip(tmp_path, config):
    h = train(config, DATA)
    h.meta["note"] = "made by a test"
    path = h.save(tmp_path / "run.npz")
    loaded = History.load(path)
    assert loaded.equals(h)
    assert loaded.config == h.config
    assert loaded.meta == {"note": "made by a test"}
    assert loaded.diverged_at == h.diverged_at
    np.testing.assert_array_equal(loaded.loss, h.loss)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz"]


def test_history_save_is_atomic(tmp_path, monkeypatch):
    good = train(BASE, DATA)
    path = good.save(tmp_path / "run.npz")
    other = train(BASE.replace(seed=9), DATA)

    def failing_savez(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        other.save(tmp_path / "new.npz")
    with pytest.raises(OSError, match="disk full"):
        other.save(path)                                # over an existing file
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz"]   # no temp files left
    assert History.load(path).equals(good)              # the old file is intact


# -- evaluation points ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "iterations, eval_every, expected",
    [
        (25, 10, [0, 10, 20, 25]),
        (20, 5, [0, 5, 10, 15, 20]),
        (3, 100, [0, 3]),
        (40, None, list(range(0, 41, 2))),              # default: 20 evaluations per run
        (7, None, list(range(8))),
    ],
)
def test_eval_points(iterations, eval_every, expected):
    h = train(BASE.replace(iterations=iterations, eval_every=eval_every), DATA)
    assert h.eval_iter.tolist() == expected
    assert len(h.test_loss) == len(h.test_acc) == len(expected)
    assert np.all((h.test_acc >= 0) & (h.test_acc <= 1))
    assert np.all(np.isfinite(h.test_loss))


def test_eval_values_are_before_and_after_training():
    model = MLP(BASE.sizes, seed=3)
    before = model.evaluate(DATA.x_test, DATA.t_test)
    h = train(BASE, DATA, model=model)
    after = model.evaluate(DATA.x_test, DATA.t_test)
    assert (h.test_loss[0], h.test_acc[0]) == before
    assert (h.test_loss[-1], h.test_acc[-1]) == after


def test_eval_size_uses_the_first_test_images():
    model = MLP(BASE.sizes, seed=3)
    expected = model.evaluate(DATA.x_test[:30], DATA.t_test[:30])
    h = train(BASE.replace(eval_size=30, iterations=1), DATA, model=model)
    assert h.test_acc[0] == expected[1] and h.test_loss[0] == expected[0]
    np.testing.assert_allclose(h.test_acc * 30, np.round(h.test_acc * 30))   # k / 30


# -- TrainConfig and make_optimizer ------------------------------------------------------------

@pytest.mark.parametrize(
    "changes, name",
    [
        ({"optimizer": "lion"}, "optimizer"),
        ({"optimizer": "SGD"}, "optimizer"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": -4}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"epochs": 0}, "epochs"),
        ({"iterations": 0}, "iterations"),
        ({"eval_every": 0}, "eval_every"),
        ({"train_size": -1}, "train_size"),
        ({"dtype": "float16"}, "dtype"),
        ({"dtype": "int32"}, "dtype"),
    ],
)
def test_train_config_validation(changes, name):
    with pytest.raises(ValueError, match=name):
        TrainConfig(**changes)


def test_train_config_is_frozen_and_replace_copies():
    c = TrainConfig(sizes=[20, 16, 3])
    assert c.sizes == (20, 16, 3)
    with pytest.raises(AttributeError):
        c.lr = 1.0
    d = c.replace(lr=0.5)
    assert d.lr == 0.5 and c.lr == 0.01 and d.sizes == c.sizes


@pytest.mark.parametrize(
    "changes, cls, expected",
    [
        ({"optimizer": "sgd", "lr": 0.05}, optimizers.SGD, {"lr": 0.05}),
        ({"optimizer": "momentum", "lr": 0.02, "momentum": 0.8}, optimizers.Momentum,
         {"lr": 0.02, "momentum": 0.8}),
        ({"optimizer": "momentum"}, optimizers.Momentum, {"lr": 0.01, "momentum": 0.9}),
        ({"optimizer": "adagrad", "lr": 0.1}, optimizers.AdaGrad, {"lr": 0.1, "eps": 1e-8}),
        ({"optimizer": "adagrad", "eps": 1e-4}, optimizers.AdaGrad, {"eps": 1e-4}),
        ({"optimizer": "rmsprop", "lr": 0.001}, optimizers.RMSProp,
         {"lr": 0.001, "gamma": 0.1, "eps": 1e-8}),
        ({"optimizer": "rmsprop", "window": 3}, optimizers.RMSProp, {"gamma": 0.5}),
        ({"optimizer": "rmsprop", "gamma": 0.2}, optimizers.RMSProp, {"gamma": 0.2}),
        ({"optimizer": "adadelta", "window": 19, "lr": 1.0}, optimizers.Adadelta,
         {"gamma": 0.1, "lr": 1.0, "eps": 1e-6}),
        ({"optimizer": "adadelta", "gamma": 0.5, "eps": 1e-8}, optimizers.Adadelta,
         {"gamma": 0.5, "eps": 1e-8, "lr": 0.01}),
    ],
)
def test_make_optimizer(changes, cls, expected):
    opt = make_optimizer(TrainConfig(**changes))
    assert type(opt) is cls
    for attr, value in expected.items():
        assert getattr(opt, attr) == value, attr
    assert opt.steps == 0 and opt.state == {}


@pytest.mark.parametrize(
    "changes, name",
    [
        ({"optimizer": "rmsprop", "gamma": 0.1, "window": 19}, "window"),
        ({"optimizer": "adadelta", "gamma": 1.5}, "gamma"),
        ({"optimizer": "momentum", "momentum": 1.0}, "momentum"),
        ({"optimizer": "sgd", "lr": -0.1}, "lr"),
    ],
)
def test_bad_hyperparameters_fail_before_training(changes, name):
    with pytest.raises(ValueError, match=name):
        train(BASE.replace(**changes), DATA)


# -- it learns ---------------------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_training_learns_an_easy_problem(name, activation, loss):
    lr = SENSIBLE_LR[name] * (5 if name == "sgd" and loss == "mse" else 1)
    config = TrainConfig(optimizer=name, lr=lr, sizes=(20, 32, 3), batch_size=16, epochs=5,
                         activation=activation, loss=loss, seed=1)
    h = train(config, DATA)
    assert h.test_acc[0] < 0.6                          # chance level at the start
    assert h.test_acc[-1] > 0.9
    assert h.loss[-10:].mean() < 0.5 * h.loss[:10].mean()


# -- progress bar ---------------------------------------------------------------------------------

def test_progress_bar_runs_and_changes_nothing(capsys):
    quiet = train(BASE, DATA, progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    loud = train(BASE, DATA, progress=True)
    assert loud.equals(quiet)
