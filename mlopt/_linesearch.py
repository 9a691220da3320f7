"""The Armijo backtracking line search shared by gradient descent and Newton's method.

Accept the first step length η = η₀, η₀/2, η₀/4, ... with

.. math::

    J(\\theta - \\eta p) \\le J(\\theta) - c\\,\\eta\\, \\nabla J(\\theta)^\\top p + \\epsilon_J,

where p is the search direction (a descent direction: ∇Jᵀp > 0) and ε_J ≥ 0 an allowance.

Newton's method passes ε_J = 64·eps·|J(θ)|, the round-off of J. Without it the test compares two
values that agree to the last bits once the predicted decrease c η ∇Jᵀp falls below J's
round-off: near the minimizer it then fails or passes at random, and the search shrinks a
perfectly good unit step. With it, steps that change J only within its round-off are accepted
(the idea of the approximate Wolfe condition of Hager & Zhang, 2005), and the Newton step keeps
its quadratic convergence down to the noise level of ∇J. Gradient descent passes 0: its trial
step grows (2η after each success), and near the noise floor only a strict decrease tells a
good step from one that overshoots.
"""

from __future__ import annotations

import numpy as np

#: Armijo sufficient-decrease constant c and shrink factor of the backtracking line search.
ARMIJO_C = 1e-4
ARMIJO_SHRINK = 0.5
#: Halvings before the search gives up (η₀ · 2⁻⁶⁰ is below any useful step).
MAX_HALVINGS = 60
#: Round-off allowance of J, in units of eps·|J|.
ROUND_OFF_ULPS = 64


def round_off(f: float) -> float:
    """The round-off level of a computed objective value f: ROUND_OFF_ULPS · eps · |f|."""
    return ROUND_OFF_ULPS * np.finfo(float).eps * abs(f)


def armijo(value, theta, direction, f, slope, eta0, *, allowance=0.0):
    """The accepted step length along −``direction``, or None when no halving gives decrease.

    Parameters
    ----------
    value : callable
        θ ↦ J(θ).
    theta, direction : ndarray
        The current point and the direction p (the step is θ − ηp).
    f : float
        J(θ).
    slope : float
        ∇J(θ)ᵀp > 0.
    eta0 : float
        The first step length tried.
    allowance : float, default 0
        ε_J, the increase of J tolerated as round-off (see the module docstring).
    """
    eta = eta0
    for _ in range(MAX_HALVINGS):
        ft = value(theta - eta * direction)
        if np.isfinite(ft) and ft <= f - ARMIJO_C * eta * slope + allowance:
            return eta
        eta *= ARMIJO_SHRINK
    return None

#: Newton steps in a row that may change J only within its round-off without halving the best
#: ‖∇J‖ before the run stops as stalled: the gradient has reached float64's noise level.
STALL_STEPS = 3


class StallWatch:
    """Counts Newton steps in a row that change J only within its round-off and do not halve the
    best ‖∇J‖ so far; ``step`` returns True after STALL_STEPS of them."""

    def __init__(self, gnorm: float):
        self.best, self.count = gnorm, 0

    def step(self, f: float, new_f: float, gnorm: float) -> bool:
        noise = round_off(f)
        progressed = new_f < f - noise or gnorm < 0.5 * self.best
        self.best = min(self.best, gnorm)
        self.count = self.count + 1 if (abs(new_f - f) <= noise and not progressed) else 0
        return self.count >= STALL_STEPS


class WindowWatch:
    """Stalled when, for ``steps`` steps in a row, J changed only within its round-off and the best
    ‖∇J‖ did not fall below half of what it was when the window began (L-BFGS, whose gradient may
    keep shrinking, by less than half per step, long after J stops resolving the progress)."""

    def __init__(self, gnorm: float, steps: int):
        self.best = self.anchor = gnorm
        self.count, self.steps = 0, steps

    def step(self, f: float, new_f: float, gnorm: float) -> bool:
        noise = round_off(f)
        self.best = min(self.best, gnorm)
        if new_f < f - noise or new_f > f + noise or self.best < 0.5 * self.anchor:
            self.anchor, self.count = self.best, 0
        else:
            self.count += 1
        return self.count >= self.steps
