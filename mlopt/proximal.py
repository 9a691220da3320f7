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

from ._loop import History, finish, lr_advice
from ._validation import check_run_options, check_bool, check_scalar, check_theta
from .objective import EmpiricalRisk

__all__ = ["proximal_gradient"]


def proximal_gradient(obj, theta0, *, lr="auto", accelerated: bool = False, max_iter: int = 1000,
                      tol: float | None = 1e-6, callback=None, record_theta: bool = False):
    """Minimize R̂ₙ(θ) + λΩ(θ) by proximal gradient steps (ISTA), or FISTA when ``accelerated``.

    Parameters
    ----------
    obj : EmpiricalRisk
        Any loss with known curvature bounds and any regularizer (l1, elastic_net, l2, none).
    theta0 : array_like, shape (n_features,)
    lr : float or "auto", default "auto"
        Step size η; "auto" is 1/L with L = ``obj.risk_smoothness()`` (the smooth part only).
    accelerated : bool, default False
        FISTA (Beck & Teboulle 2009): extrapolate with weights (sₜ − 1)/sₜ₊₁,
        sₜ₊₁ = (1 + √(1 + 4sₜ²))/2; rate O(1/t²) instead of O(1/t) on J − J*.
    max_iter : int, default 1000
    tol : float or None, default 1e-6
        Stop when the gradient mapping ‖(θₜ − θₜ₊₁)/η‖ ≤ tol.
    callback : callable, optional
        ``callback(t, theta, objective)`` after each update (or ``callback(theta)``);
        returning True stops.
    record_theta : bool, default False

    Returns
    -------
    Result
        ``history["grad_norm"]`` holds the gradient-mapping norms.

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
    if isinstance(lr, str):
        if lr != "auto":
            raise ValueError(f"lr must be a positive float or 'auto'; got lr={lr!r}")
        if L is None or L <= 0:
            raise ValueError("lr='auto' needs a positive risk_smoothness(); pass a float lr")
        eta = 1.0 / L
    else:
        eta = check_scalar(lr, "lr", low=0.0, low_open=True)
    lam, reg = obj.lam, obj.regularizer

    def J(th):
        r, _ = obj._risk_value_and_gradient(th)
        return r + lam * reg.value(th)

    def prox_step(point):
        _, g = obj._risk_value_and_gradient(point)
        return reg.prox(point - eta * g, eta * lam) if lam else point - eta * g

    hist = History(max_iter + 1, theta.size, record_theta)
    f = J(theta)
    with np.errstate(over="ignore", invalid="ignore"):
        nxt = prox_step(theta)
    gmap = float(np.linalg.norm(theta - nxt) / eta)
    hist.record(f, gmap, 0.0, 1, theta)
    n_grad = 1
    y_pt, s = theta.copy(), 1.0
    converged, message, diverged = False, "", False
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(max_iter + 1):
            if gmap <= tol:
                converged = True
                message = f"converged: gradient mapping {gmap:.3g} <= tol={tol:g} after {t} iterations"
                break
            if t == max_iter:
                break
            if accelerated:
                new = prox_step(y_pt)
                n_grad += 1
                s_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * s * s))
                y_pt = new + ((s - 1.0) / s_next) * (new - theta)
                s = s_next
            else:
                new = nxt
            new_f = J(new)
            if not (np.isfinite(new_f) and np.all(np.isfinite(new))):
                diverged = True
                message = (f"diverged at iteration {t + 1}: the objective became non-finite; "
                           f"{lr_advice(eta, L)}")
                break
            theta, f = new, new_f
            nxt = prox_step(theta)
            n_grad += 1
            gmap = float(np.linalg.norm(theta - nxt) / eta)
            hist.record(f, gmap, eta, n_grad, theta)
            if callback is not None and callback(t + 1, theta.copy(), f):
                return finish(theta, f, hist.n - 1, False, f"stopped by callback after {t + 1} iterations",
                              hist, warn=False)
    if converged:
        return finish(theta, f, hist.n - 1, True, message, hist, warn=False)
    if not diverged and tol == 0.0:
        return finish(theta, f, hist.n - 1, False,
                      f"completed max_iter={max_iter} iterations (no tolerance: tol=None)", hist, warn=False)
    if not diverged:
        message = f"max_iter={max_iter} reached with gradient mapping {gmap:.3g} > tol={tol:g}; increase max_iter"
    return finish(theta, f, hist.n - 1, False, message, hist, warn=True)
