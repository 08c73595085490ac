"""gdlib.sweep: configs run on processes or on a dask cluster give the serial run's bits.

The serial reference is ``train_on_one_thread`` in this process, the way every stored
run is made.  Each engine's workers start with two BLAS threads (the environment they
inherit or are given); the task itself must pin the BLAS to one, so the bits agree.
"""

import pytest

from gdlib.data import load_dataset
from gdlib.sweep import sweep, train_on_one_thread
from gdlib.train import TrainConfig

# Three short runs of the paper's network on real MNIST, one of them asked for twice.
SMALL = TrainConfig(lr=0.01, iterations=25, train_size=2048, eval_size=512, eval_every=5)
CONFIGS = [SMALL.replace(optimizer="sgd"), SMALL.replace(optimizer="adam"),
           SMALL.replace(optimizer="adagrad", seed=3), SMALL.replace(optimizer="sgd")]


@pytest.fixture(scope="module")
def serial():
    data = load_dataset("mnist")
    return [train_on_one_thread(config, data) for config in CONFIGS]


def _same_bits(runs, serial):
    assert [run.config for run in runs] == CONFIGS               # in the order asked
    differ = [i for i, (run, ref) in enumerate(zip(runs, serial, strict=True))
              if not run.equals(ref)]
    assert not differ, f"runs {differ} differ from the serial run of the same config"
    assert {run.meta["blas_threads"] for run in runs} == {1}


def test_processes_give_the_serial_bits(serial, monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")   # what the spawned workers inherit
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    reported = []
    runs = sweep(CONFIGS, workers=2, report=lambda config, run: reported.append(config))
    _same_bits(runs, serial)
    assert sorted(map(repr, reported)) == sorted(map(repr, set(CONFIGS)))  # sgd once
    assert runs[0] is runs[3]


def test_a_dask_cluster_gives_the_serial_bits(serial):
    distributed = pytest.importorskip("distributed", reason="requirements-test.txt has it")
    env = {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  env=env) as cluster, distributed.Client(cluster) as client:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        with client.get_executor() as executor:
            runs = sweep(CONFIGS, executor=executor)
        workers = client.run(lambda: __import__("os").environ.get("OPENBLAS_NUM_THREADS"))
    assert set(workers.values()) == {"2"}
    _same_bits(runs, serial)


def test_an_empty_sweep_starts_nothing():
    assert sweep([]) == []


@pytest.mark.parametrize("workers", [0, -1, 1.5, "2"])
def test_bad_workers_are_named(workers):
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        sweep(CONFIGS[:1], workers=workers)


def test_workers_and_an_executor_are_not_both_given():
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as executor, pytest.raises(ValueError, match="not both"):
        sweep(CONFIGS[:1], executor=executor, workers=2)


def test_a_failing_run_raises_its_own_error(monkeypatch, tmp_path):
    from concurrent.futures import ThreadPoolExecutor
    monkeypatch.setenv("GDLIB_DATA", str(tmp_path))    # no MNIST here: the task must fail
    import gdlib.sweep as module
    monkeypatch.setattr(module, "_DATASETS", {})
    with ThreadPoolExecutor(1) as executor, pytest.raises(Exception, match="mnist"):
        sweep(CONFIGS[:2], executor=executor)
