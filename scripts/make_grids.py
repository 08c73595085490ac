"""Train every point of the MNIST panels' grids and store the Histories in gdlib/paper/grids/.

    python scripts/make_grids.py                  # every panel
    python scripts/make_grids.py ch4 ch7          # only these
    python scripts/make_grids.py --missing        # only points not stored yet (or stale)

The book's precomputed panels draw these runs; each build recomputes one
point per panel and fails if it drifted (gdlib.paper.panels.check_grid).
Each file records the config that made it; nothing here is edited by hand.
A config shared by several panels is trained once (the same config gives a
bit-identical History).  Runs use one BLAS thread, so the build's recompute
reproduces a grid point bit for bit on the same machine, whatever its cores.
(A live panel may take a second thread while the machine is idle; its run then
differs from the stored one in the last bits at most.)
Prints the time of each run and of each grid.
"""

import argparse
import sys
import time

from gdlib.data import load_dataset
from gdlib.paper import panels
from gdlib.paper.store import train_as_stored


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(panels.PANELS),
                        help=f"panels (default: all of {list(panels.PANELS)})")
    parser.add_argument("--missing", action="store_true",
                        help="skip points whose file exists with the same config")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(panels.PANELS)
    if unknown:
        parser.error(f"unknown panels {sorted(unknown)}; choose from {list(panels.PANELS)}")
    data = load_dataset("mnist")
    known = {}
    for name in args.names:
        spec = panels.PANELS[name]
        grid_start = time.perf_counter()
        trained = 0
        stored = panels.load_grid(name, strict=False) if args.missing else {}
        for index, config in spec.points():
            if args.missing and index in stored:
                continue
            history = known.get(config)
            if history is None:
                history = train_as_stored(config, data)   # the same bits on any machine
                trained += 1
            how = f"{history.meta['seconds']:.1f} s" if config not in known else "reused"
            known[config] = history
            panels.save_grid_run(name, index, history)
            print(f"{name} {index}: {history!r} ({how})", flush=True)
        print(f"{name}: {spec.size} points, {trained} trained, "
              f"{time.perf_counter() - grid_start:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
