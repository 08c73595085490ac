"""Checkers for the book's code exercises: a student's answer in, feedback in words out.

At the end of an exercise cell a student writes one line::

    from gdlib.exercises import check
    check("5.1", momentum_step)

and the notebook shows a short note: correct, not done yet, or what is wrong
(which case, which element, the likely cause).  ``CHECKERS`` maps each
exercise label to its checker; ``check(label, answer)`` is
``CHECKERS[label](answer)``.  A checker returns a ``Result`` (``.passed``,
``.message``) and never raises because of the answer, whatever the answer
does; only an unknown label raises (``ValueError``), since that is a mistake
in the book, not in the answer.  ``help(CHECKERS["5.1"])`` (or
``CHECKERS["5.1"]?`` in Jupyter) shows the exact task.

===== ======================================================  ======================
label the student's answer                                     paper
===== ======================================================  ======================
2.1   ``layer(h, W, b)`` -> ReLU(h @ W + b)                     eq. (1), (3)
3.1   ``softmax_cross_entropy_grad(a, t)`` -> dJ/da             eq. (5)
3.5   ``hidden_layer_grads(h_prev, h, W_next, d_next)``         eq. (1), (3)
4.1   ``minibatch_epoch(model, x, t, lr, batch_size, rng)``     eq. (8)
5.1   ``momentum_step(w, v, g, lr, momentum)`` -> (w, v)        eq. (9)
6.1   ``adagrad_step(w, G, g, lr, eps)`` -> (w, G)              eq. (10)
7.1   ``ema(values, gamma)`` -> E_1 .. E_T                      eq. (12), (13)
7.2   ``adadelta_step(w, Eg2, Edw2, g, gamma, eps)``            eq. (12), (13), (15)
8.1   ``iterations_to(loss, threshold, window)``                chapter 8's "faster"
9.1   ``adam_step(w, m, v, g, t, lr, beta1, beta2, eps)``       Kingma and Ba, Alg. 1
10.1  ``adagrad_rates(g, lr, eps)`` -> a weight's rates          eq. (10)
===== ======================================================  ======================

Modules: ``core`` (the Result, running the student's code safely),
``compare`` (comparing with a reference, naming the likely mistake),
``steps`` (cases for one-step update rules), and one module per topic:
``network`` (2.1), ``loss`` (3.1), ``backprop`` (3.5), ``epoch`` (4.1), ``momentum`` (5.1),
``adagrad`` (6.1), ``adadelta`` (7.2), ``averages`` (7.1, 8.1), ``adam`` (9.1),
``rates`` (10.1).

Grading a class: ``python -m gdlib.exercises.grade FILES... --out DIR`` runs
every submitted notebook and writes a gradebook (``grade``, ``grading``).
"""

import re

from .adadelta import adadelta_step
from .adagrad import adagrad_step
from .adam import adam_step
from .averages import ema, iterations_to
from .backprop import hidden_layer_grads
from .core import TIME_LIMIT, Result
from .epoch import minibatch_epoch
from .loss import softmax_cross_entropy_grad
from .momentum import momentum_step
from .network import layer
from .rates import adagrad_rates

__all__ = ["CHECKERS", "check", "Result", "TIME_LIMIT"]

CHECKERS = {c.label: c for c in (
    layer, softmax_cross_entropy_grad, hidden_layer_grads, minibatch_epoch, momentum_step,
    adagrad_step, ema, adadelta_step, iterations_to, adam_step, adagrad_rates)}


def check(label, answer, *, time_limit=TIME_LIMIT):
    """Check the ``answer`` to exercise ``label`` (``"5.1"``, or ``"ex-5-1"``).

    Returns a ``Result``; the student's code gets ``time_limit`` seconds in all.
    Raises ``ValueError`` for a label that has no checker.
    """
    key = str(label).strip()
    match = re.fullmatch(r"ex-(\d+)-(\d+)", key)
    if match:
        key = f"{match[1]}.{match[2]}"
    if key not in CHECKERS:
        raise ValueError(f"no checker for exercise {label!r}; the labels are "
                         f"{', '.join(CHECKERS)}")
    return CHECKERS[key](answer, time_limit=time_limit)
