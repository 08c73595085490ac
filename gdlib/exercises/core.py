"""What every checker shares: run a student's code safely and report in words.

A checker is called with the student's answer (a function or a value) and
returns a ``Result``.  Nothing the answer does makes it raise: a wrong
result, an exception, an endless loop or an answer of the wrong kind all
become a ``Result`` whose message says what happened.  Inside a checker, the
helpers raise ``Wrong`` or ``NotDone`` with that message; ``Checker.__call__``
turns them into the ``Result``.

The student's code runs in a worker thread that gets ``time_limit`` seconds
(``TIME_LIMIT`` by default) for the whole check.  A thread cannot be killed
from outside; past the limit the checker asks it to stop (CPython delivers
the request at the next line of Python it runs) and reports the time-out.
"""

import ctypes
import html
import inspect
import numbers
import re
import sysconfig
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TIME_LIMIT = 3.0   # seconds one check may take, all its cases together (they need milliseconds)

CORRECT, WRONG, NOT_DONE, ERROR = "correct", "wrong", "not done", "error"
_LOOK = {CORRECT: ("\u2714", "#2e7d32"), WRONG: ("\u2718", "#c62828"),
         NOT_DONE: ("\u2026", "#8a6100"), ERROR: ("!", "#6a1b9a")}


@dataclass(frozen=True)
class Result:
    """The outcome of checking exercise ``label``: ``passed`` and a ``message`` in words.

    ``status`` is ``"correct"``, ``"wrong"``, ``"not done"`` or ``"error"`` (a bug
    in the checker itself).  ``bool(result)`` is ``result.passed``.  A notebook
    shows it as a short coloured note (``_repr_html_``), plain Jupyter front
    ends as Markdown, a console as text.
    """

    label: str
    status: str
    message: str

    @property
    def passed(self):
        return self.status == CORRECT

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return f"Exercise {self.label}: {self.message}"

    def _repr_markdown_(self):
        mark, _ = _LOOK[self.status]
        return f"{mark} **Exercise {self.label}.** " + "  \n".join(self.message.split("\n"))

    def _repr_html_(self):
        mark, colour = _LOOK[self.status]
        lines = (re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(line, quote=False))
                 for line in self.message.split("\n"))
        return (f'<div style="border-left: 4px solid {colour}; padding: 0.3em 0.8em; '
                f'margin: 0.4em 0"><strong style="color: {colour}">{mark} Exercise '
                f'{html.escape(self.label)}.</strong> ' + "<br>".join(lines) + "</div>")


class Wrong(Exception):
    """Raised inside a checker: the answer is wrong; the argument says how, in words."""


class NotDone(Exception):
    """Raised inside a checker: the exercise is not done yet; the argument says what to write."""


class _Stop(BaseException):
    """Sent into a check that ran past its time limit.  A BaseException, so that a
    student's ``except Exception`` does not swallow it."""


class Checker:
    """Base class: ``checker(answer, time_limit=TIME_LIMIT) -> Result``.

    A subclass implements ``check(answer)``, which returns the confirmation
    sentence for a right answer or raises ``Wrong`` / ``NotDone``.  ``todo``
    says what the student has to write; it is the message for an unfinished
    exercise (the answer ``...`` or ``None``, a stub that returns ``None`` or
    raises ``NotImplementedError``).
    """

    def __init__(self, label, todo, doc):
        self.label = label
        self.todo = todo
        self.__doc__ = doc

    def __call__(self, answer, *, time_limit=TIME_LIMIT):
        if not (isinstance(time_limit, numbers.Real) and time_limit > 0):
            raise ValueError(f"time_limit must be a number of seconds > 0, got {time_limit!r}")
        if answer is None or answer is Ellipsis:
            return Result(self.label, NOT_DONE, f"Not done yet: {self.todo}")
        outcome, value = run_limited(lambda: self.check(answer), time_limit)
        if outcome == "done":
            return Result(self.label, CORRECT, f"Correct: {value}")
        if outcome == "timeout":
            return Result(self.label, WRONG, _timeout_message(time_limit, stopped=value))
        if isinstance(value, NotDone):
            return Result(self.label, NOT_DONE, f"Not done yet: {value}")
        if isinstance(value, Wrong):
            return Result(self.label, WRONG, f"Not right yet. {value}")
        return Result(self.label, ERROR,
                      "The checker itself failed (a bug in gdlib.exercises, not in your answer): "
                      f"{type(value).__name__}: {_first_line(value)}. Please report it.")

    def check(self, answer):
        raise NotImplementedError

    def __repr__(self):
        return f"<checker of {(self.__doc__ or self.label).strip().splitlines()[0]}>"


def run_limited(work, time_limit):
    """Run ``work()`` in a worker thread for at most ``time_limit`` seconds.

    Returns ``("done", value)``, ``("raised", exception)`` or, past the
    limit, ``("timeout", stopped)`` where ``stopped`` says whether the thread
    ended after being asked to.  NumPy's floating-point warnings are silenced
    in the worker: the checker reports overflow and NaN in words.
    """
    box = {}

    def worker():
        try:
            try:
                with np.errstate(all="ignore"):
                    box["value"] = work()
            except BaseException as exc:   # noqa: BLE001 -- handed to the caller, never lost
                box["error"] = exc
        except _Stop:                      # a stop that came just as the work ended
            pass

    thread = threading.Thread(target=worker, name="gdlib-exercise-check", daemon=True)
    thread.start()
    try:
        thread.join(time_limit)
    except KeyboardInterrupt:          # the reader pressed stop: stop the worker too
        _ask_to_stop(thread)
        raise
    if thread.is_alive():
        _ask_to_stop(thread)
        thread.join(0.2)
        return "timeout", not thread.is_alive()
    if "error" in box:
        return "raised", box["error"]
    return "done", box["value"]


def _ask_to_stop(thread):
    """Raise ``_Stop`` inside ``thread`` at its next line of Python (CPython only)."""
    set_async_exc = getattr(getattr(ctypes, "pythonapi", None), "PyThreadState_SetAsyncExc", None)
    if set_async_exc is not None and thread.is_alive():
        set_async_exc(ctypes.c_ulong(thread.ident), ctypes.py_object(_Stop))


def _timeout_message(time_limit, stopped):
    after = ("It was stopped." if stopped else
             "It could not be stopped and may still be running; if the notebook gets slow, "
             "restart the kernel.")
    return (f"Not right yet: the check did not finish within {time_limit:g} s, although its "
            "cases are tiny and need milliseconds. Look for a loop that never ends (a `while` "
            f"whose condition never changes, a counter that is never increased). {after}")


def require_function(answer, name, params):
    """``Wrong`` unless ``answer`` is a function that can be called as ``name(*params)``."""
    call_text = f"{name}({', '.join(params)})"
    if not callable(answer):
        hint = ""
        if isinstance(answer, (tuple, list, np.ndarray, numbers.Number)):
            hint = (" It looks like the result of calling it: pass the function itself, "
                    f"without parentheses after its name, as in `check(..., {name})`.")
        raise Wrong(f"This exercise checks a function `{call_text}`, but the answer is "
                    f"{describe(answer)}.{hint}")
    try:
        signature = inspect.signature(answer)
    except (TypeError, ValueError):    # some built-ins have none; just call them
        return
    try:
        signature.bind(*params)
    except TypeError:
        own = getattr(answer, "__name__", name)
        raise Wrong(f"The function must take {len(params)} arguments, `{call_text}`; "
                    f"yours is `{own}{signature}`.") from None


def call(function, args, *, name, where, todo, hints=()):
    """``function(*args)``; an exception from it becomes ``Wrong`` (or ``NotDone``) in words.

    ``where`` names the case ("in step 2 of run 1"); ``hints`` are pairs
    ``(words, hint)``: if the exception's text contains ``words``, the hint
    is added as the likely cause.
    """
    try:
        return function(*args)
    except _Stop:
        raise
    except NotImplementedError:
        raise NotDone(todo) from None
    except BaseException as exc:       # noqa: BLE001 -- the student's exception, reported
        text = _first_line(exc)
        message = f"{capital(where)}, `{name}` raised {type(exc).__name__}: {text}"
        message += _where_in_students_code(exc) + "."
        for words, hint in hints:
            if words in text:
                message += f"\nLikely cause: {capital(hint)}"
                break
        raise Wrong(message) from None


def capital(text):
    """``text`` with its first letter in upper case (``str.capitalize`` lowers the rest)."""
    return text[:1].upper() + text[1:]


def _first_line(exc, limit=200):
    text = str(exc).strip().split("\n")[0] or "(no message)"
    return text if len(text) <= limit else text[:limit] + "..."


_LIBRARY_DIRS = tuple({str(Path(p).resolve()) for p in (
    Path(np.__file__).parent, Path(__file__).parent.parent,
    sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
    sysconfig.get_paths()["platlib"])})


def _where_in_students_code(exc):
    """`` (in `f`, line 3: `code`)`` for the innermost frame of the student's own code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not str(Path(f.filename).resolve()).startswith(_LIBRARY_DIRS)]
    if not frames:
        return ""
    frame = frames[-1]
    line = f": `{frame.line.strip()}`" if frame.line else ""
    return f" (in `{frame.name}`, line {frame.lineno}{line})"


def describe(value):
    """A few words for what ``value`` is: 'None', 'a tuple of 2 items', ..."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, numbers.Number):
        return f"the number {value}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}" + (
            "" if np.issubdtype(value.dtype, np.number) else f" and dtype {value.dtype}")
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if callable(value):
        return f"the function `{getattr(value, '__name__', type(value).__name__)}`"
    return f"an object of type {type(value).__name__}"
