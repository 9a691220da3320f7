"""Per-sample losses ℓ(z, y) of the prediction z = xᵀθ, with derivatives derived by SymPy.

A :class:`Loss` is built from a SymPy expression in the two symbols :data:`z` and :data:`y`. Its
first and second derivatives in ``z`` are derived symbolically, then turned into vectorized NumPy
functions by ``sympy.lambdify``, once: identical expressions share one cached derivation. Where the
literal expression is unstable in floating point (the logistic loss: ``exp(z)`` overflows) the
loss carries a stable NumPy form, checked against the symbolic one in the tests.

Chapter 1 (*From loss to objective*) plots these losses; Chapter 2 (*Gradients*) derives their
derivatives by hand and compares them with the ones here.

Examples
--------
>>> import numpy as np
>>> from mlopt import losses
>>> losses.squared.dz(np.array([3.0]), np.array([1.0]))
array([4.])
>>> losses.logistic.value(np.array([1e4]), np.array([1.0]))
array([0.])
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np
import sympy as sp

from ._kernels import LossKernel, scaled_form, square_factor, sum_of_squares, sum_then_dz
from ._validation import check_scalar

__all__ = ["Loss", "LossKernel", "z", "y", "squared", "logistic", "huber", "sigmoid"]

#: The prediction symbol z = xᵀθ (real).
z = sp.Symbol("z", real=True)
#: The label symbol y (real).
y = sp.Symbol("y", real=True)


def _drop_dirac(expr: sp.Expr) -> sp.Expr:
    """Replace Dirac deltas (derivatives of |·| and sign at a single point) by 0.

    A piecewise loss such as Huber's is twice differentiable almost everywhere; its second
    derivative is taken in that sense.
    """
    return expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.Integer(0))


@functools.lru_cache(maxsize=256)
def _derive(expr: sp.Expr, zs: sp.Symbol, ys: sp.Symbol):
    """Differentiate ``expr`` twice in ``zs`` and lambdify the three; cached per expression."""
    d1 = _drop_dirac(sp.diff(expr, zs))
    d2 = _drop_dirac(sp.diff(d1, zs))
    for order, d in ((1, d1), (2, d2)):
        if d.has(sp.Derivative, sp.Subs):
            raise ValueError(f"expr must be twice differentiable in z in closed form; SymPy's derivative "
                             f"of order {order} is {d}")
    funcs = tuple(sp.lambdify((zs, ys), e, modules="numpy") for e in (expr, d1, d2))
    return d1, d2, funcs


def _broadcast(func: Callable) -> Callable:
    """Wrap a lambdified function so it always returns a float array of the broadcast shape."""

    def wrapped(zv, yv):
        zv = np.asarray(zv, dtype=np.float64)
        yv = np.asarray(yv, dtype=np.float64)
        out = np.asarray(func(zv, yv), dtype=np.float64)
        shape = np.broadcast_shapes(zv.shape, yv.shape)
        if out.shape != shape:
            out = np.broadcast_to(out, shape).copy()
        return out

    return wrapped


#: The probe on which the fast functions are checked to return a float64 array of z's shape.
_PROBE_Z, _PROBE_Y = np.array([-1.5, 0.0, 2.5]), np.array([0.0, 1.0, 1.0])


def _check_expression(expr, z_symbol, y_symbol):
    """Check the expression and its two symbols; return them with z and y taken as real."""
    if not isinstance(expr, sp.Expr):
        raise ValueError(f"expr must be a SymPy expression; got {type(expr).__name__}")
    for pname, sym in (("z_symbol", z_symbol), ("y_symbol", y_symbol)):
        if not isinstance(sym, sp.Symbol):
            raise ValueError(f"{pname} must be a SymPy Symbol; got {sym!r}")
    if z_symbol == y_symbol:
        raise ValueError(f"z_symbol and y_symbol must differ; got {z_symbol} for both")
    extra = expr.free_symbols - {z_symbol, y_symbol}
    if extra:
        names = ", ".join(sorted(map(str, extra)))
        raise ValueError(f"expr may only contain the symbols {z_symbol} and {y_symbol}; "
                         f"it also contains {names} (substitute numbers for them)")
    if z_symbol not in expr.free_symbols:
        raise ValueError(f"expr must depend on the prediction symbol {z_symbol}; got {expr}")
    # z and y are real numbers: without that assumption SymPy differentiates |z − y| into
    # re/im parts that NumPy cannot evaluate
    real = {s: sp.Symbol(s.name, real=True) for s in (z_symbol, y_symbol) if not s.is_real}
    if real:
        expr = expr.xreplace(real)
        z_symbol, y_symbol = real.get(z_symbol, z_symbol), real.get(y_symbol, y_symbol)
    return expr, z_symbol, y_symbol


def _rebuild_loss(expr, z_symbol, y_symbol, name, labels, curvature_bounds, stable):
    return Loss(expr, z_symbol, y_symbol, name=name, labels=labels, curvature_bounds=curvature_bounds,
                stable=stable)


class Loss:
    """A per-sample loss ℓ(z, y) with SymPy-derived derivatives in z.

    Parameters
    ----------
    expr : sympy.Expr
        The loss in the symbols ``z_symbol`` and ``y_symbol``.
    z_symbol, y_symbol : sympy.Symbol
        The prediction and label symbols of ``expr``.
    name : str
        Short name used in messages and plots.
    labels : tuple of float, optional
        The allowed label values (e.g. ``(0, 1)`` for the logistic loss); ``None`` allows any real.
    curvature_bounds : (float, float), optional
        ``(inf ℓ'', sup ℓ'')`` over all z and allowed y. They give
        :meth:`mlopt.EmpiricalRisk.smoothness` and :meth:`~mlopt.EmpiricalRisk.strong_convexity`.
        ``None`` when unknown.
    stable : dict, optional
        NumPy functions ``{"value": f, "dz": f, "dz2": f}`` that replace the lambdified literal
        forms where those are unstable in floating point.

    Attributes
    ----------
    expr, dz_expr, dz2_expr : sympy.Expr
        The loss and its first and second derivatives in z.
    literal_value, literal_dz, literal_dz2 : callable
        The lambdified literal expressions (what you get without a stable form).
    constant_dz2 : float or None
        ℓ'' when it does not depend on z or y (the squared loss: 2), else None.
    kernel : LossKernel
        The unchecked fast path the solvers use (same values, no conversions).

    Notes
    -----
    Explained in :doc:`/book/01_loss_to_objective` and :doc:`/book/02_gradients`.

    Chapter 1 (*From loss to objective*) explains the losses, Chapter 2 (*Gradients*) the
    derivatives.
    """

    def __init__(self, expr, z_symbol=z, y_symbol=y, *, name: str = "loss", labels=None,
                 curvature_bounds=None, stable: dict | None = None):
        expr, z_symbol, y_symbol = _check_expression(expr, z_symbol, y_symbol)
        self.name = str(name)
        self.expr = expr
        self.z_symbol, self.y_symbol = z_symbol, y_symbol
        self.labels = None if labels is None else tuple(float(v) for v in labels)
        if curvature_bounds is not None:
            lo, hi = (float(v) for v in curvature_bounds)
            if not (0.0 <= lo <= hi):
                raise ValueError(f"curvature_bounds must satisfy 0 <= low <= high; got {curvature_bounds!r}")
            curvature_bounds = (lo, hi)
        self.curvature_bounds = curvature_bounds
        self.dz_expr, self.dz2_expr, funcs = _derive(expr, z_symbol, y_symbol)
        self.literal_value, self.literal_dz, self.literal_dz2 = (_broadcast(f) for f in funcs)
        # ℓ'' when it is a constant (2 for the squared loss), else None: the Hessian of J is then
        # the same at every θ (what mlopt.conjugate_gradient needs).
        self.constant_dz2 = float(self.dz2_expr) if self.dz2_expr.is_number else None
        self._stable = dict(stable or {})
        unknown = set(self._stable) - {"value", "dz", "dz2"}
        if unknown:
            raise ValueError(f"stable may only have the keys 'value', 'dz', 'dz2'; got {sorted(unknown)}")
        self._value = self._stable.get("value", self.literal_value)
        self._dz = self._stable.get("dz", self.literal_dz)
        self._dz2 = self._stable.get("dz2", self.literal_dz2)
        self.has_stable_form = bool(self._stable)
        self.kernel = self._make_kernel(funcs)

    def _make_kernel(self, funcs) -> LossKernel:
        """The fast path: the bare functions where they already return a float64 array of the
        right shape (checked on a probe), the checked ones otherwise, and the scaled derivative."""
        probe = _PROBE_Z.copy(), _PROBE_Y.copy()

        def fast(key, raw, public):
            candidate = self._stable.get(key, raw)
            try:
                out = candidate(*probe)
            except Exception:
                return public
            ok = isinstance(out, np.ndarray) and out.shape == probe[0].shape and out.dtype == np.float64
            return candidate if ok else public

        value = fast("value", funcs[0], self._value)
        dz_full = fast("dz", funcs[1], self._dz)
        dz2 = fast("dz2", funcs[2], self._dz2)
        scale, dz = (1.0, None) if "dz" in self._stable else scaled_form(self.dz_expr, self.z_symbol,
                                                                           self.y_symbol)
        if dz is not None and fast("dz", dz, None) is None:
            scale, dz = 1.0, None
        if dz is None:
            return LossKernel(value, dz_full, 1.0, dz2, sum_then_dz(value, dz_full))
        k = None if "value" in self._stable else square_factor(self.expr, self.dz_expr, self.z_symbol,
                                                                self.y_symbol, scale)
        both = sum_of_squares(k, dz) if k is not None else sum_then_dz(value, dz)
        return LossKernel(value, dz, scale, dz2, both)

    def __reduce__(self):
        # the lambdified functions do not pickle; the expression and options do
        return (_rebuild_loss, (self.expr, self.z_symbol, self.y_symbol, self.name, self.labels,
                                self.curvature_bounds, self._stable or None))

    @classmethod
    def from_sympy(cls, expr, z_symbol, y_symbol, *, name: str = "custom", labels=None,
                   curvature_bounds=None) -> "Loss":
        """Build a loss from any twice-differentiable SymPy expression in ``(z, y)``.

        Examples
        --------
        >>> import sympy as sp
        >>> zz, yy = sp.symbols("z y", real=True)
        >>> cubic = Loss.from_sympy((zz - yy)**4, zz, yy, name="quartic")
        >>> cubic.dz_expr
        4*(-y + z)**3
        """
        return cls(expr, z_symbol, y_symbol, name=name, labels=labels, curvature_bounds=curvature_bounds)

    def value(self, z, y) -> np.ndarray:
        """ℓ(z, y), elementwise."""
        return self._value(z, y)

    def dz(self, z, y) -> np.ndarray:
        """∂ℓ/∂z (z, y), elementwise."""
        return self._dz(z, y)

    def dz2(self, z, y) -> np.ndarray:
        """∂²ℓ/∂z² (z, y), elementwise."""
        return self._dz2(z, y)

    def check_labels(self, yv: np.ndarray, name: str = "y") -> None:
        """Raise ``ValueError`` if ``yv`` holds a value outside ``labels``."""
        if self.labels is None:
            return
        bad = ~np.isin(yv, self.labels)
        if bad.any():
            found = np.unique(yv[bad])[:5]
            allowed = "{" + ", ".join(f"{v:g}" for v in self.labels) + "}"
            raise ValueError(f"{name} must take values in {allowed} for the {self.name} loss; "
                             f"got {', '.join(f'{v:g}' for v in found)}")

    def __repr__(self) -> str:
        return f"Loss({self.name}: {self.expr})"


# --- squared loss ------------------------------------------------------------------------------

#: Squared loss (z − y)²: ℓ' = 2(z − y), ℓ'' = 2.
squared = Loss((z - y) ** 2, z, y, name="squared", curvature_bounds=(2.0, 2.0))


# --- logistic loss -----------------------------------------------------------------------------

def sigmoid(zv) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)), computed without overflow for any finite z.

    Explained in :doc:`/book/06_classification`.
    """
    zv = np.asarray(zv, dtype=np.float64)
    e = np.exp(-np.abs(zv))
    return np.where(zv >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _logistic_value(zv, yv):
    zv = np.asarray(zv, dtype=np.float64)
    return np.logaddexp(0.0, zv) - yv * zv


def _logistic_dz(zv, yv):
    return sigmoid(zv) - yv


def _logistic_dz2(zv, yv):
    zv = np.asarray(zv, dtype=np.float64)
    e = np.exp(-np.abs(zv))  # σ(z)(1 − σ(z)) = e^{−|z|} / (1 + e^{−|z|})², symmetric in z
    out = e / (1.0 + e) ** 2
    return np.broadcast_to(out, np.broadcast_shapes(zv.shape, np.shape(yv))).copy()


#: Logistic loss log(1 + e^z) − y z for labels y ∈ {0, 1}: ℓ' = σ(z) − y, ℓ'' = σ(z)(1 − σ(z)).
#: Evaluated in a stable form (``logaddexp``; σ from exp(−abs(z))), finite for any finite z.
logistic = Loss(sp.log(1 + sp.exp(z)) - y * z, z, y, name="logistic", labels=(0.0, 1.0),
                curvature_bounds=(0.0, 0.25),
                stable={"value": _logistic_value, "dz": _logistic_dz, "dz2": _logistic_dz2})


# --- Huber loss --------------------------------------------------------------------------------

def huber(delta: float = 1.0) -> Loss:
    """Huber loss with threshold ``delta`` > 0, on the residual r = z − y.

    .. math::

        \\ell(z, y) = \\begin{cases} r^2/2 & |r| \\le \\delta \\\\
                      \\delta(|r| - \\delta/2) & |r| > \\delta \\end{cases}

    Quadratic near zero, linear in the tails, so one outlier pulls the fit less than under the
    squared loss (Chapter 1). ℓ' = clip(r, −δ, δ); ℓ'' = 1 for abs(r) ≤ δ, else 0.

    Explained in :doc:`/book/01_loss_to_objective`.

    Parameters
    ----------
    delta : float, default 1.0
        The threshold δ, with 0 < δ ≤ 1e150 (δ²/2 must be finite in float64).

    Returns
    -------
    Loss
    """
    # δ²/2 appears in the loss: it must be finite in float64
    return _huber(check_scalar(delta, "delta", low=0.0, low_open=True, high=1e150))


@functools.lru_cache(maxsize=64)
def _huber(delta: float) -> Loss:
    d = sp.nsimplify(delta, rational=True)
    r = z - y
    expr = sp.Piecewise((r ** 2 / 2, sp.Abs(r) <= d), (d * (sp.Abs(r) - d / 2), True))
    return Loss(expr, z, y, name=f"huber(delta={delta:g})", curvature_bounds=(0.0, 1.0))
