"""Newton's method with a backtracking line search (damped Newton).

.. math::

    \\nabla^2 J(\\theta_t)\\, p_t = \\nabla J(\\theta_t), \\qquad \\theta_{t+1} = \\theta_t - \\eta_t p_t,

with ηₜ = 1 whenever it gives sufficient decrease, else halved (Armijo). The system is solved by a
Cholesky factorization; where the Hessian is not positive definite, by least squares.
Chapter 3 (*Gradient descent*) shows it in two lines; Chapter 2 (*Gradients*) derives the Hessian.
"""

from __future__ import annotations

import numpy as np

from ._compat import cholesky
from ._history import History
from ._linesearch import ARMIJO_C, ARMIJO_SHRINK, STALL_STEPS, StallWatch, armijo, round_off
from ._options import check_run_options
from ._oracle import Oracle
from ._stop import DIVERGENCE_FACTOR, budget_end, conclude, rejected
from ._validation import check_bool

__all__ = ["newton"]

def _newton_direction(H, g):
    try:
        c = cholesky(H)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(H, g, rcond=None)[0]
    return np.linalg.solve(c.T, np.linalg.solve(c, g))


def newton(obj, theta0, *, max_iter: int = 50, tol: float | None = 1e-8, line_search: bool = True,
           callback=None, record_theta: bool = False):
    """Minimize ``obj`` with Newton's method.

    Parameters
    ----------
    obj : EmpiricalRisk or SymbolicFunction (anything with value, gradient and hessian)
        The objective.
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    max_iter : int, default 50
        Maximum number of Newton steps.
    tol : float or None, default 1e-8
        Stop when ‖∇J(θ)‖ ≤ tol; None runs all ``max_iter`` steps (or until they stall).
    line_search : bool, default True
        Halve the step until the Armijo condition holds, up to J's round-off (pure Newton steps
        when False). The full step is tried with J, ∇J and ∇²J computed together (one pass over
        X; one round on a cluster, :doc:`/book/13_distributed`): when it is accepted, as it is
        near the minimum, a step costs one pass.
    callback : callable, optional
        ``callback(t, theta, objective)`` after each update (or ``callback(theta)``);
        returning True stops.
    record_theta : bool, default False
        Keep every iterate in ``history["theta"]``.

    Returns
    -------
    Result
        ``history["lr"]`` holds the accepted step lengths ηₜ. The status is "stalled" when
        three steps in a row change J only within its round-off without halving ‖∇J‖ (the
        gradient is at float64's noise level), or when a step no longer changes θ.

    Notes
    -----
    Explained in :doc:`/book/03_gradient_descent` and :doc:`/book/06_classification`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]); y = np.array([1.0, 2.0, 2.0])
    >>> res = mlopt.newton(mlopt.EmpiricalRisk(X, y), np.zeros(2))
    >>> res.n_iter, np.allclose(res.theta, mlopt.ridge(X, y, 0.0))
    (1, True)
    """
    oracle = Oracle(obj, theta0, need_hessian=True)
    max_iter, tol, callback, record_theta = check_run_options(max_iter, tol, callback, record_theta)
    line_search = check_bool(line_search, "line_search")
    advice = "use line_search=True or start closer to the minimum" if not line_search else ""

    theta = oracle.theta0
    hist = History(theta.size, record_theta)
    f, g, H = oracle.start(theta, hessian=True)
    gnorm, n_grad = float(np.linalg.norm(g)), 1
    hist.record(theta, objective=f, grad_norm=gnorm, lr=0.0, n_grad=n_grad)
    limit = DIVERGENCE_FACTOR * max(abs(f), 1.0)
    watch = StallWatch(gnorm)

    def end(status, detail):
        return conclude(status, detail, theta=theta, hist=hist, tol=tol, n_iter=hist.n - 1, advice=advice)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(max_iter):
            if tol is not None and gnorm <= tol:
                return end("converged", f"||grad||={gnorm:.3g} <= tol={tol:g} after {t} iterations")
            p = _newton_direction(H, g)
            eta, full = 1.0, None
            if line_search:
                slope = float(g @ p)
                if not slope > 0:  # not a descent direction (indefinite Hessian): fall back to -g
                    p, slope = g, gnorm * gnorm
                # The full step is tried with J, ∇J and ∇²J at once (one pass over X, one round on a
                # cluster): it is accepted in most iterations, and then nothing is computed twice.
                full = oracle.value_gradient_hessian(theta - p)
                allowance = round_off(f)
                if not (np.isfinite(full[0]) and full[0] <= f - ARMIJO_C * slope + allowance):
                    full, n_grad = None, n_grad + 1    # its gradient was computed, and is not used
                    eta = armijo(oracle.value, theta, p, f, slope, ARMIJO_SHRINK, allowance=allowance)
                    if eta is None:
                        return end("line_search_failed", f"at iteration {t} no step length gave sufficient "
                                                         f"decrease (||grad||={gnorm:.3g}); J is flat to machine "
                                                         "precision or the Hessian is wrong")
            new_theta = theta - eta * p
            if np.array_equal(new_theta, theta):
                return end("stalled", f"at iteration {t} the Newton step no longer changes theta "
                                      f"(||grad||={gnorm:.3g}): J is flat to machine precision here")
            new_f, new_g, new_H = full if full is not None else oracle.value_gradient_hessian(new_theta)
            n_grad += 1
            why = rejected(new_f, new_g, new_theta, limit, hist.first("objective"))
            if why:
                return end("diverged", f"at iteration {t + 1}: {why}")
            gnorm = float(np.linalg.norm(new_g))
            stalled = watch.step(f, new_f, gnorm)
            theta, f, g, H = new_theta, new_f, new_g, new_H
            hist.record(theta, objective=f, grad_norm=gnorm, lr=eta, n_grad=n_grad)
            if callback is not None and callback(t + 1, theta.copy(), f):
                return end("callback", f"stopped after {t + 1} iterations")
            if stalled and not (tol is not None and gnorm <= tol):
                return end("stalled", f"at iteration {t + 1}: {STALL_STEPS} Newton steps in a row changed J only "
                                      f"within its round-off and did not halve ||grad|| (best {watch.best:.3g}); "
                                      "the gradient is at its float64 noise level here"
                                      + (f", so tol={tol:g} is out of reach" if tol else ""))
    return end(*budget_end(tol, gnorm, max_iter))
