"""The closed-form minimizer of the ridge objective (Chapter 4, *Regularization*).

.. math::

    \\hat\\theta = \\arg\\min_\\theta \\tfrac1n\\|X\\theta - y\\|^2 + \\lambda\\|\\theta\\|^2
    \\quad\\Longleftrightarrow\\quad (X^\\top X/n + \\lambda I)\\,\\hat\\theta = X^\\top y/n.

Solved by a Cholesky factorization of the d×d system (or, when n < d, of the n×n system of
θ = Xᵀα, (XXᵀ/n + λI)α = y/n). When that system is numerically singular (λ at round-off level
relative to XᵀX/n, as with duplicated columns and a tiny λ), Cholesky may "succeed" with an
inaccurate answer, so its pivots are checked: a pivot ratio above ``PIVOT_RATIO`` (a condition
number above about 1/√eps) sends the problem to the SVD of X, where singular values at round-off
level count as zero (minimum norm), exactly as ``lstsq`` does for λ = 0. When XᵀX or Xᵀy
overflows (entries beyond about 1e154), the data are rescaled by powers of two and the system
solved again. Never an explicit inverse.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_float_array, check_scalar

__all__ = ["ridge"]

#: Largest accepted ratio of Cholesky pivots, max diag(C) / min diag(C) (its square bounds the
#: condition number from below): beyond it the normal equations lose more than half the digits.
PIVOT_RATIO = 1e4


def _cholesky_solve(A, b):
    """A⁻¹b by Cholesky, or None when A is not numerically positive definite."""
    try:
        c = np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        return None
    pivots = np.abs(np.diagonal(c))
    if not pivots.min() > 0 or pivots.max() / pivots.min() > PIVOT_RATIO:
        return None
    return np.linalg.solve(c.T, np.linalg.solve(c, b))


def _svd_solve(X, y, lam):
    """The ridge (or, λ = 0, minimum-norm least-squares) solution from the SVD of X, with
    singular values below max(n, d)·eps·s_max treated as zero."""
    n = X.shape[0]
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    keep = s > max(X.shape) * np.finfo(float).eps * (s[0] if s.size else 0.0)
    s, U, Vt = s[keep], U[:, keep], Vt[keep]
    return Vt.T @ (s / (s * s + n * lam) * (U.T @ y))


def _power_of_two(value: float) -> float:
    return 2.0 ** math.floor(math.log2(value)) if value > 0 else 1.0


def ridge(X, y, lam: float) -> np.ndarray:
    """Exact minimizer of (1/n)‖Xθ − y‖² + λ‖θ‖².

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        The data matrix.
    y : array_like, shape (n_samples,)
        The targets.
    lam : float
        λ ≥ 0. With λ = 0 the least-squares solution of minimum norm.

    Returns
    -------
    ndarray, shape (n_features,)
        A closed form, not a :class:`~mlopt.Result` (like scikit-learn's ``ridge_regression``).

    Notes
    -----
    Explained in :doc:`/book/04_regularization`.

    scikit-learn's ``Ridge(alpha)`` minimizes ‖Xθ − y‖² + alpha‖θ‖², so ``alpha = n·lam``.
    Equal columns of X get equal weights (the SVD path's minimum norm), also for λ at round-off
    level.

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
    with np.errstate(over="ignore", invalid="ignore"):
        theta = _solve(X, y, lam)
    if not np.all(np.isfinite(theta)):
        # XᵀX or Xᵀy overflowed (entries beyond about 1e154): rescale by powers of two (exact).
        # With X = a·X' and y = b·y', θ = (b/a)·θ' where θ' solves the problem for (X', y', λ/a²).
        # Checked after the fact, so ordinary data pay nothing for it.
        a, b = _power_of_two(max(float(X.max()), -float(X.min()))), _power_of_two(max(float(y.max()), -float(y.min())))
        theta = _solve(X / a, y / b, lam / (a * a)) * (b / a)
    if not np.all(np.isfinite(theta)):
        raise ValueError("ridge: the solution overflows float64 for this X, y and lam (its entries are "
                         "beyond 1e308); rescale X or y")
    return theta


def _solve(X, y, lam):
    """θ, or a non-finite array when the normal equations overflow (the caller rescales)."""
    n, d = X.shape
    if lam == 0.0:
        return np.linalg.lstsq(X, y, rcond=None)[0]
    if n >= d:
        A, b = X.T @ X, X.T @ y
        A /= n
        b /= n
        A.flat[:: d + 1] += lam
    else:
        A, b = X @ X.T, y / n
        A /= n
        A.flat[:: n + 1] += lam
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(b))):
        return np.full(d, np.nan)
    sol = _cholesky_solve(A, b)
    if sol is None:   # numerically singular: the SVD of X, round-off singular values as zero
        return _svd_solve(X, y, lam)
    return sol if n >= d else X.T @ sol
