"""The quadratic objective J(θ) = ½ θᵀAθ − bᵀθ + c.

Every smooth objective looks like this near a minimizer (its second-order Taylor model), and
least squares *is* one: (1/n)‖Xθ − y‖² + λ‖θ‖² has A = (2/n)XᵀX + 2λI and b = (2/n)Xᵀy. The
rates of Chapter 8 (*Convergence*) and the conjugate gradients of Chapter 9 (*Preconditioning*)
are stated for it; Nesterov's worst-case function for first-order methods is one.
"""

from __future__ import annotations

import numpy as np

from ._compat import cholesky
from ._validation import as_float_array, check_scalar, check_theta

__all__ = ["Quadratic"]

#: Relative size (to the largest eigenvalue magnitude) below which an eigenvalue of A counts as 0.
EIG_RTOL = 1e-12


class Quadratic:
    """J(θ) = ½ θᵀAθ − bᵀθ + c with A symmetric positive semidefinite.

    Parameters
    ----------
    A : array_like, shape (d, d)
        The Hessian: symmetric (to round-off) and positive semidefinite (checked once, by a
        Cholesky factorization of A + δI with δ at A's round-off: O(d³/3), fine for the few
        thousand dimensions this class is meant for; use :class:`~mlopt.EmpiricalRisk` for data).
        The eigenvalues (for L, μ, κ) are computed when first asked for.
    b : array_like, shape (d,), optional
        The linear term (zeros by default). The minimizers solve Aθ = b.
    c : float, default 0
        The constant term.

    Attributes
    ----------
    A, b : ndarray
        Copies of the inputs (A symmetrized).
    c : float
    n_features : int
        d.

    Notes
    -----
    Explained in :doc:`/book/08_convergence` and :doc:`/book/09_preconditioning`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> q = mlopt.Quadratic(np.diag([1.0, 10.0]), b=np.array([1.0, 1.0]))
    >>> q.minimizer(), q.condition_number()
    (array([1. , 0.1]), 10.0)
    >>> float(q.value(q.minimizer()))
    -0.55
    """

    def __init__(self, A, b=None, c: float = 0.0):
        A = as_float_array(A, "A", ndim=2)
        if A.shape[0] != A.shape[1] or A.shape[0] == 0:
            raise ValueError(f"A must be a non-empty square matrix; got shape {A.shape}")
        d = A.shape[0]
        scale = float(np.max(np.abs(A)))
        asym = float(np.max(np.abs(A - A.T)))
        if asym > 1e-12 * max(scale, np.finfo(float).tiny):
            raise ValueError(f"A must be symmetric; got max |A - A.T| = {asym:.3g} (max |A| = {scale:.3g})")
        self.A = 0.5 * (A + A.T)
        if b is None:
            self.b = np.zeros(d)
        else:
            self.b = as_float_array(b, "b", ndim=1).copy()
            if self.b.shape != (d,):
                raise ValueError(f"b must have shape ({d},) to match A of shape {A.shape}; got shape {self.b.shape}")
        self.c = check_scalar(c, "c")
        self.n_features = d
        # PSD check by one Cholesky factorization of A + δI (δ: round-off of A's scale), a third of
        # the cost of eigenvalues; the eigenvalues themselves are computed when first needed
        delta = EIG_RTOL * d * max(float(np.max(np.abs(np.diag(self.A)))), np.finfo(float).tiny)
        try:
            cholesky(self.A + delta * np.eye(d))
        except np.linalg.LinAlgError:
            low = float(np.linalg.eigvalsh(self.A)[0])
            raise ValueError(f"A must be positive semidefinite (J bounded below needs it); its smallest "
                             f"eigenvalue is {low:.3g}") from None
        self._eigs = None

    def _eigenvalues(self) -> np.ndarray:
        if self._eigs is None:
            eigs = np.linalg.eigvalsh(self.A)
            floor = EIG_RTOL * self.n_features * max(abs(eigs[0]), abs(eigs[-1]))
            self._eigs = np.where(eigs <= floor, 0.0, eigs)
        return self._eigs

    def value(self, theta) -> float:
        """J(θ) = ½ θᵀAθ − bᵀθ + c."""
        theta = check_theta(theta, self.n_features)
        return float(0.5 * theta @ (self.A @ theta) - self.b @ theta + self.c)

    def gradient(self, theta) -> np.ndarray:
        """∇J(θ) = Aθ − b."""
        theta = check_theta(theta, self.n_features)
        return self.A @ theta - self.b

    def value_and_gradient(self, theta):
        """(J(θ), ∇J(θ)) from one product Aθ."""
        theta = check_theta(theta, self.n_features)
        At = self.A @ theta
        return float(0.5 * theta @ At - self.b @ theta + self.c), At - self.b

    def hessian(self, theta) -> np.ndarray:
        """∇²J(θ) = A (a copy), whatever θ."""
        check_theta(theta, self.n_features)
        return self.A.copy()

    def hessian_vector(self, theta, v) -> np.ndarray:
        """∇²J(θ) v = A v."""
        check_theta(theta, self.n_features)
        return self.A @ check_theta(v, self.n_features, "v")

    def eigenvalues(self) -> np.ndarray:
        """The eigenvalues of A in ascending order (those at round-off level set to 0)."""
        return self._eigenvalues().copy()

    def smoothness(self) -> float:
        """L = λ_max(A): the Lipschitz constant of ∇J, exactly."""
        return float(self._eigenvalues()[-1])

    def strong_convexity(self) -> float:
        """μ = λ_min(A) (0 when A is singular: J is then convex, not strongly convex)."""
        return float(self._eigenvalues()[0])

    def condition_number(self) -> float:
        """κ = L / μ (inf when A is singular)."""
        mu = self.strong_convexity()
        return float(self.smoothness() / mu) if mu > 0 else float("inf")

    def minimizer(self) -> np.ndarray:
        """A minimizer: the solution of Aθ = b (the one of least norm when A is singular).

        Raises
        ------
        ValueError
            When A is singular and b is not in its range: J is then unbounded below.
        """
        if self._eigenvalues()[0] > 0:
            c = np.linalg.cholesky(self.A)
            return np.linalg.solve(c.T, np.linalg.solve(c, self.b))
        w, V = np.linalg.eigh(self.A)
        keep = w > EIG_RTOL * self.n_features * max(abs(w[0]), abs(w[-1]))
        coef = V.T @ self.b
        outside = float(np.linalg.norm(coef[~keep]))
        if outside > 1e-10 * max(float(np.linalg.norm(self.b)), np.finfo(float).tiny):
            raise ValueError(f"A is singular and b is not in its range (component {outside:.3g} outside): "
                             "J is unbounded below and has no minimizer")
        return V[:, keep] @ (coef[keep] / w[keep])

    def __repr__(self) -> str:
        return (f"Quadratic(n_features={self.n_features}, L={self.smoothness():.4g}, "
                f"mu={self.strong_convexity():.4g})")
