"""A small nonlinear model with the interface of an objective: a two-layer network.

:class:`TwoLayerNet` is J(θ) = (1/n) Σᵢ ℓ(f(xᵢ; θ), yᵢ) + λ‖θ‖² with the network

.. math::

    a_i = \\sigma(W_1 x_i + b_1), \\qquad f(x_i; \\theta) = w_2^\\top a_i + b_2,

one hidden layer of ``hidden`` units, activation σ (tanh or ReLU), and the book's losses ℓ on the
output (logistic for labels in {0, 1}, squared for regression). All parameters live in one flat
vector θ = (W₁, b₁, w₂, b₂), so every full-batch solver (``gradient_descent``, ``lbfgs``) and
every stochastic one (``sgd``, ``adam``, ... through :func:`mlopt.minibatch_descent`) trains it
unchanged. The gradient is backpropagation written out (the chain rule, layer by layer); each
derivative sits next to the function it differentiates. Chapter 12 (*A neural network*) explains it.
"""

from __future__ import annotations

import numpy as np

from . import losses as _losses
from ._compat import take_rows
from ._validation import as_float_array, check_scalar, check_theta

__all__ = ["TwoLayerNet"]

_ACTIVATIONS = {
    # σ(u) and σ'(u) written from σ's output a = σ(u) where that is cheaper
    "tanh": (np.tanh, lambda u, a: 1.0 - a * a),
    "relu": (lambda u: np.maximum(u, 0.0), lambda u, a: (u > 0).astype(np.float64)),
}


class TwoLayerNet:
    """A one-hidden-layer network as an objective J(θ) over flattened parameters.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_inputs)
        Inputs.
    y : array_like, shape (n_samples,)
        Targets (labels in {0, 1} for the logistic loss).
    hidden : int, default 16
        Number of hidden units h.
    activation : {"tanh", "relu"}, default "tanh"
        σ.
    loss : Loss, default :data:`mlopt.losses.logistic`
        The loss on the output f(x; θ).
    lam : float, default 0
        λ of the penalty λ‖θ‖² on all parameters (weight decay).

    Attributes
    ----------
    n_samples : int
    n_features : int
        The number of parameters, h·(d + 2) + 1 (the length of θ).
    shapes : dict
        The shape of each parameter block in θ: W1 (h, d), b1 (h,), w2 (h,), b2 ().

    Notes
    -----
    Explained in :doc:`/book/12_neural_network`. The minibatch driver samples its rows like an
    :class:`~mlopt.EmpiricalRisk`'s (``minibatch(theta, rows)``, ``subset(rows)``).

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]); y = np.array([0.0, 1.0, 1.0, 0.0])
    >>> net = mlopt.models.TwoLayerNet(X, y, hidden=4)
    >>> theta0 = net.init(rng=0)
    >>> theta0.shape, bool(mlopt.check_gradient(net.value, net.gradient, theta0) < 1e-6)
    ((17,), True)
    """

    def __init__(self, X, y, *, hidden: int = 16, activation: str = "tanh", loss=_losses.logistic, lam: float = 0.0):
        X = as_float_array(X, "X", ndim=2)
        y = as_float_array(y, "y", ndim=1)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have one entry per row of X: X has {X.shape[0]} rows, y has shape {y.shape}")
        if not isinstance(loss, _losses.Loss):
            raise ValueError(f"loss must be an mlopt.Loss (e.g. mlopt.losses.logistic); got {loss!r}")
        loss.check_labels(y, "y")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}; got activation={activation!r}")
        self.X, self.y, self.loss = X, y, loss
        self.hidden = check_scalar(hidden, "hidden", low=1, integer=True)
        self.activation = activation
        self.lam = check_scalar(lam, "lam", low=0.0)
        self.n_samples, self.n_inputs = X.shape
        h, d = self.hidden, self.n_inputs
        self.shapes = {"W1": (h, d), "b1": (h,), "w2": (h,), "b2": ()}
        self.n_features = h * (d + 2) + 1

    # --- parameters --------------------------------------------------------------------------

    def unpack(self, theta):
        """Views (W1, b1, w2, b2) into θ (no copies)."""
        h, d = self.hidden, self.n_inputs
        W1 = theta[: h * d].reshape(h, d)
        b1 = theta[h * d: h * d + h]
        w2 = theta[h * d + h: h * d + 2 * h]
        return W1, b1, w2, theta[-1]

    def pack(self, W1, b1, w2, b2) -> np.ndarray:
        """θ from the blocks (the inverse of :meth:`unpack`)."""
        return np.concatenate([np.ravel(W1), np.ravel(b1), np.ravel(w2), [float(b2)]])

    def init(self, rng=None, scale: float = 1.0) -> np.ndarray:
        """Random θ₀: Glorot-uniform weights (limit √(6/(fan_in + fan_out)), times ``scale``) and
        zero biases. Zero weights are a saddle the gradient never leaves (all hidden units stay
        equal): do not start there."""
        rng = np.random.default_rng(rng)
        h, d = self.hidden, self.n_inputs
        W1 = rng.uniform(-1, 1, (h, d)) * scale * np.sqrt(6.0 / (d + h))
        w2 = rng.uniform(-1, 1, h) * scale * np.sqrt(6.0 / (h + 1))
        return self.pack(W1, np.zeros(h), w2, 0.0)

    # --- forward and backward ----------------------------------------------------------------

    def _forward(self, theta, X):
        W1, b1, w2, b2 = self.unpack(theta)
        u = X @ W1.T + b1                       # pre-activations, (m, h)
        a = _ACTIVATIONS[self.activation][0](u)
        return u, a, a @ w2 + b2                # outputs z, (m,)

    def predict(self, theta, X=None) -> np.ndarray:
        """The network's outputs f(x; θ) (scores for the logistic loss) on X (default: the data)."""
        theta = check_theta(theta, self.n_features)
        X = self.X if X is None else as_float_array(X, "X", ndim=2)
        return self._forward(theta, X)[2]

    def _value_grad(self, theta, X, y, grad=True):
        """(mean loss + λ‖θ‖², its gradient) on rows X, y: the forward pass, then backpropagation."""
        m = X.shape[0]
        u, a, z = self._forward(theta, X)
        value = float(np.sum(self.loss.value(z, y))) / m
        if self.lam:
            value += self.lam * float(theta @ theta)
        if not grad:
            return value, None
        _, _, w2, _ = self.unpack(theta)
        dz = self.loss.dz(z, y) / m                                   # ∂J/∂z_i
        dw2 = a.T @ dz                                                # z = a w2 + b2
        db2 = dz.sum()
        du = np.outer(dz, w2) * _ACTIVATIONS[self.activation][1](u, a)   # back through σ
        dW1 = du.T @ X                                                # u = X W1ᵀ + b1
        db1 = du.sum(axis=0)
        g = self.pack(dW1, db1, dw2, db2)
        if self.lam:
            g += 2.0 * self.lam * theta
        return value, g

    # --- the objective interface ---------------------------------------------------------------

    def value(self, theta) -> float:
        """J(θ) over all samples."""
        return self._value_grad(check_theta(theta, self.n_features), self.X, self.y, grad=False)[0]

    def gradient(self, theta) -> np.ndarray:
        """∇J(θ) by backpropagation."""
        return self._value_grad(check_theta(theta, self.n_features), self.X, self.y)[1]

    def value_and_gradient(self, theta):
        """(J(θ), ∇J(θ)) from one forward and one backward pass."""
        return self._value_grad(check_theta(theta, self.n_features), self.X, self.y)

    def minibatch(self, theta, rows, y_rows=None):
        """(J_B(θ), ∇J_B(θ)) on the rows B (mean loss over B plus λ‖θ‖²)."""
        return self._value_grad(theta, take_rows(self.X, rows), self.y[rows] if y_rows is None else y_rows)

    def risk_value(self, theta) -> float:
        """The mean loss alone (no penalty), e.g. a validation loss."""
        u, a, z = self._forward(theta, self.X)
        return float(np.mean(self.loss.value(z, self.y)))

    def subset(self, rows) -> "TwoLayerNet":
        """The same network and loss on the rows ``rows`` of X and y."""
        rows = np.asarray(rows)
        return TwoLayerNet(self.X[rows], self.y[rows], hidden=self.hidden, activation=self.activation,
                           loss=self.loss, lam=self.lam)

    @property
    def unchecked(self) -> "TwoLayerNet":
        """The fast path the minibatch driver uses: the network itself (its minibatch method skips
        the checks)."""
        return self

    def __repr__(self) -> str:
        return (f"TwoLayerNet(n_samples={self.n_samples}, n_inputs={self.n_inputs}, hidden={self.hidden}, "
                f"activation={self.activation}, loss={self.loss.name}, lam={self.lam:g})")
