"""Chapter 9, Adam: one step of Kingma and Ba's Algorithm 1, bias correction included."""

import numpy as np

from ..optimizers import Adam
from .compare import Case, FunctionChecker, variant


def _adam_reference(w, m, v, g, t, lr, beta1, beta2, eps):
    """One step of gdlib's Adam from the state ``(m, v)`` after ``t - 1`` steps."""
    opt = Adam(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    params = {"w": w.copy()}
    opt.step(params, {"w": np.zeros_like(g)})     # creates the state; moves nothing
    opt.state["w"].update(m=m.copy(), v=v.copy(), t=t - 1)
    opt.step(params, {"w": g.copy()})
    return params["w"], opt.state["w"]["m"].copy(), opt.state["w"]["v"].copy()


# (start w, gradients, (lr, beta1, beta2, eps)); run 2 has small gradients and a large
# eps, so that where eps sits shows, and betas far from 1, so that the correction does.
PLAN = (
    ([1.0, -2.0, 0.5], [[0.5, -1.0, 2.0], [-0.3, 0.2, 1.5], [0.1, -0.4, -2.5]],
     (0.1, 0.9, 0.999, 1e-8)),
    ([0.3, -0.7], [[0.02, -0.01], [0.01, 0.03], [-0.02, 0.01]], (0.05, 0.5, 0.8, 1e-3)),
)


def _adam_cases():
    """Each run starts at m = v = 0, t = 1; every step starts where the reference's ended."""
    cases = []
    for r, (start, gradients, settings) in enumerate(PLAN, 1):
        w = np.array(start, dtype=np.float64)
        m, v = np.zeros_like(w), np.zeros_like(w)
        for t, g in enumerate(gradients, 1):
            args = (w, m, v, np.array(g, dtype=np.float64), t, *settings)
            cases.append(Case(args, f"in run {r}, step {t}"))
            w, m, v = _adam_reference(*args)
    return cases


def _adam(w, m, v, g, t, lr, beta1, beta2, eps, correct_m=True, correct_v=True,
          eps_inside=False):
    """Adam with switchable bias corrections and eps placement, for the variants below."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t) if correct_m else m
    v_hat = v / (1 - beta2**t) if correct_v else v
    root = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
    return w - lr * m_hat / root, m, v


@variant("The bias correction is missing: m and v start at zero, so for small t they are too "
         "small; divide by `1 - beta1**t` and `1 - beta2**t` before the step "
         "(Algorithm 1: `m_hat = m / (1 - beta1**t)`, `v_hat = v / (1 - beta2**t)`).")
def _no_bias_correction(w, m, v, g, t, lr, beta1, beta2, eps):
    return _adam(w, m, v, g, t, lr, beta1, beta2, eps, correct_m=False, correct_v=False)


@variant("Only `v` is bias-corrected: correct `m` too, `m_hat = m / (1 - beta1**t)`.")
def _only_v_corrected(w, m, v, g, t, lr, beta1, beta2, eps):
    return _adam(w, m, v, g, t, lr, beta1, beta2, eps, correct_m=False)


@variant("Only `m` is bias-corrected: correct `v` too, `v_hat = v / (1 - beta2**t)`.")
def _only_m_corrected(w, m, v, g, t, lr, beta1, beta2, eps):
    return _adam(w, m, v, g, t, lr, beta1, beta2, eps, correct_v=False)


@variant("`eps` is inside the square root: Algorithm 1 adds it outside, "
         "`np.sqrt(v_hat) + eps` (inside is where RMSProp has it in eq. 14).")
def _eps_inside(w, m, v, g, t, lr, beta1, beta2, eps):
    return _adam(w, m, v, g, t, lr, beta1, beta2, eps, eps_inside=True)


@variant("`eps` is inside the square root and the bias correction is missing: Algorithm 1 "
         "divides by `1 - beta**t` and adds `eps` outside, `np.sqrt(v_hat) + eps`.")
def _rmsprop_like(w, m, v, g, t, lr, beta1, beta2, eps):
    return _adam(w, m, v, g, t, lr, beta1, beta2, eps, correct_m=False, correct_v=False,
                 eps_inside=True)


@variant("`beta` and `1 - beta` are swapped: in Adam `beta` weighs the old average, "
         "`m = beta1*m + (1 - beta1)*g` (the paper's gamma of eq. 12 would be `1 - beta`).")
def _gamma_convention(w, m, v, g, t, lr, beta1, beta2, eps):
    return _adam(w, m, v, g, t, lr, 1 - beta1, 1 - beta2, eps)


@variant("`v` averages the squared gradients: `v = beta2*v + (1 - beta2)*g*g`.")
def _v_unsquared(w, m, v, g, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g
    return w - lr * (m / (1 - beta1**t)) / (np.sqrt(np.abs(v) / (1 - beta2**t)) + eps), m, v


@variant("The returned `m` and `v` are the bias-corrected ones: keep the raw averages as "
         "the state and correct them only for the step.")
def _returns_corrected(w, m, v, g, t, lr, beta1, beta2, eps):
    w, m, v = _adam_reference(w, m, v, g, t, lr, beta1, beta2, eps)
    return w, m / (1 - beta1**t), v / (1 - beta2**t)


@variant("`w` moves uphill: the step is `w = w - lr * m_hat / (np.sqrt(v_hat) + eps)`.")
def _adam_uphill(w, m, v, g, t, lr, beta1, beta2, eps):
    new, m, v = _adam_reference(w, m, v, g, t, lr, beta1, beta2, eps)
    return 2 * w - new, m, v


@variant("The averages are swapped: return `(w, m, v)` in this order.")
def _swapped_averages(w, m, v, g, t, lr, beta1, beta2, eps):
    w, m, v = _adam_reference(w, m, v, g, t, lr, beta1, beta2, eps)
    return w, v, m


adam_step = FunctionChecker(
    "9.1", "adam_step(w, m, v, g, t, lr, beta1, beta2, eps)", "(w, m, v)",
    task="the new `(w, m, v)` after step `t` of Adam (Kingma and Ba's Algorithm 1)",
    reference=_adam_reference, cases=_adam_cases,
    variants=[_no_bias_correction, _only_v_corrected, _only_m_corrected, _eps_inside,
              _rmsprop_like, _gamma_convention, _v_unsquared, _returns_corrected,
              _adam_uphill, _swapped_averages],
    fallback="follow Algorithm 1 in this order: update `m` and `v`; correct both by "
             "`1 - beta**t`; step `w - lr * m_hat / (np.sqrt(v_hat) + eps)`.",
    praise="`adam_step` follows Algorithm 1, bias correction included, in every step of "
           "both runs.",
    doc="""Exercise 9.1: Adam's step (Kingma and Ba 2015, Algorithm 1).

    Write ``adam_step(w, m, v, g, t, lr, beta1, beta2, eps)``:

    ``w``, ``g``  the weights and the gradient
    ``m``, ``v``  the moving averages of ``g`` and of ``g*g`` after ``t - 1`` steps
                  (all four arrays of one shape; zeros before the first step)
    ``t``         the number of this step, counted from 1
    ``lr``        the learning rate (Kingma and Ba's alpha)
    ``beta1``, ``beta2``  the weights of the old averages
    ``eps``       the epsilon added to the root

    It returns ``(w, m, v)`` after the step, as new arrays:
    ``m = beta1*m + (1 - beta1)*g`` and ``v = beta2*v + (1 - beta2)*g*g``; the
    bias-corrected ``m_hat = m / (1 - beta1**t)`` and ``v_hat = v / (1 - beta2**t)``;
    ``w = w - lr * m_hat / (sqrt(v_hat) + eps)``.  The returned ``m`` and ``v``
    are the uncorrected averages.  Both averages have the form of eq. (12), with
    the paper's gamma = ``1 - beta``.  Whether the function also changes its inputs
    does not matter (the checker passes copies).

    Check it with ``check("9.1", adam_step)``.
    """)
