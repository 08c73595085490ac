"""Kernel-side latency of the panels (issue 8, item 2): medians of 10, with the machine's load.

    GDLIB_DATA=/abs/path .venv/bin/python benchmarks/widgets.py [--panel ch5] [--repeat 10]

Measured in this process, as a kernel sees it (no browser, no comm round trip):

* first redraw: a control changes -> the first image of the new run is set
* whole retrain: a control changes -> the final image of the new run is set
* cancel: a control changes during a run -> the old run has returned
* cache hit: a control goes back to a value seen before -> its image is set
* explorer redraw: a slider of the 2-D explorer moves -> the new image is set
  (valley, and the worst case: Rosenbrock with 3,000 steps; and a change of
  the number of steps, which redraws the value axis)
* the CPU time a retrain costs the process, and the share of the retrain spent
  on more than one BLAS thread (gdlib.widgets.cores: a second thread only while
  the other processes leave the cores free; ``--most-threads 1`` forbids it)
* memory: resident size over 100 changes (each waits for its first picture,
  every tenth for the end of its run, so runs, figures and the cache all churn)
* the numbers the widgets' docstrings rely on: a panel picture as a 1x JPEG, a
  2x palette PNG and a 2x full-colour PNG (``render``); the panel's training on
  one and on two BLAS threads (``cores``); ``toy._finite`` against
  ``np.isfinite(a).all()`` on a point of the plane

What a reader feels adds the browser's share (comms, decoding); measure that
in JupyterLab (tests/test_panels_lab.py drives one).
"""

import argparse
import gc
import os
import statistics
import threading
import time

import numpy as np
import psutil

from gdlib.data import load_dataset
from gdlib.paper import panels
from gdlib.widgets import Explorer, ToySetting, TrainingPanel, cores


class ImageClock:
    """Timestamps of every new image a widget receives."""

    def __init__(self, image):
        self.times, self._lock = [], threading.Lock()
        image.observe(self._seen, names="value")

    def _seen(self, change):
        with self._lock:
            self.times.append(time.perf_counter())

    def after(self, t0):
        with self._lock:
            return [t - t0 for t in self.times if t >= t0]


def wait_until(predicate, timeout=300.0):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError("the panel did not answer")
        time.sleep(0.001)


def fresh_lrs(n, start=0.002):
    """``n`` learning rates no run has used yet (so none comes from the cache)."""
    return [float(v) for v in np.round(np.geomspace(start, start * 3, n), 6)]


def bench_panel(spec, data, repeat):
    panel = TrainingPanel(data, spec.base, controls=spec.controls, presets=spec.presets)
    panel.wait()
    clock = ImageClock(panel.image)
    lr = panel.controls["lr"]
    first, whole, cpu, cancel, hit = [], [], [], [], []
    on_two = []
    for value in fresh_lrs(repeat):
        c0 = time.process_time()
        t0 = time.perf_counter()
        lr.value = value
        panel.wait()
        cpu.append(time.process_time() - c0)
        seconds = panel.blas_seconds
        on_two.append(sum(s for n, s in seconds.items() if n > 1) / sum(seconds.values()))
        times = clock.after(t0)
        first.append(times[0])
        whole.append(times[-1])
    for value in fresh_lrs(repeat, start=0.02):
        lr.value = value
        wait_until(lambda: panel.status.value.startswith("training")
                   and ": update" in panel.status.value)
        old = panel.cancelled
        t0 = time.perf_counter()
        panel.stop()
        wait_until(lambda o=old: panel.cancelled is not o)
        cancel.append(time.perf_counter() - t0)
        panel.wait()
    seen = fresh_lrs(repeat)
    for value in seen:
        t0 = time.perf_counter()
        lr.value = value                      # each finished above: in the cache
        assert not panel.busy(), "expected a cache hit"
        hit.append(clock.after(t0)[-1])
    print(f"share of the retrains' time on more than one BLAS thread: median "
          f"{statistics.median(on_two):.0%} (min {min(on_two):.0%}, max {max(on_two):.0%})")
    return {"first redraw after a change": first,
            f"whole retrain ({panel.base.iterations} updates)": whole,
            "whole retrain, CPU time of the process": cpu,
            "cancel a running training": cancel, "cache hit": hit}


def bench_explorer(repeat):
    out = {}
    cases = {
        "explorer redraw, valley, 150 steps": (
            ToySetting(optimizer="momentum", lr=0.9, momentum=0.5, steps=150), "momentum",
            np.linspace(0.3, 0.9, repeat)),
        "explorer redraw, Rosenbrock, 3000 steps": (
            ToySetting(surface="rosenbrock", optimizer="adadelta", lr=1.0, x0=-1.5, y0=2.0,
                       steps=3000), "window", range(10, 10 + repeat)),
        "explorer redraw, steps changed (new axis)": (
            ToySetting(optimizer="momentum", lr=0.9, momentum=0.5, steps=150), "steps",
            range(160, 160 + 10 * repeat, 10)),
    }
    for label, (setting, control, values) in cases.items():
        explorer = Explorer(setting)
        times = []
        for value in values:
            t0 = time.perf_counter()
            explorer.controls[control].value = type(explorer.controls[control].value)(value)
            times.append(time.perf_counter() - t0)
        out[label] = times
    return out


def bench_memory(spec, data, changes=100):
    process = psutil.Process()
    panel = TrainingPanel(data, spec.base, controls=spec.controls, presets=spec.presets)
    panel.wait()
    lr = panel.controls["lr"]
    values = fresh_lrs(changes, start=0.0011)
    rss = []
    for i, value in enumerate(values):
        shown = panel.image.value
        lr.value = value
        if i % 10 == 9:
            panel.wait()
        else:
            wait_until(lambda s=shown: panel.image.value is not s)
        if i % 10 == 9:
            gc.collect()
            rss.append(process.memory_info().rss / 2**20)
    panel.wait()
    return rss


def bench_parts(spec, data, repeat):
    """The encodings, the BLAS threads and the finite check, each timed ``repeat`` times."""
    from threadpoolctl import threadpool_limits

    from gdlib import toy
    from gdlib.train import train
    from gdlib.widgets import figure, render

    history = train(spec.base, data)
    out = {}
    for label, scale, encode in (("encode a panel picture: 1x JPEG", 1, render.to_jpeg),
                                 ("encode a panel picture: 2x palette PNG", 2,
                                  lambda f: render.to_png(f, colors=render.COLORS)),
                                 ("encode a panel picture: 2x full-colour PNG", 2,
                                  render.to_png)):
        fig = figure.render_training(history, "run", scale=scale)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            encode(fig)
            times.append(time.perf_counter() - t0)
        out[label] = times
    for threads in (1, 2):
        times = []
        for _ in range(max(2, repeat // 3)):
            with threadpool_limits(limits=threads, user_api="blas"):
                t0 = time.perf_counter()
                train(spec.base, data)
                times.append(time.perf_counter() - t0)
        out[f"panel run ({spec.base.iterations} updates), {threads} BLAS thread(s)"] = times
    point = np.array([0.5, -1.25])
    for label, check in (("toy._finite on a point, x1000", toy._finite),
                         ("np.isfinite(a).all() on a point, x1000",
                          lambda a: np.isfinite(a).all())):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            for _ in range(1000):
                check(point)
            times.append(time.perf_counter() - t0)
        out[label] = times
    return out


def median_ms(values):
    return f"{1000 * statistics.median(values):8.1f} ms  (min {1000 * min(values):.1f}, " \
           f"max {1000 * max(values):.1f}, n={len(values)})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", default="ch5", choices=sorted(panels.PANELS))
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--most-threads", type=int, default=cores.MAX_THREADS,
                        help="BLAS threads a panel's training may take when the cores are "
                             "free (gdlib.widgets.cores; 1: always one)")
    args = parser.parse_args()
    cores.MAX_THREADS = args.most_threads
    spec = panels.PANELS[args.panel]
    data = load_dataset("mnist")
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} at the start")
    print(f"panel {args.panel}: {spec.base.optimizer}, batch {spec.base.batch_size}, "
          f"{spec.base.iterations} updates, tested on {spec.base.eval_size}")
    for label, values in {**bench_panel(spec, data, args.repeat),
                          **bench_explorer(args.repeat),
                          **bench_parts(spec, data, args.repeat)}.items():
        print(f"{label:44s} {median_ms(values)}")
    if not args.no_memory:
        rss = bench_memory(spec, data)
        print(f"{'memory over 100 changes (RSS every 10)':44s} "
              + " ".join(f"{r:.0f}" for r in rss) + " MiB"
              + f"  (growth from change 50 to 100: {rss[-1] - rss[4]:+.1f} MiB)")
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
