"""Grading a class: thirty chapter-5 notebooks on two cores, wall time.

    python benchmarks/grading.py [--students 30] [--jobs 2] [--warm] [--json FILE]

Makes ``--students`` submissions of chapter 5 from its student edition (a
third correct, a third with a typical mistake of Exercise 5.1, a third not
done), grades them with ``python -m gdlib.exercises.grade --jobs 2`` as a
teacher would, and prints the wall time with the machine's load average
before and after (other processes on the cores make it slower).  The target
of issue 22 is at most 15 minutes for thirty.

The grader trains the chapter's figure runs once and reads them for every
other student (its run cache, in the output folder).  By default that cache
starts empty, as for a teacher who never built the book; ``--warm`` uses
``$GDLIB_RUN_CACHE`` instead (the book build's).  Needs MNIST (``GDLIB_DATA``).
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import editions  # noqa: E402

ANSWERS = {   # Exercise 5.1: what a third of the class writes each
    "correct": "    v = momentum * v + lr * g\n    w = w - v\n",
    "mistake": "    v = momentum * v + g\n    w = w - lr * v\n",     # PyTorch's form of eq. (9)
    "not-done": None,
}


def submissions(folder, students):
    nb = editions.student_notebook(json.loads(
        (ROOT / "chapters" / "05_momentum.ipynb").read_text(encoding="utf-8")))
    kinds = list(ANSWERS)
    files = []
    for k in range(students):
        kind = kinds[k % len(kinds)]
        copy = json.loads(json.dumps(nb))
        cell = next(c for c in copy["cells"] if "exercise" in c["metadata"].get("tags", []))
        if ANSWERS[kind] is not None:
            cell["source"] = ("def momentum_step(w, v, g, lr, momentum):\n" + ANSWERS[kind]
                              + '    return w, v\n\n\ncheck("5.1", momentum_step)\n')
        path = folder / f"student{k + 1:02d}-{kind}.ipynb"
        path.write_text(json.dumps(copy, indent=1), encoding="utf-8")
        files.append(path)
    return files


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--warm", action="store_true", help="use $GDLIB_RUN_CACHE")
    p.add_argument("--json", type=Path, help="write the figures to this file")
    args = p.parse_args(argv)
    env = dict(os.environ)
    if not args.warm:
        env.pop("GDLIB_RUN_CACHE", None)
    with tempfile.TemporaryDirectory(prefix="gdlib-grading-bench-") as tmp:
        files = submissions(Path(tmp), args.students)
        load0 = os.getloadavg()[0]
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "gdlib.exercises.grade", *map(str, files),
                               "--out", str(Path(tmp) / "out"), "--jobs", str(args.jobs)],
                              env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        load1 = os.getloadavg()[0]
        if done.returncode:
            raise SystemExit(done.stdout + done.stderr)
        with open(Path(tmp) / "out" / "gradebook.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    passed = sum(r["5.1"] == "passed" for r in rows)
    expected = sum("correct" in f.name for f in files)
    print(f"{len(rows)} chapter-5 notebooks on {args.jobs} processes "
          f"({'warm' if args.warm else 'empty'} run cache): {seconds / 60:.1f} min "
          f"({seconds / len(rows):.0f} s per notebook); {passed} passed ({expected} expected)")
    print(f"load average {load0:.2f} at the start, {load1:.2f} at the end "
          f"({os.cpu_count()} cores)")
    if passed != expected:
        raise SystemExit("the gradebook does not match the submissions")
    if args.json:
        args.json.write_text(json.dumps({
            "students": len(rows), "jobs": args.jobs, "warm_cache": args.warm,
            "seconds": round(seconds, 1), "load_average": [round(load0, 2), round(load1, 2)],
            "cores": os.cpu_count()}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
