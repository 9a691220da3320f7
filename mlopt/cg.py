"""Linear conjugate gradients for objectives with a constant Hessian (Hestenes & Stiefel, 1952).

For J(θ) = ½ θᵀAθ − bᵀθ (+ c), with residual rₜ = −∇J(θₜ) = b − Aθₜ and p₀ = r₀:

.. math::

    \\alpha_t = \\frac{r_t^\\top r_t}{p_t^\\top A p_t}, \\quad
    \\theta_{t+1} = \\theta_t + \\alpha_t p_t, \\quad
    r_{t+1} = r_t - \\alpha_t A p_t, \\quad
    p_{t+1} = r_{t+1} + \\frac{r_{t+1}^\\top r_{t+1}}{r_t^\\top r_t}\\, p_t .

αₜ minimizes J exactly along pₜ, and the directions are A-conjugate (pᵢᵀApⱼ = 0), so θₜ
minimizes J over θ₀ + span{r₀, Ar₀, …, Aᵗ⁻¹r₀}: at most d steps in exact arithmetic, and
‖θₜ − θ*‖_A ≤ 2((√κ − 1)/(√κ + 1))ᵗ ‖θ₀ − θ*‖_A. One Hessian-vector product per step.
Chapter 9 (*Preconditioning*) explains it.
"""

from __future__ import annotations

import numpy as np

from ._history import History
from ._options import check_run_options
from ._oracle import Oracle
from ._stop import DIVERGENCE_FACTOR, budget_end, conclude, rejected
from .objective import EmpiricalRisk
from .quadratic import Quadratic

__all__ = ["conjugate_gradient"]

#: Times the recursively updated residual may meet tol while the true gradient does not before
#: the run stops as stalled (each time CG restarts from the true residual).
MAX_RESTARTS = 3


def _hessian_product(obj):
    """θ-free ``v -> ∇²J v`` of an objective with a constant Hessian, or a ValueError."""
    if isinstance(obj, Quadratic):
        A = obj.A
        return lambda v: A @ v
    if isinstance(obj, EmpiricalRisk):
        if obj.loss.constant_dz2 is None or not obj.regularizer.smooth:
            raise ValueError("conjugate_gradient needs a quadratic objective (a constant Hessian): an "
                             "EmpiricalRisk with the squared loss and regularizer l2 or none, or an "
                             f"mlopt.Quadratic; got {obj!r} (use mlopt.lbfgs or mlopt.newton for it)")
        fast, zero = obj.unchecked, np.zeros(obj.n_features)
        return lambda v: fast.hessian_vector(zero, v)
    raise ValueError("conjugate_gradient needs a quadratic objective: an mlopt.Quadratic, or an "
                     "EmpiricalRisk with the squared loss and regularizer l2 or none; "
                     f"got {type(obj).__name__}")


def conjugate_gradient(obj, theta0, *, tol: float | None = 1e-8, max_iter: int | None = None,
                       callback=None, record_theta: bool = False):
    """Minimize a quadratic objective by linear conjugate gradients.

    Parameters
    ----------
    obj : Quadratic or EmpiricalRisk
        An objective with a constant Hessian: an :class:`~mlopt.Quadratic`, or an
        :class:`~mlopt.EmpiricalRisk` with the squared loss and ``regularizer`` ``l2`` or ``none``
        (least squares and ridge). Anything else is refused with a ValueError.
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    tol : float or None, default 1e-8
        Stop when ‖∇J(θ)‖ ≤ tol. The test reads the recursively updated residual rₜ; when it
        passes, the true gradient is computed, and if it does not pass, CG restarts from it (at
        most 3 times, then the run stops as "stalled": tol is below what float64 resolves).
        None runs all ``max_iter`` steps.
    max_iter : int or None, default None
        Maximum number of steps; None means 10·d (exact arithmetic needs at most d; round-off
        on an ill-conditioned problem may need more).
    callback : callable, optional
        ``callback(t, theta, objective)`` after each step (or ``callback(theta)``); returning
        True stops.
    record_theta : bool, default False
        Keep every iterate in ``history["theta"]``.

    Returns
    -------
    Result
        ``history["objective"]`` holds J(θₜ) (one extra evaluation per step: the recursion does
        not need it); ``history["grad_norm"]`` the norm of the recursively updated residual rₜ
        (equal to ‖∇J(θₜ)‖ in exact arithmetic, and within round-off of it until it reaches
        float64's noise floor); ``history["lr"]`` the exact step αₜ; ``history["n_grad"]`` the
        gradients and Hessian-vector products so far (each costs two passes over X for an
        EmpiricalRisk).

    Notes
    -----
    Explained in :doc:`/book/09_preconditioning`; the lower bound that CG attains in
    :doc:`/book/08_convergence`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> q = mlopt.Quadratic(np.diag([1.0, 2.0, 2.0, 5.0]), b=np.ones(4))
    >>> res = mlopt.conjugate_gradient(q, np.zeros(4))
    >>> res.status, res.n_iter, np.allclose(res.theta, q.minimizer())  # 3 distinct eigenvalues: 3 steps
    ('converged', 3, True)
    """
    product = _hessian_product(obj)
    oracle = Oracle(obj, theta0)
    d = oracle.theta0.size
    if max_iter is None:
        max_iter = 10 * max(d, 1)
    max_iter, tol, callback, record_theta = check_run_options(max_iter, tol, callback, record_theta)

    theta = oracle.theta0
    hist = History(d, record_theta)
    f, g = oracle.start(theta)
    r = -g
    rr = float(r @ r)
    p = r.copy()
    n_grad, restarts = 1, 0
    hist.record(theta, objective=f, grad_norm=np.sqrt(rr), lr=0.0, n_grad=n_grad)
    limit = DIVERGENCE_FACTOR * max(abs(f), 1.0)
    last_true = np.inf

    def end(status, detail):
        return conclude(status, detail, theta=theta, hist=hist, tol=tol, n_iter=hist.n - 1,
                        objective=lambda: oracle.value(theta))

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(max_iter):
            if rr == 0.0 or (tol is not None and np.sqrt(rr) <= tol):
                g = oracle.gradient(theta)       # the recursion drifts: check the true gradient
                n_grad += 1
                true = float(np.linalg.norm(g))
                if true == 0.0 or (tol is not None and true <= tol):
                    return end("converged", f"||grad||={true:.3g} <= tol={tol if tol is not None else 0:g} "
                                            f"after {t} iterations")
                if restarts >= MAX_RESTARTS or true >= 0.5 * last_true:
                    return end("stalled", f"at iteration {t} the recursive residual ({np.sqrt(rr):.3g}) met "
                                          f"tol but the true gradient stays at {true:.3g} after {restarts} "
                                          "restarts: the gradient is at its float64 noise level here"
                                          + (f", so tol={tol:g} is out of reach" if tol else ""))
                restarts, last_true = restarts + 1, true
                r = -g
                rr = float(r @ r)
                p = r.copy()
            Ap = product(p)
            n_grad += 1
            pAp = float(p @ Ap)
            if not pAp > 0.0:
                return end("diverged", f"at iteration {t}: the curvature along the search direction is "
                                       f"{pAp:.3g} <= 0 while ||grad||={np.sqrt(rr):.3g}: J is unbounded "
                                       "below (the Hessian is singular and b is not in its range)")
            alpha = rr / pAp
            new_theta = theta + alpha * p
            if np.array_equal(new_theta, theta):
                return end("stalled", f"at iteration {t} the step no longer changes theta "
                                      f"(||r||={np.sqrt(rr):.3g}): J is flat to machine precision here"
                                      + (f", so tol={tol:g} is out of reach" if tol else ""))
            new_f = oracle.value(new_theta)
            r = r - alpha * Ap
            why = rejected(new_f, r, new_theta, limit, hist.first("objective"))
            if why:
                return end("diverged", f"at iteration {t + 1}: {why}")
            rr_new = float(r @ r)
            p = r + (rr_new / rr) * p if rr_new > 0.0 else r
            theta, f, rr = new_theta, new_f, rr_new
            hist.record(theta, objective=f, grad_norm=np.sqrt(rr), lr=alpha, n_grad=n_grad)
            if callback is not None and callback(t + 1, theta.copy(), f):
                return end("callback", f"stopped after {t + 1} iterations")
    gnorm = float(np.linalg.norm(oracle.gradient(theta)))
    return end(*budget_end(tol, gnorm, max_iter, hint="increase max_iter (round-off slows CG when kappa is large)"))
