"""A sweep on this machine's cores against the same runs one after another.

    python benchmarks/sweep.py [--runs 8] [--iterations 400] [--repeats 3] [--json FILE]

Trains ``--runs`` configs of the book's network on MNIST (batch 256, Fig. 7's
optimizers and seeds in turn), each for ``--iterations`` updates, three ways:
serially in this process (``train_on_one_thread``, as the stored runs were made
before ``gdlib.sweep``), with ``sweep(workers=1)`` (one worker process: the
cost of the pool itself) and with ``sweep()`` on every usable core.  Prints
the median wall time of each over ``--repeats`` and the speed-up against the
serial runs, and checks that every way gave the same bits.  The sweep's times
include starting its processes and loading MNIST in each.  Run it on a quiet
machine (``GDLIB_DATA`` or the cache must hold MNIST).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

from gdlib.data import load_dataset
from gdlib.sweep import sweep, train_on_one_thread
from gdlib.train import TrainConfig
from gdlib.widgets.cores import usable_cores

METHODS = (("sgd", 0.01), ("momentum", 0.01), ("adagrad", 0.01), ("adadelta", 1.0))


def configs(runs, iterations):
    return [TrainConfig(optimizer=METHODS[i % len(METHODS)][0], lr=METHODS[i % len(METHODS)][1],
                        iterations=iterations, eval_every=iterations, seed=i // len(METHODS))
            for i in range(runs)]


def timed(work):
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    todo = configs(args.runs, args.iterations)
    data = load_dataset("mnist")
    cores = usable_cores()
    ways = {"serial": lambda: [train_on_one_thread(c, data) for c in todo],
            "sweep, 1 worker": lambda: sweep(todo, workers=1),
            f"sweep, {cores} workers": lambda: sweep(todo)}
    seconds, reference = {name: [] for name in ways}, None
    for _ in range(args.repeats):
        for name, work in ways.items():
            elapsed, runs = timed(work)
            seconds[name].append(elapsed)
            reference = reference or runs
            if not all(a.equals(b) for a, b in zip(runs, reference, strict=True)):
                sys.exit(f"{name}: the runs differ from the serial ones")
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    print(f"{args.runs} runs of {args.iterations} updates (batch 256), {cores} usable cores, "
          f"median of {args.repeats}; every way gave the same bits")
    for name, median in medians.items():
        print(f"  {name:<18} {median:7.1f} s   speed-up {medians['serial'] / median:4.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": args.runs, "iterations": args.iterations, "cores": cores,
                       "repeats": args.repeats, "machine": platform.machine(),
                       "cpus": os.cpu_count(), "median_seconds": medians}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
