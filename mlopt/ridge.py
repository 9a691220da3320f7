"""The closed-form minimizer of the ridge objective (Chapter 4, *Regularization*).

.. math::

    \\hat\\theta = \\arg\\min_\\theta \\tfrac1n\\|X\\theta - y\\|^2 + \\lambda\\|\\theta\\|^2
    \\quad\\Longleftrightarrow\\quad (X^\\top X/n + \\lambda I)\\,\\hat\\theta = X^\\top y/n.

Solved by a Cholesky factorization of the d×d system (or, when n < d, of the n×n system of
θ = Xᵀα, (XXᵀ/n + λI)α = y/n); for λ = 0 by least squares (SVD), which returns the minimum-norm
minimizer when XᵀX is singular. Never by an explicit inverse.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_scalar

__all__ = ["ridge"]


def _cholesky_solve(A, b):
    c = np.linalg.cholesky(A)
    return np.linalg.solve(c.T, np.linalg.solve(c, b))


def ridge(X, y, lam: float) -> np.ndarray:
    """Exact minimizer of (1/n)‖Xθ − y‖² + λ‖θ‖².

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    y : array_like, shape (n_samples,)
    lam : float
        λ ≥ 0. With λ = 0 the least-squares solution of minimum norm.

    Returns
    -------
    ndarray, shape (n_features,)

    Notes
    -----
    Explained in :doc:`/book/04_regularization`.

    scikit-learn's ``Ridge(alpha)`` minimizes ‖Xθ − y‖² + alpha‖θ‖², so ``alpha = n·lam``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.eye(2); y = np.array([1.0, 2.0])
    >>> ridge(X, y, 0.5)   # (I/2 + I/2) θ = y/2
    array([0.5, 1. ])
    """
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one entry per row of X: X has {X.shape[0]} rows, y has shape {y.shape}")
    lam = check_scalar(lam, "lam", low=0.0)
    n, d = X.shape
    if lam == 0.0:
        return np.linalg.lstsq(X, y, rcond=None)[0]
    try:
        if n >= d:
            A = X.T @ X
            A /= n
            A.flat[:: d + 1] += lam
            return _cholesky_solve(A, X.T @ y / n)
        K = X @ X.T
        K /= n
        K.flat[:: n + 1] += lam
        return X.T @ _cholesky_solve(K, y / n)
    except np.linalg.LinAlgError:  # λ below round-off relative to ‖X‖²: fall back to SVD
        U, s, Vt = np.linalg.svd(X, full_matrices=False)
        return Vt.T @ (s / (s * s + n * lam) * (U.T @ y))
