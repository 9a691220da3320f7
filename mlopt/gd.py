"""Full-batch gradient descent, with momentum, Nesterov and Armijo backtracking.

The update (Chapter 3, *Gradient descent*, builds on Chapter 2, *Gradients*):

.. math::

    v_{t+1} = \\beta v_t - \\eta_t \\nabla J(\\theta_t + [\\text{nesterov}]\\,\\beta v_t), \\qquad
    \\theta_{t+1} = \\theta_t + v_{t+1},

with β = ``momentum`` (β = 0 gives plain θₜ₊₁ = θₜ − ηₜ∇J(θₜ)).
"""

from __future__ import annotations

import numpy as np

from ._loop import History, Oracle, blew_up, finish, growth_what, lr_advice, non_finite_what
from ._linesearch import ARMIJO_SHRINK, armijo
from ._validation import check_run_options, check_bool, check_scalar

__all__ = ["gradient_descent"]


_LR_STRINGS = ("auto", "backtracking")


def _resolve_lr(lr, oracle, momentum):
    """Return (kind, value): kind is 'const', 'schedule' or 'backtracking'."""
    if isinstance(lr, str):
        if lr not in _LR_STRINGS:
            raise ValueError(f"lr must be a positive float, a schedule (callable step -> lr), "
                             f"'auto' or 'backtracking'; got lr={lr!r}")
        if lr == "backtracking":
            if momentum:
                raise ValueError(f"lr='backtracking' works without momentum; got momentum={momentum:g}")
            return "backtracking", 1.0
        L = oracle.smoothness()
        if L is None:
            raise ValueError("lr='auto' (= 1/L) needs an objective with smoothness(); "
                             "pass a float lr or lr='backtracking'")
        return "const", 1.0 / L
    if callable(lr):
        return "schedule", lr
    return "const", check_scalar(lr, "lr", low=0.0, low_open=True)


def _schedule_lr(schedule, t):
    value = schedule(t)
    try:
        eta = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"lr schedule must return a number; got {value!r} at step {t}") from None
    if not np.isfinite(eta) or eta < 0:
        raise ValueError(f"lr schedule must return finite values >= 0; got {eta!r} at step {t}")
    return eta


def gradient_descent(obj, theta0, *, lr="auto", momentum: float = 0.0, nesterov: bool = False,
                     max_iter: int = 1000, tol: float | None = 1e-6, callback=None,
                     record_theta: bool = False):
    """Minimize ``obj`` by full-batch gradient descent.

    Parameters
    ----------
    obj : EmpiricalRisk or any object with ``value(theta)`` and ``gradient(theta)``
        (e.g. :class:`~mlopt.SymbolicFunction`).
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    lr : float, callable, "auto" or "backtracking", default "auto"
        Step size η: a constant; a schedule ``step -> lr`` from :mod:`mlopt.schedules`; "auto"
        for 1/L from ``obj.smoothness()``; or "backtracking" for an Armijo line search
        (J(θ − ηg) ≤ J(θ) − c η‖g‖² up to J's round-off, c = 1e-4, η halved until it holds, the
        next search starting from 2η).
    momentum : float in [0, 1), default 0
        Heavy-ball coefficient β.
    nesterov : bool, default False
        Evaluate the gradient at the look-ahead point θ + βv (needs ``momentum > 0``).
    max_iter : int, default 1000
        Maximum number of updates.
    tol : float or None, default 1e-6
        Stop when ‖∇J(θ)‖ ≤ tol; None or 0 runs all ``max_iter`` updates.
    callback : callable, optional
        ``callback(t, theta, objective)`` after each update (or ``callback(theta)``, SciPy's
        form); returning True stops the run.
    record_theta : bool, default False
        Keep every iterate in ``history["theta"]``.

    Returns
    -------
    Result
        ``history`` has one entry per iterate (entry 0 is θ₀); ``history["lr"][t]`` is the step
        size that produced iterate t (0 for θ₀).

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` runs out before ``tol`` is met, or when the iterates diverge: the run
        stops at the first non-finite value and returns the last finite iterate, with a message
        that begins with "diverged" and compares lr with 2/L. A run that ends with J above
        1e10 · max(abs(J(θ₀)), 1), still finite, is reported as diverged too.

    Notes
    -----
    Explained in :doc:`/book/03_gradient_descent`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]); y = np.array([1.0, 2.0, 2.0])
    >>> res = mlopt.gradient_descent(mlopt.EmpiricalRisk(X, y), np.zeros(2), tol=1e-10)
    >>> np.allclose(res.theta, mlopt.ridge(X, y, 0.0)), res.converged
    (True, True)
    """
    oracle = Oracle(obj, theta0)
    momentum = check_scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    nesterov = check_bool(nesterov, "nesterov")
    if nesterov and momentum == 0:
        raise ValueError("nesterov=True needs momentum in (0, 1); got momentum=0")
    max_iter, tol, callback, record_theta = check_run_options(max_iter, tol, callback, record_theta)
    kind, lr_value = _resolve_lr(lr, oracle, momentum)

    theta = oracle.theta0
    hist = History(max_iter + 1, theta.size, record_theta)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        f, g = oracle.value_and_gradient(theta)
    if not (np.isfinite(f) and np.all(np.isfinite(g))):
        raise ValueError(f"theta0 gives a non-finite objective or gradient (objective={f}); "
                         "choose another starting point")
    n_grad = 1
    gnorm = float(np.linalg.norm(g))
    hist.record(f, gnorm, 0.0, n_grad, theta)
    f0 = f
    v = np.zeros_like(theta)
    bt_eta = lr_value if kind == "backtracking" else None
    L = oracle.smoothness()

    converged, stopped, message, t = False, False, "", 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(max_iter + 1):
            if gnorm <= tol:
                converged = True
                message = f"converged: ||grad||={gnorm:.3g} <= tol={tol:g} after {t} iterations"
                break
            if t == max_iter:
                break
            # --- one update ---------------------------------------------------------------
            if kind == "backtracking":
                eta = armijo(oracle.value, theta, g, f, gnorm * gnorm, bt_eta)
                if eta is None:
                    stopped = True
                    message = (f"stopped: the line search found no step with sufficient decrease at "
                               f"iteration {t} (||grad||={gnorm:.3g}); the gradient may be wrong or "
                               "the objective flat to machine precision")
                    break
                new_theta = theta - eta * g
                bt_eta = eta / ARMIJO_SHRINK
            else:
                eta = lr_value if kind == "const" else _schedule_lr(lr_value, t)
                if momentum:
                    if nesterov:
                        g_step = oracle.gradient(theta + momentum * v)
                        n_grad += 1
                    else:
                        g_step = g
                    v = momentum * v - eta * g_step
                    new_theta = theta + v
                else:
                    new_theta = theta - eta * g
            if np.array_equal(new_theta, theta):
                stopped = True
                message = (f"stopped at iteration {t}: the step no longer changes theta "
                           f"(||grad||={gnorm:.3g}, step size {eta:.3g}); the objective is flat to machine "
                           f"precision here, so tol={tol:g} cannot be reached in float64")
                break
            new_f, new_g = oracle.value_and_gradient(new_theta)
            n_grad += 1
            if not (np.isfinite(new_f) and np.all(np.isfinite(new_g)) and np.all(np.isfinite(new_theta))):
                stopped = True
                message = (f"diverged at iteration {t + 1}: {non_finite_what(new_f, new_g)}; "
                           f"{lr_advice(eta, L, momentum, nesterov)}")
                break
            theta, f, g = new_theta, new_f, new_g
            gnorm = float(np.linalg.norm(g))
            hist.record(f, gnorm, eta, n_grad, theta)
            if callback is not None and callback(t + 1, theta.copy(), f):
                stopped = True
                message = f"stopped by callback after {t + 1} iterations"
                t += 1
                break
    n_iter = hist.n - 1
    if converged or (stopped and message.startswith("stopped by callback")):
        return finish(theta, f, n_iter, converged, message, hist, warn=False)
    if not stopped and blew_up(f, f0):
        eta_last = hist.cols["lr"][hist.n - 1]
        message = (f"diverged: after max_iter={max_iter} iterations {growth_what(f, f0)}; "
                   f"{lr_advice(eta_last, L, momentum, nesterov)}")
        return finish(theta, f, n_iter, False, message, hist, warn=True)
    if not stopped and tol == 0.0:
        message = f"completed max_iter={max_iter} iterations (no tolerance: tol=None)"
        return finish(theta, f, n_iter, False, message, hist, warn=False)
    if not stopped:
        message = f"max_iter={max_iter} reached with ||grad||={gnorm:.3g} > tol={tol:g}"
        if f > f0:
            eta_last = hist.cols["lr"][hist.n - 1]
            message += (f"; the objective increased from {f0:.6g} to {f:.6g}: "
                        f"{lr_advice(eta_last, L, momentum, nesterov)}")
        else:
            message += "; increase max_iter or lr"
    return finish(theta, f, n_iter, False, message, hist, warn=True)
