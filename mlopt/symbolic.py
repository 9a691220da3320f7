"""Functions of a few variables given as SymPy expressions, and the finite-difference check.

:class:`SymbolicFunction` is for the book's two-dimensional pictures (bowls, Rosenbrock, saddles):
the gradient and Hessian are derived by SymPy and lambdified once. :func:`check_gradient` compares
any gradient with central finite differences (Chapter 2, *Gradients*).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import sympy as sp

from ._validation import as_float_array, check_callable, check_scalar

__all__ = ["SymbolicFunction", "check_gradient"]


#: Functions whose presence in a derivative means the expression is not twice differentiable
#: everywhere (|x|, sign, max, steps) or has no closed-form derivative.
_NON_SMOOTH = (sp.Abs, sp.sign, sp.DiracDelta, sp.Heaviside, sp.Max, sp.Min, sp.Derivative, sp.Subs)


def _check_differentiable(expr, gradient, hessian) -> None:
    """Refuse, at construction, an expression whose gradient or Hessian SymPy cannot give in
    closed form or that is not differentiable everywhere (e.g. Abs)."""
    for order, parts in (("gradient", gradient), ("Hessian", list(hessian))):
        for part in parts:
            bad = sorted({type(a).__name__ for a in sp.preorder_traversal(part) if isinstance(a, _NON_SMOOTH)})
            if bad:
                what = ", ".join(bad)
                raise ValueError(f"expr must be twice differentiable everywhere; its {order} contains "
                                 f"{what} (from {expr}): use a smooth expression, e.g. sqrt(x**2 + c) for Abs(x)")


class SymbolicFunction:
    """f(θ) given by a SymPy expression in ``variables``, with SymPy gradient and Hessian.

    Parameters
    ----------
    expr : sympy.Expr
    variables : sequence of sympy.Symbol
        The coordinates of θ, in order.

    Notes
    -----
    Explained in :doc:`/book/02_gradients` and :doc:`/book/07_failure_modes`.

    ``value``, ``gradient`` and ``hessian`` take θ of shape (k,), or a stack of points of shape
    (k, ...) (e.g. ``np.stack([XX, YY])`` on a grid), evaluated elementwise. Solvers accept a
    SymbolicFunction wherever they accept an objective. Chapter 2 (*Gradients*) uses them for the
    pictures of convexity and saddles.

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> a, b = sp.symbols("a b")
    >>> f = SymbolicFunction(a**2 + 3*b**2, [a, b])
    >>> f.gradient_expr
    [2*a, 6*b]
    >>> f.gradient(np.array([1.0, 1.0]))
    array([2., 6.])
    """

    def __init__(self, expr, variables: Sequence[sp.Symbol]):
        try:
            expr = sp.sympify(expr, strict=True)
        except (sp.SympifyError, TypeError):
            raise ValueError(f"expr must be a SymPy expression; got {type(expr).__name__}") from None
        if not isinstance(expr, sp.Expr):
            raise ValueError(f"expr must be a SymPy expression; got {type(expr).__name__}")
        variables = list(variables) if not isinstance(variables, sp.Symbol) else [variables]
        if not variables or not all(isinstance(v, sp.Symbol) for v in variables):
            raise ValueError(f"variables must be a non-empty list of SymPy symbols; got {variables!r}")
        if len(set(variables)) != len(variables):
            raise ValueError(f"variables must be distinct; got {variables!r}")
        extra = expr.free_symbols - set(variables)
        if extra:
            raise ValueError(f"expr has symbols that are not variables: {', '.join(sorted(map(str, extra)))}; "
                             "substitute numbers for them or list them in variables")
        self.expr = expr
        self.variables = variables
        self.n_features = len(variables)
        self.gradient_expr = [sp.diff(expr, v) for v in variables]
        self.hessian_expr = sp.hessian(expr, variables)
        _check_differentiable(expr, self.gradient_expr, self.hessian_expr)
        self._f = sp.lambdify(variables, expr, modules="numpy")
        self._g = [sp.lambdify(variables, e, modules="numpy") for e in self.gradient_expr]
        k = self.n_features
        self._h = [[sp.lambdify(variables, self.hessian_expr[i, j], modules="numpy") for j in range(k)]
                   for i in range(k)]

    def _points(self, theta) -> tuple[np.ndarray, tuple]:
        arr = as_float_array(theta, "theta")
        if arr.ndim == 0 or arr.shape[0] != self.n_features:
            raise ValueError(f"theta must have shape ({self.n_features},) or ({self.n_features}, ...); "
                             f"got shape {arr.shape}")
        return arr, arr.shape[1:]

    @staticmethod
    def _full(value, shape) -> np.ndarray:
        out = np.asarray(value, dtype=np.float64)
        return out if out.shape == shape else np.broadcast_to(out, shape).copy()

    def value(self, theta):
        """f(θ): a float for one point, an array of shape ``theta.shape[1:]`` for a stack."""
        arr, shape = self._points(theta)
        out = self._full(self._f(*arr), shape)
        return float(out) if shape == () else out

    def __call__(self, theta):
        return self.value(theta)

    def gradient(self, theta) -> np.ndarray:
        """∇f(θ), shape (k,) or (k, ...)."""
        arr, shape = self._points(theta)
        return np.stack([self._full(g(*arr), shape) for g in self._g])

    def hessian(self, theta) -> np.ndarray:
        """∇²f(θ), shape (k, k) or (k, k, ...)."""
        arr, shape = self._points(theta)
        return np.stack([np.stack([self._full(h(*arr), shape) for h in row]) for row in self._h])

    def __repr__(self) -> str:
        return f"SymbolicFunction({self.expr}, variables={self.variables})"


def check_gradient(fun: Callable, grad, theta, *, eps: float = 1e-6) -> float:
    """Relative error of a gradient against central finite differences.

    .. math::

        g^{\\text{fd}}_i = \\frac{f(\\theta + h_i e_i) - f(\\theta - h_i e_i)}{2 h_i},
        \\quad h_i = \\varepsilon \\max(1, |\\theta_i|), \\qquad
        \\text{error} = \\frac{\\|g - g^{\\text{fd}}\\|}{\\max(\\|g\\|, \\|g^{\\text{fd}}\\|)}

    (0 when both are zero). Central differences have truncation error O(h²) and round-off error
    O(ε_machine / h): about 1e-8 relative error is what a correct gradient shows at the default step;
    a wrong one shows O(1). (SciPy's ``check_grad`` returns the absolute norm of the difference
    with forward differences; the relative, central version here is easier to read.)

    Parameters
    ----------
    fun : callable
        θ ↦ f(θ), a float.
    grad : callable or array_like
        θ ↦ ∇f(θ), or the gradient already evaluated at ``theta``.
    theta : array_like, shape (k,)
    eps : float, default 1e-6
        Relative finite-difference step.

    Returns
    -------
    float
        The relative error.

    Notes
    -----
    Explained in :doc:`/book/02_gradients`.

    Examples
    --------
    >>> import numpy as np
    >>> err = check_gradient(lambda t: t @ t, lambda t: 2 * t, np.array([1.0, -2.0]))
    >>> err < 1e-8
    True
    """
    check_callable(fun, "fun", allow_none=False)
    theta = as_float_array(theta, "theta", ndim=1)
    eps = check_scalar(eps, "eps", low=0.0, low_open=True)
    g = np.asarray(grad(theta) if callable(grad) else grad, dtype=np.float64)
    if g.shape != theta.shape:
        raise ValueError(f"grad must have the shape of theta {theta.shape}; got shape {g.shape}")
    fd = np.empty_like(theta)
    for i in range(theta.size):
        h = eps * max(1.0, abs(theta[i]))
        tp = theta.copy()
        tm = theta.copy()
        tp[i] += h
        tm[i] -= h
        fp = np.asarray(fun(tp))
        if fp.size != 1:   # checked on the first evaluation, at no extra cost
            raise ValueError(f"fun must return a scalar (the objective value); got an array of shape {fp.shape}")
        fd[i] = (float(fp) - float(fun(tm))) / (tp[i] - tm[i])
    if not np.all(np.isfinite(g)):
        raise ValueError("grad is not finite at theta; check_gradient needs a finite gradient")
    if not np.all(np.isfinite(fd)):
        raise ValueError("fun is not finite at or near theta; check_gradient needs finite values")
    scale = max(np.linalg.norm(g), np.linalg.norm(fd))
    return 0.0 if scale == 0 else float(np.linalg.norm(g - fd) / scale)
