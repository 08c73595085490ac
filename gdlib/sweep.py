"""Many training runs at once: a list of configs on this machine's cores, or on a cluster.

``sweep(configs)`` trains every ``TrainConfig`` of the list and returns their
Histories in the same order.  By default each run is a task of a pool of
processes, one per core this process may use; given ``executor=``, the runs go
to any engine with the ``concurrent.futures`` interface (``submit`` returning
a future), so the same call runs a grid on one laptop or on many machines::

    from gdlib.sweep import sweep
    histories = sweep(configs)                       # this machine's cores

    from dask.distributed import Client              # many machines (pip install distributed)
    client = Client("tcp://scheduler-host:8786")     # a running dask scheduler
    with client.get_executor() as executor:          # a Client is not an Executor; this is
        histories = sweep(configs, executor=executor)

Each task loads ``config.dataset`` where it runs (``gdlib.data.load_dataset``:
``$GDLIB_DATA``, the cache, or a download on that machine), once per process,
and trains on one BLAS thread (``train_on_one_thread``).  The limit is set
inside the task by threadpoolctl, not through the environment of the process
that submits, so a run gives the same bits as the serial run of the same
config on the same machine, whichever engine ran it and however many cores its
worker has (``tests/test_sweep.py`` checks it against a dask ``LocalCluster``).
A config that appears twice is trained once.  ``benchmarks/sweep.py`` prints
the speed-up on this machine's cores.
"""

import contextlib
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from .data import load_dataset
from .machine import limited_blas, usable_cores
from .train import train

__all__ = ["sweep", "train_on_one_thread"]

def train_on_one_thread(config, data):
    """``train(config, data)`` on one BLAS thread, with the wall-clock seconds of the
    training in ``history.meta["seconds"]`` and the BLAS threads it had in
    ``meta["blas_threads"]``: how every stored and swept run is made."""
    from threadpoolctl import threadpool_info

    start = time.perf_counter()
    with limited_blas():
        threads = max((pool["num_threads"] for pool in threadpool_info()
                       if pool["user_api"] == "blas"), default=1)
        history = train(config, data)
    history.meta.update(seconds=time.perf_counter() - start, blas_threads=threads)
    return history


_DATASETS = {}       # dataset name -> Dataset, loaded once per worker process


def _task(config):
    """One run, as a worker executes it: the data set of ``config``, then the training."""
    if config.dataset not in _DATASETS:
        _DATASETS[config.dataset] = load_dataset(config.dataset)
    return train_on_one_thread(config, _DATASETS[config.dataset])


def sweep(configs, *, executor=None, workers=None, report=None):
    """Train every config of ``configs``; their Histories, in the order of ``configs``.

    ``executor``  a ``concurrent.futures.Executor`` (or anything with its ``submit``,
                  e.g. ``dask.distributed.Client.get_executor()``) to run the tasks on;
                  default: a pool of ``workers`` processes on this machine, made and
                  shut down here
    ``workers``   processes of the default pool (default: the cores this process may
                  use, within its CPU quota; never more than the distinct configs)
    ``report``    called as ``report(config, history)`` in this process as each run
                  ends, in the order they end (e.g. to print progress or store it)
    """
    configs = list(configs)
    distinct = list(dict.fromkeys(configs))          # a config twice is trained once
    if executor is not None and workers is not None:
        raise ValueError("give workers= (the processes of the default pool) or executor=, "
                         "not both: an executor has its own workers")
    done = {}
    if distinct:
        with contextlib.ExitStack() as stack:
            if executor is None:
                executor = stack.enter_context(_local_pool(workers, len(distinct)))
            futures = {executor.submit(_task, config): config for config in distinct}
            try:
                for future in as_completed(futures):
                    config = futures[future]
                    done[config] = future.result()
                    if report is not None:
                        report(config, done[config])
            except BrokenProcessPool as error:
                raise RuntimeError(
                    "a worker process of the sweep ended abruptly. From a script, call sweep() "
                    "under `if __name__ == \"__main__\":` (each worker imports the main "
                    "module); otherwise it may have run out of memory: give fewer workers="
                ) from error
            finally:
                for future in futures:             # after a failure: nothing more starts
                    future.cancel()
    return [done[config] for config in configs]


def _local_pool(workers, tasks):
    """A pool of processes started afresh ("spawn"): the same on Linux, macOS and
    Windows, and safe from a kernel that runs threads (a live panel's)."""
    if workers is None:
        workers = usable_cores()
    if not (isinstance(workers, int) and workers >= 1):
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    return ProcessPoolExecutor(max_workers=min(workers, tasks),
                               mp_context=multiprocessing.get_context("spawn"))
