"""Grade a class: ``python -m gdlib.exercises.grade FILES... --out DIR``.

Each submitted notebook (any edition of one chapter: the student edition, a
Binder copy of the book's notebook, a Colab copy of the plain edition) is
rebuilt from the chapter's pristine student-edition cells and the student's
answer cells only, run top to bottom in a fresh kernel in its own process and
temporary folder (memory and time limits, one BLAS thread), and each code
exercise's answer is put to the book's own checker afterwards (see
``gdlib.exercises.grading``).  Written: ``DIR/gradebook.csv`` (one row per
file) and ``DIR/feedback/<file>.html`` (one page per file).  The submissions
are never modified.  Needs the ``grade`` extra (nbclient): ``pip install -e .[grade]``.
"""

import argparse
import collections
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .grading import chapters, report, submission

ROOT = Path(__file__).resolve().parent.parent.parent       # the folder gdlib is imported from
ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m gdlib.exercises.grade",
                                description=__doc__.splitlines()[0].split(": ")[0])
    p.add_argument("files", nargs="+", type=Path, help="the submitted notebooks")
    p.add_argument("--out", required=True, type=Path, help="folder for the gradebook")
    p.add_argument("--chapter", help="the chapter to grade (number or file stem); default: "
                   "the chapter most of the files are")
    p.add_argument("--book", type=Path, help="the book's checkout, or the student edition "
                   f"handed out (default: {chapters.DEFAULT_BOOK})")
    p.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)),
                   help="submissions graded at once (default: one per core)")
    p.add_argument("--cell-timeout", type=float, default=60.0,
                   help="seconds an answer cell may run (default 60)")
    p.add_argument("--book-cell-timeout", type=float, default=600.0,
                   help="seconds a cell of the book may run (default 600, the book's own)")
    p.add_argument("--timeout", type=float, default=1200.0,
                   help="seconds a whole notebook may run (default 1200)")
    p.add_argument("--memory", type=float, default=4.0,
                   help="GB of memory per submission's kernel (default 4)")
    args = p.parse_args(argv)
    for name in ("jobs", "cell_timeout", "book_cell_timeout", "timeout", "memory"):
        if not getattr(args, name) > 0:
            p.error(f"--{name.replace('_', '-')} must be > 0, got {getattr(args, name)}")
    return args


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        import nbclient  # noqa: F401 -- the workers run each submission through it
    except ImportError:
        raise SystemExit("the grader runs notebooks with nbclient, which is not installed: "
                         "pip install -e '.[grade]' in the book's checkout") from None
    book = chapters.Book(args.book)
    start = time.perf_counter()
    found = {}                                        # file -> (notebook, chapter) or reason
    for path in args.files:
        try:
            nb = submission.read_notebook(path)
            found[path] = (nb, book.identify(nb))
        except submission.Unreadable as exc:
            found[path] = str(exc)
    target = _target(book, args.chapter, found)
    names = _display_names(args.files)
    rows = {}
    jobs = {}
    for path, what in found.items():
        if isinstance(what, str):
            rows[path] = report.row(names[path], None, {}, [what])
        elif what[1] is None:
            rows[path] = report.row(names[path], None, {}, [
                "not a notebook of this book: none of its cells is one of the book's"])
        elif what[1].stem != target.stem:
            rows[path] = report.row(names[path], None, {}, [
                f"a notebook of {what[1].stem}, not of {target.stem}, the chapter graded: "
                "not graded"])
        else:
            jobs[path] = what[0]
    args.out.mkdir(parents=True, exist_ok=True)
    env = _environment(args.out)
    before = _fingerprint()
    with tempfile.TemporaryDirectory(prefix="gdlib-grade-jobs-") as tmp, \
            ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {path: pool.submit(_grade_one, path, nb, target, args, Path(tmp), env)
                   for path, nb in jobs.items()}
        for k, (path, future) in enumerate(futures.items(), 1):
            rows[path] = report.row(names[path], target, *future.result())
            print(f"[{k}/{len(futures)}] {names[path]}: {rows[path]['passed']} passed",
                  file=sys.stderr, flush=True)
    if _fingerprint() != before:
        raise SystemExit(f"gdlib's own files under {ROOT / 'gdlib'} changed while the "
                         "submissions ran: a submission wrote into them, so no grade can be "
                         "trusted. Restore gdlib (git checkout gdlib) and grade in a container "
                         "or a throw-away account (see the teacher's guide)")
    ordered = [rows[p] for p in args.files]
    report.write_gradebook(args.out / "gradebook.csv", target, ordered)
    (args.out / "feedback").mkdir(exist_ok=True)
    for r in ordered:
        page = args.out / "feedback" / (r["file"].replace("/", "__") + ".html")
        page.write_text(report.feedback_page(r["file"], target if r["chapter"] else None, r),
                        encoding="utf-8")
    seconds = time.perf_counter() - start
    print(f"graded {len(jobs)} of {len(args.files)} files ({target.stem}) in {seconds:.0f} s "
          f"on {args.jobs} processes: {args.out / 'gradebook.csv'}")
    return 0


def _fingerprint():
    """A digest of gdlib's source files: the checkers the grade comes from."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "gdlib").rglob("*.py")):
        digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def _target(book, chosen, found):
    if chosen is not None:
        return book.chapter(chosen)
    seen = collections.Counter(w[1].stem for w in found.values()
                               if not isinstance(w, str) and w[1] is not None)
    if not seen:
        raise SystemExit("none of the files is a notebook of the book: nothing to grade")
    (first, n), *rest = seen.most_common()
    if rest and rest[0][1] == n:
        raise SystemExit(f"as many files are {first} as {rest[0][0]}: say which chapter to "
                         "grade with --chapter")
    return book.chapters[first]


def _display_names(files):
    """Each file's name as the gradebook gives it: as short as keeps them apart."""
    resolved = [p.resolve() for p in files]
    names = {p: p.name for p in files}
    if len(set(names.values())) < len(files):
        common = Path(os.path.commonpath(resolved))
        names = {p: r.relative_to(common).as_posix() for p, r in zip(files, resolved, strict=True)}
    return names


def _environment(out):
    env = {k: v for k, v in os.environ.items()
           if k not in ("GDLIB_BOOK_STRICT", "GDLIB_WIDGETS", "MPLBACKEND", "PYTHONSTARTUP")}
    env.update({k: "1" for k in ONE_THREAD})
    env["MPLBACKEND"] = "Agg"                  # no figure is drawn for anyone to see
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    # the chapter's figure runs are the same for every student: trained once, then read
    env.setdefault("GDLIB_RUN_CACHE", str(Path(out).resolve() / "run-cache"))
    return env


def make_job(nb, chapter, args, result):
    """What the worker needs: the rebuilt notebook, the answers, the limits."""
    taken = submission.take_answers(nb, chapter)
    imports = submission.imported_names(chapter.notebook)
    readings = {a.label: submission.read_answer(taken.sources.get(a.label, ""), imports)
                for a in chapter.answers}
    rebuilt = submission.rebuild(chapter, taken)
    stubs = {a.label: chapters.cell_text(next(c for c in chapter.notebook["cells"]
                                              if c.get("id") == a.cell_id))
             for a in chapter.answers}
    job = {"notebook": rebuilt, "root": str(ROOT), "result": str(result), "stubs": stubs,
           "answers": {a.label: {"name": a.name} for a in chapter.answers},
           "cell_labels": {a.cell_id: a.label for a in chapter.answers},
           "cell_timeout": args.cell_timeout, "book_cell_timeout": args.book_cell_timeout,
           "notebook_timeout": args.timeout, "memory": int(args.memory * 1e9),
           "file_size": 200_000_000}
    return job, taken, readings


def _grade_one(path, nb, chapter, args, tmp, env):
    """``(grades, notes)`` of one submission, run in a worker process of its own."""
    folder = Path(tempfile.mkdtemp(dir=tmp))
    job, taken, readings = make_job(nb, chapter, args, folder / "result.json")
    (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "gdlib.exercises.grading.worker", str(folder / "job.json")],
        env=env, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        log, _ = process.communicate(timeout=args.timeout + 180)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        log, _ = process.communicate()
    result = folder / "result.json"
    if result.is_file():
        seen = json.loads(result.read_text(encoding="utf-8"))
    else:
        tail = log.decode("utf-8", "replace").strip().splitlines()[-3:]
        seen = {"stopped": "the grader's worker failed (a bug in the grader, not in the "
                           f"answer): {' / '.join(tail) or 'no output'}"}
    grades = {a.label: report.verdict(a, taken, readings[a.label], seen)
              for a in chapter.answers}
    return grades, report.notes(chapter, taken, readings, seen)


if __name__ == "__main__":
    sys.exit(main())
