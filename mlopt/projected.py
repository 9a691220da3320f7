"""Projected gradient descent: a gradient step, then the Euclidean projection back onto C.

For min J(θ) subject to θ ∈ C, a closed convex set with an easy projection P_C
(:mod:`mlopt.projections`):

.. math::

    \\theta_{t+1} = P_C\\big(\\theta_t - \\eta\\, \\nabla J(\\theta_t)\\big).

It is the proximal gradient method (Chapter 4) for the indicator function of C, and keeps its
rates: O(1/t) for a convex L-smooth J with η = 1/L, linear when J is strongly convex. The
stopping measure is the gradient mapping Gₜ = (θₜ − P_C(θₜ − η∇J(θₜ)))/η, which is 0 exactly at
a constrained minimizer (where −∇J lies in the normal cone of C) and is ∇J inside C.
Chapter 11 (*Constraints*) explains it.
"""

from __future__ import annotations

import numpy as np

from ._advice import lr_advice
from ._history import History
from ._linesearch import ARMIJO_SHRINK, MAX_HALVINGS, round_off
from ._options import check_run_options, resolve_lr
from ._oracle import Oracle
from ._stop import DIVERGENCE_FACTOR, budget_end, conclude, rejected
from ._validation import check_callable

__all__ = ["projected_gradient"]


def _checked_projection(project, theta):
    """P(θ) as a float64 array of θ's shape, or a ValueError naming ``project``."""
    out = np.asarray(project(theta), dtype=np.float64)
    if out.shape != theta.shape:
        raise ValueError(f"project must return an array of theta's shape {theta.shape}; got shape {out.shape}")
    if not np.all(np.isfinite(out)):
        raise ValueError("project returned non-finite values")
    return out


def projected_gradient(obj, theta0, *, project, lr="auto", max_iter: int = 1000, tol: float | None = 1e-6,
                       callback=None, record_theta: bool = False):
    """Minimize ``obj`` over a convex set by projected gradient steps.

    Parameters
    ----------
    obj : EmpiricalRisk, Quadratic or any object with ``value`` and ``gradient``
        A smooth objective (a non-smooth regularizer belongs in :func:`mlopt.proximal_gradient`).
    theta0 : array_like, shape (n_features,)
        Starting point (not modified). It is projected first when it lies outside C.
    project : callable
        θ ↦ P_C(θ), the Euclidean projection onto a closed convex set C, e.g.
        ``mlopt.projections.ball(1.0)``; it must not modify its argument.
    lr : float, "auto" or "backtracking", default "auto"
        Step size η: a constant; "auto" for 1/L from
        ``obj.smoothness()``; "backtracking" to start from η = 1 and halve η until
        J(θ⁺) ≤ J(θ) + ∇J(θ)ᵀ(θ⁺ − θ) + ‖θ⁺ − θ‖²/(2η) (up to J's round-off), the sufficient
        decrease of projected steps; η never grows again (Beck & Teboulle's rule), so once
        η ≤ 1/L every step is accepted at once.
    max_iter : int, default 1000
        Maximum number of steps.
    tol : float or None, default 1e-6
        Stop when the gradient mapping ‖θ − P_C(θ − η∇J(θ))‖/η ≤ tol; None runs all steps.
    callback : callable, optional
        ``callback(t, theta, objective)`` after each update (or ``callback(theta)``); returning
        True stops.
    record_theta : bool, default False
        Keep every iterate in ``history["theta"]``.

    Returns
    -------
    Result
        ``history["grad_norm"]`` holds the gradient-mapping norms (‖∇J‖ where the constraint is
        not active); every iterate lies in C.

    Notes
    -----
    Explained in :doc:`/book/11_constraints`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> q = mlopt.Quadratic(np.eye(2), b=np.array([2.0, 0.5]))      # unconstrained minimum (2, 0.5)
    >>> res = mlopt.projected_gradient(q, np.zeros(2), project=mlopt.projections.box(0.0, 1.0))
    >>> res.status, res.theta
    ('converged', array([1. , 0.5]))
    """
    check_callable(project, "project", allow_none=False)
    oracle = Oracle(obj, theta0)
    max_iter, tol, callback, record_theta = check_run_options(max_iter, tol, callback, record_theta)
    spec = resolve_lr(lr, accept=("auto", "backtracking"), smoothness=oracle.smoothness, schedules=False)
    L = oracle.smoothness()

    theta = _checked_projection(project, oracle.theta0.copy())
    hist = History(theta.size, record_theta)
    f, g = oracle.start(theta, "theta0 (projected)")
    n_grad = 1
    eta = spec.value
    backtracking = spec.kind == "backtracking"
    limit = DIVERGENCE_FACTOR * max(abs(f), 1.0)

    def step_from(theta, g, eta):
        return _checked_projection(project, theta - eta * g)

    def end(status, detail):
        return conclude(status, detail, theta=theta, hist=hist, tol=tol, n_iter=hist.n - 1,
                        advice=lambda: lr_advice(eta, L))

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        nxt = step_from(theta, g, eta)
        gmap = float(np.linalg.norm(theta - nxt) / eta)
        hist.record(theta, objective=f, grad_norm=gmap, lr=0.0, n_grad=n_grad)
        for t in range(max_iter):
            if tol is not None and gmap <= tol:
                return end("converged", f"gradient mapping {gmap:.3g} <= tol={tol:g} after {t} iterations")
            if backtracking:
                for _ in range(MAX_HALVINGS):
                    d = nxt - theta
                    new_f = oracle.value(nxt)
                    if np.isfinite(new_f) and new_f <= f + float(g @ d) + float(d @ d) / (2 * eta) + round_off(f):
                        break
                    eta *= ARMIJO_SHRINK
                    nxt = step_from(theta, g, eta)
                else:
                    return end("line_search_failed", f"at iteration {t} no step length gave sufficient decrease "
                                                     f"(gradient mapping {gmap:.3g})")
            new = nxt
            if np.array_equal(new, theta):
                return end("stalled", f"at iteration {t} the projected step no longer changes theta "
                                      f"(gradient mapping {gmap:.3g})"
                                      + (f", so tol={tol:g} is out of reach" if tol else ""))
            new_f, new_g = oracle.value_and_gradient(new)
            n_grad += 1
            why = rejected(new_f, new_g, new, limit, hist.first("objective"))
            if why:
                return end("diverged", f"at iteration {t + 1}: {why}")
            theta, f, g = new, new_f, new_g
            nxt = step_from(theta, g, eta)
            gmap = float(np.linalg.norm(theta - nxt) / eta)
            hist.record(theta, objective=f, grad_norm=gmap, lr=eta, n_grad=n_grad)
            if callback is not None and callback(t + 1, theta.copy(), f):
                return end("callback", f"stopped after {t + 1} iterations")
    hint = "increase max_iter"
    if L is not None and not backtracking and eta > 2.0 / L:   # a bounded set: the iterates cycle, not diverge
        hint = f"more iterations will not help: {lr_advice(eta, L)}"
    return end(*budget_end(tol, gmap, max_iter, name="gradient mapping", hint=hint))
