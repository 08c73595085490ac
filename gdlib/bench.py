"""Throughput benchmark: ``python -m gdlib.bench [--quick] [--repeats N] ...``.

Prints, as medians over repeats, for the paper's 784-500-300-10 network in
float32 on synthetic MNIST-like data (60,000 images of 784 pixels, see
``synthetic_data``; throughput does not depend on the pixel values):

* training throughput in samples/s, a step being forward + backward +
  optimizer update, for every batch size and optimizer asked for;
* the same network, initial weights and optimizer in PyTorch, when ``torch``
  happens to be importable, measured in the same run (repeats interleaved),
  and the ratio;
* the machine's float32 matrix-multiply rate (the ceiling): the GEMMs of the
  network at batch 256 and a square 1024 GEMM, and the fraction of it that a
  training step reaches;
* the step cost of each adaptive optimizer relative to SGD at batch 256;
* the wall time of one full-MNIST epoch through ``gdlib.train.train`` and the
  training loop's overhead per iteration.

PyTorch is not a dependency of gdlib; the comparison is skipped without it.
Numbers depend on the machine and on what else runs there: compare ratios
measured in one run, not absolute numbers between runs.
"""

import argparse
import math
import os
import platform
import statistics
import time

import numpy as np

from . import optimizers
from .data import Dataset
from .mlp import MLP
from .train import TrainConfig, train

SIZES = (784, 500, 300, 10)
DTYPE = np.float32
N_TRAIN = 60_000
OPTIMIZER_NAMES = ("sgd", "momentum", "adagrad", "rmsprop", "adadelta")

# One setting per method (the paper's Fig. 7: eta = 0.01, gamma = 0.1), and the
# PyTorch equivalent: momentum 0.9 = SGD(momentum=0.9) while lr is constant;
# rho/alpha = 1 - gamma; PyTorch puts AdaGrad's and RMSProp's eps outside the root.
NUMPY_OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(lr=0.01),
    "momentum": lambda: optimizers.Momentum(lr=0.01, momentum=0.9),
    "adagrad": lambda: optimizers.AdaGrad(lr=0.01, eps=1e-8),
    "rmsprop": lambda: optimizers.RMSProp(lr=0.01, gamma=0.1, eps=1e-8),
    "adadelta": lambda: optimizers.Adadelta(gamma=0.1, eps=1e-6, lr=1.0),
}
TORCH_OPTIMIZERS = {
    "sgd": lambda torch, p: torch.optim.SGD(p, lr=0.01),
    "momentum": lambda torch, p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    "adagrad": lambda torch, p: torch.optim.Adagrad(p, lr=0.01, eps=1e-8),
    "rmsprop": lambda torch, p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8),
    "adadelta": lambda torch, p: torch.optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-6),
}


# -- what the machine is -------------------------------------------------------

def blas_threads():
    """``(threads, description)`` of NumPy's BLAS, via threadpoolctl when importable."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                desc = (f"{pool.get('internal_api')} {pool.get('version')} "
                        f"({pool.get('architecture')}), via threadpoolctl")
                return int(pool["num_threads"]), desc
    desc = "unknown BLAS"
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        desc = f"{blas.get('name')} {blas.get('version')}"
    except Exception:   # older NumPy: no dict mode; the description is optional
        pass
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), f"{desc}; threads from ${var}"
    return os.cpu_count() or 1, f"{desc}; threads assumed = CPU count (no threadpoolctl)"


def import_torch(threads):
    """``torch`` set to ``threads`` threads, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


# -- arithmetic ----------------------------------------------------------------

def flops_per_sample(sizes=SIZES):
    """GEMM FLOPs of one sample's forward and backward pass.

    forward ``2 * sum(in*out)`` over all layers, weight gradients the same, and
    the deltas passed down ``2 * sum(in*out)`` over layers 2..L (the input
    needs none): for 784-500-300-10, 1.090 + 1.090 + 0.306 = 2.486 MFLOP.
    """
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    layer = [n_in * n_out for n_in, n_out in pairs]
    return 2 * sum(layer) + 2 * sum(layer) + 2 * sum(layer[1:])


def network_gemms(batch, sizes=SIZES):
    """The (m, k, n) of every GEMM in a training step, ``(m, k) @ (k, n)``."""
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    forward = [(batch, n_in, n_out) for n_in, n_out in pairs]         # h @ W
    weights = [(n_in, batch, n_out) for n_in, n_out in pairs]         # h.T @ d
    deltas = [(batch, n_out, n_in) for n_in, n_out in pairs[1:]]      # d @ W.T
    return forward + weights + deltas


# -- timing --------------------------------------------------------------------

def _steps_for(run_steps, budget):
    """Warm ``run_steps`` up and return how many steps take about ``budget`` seconds."""
    run_steps(2)
    start = time.perf_counter()
    n = 1
    while True:
        run_steps(n)
        elapsed = time.perf_counter() - start
        if elapsed > budget / 4:
            break
        n *= 2
    per_step = elapsed / (2 * n - 1)
    return max(2, math.ceil(budget / per_step))


def _settle():
    """Sleep briefly so that idle worker threads of the other library stop
    spinning: OpenBLAS and OpenMP threads busy-wait for a while after a call,
    and on two cores that would slow the next measurement."""
    time.sleep(0.2)


def _cpu_busy_seconds():
    """CPU seconds spent by all processes since boot (Linux), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)    # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds():
    t = os.times()
    return t.user + t.system


def _timed(run_steps, steps):
    start = time.perf_counter()
    run_steps(steps)
    return time.perf_counter() - start


def synthetic_data(n, seed=0):
    """``(x, t)``: ``n`` MNIST-like float32 images and their int64 labels.

    Each class lights a fixed random fifth of the 784 pixels (MNIST has about
    19 % non-zero pixels) at random intensities in [0, 1), and one label in
    ten is replaced by a random one: the labels can be learnt, but the loss
    does not fall to zero, so the gradients stay of a realistic size."""
    rng = np.random.default_rng(seed)
    templates = (rng.random((SIZES[-1], SIZES[0])) < 0.2).astype(DTYPE)
    t = rng.integers(0, SIZES[-1], n)
    x = templates[t]
    x *= rng.random((n, SIZES[0]), dtype=DTYPE)
    noisy = rng.random(n) < 0.1
    t[noisy] = rng.integers(0, SIZES[-1], int(noisy.sum()))
    return x, t


class NumpyTrainer:
    """gdlib's training step on consecutive slices (views, no copy) of a data pool."""

    def __init__(self, optimizer, batch, x, t):
        self.model = MLP(SIZES, seed=0, dtype=DTYPE)
        self.opt = NUMPY_OPTIMIZERS[optimizer]()
        self.batch, self.x, self.t = batch, x, t
        self.n_batches = len(x) // batch
        self.i = 0

    def run(self, steps):
        model, opt, b = self.model, self.opt, self.batch
        for _ in range(steps):
            lo = (self.i % self.n_batches) * b
            self.i += 1
            _, grads = model.loss_and_grads(self.x[lo:lo + b], self.t[lo:lo + b])
            opt.step(model.params, grads)


class TorchTrainer:
    """The same network and step in PyTorch: Linear-ReLU-Linear-ReLU-Linear,
    mean cross-entropy, ``zero_grad``, ``backward``, ``step``, and ``loss.item()``
    (gdlib returns the loss as a float every step too).  The weights start as
    gdlib's do, so both runs follow nearly the same trajectory."""

    def __init__(self, torch, optimizer, batch, x, t):
        params = MLP(SIZES, seed=0, dtype=DTYPE).params
        layers = []
        for layer, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True), 1):
            linear = torch.nn.Linear(n_in, n_out)
            with torch.no_grad():      # torch keeps W as (out, in): the transpose of gdlib's
                linear.weight.copy_(torch.from_numpy(params[f"W{layer}"].T))
                linear.bias.copy_(torch.from_numpy(params[f"b{layer}"]))
            layers += [linear, torch.nn.ReLU()]
        self.net = torch.nn.Sequential(*layers[:-1])
        self.opt = TORCH_OPTIMIZERS[optimizer](torch, self.net.parameters())
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.batch, self.x, self.t = batch, torch.from_numpy(x), torch.from_numpy(t)
        self.n_batches = len(x) // batch
        self.i = 0

    def run(self, steps):
        net, opt, loss_fn, b = self.net, self.opt, self.loss_fn, self.batch
        for _ in range(steps):
            lo = (self.i % self.n_batches) * b
            self.i += 1
            opt.zero_grad()
            loss = loss_fn(net(self.x[lo:lo + b]), self.t[lo:lo + b])
            loss.backward()
            opt.step()
            loss.item()


def bench_training(batch_sizes, names, repeats, budget, torch, x, t):
    """Median samples/s per (batch, optimizer): ``{key: (numpy, torch or None)}``.

    At each batch size every configuration, gdlib's and PyTorch's, takes one
    timed turn per repeat, so a change in the machine's load during the run
    hits them alike and their ratios stay meaningful."""
    results = {}
    for batch in batch_sizes:
        runners = {}
        for name in names:
            runners[name, "numpy"] = NumpyTrainer(name, batch, x, t)
            if torch is not None:
                runners[name, "torch"] = TorchTrainer(torch, name, batch, x, t)
        steps = {key: _steps_for(r.run, budget) for key, r in runners.items()}
        rates = {key: [] for key in runners}
        for _ in range(repeats):
            for key, r in runners.items():
                if torch is not None:
                    _settle()
                rates[key].append(batch * steps[key] / _timed(r.run, steps[key]))
        for name in names:
            ours = statistics.median(rates[name, "numpy"])
            theirs = statistics.median(rates[name, "torch"]) if torch is not None else None
            results[batch, name] = (ours, theirs)
            text = f", torch {theirs:9,.0f}/s, ratio {ours / theirs:.2f}" if theirs else ""
            print(f"  batch {batch:4d} {name:9s} numpy {ours:9,.0f}/s{text}", flush=True)
    return results


def bench_matmul(repeats, budget):
    """Median float32 GFLOP/s: ``{"network@256": ..., "square 1024": ...}``."""
    rng = np.random.default_rng(1)
    cases = {}
    gemms = []
    for m, k, n in network_gemms(256):
        a, b = rng.random((m, k), dtype=DTYPE), rng.random((k, n), dtype=DTYPE)
        gemms.append((a, b, np.empty((m, n), DTYPE)))
    cases["network@256"] = (gemms, sum(2 * m * k * n for m, k, n in network_gemms(256)))
    a, b = rng.random((1024, 1024), dtype=DTYPE), rng.random((1024, 1024), dtype=DTYPE)
    cases["square 1024"] = ([(a, b, np.empty((1024, 1024), DTYPE))], 2 * 1024 ** 3)
    rates = {}
    for label, (gemms, flops) in cases.items():
        def run(steps, gemms=gemms):
            for _ in range(steps):
                for a, b, c in gemms:
                    np.matmul(a, b, out=c)
        n = _steps_for(run, budget)
        rates[label] = statistics.median(flops * n / _timed(run, n) / 1e9
                                         for _ in range(repeats))
    return rates


def synthetic_dataset(x, t):
    """A ``Dataset`` of the synthetic data, with a 100-image test split."""
    return Dataset(x_train=x, t_train=t, x_test=x[:100], t_test=t[:100], name="synthetic")


def bench_epoch(repeats, data):
    """Median wall time (s) of ``train`` for one epoch of SGD at batch 256."""
    config = TrainConfig(optimizer="sgd", batch_size=256, epochs=1, eval_size=100)
    train(config.replace(iterations=5), data)          # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        train(config, data)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_loop_overhead(batch, iterations, repeats, data):
    """``(us per iteration in train, us per bare step)``, SGD at ``batch``, medians.

    ``train`` adds batch gathering (``np.take``), label indexing, loss recording
    and checks to the bare step.  Its fixed costs (building the model, two
    evaluations of 100 images) cancel in the slope between ``iterations`` and
    ``2 * iterations`` iterations."""
    config = TrainConfig(optimizer="sgd", batch_size=batch, eval_size=100)
    bare = NumpyTrainer("sgd", batch, data.x_train, data.t_train)
    bare.run(20)

    def run_train(n):
        start = time.perf_counter()
        train(config.replace(iterations=n, eval_every=n), data)
        return time.perf_counter() - start

    run_train(20)
    short, long, alone = [], [], []
    for _ in range(repeats):
        short.append(run_train(iterations))
        long.append(run_train(2 * iterations))
        alone.append(_timed(bare.run, iterations))
    per_iteration = (statistics.median(long) - statistics.median(short)) / iterations
    return per_iteration * 1e6, statistics.median(alone) / iterations * 1e6


# -- report --------------------------------------------------------------------

def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m gdlib.bench",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repeats per configuration (default 7, 3 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="shorter and fewer repeats: a rough check in about a minute")
    parser.add_argument("--batch-sizes", default="1,32,256",
                        help="comma-separated batch sizes (default 1,32,256)")
    parser.add_argument("--optimizers", default=",".join(OPTIMIZER_NAMES),
                        help=f"comma-separated subset of {','.join(OPTIMIZER_NAMES)}")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    parser.add_argument("--no-epoch", action="store_true",
                        help="skip the timed epoch and the loop-overhead measurement")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 7)
    try:
        args.batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    except ValueError:
        parser.error(f"--batch-sizes must be integers, got {args.batch_sizes!r}")
    args.optimizers = [n.strip().lower() for n in args.optimizers.split(",")]
    unknown = sorted(set(args.optimizers) - set(OPTIMIZER_NAMES))
    if unknown:
        parser.error(f"unknown optimizers {unknown}; choose from {','.join(OPTIMIZER_NAMES)}")
    if min(args.batch_sizes) < 1 or args.repeats < 1:
        parser.error("batch sizes and --repeats must be >= 1")
    return args


def main(argv=None):
    args = _parse_args(argv)
    repeats, names, batch_sizes = args.repeats, args.optimizers, args.batch_sizes
    budget = 0.1 if args.quick else 0.3          # seconds per timed repeat
    busy0, own0, wall0 = _cpu_busy_seconds(), _own_cpu_seconds(), time.perf_counter()

    threads, blas = blas_threads()
    torch = None if args.no_torch else import_torch(threads)
    print(f"gdlib.bench: {'-'.join(map(str, SIZES))} network, float32, synthetic MNIST-like "
          f"data; medians of {repeats} repeats of ~{budget:.1f} s")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f} at start; numpy {np.__version__}; BLAS {blas}; "
          f"{threads} threads")
    print("PyTorch: " + (f"{torch.__version__}, set to {torch.get_num_threads()} threads"
                         if torch is not None else "not importable (or --no-torch): no comparison"))

    x, t = synthetic_data(N_TRAIN)
    fps = flops_per_sample()
    print("\nfloat32 matrix multiply (median GFLOP/s):")
    gemm = bench_matmul(repeats, budget)
    for label, rate in gemm.items():
        print(f"  {label:12s} {rate:7.1f}")
    ceiling = gemm["square 1024"]

    print("\ntraining step = forward + backward + update, samples/s:")
    _settle()
    with np.errstate(all="ignore"):
        results = bench_training(batch_sizes, names, repeats, budget, torch, x, t)

    print("\nmedian samples/s" + (" (gdlib / PyTorch)" if torch is not None else "") + ":")
    print(f"  {'batch':>5s}" + "".join(f"{n:>19s}" for n in names))
    for batch in batch_sizes:
        cells = []
        for name in names:
            ours, theirs = results[batch, name]
            ratio = f" ({ours / theirs:4.2f}x)" if theirs else ""
            cells.append(f"{ours:,.0f}{ratio}".rjust(19))
        print(f"  {batch:5d}" + "".join(cells))

    checks = []
    if 256 in batch_sizes and "sgd" in names:
        sgd = results[256, "sgd"][0]
        achieved = sgd * fps / 1e9
        print(f"\nbatch 256, SGD: {fps / 1e6:.3f} MFLOP/sample = forward 2*B*sum(in*out) + "
              "weight gradients 2*B*sum(in*out) + deltas 2*B*sum(in*out) over layers 2..L")
        print(f"  achieved {achieved:.1f} GFLOP/s = {achieved / ceiling:.0%} of the square-1024 "
              f"rate, {achieved / gemm['network@256']:.0%} of the network's own GEMMs")
        print("  full-MNIST epoch estimate (60,000 / throughput): " + ", ".join(
            f"{n} {N_TRAIN / results[256, n][0]:.2f} s" for n in names))
        checks.append(("batch 256 reaches >= 60% of the matmul rate (square 1024)",
                       achieved / ceiling >= 0.6, f"{achieved / ceiling:.0%}"))
        others = [n for n in names if n != "sgd"]
        if others:
            cost = {n: sgd / results[256, n][0] for n in others}
            print("  step time relative to SGD: "
                  + ", ".join(f"{n} {c:.2f}x" for n, c in cost.items()))
            worst = max(cost, key=cost.get)
            checks.append(("batch 256: every optimizer's step <= 1.3x SGD's", cost[worst] <= 1.3,
                           f"highest {cost[worst]:.2f}x ({worst})"))
    if torch is not None:
        for batch, need in ((256, 1.2), (1, 0.8)):
            if batch in batch_sizes:
                ratio = {n: results[batch, n][0] / results[batch, n][1] for n in names}
                worst = min(ratio, key=ratio.get)
                checks.append((f"batch {batch}: >= {need}x PyTorch, every optimizer",
                               ratio[worst] >= need, f"lowest {ratio[worst]:.2f}x ({worst})"))

    if not args.no_epoch:
        data = synthetic_dataset(x, t)
        _settle()
        epoch = bench_epoch(max(1, repeats // 2), data)
        print(f"\none full-MNIST epoch through gdlib.train.train (SGD, batch 256, "
              f"20 evaluations of 100 images): {epoch:.2f} s (median)")
        checks.append(("one full-MNIST epoch <= 2 s", epoch <= 2.0, f"{epoch:.2f} s"))
        for batch, iters in ((1, 300 if args.quick else 1000), (256, 10 if args.quick else 30)):
            looped, bare = bench_loop_overhead(batch, iters, max(1, repeats // 2), data)
            extra = looped - bare
            print(f"train() at batch {batch}: {looped:.0f} us/iteration vs {bare:.0f} us for the "
                  f"bare step: loop overhead {extra:+.0f} us ({extra / bare:+.0%})")

    if checks:
        print("\ntargets:")
        for what, ok, value in checks:
            print(f"  {'met   ' if ok else 'MISSED'} {what}: {value}")

    busy1, wall = _cpu_busy_seconds(), time.perf_counter() - wall0
    if busy0 is not None and busy1 is not None:
        others = max(0.0, (busy1 - busy0) - (_own_cpu_seconds() - own0)) / (wall * os.cpu_count())
        note = "  (numbers unreliable: other work competed)" if others > 0.1 else ""
        print(f"\nother processes used {others:.0%} of the CPUs during the {wall:.0f} s run{note}")


if __name__ == "__main__":
    main()
