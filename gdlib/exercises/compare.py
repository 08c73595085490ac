"""Checkers that compare an answer with a reference, and name the likely mistake.

``FunctionChecker`` runs the student's function and the reference on the same
small cases.  At the first case where they differ it says which output and
which element, and looks for the cause among known wrong versions of the
reference (``Variant``): a variant that gives exactly what the student's
function gave on every case is the likely mistake, and its hint is shown.
"""

import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .core import Checker, NotDone, Wrong, call, capital, describe, require_function


@dataclass(frozen=True)
class Case:
    """One call of the function under test: its arguments and, in words, which case it is."""

    args: tuple
    where: str          # "in step 2 of run 1", "in case 3 (logits near 1000)"


@dataclass(frozen=True)
class Variant:
    """A known wrong version of the reference, and the hint it earns."""

    hint: str
    function: Callable


def variant(hint):
    """Decorator: ``@variant("the sign is flipped: ...")`` over a wrong version."""
    return lambda function: Variant(hint, function)


# -- comparing numbers ---------------------------------------------------------

def as_numbers(value):
    """``value`` as a float64 array, or None if it is not (an array of) numbers."""
    if value is None or isinstance(value, (str, bytes, dict, bool)):
        return None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return None if array.dtype == object else array


def close(got, expected):
    """Elementwise: equal up to rounding (relative 1e-5, absolute 1e-8 of the largest)."""
    scale = np.max(np.abs(expected[np.isfinite(expected)]), initial=0.0) or 1.0
    return np.isclose(got, expected, rtol=1e-5, atol=1e-8 * scale, equal_nan=True)


def same(got, other):
    """True if ``got`` has the structure and (up to rounding) the numbers of ``other``."""
    if other is None or other is _FAILED:
        return got is other
    if isinstance(other, tuple):
        return (isinstance(got, (tuple, list)) and len(got) == len(other)
                and all(same(g, o) for g, o in zip(got, other, strict=True)))
    if isinstance(got, tuple):
        return False
    a, b = as_numbers(got), as_numbers(other)
    return a is not None and b is not None and a.shape == b.shape and bool(close(a, b).all())


def _number(x):
    return f"{x:.6g}"


def _element(name, shape, flat_index):
    if shape == ():
        return f"`{name}`"
    index = ", ".join(str(int(i)) for i in np.unravel_index(flat_index, shape))
    return f"`{name}[{index}]`"


def differs(got, expected, names):
    """None if ``got`` equals ``expected`` up to rounding, else what differs, in words.

    ``names`` are the names of the outputs: one name for a single value, several
    for a tuple such as ``(w, v)``.
    """
    if len(names) > 1:
        wanted = f"`({', '.join(names)})`"
        if not isinstance(got, (tuple, list)):
            return (f"it should return the {len(names)} values {wanted}, "
                    f"but returned {describe(got)}")
        if len(got) != len(names):
            return f"it returned {len(got)} values, but should return the {len(names)} {wanted}"
        for name, g, e in zip(names, got, expected, strict=True):
            problem = _array_differs(name, g, np.asarray(e, dtype=np.float64))
            if problem:
                return problem
        return None
    if isinstance(got, tuple):
        return f"it should return one value `{names[0]}`, but returned a tuple of {len(got)} items"
    return _array_differs(names[0], got, np.asarray(expected, dtype=np.float64))


def _array_differs(name, got, expected):
    kind = "a number" if expected.ndim == 0 else f"an array of shape {expected.shape}"
    a = as_numbers(got)
    if a is None:
        return f"`{name}` should be {kind}, but is {describe(got)}"
    if a.shape != expected.shape:
        return f"`{name}` should be {kind}, but has shape {a.shape}"
    bad = ~close(a, expected)
    if not bad.any():
        return None
    i = int(np.flatnonzero(bad)[0])
    count = f" ({int(bad.sum())} of {bad.size} elements differ)" if bad.size > 1 else ""
    return (f"{_element(name, a.shape, i)} should be {_number(expected.flat[i])}, "
            f"but is {_number(a.flat[i])}{count}")


def show_inputs(params, args, largest=8):
    """``w = [1, -2], lr = 0.1``: the arguments of a case; large or 2-D arrays by shape."""
    parts = []
    for name, value in zip(params, args, strict=True):
        if isinstance(value, np.ndarray) and (value.ndim != 1 or value.size > largest):
            parts.append(f"`{name}` of shape {value.shape}")
        elif isinstance(value, np.ndarray):
            parts.append(f"`{name} = [{', '.join(f'{x:.4g}' for x in value)}]`")
        elif isinstance(value, numbers.Real):
            parts.append(f"`{name} = {value:g}`")
    return ", ".join(parts)


def copies(args):
    """The arguments with every array copied, so no one can change the originals."""
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


_FAILED = object()    # what a variant "returns" where it raises: equal to no answer


def _output(function, args):
    """``function(*args)`` for a variant, or ``_FAILED`` if it fails on these inputs."""
    try:
        return function(*copies(args))
    except (ArithmeticError, ValueError, TypeError, IndexError):
        return _FAILED


# -- the checkers ----------------------------------------------------------------

class FunctionChecker(Checker):
    """Checks a function against ``reference`` on ``cases()`` and explains the first difference.

    ``signature``  how the function is called: ``"momentum_step(w, v, g, lr, momentum)"``
    ``returns``    what it returns: ``"(w, v)"`` for a tuple, ``"E"`` for one value
    ``task``       what it returns, in words, for the "not done yet" message
    ``reference``  the right function (gdlib's own code where it exists)
    ``cases``      a function returning the list of ``Case`` to try
    ``variants``   known mistakes, most specific first
    ``fallback``   the advice when no variant explains the difference
    ``error_hints`` pairs ``(words, hint)`` for exceptions whose text contains ``words``
    ``praise``     the confirmation, after "Correct: "
    """

    def __init__(self, label, signature, returns, *, task, reference, cases, variants,
                 fallback, praise, doc, error_hints=()):
        self.name, params = re.fullmatch(r"(\w+)\((.*)\)", signature).groups()
        self.params = tuple(p.strip() for p in params.split(","))
        self.signature = signature
        self.outputs = tuple(n.strip() for n in returns.strip("()").split(","))
        todo = f"write the body of `{signature}` so that it returns {task}."
        if len(self.outputs) > 1:
            todo += f" End it with `return {', '.join(self.outputs)}`."
        super().__init__(label, todo, doc)
        self.reference, self.cases, self.variants = reference, cases, tuple(variants)
        self.fallback, self.praise, self.error_hints = fallback, praise, tuple(error_hints)

    def check(self, answer):
        require_function(answer, self.name, self.params)
        seen, first = [], None    # (case, answer's output) for every case; the first mismatch
        for i, case in enumerate(self.cases()):
            try:
                got = call(answer, copies(case.args), name=self.name, where=case.where,
                           todo=self.todo, hints=self.error_hints)
            except (Wrong, NotDone):
                if first is None:
                    raise
                break             # already wrong: report that mismatch, not this
            if got is None and i == 0:
                raise NotDone(f"`{self.name}` returns None. {capital(self.todo)}")
            seen.append((case, got))
            problem = differs(got, self.reference(*copies(case.args)), self.outputs)
            if problem and first is None:
                first = (case, problem, got)
        if first is None:
            return self.praise
        case, problem, got = first
        hint = self.diagnose(seen, case, got)
        if hint is None and _fits(got, self.reference(*copies(case.args))):
            hint = self.fallback      # right shapes, wrong numbers: general advice
        hint = f"\nLikely cause: {capital(hint)}" if hint else ""
        raise Wrong(f"{capital(case.where)}, {problem}.{hint}\n"
                    f"Inputs: {show_inputs(self.params, case.args)}.")

    def diagnose(self, seen, case, got):
        """The hint of the variant that explains every output seen or, failing that, the
        output of the first failing case; None if no variant does."""
        for v in self.variants:
            if all(same(g, _output(v.function, c.args)) for c, g in seen):
                return v.hint
        for v in self.variants:
            if same(got, _output(v.function, case.args)):
                return v.hint
        return None


def _fits(got, expected):
    """True if ``got`` has the structure and shapes of ``expected`` (numbers aside)."""
    if isinstance(expected, tuple):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(_fits(g, e) for g, e in zip(got, expected, strict=True)))
    a = None if isinstance(got, tuple) else as_numbers(got)
    return a is not None and a.shape == np.shape(expected)
