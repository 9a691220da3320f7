"""Uniform access to an objective for the full-batch solvers: value, gradient, both, Hessian.

An :class:`~mlopt.EmpiricalRisk` is used through its documented fast path (``obj.unchecked``);
any other object with ``value(theta)`` and ``gradient(theta)`` methods (a
:class:`~mlopt.SymbolicFunction`, or your own) through thin wrappers that convert what it returns,
and its own ``value_and_gradient(theta)`` when it has one (one forward pass for both).
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_float_array
from .objective import EmpiricalRisk


class Oracle:
    """Checks the objective and θ₀ once; afterwards its calls skip per-call validation."""

    def __init__(self, obj, theta0, *, need_hessian: bool = False, name: str = "theta0"):
        for method in ("value", "gradient") + (("hessian",) if need_hessian else ()):
            if not callable(getattr(obj, method, None)):
                what = "value(theta), gradient(theta)" + (" and hessian(theta)" if need_hessian else "")
                raise ValueError(f"obj must have {what} methods (e.g. an mlopt.EmpiricalRisk); "
                                 f"got {type(obj).__name__}")
        self.obj = obj
        n_features = getattr(obj, "n_features", None)
        theta0 = as_float_array(theta0, name, ndim=1)
        if n_features is not None and theta0.shape != (n_features,):
            raise ValueError(f"{name} must have shape ({n_features},) to match n_features={n_features}; "
                             f"got shape {theta0.shape}")
        self.theta0 = theta0.copy()
        if isinstance(obj, EmpiricalRisk):
            fast = obj.unchecked
            self.value, self.gradient = fast.value, fast.gradient
            self.value_and_gradient, self.hessian = fast.value_and_gradient, fast.hessian
            self.value_gradient_hessian = fast.value_gradient_hessian
        else:
            self.value = lambda t: float(obj.value(t))
            self.gradient = self._checked_gradient
            both = getattr(obj, "value_and_gradient", None)
            if callable(both):   # the object's own (one forward pass for both, e.g. a network)
                self.value_and_gradient = lambda t: self._checked_pair(both(t), t)
            else:
                self.value_and_gradient = lambda t: (self.value(t), self.gradient(t))
            self.hessian = lambda t: np.asarray(obj.hessian(t), dtype=np.float64)

    def value_gradient_hessian(self, theta):
        """(J(θ), ∇J(θ), ∇²J(θ)); an EmpiricalRisk computes the three in one pass over X."""
        f, g = self.value_and_gradient(theta)
        return f, g, self.hessian(theta)

    def start(self, theta, name: str = "theta0", hessian: bool = False):
        """(J(θ₀), ∇J(θ₀)) — and ∇²J(θ₀) with ``hessian=True``, from the same pass — or a
        ValueError when J or ∇J is not finite (nothing to descend from)."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            values = self.value_gradient_hessian(theta) if hessian else self.value_and_gradient(theta)
        f, g = values[0], values[1]
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            raise ValueError(f"{name} gives a non-finite objective or gradient (objective={f}); "
                             "choose another starting point")
        return values

    def _checked_pair(self, pair, theta):
        f, g = pair
        g = np.asarray(g, dtype=np.float64)
        if g.shape != theta.shape:
            raise ValueError(f"obj.value_and_gradient must return a gradient of theta's shape {theta.shape}; "
                             f"got shape {g.shape}")
        return float(f), g

    def _checked_gradient(self, theta):
        g = np.asarray(self.obj.gradient(theta), dtype=np.float64)
        if g.shape != theta.shape:
            raise ValueError(f"obj.gradient must return an array of theta's shape {theta.shape}; "
                             f"got shape {g.shape}")
        return g

    def smoothness(self):
        """L if the objective knows a finite one, else None."""
        fn = getattr(self.obj, "smoothness", None)
        if not callable(fn):
            return None
        try:
            L = float(fn())
        except (ValueError, NotImplementedError, TypeError):
            return None
        return L if math.isfinite(L) and L > 0 else None
