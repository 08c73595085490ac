"""Training throughput of gdlib, beside PyTorch when it is importable.

    python benchmarks/throughput.py [--quick] [--repeats N] [--batch-sizes 1,32,256]

Prints medians over repeats, for the paper's 784-500-300-10 float32 network
and the optimizers as the book configures them (Fig. 7's settings, built with
``gdlib.train.make_optimizer``; RMSProp at the same eta and gamma):

* samples/s of a training step (forward + backward + update) per batch size
  and optimizer, and PyTorch's on the same network and initial weights,
  measured in the same run with the repeats interleaved, and the ratio;
* the float32 matrix-multiply rate (the ceiling) and the share of it that a
  batch-256 SGD step reaches; each adaptive step's cost relative to SGD's;
* the wall time of one MNIST-sized epoch through ``gdlib.train.train``;
* what the readable update rules cost: each optimizer's ``step`` on the
  network's parameters (and on the explorer's 2-vector) timed against the
  in-place form gdlib used before (``benchmarks/previous_updates.py``, kept
  only as that baseline), and whether both give the same bits;
* the machine's load average before and after, since others share it.

Data are synthetic MNIST-sized arrays: throughput does not depend on the pixels.
Compare ratios measured in one run, not absolute numbers between runs.
"""

import argparse
import os
import platform
import statistics
import time

import numpy as np
from previous_updates import PREVIOUS_FORM, previous_step

from gdlib.data import Dataset
from gdlib.mlp import MLP
from gdlib.paper.figures import BASE, FIGURES
from gdlib.train import TrainConfig, make_optimizer, train

CONFIGS = {
    "sgd": FIGURES["fig7"]["SGD"],
    "momentum": FIGURES["fig7"]["Momentum"],
    "adagrad": FIGURES["fig7"]["AdaGrad"],
    "rmsprop": BASE.replace(optimizer="rmsprop", lr=0.01, gamma=0.1),
    "adadelta": FIGURES["fig7"]["Adadelta"],
}
SIZES = BASE.sizes


def torch_optimizer(torch, opt, params):
    """PyTorch's counterpart of gdlib optimizer ``opt`` (rho = 1 - gamma; see chapter 8)."""
    kind = type(opt).__name__
    if kind == "SGD":
        return torch.optim.SGD(params, lr=opt.lr)
    if kind == "Momentum":                  # equal to eq. (9) while lr is constant
        return torch.optim.SGD(params, lr=opt.lr, momentum=opt.momentum)
    if kind == "AdaGrad":
        return torch.optim.Adagrad(params, lr=opt.lr, eps=opt.eps)
    if kind == "RMSProp":
        return torch.optim.RMSprop(params, lr=opt.lr, alpha=1 - opt.gamma, eps=opt.eps)
    return torch.optim.Adadelta(params, lr=opt.lr, rho=1 - opt.gamma, eps=opt.eps)


def synthetic(n=60_000, seed=0):
    """MNIST-sized float32 images (a random fifth of the pixels lit per class) and labels."""
    rng = np.random.default_rng(seed)
    templates = (rng.random((SIZES[-1], SIZES[0])) < 0.2).astype(np.float32)
    t = rng.integers(0, SIZES[-1], n)
    x = templates[t] * rng.random((n, SIZES[0]), dtype=np.float32)
    noisy = rng.random(n) < 0.1                  # some label noise: the loss stays > 0
    t[noisy] = rng.integers(0, SIZES[-1], int(noisy.sum()))
    return x, t


class Steps:
    """``run(k)``: k training steps on consecutive slices of the data, gdlib or PyTorch."""

    def __init__(self, name, batch, x, t, torch=None):
        self.model = MLP(SIZES, seed=0)
        self.opt = make_optimizer(CONFIGS[name])
        self.batch, self.i, self.torch = batch, 0, torch
        self.x, self.t, self.n = x, t, len(x) // batch
        if torch is not None:
            layers = []
            for k in range(1, len(SIZES)):
                linear = torch.nn.Linear(SIZES[k - 1], SIZES[k])
                with torch.no_grad():   # torch stores W as (out, in): gdlib's transposed
                    linear.weight.copy_(torch.from_numpy(self.model.params[f"W{k}"].T))
                    linear.bias.copy_(torch.from_numpy(self.model.params[f"b{k}"]))
                layers += [linear, torch.nn.ReLU()]
            self.net = torch.nn.Sequential(*layers[:-1])
            self.topt = torch_optimizer(torch, self.opt, self.net.parameters())
            self.loss = torch.nn.CrossEntropyLoss()
            self.x, self.t = torch.from_numpy(x), torch.from_numpy(t)

    def run(self, k):
        b = self.batch
        for _ in range(k):
            lo = (self.i % self.n) * b
            self.i += 1
            x, t = self.x[lo:lo + b], self.t[lo:lo + b]
            if self.torch is None:
                _, grads = self.model.loss_and_grads(x, t)
                self.opt.step(self.model.params, grads)
            else:
                self.topt.zero_grad()
                loss = self.loss(self.net(x), t)
                loss.backward()
                self.topt.step()
                loss.item()                      # gdlib returns the loss every step too


def _stepper(name, form, start, gradients):
    """``run(k)``: k steps of optimizer ``name`` in ``form`` over the cycled ``gradients``;
    ``run.result()`` gives its parameters and state."""
    opt, scratch, done = make_optimizer(CONFIGS[name]), {}, [0]
    params = {n: a.copy() for n, a in start.items()}

    def run(k):
        for _ in range(k):
            grads = gradients[done[0] % len(gradients)]
            done[0] += 1
            if form == "readable":
                opt.step(params, grads)
            else:
                previous_step(opt, PREVIOUS_FORM[name], params, grads, scratch)

    run.result = lambda: (params, opt.state)
    return run


def _same_bits(name, start, gradients):
    """True if 3 x len(gradients) steps of both forms leave the same bits everywhere."""
    results = []
    for form in ("readable", "previous"):
        run = _stepper(name, form, start, gradients)
        run(3 * len(gradients))
        results.append(run.result())
    (p1, s1), (p2, s2) = results
    return (all(np.array_equal(p1[n], p2[n]) for n in p1)
            and all(np.array_equal(s1[n][k], s2[n][k]) for n in s1 for k in s1[n]))


def update_forms(names, repeats, budget):
    """Median microseconds of one ``step`` in the readable and the previous form, per
    optimizer: ``{(where, name): (readable, previous, same bits)}``."""
    rng = np.random.default_rng(2)
    layers = range(1, len(SIZES))
    problems = {"network": ({f"W{k}": (SIZES[k - 1], SIZES[k]) for k in layers}
                            | {f"b{k}": (SIZES[k],) for k in layers}, np.float32),
                "2-vector": ({"w": (2,)}, np.float64)}      # as train and toy run them
    out = {}
    for where, (shapes, dtype) in problems.items():
        gradients = [{n: (rng.standard_normal(s) * 10.0 ** rng.integers(-4, 1)).astype(dtype)
                      for n, s in shapes.items()} for _ in range(20)]
        start = {n: rng.standard_normal(s).astype(dtype) for n, s in shapes.items()}
        for name in names:
            runs = {form: _stepper(name, form, start, gradients)
                    for form in ("readable", "previous")}
            k = steps_for(runs["readable"], budget)
            runs["previous"](2)
            times = {form: [] for form in runs}
            for _ in range(repeats):
                for form, run in runs.items():
                    times[form].append(timed(run, k) / k * 1e6)
            r, p = (statistics.median(times[form]) for form in runs)
            out[where, name] = r, p, _same_bits(name, start, gradients)
            print(f"  {where:8s}  {name:9s} readable {r:8.1f} us   previous {p:8.1f} us   "
                  f"ratio {r / p:.2f}   "
                  f"{'bit-identical' if out[where, name][2] else 'DIFFERENT BITS'}", flush=True)
    return out


def timed(run, k):
    start = time.perf_counter()
    run(k)
    return time.perf_counter() - start


def steps_for(run, budget):
    """How many steps of ``run`` take about ``budget`` seconds (after a warm-up)."""
    run(2)
    k = 1
    while (elapsed := timed(run, k)) < budget / 4:
        k *= 2
    return max(2, int(budget * k / elapsed))


def settle():
    """Let the other library's BLAS threads stop spin-waiting (they slow a 2-core machine)."""
    time.sleep(0.2)


def throughput(batch_sizes, names, repeats, budget, torch, x, t):
    """Median samples/s: ``{(batch, name): (gdlib, torch or None)}``; repeats interleaved."""
    out = {}
    for batch in batch_sizes:
        runners = {(n, lib): Steps(n, batch, x, t, torch if lib == "torch" else None)
                   for n in names for lib in (("gdlib", "torch") if torch else ("gdlib",))}
        steps = {key: steps_for(r.run, budget) for key, r in runners.items()}
        rates = {key: [] for key in runners}
        for _ in range(repeats):
            for key, r in runners.items():
                settle()
                rates[key].append(batch * steps[key] / timed(r.run, steps[key]))
        for n in names:
            ours = statistics.median(rates[n, "gdlib"])
            theirs = statistics.median(rates[n, "torch"]) if torch else None
            out[batch, n] = ours, theirs
            vs = f"   torch {theirs:9,.0f}/s   ratio {ours / theirs:.2f}" if theirs else ""
            print(f"  batch {batch:4d}  {n:9s} gdlib {ours:9,.0f}/s{vs}", flush=True)
    return out


def matmul_rate(repeats, budget):
    """Median float32 GFLOP/s of a square 1024 matrix product."""
    rng = np.random.default_rng(1)
    a, b = rng.random((2, 1024, 1024), dtype=np.float32)
    c = np.empty_like(a)

    def run(k):
        for _ in range(k):
            np.matmul(a, b, out=c)

    k = steps_for(run, budget)
    return statistics.median(2 * 1024**3 * k / timed(run, k) / 1e9 for _ in range(repeats))


def flops_per_sample():
    """GEMM FLOPs of one sample: forward and weight gradients 2*sum(in*out) each,
    deltas 2*sum(in*out) over layers 2..L: 2.486 MFLOP for 784-500-300-10."""
    layer = [SIZES[k - 1] * SIZES[k] for k in range(1, len(SIZES))]
    return 4 * sum(layer) + 2 * sum(layer[1:])


def epoch_seconds(repeats, x, t):
    """Median wall time of ``train`` for one epoch of SGD at batch 256."""
    data = Dataset(x_train=x, t_train=t, x_test=x[:100], t_test=t[:100], name="synthetic")
    config = TrainConfig(batch_size=256, epochs=1, eval_size=100)
    train(config.replace(iterations=5), data)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        train(config, data)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, help="timed repeats (default 7; 3 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a rough check in about a minute")
    parser.add_argument("--batch-sizes", default="1,32,256")
    parser.add_argument("--optimizers", default=",".join(CONFIGS))
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    budget = 0.1 if args.quick else 0.3
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    names = args.optimizers.split(",")
    if unknown := set(names) - set(CONFIGS):
        parser.error(f"unknown optimizers {sorted(unknown)}; choose from {','.join(CONFIGS)}")
    torch = None
    if not args.no_torch:
        try:
            import torch
            torch.set_num_threads(os.cpu_count() or 1)
        except ImportError:
            torch = None
    load0 = os.getloadavg()[0]
    print(f"{'-'.join(map(str, SIZES))} network, float32, synthetic MNIST-sized data; "
          f"medians of {repeats} repeats of ~{budget:.1f} s")
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}, PyTorch "
          + (torch.__version__ if torch else "not importable: no comparison"))
    x, t = synthetic()
    ceiling = matmul_rate(repeats, budget)
    print(f"float32 matmul, square 1024: {ceiling:.1f} GFLOP/s\n\nsamples/s:")
    with np.errstate(all="ignore"):
        rates = throughput(batch_sizes, names, repeats, budget, torch, x, t)
    if 256 in batch_sizes and "sgd" in names:
        sgd = rates[256, "sgd"][0]
        reached = sgd * flops_per_sample() / 1e9
        print(f"\nbatch 256, SGD: {flops_per_sample() / 1e6:.3f} MFLOP/sample, {reached:.1f} "
              f"GFLOP/s = {reached / ceiling:.0%} of the matmul rate")
        print("step time relative to SGD: " + ", ".join(
            f"{n} {sgd / rates[256, n][0]:.2f}x" for n in names if n != "sgd"))
    print("\none step of each update rule, readable (gdlib) against the previous in-place "
          "form (benchmarks/previous_updates.py), median microseconds:")
    with np.errstate(all="ignore"):
        forms = update_forms(names, repeats, budget)
    if 256 in batch_sizes:
        extra = {n: (forms["network", n][0] - forms["network", n][1]) * 1e-6
                 / (256 / rates[256, n][0]) for n in names}   # seconds over a step's seconds
        print("the readable rule's share of a batch-256 training step: "
              + ", ".join(f"{n} {e:+.1%}" for n, e in extra.items()))
    print(f"\none epoch through gdlib.train.train (SGD, batch 256): "
          f"{epoch_seconds(max(1, repeats // 2), x, t):.2f} s (median)")
    print(f"\nload average: {load0:.2f} at the start, {os.getloadavg()[0]:.2f} at the end "
          f"(on {os.cpu_count()} CPUs; anything near or above that skews the numbers)")


if __name__ == "__main__":
    main()
