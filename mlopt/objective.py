"""The objective of the book, J(θ) = R̂ₙ(θ) + λΩ(θ), with R̂ₙ(θ) = (1/n) Σᵢ ℓ(xᵢᵀθ, yᵢ).

Chapter 1 (*From loss to objective*) builds it; Chapter 2 (*Gradients*) derives its gradient
and Hessian, which are, with z = Xθ,

.. math::

    \\nabla J(\\theta) = \\tfrac1n X^\\top \\ell'(z, y) + \\lambda \\nabla\\Omega(\\theta), \\qquad
    \\nabla^2 J(\\theta) = \\tfrac1n X^\\top \\operatorname{diag}(\\ell''(z, y)) X + \\lambda \\nabla^2\\Omega(\\theta).

The gradient costs two passes over X (one product Xθ, one product Xᵀv) and no Python loop over
samples. The solvers use :class:`UncheckedRisk` (``obj.unchecked``), the same computations
without the per-call checks of θ.
"""

from __future__ import annotations

import numpy as np

from . import losses as _losses
from . import regularizers as _regularizers
from ._compat import take_rows
from ._validation import ROW_BLOCK, as_float_array, check_scalar, check_theta

__all__ = ["EmpiricalRisk", "UncheckedRisk"]

#: In-memory data larger than this (bytes) is walked in row chunks, like memory-mapped data, so
#: that the temporaries (a few n-vectors) stay small. Below it whole-array products are faster.
FUSE_BYTES = 4 * 2**30
#: Size (bytes) of one row chunk: small enough to stay in the cache between its two products.
CHUNK_BYTES = 2**20
#: Fewest rows in a chunk, however wide the rows.
MIN_CHUNK_ROWS = 64


class EmpiricalRisk:
    """J(θ) = (1/n) Σᵢ ℓ(xᵢᵀθ, yᵢ) + λ Ω(θ).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        The data matrix (lists, integer arrays, ``np.matrix`` and pandas frames are converted; a
        float64 ``numpy.memmap`` is used in place, without loading it into memory). A
        ``dask.array`` chunked by rows (all columns in one chunk, float64 or float32) makes every
        pass over the data one map-reduce over its chunks, run by the active dask scheduler; its
        chunks are checked (finite, labels) in the first pass that reads them, and X is never
        gathered (:mod:`mlopt.cluster`, :doc:`/book/13_distributed`).
    y : array_like, shape (n_samples,)
        Targets (labels in {0, 1} for the logistic loss); with a dask X, a dask array chunked
        like the rows of X (a NumPy y is chunked so).
    loss : Loss, default :data:`mlopt.losses.squared`
        The per-sample loss ℓ(z, y).
    regularizer : Regularizer, default :data:`mlopt.regularizers.l2`
        Ω(θ).
    lam : float, default 0.0
        The regularization strength λ ≥ 0.

    Notes
    -----
    Explained in :doc:`/book/01_loss_to_objective` and :doc:`/book/02_gradients`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]]); y = np.array([1.0, 2.0])
    >>> obj = mlopt.EmpiricalRisk(X, y)
    >>> obj.value(np.zeros(2)), obj.gradient(np.zeros(2))
    (2.5, array([-1., -4.]))
    """

    def __init__(self, X, y, *, loss=_losses.squared, regularizer=_regularizers.l2, lam: float = 0.0):
        if not isinstance(loss, _losses.Loss):
            raise ValueError(f"loss must be an mlopt.Loss (e.g. mlopt.losses.squared); got {loss!r}")
        if not isinstance(regularizer, _regularizers.Regularizer):
            raise ValueError("regularizer must be an mlopt Regularizer (e.g. mlopt.regularizers.l2); "
                             f"got {regularizer!r}")
        self._chunks_checked = True
        if _dask.is_dask_array(X) or _dask.is_dask_array(y):
            X, y = _dask.check_dask_data(X, y)
            self._chunks_checked = False   # checked by the first pass that reads them
        else:
            X = as_float_array(X, "X", ndim=2)
            y = as_float_array(y, "y", ndim=1)
        if X.shape[1] == 0:
            raise ValueError(f"X must have at least one feature; got shape {X.shape}")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have one entry per row of X: X has {X.shape[0]} rows, "
                             f"y has shape {y.shape}")
        if self._chunks_checked:
            loss.check_labels(y, "y")
        self.X, self.y = X, y
        self.loss, self.regularizer = loss, regularizer
        self.lam = check_scalar(lam, "lam", low=0.0)
        self.n_samples, self.n_features = X.shape
        self._gram_eigs = None
        self._max_row_sq = None
        self._unchecked = None

    @property
    def is_dask(self) -> bool:
        """True when X and y are dask arrays (every pass is a map-reduce over row chunks)."""
        return not isinstance(self.X, np.ndarray)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_unchecked"] = None  # rebuilt on demand
        return state

    @property
    def unchecked(self) -> "UncheckedRisk":
        """The fast path the solvers use: the same values without checking θ."""
        if self._unchecked is None:
            self._unchecked = _dask.DaskRisk(self) if self.is_dask else UncheckedRisk(self)
        return self._unchecked

    def subset(self, rows) -> "EmpiricalRisk":
        """The same objective (loss, Ω, λ) on the rows ``rows`` of X and y (copied once; for dask
        arrays, a lazy selection chunk by chunk)."""
        rows = np.asarray(rows)
        if self.is_dask:
            rows = np.sort(rows)
        return EmpiricalRisk(self.X[rows], self.y[rows], loss=self.loss, regularizer=self.regularizer,
                             lam=self.lam)

    # --- value, gradient, Hessian ------------------------------------------------------------

    def _check(self, theta) -> np.ndarray:
        return check_theta(theta, self.n_features)

    def _batch(self, batch) -> np.ndarray:
        idx = np.asarray(batch)
        if idx.ndim != 1 or idx.size == 0:
            raise ValueError(f"batch must be a non-empty 1-D array of sample indices; got shape {idx.shape}")
        if idx.dtype.kind not in "iu":
            raise ValueError(f"batch must hold integer sample indices; got dtype {idx.dtype}")
        if idx.min() < 0 or idx.max() >= self.n_samples:
            raise ValueError(f"batch indices must lie in [0, {self.n_samples}); "
                             f"got values from {idx.min()} to {idx.max()}")
        return idx

    def value(self, theta) -> float:
        """J(θ) = (1/n) Σᵢ ℓ(xᵢᵀθ, yᵢ) + λΩ(θ)."""
        return self.unchecked.value(self._check(theta))

    def gradient(self, theta, batch=None) -> np.ndarray:
        """∇J(θ) = (1/n) Xᵀ ℓ'(Xθ, y) + λ∇Ω(θ).

        With ``batch`` (an index array B), the minibatch estimate
        (1/m) Σ_{i∈B} ∇ℓᵢ(θ) + λ∇Ω(θ) over the m indices in B, whose mean over a uniformly drawn
        B is ∇J(θ).
        """
        theta = self._check(theta)
        if batch is None:
            return self.unchecked.gradient(theta)
        return self.unchecked.minibatch(theta, self._batch(batch))[1]

    def value_and_gradient(self, theta):
        """(J(θ), ∇J(θ)) sharing the one product z = Xθ: two passes over X at most."""
        return self.unchecked.value_and_gradient(self._check(theta))

    def risk(self, theta) -> float:
        """R̂ₙ(θ) = (1/n) Σᵢ ℓ(xᵢᵀθ, yᵢ), the data term alone (no λΩ)."""
        return self.unchecked.risk_value(self._check(theta))

    def hessian(self, theta) -> np.ndarray:
        """∇²J(θ) = (1/n) Xᵀ diag(ℓ''(Xθ, y)) X + λ∇²Ω(θ), shape (n_features, n_features)."""
        return self.unchecked.hessian(self._check(theta))

    def hessian_vector(self, theta, v) -> np.ndarray:
        """∇²J(θ) v = (1/n) Xᵀ (ℓ''(Xθ, y) ∘ Xv) + λ∇²Ω v, without forming the Hessian.

        Three passes over X (Xθ, Xv and the product with Xᵀ); two when ℓ'' is constant (the
        squared loss). This is what :func:`mlopt.conjugate_gradient` needs per iteration.
        """
        theta = self._check(theta)
        v = check_theta(v, self.n_features, "v")
        return self.unchecked.hessian_vector(theta, v)

    # --- curvature constants ------------------------------------------------------------------

    def gram_eigenvalues(self) -> np.ndarray:
        """Eigenvalues of XᵀX/n in ascending order (computed once, then cached)."""
        if self._gram_eigs is None:
            if self.is_dask:   # one map-reduce: the chunks' d×d Gram matrices, summed
                G, self._max_row_sq = self.unchecked.gram()
            else:
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

    def risk_smoothness(self) -> float:
        """A Lipschitz constant of ∇R̂ₙ alone: sup ℓ'' · λ_max(XᵀX/n)."""
        _, hi = self._curvature_bounds("risk_smoothness()")
        return float(hi * self.gram_eigenvalues()[-1])

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

    def max_sample_smoothness(self) -> float:
        """max_i L_i = sup ℓ'' · max_i ‖xᵢ‖² + λ·2·l2_weight: the curvature one sample's term can
        have, which bounds the steps that are safe for any minibatch (Chapter 5)."""
        _, hi = self._curvature_bounds("max_sample_smoothness()")
        if self.is_dask:
            if self._max_row_sq is None:
                self.gram_eigenvalues()
            return float(hi * self._max_row_sq + self.lam * self.regularizer.curvature)
        X = self.X
        row_sq = max(float(np.max(np.einsum("ij,ij->i", X[s:s + ROW_BLOCK], X[s:s + ROW_BLOCK])))
                     for s in range(0, X.shape[0], ROW_BLOCK))
        return float(hi * row_sq + self.lam * self.regularizer.curvature)

    def __repr__(self) -> str:
        chunks = f", chunks={len(self.X.chunks[0])}" if self.is_dask else ""
        return (f"EmpiricalRisk(n_samples={self.n_samples}, n_features={self.n_features}{chunks}, "
                f"loss={self.loss.name}, regularizer={self.regularizer.name}, lam={self.lam:g})")


class UncheckedRisk:
    """The fast path of an :class:`EmpiricalRisk`, for solvers: the same values, no checks.

    θ must be a finite float64 array of shape (n_features,) (the solver checked θ₀ and keeps its
    iterates finite); minibatch row indices must be valid. Nothing here converts or copies its
    arguments, and no method modifies θ.

    Notes
    -----
    Explained in :doc:`/book/02_gradients` (the two-pass gradient).
    """

    def __init__(self, obj: EmpiricalRisk):
        self.X, self.y, self.n = obj.X, obj.y, obj.n_samples
        self.kernel = obj.loss.kernel
        self.constant_dz2 = obj.loss.constant_dz2
        self.lam, self.reg = obj.lam, obj.regularizer
        X = obj.X
        if X.nbytes <= FUSE_BYTES and not isinstance(X, np.memmap):
            self._rows = None
        else:  # memory maps and huge arrays: row chunks of about CHUNK_BYTES, read once per pass
            self._rows = max(MIN_CHUNK_ROWS, CHUNK_BYTES // (8 * X.shape[1]))

    def risk_sums(self, theta, value: bool = True, grad: bool = True):
        """(Σᵢ ℓᵢ, Σᵢ ℓ'ᵢ xᵢ) over all rows; either may be skipped (None)."""
        X, y, k = self.X, self.y, self.kernel
        if self._rows is None:
            return self._sums(theta, X, y, value, grad)
        total, g = (0.0 if value else None), (np.zeros(X.shape[1]) if grad else None)
        for s in range(0, X.shape[0], self._rows):
            t, gc = self._sums(theta, X[s:s + self._rows], y[s:s + self._rows], value, grad, scaled=False)
            if value:
                total += t
            if grad:
                g += gc
        if grad and k.scale != 1.0:
            g *= k.scale
        return total, g

    def _sums(self, theta, X, y, value, grad, scaled=True):
        k = self.kernel
        z = X.dot(theta)         # ndarray.dot: the same BLAS call as @, with less overhead per call
        if value and grad:
            total, u = k.sum_and_dz(z, y)
        else:
            total = float(np.sum(k.value(z, y))) if value else None
            u = k.dz(z, y) if grad else None
        g = None
        if grad:
            g = u.dot(X)
            if scaled and k.scale != 1.0:
                g *= k.scale
        return total, g

    def _add_penalty(self, theta, val, g):
        if self.lam:
            if val is not None:
                val += self.lam * self.reg.value(theta)
            if g is not None:
                g += self.lam * self.reg.gradient(theta)
        return val, g

    def value(self, theta) -> float:
        return self._add_penalty(theta, self.risk_sums(theta, grad=False)[0] / self.n, None)[0]

    def gradient(self, theta) -> np.ndarray:
        g = self.risk_sums(theta, value=False)[1]
        g /= self.n
        return self._add_penalty(theta, None, g)[1]

    def value_and_gradient(self, theta):
        total, g = self.risk_sums(theta)
        g /= self.n
        return self._add_penalty(theta, total / self.n, g)

    def risk_value(self, theta) -> float:
        """R̂ₙ(θ), without λΩ."""
        return self.risk_sums(theta, grad=False)[0] / self.n

    def risk_gradient(self, theta) -> np.ndarray:
        """∇R̂ₙ(θ), without λΩ."""
        g = self.risk_sums(theta, value=False)[1]
        g /= self.n
        return g

    def minibatch(self, theta, rows, y_rows=None):
        """(J_B(θ), ∇J_B(θ)) on the rows B: the mean loss over B plus λΩ(θ), and its gradient.

        ``y_rows`` may pass ``y[rows]`` when the caller already has it (a slice of y in the
        epoch's order saves one gather per minibatch).
        """
        total, u, Xb = self.minibatch_scalars(theta, rows, y_rows)
        k = self.kernel
        g = u.dot(Xb)
        m = Xb.shape[0]
        g *= k.scale / m       # one scaling of the d-vector, none of the m-vector
        if self.lam:
            return total / m + self.lam * self.reg.value(theta), g + self.lam * self.reg.gradient(theta)
        return total / m, g

    def scalars(self, theta):
        """(Σᵢ ℓᵢ, u) over all rows, with ℓ'(xᵢᵀθ, yᵢ) = ``kernel.scale`` · uᵢ: for a linear model
        the gradient of every sample is uᵢ·scale·xᵢ, so n scalars stand for n gradients (what
        SVRG's snapshot and SAGA's table store)."""
        X, y, k = self.X, self.y, self.kernel
        if self._rows is None:
            total, u = k.sum_and_dz(X.dot(theta), y)
            return total, np.array(u, copy=True)
        u, total = np.empty(X.shape[0]), 0.0
        for s in range(0, X.shape[0], self._rows):
            t, uc = k.sum_and_dz(X[s:s + self._rows].dot(theta), y[s:s + self._rows])
            total += t
            u[s:s + self._rows] = uc
        return total, u

    def minibatch_scalars(self, theta, rows, y_rows=None):
        """(Σ_{i∈B} ℓᵢ, u_B, X_B) for the rows B: the minibatch gradient of the risk is
        ``scale · u_Bᵀ X_B / |B|``."""
        Xb, k = take_rows(self.X, rows), self.kernel   # take: a faster row gather than X[rows]
        total, u = k.sum_and_dz(Xb.dot(theta), self.y[rows] if y_rows is None else y_rows)
        return total, u, Xb

    def hessian_vector(self, theta, v) -> np.ndarray:
        """∇²J(θ) v without forming the Hessian (θ is not read when ℓ'' is constant)."""
        X = self.X
        Xv = X.dot(v)
        if self.constant_dz2 is not None:   # the squared loss: ℓ'' does not depend on θ
            Xv *= self.constant_dz2
        else:
            Xv *= self.kernel.dz2(X.dot(theta), self.y)
        Hv = Xv.dot(X)
        Hv /= self.n
        if self.lam:
            Hv += (self.lam * self.reg.curvature) * v
        return Hv

    def value_gradient_hessian(self, theta):
        """(J(θ), ∇J(θ), ∇²J(θ)) from one product z = Xθ (Newton's method: one pass per step)."""
        X, k = self.X, self.kernel
        if self._rows is not None:   # chunked data: the two passes of value_and_gradient, then the Hessian
            f, g = self.value_and_gradient(theta)
            return f, g, self.hessian(theta)
        z = X.dot(theta)
        w = k.dz2(z, self.y)              # before sum_and_dz, which may overwrite z
        total, u = k.sum_and_dz(z, self.y)
        return self.assemble(theta, total, u.dot(X), (X.T * w) @ X)

    def assemble(self, theta, total, g, H):
        """(J, ∇J, ∇²J) from the sums over all rows Σℓᵢ, Σ uᵢxᵢ and Xᵀ diag(ℓ'') X (g and H are
        scaled in place)."""
        g *= self.kernel.scale / self.n
        H /= self.n
        f = total / self.n
        if self.lam:
            f += self.lam * self.reg.value(theta)
            g += self.lam * self.reg.gradient(theta)
            H += self.lam * self.reg.hessian(theta)
        return f, g, H

    def hessian(self, theta) -> np.ndarray:
        X = self.X
        w = self.kernel.dz2(X @ theta, self.y)
        H = (X.T * w) @ X / self.n
        if self.lam:
            H += self.lam * self.reg.hessian(theta)
        return H


from . import _dask  # noqa: E402  (it subclasses UncheckedRisk)
