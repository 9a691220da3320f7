"""Euclidean projections onto simple convex sets, for :func:`mlopt.projected_gradient`.

P_C(v) = argmin_{u ∈ C} ‖u − v‖ is characterized by its optimality condition: P_C(v) ∈ C and
(v − P_C(v))ᵀ(u − P_C(v)) ≤ 0 for every u ∈ C (the residual makes an obtuse angle with C).
Each projection here is an exact closed form (or, for the simplex, an exact O(d log d) sort):

- :func:`box` — clip each coordinate to [lower, upper];
- :func:`ball` — v · min(1, r/‖v‖);
- :data:`nonnegative` — max(v, 0);
- :func:`simplex` — max(v − τ, 0) with the threshold τ that makes the sum equal to ``total``
  (Held, Wolfe & Crowder 1974; Duchi et al. 2008);
- :func:`l1_ball` — sign(v) · max(abs(v) − τ, 0): soft-thresholding with the τ of the simplex
  projection of abs(v) (Duchi et al. 2008), the constraint form of the lasso.

Each is a :class:`Projection`: a callable θ ↦ P_C(θ) that returns a new array, with ``contains``
to test membership. Explained in Chapter 11 (*Constraints*).
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_scalar

__all__ = ["Projection", "box", "ball", "nonnegative", "simplex", "l1_ball"]


class Projection:
    """The Euclidean projection onto a closed convex set C, as a callable θ ↦ P_C(θ).

    Parameters
    ----------
    name : str
        The set, as text (shown by ``repr``).
    project : callable
        ndarray ↦ ndarray, the projection (must not modify its argument).
    contains : callable
        (ndarray, atol) ↦ bool, membership up to ``atol``.

    Notes
    -----
    Use the factories :func:`box`, :func:`ball`, :func:`simplex` and the instance
    :data:`nonnegative`. Explained in :doc:`/book/11_constraints`.
    """

    def __init__(self, name: str, project, contains):
        self.name, self._project, self._contains = name, project, contains

    def __call__(self, theta) -> np.ndarray:
        """P_C(θ): a new float64 array (θ is not modified)."""
        return self._project(as_float_array(theta, "theta", ndim=1))

    def contains(self, theta, atol: float = 1e-12) -> bool:
        """Whether θ lies in C, up to ``atol``."""
        return bool(self._contains(as_float_array(theta, "theta", ndim=1), float(atol)))

    def __repr__(self) -> str:
        return f"Projection({self.name})"

    def __reduce__(self):
        key = self.name.split("(")[0]
        if key in _REBUILD:            # the built-in sets pickle by their parameters
            return _REBUILD[key], self._args
        return Projection, (self.name, self._project, self._contains)

    _args: tuple = ()


def _bound(value, name):
    if np.isscalar(value):
        v = float(value) if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool) \
            else None
        if v is None or np.isnan(v):
            raise ValueError(f"{name} must be a real number or an array of them; got {name}={value!r}")
        return v
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 1 or np.isnan(arr).any():
        raise ValueError(f"{name} must be a real number or a 1-D array without NaN; got {name}={value!r}")
    return arr.copy()


def box(lower=-np.inf, upper=np.inf) -> Projection:
    """The box {θ : lower ≤ θ ≤ upper} (bounds per coordinate or scalars; ±inf allowed).

    P(v) = min(max(v, lower), upper), coordinate by coordinate.

    Notes
    -----
    Explained in :doc:`/book/11_constraints`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> mlopt.projections.box(0.0, 1.0)(np.array([-0.5, 0.3, 2.0]))
    array([0. , 0.3, 1. ])
    """
    lo, hi = _bound(lower, "lower"), _bound(upper, "upper")
    if np.any(np.asarray(lo) > np.asarray(hi)):
        raise ValueError(f"box needs lower <= upper in every coordinate; got lower={lower!r}, upper={upper!r}")

    def shapes(v):
        for b, name in ((lo, "lower"), (hi, "upper")):
            if np.ndim(b) and np.shape(b) != v.shape:
                raise ValueError(f"box {name} has shape {np.shape(b)}, theta has shape {v.shape}")

    def project(v):
        shapes(v)
        return np.minimum(np.maximum(v, lo), hi)

    def contains(v, atol):
        shapes(v)
        return bool(np.all(v >= np.asarray(lo) - atol) and np.all(v <= np.asarray(hi) + atol))

    text = (f"box({lower!r}, {upper!r})" if np.isscalar(lower) and np.isscalar(upper) else "box(arrays)")
    p = Projection(text, project, contains)
    p._args = (lo, hi)
    return p


def ball(radius: float = 1.0) -> Projection:
    """The Euclidean ball {θ : ‖θ‖ ≤ radius}.

    P(v) = v · min(1, radius/‖v‖): points inside stay, points outside are scaled onto the sphere.

    Notes
    -----
    Explained in :doc:`/book/11_constraints` (the ball is the constraint twin of ridge).

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> mlopt.projections.ball(1.0)(np.array([3.0, 4.0]))
    array([0.6, 0.8])
    """
    r = check_scalar(radius, "radius", low=0.0)

    def project(v):
        norm = float(np.linalg.norm(v))
        return v * (r / norm) if norm > r else v.copy()

    def contains(v, atol):
        return float(np.linalg.norm(v)) <= r + atol

    p = Projection(f"ball(radius={r:g})", project, contains)
    p._args = (r,)
    return p


def _nonnegative_project(v):
    return np.maximum(v, 0.0)


def _nonnegative_contains(v, atol):
    return bool(np.all(v >= -atol))


def _nonnegative_factory():
    return nonnegative


#: The nonnegative orthant {θ : θ ≥ 0}: P(v) = max(v, 0) (nonnegative least squares).
nonnegative = Projection("nonnegative", _nonnegative_project, _nonnegative_contains)


def simplex(total: float = 1.0) -> Projection:
    """The simplex {θ : θ ≥ 0, Σθ = total} (the probability simplex for total = 1).

    P(v) = max(v − τ, 0), where τ makes the coordinates sum to ``total``: sort v in decreasing
    order u₁ ≥ … ≥ u_d, let ρ be the largest j with u_j − (Σ_{i≤j} u_i − total)/j > 0, and
    τ = (Σ_{i≤ρ} u_i − total)/ρ. Exact, O(d log d) (Held, Wolfe & Crowder 1974; Duchi et al. 2008).

    Notes
    -----
    Explained in :doc:`/book/11_constraints`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> mlopt.projections.simplex()(np.array([0.5, 1.5, -1.0]))
    array([0., 1., 0.])
    """
    z = check_scalar(total, "total", low=0.0, low_open=True)

    def project(v):
        if v.size == 0:
            raise ValueError("simplex projection needs at least one coordinate")
        u = np.sort(v)[::-1]
        css = np.cumsum(u) - z
        j = np.arange(1, v.size + 1)
        rho = int(np.nonzero(u - css / j > 0)[0][-1])
        tau = css[rho] / (rho + 1)
        return np.maximum(v - tau, 0.0)

    def contains(v, atol):
        return bool(np.all(v >= -atol) and abs(float(v.sum()) - z) <= atol * max(1.0, v.size))

    p = Projection(f"simplex(total={z:g})", project, contains)
    p._args = (z,)
    return p


def l1_ball(radius: float = 1.0) -> Projection:
    """The ℓ1 ball {θ : ‖θ‖₁ ≤ radius}, the constraint form of the lasso.

    P(v) = v inside the ball; outside, sign(v) · P_simplex(radius)(abs(v)) = sign(v) · max(abs(v) − τ, 0),
    soft-thresholding at the τ that puts the result on the ball's surface (Duchi et al. 2008).

    Notes
    -----
    Explained in :doc:`/book/11_constraints`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> mlopt.projections.l1_ball(1.0)(np.array([2.0, -0.5, 0.1]))
    array([1., 0., 0.])
    """
    r = check_scalar(radius, "radius", low=0.0)
    onto = simplex(r) if r > 0 else None

    def project(v):
        if float(np.abs(v).sum()) <= r:
            return v.copy()
        if onto is None:
            return np.zeros_like(v)
        return np.sign(v) * onto(np.abs(v)) + 0.0     # + 0.0: no negative zeros

    def contains(v, atol):
        return float(np.abs(v).sum()) <= r + atol

    p = Projection(f"l1_ball(radius={r:g})", project, contains)
    p._args = (r,)
    return p


_REBUILD = {"box": box, "ball": ball, "simplex": simplex, "nonnegative": _nonnegative_factory, "l1_ball": l1_ball}
