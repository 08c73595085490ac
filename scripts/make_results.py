"""Train every figure of the paper for every seed and store the Histories in results/.

    python scripts/make_results.py            # all figures, all seeds
    python scripts/make_results.py fig3 fig5  # only these figures

The chapters load these files (gdlib.experiments.load_figure) for the multi-seed
statistics and recompute seed 0 on every build to check they still match.
Each file records the config that produced it; nothing here is edited by hand.
"""

import argparse
import sys
import time

from gdlib import experiments
from gdlib.data import load_dataset
from gdlib.train import train


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures", nargs="*", default=sorted(experiments.FIGURES),
                        help="figure names (default: all)")
    parser.add_argument("--seeds", type=int, nargs="*", default=list(experiments.SEEDS))
    args = parser.parse_args(argv)
    unknown = set(args.figures) - set(experiments.FIGURES)
    if unknown:
        parser.error(f"unknown figures {sorted(unknown)}; "
                     f"choose from {sorted(experiments.FIGURES)}")
    data = load_dataset("mnist")
    for name in args.figures:
        for seed in args.seeds:
            for label, cfg in experiments.figure(name, seed).items():
                start = time.perf_counter()
                history = train(cfg, data)
                path = experiments.save_run(name, label, history)
                print(f"{name} {label!r} seed {seed}: {history!r} "
                      f"({time.perf_counter() - start:.1f} s) -> {path}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
