"""How every run ends: one function turns the reason into a :class:`~mlopt.Result`.

Each solver decides *why* it stops (a key of :data:`mlopt.result.STATUSES`) and says the details;
:func:`conclude` applies the rules every solver shares:

- the message is ``"<status>: <details>"`` (plus advice when the run diverged);
- a run whose objective ends more than ``END_GROWTH`` times above where it started (relative to
  max(abs(J(θ₀)), 1)) is reported as diverged, whatever made it stop;
- ``ConvergenceWarning`` for a divergence, and for a budget, stall or line-search stop when a
  tolerance was asked for; never for ``tol=None``, a callback or a met criterion.
"""

from __future__ import annotations

import math
import os
import sys
import warnings

import numpy as np

from .result import STATUSES, ConvergenceWarning, Result

#: Mid-run: an objective above DIVERGENCE_FACTOR · max(abs(J(θ₀)), 1) stops the run as diverged.
DIVERGENCE_FACTOR = 1e10
#: End of run: an objective above END_GROWTH · max(abs(J(θ₀)), 1) is reported as diverged.
END_GROWTH = 1e3


def grew(f: float, f0: float, factor: float = DIVERGENCE_FACTOR) -> bool:
    """True when f is not finite or above ``factor`` · max(abs(f0), 1)."""
    return not math.isfinite(f) or f > factor * max(abs(f0), 1.0)


def non_finite(f: float) -> str:
    """'the objective became inf' (or nan, -inf), or 'the gradient became non-finite'."""
    if math.isfinite(f):
        return "the gradient became non-finite"
    return f"the objective became {'nan' if math.isnan(f) else ('inf' if f > 0 else '-inf')}"


def rejected(new_f, new_g, new_theta, limit: float, f0: float) -> str | None:
    """None when a new full-batch iterate is acceptable, else why not (a 'diverged' detail):
    a non-finite value, gradient or θ, or J above ``limit`` (DIVERGENCE_FACTOR-fold growth)."""
    if new_f <= limit and np.all(np.isfinite(new_g)) and np.all(np.isfinite(new_theta)):
        return None
    if new_f > limit:
        return f"the objective grew from {f0:.4g} to {new_f:.4g} (more than {DIVERGENCE_FACTOR:.0e} times)"
    return non_finite(new_f)


def budget_end(tol, measure: float, max_iter: int, name: str = "||grad||", hint: str = "increase max_iter"):
    """(status, detail) for a full-batch run whose ``max_iter`` updates are done."""
    if tol is not None and measure <= tol:
        return "converged", f"{name}={measure:.3g} <= tol={tol:g} after {max_iter} iterations"
    if tol is None:
        return "completed", f"max_iter={max_iter} iterations, no stopping criterion (tol=None)"
    return "max_iter", f"all {max_iter} iterations ran with {name}={measure:.3g} still > tol={tol:g}; {hint}"


def _caller_level() -> int:
    """The stacklevel of the first frame outside mlopt, as seen from conclude's warn call."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def conclude(status: str, detail: str, *, theta, hist, tol, n_iter: int, objective=None,
             advice="", history_kind: str = "exact") -> Result:
    """The Result of a run that stops for ``status``.

    Parameters
    ----------
    status : str
        A key of ``STATUSES``.
    detail : str
        What happened, in words (the message after ``"<status>: "``).
    theta : ndarray
        The iterate to return.
    hist : History
        The record (its first and last "objective" values give the growth test).
    tol : float or None
        The tolerance the caller asked for (None: no warning except for a divergence).
    n_iter : int
        Updates performed.
    objective : float or callable, optional
        J(theta); by default the last recorded objective. A callable is evaluated when first read.
    advice : str or callable
        What to change, for a divergence (a callable is only called then).
    """
    f0, f_end = hist.first("objective"), hist.last("objective")
    if status not in ("diverged", "callback") and grew(f_end, f0, END_GROWTH):
        status = "diverged"
        detail = (f"after {n_iter} updates the objective grew from {f0:.4g} to {f_end:.4g} "
                  f"(more than {END_GROWTH:.0e} times)")
    if status == "diverged":
        text = advice() if callable(advice) else advice
        if text:
            detail = f"{detail}; {text}"
    message = f"{status}: {detail}"
    if STATUSES[status].warns and (status == "diverged" or tol is not None):
        warnings.warn(message, ConvergenceWarning, stacklevel=_caller_level())
    return Result(theta, f_end if objective is None else objective, n_iter, None, message, hist.as_dict(),
                  status=status, history_kind=history_kind)
