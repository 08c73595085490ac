"""One store of stored runs: the paper's figure results and the panels' grids.

A stored run is one ``History`` in ``<folder>/<group>/<name>.npz`` that carries
the config which made it and a note of how.  The book keeps two folders of them,
each a ``Store`` with the script that makes it:

* ``RESULTS``: ``results/<figure>/<label>-seed<n>.npz``, the paper's figures for
  every seed (``gdlib.paper.figures``, ``scripts/make_results.py``); the
  environment variable ``GDLIB_RESULTS`` points to another folder;
* ``GRIDS``: ``grids/<panel>/<changes>.npz``, one run per point of a chapter's
  slider panel (``gdlib.paper.panels``, ``scripts/make_grids.py``).

The rules are the same for both.  A stored run is made, and recomputed to
check it, by ``train_as_stored``: on one BLAS thread, since a matrix product's
sums are split differently on two threads and only one thread gives the same
bits on every machine.  ``Store.save`` writes atomically (a failed save leaves
no partial file).  ``Store.load`` returns a run only if it was made from the
config asked for, and otherwise names the file, what differs and the command
that remakes it.  ``Store.compare`` is the one comparison of a recomputed run
with its stored twin.
"""

import dataclasses
import os
import platform
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..machine import BLAS_THREADS, limited_blas
from ..metrics import final_loss
from ..sweep import train_on_one_thread as train_as_stored  # how every stored run is made
from ..train import History

__all__ = ["Store", "RESULTS", "GRIDS", "Comparison", "StoredRunMissing", "StoredRunMismatch",
           "train_as_stored", "converged", "did_not_diverge", "slug", "limited_blas",
           "LOSS_TOLERANCE", "ACCURACY_TOLERANCE", "CONVERGED_ACCURACY"]

PACKAGE = Path(__file__).resolve().parent

# BLAS rounding differs between processors and grows over thousands of
# updates, so a recomputed run is compared by its summary, not bit for bit.
LOSS_TOLERANCE = 0.10      # relative, on the mean loss of the last 10 % of iterations
ACCURACY_TOLERANCE = 0.01  # absolute, on the final test accuracy
# A run that fails (diverges, or ends below this test accuracy) is chaotic: where
# it ends is not reproducible across processors, only that it fails.
CONVERGED_ACCURACY = 0.90


def converged(history):
    """True if the run did not diverge and ended at ``CONVERGED_ACCURACY`` or better."""
    return not history.diverged and float(history.test_acc[-1]) >= CONVERGED_ACCURACY


def did_not_diverge(history):
    """True if the run did not diverge: the success of a panel's short run, which
    rarely reaches ``CONVERGED_ACCURACY`` in its 200 updates."""
    return not history.diverged


def slug(text):
    """A file name from ``text``: lower case, each run of other characters than
    letters, digits, ``.`` and ``_`` made one ``-`` (``"eta = 0.1 seed0"`` ->
    ``"eta-0.1-seed0"``)."""
    return re.sub(r"[^a-z0-9._]+", "-", text.lower()).strip("-")


class StoredRunMissing(FileNotFoundError):
    """No file stores the run asked for."""


class StoredRunMismatch(ValueError):
    """The stored file holds a run of another config than the one asked for."""


@dataclass
class Comparison:
    """How a recomputed run compares with its stored twin."""

    label: str
    identical: bool         # every recorded number bit-for-bit equal
    loss_rel_diff: float    # relative difference of final_loss
    acc_diff: float         # absolute difference of the final test accuracy
    ok: bool                # within the tolerances

    def __repr__(self):
        return (f"{self.label}: identical={self.identical}, final-loss diff "
                f"{self.loss_rel_diff:.2%}, accuracy diff {self.acc_diff:.4f}, ok={self.ok}")


def _differences(stored, asked):
    """``"lr: stored 0.1, asked 0.01"`` for every field in which two configs differ."""
    return "; ".join(
        f"{f.name}: stored {getattr(stored, f.name)!r}, asked {getattr(asked, f.name)!r}"
        for f in dataclasses.fields(asked) if getattr(stored, f.name) != getattr(asked, f.name))


@dataclass(frozen=True)
class Store:
    """A folder of stored runs, ``<folder>/<group>/<name>.npz``, and the script that makes
    them (``python <script> <group>``).

    ``default``    the folder shipped inside the package
    ``script``     the script that makes the runs, from the repository's root
    ``env``        an environment variable that points to another folder (or None)
    ``succeeded``  what counts as a successful run in ``compare``
    """

    default: Path
    script: str
    env: str | None = None
    succeeded: Callable[[History], bool] = converged

    def folder(self, root=None):
        """Where the runs are: ``root``, else ``$env`` (an absolute path), else ``default``."""
        if root is not None:
            return Path(root)
        value = os.environ.get(self.env) if self.env else None
        if value:
            if not os.path.isabs(value):
                raise ValueError(f"{self.env} must be an absolute path, got {value!r}")
            return Path(value)
        return self.default

    def path(self, group, name, root=None):
        """The file of run ``name`` (made a ``slug``) of ``group`` (a figure, a panel)."""
        return self.folder(root) / group / f"{slug(name)}.npz"

    def remake(self, group):
        """The command that makes the runs of ``group`` again."""
        return f"python {self.script} {group}"

    def save(self, group, name, history, note, root=None):
        """Store ``history`` atomically, its ``meta`` set to ``note`` (what the run is in its
        group) and how it was made; returns the path."""
        path = self.path(group, name, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        history.meta = {**note, "gdlib": __version__, "numpy": np.__version__,
                        "machine": platform.machine(), "blas_threads": BLAS_THREADS,
                        "made_by": self.script}
        return history.save(path)

    def load(self, group, name, config, root=None):
        """The stored run ``name`` of ``group``, which must have been made from ``config``.

        Raises ``StoredRunMissing`` (a ``FileNotFoundError``) or ``StoredRunMismatch``
        (a ``ValueError``, naming the fields that differ), each with the command that
        makes the file anew.
        """
        path = self.path(group, name, root)
        if not path.exists():
            elsewhere = f" (or set {self.env} to a folder that holds it)" if self.env else ""
            raise StoredRunMissing(f"{path} is missing: make it with `{self.remake(group)}` "
                                   f"from the repository{elsewhere}")
        history = History.load(path)
        if history.config != config:
            raise StoredRunMismatch(
                f"{path} was made with a different config ({_differences(history.config, config)}"
                f"); recompute it with `{self.remake(group)}`")
        return history

    def find(self, group, name, config, root=None):
        """The stored run as ``load`` gives it, or None if it is missing or stale."""
        try:
            return self.load(group, name, config, root)
        except (StoredRunMissing, StoredRunMismatch):
            return None

    def runs(self, root=None):
        """Every stored History of every group, in the order of their paths."""
        return [History.load(p) for p in sorted(self.folder(root).glob("*/*.npz"))]

    def compare(self, label, live, stored):
        """How a recomputed run compares with its stored twin: the one comparison of
        stored runs.

        A twin that ``succeeded`` must be matched within the tolerances by a run that
        succeeded too; a twin that failed must fail again (where a failed run ends
        is not reproducible).
        """
        loss_diff = abs(final_loss(live) - final_loss(stored)) / final_loss(stored)
        acc_diff = abs(float(live.test_acc[-1]) - float(stored.test_acc[-1]))
        if self.succeeded(stored):
            ok = (self.succeeded(live) and loss_diff <= LOSS_TOLERANCE
                  and acc_diff <= ACCURACY_TOLERANCE)
        else:
            ok = not self.succeeded(live)
        return Comparison(label, live.equals(stored), loss_diff, acc_diff, ok)


RESULTS = Store(PACKAGE / "results", "scripts/make_results.py", env="GDLIB_RESULTS")
GRIDS = Store(PACKAGE / "grids", "scripts/make_grids.py", succeeded=did_not_diverge)
