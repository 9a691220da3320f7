"""Newton's method with a backtracking line search (damped Newton).

.. math::

    \\nabla^2 J(\\theta_t)\\, p_t = \\nabla J(\\theta_t), \\qquad \\theta_{t+1} = \\theta_t - \\eta_t p_t,

with ηₜ = 1 whenever it gives sufficient decrease, else halved (Armijo). The system is solved by a
Cholesky factorization; where the Hessian is not positive definite, by least squares.
Chapter 3 (*Gradient descent*) shows it in two lines; Chapter 2 (*Gradients*) derives the Hessian.
"""

from __future__ import annotations

import numpy as np

from ._loop import History, Oracle, finish, non_finite_what
from ._validation import check_bool, check_run_options
from ._linesearch import armijo, round_off

__all__ = ["newton"]

#: Newton steps in a row that may change J only within its round-off without halving the best
#: ‖∇J‖ before the run stops as stalled: the gradient has reached float64's noise level.
STALL_STEPS = 3


def _newton_direction(H, g):
    try:
        c = np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(H, g, rcond=None)[0]
    return np.linalg.solve(c.T, np.linalg.solve(c, g))


def newton(obj, theta0, *, max_iter: int = 50, tol: float | None = 1e-8, line_search: bool = True,
           callback=None, record_theta: bool = False):
    """Minimize ``obj`` with Newton's method.

    Parameters
    ----------
    obj : EmpiricalRisk or SymbolicFunction (anything with value, gradient and hessian)
    theta0 : array_like, shape (n_features,)
    max_iter : int, default 50
    tol : float or None, default 1e-8
        Stop when ‖∇J(θ)‖ ≤ tol.
    line_search : bool, default True
        Halve the step until the Armijo condition holds (pure Newton steps when False).
    callback : callable, optional
        ``callback(t, theta, objective)`` after each update (or ``callback(theta)``);
        returning True stops.
    record_theta : bool, default False

    Returns
    -------
    Result
        ``history["lr"]`` holds the accepted step lengths ηₜ.

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
    oracle = Oracle(obj, theta0)
    if not callable(oracle.hessian):
        raise ValueError(f"obj must have a hessian(theta) method for newton; got {type(obj).__name__}")
    max_iter, tol, callback, record_theta = check_run_options(max_iter, tol, callback, record_theta)
    line_search = check_bool(line_search, "line_search")

    theta = oracle.theta0
    hist = History(max_iter + 1, theta.size, record_theta)
    f, g = oracle.value_and_gradient(theta)
    if not (np.isfinite(f) and np.all(np.isfinite(g))):
        raise ValueError(f"theta0 gives a non-finite objective or gradient (objective={f})")
    n_grad = 1
    gnorm = float(np.linalg.norm(g))
    hist.record(f, gnorm, 0.0, n_grad, theta)
    converged, stopped, message = False, False, ""
    best_gnorm, no_progress = gnorm, 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(max_iter + 1):
            if gnorm <= tol:
                converged = True
                message = f"converged: ||grad||={gnorm:.3g} <= tol={tol:g} after {t} iterations"
                break
            if t == max_iter:
                break
            H = np.asarray(oracle.hessian(theta), dtype=np.float64)
            p = _newton_direction(H, g)
            eta = 1.0
            if line_search:
                slope = float(g @ p)
                if not slope > 0:  # not a descent direction (indefinite Hessian): fall back to -g
                    p, slope = g, gnorm * gnorm
                eta = armijo(oracle.value, theta, p, f, slope, 1.0, allowance=round_off(f))
                if eta is None:
                    stopped = True
                    message = (f"stopped: no step with sufficient decrease at iteration {t} "
                               f"(||grad||={gnorm:.3g}); the objective is flat to machine precision")
                    break
            new_theta = theta - eta * p
            if np.array_equal(new_theta, theta):
                stopped = True
                message = (f"stopped at iteration {t}: the Newton step no longer changes theta "
                           f"(||grad||={gnorm:.3g}); the Hessian may be singular or the objective flat "
                           "to machine precision here")
                break
            new_f, new_g = oracle.value_and_gradient(new_theta)
            n_grad += 1
            if not (np.isfinite(new_f) and np.all(np.isfinite(new_g))):
                stopped = True
                message = (f"diverged at iteration {t + 1}: {non_finite_what(new_f, new_g)}; "
                           "use line_search=True or start closer to the minimum")
                break
            # Progress: J fell by more than its round-off, or the best gradient norm halved. A step
            # that moves J only within its round-off and does not halve ‖∇J‖ counts towards a stall.
            f_noise = round_off(f)
            progressed, within_noise = new_f < f - f_noise, abs(new_f - f) <= f_noise
            theta, f, g = new_theta, new_f, new_g
            gnorm = float(np.linalg.norm(g))
            hist.record(f, gnorm, eta, n_grad, theta)
            if gnorm < 0.5 * best_gnorm:
                progressed = True
            best_gnorm = min(best_gnorm, gnorm)
            no_progress = no_progress + 1 if (within_noise and not progressed) else 0
            if callback is not None and callback(t + 1, theta.copy(), f):
                return finish(theta, f, hist.n - 1, False, f"stopped by callback after {t + 1} iterations",
                              hist, warn=False)
            if no_progress >= STALL_STEPS and gnorm > tol:
                stopped = True
                message = (f"stalled at iteration {t + 1}: {STALL_STEPS} Newton steps in a row lowered neither "
                           f"J beyond its round-off nor ||grad|| (best {best_gnorm:.3g}); the gradient is at "
                           f"its float64 noise level here, so tol={tol:g} cannot be reached")
                break
    if converged:
        return finish(theta, f, hist.n - 1, True, message, hist, warn=False)
    if not stopped:
        message = f"max_iter={max_iter} reached with ||grad||={gnorm:.3g} > tol={tol:g}; increase max_iter"
    return finish(theta, f, hist.n - 1, False, message, hist, warn=True)
