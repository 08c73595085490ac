"""The machine a run trains on: the CPUs this process may use, and its BLAS threads.

``usable_cores()`` is how many cores a training of this process can have at once
(its CPUs, within a container's CPU quota, as on Binder): the default number of
a sweep's workers (``gdlib.sweep``) and the most threads a live panel takes
(``gdlib.widgets.cores``).  ``limited_blas()`` pins the BLAS to one thread inside
a ``with`` block: a matrix product's sums are split differently on two threads,
so only one thread gives the same bits on every machine, and every stored and
swept run is made so.
"""

import contextlib
import math
import os
from pathlib import Path

import psutil

__all__ = ["our_cpus", "cpu_quota", "usable_cores", "limited_blas", "BLAS_THREADS"]

BLAS_THREADS = 1     # BLAS threads of every swept and every stored run


def limited_blas(threads=BLAS_THREADS):
    """Run BLAS on ``threads`` threads inside the ``with`` block (threadpoolctl).

    Stored runs are made, swept and recomputed on one thread (``BLAS_THREADS``);
    the limit is process-wide while it holds.  ``None``: no limit.
    """
    if threads is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=threads, user_api="blas")


def our_cpus():
    """The CPUs this process may run on (their indices)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:                  # not on Linux: all of them
        return list(range(psutil.cpu_count() or 1))


def cpu_quota():
    """The cores a CPU quota grants this process's control group (cgroup v2 or v1), or None."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
        period = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


def usable_cores():
    """The cores a training of this process can have at once: its CPUs, within its quota."""
    cores = len(our_cpus())
    quota = cpu_quota()
    return cores if quota is None else max(1, min(cores, math.floor(quota)))
