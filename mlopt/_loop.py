"""Shared machinery of the solvers: objective access, the history record, stop messages."""

from __future__ import annotations

import time
import warnings

import numpy as np

from ._validation import as_float_array
from .result import ConvergenceWarning, Result


class Oracle:
    """Uniform access to an objective: value, gradient, both, and the Hessian when it has one.

    Checks the objective once; afterwards calls skip the per-call validation of
    :class:`~mlopt.EmpiricalRisk` (the solver already checked θ₀ and keeps θ finite).
    """

    def __init__(self, obj, theta0, name="theta0"):
        for method in ("value", "gradient"):
            if not callable(getattr(obj, method, None)):
                raise ValueError(f"obj must have value(theta) and gradient(theta) methods "
                                 f"(e.g. an mlopt.EmpiricalRisk); got {type(obj).__name__}")
        self.obj = obj
        n_features = getattr(obj, "n_features", None)
        theta0 = as_float_array(theta0, name, ndim=1)
        if n_features is not None and theta0.shape != (n_features,):
            raise ValueError(f"{name} must have shape ({n_features},) to match n_features={n_features}; "
                             f"got shape {theta0.shape}")
        self.theta0 = theta0.copy()
        fast = hasattr(obj, "_value_and_gradient") and hasattr(obj, "_value")
        if fast:
            X, y = obj.X, obj.y
            self.value = lambda t: obj._value(t, X, y)
            self.value_and_gradient = obj._value_and_gradient
            self.gradient = lambda t: obj._gradient(t, X, y)
        else:
            self.value = lambda t: float(obj.value(t))
            self.gradient = lambda t: np.asarray(obj.gradient(t), dtype=np.float64)
            vg = getattr(obj, "value_and_gradient", None)
            self.value_and_gradient = vg if callable(vg) else (lambda t: (self.value(t), self.gradient(t)))
        self.hessian = getattr(obj, "hessian", None)

    def smoothness(self):
        """L if the objective knows it, else None."""
        fn = getattr(self.obj, "smoothness", None)
        if not callable(fn):
            return None
        try:
            L = float(fn())
        except (ValueError, NotImplementedError):
            return None
        return L if np.isfinite(L) and L > 0 else None


class History:
    """Preallocated per-record arrays; :meth:`as_dict` trims them to the records made."""

    def __init__(self, capacity, n_features, record_theta):
        self.t0 = time.perf_counter()
        self.n = 0
        self.cols = {k: np.empty(capacity) for k in ("objective", "grad_norm", "lr", "time", "n_grad")}
        self.theta = np.empty((capacity, n_features)) if record_theta else None

    def record(self, objective, grad_norm, lr, n_grad, theta):
        i = self.n
        c = self.cols
        c["objective"][i] = objective
        c["grad_norm"][i] = grad_norm
        c["lr"][i] = lr
        c["time"][i] = time.perf_counter() - self.t0
        c["n_grad"][i] = n_grad
        if self.theta is not None:
            self.theta[i] = theta
        self.n += 1

    def as_dict(self):
        out = {k: v[: self.n].copy() for k, v in self.cols.items()}
        if self.theta is not None:
            out["theta"] = self.theta[: self.n].copy()
        return out


def non_finite_what(f, g) -> str:
    if not np.isfinite(f):
        return f"the objective became {'inf' if f > 0 else 'nan' if f != f else '-inf'}"
    return "the gradient became non-finite"


def lr_advice(lr, L, momentum=0.0, nesterov=False) -> str:
    """Say how lr compares with the stability limit of gradient steps on a quadratic.

    The limits are 2/L (plain), 2(1 + β)/L (heavy ball) and 2(1 + β)/((1 + 2β)L) (Nesterov),
    with β = momentum.
    """
    if L is None:
        return (f"lr={lr:g} is too large for this function; reduce lr or use lr='backtracking'"
                if lr is not None else "reduce the step size")
    if momentum == 0:
        limit, name = 2.0 / L, "2/L"
    elif nesterov:
        limit, name = 2.0 * (1.0 + momentum) / ((1.0 + 2.0 * momentum) * L), "2(1+momentum)/((1+2 momentum)L)"
    else:
        limit, name = 2.0 * (1.0 + momentum) / L, "2(1+momentum)/L"
    if lr is not None and lr > limit:
        return f"lr={lr:g} exceeds {name}={limit:.3g} (L={L:.3g}); use lr <= 1/L={1.0 / L:.3g}"
    return (f"lr={lr:g} is below {name}={limit:.3g} (L={L:.3g}), so the data may hold extreme values; "
            "standardize the features or use lr='backtracking'")


#: A run whose objective grows by more than this factor over J(θ₀) (and above 1) has diverged,
#: even while its values are still finite.
DIVERGENCE_FACTOR = 1e10


def blew_up(f, f0) -> bool:
    """True when J became non-finite or grew by more than DIVERGENCE_FACTOR over J(θ₀)."""
    return not np.isfinite(f) or f > DIVERGENCE_FACTOR * max(abs(f0), 1.0)


def growth_what(f, f0) -> str:
    if not np.isfinite(f):
        return non_finite_what(f, 0.0)
    return f"the objective grew from {f0:.4g} to {f:.4g} (more than {DIVERGENCE_FACTOR:.0e} times)"


def sgd_advice(lr, obj, batch_size, momentum=0.0, nesterov=False) -> str:
    """Stability advice for minibatch steps: compare lr with 2/L and with 2/max_i L_i."""
    bounds = obj.loss.curvature_bounds
    if bounds is None or lr is None:
        return f"reduce lr (lr={lr:g})" if lr is not None else "reduce lr"
    L = obj.smoothness()
    X = obj.X
    # L_i = sup ℓ'' ‖x_i‖² (+ λ curvature of Ω): the curvature one sample can have
    row_sq = max(float(np.max(np.einsum("ij,ij->i", X[s:s + 65536], X[s:s + 65536])))
                 for s in range(0, X.shape[0], 65536))
    L_max = bounds[1] * row_sq + obj.lam * obj.regularizer.curvature
    scale = 1.0 + momentum if not nesterov else (1.0 + momentum) / (1.0 + 2.0 * momentum)
    text = lr_advice(lr, L, momentum, nesterov).replace(" or use lr='backtracking'", "")
    if batch_size < obj.n_samples and L_max > L:
        text += (f"; with batch_size={batch_size} single samples reach curvature max_i L_i={L_max:.3g}, "
                 f"so lr <= {2 * scale / L_max:.3g} is safe for any minibatch")
    return text


def finish(theta, f, n_iter, converged, message, hist, *, warn):
    if warn:
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
    return Result(theta=theta, objective=float(f), n_iter=int(n_iter), converged=bool(converged),
                  message=message, history=hist.as_dict())
