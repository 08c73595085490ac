"""The paper's conclusions (Kang 2020, Sec. 4 and 5) checked against measured runs.

Each claim is a function of the stored multi-seed Histories (``figures.
load_figure``) that returns a ``Claim``: the paper's statement, the one
measure the row uses (what "faster" or "converges" means there), the
evidence as mean ± standard deviation over seeds, the same runs on the test
set, and one or more ``Test``: a 95 % paired t-interval over the seeds (runs
of one seed share initial weights and batch order, so they are compared seed
by seed) set against the number it has to pass.  A test says "yes" when the
whole interval lies on the claim's side of that number, "no" when it lies on
the other side, "inconclusive" when it contains it; a row is "yes" when all
its tests are, "no" when one is.

The thresholds below are read each time a claim is checked, so setting
``claims.LOSS_THRESHOLD = 0.2`` changes both the evidence and the verdict;
``check_claims`` also gives each row's verdict at half and at twice its
thresholds (``SCALES``), so a reader sees how much a verdict rests on the
number chosen.  The measurements themselves are ``gdlib.metrics``.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from ..metrics import (
    final_accuracy,
    final_loss,
    final_test_loss,
    fluctuation,
    iterations_to,
    mean_interval,
    paired_interval,
    per_seed,
    spread,
    test_loss_rise,
)
from .figures import CONVERGED_ACCURACY

__all__ = ["Claim", "Test", "check_claims", "in_words", "speed", "faster", "decide",
           "CONVERGED_ACCURACY",
           "LOSS_THRESHOLD", "SMOOTHING", "SMALL_ACCURACY_GAP", "STRONG_FLUCTUATION",
           "SMALL_CHANGE", "CONFIDENCE", "SCALES", "YES", "NO", "INCONCLUSIVE"]

LOSS_THRESHOLD = 0.3        # "faster" = fewer updates until the smoothed loss is below this
SMOOTHING = 50              # window (updates) of the moving average for that test
SMALL_ACCURACY_GAP = 0.01   # a "small difference": final test accuracies within 1 point
STRONG_FLUCTUATION = 3.0    # "fluctuates strongly": at least 3 times batch 256's fluctuation
SMALL_CHANGE = 0.1          # "no big difference" in fluctuation: within 10 % of SGD's
CONFIDENCE = 0.95           # of every interval
SCALES = (0.5, 2.0)         # the thresholds are also tried at half and at twice their value
RISING = 0.05               # test data: a test loss ending 5 % above its lowest is noted

YES, NO, INCONCLUSIVE = "yes", "no", "inconclusive"


def decide(interval, rule, bound):
    """"yes", "no" or "inconclusive": where ``interval`` lies against ``bound``.

    ``rule`` is what the claim needs of the true mean: ``"above"`` the bound,
    ``"below"`` it, or ``"within"`` ± bound.  An interval that contains the
    bound (or, for ``"within"``, either end of ± bound) is inconclusive.
    """
    lo, hi = interval.low, interval.high
    if rule == "above":
        return YES if lo > bound else NO if hi < bound else INCONCLUSIVE
    if rule == "below":
        return YES if hi < bound else NO if lo > bound else INCONCLUSIVE
    if rule == "within":
        return YES if -bound < lo and hi < bound else \
            NO if lo > bound or hi < -bound else INCONCLUSIVE
    raise ValueError(f"rule must be 'above', 'below' or 'within', got {rule!r}")


@dataclass(frozen=True)
class Test:
    """One comparison of a claim: an interval over the seeds against the number it must pass."""

    what: str           # what the interval is of, e.g. "eta 0.01 minus eta 0.1, updates"
    interval: object    # gdlib.metrics.Interval
    rule: str           # "above", "below" or "within" (see ``decide``)
    bound: float
    fmt: str = "{:+.4f}"

    @property
    def verdict(self):
        return decide(self.interval, self.rule, self.bound)

    def __str__(self):
        need = {"above": "> ", "below": "< ", "within": "within ±"}[self.rule]
        bound = self.fmt.replace("+", "").format(self.bound)
        return f"{self.what}: {self.interval.format(self.fmt)}; needs {need}{bound}: {self.verdict}"


@dataclass
class Claim:
    """One conclusion of the paper and what the measurements say about it."""

    row: str            # its row in the claims table ("4a", "4b": two readings of one sentence)
    section: str        # where the paper says it
    statement: str      # the paper's claim, in English
    measure: str        # the one definition of the row's measure ("faster" = ...)
    evidence: str       # measured numbers, mean ± std over seeds
    tests: list         # Test: paired intervals against their thresholds
    criterion: str      # what "reproduces" was taken to mean
    on_test_data: str   # the same runs' final test loss and accuracy
    verdicts: dict = field(default_factory=dict)   # scale of the thresholds -> verdict

    @property
    def verdict(self):
        """"yes" if every test is, "no" if any is, otherwise "inconclusive"."""
        found = [t.verdict for t in self.tests]
        return NO if NO in found else YES if all(v == YES for v in found) else INCONCLUSIVE

    @property
    def reproduces(self):
        return self.verdict == YES

    @property
    def n(self):
        return min(t.interval.n for t in self.tests)

    def brief(self):
        """The verdict as the tables print it, then at the other ``SCALES`` of the
        thresholds: ``"**yes** (½×: no; 2×: yes)"`` (Markdown)."""
        others = "; ".join(f"{_scale_name(s)}: {self.verdicts[s]}" for s in SCALES)
        return f"**{self.verdict}** ({others})"

    def __repr__(self):
        return f"Claim({self.row}, {self.section}: {self.statement!r} -> {self.verdict})"


def _scale_name(scale):
    return {0.5: "½×", 2.0: "2×"}.get(scale, f"{scale:g}×")


def in_words(rows):
    """Rows of the table as prose: ``["1", "2", "3"]`` -> ``"1, 2 and 3"``, ``[]`` ->
    ``"none"``."""
    rows = list(rows)
    if not rows:
        return "none"
    return ", ".join(rows[:-1]) + f" and {rows[-1]}" if len(rows) > 1 else rows[0]


def speed(history, threshold=None):
    """Updates until the loss smoothed over ``SMOOTHING`` is below ``threshold`` (default
    ``LOSS_THRESHOLD``; inf if never): what "faster" means in the claims.  Read at call time."""
    return iterations_to(history, LOSS_THRESHOLD if threshold is None else threshold, SMOOTHING)


def _speeds(runs, threshold):
    """``speed`` per seed, a run that never gets there counted at its length: a bound that
    can only shrink a difference, never invent one."""
    return np.array([min(speed(h, threshold), len(h.loss)) for h in runs])


def faster(label_slow, slow, label_fast, fast, threshold):
    """Test: ``fast`` needs fewer updates than ``slow`` to reach ``threshold``."""
    never = sum(np.isinf(speed(h, threshold)) for h in (*slow, *fast))
    note = f" ({never} runs never got there, counted at their length)" if never else ""
    return Test(f"{label_slow} minus {label_fast}, updates{note}",
                paired_interval(_speeds(slow, threshold), _speeds(fast, threshold), CONFIDENCE),
                "above", 0.0, "{:+.1f}")


def _error(runs):
    return 1.0 - per_seed(runs, final_accuracy)


def _converges(label, runs, error, converges=True):
    """Test: the final test error is below (or, ``converges=False``, above) ``error``."""
    return Test(f"test error, {label}", mean_interval(_error(runs), CONFIDENCE),
                "below" if converges else "above", error, "{:.3f}")


def _close(label_a, a, label_b, b, gap):
    """Test: the final test accuracies of ``a`` and ``b`` differ by less than ``gap``."""
    return Test(f"test accuracy, {label_a} minus {label_b}",
                paired_interval(per_seed(a, final_accuracy), per_seed(b, final_accuracy),
                                CONFIDENCE), "within", gap)


def _on_test_data(groups):
    """Final test loss and accuracy of each group, and a test loss that ends above its lowest."""
    parts = []
    for label, runs in groups.items():
        losses = per_seed(runs, final_test_loss)
        finite = losses[np.isfinite(losses)]
        diverged = len(runs) - finite.size
        loss = spread(finite) if finite.size else "none finite"
        text = f"{label}: test loss {loss}" + (f" ({diverged} diverged)" if diverged else "")
        text += f", accuracy {spread(per_seed(runs, final_accuracy))}"
        rise = per_seed([h for h in runs if not h.diverged], test_loss_rise)
        if rise.size and rise.mean() > RISING:
            text += (f", test loss ends {rise.mean():.0%} above its lowest "
                     f"({(rise > 0).sum()} of {rise.size} seeds)")
        parts.append(text)
    return "; ".join(parts)


def batch_one(fig3, fig4, scale=1.0):
    """Sec. 5: at batch size 1 the loss fluctuates strongly; eta = 0.01 converges, 0.1 does not.

    "Fluctuates strongly": the per-seed ratio of the fluctuation (``metrics.
    fluctuation``) at batch 1 to that at batch 256, both at eta = 0.01, is above
    ``STRONG_FLUCTUATION``.  "Converges": the final test error is below
    ``1 - CONVERGED_ACCURACY`` at eta = 0.01 and above it at eta = 0.1 (a
    diverged run counts as chance).
    """
    one, one_fast, batch = fig3["eta = 0.01"], fig3["eta = 0.1"], fig4["eta = 0.01"]
    fl_1, fl_256 = per_seed(one, fluctuation), per_seed(batch, fluctuation)
    error = (1 - CONVERGED_ACCURACY) * scale
    strong = STRONG_FLUCTUATION * scale
    diverged = sum(h.diverged for h in one_fast)
    return Claim(
        "1", "Sec. 4, 5, Fig. 3",
        "Batch size 1 fluctuates strongly; it converges at eta = 0.01 but not at eta = 0.1.",
        "fluctuation = std of the raw training loss over the last 10 % of updates, batch 1 "
        "over batch 256 at eta 0.01; converges = final test error below "
        f"{1 - CONVERGED_ACCURACY:.0%}",
        f"fluctuation: batch 1 {spread(fl_1, '{:.3f}')}, batch 256 {spread(fl_256, '{:.3f}')}; "
        f"final test accuracy: eta 0.01 {spread(1 - _error(one))}, eta 0.1 "
        f"{spread(1 - _error(one_fast))} ({diverged} of {len(one_fast)} diverged)",
        [Test("fluctuation ratio, batch 1 over batch 256",
              mean_interval(fl_1 / fl_256, CONFIDENCE), "above", strong, "{:.1f}"),
         _converges("eta 0.01", one, error), _converges("eta 0.1", one_fast, error, False)],
        f"batch 1 fluctuates more than {strong:g} times as much as batch 256; test error below "
        f"{error:.0%} at eta 0.01 and above it at eta 0.1",
        _on_test_data({"batch 1, eta 0.01": one, "batch 1, eta 0.1": one_fast}))


def batch_256(fig4, scale=1.0):
    """Sec. 4, 5: at batch size 256 both learning rates converge, eta = 0.1 faster.

    Reproduces if the final test error of both is below ``1 - CONVERGED_ACCURACY``
    and eta = 0.1 needs fewer updates to get its smoothed loss below
    ``LOSS_THRESHOLD`` (``speed``).
    """
    fast, slow = fig4["eta = 0.1"], fig4["eta = 0.01"]
    threshold, error = LOSS_THRESHOLD * scale, (1 - CONVERGED_ACCURACY) * scale
    return Claim(
        "2", "Sec. 4, 5, Fig. 4",
        "Batch size 256 converges at both eta = 0.1 and eta = 0.01; eta = 0.1 converges faster.",
        _speed_measure(threshold) + f"; converges = final test error below {error:.0%}",
        f"updates to smoothed loss < {threshold:g}: eta 0.1 "
        f"{spread(per_seed(fast, lambda h: speed(h, threshold)), '{:.0f}')}, eta 0.01 "
        f"{spread(per_seed(slow, lambda h: speed(h, threshold)), '{:.0f}')}; final test "
        f"accuracy: eta 0.1 {spread(1 - _error(fast))}, eta 0.01 {spread(1 - _error(slow))}",
        [faster("eta 0.01", slow, "eta 0.1", fast, threshold),
         _converges("eta 0.1", fast, error), _converges("eta 0.01", slow, error)],
        f"eta 0.1 reaches the loss threshold in fewer updates; both end below {error:.0%} test "
        "error",
        _on_test_data({"eta 0.1": fast, "eta 0.01": slow}))


def _speed_measure(threshold):
    return (f"faster = fewer updates until the training loss, smoothed over {SMOOTHING} "
            f"updates, is below {threshold:g}")


MOMENTA = (0.1, 0.3, 0.5, 0.7)   # the paper's Fig. 5


def _neighbours(values, runs):
    """Consecutive pairs ((value, runs), (next value, its runs))."""
    pairs = list(zip(values, runs, strict=True))
    return list(zip(pairs, pairs[1:], strict=False))


def _momentum_runs(fig5):
    return [fig5[f"momentum = {m}"] for m in MOMENTA]


def momentum_faster(fig5, scale=1.0):
    """Sec. 5: the larger the momentum, the faster the convergence.

    Over the paper's momenta 0.1, 0.3, 0.5, 0.7: reproduces if each momentum
    reaches ``LOSS_THRESHOLD`` (``speed``) in fewer updates than the next
    smaller one, seed by seed.
    """
    runs = _momentum_runs(fig5)
    threshold = LOSS_THRESHOLD * scale
    its = [per_seed(r, lambda h: speed(h, threshold)) for r in runs]
    return Claim(
        "3", "Sec. 5, Fig. 5",
        "The larger the momentum, the faster it converges.",
        _speed_measure(threshold),
        f"updates to smoothed loss < {threshold:g}: " + "; ".join(
            f"momentum {m}: {spread(i, '{:.0f}')}" for m, i in zip(MOMENTA, its, strict=True)),
        [faster(f"momentum {a}", ra, f"momentum {b}", rb, threshold)
         for (a, ra), (b, rb) in _neighbours(MOMENTA, runs)],
        "each larger momentum reaches the loss threshold in fewer updates",
        _on_test_data({f"momentum {m}": r for m, r in zip(MOMENTA, runs, strict=True)}))


def momentum_small_differences(fig5, scale=1.0):
    """Sec. 5, first reading of "큰 차이를 나타내지 않았다": the momenta end close.

    Reproduces if the final test accuracies of momentum 0.7 and 0.1 differ by
    less than ``SMALL_ACCURACY_GAP``.  Where a run ends depends on where it is
    stopped: 2,000 updates here.
    """
    runs = _momentum_runs(fig5)
    gap = SMALL_ACCURACY_GAP * scale
    acc = [per_seed(r, final_accuracy) for r in runs]
    return Claim(
        "4a", "Sec. 5, Fig. 5",
        "The differences between the momenta are small (reading 1: where they end).",
        f"final test accuracy after {runs[0][0].iterations:,} updates",
        "final test accuracy: " + "; ".join(
            f"momentum {m}: {spread(a)}" for m, a in zip(MOMENTA, acc, strict=True)),
        [_close("momentum 0.7", runs[-1], "momentum 0.1", runs[0], gap)],
        f"momentum 0.1 and 0.7 end within {gap:.1%} test accuracy",
        _on_test_data({"momentum 0.1": runs[0], "momentum 0.7": runs[-1]}))


def momentum_fluctuation(fig4, fig5, scale=1.0):
    """Sec. 5, second reading: momentum, meant to damp SGD's fluctuation, made no big
    difference to it.

    Momentum gamma moves like SGD at the effective rate eta / (1 - gamma)
    (chapter 5), so each momentum run is compared with the SGD run of (nearly)
    that rate: momentum 0.1 at eta 0.01 (0.011) with SGD at 0.01, momentum 0.9
    at eta 0.01 (0.1) with SGD at 0.1, seed by seed.  Reproduces if each ratio
    of fluctuations (``metrics.fluctuation``) is within ``SMALL_CHANGE`` of 1.
    """
    change = SMALL_CHANGE * scale
    pairs = [("momentum 0.1", fig5["momentum = 0.1"], "SGD eta 0.01", fig4["eta = 0.01"]),
             ("momentum 0.9", fig5["momentum = 0.9"], "SGD eta 0.1", fig4["eta = 0.1"])]
    fl = {label: per_seed(runs, fluctuation) for pair in pairs
          for label, runs in (pair[:2], pair[2:])}
    return Claim(
        "4b", "Sec. 5, Fig. 4, 5",
        "Momentum, used to damp SGD's fluctuation, made no big difference to it (reading 2).",
        "fluctuation = std of the raw training loss over the last 10 % of updates, momentum "
        "over SGD at the same effective rate eta / (1 - gamma)",
        "fluctuation: " + "; ".join(f"{k} {spread(v, '{:.4f}')}" for k, v in fl.items()),
        [Test(f"fluctuation ratio minus 1, {m} over {s}",
              mean_interval(fl[m] / fl[s] - 1, CONFIDENCE), "within", change, "{:+.3f}")
         for m, _, s, _ in pairs],
        f"momentum's fluctuation within {change:.0%} of SGD's at the same effective rate",
        _on_test_data({label: runs for pair in pairs for label, runs in (pair[:2], pair[2:])}))


def adadelta_window(fig6, scale=1.0):
    """Sec. 4: Adadelta's window matters little; a larger window (smaller gamma) is slightly faster.

    Over gamma 0.5, 0.3, 0.1 (windows 3, 5.7, 19): reproduces if each larger
    window reaches ``LOSS_THRESHOLD`` (``speed``) in fewer updates than the
    next smaller one, and the final test accuracies of neighbours differ by less
    than ``SMALL_ACCURACY_GAP``.
    """
    gammas = (0.5, 0.3, 0.1)
    runs = [fig6[f"gamma = {g}"] for g in gammas]
    threshold, gap = LOSS_THRESHOLD * scale, SMALL_ACCURACY_GAP * scale
    its = [per_seed(r, lambda h: speed(h, threshold)) for r in runs]
    acc = [per_seed(r, final_accuracy) for r in runs]
    neighbours = _neighbours(gammas, runs)
    return Claim(
        "5", "Sec. 4, Fig. 6",
        "Adadelta's window size makes little difference; a larger window converges slightly "
        "faster.",
        _speed_measure(threshold) + "; little difference = final test accuracies close",
        f"updates to smoothed loss < {threshold:g}: " + "; ".join(
            f"gamma {g}: {spread(i, '{:.0f}')}" for g, i in zip(gammas, its, strict=True))
        + "; final test accuracy: " + "; ".join(
            f"gamma {g}: {spread(a)}" for g, a in zip(gammas, acc, strict=True)),
        [faster(f"gamma {a}", ra, f"gamma {b}", rb, threshold) for (a, ra), (b, rb) in neighbours]
        + [_close(f"gamma {b}", rb, f"gamma {a}", ra, gap) for (a, ra), (b, rb) in neighbours],
        f"each larger window reaches the loss threshold in fewer updates; neighbours end within "
        f"{gap:.1%} test accuracy",
        _on_test_data({f"gamma {g}": r for g, r in zip(gammas, runs, strict=True)}))


def adagrad_vs_adadelta(fig7, adadelta_label, scale=1.0):
    """Sec. 4, 5: AdaGrad and Adadelta end close; Adadelta is slightly ahead late in training.

    "Ahead late in training" is read on the training loss, the curve the paper
    draws: Adadelta's final training loss (``metrics.final_loss``, the last 10 %
    of updates) lower than AdaGrad's, seed by seed.  "Close": final test
    accuracies within ``SMALL_ACCURACY_GAP``.  ``adadelta_label`` picks the
    reading of "eta = 0.01" for Adadelta.  The test data are reported beside.
    """
    ada, delta = fig7["AdaGrad"], fig7[adadelta_label]
    gap = SMALL_ACCURACY_GAP * scale
    l_a, l_d = per_seed(ada, final_loss), per_seed(delta, final_loss)
    t_a, t_d = per_seed(ada, final_test_loss), per_seed(delta, final_test_loss)
    test_gap = paired_interval(t_a, t_d, CONFIDENCE)
    overfit = paired_interval(t_d - l_d, t_a - l_a, CONFIDENCE)
    return Claim(
        "6" if adadelta_label == "Adadelta" else "7", "Sec. 4, 5, Fig. 7",
        f"AdaGrad and Adadelta end close, Adadelta slightly ahead late in training "
        f"(Adadelta read as '{adadelta_label}').",
        "ahead late in training = lower final training loss (mean of the last 10 % of "
        "updates); close = final test accuracies within the gap",
        f"final training loss: AdaGrad {spread(l_a)}, {adadelta_label} {spread(l_d)}; final "
        f"test accuracy: AdaGrad {spread(1 - _error(ada))}, {adadelta_label} "
        f"{spread(1 - _error(delta))}",
        [Test(f"final training loss, AdaGrad minus {adadelta_label}",
              paired_interval(l_a, l_d, CONFIDENCE), "above", 0.0),
         _close(adadelta_label, delta, "AdaGrad", ada, gap)],
        f"Adadelta's final training loss lower; test accuracies within {gap:.1%}",
        _on_test_data({"AdaGrad": ada, adadelta_label: delta})
        + f"; final test loss, AdaGrad minus {adadelta_label}: {test_gap}; test minus "
        f"training loss, {adadelta_label} minus AdaGrad: {overfit}")


def _rows(figures, scale):
    return [
        batch_one(figures["fig3"], figures["fig4"], scale),
        batch_256(figures["fig4"], scale),
        momentum_faster(figures["fig5"], scale),
        momentum_small_differences(figures["fig5"], scale),
        momentum_fluctuation(figures["fig4"], figures["fig5"], scale),
        adadelta_window(figures["fig6"], scale),
        adagrad_vs_adadelta(figures["fig7"], "Adadelta", scale),
        adagrad_vs_adadelta(figures["fig7"], "Adadelta x 0.01", scale),
    ]


def check_claims(figures):
    """All claims, from ``figures``: name -> stored runs (``figures.load_figure``).

    Each Claim is measured at the thresholds as set; its ``verdicts`` maps 1.0
    and each of ``SCALES`` (the thresholds halved and doubled) to the verdict
    there.
    """
    claims = _rows(figures, 1.0)
    others = {scale: _rows(figures, scale) for scale in SCALES}
    return [replace(c, verdicts={1.0: c.verdict, **{s: rows[i].verdict
                                                    for s, rows in others.items()}})
            for i, c in enumerate(claims)]
