"""Runs inside the kernel of a submission: once before the student's code, once after.

``start()`` (the grader's first cell) imports the checkers and records
what they rely on: the attributes of gdlib's loaded modules, of NumPy and of
the few standard modules they use, the code of every such function, the
namespace of gdlib's classes, and ``builtins``.

``finish(...)`` (the grader's last cell, after every cell of the notebook ran)
lists what was replaced since (``changes``), imports gdlib.exercises afresh
from the grader's own folder ``root`` (the loaded gdlib modules are dropped
first, so a patched one is never used), asks each exercise's checker about
the answer object of that name in the notebook's namespace, and writes the
verdicts to a file, one label at a time, so that the grader knows how far it
got if the kernel dies.

This guards against mistakes and casual tampering.  Code in the same process
can undo anything done here (see the teacher's guide); the grader runs each
submission in its own process and folder for that reason.
"""

import builtins
import json
import sys
import types
from pathlib import Path

WATCHED = ("gdlib", "numpy", "builtins", "json", "math", "inspect", "threading", "traceback",
           "numbers", "re", "ctypes", "dataclasses", "os", "io", "functools", "copy", "html")
# builtins that IPython and ipykernel set or swap per cell
KERNEL_BUILTINS = {"input", "raw_input", "getpass", "display", "get_ipython", "exit", "quit",
                   "help", "copyright", "credits", "license", "__IPYTHON__", "_", "__", "___"}

SNAPSHOT = None


def start():
    """Import the checkers and record what they rely on."""
    global SNAPSHOT
    import gdlib.exercises  # noqa: F401 -- the checkers, loaded before any student code

    SNAPSHOT = snapshot()


def snapshot():
    """``{"modules": {name: (module, attrs)}, "inner": {what: (holder, attrs)},
    "check": the check function}``; attrs are shallow copies, compared by identity."""
    modules, inner = {}, {}
    for name, module in list(sys.modules.items()):
        if (isinstance(module, types.ModuleType) and name.split(".")[0] in WATCHED
                and not name.startswith(__package__)):         # not the grader's own record
            modules[name] = (module, _attrs(name, module))
            for key, value in list(_attrs(name, module).items()):
                where = f"{name}.{key}"
                if isinstance(value, types.FunctionType):
                    inner[where] = (value, _function_state(value))
                elif name.startswith("gdlib") and _defined_in(value, name):
                    inner[where] = (value, dict(vars(value)))
                    for k, v in list(vars(value).items()):
                        if isinstance(v, types.FunctionType):
                            inner[f"{where}.{k}"] = (v, _function_state(v))
                elif name.startswith("gdlib") and isinstance(value, dict):
                    inner[where] = (value, dict(value))
    import gdlib.exercises

    return {"modules": modules, "inner": inner, "check": gdlib.exercises.check}


def changes(recorded):
    """What was replaced since ``snapshot()`` recorded ``recorded``, in words."""
    if not isinstance(recorded, dict) or not {"modules", "inner"} <= set(recorded):
        return ["the grader's record from before the notebook ran is gone "
                "(the kernel was reset, or the record was overwritten)"]
    found = []
    for name, (module, attrs) in recorded["modules"].items():
        now = _attrs(name, module)
        for key, value in attrs.items():
            if key not in now:
                found.append(f"`{name}.{key}` was deleted")
            elif now[key] is not value:
                found.append(f"`{name}.{key}` was replaced")
    for where, (holder, state) in recorded["inner"].items():
        now = (_function_state(holder) if isinstance(holder, types.FunctionType) else
               dict(holder) if isinstance(holder, dict) else dict(vars(holder)))
        if set(now) != set(state) or any(now[k] is not v for k, v in state.items()):
            found.append(f"`{where}` was changed")
    if sys.modules.get("builtins") is not builtins:
        found.append("`sys.modules['builtins']` was replaced")
    return sorted(set(found))


def finish(recorded, answers, names, out, root):
    """Grade: ``answers`` maps each label to the name of its answer object in ``names``
    (the notebook's namespace); the verdicts go to the JSON file ``out``."""
    verdicts = {"patched": changes(recorded), "check_rebound": False, "labels": {}}
    original = recorded.get("check") if isinstance(recorded, dict) else None
    verdicts["check_rebound"] = "check" in names and names["check"] is not original
    for name in [m for m in sys.modules if m == "gdlib" or m.startswith("gdlib.")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    import gdlib.exercises as real

    home = Path(real.__file__).resolve()
    if not home.is_relative_to(Path(root).resolve()):
        verdicts["patched"].append(f"gdlib.exercises came from {home}, not from {root}")
    _write(out, verdicts)
    for label, name in answers.items():
        if name not in names:
            verdicts["labels"][label] = {"status": "missing", "message": ""}
        else:
            result = real.check(label, names[name])
            verdicts["labels"][label] = {"status": result.status, "message": result.message}
        _write(out, verdicts)


def _write(out, verdicts):
    path = Path(out)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(verdicts), encoding="utf-8")
    partial.replace(path)


def _attrs(name, module):
    """The attributes of a watched module to compare: all of gdlib's; the callables of the
    others (their other globals, caches and counters, change as they work)."""
    items = dict(vars(module))
    if name == "builtins":
        return {k: v for k, v in items.items() if k not in KERNEL_BUILTINS}
    if name.startswith("gdlib"):                # not dunders, not the grader's own modules
        return {k: v for k, v in items.items() if not (k.startswith("__") and k.endswith("__"))
                and not getattr(v, "__name__", "").startswith(__package__)}
    return {k: v for k, v in items.items() if not k.startswith("_") and callable(v)}


def _function_state(function):
    return {"__code__": function.__code__, "__defaults__": function.__defaults__,
            "__kwdefaults__": function.__kwdefaults__}


def _defined_in(value, module_name):
    """A class, or an instance of a class, of gdlib's own (not an imported name)."""
    cls = value if isinstance(value, type) else type(value)
    return (getattr(cls, "__module__", "") or "").startswith("gdlib") and hasattr(value,
                                                                                  "__dict__")
