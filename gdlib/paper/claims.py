"""The paper's conclusions (Kang 2020, Sec. 4 and 5) checked against measured runs.

Each claim is a function of the stored multi-seed Histories (``figures.
load_figure``) that returns a ``Claim``: the paper's statement, the measured
evidence as mean +/- standard deviation over seeds, and whether the
measurement supports it.  The criteria are written out in each function's
docstring and in ``Claim.criterion``, so a reader can disagree with a
threshold and see exactly what would change: the thresholds below are read
each time a claim is checked, so setting ``claims.LOSS_THRESHOLD = 0.2``
changes both the evidence and the verdict.  The measurements themselves are
``gdlib.metrics``.
"""

from dataclasses import dataclass

import numpy as np

from ..metrics import final_accuracy, final_loss, fluctuation, iterations_to, per_seed, spread
from .figures import CONVERGED_ACCURACY

__all__ = ["Claim", "check_claims", "speed", "CONVERGED_ACCURACY", "LOSS_THRESHOLD",
           "SMOOTHING", "SMALL_ACCURACY_GAP"]

LOSS_THRESHOLD = 0.3        # "faster" = fewer iterations until the smoothed loss is below this
SMOOTHING = 50              # window (iterations) of the moving average for that test
SMALL_ACCURACY_GAP = 0.01   # a "small difference": final test accuracies within 1 point


@dataclass
class Claim:
    """One conclusion of the paper and what the measurements say about it."""

    section: str       # where the paper says it
    statement: str     # the paper's claim, in English
    evidence: str      # measured numbers, mean +/- std over seeds
    criterion: str     # what "reproduces" was taken to mean
    reproduces: bool

    def __repr__(self):
        verdict = "reproduces" if self.reproduces else "does not reproduce"
        return f"Claim({self.section}: {self.statement!r} -> {verdict})"


def speed(history):
    """Iterations until the loss smoothed over ``SMOOTHING`` is below ``LOSS_THRESHOLD``
    (inf if never): what "faster" means in the claims.  Both are read at call time."""
    return iterations_to(history, LOSS_THRESHOLD, SMOOTHING)


def batch_one(fig3, fig4):
    """Sec. 5: at batch size 1 the loss fluctuates strongly; eta = 0.01 converges, 0.1 does not.

    Reproduces if every seed at 0.01 reaches ``CONVERGED_ACCURACY``, no seed at
    0.1 does (or it diverged), and the batch-1 loss fluctuates more than the
    batch-256 loss at the same eta in every seed.
    """
    acc_01, acc_1 = per_seed(fig3["eta = 0.01"], final_accuracy), per_seed(
        fig3["eta = 0.1"], final_accuracy)
    fl_1 = per_seed(fig3["eta = 0.01"], fluctuation)
    fl_256 = per_seed(fig4["eta = 0.01"], fluctuation)
    diverged = sum(h.diverged for h in fig3["eta = 0.1"])
    ok = (acc_01 >= CONVERGED_ACCURACY).all() and (acc_1 < CONVERGED_ACCURACY).all() \
        and (fl_1 > fl_256).all()
    return Claim(
        "Sec. 4, 5, Fig. 3",
        "Batch size 1 fluctuates strongly; it converges at eta = 0.01 but not at eta = 0.1.",
        f"final test accuracy: eta 0.01 {spread(acc_01)}, eta 0.1 {spread(acc_1)} "
        f"({diverged} of {len(acc_1)} diverged); loss fluctuation (std, last 10 %): "
        f"batch 1 {spread(fl_1, '{:.3f}')}, batch 256 {spread(fl_256, '{:.3f}')}",
        f"eta 0.01 reaches {CONVERGED_ACCURACY:.0%} test accuracy in every seed, eta 0.1 in "
        "none; batch 1 fluctuates more than batch 256 in every seed",
        bool(ok))


def batch_256(fig4):
    """Sec. 4, 5: at batch size 256 both learning rates converge, eta = 0.1 faster.

    Reproduces if every run reaches ``CONVERGED_ACCURACY`` and eta = 0.1 gets
    its smoothed loss below ``LOSS_THRESHOLD`` sooner than eta = 0.01 in every seed.
    """
    fast, slow = fig4["eta = 0.1"], fig4["eta = 0.01"]
    acc_f, acc_s = per_seed(fast, final_accuracy), per_seed(slow, final_accuracy)
    it_f, it_s = per_seed(fast, speed), per_seed(slow, speed)
    ok = (acc_f >= CONVERGED_ACCURACY).all() and (acc_s >= CONVERGED_ACCURACY).all() \
        and (it_f < it_s).all()
    return Claim(
        "Sec. 4, 5, Fig. 4",
        "Batch size 256 converges at both eta = 0.1 and eta = 0.01; eta = 0.1 converges faster.",
        f"final test accuracy: eta 0.1 {spread(acc_f)}, eta 0.01 {spread(acc_s)}; "
        f"iterations to smoothed loss < {LOSS_THRESHOLD}: eta 0.1 {spread(it_f, '{:.0f}')}, "
        f"eta 0.01 {spread(it_s, '{:.0f}')}",
        f"both reach {CONVERGED_ACCURACY:.0%} in every seed; eta 0.1 crosses the loss "
        "threshold first in every seed",
        bool(ok))


MOMENTA = (0.1, 0.3, 0.5, 0.7)   # the paper's Fig. 5


def _momentum_runs(fig5):
    return [fig5[f"momentum = {m}"] for m in MOMENTA]


def momentum_faster(fig5):
    """Sec. 5: the larger the momentum, the faster the convergence.

    Over the paper's momenta 0.1, 0.3, 0.5, 0.7: reproduces if both the mean
    final loss and the mean number of iterations to ``LOSS_THRESHOLD`` fall as
    the momentum grows.
    """
    runs = _momentum_runs(fig5)
    losses = [per_seed(r, final_loss) for r in runs]
    its = [per_seed(r, speed) for r in runs]
    ok = _decreasing([v.mean() for v in losses]) and _decreasing([v.mean() for v in its])
    return Claim(
        "Sec. 5, Fig. 5",
        "The larger the momentum, the faster it converges.",
        "final loss / iterations to smoothed loss < "
        f"{LOSS_THRESHOLD}: " + "; ".join(
            f"{m}: {spread(l_)} / {spread(i, '{:.0f}')}"
            for m, l_, i in zip(MOMENTA, losses, its, strict=True)),
        "mean final loss and mean iterations to the loss threshold both fall from "
        "momentum 0.1 to 0.7",
        bool(ok))


def momentum_small_differences(fig5):
    """Sec. 5: the momenta differ little ("큰 차이를 나타내지 않았다").

    Reproduces if the mean final test accuracies of momentum 0.1 and 0.7
    differ by less than ``SMALL_ACCURACY_GAP``.
    """
    runs = _momentum_runs(fig5)
    acc = [per_seed(r, final_accuracy) for r in runs]
    gap = acc[-1].mean() - acc[0].mean()
    return Claim(
        "Sec. 5, Fig. 5",
        "The differences between the momenta are small.",
        "final test accuracy: " + "; ".join(
            f"{m}: {spread(a)}" for m, a in zip(MOMENTA, acc, strict=True))
        + f"; 0.7 minus 0.1: {gap:+.4f}",
        f"momentum 0.1 and 0.7 end within {SMALL_ACCURACY_GAP:.0%} test accuracy",
        bool(abs(gap) < SMALL_ACCURACY_GAP))


def _decreasing(values):
    return all(a > b for a, b in zip(values, values[1:], strict=False))


def adadelta_window(fig6):
    """Sec. 4: Adadelta's window matters little; a larger window (smaller gamma) is slightly faster.

    Reproduces if gamma = 0.1 (window 19) has the lowest mean final loss of
    gamma 0.5, 0.3, 0.1, and all final test accuracies lie within
    ``SMALL_ACCURACY_GAP`` of each other.
    """
    labels = [f"gamma = {g}" for g in (0.5, 0.3, 0.1)]
    losses = [per_seed(fig6[k], final_loss) for k in labels]
    acc = [per_seed(fig6[k], final_accuracy).mean() for k in labels]
    ok = int(np.argmin([v.mean() for v in losses])) == 2 and \
        max(acc) - min(acc) < SMALL_ACCURACY_GAP
    return Claim(
        "Sec. 4, Fig. 6",
        "Adadelta's window size makes little difference; a larger window converges slightly "
        "faster.",
        "final loss: " + "; ".join(f"gamma {k.split()[-1]}: {spread(v)}" for k, v in
                                   zip(labels, losses, strict=True))
        + f"; spread of mean test accuracies {max(acc) - min(acc):.4f}",
        "gamma 0.1 (window 19) has the lowest mean final loss, and mean test accuracies "
        f"lie within {SMALL_ACCURACY_GAP:.0%}",
        bool(ok))


def adagrad_vs_adadelta(fig7, adadelta_label):
    """Sec. 4, 5: AdaGrad and Adadelta end close; Adadelta is slightly ahead late in training.

    Reproduces if the mean final test accuracies differ by less than
    ``SMALL_ACCURACY_GAP`` and Adadelta's mean final loss is the lower one.
    ``adadelta_label`` picks the reading of "eta = 0.01" for Adadelta.
    """
    ada, delta = fig7["AdaGrad"], fig7[adadelta_label]
    l_a, l_d = per_seed(ada, final_loss), per_seed(delta, final_loss)
    acc_a, acc_d = per_seed(ada, final_accuracy), per_seed(delta, final_accuracy)
    gap = acc_d.mean() - acc_a.mean()
    ok = abs(gap) < SMALL_ACCURACY_GAP and l_d.mean() < l_a.mean()
    return Claim(
        "Sec. 4, 5, Fig. 7",
        f"AdaGrad and Adadelta end close, Adadelta slightly ahead late in training "
        f"(Adadelta read as '{adadelta_label}').",
        f"final loss: AdaGrad {spread(l_a)}, {adadelta_label} {spread(l_d)}; final test "
        f"accuracy: AdaGrad {spread(acc_a)}, {adadelta_label} {spread(acc_d)} "
        f"(difference {gap:+.4f})",
        f"test accuracies within {SMALL_ACCURACY_GAP:.0%} and Adadelta's mean final loss lower",
        bool(ok))


def check_claims(figures):
    """All claims, from ``figures``: name -> stored runs (``figures.load_figure``)."""
    return [
        batch_one(figures["fig3"], figures["fig4"]),
        batch_256(figures["fig4"]),
        momentum_faster(figures["fig5"]),
        momentum_small_differences(figures["fig5"]),
        adadelta_window(figures["fig6"]),
        adagrad_vs_adadelta(figures["fig7"], "Adadelta"),
        adagrad_vs_adadelta(figures["fig7"], "Adadelta x 0.01"),
    ]
