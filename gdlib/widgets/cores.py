"""How many BLAS threads a panel's training takes: a second core only while it is free.

A panel's run is a few hundred matrix products of batch 256 (eq. 1-3 forward,
their transposes backward).  On an idle two-core machine OpenBLAS does them
faster on two threads than on one (by about a quarter when this was written;
``benchmarks/widgets.py`` prints a panel run on each); but while another
process keeps a core busy, two threads are several times *slower* than one,
and worse when several processes compete, because each product waits,
spinning, for the thread that was descheduled: whatever the others run on our
cores stalls both threads.  Two threads gain a quarter over one, so they pay
only while the others leave the cores free but for about a quarter of one
(``FREE``).

So a training starts on one thread, unless the machine was free since the
previous training ended (a reader looking at the last picture), and
``BlasThreads.update`` looks, every ``PERIOD`` seconds, at how much of the
cores this process may run on the other processes used meanwhile: while the
cores free for this training are at least ``MAX_THREADS`` less ``FREE``, it
takes ``MAX_THREADS`` threads; as soon as they are not, it goes back to one.

The most threads are never more than the BLAS had when the run started (a
class server's ``OPENBLAS_NUM_THREADS=1`` stays one), the cores this process
may run on, nor its CPU quota (a container's, as on Binder).  A product's sums
are split differently on two threads, so a run's last bits can depend on the
threads it had; stored grids are made, and checked, on one thread
(``limited_blas``).
"""

import time

import psutil

from ..machine import BLAS_THREADS, limited_blas, our_cpus, usable_cores

__all__ = ["BlasThreads", "limited_blas", "BLAS_THREADS", "MAX_THREADS", "PERIOD", "FREE",
           "cpu_sample", "usable_cores"]

MAX_THREADS = 2
PERIOD = 0.25        # seconds of training between two looks at the machine
FREE = 0.25          # of a core: what the others may use of ours while a run takes more
RECENT = 60.0        # seconds: a longer pause since the last training says nothing of now
BUSY = ("user", "nice", "system", "irq", "softirq", "steal")


_last_end = None     # cpu_sample() when the latest training of this process ended


def cpu_sample():
    """``(time, CPU seconds spent on our CPUs by anyone, CPU seconds of this process)``."""
    per_cpu = psutil.cpu_times(percpu=True)
    busy = sum(getattr(per_cpu[i], name, 0.0) for i in our_cpus() if i < len(per_cpu)
               for name in BUSY)
    own = psutil.Process().cpu_times()
    return time.monotonic(), busy, own.user + own.system


class BlasThreads:
    """``with BlasThreads() as blas:`` around a training; ``blas.update()`` between its
    iterations.  Restores the BLAS's threads on exit.

    ``most``     upper bound on the threads (default: ``MAX_THREADS`` when entered)
    ``sample``   the measurement, ``cpu_sample``, and ``clock`` the time between two
                 looks (a test passes its own: a look costs a fraction of a millisecond,
                 an iteration about ten)

    ``blas.threads`` is the current number (as the BLAS reports it), ``blas.most``
    the bound in force, ``blas.seconds`` maps a number of threads to the seconds
    the run spent on it.

    The threads are set through a threadpoolctl limit entered by the training's
    own thread: with a process-wide pool (OpenBLAS built with pthreads) only one
    thread at a time may change them, and the limit hands that right back on
    exit.  If another thread holds it (its own ``with threadpool_limits(...)``),
    the training keeps the threads it has, and ``seconds`` says so.
    """

    def __init__(self, most=None, *, sample=None, clock=time.monotonic, period=PERIOD,
                 free=FREE):
        self.requested, self.sample, self.clock = most, sample or cpu_sample, clock
        self.period, self.free = period, free
        self.threads, self.seconds = 1, {}
        self._libs, self._limit, self._last = [], None, None

    def __enter__(self):
        from threadpoolctl import ThreadpoolController

        blas = ThreadpoolController().select(user_api="blas")
        self._libs = blas.lib_controllers
        before = [lib.num_threads for lib in self._libs]
        most = MAX_THREADS if self.requested is None else self.requested
        self._cores = usable_cores()
        self.most = max(1, min([most, self._cores, *before]))
        self._limit = blas.limit(limits=1)       # restores `before` on exit
        self.threads, self.seconds, self._since = self._actual(), {}, self.clock()
        self._last, self._looked = self.sample(), self.clock()
        if _last_end is not None and self.period <= self._last[0] - _last_end[0] <= RECENT:
            self._choose(self.others(_last_end, self._last))
        return self

    def __exit__(self, *exc):
        global _last_end
        _last_end = self.sample()
        self._account(self.clock())
        self._limit.__exit__(*exc)

    def others(self, before, after):
        """Cores (of ours) the other processes used between two samples."""
        elapsed = after[0] - before[0]
        if elapsed <= 0:
            return 0.0
        return max(0.0, ((after[1] - before[1]) - (after[2] - before[2])) / elapsed)

    def update(self):
        """Look at the machine if ``period`` s have passed; set the threads for what follows."""
        if self.most == 1 or self.clock() - self._looked < self.period:
            return self.threads
        now, self._looked = self.sample(), self.clock()
        busy = self.others(self._last, now)
        self._last = now
        self._choose(busy)
        return self.threads

    def _choose(self, busy):
        """``busy``: cores of ours the other processes used."""
        free = self._cores - busy
        self._set(self.most if free >= self.most - self.free else 1)

    def _account(self, now):
        self.seconds[self.threads] = self.seconds.get(self.threads, 0.0) + now - self._since
        self._since = now

    def _set(self, threads):
        if threads == self.threads:
            return
        self._account(self.clock())
        for lib in self._libs:
            lib.set_num_threads(threads)
        self.threads = self._actual()

    def _actual(self):
        return max((lib.get_num_threads() or 1 for lib in self._libs), default=1)
