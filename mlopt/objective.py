"""The objective of the book, J(θ) = R̂ₙ(θ) + λΩ(θ), with R̂ₙ(θ) = (1/n) Σᵢ ℓ(xᵢᵀθ, yᵢ).

Chapter 1 (*From loss to objective*) builds it; Chapter 2 (*Gradients*) derives its gradient
and Hessian, which are, with z = Xθ,

.. math::

    \\nabla J(\\theta) = \\tfrac1n X^\\top \\ell'(z, y) + \\lambda \\nabla\\Omega(\\theta), \\qquad
    \\nabla^2 J(\\theta) = \\tfrac1n X^\\top \\operatorname{diag}(\\ell''(z, y)) X + \\lambda \\nabla^2\\Omega(\\theta).

The gradient costs two passes over X (one product Xθ, one product Xᵀv) and no Python loop over
samples.
"""

from __future__ import annotations

import numpy as np

from . import losses as _losses
from . import regularizers as _regularizers
from ._validation import as_float_array, check_scalar, check_theta

__all__ = ["EmpiricalRisk"]

#: In-memory data larger than this (bytes) is walked in row chunks, like memory-mapped data, so
#: that the temporaries (a few n-vectors) stay small. Below it whole-array products are faster.
FUSE_BYTES = 4 * 2**30
#: Size (bytes) of one row chunk: small enough to stay in the cache between its two products.
CHUNK_BYTES = 2**20


class EmpiricalRisk:
    """J(θ) = (1/n) Σᵢ ℓ(xᵢᵀθ, yᵢ) + λ Ω(θ).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        The data matrix (lists and integer arrays are converted; a float64 ``numpy.memmap`` is used
        in place, without loading it into memory).
    y : array_like, shape (n_samples,)
        Targets (labels in {0, 1} for the logistic loss).
    loss : Loss, default :data:`mlopt.losses.squared`
    regularizer : Regularizer, default :data:`mlopt.regularizers.l2`
    lam : float, default 0.0
        The regularization strength λ ≥ 0.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]]); y = np.array([1.0, 2.0])
    >>> obj = mlopt.EmpiricalRisk(X, y)
    >>> obj.value(np.zeros(2)), obj.gradient(np.zeros(2))
    (2.5, array([-1., -4.]))

    Notes
    -----
    Explained in :doc:`/book/01_loss_to_objective` and :doc:`/book/02_gradients`.

    Chapter 1 (*From loss to objective*) and Chapter 2 (*Gradients*).
    """

    def __init__(self, X, y, loss=_losses.squared, regularizer=_regularizers.l2, lam: float = 0.0):
        if not isinstance(loss, _losses.Loss):
            raise ValueError(f"loss must be an mlopt.Loss (e.g. mlopt.losses.squared); got {loss!r}")
        if not isinstance(regularizer, _regularizers.Regularizer):
            raise ValueError("regularizer must be an mlopt Regularizer (e.g. mlopt.regularizers.l2); "
                             f"got {regularizer!r}")
        X = as_float_array(X, "X", ndim=2)
        y = as_float_array(y, "y", ndim=1)
        if X.shape[1] == 0:
            raise ValueError(f"X must have at least one feature; got shape {X.shape}")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have one entry per row of X: X has {X.shape[0]} rows, "
                             f"y has shape {y.shape}")
        loss.check_labels(y, "y")
        self.X, self.y = X, y
        self.loss, self.regularizer = loss, regularizer
        self.lam = check_scalar(lam, "lam", low=0.0)
        self.n_samples, self.n_features = X.shape
        self._gram_eigs = None

    # --- value, gradient, Hessian ------------------------------------------------------------

    def _check(self, theta) -> np.ndarray:
        return check_theta(theta, self.n_features)

    def _batch(self, batch):
        """Rows of the minibatch as (X_B, y_B); ``batch`` is an index array into the samples."""
        idx = np.asarray(batch)
        if idx.ndim != 1 or idx.size == 0:
            raise ValueError(f"batch must be a non-empty 1-D array of sample indices; got shape {idx.shape}")
        if idx.dtype.kind not in "iu":
            raise ValueError(f"batch must hold integer sample indices; got dtype {idx.dtype}")
        if idx.min() < -self.n_samples or idx.max() >= self.n_samples:
            raise ValueError(f"batch indices must lie in [0, {self.n_samples}); "
                             f"got values from {idx.min()} to {idx.max()}")
        return self.X[idx], self.y[idx]

    def value(self, theta) -> float:
        """J(θ) = (1/n) Σᵢ ℓ(xᵢᵀθ, yᵢ) + λΩ(θ)."""
        theta = self._check(theta)
        return self._value(theta, self.X, self.y)

    def _chunks(self, X):
        """Row chunks for a fused pass, or None to use whole-array products.

        Memory-mapped data (and in-memory data over ``FUSE_BYTES``) is walked in chunks of about
        ``CHUNK_BYTES``: z = X_c θ and ℓ'(z) @ X_c read each chunk while it is in the cache, and
        a memory map is never loaded whole (temporary memory independent of n). Measured on
        in-memory data of a few hundred MB, whole-array products are as fast or faster
        (``make bench``), so they are used there.
        """
        if X.nbytes <= FUSE_BYTES and not isinstance(X, np.memmap):
            return None
        rows = max(64, CHUNK_BYTES // (8 * max(1, X.shape[1])))
        return range(0, X.shape[0], rows), rows

    def _risk_sums(self, theta, X, y, value=True, grad=True):
        """(Σᵢ ℓᵢ, Σᵢ ℓ'ᵢ xᵢ) over the rows of X; either may be skipped (None)."""
        loss = self.loss
        dz, scale = loss._fast_dz_unscaled, loss._dz_scale  # ℓ' = scale · dz
        chunks = self._chunks(X)
        if chunks is None:
            zv = X @ theta
            total = float(np.sum(loss._fast_value(zv, y))) if value else None
            g = None
            if grad:  # dz may overwrite zv (its own temporary): after the value
                g = dz(zv, y) @ X
                if scale != 1.0:
                    g *= scale
            return total, g
        starts, rows = chunks
        total = 0.0
        g = np.zeros(X.shape[1]) if grad else None
        for s in starts:
            Xc = X[s:s + rows]
            yc = y[s:s + rows]
            zc = Xc @ theta
            if value:
                total += float(np.sum(loss._fast_value(zc, yc)))
            if grad:
                g += dz(zc, yc) @ Xc
        if grad and scale != 1.0:
            g *= scale
        return (total if value else None), g

    def _value(self, theta, X, y) -> float:
        total, _ = self._risk_sums(theta, X, y, grad=False)
        risk = total / X.shape[0]
        return risk + self.lam * self.regularizer.value(theta) if self.lam else risk

    def gradient(self, theta, batch=None) -> np.ndarray:
        """∇J(θ) = (1/n) Xᵀ ℓ'(Xθ, y) + λ∇Ω(θ).

        With ``batch`` (an index array B), the minibatch estimate
        (1/m) Σ_{i∈B} ∇ℓᵢ(θ) + λ∇Ω(θ) over the m indices in B, whose mean over a uniformly drawn
        B is ∇J(θ).
        """
        theta = self._check(theta)
        if batch is None:
            return self._gradient(theta, self.X, self.y)
        Xb, yb = self._batch(batch)
        return self._gradient(theta, Xb, yb)

    def _gradient(self, theta, X, y) -> np.ndarray:
        _, g = self._risk_sums(theta, X, y, value=False)
        g /= X.shape[0]
        if self.lam:
            g += self.lam * self.regularizer.gradient(theta)
        return g

    def value_and_gradient(self, theta):
        """(J(θ), ∇J(θ)) sharing the one product z = Xθ: two passes over X at most."""
        theta = self._check(theta)
        return self._value_and_gradient(theta)

    def _value_and_gradient(self, theta):
        X, y = self.X, self.y
        total, g = self._risk_sums(theta, X, y)
        val = total / X.shape[0]
        g /= X.shape[0]
        if self.lam:
            val += self.lam * self.regularizer.value(theta)
            g += self.lam * self.regularizer.gradient(theta)
        return val, g

    def risk(self, theta) -> float:
        """R̂ₙ(θ) = (1/n) Σᵢ ℓ(xᵢᵀθ, yᵢ), the data term alone (no λΩ)."""
        theta = self._check(theta)
        total, _ = self._risk_sums(theta, self.X, self.y, grad=False)
        return total / self.n_samples

    def _risk_value_and_gradient(self, theta):
        total, g = self._risk_sums(theta, self.X, self.y)
        return total / self.n_samples, g / self.n_samples

    def risk_smoothness(self) -> float:
        """A Lipschitz constant of ∇R̂ₙ alone: sup ℓ'' · λ_max(XᵀX/n)."""
        _, hi = self._curvature_bounds("risk_smoothness()")
        return float(hi * self.gram_eigenvalues()[-1])

    def hessian(self, theta) -> np.ndarray:
        """∇²J(θ) = (1/n) Xᵀ diag(ℓ''(Xθ, y)) X + λ∇²Ω(θ), shape (n_features, n_features)."""
        theta = self._check(theta)
        X = self.X
        w = self.loss._fast_dz2(X @ theta, self.y)
        H = (X.T * w) @ X / self.n_samples
        if self.lam:
            H += self.lam * self.regularizer.hessian(theta)
        return H

    # --- curvature constants ------------------------------------------------------------------

    def gram_eigenvalues(self) -> np.ndarray:
        """Eigenvalues of XᵀX/n in ascending order (computed once, then cached)."""
        if self._gram_eigs is None:
            G = self.X.T @ self.X / self.n_samples
            eigs = np.linalg.eigvalsh(G)
            # XᵀX/n is PSD: eigenvalues at round-off level are zero (rank-deficient X).
            floor = eigs[-1] * max(self.X.shape) * np.finfo(float).eps
            self._gram_eigs = np.where(eigs <= floor, 0.0, eigs)
        return self._gram_eigs

    def _curvature_bounds(self, what: str):
        if self.loss.curvature_bounds is None:
            raise ValueError(f"{what} needs bounds on ℓ'' for the {self.loss.name} loss; pass "
                             "curvature_bounds=(low, high) to Loss.from_sympy")
        return self.loss.curvature_bounds

    def smoothness(self) -> float:
        """L, a Lipschitz constant of ∇J of the smooth part: sup ℓ'' · λ_max(XᵀX/n) + λ·2·l2_weight.

        Exact (the largest Hessian eigenvalue) for the squared loss with ``l2``; an upper bound
        otherwise (logistic: sup ℓ'' = 1/4). The l1 part of Ω has no curvature and adds nothing.
        """
        _, hi = self._curvature_bounds("smoothness()")
        return float(hi * self.gram_eigenvalues()[-1] + self.lam * self.regularizer.curvature)

    def strong_convexity(self) -> float:
        """μ: inf ℓ'' · λ_min(XᵀX/n) + λ·2·l2_weight, a lower bound on the Hessian's eigenvalues.

        Exact for the squared loss with ``l2``; for the logistic and Huber losses inf ℓ'' = 0, so
        μ = 2λ·l2_weight (only the regularizer makes them strongly convex). 0 means not strongly
        convex (e.g. more features than samples and λ = 0).
        """
        lo, _ = self._curvature_bounds("strong_convexity()")
        return float(lo * self.gram_eigenvalues()[0] + self.lam * self.regularizer.curvature)

    def condition_number(self) -> float:
        """κ = L / μ (inf when μ = 0)."""
        mu = self.strong_convexity()
        return float(self.smoothness() / mu) if mu > 0 else float("inf")

    def __repr__(self) -> str:
        return (f"EmpiricalRisk(n_samples={self.n_samples}, n_features={self.n_features}, "
                f"loss={self.loss.name}, regularizer={self.regularizer.name}, lam={self.lam:g})")
