"""A classroom server: several kernels training at once, and the BLAS thread setting.

    python benchmarks/classroom.py [--kernels 1,2,4] [--repeats 3] [--json FILE]

Each "kernel" is a separate Python process that trains the book's network for
the same fixed work (200 updates of batch 256, like a chapter's training cell),
started together with the others.  For every number of kernels it measures the
wall time of that work, once with NumPy's BLAS left at its default (one thread
per core) and once with ``OPENBLAS_NUM_THREADS=1`` per kernel, and prints the
median over kernels and repeats with the slowdown against one kernel alone.
OpenBLAS threads spin while they wait for work, so several multi-threaded
kernels on few cores take turns badly; one thread each shares the cores well.
It also measures the peak memory of one kernel that loads MNIST with
``gdlib.data`` and trains the book's network for 200 updates (``GDLIB_DATA`` or
the cache must hold MNIST).  ``--json`` writes the figures for the teacher's
guide.  Run it on a quiet machine.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

WORK = r"""
import time
import numpy as np
from gdlib.mlp import MLP
from gdlib.optimizers import SGD
rng = np.random.default_rng(0)
x = rng.random((256 * 20, 784), dtype=np.float32)
t = rng.integers(0, 10, len(x))
model, opt = MLP(seed=0), SGD(lr=0.01)
model.loss_and_grads(x[:256], t[:256])              # warm up
start = time.perf_counter()
for i in range(200):
    lo = (i % 20) * 256
    _, grads = model.loss_and_grads(x[lo:lo + 256], t[lo:lo + 256])
    opt.step(model.params, grads)
print(time.perf_counter() - start)
"""

MEMORY = r"""
import resource
from gdlib.data import load_dataset
from gdlib.train import TrainConfig, train
data = load_dataset("mnist")
train(TrainConfig(optimizer="adadelta", lr=1.0, window=19, iterations=200, eval_every=100),
      data)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)    # KiB -> MiB
"""


def peak_memory_mib():
    """Peak resident memory (MiB) of one kernel that loads MNIST and trains."""
    out = subprocess.run([sys.executable, "-c", MEMORY], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit("the memory probe failed:\n" + out.stderr[-2000:])
    return float(out.stdout.strip().splitlines()[-1])


def run_together(kernels, threads):
    """Wall seconds of the work in each of ``kernels`` processes started at once."""
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(var, None)
    if threads is not None:
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(threads)
    procs = [subprocess.Popen([sys.executable, "-c", WORK], env=env, stdout=subprocess.PIPE,
                              text=True) for _ in range(kernels)]
    out = [p.communicate()[0] for p in procs]
    if any(p.returncode for p in procs):
        raise SystemExit("a kernel process failed")
    return [float(o.strip()) for o in out]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", default="1,2,4")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    counts = [int(k) for k in args.kernels.split(",")]
    load0 = os.getloadavg()[0]
    settings = {"default": None, "1 thread": 1}
    seconds = {}
    for kernels in counts:
        for name, threads in settings.items():
            times = []
            for _ in range(args.repeats):
                times += run_together(kernels, threads)
                time.sleep(0.5)
            seconds[kernels, name] = statistics.median(times)
    alone = seconds[counts[0], "default"]
    print(f"{os.cpu_count()} CPUs ({platform.machine()}); work: 200 updates of batch 256; "
          f"medians of {args.repeats} repeats over the kernels")
    print(f"{'kernels':>8} {'default BLAS threads':>24} {'OPENBLAS_NUM_THREADS=1':>26}")
    for kernels in counts:
        cells = [f"{seconds[kernels, n]:6.2f} s ({seconds[kernels, n] / alone:4.1f}x)"
                 for n in settings]
        print(f"{kernels:>8} {cells[0]:>24} {cells[1]:>26}")
    memory = peak_memory_mib()
    print(f"peak memory of one kernel (MNIST loaded, 200 updates of Adadelta): {memory:.0f} MiB")
    load1 = os.getloadavg()[0]
    print(f"load average {load0:.2f} at the start, {load1:.2f} at the end")
    if args.json:
        rows = [{"kernels": k, "threads": n, "seconds": round(seconds[k, n], 3),
                 "slowdown": round(seconds[k, n] / alone, 2)} for k in counts for n in settings]
        with open(args.json, "w") as f:
            json.dump({"cpus": os.cpu_count(), "machine": platform.machine(),
                       "work": "200 updates of batch 256", "repeats": args.repeats,
                       "load_average": [round(load0, 2), round(load1, 2)],
                       "peak_memory_mib": round(memory), "rows": rows},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
