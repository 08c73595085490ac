"""The grade in words: one gradebook row and one feedback page per submission.

``verdict`` turns what the worker saw (and what reading the answer cells
found) into ``passed`` / ``not passed`` and one message per exercise;
``write_gradebook`` writes ``gradebook.csv`` (one row per submitted file,
columns ``file``, ``chapter``, ``passed``, then ``2.1`` and ``2.1 message``
for each code exercise, then ``notes``); ``feedback_page`` is the HTML page
a student gets.
"""

import csv
import html
import re

PASSED, NOT_PASSED = "passed", "not passed"


def verdict(answer, taken, reading, report):
    """``(passed or not passed, message)`` for exercise ``answer`` of one submission."""
    label, name = answer.label, answer.name
    cell = report.get("cells", {}).get(label, {})
    got = report.get("verdicts", {}).get(label)
    if label in taken.missing:
        return NOT_PASSED, f"Not graded: {taken.missing[label]}."
    if reading.syntax:
        return NOT_PASSED, f"Not graded: {reading.syntax}; the cell could not run."
    if patched(reading, report):
        return NOT_PASSED, ("Not graded: the notebook replaced what the book's checkers rely "
                            f"on ({'; '.join(patched(reading, report))}). Ask the student.")
    for kind in ("timeout", "died"):
        if kind in cell:
            return NOT_PASSED, f"Not graded: the answer cell {cell[kind]}."
    if got is None:
        why = report.get("stopped") or "the notebook stopped before the checker ran"
        return NOT_PASSED, f"Not graded: {why}."
    raised = f" The answer cell raised {cell['error']}." if cell.get("error") else ""
    if got["status"] == "missing":
        others = sorted(reading.defines - {name, "check"})
        instead = (f" The answer cell defines {', '.join(f'`{n}`' for n in others)}; the "
                   f"exercise asks for `{name}` (keep the name the task gives)."
                   if others and name not in reading.defines else "")
        return NOT_PASSED, f"Not graded: no `{name}` once the notebook had run.{instead}{raised}"
    return (PASSED if got["status"] == "correct" else NOT_PASSED), got["message"] + raised


def patched(reading, report):
    """What the answer cells (read) or the run (seen by the probe) replaced."""
    lines = [f"line {line} of an answer cell sets `{what}`" for line, what in reading.patches]
    return lines + list(report.get("patched", []))


def notes(chapter, taken, readings, report):
    """Sentences about the submission as a whole, for the gradebook's last column."""
    out = list(taken.notes)
    for label, reading in readings.items():
        if reading.rebinds_check:
            lines = ", ".join(map(str, reading.rebinds_check))
            out.append(f"the answer cell of {label} redefines `check` (line {lines}); the "
                       "grade comes from the book's checker")
        printed = report.get("cells", {}).get(label, {}).get("printed", 0)
        if printed > 100_000:
            out.append(f"the answer cell of {label} printed {printed / 1e6:.1f} MB (outputs "
                       "are not kept)")
    if report.get("check_rebound") and not any(r.rebinds_check for r in readings.values()):
        out.append("`check` was redefined while the notebook ran; the grade comes from the "
                   "book's checker")
    if report.get("book_error"):
        out.append(f"after the student's code ran, {report['book_error']}")
    if report.get("stopped"):
        out.append(f"the run stopped: {report['stopped']}")
    if report.get("attempts", 1) > 1:
        out.append(f"run {report['attempts']} times: an answer cell that stopped the run was "
                   "put back to its stub so that the other exercises could be graded")
    return out


def columns(chapter):
    labels = [a.label for a in chapter.answers]
    return ["file", "chapter", "passed", *[c for lab in labels for c in (lab, f"{lab} message")],
            "notes"]


def row(file, chapter, grades, notes_):
    """A gradebook row: ``grades`` maps each label to ``(passed or not passed, message)``."""
    out = {"file": file, "chapter": chapter.stem if chapter else "", "notes": "; ".join(notes_)}
    if chapter is not None:
        done = sum(grades[a.label][0] == PASSED for a in chapter.answers)
        out["passed"] = f"{done} of {len(chapter.answers)}"
        for answer in chapter.answers:
            out[answer.label], out[f"{answer.label} message"] = grades[answer.label]
    return out


def write_gradebook(path, chapter, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns(chapter), restval="")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r.get(k, "") for k in columns(chapter)})


def feedback_page(file, chapter, r):
    """The HTML page for one submission: each code exercise, done or not, and why."""
    items = []
    for answer in chapter.answers if chapter else ():
        state, message = r[answer.label], r[f"{answer.label} message"]
        mark, colour = ("\u2714", "#2e7d32") if state == PASSED else ("\u2718", "#c62828")
        title = f": {html.escape(answer.title)}" if answer.title else ""
        items.append(f'<li style="border-left: 4px solid {colour}; padding: 0.2em 0.8em">'
                     f'<strong style="color: {colour}">{mark} Exercise {answer.label}{title}'
                     f"</strong>: {state}<br>{_text(message)}</li>")
    summary = (f"{r['passed']} code exercises passed." if chapter else
               "This file could not be graded.")
    note = f"<h2>Notes</h2><p>{_text(r['notes'])}</p>" if r.get("notes") else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Feedback: {html.escape(file)}</title>
<style>body {{ font-family: sans-serif; max-width: 46em; margin: 2em auto; line-height: 1.5;
padding: 0 1em }} li {{ margin: 0.8em 0; list-style: none }} code {{ background: #f2f2f2 }}
</style></head><body>
<h1>Feedback on {html.escape(file)}</h1>
<p>{html.escape(f"Chapter {chapter.stem}: " if chapter else "")}{summary}</p>
<ul>{"".join(items)}</ul>
{note}
</body></html>
"""


def _text(message):
    """Plain text with `code` spans, as HTML."""
    escaped = html.escape(message, quote=False).replace("\n", "<br>")
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
