"""Train every point of the MNIST panels' grids and store the Histories in gdlib/paper/grids/.

    python scripts/make_grids.py                  # every panel
    python scripts/make_grids.py ch4 ch7          # only these
    python scripts/make_grids.py --missing        # only points not stored yet (or stale)
    python scripts/make_grids.py --workers 1      # one process (default: every usable core)

The book's precomputed panels draw these runs; each build recomputes one
point per panel and fails if it drifted (gdlib.paper.panels.check_grid).
Each file records the config that made it; nothing here is edited by hand.
The points are one sweep (``gdlib.sweep``) over this machine's cores; a config
shared by several panels is trained once (the same config gives a
bit-identical History).  Runs use one BLAS thread, set inside each task, so the
build's recompute reproduces a grid point bit for bit on the same machine,
whatever its cores.  (A live panel may take a second thread while the machine
is idle; its run then differs from the stored one in the last bits at most.)
Prints the time of each run and of the sweep.
"""

import argparse
import sys
import time

from gdlib.paper import panels
from gdlib.sweep import sweep


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(panels.PANELS),
                        help=f"panels (default: all of {list(panels.PANELS)})")
    parser.add_argument("--missing", action="store_true",
                        help="skip points whose file exists with the same config")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes (default: the usable cores)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(panels.PANELS)
    if unknown:
        parser.error(f"unknown panels {sorted(unknown)}; choose from {list(panels.PANELS)}")
    wanted = {}                                    # config -> [(panel, index)] to store it as
    for name in args.names:
        stored = panels.load_grid(name, strict=False) if args.missing else {}
        for index, config in panels.PANELS[name].points():
            if index not in stored:
                wanted.setdefault(config, []).append((name, index))

    def store(config, history):
        seconds = history.meta["seconds"]
        for name, index in wanted[config]:
            panels.save_grid_run(name, index, history)
            print(f"{name} {index}: {history!r} ({seconds:.1f} s)", flush=True)

    start = time.perf_counter()
    sweep(list(wanted), workers=args.workers, report=store)
    points = sum(map(len, wanted.values()))
    print(f"{points} points of {args.names}, {len(wanted)} trained, "
          f"{time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
