"""Stochastic and minibatch methods: SGD (momentum, Nesterov, averaging), AdaGrad, RMSProp, Adam,
AdamW.

Each is :func:`mlopt.minibatch_descent` with one update rule of :mod:`mlopt.update_rules`; the
options they share (``batch_size``, ``epochs``, ``average``, ``tol``, ``n_iter_no_change``,
``early_stopping``, ``validation_fraction``, ``record``, ``record_theta``, ``rng``, ``callback``,
``progress``, ``shuffle``) are passed through and documented there. Chapter 5 (*Stochastic
gradients*) explains them and compares them at equal numbers of gradient evaluations.
"""

from __future__ import annotations

from ._options import check_momentum
from .minibatch import minibatch_descent
from .update_rules import AdaGrad, Adam, AdamW, Momentum, RMSProp, UpdateRule

__all__ = ["sgd", "adagrad", "rmsprop", "adam", "adamw"]


def sgd(obj, theta0, *, lr=0.01, momentum: float = 0.0, nesterov: bool = False, **options):
    """Minibatch stochastic gradient descent.

    .. math::

        b_{t+1} = \\beta b_t + g_t, \\qquad
        \\theta_{t+1} = \\theta_t - \\eta_t \\,(\\text{nesterov} ? \\; g_t + \\beta b_{t+1} : b_{t+1}),

    with β = ``momentum`` (β = 0 gives θₜ₊₁ = θₜ − ηₜgₜ): the same rule as
    :func:`mlopt.gradient_descent`'s momentum, one gradient per step.

    Parameters
    ----------
    obj : EmpiricalRisk
        The objective.
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    lr : float or callable, default 0.01
        Constant step size, or a schedule ``step -> lr`` from :mod:`mlopt.schedules`.
    momentum : float in [0, 1), default 0
        β.
    nesterov : bool, default False
        Nesterov's form (needs ``momentum > 0``).
    **options
        ``batch_size=32``, ``epochs=10``, ``average=False``, ``tol=None``, ``n_iter_no_change=5``,
        ``early_stopping=False``, ``validation_fraction=0.1``, ``record="epoch"``,
        ``record_theta=False``, ``rng=None``, ``callback=None``, ``progress=False``,
        ``shuffle="auto"``: see :func:`mlopt.minibatch_descent`.

    Returns
    -------
    Result

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> X, y, _ = mlopt.datasets.make_regression(1000, 5, noise=0.1, rng=0)
    >>> obj = mlopt.EmpiricalRisk(X, y, lam=0.01)
    >>> res = mlopt.sgd(obj, np.zeros(5), lr=mlopt.schedules.inverse_time(0.1, 0.01), epochs=20, rng=0)
    >>> bool(np.linalg.norm(res.theta - mlopt.ridge(X, y, 0.01)) < 0.05)
    True
    """
    momentum, nesterov = check_momentum(momentum, nesterov)
    rule = Momentum(momentum, nesterov) if momentum else UpdateRule()
    return minibatch_descent(obj, theta0, rule, lr=lr, **options)


def adagrad(obj, theta0, *, lr=0.1, eps: float = 1e-8, initial_accumulator: float = 0.0, **options):
    """AdaGrad: per-coordinate steps η / (√Gₜ + ε) with Gₜ = Σ_{s≤t} g_s² (Duchi et al. 2011).

    Parameters
    ----------
    obj : EmpiricalRisk
        The objective.
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    lr : float or callable, default 0.1
        Step size η (constant or a schedule).
    eps : float > 0, default 1e-8
        Added to √Gₜ.
    initial_accumulator : float >= 0, default 0
        G before the first step.
    **options
        As for :func:`mlopt.sgd` (see :func:`mlopt.minibatch_descent`).

    Returns
    -------
    Result

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """
    return minibatch_descent(obj, theta0, AdaGrad(eps, initial_accumulator), lr=lr, **options)


def rmsprop(obj, theta0, *, lr=0.01, rho: float = 0.9, eps: float = 1e-8, **options):
    """RMSProp: per-coordinate steps η / (√sₜ + ε), sₜ an exponential average (ρ) of g².

    Parameters
    ----------
    obj : EmpiricalRisk
        The objective.
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    lr : float or callable, default 0.01
        Step size η (constant or a schedule).
    rho : float in [0, 1), default 0.9
        Decay of the average of squared gradients.
    eps : float > 0, default 1e-8
        Added to √sₜ.
    **options
        As for :func:`mlopt.sgd` (see :func:`mlopt.minibatch_descent`).

    Returns
    -------
    Result

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """
    return minibatch_descent(obj, theta0, RMSProp(rho, eps), lr=lr, **options)


def adam(obj, theta0, *, lr=0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, **options):
    """Adam with bias correction (Kingma & Ba 2015).

    .. math::

        m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t,\\;
        v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2,\\;
        \\theta_{t+1} = \\theta_t - \\eta_t \\frac{m_t / (1-\\beta_1^{t})}{\\sqrt{v_t / (1-\\beta_2^{t})} + \\varepsilon}

    (t counted from 1 in the bias corrections).

    Parameters
    ----------
    obj : EmpiricalRisk
        The objective.
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    lr : float or callable, default 0.001
        Step size η (constant or a schedule).
    beta1, beta2 : float in [0, 1), defaults 0.9 and 0.999
        Decays of the first and second moment averages.
    eps : float > 0, default 1e-8
        Added to √v̂ₜ.
    **options
        As for :func:`mlopt.sgd` (see :func:`mlopt.minibatch_descent`).

    Returns
    -------
    Result

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """
    return minibatch_descent(obj, theta0, Adam(beta1, beta2, eps), lr=lr, **options)


def adamw(obj, theta0, *, lr=0.001, weight_decay: float = 0.01, beta1: float = 0.9, beta2: float = 0.999,
          eps: float = 1e-8, **options):
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019).

    .. math::

        \\theta_{t+1} = \\theta_t - \\eta_t \\Big(\\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\varepsilon}
        + w\\,\\theta_t\\Big)

    with m̂, v̂ as in :func:`mlopt.adam` and w = ``weight_decay``. The decay is applied to θ
    directly, outside the moment estimates; an l2 term λ‖θ‖² in the objective instead enters the
    gradient, which Adam rescales coordinate by coordinate.

    Parameters
    ----------
    obj : EmpiricalRisk
        The objective.
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    lr : float or callable, default 0.001
        Step size η (constant or a schedule).
    weight_decay : float >= 0, default 0.01
        w.
    beta1, beta2, eps : float
        As in :func:`mlopt.adam`.
    **options
        As for :func:`mlopt.sgd` (see :func:`mlopt.minibatch_descent`).

    Returns
    -------
    Result

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """
    return minibatch_descent(obj, theta0, AdamW(weight_decay, beta1, beta2, eps), lr=lr, **options)
