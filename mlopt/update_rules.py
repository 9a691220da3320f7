"""Update rules: how a (stochastic) gradient becomes a step, in optax's shape.

A rule is an object with two methods,

- ``init(theta) -> state``: the rule's state for a run starting at θ (momentum buffer, moments);
- ``update(grad, state, theta, lr, t) -> (step, state)``: the step Δθ to add, θₜ₊₁ = θₜ + Δθ,
  for the gradient ``grad`` at θₜ, the step size ``lr`` = ηₜ and the update count ``t`` (from 0).

It receives θ, so a term that depends on the parameters themselves, such as AdamW's decoupled
weight decay, is part of the rule. For speed on NumPy arrays the rules work in place: ``update``
may overwrite ``grad`` and the state's arrays, and the returned step is valid until the next
call. They never modify ``theta``. :func:`mlopt.minibatch_descent` runs any rule over
minibatches; :func:`mlopt.gradient_descent` runs :class:`Momentum` on full gradients.

Adding an optimizer is one class here and one function in ``mlopt/stochastic.py`` (README,
"Adding an optimizer"). Chapter 5 (*Stochastic gradients*) explains the rules.
"""

from __future__ import annotations

import numpy as np

from ._advice import minibatch_advice
from ._validation import check_scalar

__all__ = ["UpdateRule", "Momentum", "AdaGrad", "RMSProp", "Adam", "AdamW"]


def _per_coordinate(numerator, second_moment, eps: float, lr: float, out):
    """−lr · numerator / (√second_moment + ε), written into ``out``: the step of the adaptive
    rules (AdaGrad, RMSProp, Adam), whose steps are scaled coordinate by coordinate."""
    denom = np.sqrt(second_moment)
    denom += eps
    np.divide(numerator, denom, out=out)
    out *= -lr
    return out


class _NoStabilityLimit:
    """Advice for the adaptive rules, whose steps have no 2/L-type limit to quote."""

    def advice(self, lr, obj, batch_size):
        return f"reduce lr (lr={lr:g})"


class UpdateRule:
    """Plain (stochastic) gradient steps, Δθ = −η g, and the base class of the other rules.

    Subclasses override :meth:`init` and :meth:`update`, and :meth:`advice` if they know the
    stability limit of their steps.

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """

    name = "sgd"

    def init(self, theta: np.ndarray):
        """The state for a run from θ (plain steps need none)."""
        return None

    def update(self, grad: np.ndarray, state, theta: np.ndarray, lr: float, t: int):
        """(Δθ, state) for the gradient ``grad`` (overwritten) at θ with step size ``lr``."""
        grad *= -lr
        return grad, state

    def advice(self, lr: float, obj, batch_size: int) -> str:
        """What to change when a run with this rule diverges."""
        return minibatch_advice(lr, obj, batch_size)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


class Momentum(UpdateRule):
    """Heavy ball, bₜ₊₁ = β bₜ + gₜ, Δθ = −η bₜ₊₁; Nesterov, Δθ = −η (gₜ + β bₜ₊₁).

    The form PyTorch and optax use: one gradient per step, at the current iterate. For a constant
    η it is the classical heavy ball θₜ₊₁ = θₜ − ηgₜ + β(θₜ − θₜ₋₁), and Nesterov's method written
    in the look-ahead point (Chapter 3).

    Parameters
    ----------
    momentum : float in [0, 1)
        β.
    nesterov : bool, default False

    Notes
    -----
    Explained in :doc:`/book/03_gradient_descent` and :doc:`/book/05_stochastic`.
    """

    def __init__(self, momentum: float, nesterov: bool = False):
        self.momentum = check_scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
        self.nesterov = bool(nesterov)
        self.name = "nesterov" if nesterov else "momentum"

    def init(self, theta):
        return np.zeros_like(theta)          # the buffer b

    def update(self, grad, state, theta, lr, t):
        b, beta = state, self.momentum
        b *= beta
        b += grad
        if self.nesterov:
            grad += beta * b                 # g + β b, in grad's buffer
            grad *= -lr
            return grad, b
        np.multiply(b, -lr, out=grad)
        return grad, b

    def advice(self, lr, obj, batch_size):
        return minibatch_advice(lr, obj, batch_size, self.momentum, self.nesterov)


class AdaGrad(_NoStabilityLimit, UpdateRule):
    """Gₜ = Gₜ₋₁ + gₜ², Δθ = −η gₜ / (√Gₜ + ε)  (Duchi, Hazan & Singer 2011).

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """

    name = "adagrad"

    def __init__(self, eps: float = 1e-8, initial_accumulator: float = 0.0):
        self.eps = check_scalar(eps, "eps", low=0.0, low_open=True)
        self.initial_accumulator = check_scalar(initial_accumulator, "initial_accumulator", low=0.0)

    def init(self, theta):
        return np.full_like(theta, self.initial_accumulator)

    def update(self, grad, state, theta, lr, t):
        G = state
        G += grad * grad
        return _per_coordinate(grad, G, self.eps, lr, out=grad), G


class RMSProp(_NoStabilityLimit, UpdateRule):
    """sₜ = ρ sₜ₋₁ + (1 − ρ) gₜ², Δθ = −η gₜ / (√sₜ + ε)  (Tieleman & Hinton 2012).

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """

    name = "rmsprop"

    def __init__(self, rho: float = 0.9, eps: float = 1e-8):
        self.rho = check_scalar(rho, "rho", low=0.0, high=1.0, high_open=True)
        self.eps = check_scalar(eps, "eps", low=0.0, low_open=True)

    def init(self, theta):
        return np.zeros_like(theta)

    def update(self, grad, state, theta, lr, t):
        s = state
        s *= self.rho
        s += (1.0 - self.rho) * (grad * grad)
        return _per_coordinate(grad, s, self.eps, lr, out=grad), s


class Adam(_NoStabilityLimit, UpdateRule):
    """mₜ = β₁mₜ₋₁ + (1 − β₁)gₜ, vₜ = β₂vₜ₋₁ + (1 − β₂)gₜ², Δθ = −η m̂ₜ / (√v̂ₜ + ε), with the
    bias corrections m̂ₜ = mₜ/(1 − β₁ᵗ⁺¹), v̂ₜ = vₜ/(1 − β₂ᵗ⁺¹) (t from 0; Kingma & Ba 2015).

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """

    name = "adam"

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.beta1 = check_scalar(beta1, "beta1", low=0.0, high=1.0, high_open=True)
        self.beta2 = check_scalar(beta2, "beta2", low=0.0, high=1.0, high_open=True)
        self.eps = check_scalar(eps, "eps", low=0.0, low_open=True)

    def init(self, theta):
        return np.zeros_like(theta), np.zeros_like(theta)     # m, v

    def update(self, grad, state, theta, lr, t):
        m, v = state
        b1, b2 = self.beta1, self.beta2
        m *= b1
        m += (1.0 - b1) * grad
        v *= b2
        grad *= grad
        grad *= 1.0 - b2
        v += grad
        k = t + 1     # m̂ = m/(1 − β₁ᵏ), v̂ = v/(1 − β₂ᵏ)
        step = _per_coordinate(m, v * (1.0 / (1.0 - b2 ** k)), self.eps, lr / (1.0 - b1 ** k), out=grad)
        return step, state


class AdamW(Adam):
    """Adam with decoupled weight decay: Δθ = −η (m̂ₜ / (√v̂ₜ + ε) + w θₜ)  (Loshchilov & Hutter 2019).

    The decay w θ is not part of the gradient (so the moments never see it), unlike an l2 term
    λ‖θ‖² in J, which Adam would rescale coordinate by coordinate.

    Parameters
    ----------
    weight_decay : float >= 0
        w.
    beta1, beta2, eps : float
        As in :class:`Adam`.

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """

    name = "adamw"

    def __init__(self, weight_decay: float = 0.01, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        super().__init__(beta1, beta2, eps)
        self.weight_decay = check_scalar(weight_decay, "weight_decay", low=0.0)

    def update(self, grad, state, theta, lr, t):
        step, state = super().update(grad, state, theta, lr, t)
        if self.weight_decay:
            step -= (lr * self.weight_decay) * theta
        return step, state
