"""The fast path of a loss: the unchecked NumPy functions the solvers' inner loops call.

A :class:`LossKernel` is built once per :class:`~mlopt.Loss` from its SymPy derivative: where ℓ'
is a constant times something cheaper (``2*z - 2*y`` = 2·(z − y)), the solvers compute the cheap
part in place in the buffer of z = Xθ and apply the constant to the d-vector Xᵀf instead of the
n-vector; where the loss is a multiple of that part squared, value and derivative share one array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp


def scaled_form(expr, zs, ys):
    """(c, f) with expr = c · f(z, y) for a number c and f cheaper than expr; (1.0, None) when that
    gains nothing.

    For a derivative affine in z such as ``2*z - 2*y`` = 2·(z − y), f computes z − y in place in
    z's own buffer (one array operation instead of three) and c is applied to the d-vector Xᵀf
    instead of the n-vector. Checked against the literal form in the tests.
    """
    if not expr.is_polynomial(zs, ys):
        return 1.0, None
    coeff, rest = sp.factor(expr).as_coeff_Mul()
    if not rest.free_symbols:
        return 1.0, None
    poly = sp.Poly(rest, zs, ys)
    a, b = poly.coeff_monomial(zs), poly.coeff_monomial(ys)
    if poly.total_degree() == 1 and poly.coeff_monomial(1) == 0 and a != 0:
        return float(coeff * a), affine_in_place(float(b / a))
    if coeff == 1:
        return 1.0, None
    return float(coeff), sp.lambdify((zs, ys), rest, modules="numpy")


def affine_in_place(ratio: float) -> Callable:
    """zv ↦ zv + ratio·yv, computed in zv's buffer (which it returns)."""
    def in_place(zv, yv):
        if ratio == -1.0:
            zv -= yv
        elif ratio == 1.0:
            zv += yv
        elif ratio != 0.0:
            zv += ratio * yv
        return zv

    return in_place


def square_factor(expr, dz_expr, zs, ys, scale: float):
    """k with expr = k · (dz_expr / scale)², when the loss is such a square (else None).

    Then the loss and its derivative share one array: u = ℓ'/scale, ℓ = k·u².
    """
    u = dz_expr / sp.nsimplify(scale)
    k = sp.simplify(expr / u ** 2)
    return float(k) if k.is_number and k.is_finite and k != 0 else None


@dataclass(frozen=True)
class LossKernel:
    """A loss's fast path for the solvers' inner loops: unchecked NumPy functions of float64
    arrays ``z`` and ``y`` of one shape.

    Attributes
    ----------
    value : callable
        ℓ(z, y), elementwise.
    dz : callable
        f(z, y) with ℓ'(z, y) = ``scale`` · f(z, y), elementwise. **It may overwrite its first
        argument** (and then returns it): pass a z you own, such as a fresh product Xθ.
    scale : float
        The constant factor of ℓ' (2.0 for the squared loss, whose f is z − y).
    dz2 : callable
        ℓ''(z, y), elementwise.
    sum_and_dz : callable
        (Σ ℓ(z, y), f(z, y)) from one z, which it may overwrite: for a loss ℓ = k·f², one array
        operation and one dot product.

    Notes
    -----
    Explained in :doc:`/book/02_gradients` (the gradient in two passes over X).
    """

    value: Callable
    dz: Callable
    scale: float
    dz2: Callable
    sum_and_dz: Callable


def sum_then_dz(value, dz):
    def sum_and_dz(zv, yv):
        total = float(np.sum(value(zv, yv)))   # before dz, which may overwrite zv
        return total, dz(zv, yv)

    return sum_and_dz


def sum_of_squares(k, dz):
    def sum_and_dz(zv, yv):
        u = dz(zv, yv)
        return k * float(u.dot(u)), u

    return sum_and_dz


