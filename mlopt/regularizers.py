"""Regularizers Ω(θ), the second term of J(θ) = R̂ₙ(θ) + λΩ(θ).

Each regularizer gives its value, its gradient (a subgradient where it is not differentiable),
its Hessian, and its proximal operator prox_{sΩ}(v) = argmin_θ Ω(θ) + ‖θ − v‖²/(2s), the step used
for the non-smooth l1 term. The derivatives sit next to the values.

- ``l2``: Ω(θ) = ‖θ‖², ∇Ω(θ) = 2θ, prox_{sΩ}(v) = v / (1 + 2s)
- ``l1``: Ω(θ) = ‖θ‖₁, subgradient sign(θ), prox_{sΩ}(v) = soft(v, s)
- ``elastic_net(ρ)``: Ω(θ) = ρ‖θ‖₁ + (1 − ρ)‖θ‖², subgradient ρ sign(θ) + 2(1 − ρ)θ,
  prox_{sΩ}(v) = soft(v, ρs) / (1 + 2(1 − ρ)s)
- ``none``: Ω(θ) = 0

where soft(v, t) = sign(v) max(abs(v) − t, 0) is soft-thresholding.

Chapter 2 (*Gradients*) derives the +2λθ of ridge; Chapter 1 (*From loss to objective*) places
Ω in the objective.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_scalar

__all__ = ["Regularizer", "l2", "l1", "elastic_net", "none", "soft_threshold"]


def soft_threshold(v: np.ndarray, t: float) -> np.ndarray:
    """sign(v) · max(abs(v) − t, 0), the proximal operator of t‖·‖₁.

    Explained in :doc:`/book/04_regularization`.

    Parameters
    ----------
    v : array_like
        The point.
    t : float >= 0
        The threshold.

    Returns
    -------
    ndarray
    """
    t = check_scalar(t, "t", low=0.0)
    v = np.asarray(v, dtype=np.float64)
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


class Regularizer:
    """Ω(θ) = l1_weight · ‖θ‖₁ + l2_weight · ‖θ‖².

    All regularizers of the book are of this form; use the instances :data:`l2`, :data:`l1`,
    :data:`none` and the factory :func:`elastic_net` rather than this class.

    Explained in :doc:`/book/02_gradients` and :doc:`/book/04_regularization`.

    Attributes
    ----------
    name : str
        "l2", "l1", "none", or "elastic_net(l1_ratio=...)" for :func:`elastic_net`'s.
    l1_weight, l2_weight : float
        The weights of the two terms.
    smooth : bool
        False when Ω has an l1 part (then :meth:`gradient` is a subgradient).
    """

    def __init__(self, name: str, l1_weight: float = 0.0, l2_weight: float = 0.0):
        self.name = name
        self.l1_weight = float(l1_weight)
        self.l2_weight = float(l2_weight)
        self.smooth = self.l1_weight == 0.0

    # curvature of Ω: its Hessian is 2·l2_weight·I
    @property
    def curvature(self) -> float:
        """The constant eigenvalue 2·l2_weight of ∇²Ω (l1 adds none where it is differentiable)."""
        return 2.0 * self.l2_weight

    def value(self, theta) -> float:
        """Ω(θ)."""
        theta = np.asarray(theta, dtype=np.float64)
        out = 0.0
        if self.l1_weight:
            out += self.l1_weight * float(np.abs(theta).sum())
        if self.l2_weight:
            out += self.l2_weight * float(theta @ theta)
        return out

    def gradient(self, theta) -> np.ndarray:
        """∇Ω(θ): 2·l2_weight·θ + l1_weight·sign(θ) (sign(0) = 0, a valid subgradient)."""
        theta = np.asarray(theta, dtype=np.float64)
        g = (2.0 * self.l2_weight) * theta if self.l2_weight else np.zeros_like(theta)
        if self.l1_weight:
            g = g + self.l1_weight * np.sign(theta)
        return g

    def hessian(self, theta) -> np.ndarray:
        """∇²Ω(θ) = 2·l2_weight·I (the l1 part is piecewise linear: zero curvature)."""
        d = np.asarray(theta).shape[0]
        return (2.0 * self.l2_weight) * np.eye(d)

    def prox(self, theta, step: float) -> np.ndarray:
        """prox_{step·Ω}(θ) = argmin_u Ω(u) + ‖u − θ‖² / (2·step).

        Soft-thresholding by step·l1_weight, then shrinking by 1 / (1 + 2·step·l2_weight).
        Multiply ``step`` by λ to get the proximal step of λΩ.
        """
        step = check_scalar(step, "step", low=0.0)
        out = np.asarray(theta, dtype=np.float64)
        if self.l1_weight:
            out = soft_threshold(out, step * self.l1_weight)
        if self.l2_weight:
            out = out / (1.0 + 2.0 * step * self.l2_weight)
        return out.copy() if out is theta else out

    def __repr__(self) -> str:
        return f"Regularizer({self.name})"


#: Ω(θ) = ‖θ‖², ∇Ω = 2θ (ridge; Hoerl & Kennard 1970).
l2 = Regularizer("l2", l2_weight=1.0)
#: Ω(θ) = ‖θ‖₁, subgradient sign(θ) (lasso; Tibshirani 1996).
l1 = Regularizer("l1", l1_weight=1.0)
#: Ω(θ) = 0.
none = Regularizer("none")


def elastic_net(l1_ratio: float = 0.5) -> Regularizer:
    """Ω(θ) = ρ‖θ‖₁ + (1 − ρ)‖θ‖² with ρ = ``l1_ratio`` in [0, 1].

    ``l1_ratio=0`` is :data:`l2`, ``l1_ratio=1`` is :data:`l1`. (scikit-learn's ElasticNet puts a
    factor 1/2 on the squared term; here Ω keeps the book's ‖θ‖².)

    Explained in :doc:`/book/04_regularization`.
    """
    rho = check_scalar(l1_ratio, "l1_ratio", low=0.0, high=1.0)
    return Regularizer(f"elastic_net(l1_ratio={rho:g})", l1_weight=rho, l2_weight=1.0 - rho)
