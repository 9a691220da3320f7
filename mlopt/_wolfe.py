"""A line search that meets the strong Wolfe conditions (Nocedal & Wright, Algorithms 3.5 and 3.6).

Along a descent direction p from θ, with φ(α) = J(θ + αp) and φ'(0) = ∇J(θ)ᵀp < 0, accept α with

.. math::

    \\varphi(\\alpha) \\le \\varphi(0) + c_1 \\alpha \\varphi'(0) + \\epsilon_J, \\qquad
    |\\varphi'(\\alpha)| \\le c_2 |\\varphi'(0)|,

sufficient decrease and curvature, 0 < c₁ < c₂ < 1. ε_J ≥ 0 is J's round-off, as in
:mod:`mlopt._linesearch`, and comparisons of trial values also treat differences within ε_J as
ties: near the minimizer J no longer resolves the progress, and the search then decides by the
signs and sizes of φ' alone (Hager & Zhang's approximate Wolfe idea). The curvature condition makes sₜᵀyₜ > 0, so the BFGS update stays
positive definite. The search first brackets an acceptable α (doubling or extrapolating from α₀),
then shrinks the bracket by safeguarded cubic interpolation ("zoom"). Each trial costs one value
and gradient; the gradient at the accepted point is returned, so the solver needs no extra one.
"""

from __future__ import annotations

import math

import numpy as np

#: Trials of the bracketing phase and of the zoom phase before the search gives up.
MAX_BRACKET = 40
MAX_ZOOM = 40
#: Extrapolation of the bracketing phase: the next trial lies in [2α, 8α] (cubic step, clamped).
EXTRAPOLATE_MIN, EXTRAPOLATE_MAX = 2.0, 8.0
#: A zoom trial stays this fraction of the bracket away from its ends (else: bisection).
ZOOM_MARGIN = 0.1


class WolfeResult:
    """The accepted step ``alpha`` (None on failure), its ``f`` and ``g``, and ``n_eval`` trials;
    ``strong`` is False when the zoom ran out of room and returned the best point with sufficient
    decrease only."""

    __slots__ = ("alpha", "f", "g", "n_eval", "strong")

    def __init__(self, alpha, f, g, n_eval, strong=True):
        self.alpha, self.f, self.g, self.n_eval, self.strong = alpha, f, g, n_eval, strong


def _cubic_min(a, fa, da, b, fb, db):
    """The minimizer of the cubic through (a, fa, da) and (b, fb, db), or None (N&W eq. 3.59)."""
    if a == b:
        return None
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    rad = d1 * d1 - da * db
    if not (math.isfinite(rad) and rad >= 0.0):
        return None
    d2 = math.copysign(math.sqrt(rad), b - a)
    den = db - da + 2.0 * d2
    if den == 0.0 or not math.isfinite(den):
        return None
    x = b - (b - a) * (db + d2 - d1) / den
    return x if math.isfinite(x) else None


def strong_wolfe(value_and_gradient, theta, p, f0, g0, alpha0, *, c1=1e-4, c2=0.9, allowance=0.0,
                 alpha_max=1e20) -> WolfeResult:
    """Search α along p from θ for the strong Wolfe conditions (see the module docstring).

    Parameters
    ----------
    value_and_gradient : callable
        θ ↦ (J(θ), ∇J(θ)).
    theta, p : ndarray
        The point and a descent direction (∇J(θ)ᵀp < 0).
    f0, g0 : float, ndarray
        J(θ) and ∇J(θ).
    alpha0 : float
        The first trial (1 for quasi-Newton directions).
    c1, c2 : float
        The constants of the two conditions.
    allowance : float
        ε_J, the increase of J tolerated as round-off.
    alpha_max : float
        The largest step tried (a J unbounded below along p reaches it).
    """
    d0 = float(g0 @ p)
    n_eval = 0

    def phi(a):
        nonlocal n_eval
        n_eval += 1
        f, g = value_and_gradient(theta + a * p)
        f = float(f)
        ok = math.isfinite(f) and bool(np.all(np.isfinite(g)))
        return (f, g, float(g @ p)) if ok else (math.inf, None, math.nan)

    def armijo(a, f):
        return f <= f0 + c1 * a * d0 + allowance

    def curvature(d):
        return abs(d) <= -c2 * d0

    def zoom(lo, hi):
        # lo = (α, f, g, φ') satisfies sufficient decrease with the lowest f so far; hi the other end
        for _ in range(MAX_ZOOM):
            a_lo, a_hi = lo[0], hi[0]
            width = abs(a_hi - a_lo)
            if width <= 4 * np.finfo(float).eps * max(abs(a_lo), abs(a_hi)):
                break
            trial = None
            if math.isfinite(hi[1]):
                trial = _cubic_min(a_lo, lo[1], lo[3], a_hi, hi[1], hi[3])
            left, right = min(a_lo, a_hi) + ZOOM_MARGIN * width, max(a_lo, a_hi) - ZOOM_MARGIN * width
            if trial is None or not (left <= trial <= right):
                trial = 0.5 * (a_lo + a_hi)
            f, g, d = phi(trial)
            if not armijo(trial, f) or f > lo[1] + allowance:
                hi = (trial, f, g, d)
            else:
                if curvature(d):
                    return WolfeResult(trial, f, g, n_eval)
                if d * (a_hi - a_lo) >= 0:
                    hi = lo
                lo = (trial, f, g, d)
        if lo[0] > 0:  # no room left: the best point with sufficient decrease
            return WolfeResult(lo[0], lo[1], lo[2], n_eval, strong=False)
        return WolfeResult(None, f0, g0, n_eval, strong=False)

    prev = (0.0, f0, g0, d0)
    a = min(alpha0, alpha_max)
    for i in range(MAX_BRACKET):
        f, g, d = phi(a)
        cur = (a, f, g, d)
        if not armijo(a, f) or (i > 0 and f > prev[1] + allowance):
            return zoom(prev, cur)
        if curvature(d):
            return WolfeResult(a, f, g, n_eval)
        if d >= 0:
            return zoom(cur, prev)
        if a >= alpha_max:  # still descending at the largest step allowed: J unbounded below?
            return WolfeResult(a, f, g, n_eval, strong=False)
        step = _cubic_min(prev[0], prev[1], prev[3], a, f, d)
        lo_x, hi_x = EXTRAPOLATE_MIN * a, EXTRAPOLATE_MAX * a
        nxt = step if step is not None and lo_x <= step <= hi_x else (hi_x if step is not None and step > hi_x
                                                                        else 4.0 * a)
        prev, a = cur, min(nxt, alpha_max)
    return WolfeResult(prev[0] if prev[0] > 0 else None, prev[1], prev[2], n_eval, strong=False)
