"""Full-batch gradient descent, with momentum, Nesterov and Armijo backtracking.

The update (Chapter 3, *Gradient descent*, builds on Chapter 2, *Gradients*) is the momentum rule
of :class:`mlopt.update_rules.Momentum` on full gradients gₜ = ∇J(θₜ):

.. math::

    b_{t+1} = \\beta b_t + g_t, \\qquad
    \\theta_{t+1} = \\theta_t - \\eta_t\\,(\\text{nesterov} ? \\; g_t + \\beta b_{t+1} : b_{t+1}),

with β = ``momentum`` (β = 0 gives plain θₜ₊₁ = θₜ − ηₜ∇J(θₜ)): one gradient per iteration, the
same rule as :func:`mlopt.sgd`.
"""

from __future__ import annotations

import numpy as np

from ._advice import lr_advice
from ._history import History
from ._linesearch import ARMIJO_C, ARMIJO_SHRINK, armijo, round_off
from ._options import check_momentum, check_run_options, resolve_lr
from ._oracle import Oracle
from ._stop import DIVERGENCE_FACTOR, budget_end, conclude, rejected
from .update_rules import Momentum, UpdateRule

__all__ = ["gradient_descent"]


def _backtrack(oracle, theta, g, f, gnorm, eta0, t, tol):
    """(η, None, first) from the Armijo search, or (None, (status, detail), None) when it fails or
    when the decrease a step can make, η‖g‖²/2, is below J's round-off (the test would then compare
    values that agree to their last bits, and decide by the CPU's rounding).

    The first trial, η₀, is evaluated with J and ∇J together (one pass over X, one round on a
    cluster); ``first`` is that pair when η₀ was accepted (the next iteration needs ∇J there), else
    None, and then the halvings evaluate J alone."""
    first = oracle.value_and_gradient(theta - eta0 * g)
    if np.isfinite(first[0]) and first[0] <= f - ARMIJO_C * eta0 * gnorm * gnorm:
        eta = eta0
    else:
        first = None
        eta = armijo(oracle.value, theta, g, f, gnorm * gnorm, eta0 * ARMIJO_SHRINK)
    if eta is None:
        return None, ("line_search_failed", f"at iteration {t} no step length gave sufficient decrease "
                                            f"(||grad||={gnorm:.3g}); the gradient may be wrong or J flat to "
                                            "machine precision"), None
    decrease, noise = 0.5 * eta * gnorm * gnorm, round_off(f)
    if decrease <= noise:
        return None, ("stalled", f"at iteration {t} the decrease a step can make, eta ||grad||^2 / 2 = "
                                 f"{decrease:.2g}, is below J's round-off {noise:.2g}: the line search can no "
                                 f"longer tell a good step from a bad one (||grad||={gnorm:.3g})"
                                 + (f", so tol={tol:g} is out of reach" if tol else "")), None
    return eta, None, first


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
        (J(θ − ηg) ≤ J(θ) − c η‖g‖², c = 1e-4, η halved until it holds, the next search starting
        from 2η). Backtracking stops as "stalled" once the decrease an accepted step can make,
        η‖g‖²/2, falls below J's round-off (64·eps·abs(J)): past that point the test compares
        values that agree to their last bits, and its decisions would depend on the CPU. The
        first trial of a search is evaluated with J and ∇J together, which the next iteration
        reuses when the trial is accepted: one pass over X per accepted step (one round on a
        cluster, :doc:`/book/13_distributed`).
    momentum : float in [0, 1), default 0
        β, in the form above (PyTorch's and optax's).
    nesterov : bool, default False
        Nesterov's form (needs ``momentum > 0``).
    max_iter : int, default 1000
        Maximum number of updates.
    tol : float or None, default 1e-6
        Stop when ‖∇J(θ)‖ ≤ tol; None runs all ``max_iter`` updates.
    callback : callable, optional
        ``callback(t, theta, objective)`` after each update (or ``callback(theta)``, SciPy's
        form); returning True stops the run.
    record_theta : bool, default False
        Keep every iterate in ``history["theta"]``.

    Returns
    -------
    Result
        ``history`` has one entry per iterate (entry 0 is θ₀); ``history["lr"][t]`` is the step
        size that produced iterate t (0 for θ₀); ``history["n_grad"]`` counts gradients (one per
        iteration; a line search adds objective values only).

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` runs out before ``tol`` is met, when the steps stall (``tol`` below
        what float64 resolves), when the line search fails, or when the iterates diverge: the
        run stops at the first non-finite value (or J above 1e10 · max(abs(J(θ₀)), 1)) and
        returns the last acceptable iterate, with a message that compares lr with 2/L.

    Notes
    -----
    Explained in :doc:`/book/03_gradient_descent`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]); y = np.array([1.0, 2.0, 2.0])
    >>> res = mlopt.gradient_descent(mlopt.EmpiricalRisk(X, y), np.zeros(2), tol=1e-10)
    >>> np.allclose(res.theta, mlopt.ridge(X, y, 0.0)), res.status
    (True, 'converged')
    """
    oracle = Oracle(obj, theta0)
    momentum, nesterov = check_momentum(momentum, nesterov)
    max_iter, tol, callback, record_theta = check_run_options(max_iter, tol, callback, record_theta)
    spec = resolve_lr(lr, accept=("auto", "backtracking"), smoothness=oracle.smoothness, momentum=momentum)
    rule = Momentum(momentum, nesterov) if momentum else UpdateRule()
    L = oracle.smoothness    # for the advice of a failed run only: L costs a pass of its own (n d² flops)
    alternatives = () if momentum else ("backtracking",)

    theta = oracle.theta0
    hist = History(theta.size, record_theta)
    f, g = oracle.start(theta)
    gnorm, n_grad, eta = float(np.linalg.norm(g)), 1, 0.0
    hist.record(theta, objective=f, grad_norm=gnorm, lr=0.0, n_grad=n_grad)
    limit = DIVERGENCE_FACTOR * max(abs(f), 1.0)
    state, bt_eta = rule.init(theta), spec.value

    def end(status, detail):
        return conclude(status, detail, theta=theta, hist=hist, tol=tol, n_iter=hist.n - 1,
                        advice=lambda: lr_advice(eta, L(), momentum, nesterov, alternatives))

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(max_iter):
            if tol is not None and gnorm <= tol:
                return end("converged", f"||grad||={gnorm:.3g} <= tol={tol:g} after {t} iterations")
            first = None
            if spec.kind == "backtracking":
                eta, stop, first = _backtrack(oracle, theta, g, f, gnorm, bt_eta, t, tol)
                n_grad += first is None     # the first trial's gradient was computed and not used
                if stop:
                    return end(*stop)
                step, bt_eta = -eta * g, eta / ARMIJO_SHRINK
            else:
                eta = spec.at(t)
                step, state = rule.update(g, state, theta, eta, t)
            new_theta = theta + step
            if np.array_equal(new_theta, theta):
                return end("stalled", f"at iteration {t} the step no longer changes theta (||grad||={gnorm:.3g}, "
                                      f"step size {eta:.3g}): J is flat to machine precision here"
                                      + (f", so tol={tol:g} is out of reach in float64" if tol else ""))
            new_f, new_g = first if first is not None else oracle.value_and_gradient(new_theta)
            n_grad += 1
            why = rejected(new_f, new_g, new_theta, limit, hist.first("objective"))
            if why:
                return end("diverged", f"at iteration {t + 1}: {why}")
            theta, f, g = new_theta, new_f, new_g
            gnorm = float(np.linalg.norm(g))
            hist.record(theta, objective=f, grad_norm=gnorm, lr=eta, n_grad=n_grad)
            if callback is not None and callback(t + 1, theta.copy(), f):
                return end("callback", f"stopped after {t + 1} iterations")
    f0 = hist.first("objective")
    hint = (f"the objective increased from {f0:.6g} to {f:.6g}: "
            f"{lr_advice(eta, L(), momentum, nesterov, alternatives)}" if f > f0 else "increase max_iter or lr")
    return end(*budget_end(tol, gnorm, max_iter, hint=hint))
