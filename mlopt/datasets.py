"""Synthetic data with known answers: regression with a chosen conditioning, and classification.

Randomness comes only from ``rng`` (anything ``numpy.random.default_rng`` accepts: None, a seed,
or a Generator).
"""

from __future__ import annotations

import numpy as np

from ._options import check_rng
from .losses import sigmoid
from ._validation import check_bool, check_scalar

__all__ = ["make_regression", "make_classification"]


def _sizes(n_samples, n_features):
    n = check_scalar(n_samples, "n_samples", low=1, integer=True)
    d = check_scalar(n_features, "n_features", low=1, integer=True)
    return n, d


def make_regression(n_samples: int, n_features: int, *, noise: float = 0.1,
                    condition_number: float | None = None, rng=None):
    """Linear data y = Xθ* + noise·ε with ε ~ N(0, I).

    Parameters
    ----------
    n_samples, n_features : int
    noise : float, default 0.1
        Standard deviation of the additive Gaussian noise.
    condition_number : float, optional
        When given (≥ 1, needs n_samples ≥ n_features), X is built so that XᵀX/n has exactly this
        condition number, its eigenvalues spaced geometrically from 1 down to 1/condition_number
        along random orthogonal directions. When None, X has i.i.d. N(0, 1) entries.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : ndarray, shape (n_samples, n_features)
    y : ndarray, shape (n_samples,)
    theta_true : ndarray, shape (n_features,)
        θ* with i.i.d. N(0, 1) entries.

    Notes
    -----
    Explained in :doc:`/book/03_gradient_descent` and :doc:`/book/07_failure_modes`.

    Examples
    --------
    >>> import numpy as np
    >>> X, y, theta = make_regression(200, 5, condition_number=100.0, rng=0)
    >>> round(float(np.linalg.cond(X.T @ X / 200)), 6)
    100.0
    """
    n, d = _sizes(n_samples, n_features)
    noise = check_scalar(noise, "noise", low=0.0)
    rng = check_rng(rng)
    if condition_number is None:
        X = rng.standard_normal((n, d))
    else:
        kappa = check_scalar(condition_number, "condition_number", low=1.0)
        if d == 1 and kappa != 1.0:
            raise ValueError(f"condition_number must be 1 when n_features=1 (XᵀX/n is a scalar); "
                             f"got condition_number={condition_number!r}")
        if n < d:
            raise ValueError(f"condition_number needs n_samples >= n_features; got n_samples={n}, "
                             f"n_features={d} (XᵀX is singular when n < d)")
        Q, _ = np.linalg.qr(rng.standard_normal((n, d)))           # orthonormal columns
        V, _ = np.linalg.qr(rng.standard_normal((d, d)))           # random rotation
        eigs = np.geomspace(1.0, 1.0 / kappa, d) if d > 1 else np.ones(1)
        X = np.sqrt(n) * (Q * np.sqrt(eigs)) @ V.T                # XᵀX/n = V diag(eigs) Vᵀ
    theta_true = rng.standard_normal(d)
    y = X @ theta_true + noise * rng.standard_normal(n)
    return X, y, theta_true


def make_classification(n_samples: int, n_features: int, *, signal: float = 3.0,
                        separable: bool = False, rng=None):
    """Binary labels y ∈ {0, 1} from a logistic model on Gaussian features.

    X has i.i.d. N(0, 1) entries; θ* is a random direction scaled to ‖θ*‖ = ``signal``; then
    yᵢ ~ Bernoulli(σ(xᵢᵀθ*)), or yᵢ = 1[xᵢᵀθ* > 0] when ``separable`` (the classes are then
    linearly separable, and the unregularized logistic objective has no minimizer).

    Explained in :doc:`/book/06_classification`.

    Returns
    -------
    X : ndarray, shape (n_samples, n_features)
    y : ndarray of float, shape (n_samples,), values in {0, 1}
    theta_true : ndarray, shape (n_features,)
    """
    n, d = _sizes(n_samples, n_features)
    signal = check_scalar(signal, "signal", low=0.0)
    separable = check_bool(separable, "separable")
    rng = check_rng(rng)
    X = rng.standard_normal((n, d))
    direction = rng.standard_normal(d)
    theta_true = signal * direction / np.linalg.norm(direction)
    zv = X @ theta_true
    if separable:
        y = (zv > 0).astype(np.float64)
    else:
        y = (rng.random(n) < sigmoid(zv)).astype(np.float64)
    return X, y, theta_true
