"""Train every figure of the paper for every seed and store the Histories (gdlib/paper/results/).

    python scripts/make_results.py                  # all figures, all seeds, MNIST
    python scripts/make_results.py fig3 fig5        # only these figures
    python scripts/make_results.py --missing fig7   # only files not stored yet
    python scripts/make_results.py --dataset fashion fig3 fig4 fig5 fig6 fig7
    python scripts/make_results.py --scheduler tcp://host:8786   # on a dask cluster

The chapters load these files (gdlib.paper.figures.load_figure) for the multi-seed
statistics and recompute seed 0 on every build to check they still match.
Each file records the config that produced it; nothing here is edited by hand.
A run whose config is already stored under another figure (Fig. 7 repeats
runs of Fig. 4 and 5) is trained once: the same config gives a bit-identical
History, so the stored one is saved again under the new figure's name
(``--remake`` trains every run anew instead).

The runs are a sweep (``gdlib.sweep``): on this machine's cores by default
(``--workers``), or on the dask cluster whose scheduler ``--scheduler`` names.
Every run trains as every stored run is (on one BLAS thread, set inside each
task): a product's sums are split differently on two threads, so only one
thread gives the same bits on every machine, and the book's check of seed 0
recomputes it so.  Each run is stored as soon as it ends.
"""

import argparse
import contextlib
import sys
import time

from gdlib.paper import figures
from gdlib.paper.store import RESULTS
from gdlib.sweep import sweep


def stored_runs():
    """Every stored History, by config (for reuse across figures)."""
    return {h.config: h for h in RESULTS.runs()}


@contextlib.contextmanager
def executor_for(scheduler):
    """A dask executor on the cluster at ``scheduler``; None: this machine's processes."""
    if scheduler is None:
        yield None
        return
    try:
        from dask.distributed import Client
    except ImportError:
        sys.exit("--scheduler needs dask.distributed: pip install 'gdlib[cluster]' "
                 "(or pip install distributed)")
    with Client(scheduler) as client, client.get_executor() as executor:
        yield executor


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures", nargs="*", default=sorted(figures.FIGURES),
                        help="figure names (default: all)")
    parser.add_argument("--seeds", type=int, nargs="*", default=list(figures.SEEDS))
    parser.add_argument("--dataset", default="mnist", choices=figures.DATASETS)
    parser.add_argument("--missing", action="store_true",
                        help="skip runs whose file exists with the same config")
    parser.add_argument("--remake", action="store_true",
                        help="train every run, reusing none of the stored ones")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes on this machine (default: its usable cores)")
    parser.add_argument("--scheduler", default=None,
                        help="address of a dask scheduler to run the sweep on instead")
    args = parser.parse_args(argv)
    unknown = set(args.figures) - set(figures.FIGURES)
    if unknown:
        parser.error(f"unknown figures {sorted(unknown)}; "
                     f"choose from {sorted(figures.FIGURES)}")
    known = {} if args.remake else stored_runs()
    wanted = {}                                   # config -> [(figure, label)] to store it as
    for name in args.figures:
        where = figures.group(name, args.dataset)
        for seed in args.seeds:
            for label, cfg in figures.figure(name, seed, args.dataset).items():
                if args.missing and RESULTS.find(where, f"{label} seed{seed}", cfg):
                    continue
                wanted.setdefault(cfg, []).append((name, label))

    def store(cfg, history, how):
        for name, label in wanted[cfg]:
            path = figures.save_run(name, label, history)
            print(f"{name} {label!r} seed {cfg.seed} ({cfg.dataset}): {history!r} ({how}) "
                  f"-> {path}", flush=True)

    for cfg in [cfg for cfg in wanted if cfg in known]:
        store(cfg, known[cfg], "reused")
    to_train = [cfg for cfg in wanted if cfg not in known]
    start = time.perf_counter()
    with executor_for(args.scheduler) as executor:
        sweep(to_train, executor=executor, workers=None if executor else args.workers,
              report=lambda cfg, h: store(cfg, h, f"{h.meta['seconds']:.1f} s"))
    print(f"{len(to_train)} runs trained in {time.perf_counter() - start:.0f} s, "
          f"{len(wanted) - len(to_train)} reused", flush=True)


if __name__ == "__main__":
    sys.exit(main())
