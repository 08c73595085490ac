"""Train every figure of the paper for every seed and store the Histories (gdlib/paper/results/).

    python scripts/make_results.py                  # all figures, all seeds
    python scripts/make_results.py fig3 fig5        # only these figures
    python scripts/make_results.py --missing fig7   # only files not stored yet

The chapters load these files (gdlib.paper.figures.load_figure) for the multi-seed
statistics and recompute seed 0 on every build to check they still match.
Each file records the config that produced it; nothing here is edited by hand.
A run whose config is already stored under another figure (Fig. 7 repeats
runs of Fig. 4 and 5) is trained once: the same config gives a bit-identical
History, so the stored one is saved again under the new figure's name
(``--remake`` trains every run anew instead).

Every run is trained as every stored run is (``gdlib.paper.store.train_as_stored``,
on one BLAS thread): a product's sums are split differently on two threads, so only
one thread gives the same bits on every machine, and the book's check of seed 0
recomputes it so.
"""

import argparse
import sys

from gdlib.data import load_dataset
from gdlib.paper import figures
from gdlib.paper.store import RESULTS, train_as_stored


def stored_runs():
    """Every stored History, by config (for reuse across figures)."""
    return {h.config: h for h in RESULTS.runs()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures", nargs="*", default=sorted(figures.FIGURES),
                        help="figure names (default: all)")
    parser.add_argument("--seeds", type=int, nargs="*", default=list(figures.SEEDS))
    parser.add_argument("--missing", action="store_true",
                        help="skip runs whose file exists with the same config")
    parser.add_argument("--remake", action="store_true",
                        help="train every run, reusing none of the stored ones")
    args = parser.parse_args(argv)
    unknown = set(args.figures) - set(figures.FIGURES)
    if unknown:
        parser.error(f"unknown figures {sorted(unknown)}; "
                     f"choose from {sorted(figures.FIGURES)}")
    data = load_dataset("mnist")
    known = {} if args.remake else stored_runs()
    for name in args.figures:
        for seed in args.seeds:
            for label, cfg in figures.figure(name, seed).items():
                path = figures.result_path(name, label, seed)
                if args.missing and RESULTS.find(name, f"{label} seed{seed}", cfg):
                    continue
                if cfg in known:
                    history = known[cfg]
                else:
                    history = train_as_stored(cfg, data)   # the same bits on any machine
                how = "reused" if cfg in known else f"{history.meta['seconds']:.1f} s"
                figures.save_run(name, label, history)
                known[cfg] = history
                print(f"{name} {label!r} seed {seed}: {history!r} ({how}) -> {path}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
