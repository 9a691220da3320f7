"""Proximal gradient descent (ISTA) and its accelerated form (FISTA), for the non-smooth l1 term.

For J(θ) = R̂ₙ(θ) + λΩ(θ) with a smooth risk and Ω = ‖θ‖₁ (or the elastic net), a gradient step
on R̂ₙ is followed by the proximal step of λΩ:

.. math::

    \\theta_{t+1} = \\operatorname{prox}_{\\eta\\lambda\\Omega}\\big(\\theta_t - \\eta \\nabla \\hat R_n(\\theta_t)\\big),
    \\qquad \\operatorname{prox}_{\\eta\\lambda\\|\\cdot\\|_1}(v)_j = \\operatorname{sign}(v_j)\\max(|v_j| - \\eta\\lambda, 0),

soft-thresholding, which sets small coordinates exactly to zero (Chapter 4, *Regularization*).
The stopping measure is the norm of the gradient mapping Gₜ = (θₜ − θₜ₊₁)/η, which is ‖∇J‖ when Ω
is smooth and 0 exactly at a minimizer.
"""

from __future__ import annotations

import numpy as np

from ._advice import lr_advice
from ._history import History
from ._options import check_run_options, resolve_lr
from ._stop import DIVERGENCE_FACTOR, budget_end, conclude, rejected
from ._validation import check_bool, check_theta
from .objective import EmpiricalRisk

__all__ = ["proximal_gradient"]


def _operators(obj, eta):
    """J(θ) = R̂ₙ(θ) + λΩ(θ) and the prox step θ ↦ prox_{ηλΩ}(θ − η∇R̂ₙ(θ)) of ``obj``."""
    lam, reg, fast = obj.lam, obj.regularizer, obj.unchecked

    def J(th):
        return fast.risk_value(th) + (lam * reg.value(th) if lam else 0.0)

    def prox_step(point):
        g = fast.risk_gradient(point)
        return reg.prox(point - eta * g, eta * lam) if lam else point - eta * g

    return J, prox_step


def proximal_gradient(obj, theta0, *, lr="auto", accelerated: bool = False, max_iter: int = 1000,
                      tol: float | None = 1e-6, callback=None, record_theta: bool = False):
    """Minimize R̂ₙ(θ) + λΩ(θ) by proximal gradient steps (ISTA), or FISTA when ``accelerated``.

    Parameters
    ----------
    obj : EmpiricalRisk
        Any loss with known curvature bounds and any regularizer (l1, elastic_net, l2, none).
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    lr : float or "auto", default "auto"
        Step size η; "auto" is 1/L with L = ``obj.risk_smoothness()`` (the smooth part only).
    accelerated : bool, default False
        FISTA (Beck & Teboulle 2009): the prox step is taken from the extrapolated point
        yₜ₊₁ = θₜ₊₁ + ((sₜ − 1)/sₜ₊₁)(θₜ₊₁ − θₜ), sₜ₊₁ = (1 + √(1 + 4sₜ²))/2; rate O(1/t²)
        instead of O(1/t) on J − J*.
    max_iter : int, default 1000
        Maximum number of prox steps.
    tol : float or None, default 1e-6
        Stop when the gradient mapping at the point the step starts from, ‖(y − prox(y − η∇R̂ₙ(y)))/η‖
        (y = θ for ISTA), is ≤ tol; FISTA then returns that prox step (the last entry of the history).
    callback : callable, optional
        ``callback(t, theta, objective)`` after each update (or ``callback(theta)``);
        returning True stops.
    record_theta : bool, default False
        Keep every iterate in ``history["theta"]``.

    Returns
    -------
    Result
        ``history["grad_norm"]`` holds the gradient-mapping norms; ``history["n_grad"]`` counts
        every gradient of R̂ₙ evaluated: one per iteration, ISTA and FISTA alike.

    Notes
    -----
    Explained in :doc:`/book/04_regularization`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> X, y, _ = mlopt.datasets.make_regression(100, 5, rng=0)
    >>> obj = mlopt.EmpiricalRisk(X, y, regularizer=mlopt.regularizers.l1, lam=1.0)
    >>> res = mlopt.proximal_gradient(obj, np.zeros(5), tol=1e-10)
    >>> res.converged, np.round(res.theta, 3)
    (True, array([ 0.775,  0.   , -1.005, -0.47 ,  0.816]))
    """
    if not isinstance(obj, EmpiricalRisk):
        raise ValueError(f"obj must be an mlopt.EmpiricalRisk; got {type(obj).__name__}")
    theta = check_theta(theta0, obj.n_features, "theta0").copy()
    accelerated = check_bool(accelerated, "accelerated")
    max_iter, tol, callback, record_theta = check_run_options(max_iter, tol, callback, record_theta)
    L = obj.risk_smoothness() if obj.loss.curvature_bounds is not None else None
    smoothness = (lambda: L if L and L > 0 else None)
    spec = resolve_lr(lr, accept=("auto",), smoothness=smoothness, schedules=False)
    eta = spec.value
    J, prox_step = _operators(obj, eta)
    hist = History(theta.size, record_theta)
    with np.errstate(over="ignore", invalid="ignore"):
        f, nxt = J(theta), prox_step(theta)
    if not (np.isfinite(f) and np.all(np.isfinite(nxt))):
        raise ValueError(f"theta0 gives a non-finite objective or gradient (objective={f})")
    gmap, n_grad = float(np.linalg.norm(theta - nxt) / eta), 1
    hist.record(theta, objective=f, grad_norm=gmap, lr=0.0, n_grad=n_grad)
    limit = DIVERGENCE_FACTOR * max(abs(f), 1.0)
    s = 1.0

    def end(status, detail):
        return conclude(status, detail, theta=theta, hist=hist, tol=tol, n_iter=hist.n - 1,
                        advice=lambda: lr_advice(eta, L))

    def converged_at_next(t):
        # ISTA tests the criterion at θₜ itself; FISTA at yₜ, so it returns the prox step from yₜ
        # (already computed; θₜ can be a ripple away from the optimum).
        nonlocal theta
        if accelerated:
            theta = nxt
            hist.record(theta, objective=J(theta), grad_norm=gmap, lr=eta, n_grad=n_grad)
        return end("converged", f"gradient mapping {gmap:.3g} <= tol={tol:g} after {hist.n - 1} iterations")

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(max_iter):
            if tol is not None and gmap <= tol:
                return converged_at_next(t)
            new, new_f = nxt, J(nxt)
            why = rejected(new_f, new, new, limit, hist.first("objective"))
            if why:
                return end("diverged", f"at iteration {t + 1}: {why}")
            if accelerated:
                s_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * s * s))
                point = new + ((s - 1.0) / s_next) * (new - theta)
                s = s_next
            else:
                point = new
            if np.array_equal(new, theta) and np.array_equal(point, theta):
                return end("stalled", f"at iteration {t} the step no longer changes theta "
                                      f"(gradient mapping {gmap:.3g})")
            theta, f = new, new_f
            nxt = prox_step(point)
            n_grad += 1
            gmap = float(np.linalg.norm(point - nxt) / eta)
            hist.record(theta, objective=f, grad_norm=gmap, lr=eta, n_grad=n_grad)
            if callback is not None and callback(t + 1, theta.copy(), f):
                return end("callback", f"stopped after {t + 1} iterations")
    if tol is not None and gmap <= tol:
        return converged_at_next(max_iter)
    return end(*budget_end(tol, gmap, max_iter, name="gradient mapping"))
