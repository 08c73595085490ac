"""Learning-rate schedules: eta_t = eta * factor(t), set before each update.

The paper keeps eta fixed.  A schedule lets it change over a run; the
Robbins-Monro conditions (sum of eta_t infinite, sum of eta_t^2 finite) are what
stochastic gradient descent needs to settle exactly, and a decaying eta is how
practice approaches them.  A ``Schedule`` is plain data, so it is part of the
``TrainConfig`` that determines a run (and of the run cache's key):

    Schedule()                                  # constant: the paper's
    Schedule("step", every=700, factor=0.1)     # eta * 0.1**(t // 700)
    Schedule("cosine", final=0.0)               # from eta down to final * eta at the end
    Schedule("cosine", warmup=100)              # linear warm-up over 100 updates first

``train`` sets ``optimizer.lr = config.lr * schedule(t, total)`` before update
``t`` (0-based) of ``total``.  For Momentum that eta enters the velocity, as in
eq. (9): ``v = gamma * v + eta_t * g``.  PyTorch's form (``b = gamma * b + g``,
``w -= eta_t * b``) multiplies the whole velocity by the newest eta instead; the
two are the same only while eta is constant.
"""

import math
from dataclasses import dataclass

__all__ = ["Schedule", "KINDS"]

KINDS = ("constant", "step", "cosine")


@dataclass(frozen=True)
class Schedule:
    """``factor(t, total)``, the multiplier of eta at update ``t`` of ``total``.

    ``kind``    ``"constant"``, ``"step"`` (times ``factor`` every ``every`` updates) or
                ``"cosine"`` (half a cosine from 1 down to ``final``)
    ``warmup``  updates over which eta rises linearly from ``1/warmup`` of its value
                (0: none); the schedule proper starts after them
    """

    kind: str = "constant"
    every: int | None = None       # step: updates between two decays
    factor: float = 0.1            # step: the multiplier of each decay
    final: float = 0.0             # cosine: the last multiplier
    warmup: int = 0                # linear warm-up updates before the schedule

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "step" and not (isinstance(self.every, int) and self.every >= 1):
            raise ValueError(f"a step schedule needs every= an integer >= 1, got {self.every!r}")
        if not 0 < self.factor <= 1:
            raise ValueError(f"factor must be in (0, 1], got {self.factor!r}")
        if not 0 <= self.final <= 1:
            raise ValueError(f"final must be in [0, 1], got {self.final!r}")
        if not (isinstance(self.warmup, int) and self.warmup >= 0):
            raise ValueError(f"warmup must be an integer >= 0, got {self.warmup!r}")

    def __call__(self, t, total):
        """The multiplier of eta at update ``t`` (0-based) of a run of ``total`` updates."""
        if t < self.warmup:
            return (t + 1) / self.warmup
        t, total = t - self.warmup, max(1, total - self.warmup)
        if self.kind == "step":
            return self.factor ** (t // self.every)
        if self.kind == "cosine":
            return self.final + (1 - self.final) * 0.5 * (1 + math.cos(math.pi * t / total))
        return 1.0

    @classmethod
    def from_dict(cls, fields):
        """The Schedule a ``TrainConfig.to_dict()`` wrote (None stays None)."""
        return None if fields is None else cls(**fields)
