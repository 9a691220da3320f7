"""L-BFGS: a quasi-Newton method that keeps the last m curvature pairs (Liu & Nocedal, 1989).

With sₖ = θₖ₊₁ − θₖ and yₖ = ∇J(θₖ₊₁) − ∇J(θₖ), the direction pₜ = −Hₜ∇J(θₜ) applies the BFGS
inverse-Hessian approximation built from the last m pairs to the gradient, without forming it
(the two-loop recursion, Nocedal & Wright Algorithm 7.4):

.. math::

    q \\leftarrow g;\\quad \\text{for } k = t-1, \\dots, t-m:\\;
    a_k = \\rho_k s_k^\\top q,\\; q \\leftarrow q - a_k y_k;\\qquad
    r \\leftarrow \\gamma q;\\quad \\text{for } k = t-m, \\dots, t-1:\\;
    r \\leftarrow r + s_k (a_k - \\rho_k y_k^\\top r),

with ρₖ = 1/(yₖᵀsₖ), γ = sᵀy/yᵀy of the newest pair (H₀ = γI), and pₜ = −r. The step length
comes from a line search meeting the strong Wolfe conditions (:mod:`mlopt._wolfe`), which keeps
yₖᵀsₖ > 0. Cost per iteration: one gradient (a few more when the line search needs them) and
about 4md flops. Chapter 9 (*Preconditioning*) explains it.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ._history import History
from ._linesearch import WindowWatch, round_off
from ._options import check_run_options
from ._oracle import Oracle
from ._stop import DIVERGENCE_FACTOR, budget_end, conclude, rejected
from ._validation import check_scalar
from ._wolfe import strong_wolfe

__all__ = ["lbfgs"]

#: Iterations in a row with J unchanged within its round-off and the best ‖∇J‖ not halved before
#: the run stops as stalled.
STALL_WINDOW = 50


def two_loop(g, pairs):
    """H g for the L-BFGS inverse-Hessian approximation of ``pairs`` [(s, y, ρ), oldest first]."""
    q = g.copy()
    a = []
    for s, y, rho in reversed(pairs):
        ak = rho * float(s @ q)
        q -= ak * y
        a.append(ak)
    if pairs:
        s, y, _ = pairs[-1]
        q *= float(s @ y) / float(y @ y)
    for (s, y, rho), ak in zip(pairs, reversed(a)):
        q += (ak - rho * float(y @ q)) * s
    return q


def lbfgs(obj, theta0, *, m: int = 10, tol: float | None = 1e-6, max_iter: int = 1000,
          c1: float = 1e-4, c2: float = 0.9, callback=None, record_theta: bool = False):
    """Minimize ``obj`` by L-BFGS with a strong Wolfe line search.

    Parameters
    ----------
    obj : EmpiricalRisk, Quadratic, SymbolicFunction or any object with ``value`` and ``gradient``
        The objective (smooth; the l1 part of a regularizer is not differentiable: use
        :func:`mlopt.proximal_gradient` for it).
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    m : int, default 10
        The number of curvature pairs (sₖ, yₖ) kept (SciPy's ``maxcor``).
    tol : float or None, default 1e-6
        Stop when ‖∇J(θ)‖ ≤ tol; None runs all ``max_iter`` iterations (or until they stall).
    max_iter : int, default 1000
        Maximum number of iterations (line-search trials are not iterations).
    c1, c2 : float, default 1e-4 and 0.9
        The Wolfe constants, 0 < c1 < c2 < 1 (0.9 is the usual choice for quasi-Newton methods:
        the unit step is accepted most of the time).
    callback : callable, optional
        ``callback(t, theta, objective)`` after each iteration (or ``callback(theta)``);
        returning True stops.
    record_theta : bool, default False
        Keep every iterate in ``history["theta"]``.

    Returns
    -------
    Result
        ``history["lr"]`` holds the accepted step lengths αₜ (1 for most quasi-Newton steps);
        ``history["n_grad"]`` counts every gradient evaluated, the line search's trials included
        (what SciPy reports as ``nfev`` for ``method="L-BFGS-B"``). The first step tries
        α = 1/‖∇J(θ₀)‖, later ones α = 1. The status is "stalled" when 50 steps in a row change J
        only within its round-off while the best ‖∇J‖ does not halve (the gradient is at its
        noise level: past J's resolution the line search still uses the gradients, and ‖∇J‖ keeps
        shrinking until then); "line_search_failed" when no step length gives sufficient decrease
        even along −∇J; "diverged" when J leaves the bounds of every solver or falls below
        −1e10 · max(abs(J(θ₀)), 1) (unbounded below).

    Notes
    -----
    Explained in :doc:`/book/09_preconditioning`; Nocedal & Wright, *Numerical Optimization*,
    Chapters 3 and 7.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]); y = np.array([1.0, 2.0, 2.0])
    >>> res = mlopt.lbfgs(mlopt.EmpiricalRisk(X, y), np.zeros(2), tol=1e-10)
    >>> res.status, np.allclose(res.theta, mlopt.ridge(X, y, 0.0))
    ('converged', True)
    """
    oracle = Oracle(obj, theta0)
    m = check_scalar(m, "m", low=1, integer=True)
    c1 = check_scalar(c1, "c1", low=0.0, high=1.0, low_open=True, high_open=True)
    c2 = check_scalar(c2, "c2", low=0.0, high=1.0, low_open=True, high_open=True)
    if not c1 < c2:
        raise ValueError(f"c1 must be < c2 (0 < c1 < c2 < 1); got c1={c1:g}, c2={c2:g}")
    max_iter, tol, callback, record_theta = check_run_options(max_iter, tol, callback, record_theta)

    theta = oracle.theta0
    hist = History(theta.size, record_theta)
    f, g = oracle.start(theta)
    gnorm, n_grad = float(np.linalg.norm(g)), 1
    hist.record(theta, objective=f, grad_norm=gnorm, lr=0.0, n_grad=n_grad)
    limit = DIVERGENCE_FACTOR * max(abs(f), 1.0)
    pairs: deque = deque(maxlen=m)
    watch = WindowWatch(gnorm, STALL_WINDOW)

    def end(status, detail):
        return conclude(status, detail, theta=theta, hist=hist, tol=tol, n_iter=hist.n - 1)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(max_iter):
            if tol is not None and gnorm <= tol:
                return end("converged", f"||grad||={gnorm:.3g} <= tol={tol:g} after {t} iterations")
            while True:
                p = -two_loop(g, pairs)
                slope = float(g @ p)
                if not (slope < 0 and np.isfinite(slope)):  # lost curvature information: restart
                    pairs.clear()
                    p, slope = -g, -gnorm * gnorm
                alpha0 = 1.0 if pairs else 1.0 / gnorm
                ls = strong_wolfe(oracle.value_and_gradient, theta, p, f, g, alpha0, c1=c1, c2=c2,
                                  allowance=round_off(f))
                n_grad += ls.n_eval
                if ls.alpha is not None or not pairs:
                    break
                pairs.clear()  # the quasi-Newton direction failed: try steepest descent once
            if ls.alpha is None:
                return end("line_search_failed", f"at iteration {t} no step length along -grad gave sufficient "
                                                 f"decrease (||grad||={gnorm:.3g}); J is flat to machine "
                                                 "precision or the gradient is wrong")
            new_theta = theta + ls.alpha * p
            if np.array_equal(new_theta, theta):
                return end("stalled", f"at iteration {t} the step no longer changes theta (||grad||={gnorm:.3g}): "
                                      "J is flat to machine precision here"
                                      + (f", so tol={tol:g} is out of reach" if tol else ""))
            new_f, new_g = ls.f, ls.g
            why = rejected(new_f, new_g, new_theta, limit, hist.first("objective"))
            if why is None and new_f < -limit:
                why = (f"the objective fell from {hist.first('objective'):.4g} to {new_f:.4g}: "
                       "J appears to be unbounded below")
            if why:
                return end("diverged", f"at iteration {t + 1}: {why}")
            s, y = new_theta - theta, new_g - g
            sy = float(s @ y)
            if sy > np.finfo(float).eps * float(y @ y):   # curvature pair usable (Wolfe: sy > 0)
                pairs.append((s, y, 1.0 / sy))
            gnorm = float(np.linalg.norm(new_g))
            stalled = watch.step(f, new_f, gnorm)
            theta, f, g = new_theta, new_f, new_g
            hist.record(theta, objective=f, grad_norm=gnorm, lr=ls.alpha, n_grad=n_grad)
            if callback is not None and callback(t + 1, theta.copy(), f):
                return end("callback", f"stopped after {t + 1} iterations")
            if stalled and not (tol is not None and gnorm <= tol):
                return end("stalled", f"at iteration {t + 1}: {STALL_WINDOW} steps in a row changed J only within "
                                      f"its round-off and did not halve ||grad|| (best {watch.best:.3g}); the "
                                      "gradient is at its float64 noise level here"
                                      + (f", so tol={tol:g} is out of reach" if tol else ""))
    return end(*budget_end(tol, gnorm, max_iter))
